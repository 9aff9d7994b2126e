-- pb-prices: the partners' published price lists, loaded with the audit of imports, and where each daily
-- row's list cost came from (the export, a price list, or nowhere).

-- One run of pb-prices load over one source: the Azure Retail Prices API for some services and regions, a
-- Cost Management price sheet, or AWS Price List offer files. One committed load per source; a reload that
-- reads other prices supersedes it, a reload of the same prices (content_sha256) changes nothing.
CREATE TABLE pb.price_load (
	id bigserial PRIMARY KEY,
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure')),
	format text NOT NULL CHECK (format IN ('azure-retail', 'azure-pricesheet', 'aws-offer')),
	source text NOT NULL,
	status text NOT NULL CHECK (status IN ('running', 'committed', 'failed', 'superseded')),
	started_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	file_count integer,
	item_count bigint,     -- price items read
	row_count bigint,      -- prices kept: the list price terms (pay-as-you-go, OnDemand)
	skipped_count bigint,  -- items that are not list prices (reservations, savings plans, dev/test, Reserved)
	content_sha256 text CHECK (content_sha256 ~ '^[0-9a-f]{64}$'), -- of the prices kept, in the order read
	error text,
	run_by text NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX price_load_one_committed ON pb.price_load (vendor, format, source) WHERE status = 'committed';

-- Every file or page a load read.
CREATE TABLE pb.price_load_file (
	load_id bigint NOT NULL REFERENCES pb.price_load (id) ON DELETE CASCADE,
	seq integer NOT NULL,
	uri text NOT NULL,
	bytes bigint NOT NULL,
	sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	etag text,
	item_count bigint NOT NULL,
	PRIMARY KEY (load_id, seq)
);

-- One list price: what a line of the meter (Azure meterId, lowercase) or SKU (AWS) costs per unit, from
-- tier_min units of the month on, from effective_start to the day before effective_end (NULL: open). The
-- rows of a superseded load stay as long as a newer load does not cover them: they are the price history.
CREATE TABLE pb.price (
	load_id bigint NOT NULL REFERENCES pb.price_load (id) ON DELETE CASCADE,
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure')),
	meter text NOT NULL CHECK (meter <> ''),
	region text NOT NULL,
	unit text NOT NULL,
	tier_min numeric NOT NULL CHECK (tier_min >= 0),
	effective_start date NOT NULL,
	effective_end date CHECK (effective_end > effective_start),
	unit_price numeric NOT NULL CHECK (unit_price >= 0),
	currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	usage_type text NOT NULL DEFAULT '', -- AWS usageType and operation: the key of a line without product/sku
	operation text NOT NULL DEFAULT '',
	product text NOT NULL DEFAULT ''     -- what the list calls it (meter or product name, price description)
);

CREATE INDEX price_meter ON pb.price (vendor, meter, effective_start);
CREATE INDEX price_load_id ON pb.price (load_id);

-- Where a daily row's list cost came from: the export's own column, a price list (the load that priced it),
-- or nowhere (no list cost). It is part of the daily grain, so a row never mixes lines that had a list cost
-- with lines that had none.
ALTER TABLE pb.usage_daily ADD COLUMN list_source text NOT NULL DEFAULT 'export';
UPDATE pb.usage_daily SET list_source = 'none' WHERE list_cost IS NULL;
ALTER TABLE pb.usage_daily ALTER COLUMN list_source DROP DEFAULT;
ALTER TABLE pb.usage_daily ADD CONSTRAINT usage_daily_list_source CHECK (list_source IN ('export', 'price-list', 'none'));
-- No foreign key: it would cost a lookup per daily row of an import, and a load is never deleted.
ALTER TABLE pb.usage_daily ADD COLUMN price_load_id bigint;
ALTER TABLE pb.usage_daily ADD CONSTRAINT usage_daily_price_load CHECK ((list_source = 'price-list') = (price_load_id IS NOT NULL));

-- Per import and list source: lines and totals, for the reconciliation.
CREATE TABLE pb.import_list (
	import_id bigint NOT NULL REFERENCES pb.import (id) ON DELETE CASCADE,
	list_source text NOT NULL CHECK (list_source IN ('export', 'price-list', 'none')),
	price_load_id bigint REFERENCES pb.price_load (id),
	line_count bigint NOT NULL CHECK (line_count > 0),
	list_total numeric NOT NULL,
	billed_total numeric NOT NULL
);

CREATE UNIQUE INDEX import_list_key ON pb.import_list (import_id, list_source, coalesce(price_load_id, 0));

-- Usage an aggregate run bills at its billed cost because neither its export nor a price list gave it a list
-- price, per partner account.
CREATE TABLE pb.aggregate_no_list (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	vendor text NOT NULL,
	partner_account_id text NOT NULL,
	alias text NOT NULL,
	currency text NOT NULL,
	line_count bigint NOT NULL,
	billed numeric NOT NULL,
	PRIMARY KEY (run_id, vendor, partner_account_id, alias, currency)
);

CREATE TRIGGER aggregate_no_list_frozen_update AFTER UPDATE ON pb.aggregate_no_list REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_no_list_frozen_delete AFTER DELETE ON pb.aggregate_no_list REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
