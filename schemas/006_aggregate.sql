-- pb-aggregate: month-to-date totals per CLC account at the partners' list prices, month-end estimates,
-- and the reconciliation that shows where every partner charge went. One aggregate run is written in one
-- transaction and becomes the month's current run; earlier runs stay readable. An invoice freezes the run
-- it bills: then nothing of that run, nor the month's conversion rates, can change.

-- The account fields billing reads (pb-accounts sets them; made here too when absent, with their defaults).
ALTER TABLE pb.clc_account ADD COLUMN IF NOT EXISTS invoice_currency text NOT NULL DEFAULT 'USD';
ALTER TABLE pb.clc_account ADD COLUMN IF NOT EXISTS markup_percent numeric NOT NULL DEFAULT 0;

-- One conversion rate per month and currency pair, exact.
CREATE TABLE pb.fx_rate (
	month date NOT NULL CHECK (extract(day FROM month) = 1),
	from_currency text NOT NULL CHECK (from_currency ~ '^[A-Z]{3}$'),
	to_currency text NOT NULL CHECK (to_currency ~ '^[A-Z]{3}$'),
	rate numeric NOT NULL CHECK (rate > 0),
	source text NOT NULL,
	loaded_by text NOT NULL,
	loaded_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (month, from_currency, to_currency),
	CHECK (from_currency <> to_currency)
);

-- One run over one month: the imports it read, how it priced, and whether an invoice froze it.
CREATE TABLE pb.aggregate_run (
	id bigserial PRIMARY KEY,
	billing_month date NOT NULL CHECK (extract(day FROM billing_month) = 1),
	as_of date NOT NULL,
	status text NOT NULL CHECK (status IN ('current', 'superseded')),
	imports bigint[] NOT NULL,
	pricing_file text NOT NULL,
	pricing_sha256 text NOT NULL CHECK (pricing_sha256 ~ '^[0-9a-f]{64}$'),
	-- What the run found beyond the totals: counted, and shown with them.
	unmapped_lines bigint NOT NULL DEFAULT 0,
	ineligible_lines bigint NOT NULL DEFAULT 0,
	no_list_lines bigint NOT NULL DEFAULT 0,
	detail boolean NOT NULL DEFAULT false, -- pb.aggregate_detail holds the run's detail
	started_at timestamptz NOT NULL,
	finished_at timestamptz NOT NULL DEFAULT now(),
	run_by text NOT NULL,
	frozen boolean NOT NULL DEFAULT false,
	frozen_at timestamptz,
	frozen_by text,
	CHECK (frozen = (frozen_at IS NOT NULL))
);

CREATE UNIQUE INDEX aggregate_run_current ON pb.aggregate_run (billing_month) WHERE status = 'current';

-- Per source of the month: the import read, through which day its data is complete, and whether final.
CREATE TABLE pb.aggregate_source (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	vendor text NOT NULL,
	format text NOT NULL,
	source text NOT NULL,
	import_id bigint NOT NULL,
	last_day date,
	complete_through date,
	final boolean NOT NULL,
	PRIMARY KEY (run_id, import_id)
);

-- Month to date per CLC account, vendor, charge category and source currency, priced by the pricing
-- rules: amount (what the account pays, at list), billed (what the partner charged the reseller).
CREATE TABLE pb.aggregate_total (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	alias text NOT NULL,
	vendor text NOT NULL,
	charge_category text NOT NULL,
	currency text NOT NULL,
	amount numeric NOT NULL,
	billed numeric NOT NULL,
	line_count bigint NOT NULL,
	no_list_lines bigint NOT NULL, -- usage without a list price, billed at its billed cost
	PRIMARY KEY (run_id, alias, vendor, charge_category, currency)
);

