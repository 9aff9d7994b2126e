-- The names the exports give each partner account (CUR 2.0 line_item_usage_account_name, Azure
-- SubscriptionName and customerName, Partner Center CustomerName) and the resource tags its lines carry
-- (kind tag, name "key=value"), per import: what pb-accounts' mapping rules match against.
CREATE TABLE pb.partner_account_name (
	import_id bigint NOT NULL REFERENCES pb.import (id) ON DELETE CASCADE,
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure')),
	partner_account_id text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('account_name', 'subscription_name', 'customer_name', 'tag')),
	name text NOT NULL,
	line_count bigint NOT NULL CHECK (line_count > 0),
	PRIMARY KEY (import_id, partner_account_id, kind, name)
);

CREATE INDEX partner_account_name_account ON pb.partner_account_name (vendor, partner_account_id);
