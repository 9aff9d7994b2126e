-- The store, reviewed before anything is billed from it: an import's identity includes its format, the
-- source's own charge type is kept on every daily row, each import's per-account totals are kept, a
-- file's bytes can be found by their hash, and a month's partition is made in a short transaction of its
-- own so that readers of other months never wait behind an import.

-- Two formats of one vendor (a Partner Center file and an Azure cost file) in one folder are two sources.
ALTER TABLE pb.import ADD COLUMN format text;
UPDATE pb.import SET format = CASE vendor WHEN 'aws' THEN 'aws-cur' ELSE 'azure-cost' END;
ALTER TABLE pb.import ALTER COLUMN format SET NOT NULL;
ALTER TABLE pb.import ADD CONSTRAINT import_format CHECK (format IN ('aws-cur', 'azure-cost', 'partner-center'));
DROP INDEX pb.import_one_committed;
CREATE UNIQUE INDEX import_one_committed ON pb.import (vendor, format, source, billing_month) WHERE status = 'committed';

-- A file's bytes belong to at most one current import of a month: found by their hash.
CREATE INDEX import_file_sha256 ON pb.import_file (sha256);

-- The source's own type of charge (AWS lineItem/LineItemType, Azure ChargeType with /PricingModel when
-- the model is not on-demand, Partner Center ChargeType), so that pricing rules can tell an earned
-- discount from a refund.
ALTER TABLE pb.usage_daily ADD COLUMN charge_type text NOT NULL DEFAULT '';

-- Per import, partner account and currency: what the import holds of it, for the reconciliation and for
-- finding a partner account that two current imports of one vendor and month both bill.
CREATE TABLE pb.import_account (
	import_id bigint NOT NULL REFERENCES pb.import (id) ON DELETE CASCADE,
	partner_account_id text NOT NULL,
	currency text NOT NULL,
	line_count bigint NOT NULL CHECK (line_count > 0),
	list_total numeric NOT NULL,
	billed_total numeric NOT NULL,
	first_day date NOT NULL,
	last_day date NOT NULL,
	PRIMARY KEY (import_id, partner_account_id, currency)
);

CREATE INDEX import_account_account ON pb.import_account (partner_account_id);

-- Per import, charge category and the source's charge type: what the pricing rules are chosen by, without
-- reading every daily row of a month to find them.
CREATE TABLE pb.import_charge (
	import_id bigint NOT NULL REFERENCES pb.import (id) ON DELETE CASCADE,
	charge_category text NOT NULL,
	charge_type text NOT NULL,
	line_count bigint NOT NULL CHECK (line_count > 0),
	list_total numeric NOT NULL,
	billed_total numeric NOT NULL,
	PRIMARY KEY (import_id, charge_category, charge_type)
);

-- The partner accounts that more than one current import of the same vendor and month holds.
CREATE VIEW pb.import_overlap AS
SELECT i.vendor, i.billing_month, a.partner_account_id,
	array_agg(DISTINCT i.id ORDER BY i.id) AS imports, sum(a.line_count) AS line_count
FROM pb.import_account a
JOIN pb.import i ON i.id = a.import_id AND i.status = 'committed'
GROUP BY i.vendor, i.billing_month, a.partner_account_id
HAVING count(DISTINCT i.id) > 1;

-- Partitions are made ahead, each in a transaction of its own that takes the partition lock itself.
CREATE OR REPLACE FUNCTION pb.ensure_usage_partition(month date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	name text := format('usage_daily_%s', to_char(month, 'YYYY_MM'));
BEGIN
	IF to_regclass(format('pb.%I', name)) IS NULL THEN
		PERFORM pg_advisory_xact_lock(hashtextextended('pb-partitions', 0));
		IF to_regclass(format('pb.%I', name)) IS NULL THEN
			EXECUTE format('CREATE TABLE pb.%I PARTITION OF pb.usage_daily FOR VALUES FROM (%L) TO (%L)',
				name, month, (month + interval '1 month')::date);
		END IF;
	END IF;
END
$$;

-- The attributed rows carry the charge type too (a new last column).
CREATE OR REPLACE VIEW pb.usage_attributed AS
SELECT u.import_id, u.vendor, u.billing_month, u.partner_account_id, u.usage_date, u.charge_category, u.service,
	u.region, u.currency, u.list_cost, u.billed_cost, u.line_count, pa.alias, pa.id AS partner_account_link,
	u.charge_type
FROM pb.usage_daily u
JOIN pb.import i ON i.id = u.import_id AND i.status = 'committed'
LEFT JOIN pb.partner_account pa ON pa.vendor = u.vendor AND pa.partner_account_id = u.partner_account_id
	AND pa.validity @> u.usage_date;