-- Per CLC account and vendor ('all' for every vendor), in the account's invoice currency: the
-- month-to-date amount (exact), the markup or discount (its own column), the month-end estimate with
-- its 80% and 90% intervals, the day through which data is complete, and whether the month is final.
CREATE TABLE pb.aggregate_account (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	alias text NOT NULL,
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure', 'all')),
	currency text NOT NULL,
	month_to_date numeric NOT NULL,
	markup_percent numeric NOT NULL,
	markup numeric NOT NULL,
	estimate numeric NOT NULL,
	low80 numeric NOT NULL,
	high80 numeric NOT NULL,
	low90 numeric NOT NULL,
	high90 numeric NOT NULL,
	method text NOT NULL,
	complete_through date,
	final boolean NOT NULL,
	PRIMARY KEY (run_id, alias, vendor)
);

-- The daily series per CLC account and vendor, in the invoice currency: recurring usage and one-off
-- charges apart. Kept for the current run and any frozen one (a superseded run keeps its totals).
CREATE TABLE pb.aggregate_daily (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	alias text NOT NULL,
	vendor text NOT NULL,
	usage_date date NOT NULL,
	usage numeric NOT NULL,
	one_off numeric NOT NULL,
	PRIMARY KEY (run_id, alias, vendor, usage_date)
);

-- What an invoice's detail and its FOCUS dataset show (runs made with --detail): per CLC account, partner
-- account, usage day, service, region, charge category and source currency, the amount priced as the totals
-- are, and the list and billed costs; it adds up to pb.aggregate_total.
CREATE TABLE pb.aggregate_detail (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	alias text NOT NULL,
	vendor text NOT NULL,
	partner_account_id text NOT NULL,
	usage_date date NOT NULL,
	service text NOT NULL,
	region text NOT NULL,
	charge_category text NOT NULL,
	currency text NOT NULL,
	amount numeric NOT NULL,
	list numeric NOT NULL,
	billed numeric NOT NULL,
	line_count bigint NOT NULL,
	PRIMARY KEY (run_id, alias, vendor, partner_account_id, usage_date, service, region, charge_category, currency)
);

-- Where the rest went, per partner account: unmapped (no link on that day), ineligible (linked to an
-- account the rules exclude on that day, reason given), excluded (by a pricing rule: tax, an earned
-- discount, a commitment; alias set).
CREATE TABLE pb.aggregate_bucket (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	bucket text NOT NULL CHECK (bucket IN ('unmapped', 'ineligible', 'excluded')),
	vendor text NOT NULL,
	partner_account_id text NOT NULL,
	alias text NOT NULL DEFAULT '',
	reason text NOT NULL DEFAULT '',
	currency text NOT NULL,
	list numeric NOT NULL,
	billed numeric NOT NULL,
	line_count bigint NOT NULL,
	PRIMARY KEY (run_id, bucket, vendor, partner_account_id, alias, reason, currency)
);

-- The reconciliation per currency: every partner charge of the month (billed and list) is in exactly
-- one place, and the places add up to the total to the last digit.
CREATE TABLE pb.aggregate_recon (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	currency text NOT NULL,
	place text NOT NULL CHECK (place IN ('total', 'attributed', 'unmapped', 'ineligible', 'excluded')),
	list numeric NOT NULL,
	billed numeric NOT NULL,
	line_count bigint NOT NULL,
	PRIMARY KEY (run_id, currency, place)
);

-- Every estimate any run made, never rewritten: the estimator's track record on real data.
CREATE TABLE pb.estimate_history (
	id bigserial PRIMARY KEY,
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	billing_month date NOT NULL,
	alias text NOT NULL,
	vendor text NOT NULL,
	as_of date NOT NULL,
	currency text NOT NULL,
	month_to_date numeric NOT NULL,
	estimate numeric NOT NULL,
	low80 numeric NOT NULL,
	high80 numeric NOT NULL,
	low90 numeric NOT NULL,
	high90 numeric NOT NULL,
	method text NOT NULL,
	made_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX estimate_history_account ON pb.estimate_history (alias, billing_month, as_of);

-- The current run's buckets of each month, for monitoring (pb-run's metrics file).
CREATE VIEW pb.aggregate_bucket_current AS
SELECT r.billing_month, b.bucket, b.currency, sum(b.billed) AS amount, sum(b.line_count) AS line_count
FROM pb.aggregate_bucket b
JOIN pb.aggregate_run r ON r.id = b.run_id AND r.status = 'current'
GROUP BY r.billing_month, b.bucket, b.currency;

-- What a frozen run holds never changes, whoever writes: the rows of a frozen run are neither updated nor
-- deleted (checked once per statement, so that dropping a superseded run's daily rows stays cheap); the run
-- itself may only stop being current.
CREATE FUNCTION pb.refuse_frozen_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	frozen_run bigint;
BEGIN
	SELECT min(o.run_id) INTO frozen_run FROM old_rows o JOIN pb.aggregate_run r ON r.id = o.run_id WHERE r.frozen;
	IF frozen_run IS NOT NULL THEN
		RAISE EXCEPTION 'aggregate run % is frozen by an issued invoice: its rows cannot change', frozen_run;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER aggregate_source_frozen_update AFTER UPDATE ON pb.aggregate_source REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_source_frozen_delete AFTER DELETE ON pb.aggregate_source REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_total_frozen_update AFTER UPDATE ON pb.aggregate_total REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_total_frozen_delete AFTER DELETE ON pb.aggregate_total REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_account_frozen_update AFTER UPDATE ON pb.aggregate_account REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_account_frozen_delete AFTER DELETE ON pb.aggregate_account REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_daily_frozen_update AFTER UPDATE ON pb.aggregate_daily REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_daily_frozen_delete AFTER DELETE ON pb.aggregate_daily REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_bucket_frozen_update AFTER UPDATE ON pb.aggregate_bucket REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_bucket_frozen_delete AFTER DELETE ON pb.aggregate_bucket REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_detail_frozen_update AFTER UPDATE ON pb.aggregate_detail REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_detail_frozen_delete AFTER DELETE ON pb.aggregate_detail REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_recon_frozen_update AFTER UPDATE ON pb.aggregate_recon REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_recon_frozen_delete AFTER DELETE ON pb.aggregate_recon REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();

CREATE FUNCTION pb.refuse_frozen_run() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' AND OLD.frozen THEN
		RAISE EXCEPTION 'aggregate run % is frozen by an issued invoice: it cannot be deleted', OLD.id;
	END IF;
	IF TG_OP = 'UPDATE' AND OLD.frozen AND (NEW.frozen IS DISTINCT FROM OLD.frozen OR NEW.frozen_at IS DISTINCT FROM OLD.frozen_at
		OR NEW.frozen_by IS DISTINCT FROM OLD.frozen_by OR NEW.billing_month <> OLD.billing_month
		OR NEW.as_of <> OLD.as_of OR NEW.imports <> OLD.imports OR NEW.pricing_sha256 <> OLD.pricing_sha256) THEN
		RAISE EXCEPTION 'aggregate run % is frozen by an issued invoice: only its status may change', OLD.id;
	END IF;
	RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER aggregate_run_frozen BEFORE UPDATE OR DELETE ON pb.aggregate_run
	FOR EACH ROW EXECUTE FUNCTION pb.refuse_frozen_run();

-- A month's rates are frozen with its invoice.
CREATE FUNCTION pb.refuse_frozen_rate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	m date := CASE TG_OP WHEN 'INSERT' THEN NEW.month ELSE OLD.month END;
BEGIN
	IF EXISTS (SELECT 1 FROM pb.aggregate_run WHERE billing_month = m AND frozen)
		OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM pb.aggregate_run WHERE billing_month = NEW.month AND frozen)) THEN
		RAISE EXCEPTION 'the rates of % are frozen: the month''s invoice is issued', to_char(m, 'YYYY-MM');
	END IF;
	RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER fx_rate_frozen BEFORE INSERT OR UPDATE OR DELETE ON pb.fx_rate
	FOR EACH ROW EXECUTE FUNCTION pb.refuse_frozen_rate();

-- The estimate history is appended to, never rewritten.
CREATE FUNCTION pb.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% rows are never changed', TG_TABLE_NAME;
END
$$;

CREATE TRIGGER estimate_history_append_only BEFORE UPDATE OR DELETE ON pb.estimate_history
	FOR EACH ROW EXECUTE FUNCTION pb.refuse_change();
