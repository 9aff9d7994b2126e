-- pb-invoice: each month's invoice, issued once. Its lines (one "CenturyLink Cloud 1.0" line per CLC account
-- and month, and the adjustments of earlier months) and their per-vendor parts are never updated nor deleted
-- by anyone, and the aggregate run an invoice bills is frozen with it (schemas/006_aggregate.sql).
CREATE TABLE pb.invoice (
	id bigserial PRIMARY KEY,
	billing_month date NOT NULL UNIQUE CHECK (extract(day FROM billing_month) = 1),
	number text NOT NULL UNIQUE,
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	issued_by text NOT NULL,
	issued_at timestamptz NOT NULL DEFAULT now(),
	forced boolean NOT NULL DEFAULT false,
	force_reason text,
	export_sha256 text NOT NULL CHECK (export_sha256 ~ '^[0-9a-f]{64}$'),
	detail_sha256 text NOT NULL CHECK (detail_sha256 ~ '^[0-9a-f]{64}$'),
	line_count integer NOT NULL,
	CHECK (forced = (force_reason IS NOT NULL))
);

CREATE TABLE pb.invoice_line (
	invoice_id bigint NOT NULL REFERENCES pb.invoice (id),
	line integer NOT NULL CHECK (line > 0),
	alias text NOT NULL,
	account_name text NOT NULL,
	line_item text NOT NULL CHECK (line_item = 'CenturyLink Cloud 1.0'),
	kind text NOT NULL CHECK (kind IN ('charge', 'credit', 'adjustment')),
	corrects_month date,
	currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	amount numeric NOT NULL, -- rounded once to the currency's minor unit, half away from zero
	exact numeric NOT NULL,	 -- what it was before rounding
	PRIMARY KEY (invoice_id, line),
	CHECK ((kind = 'adjustment') = (corrects_month IS NOT NULL)),
	CHECK (kind <> 'charge' OR amount > 0),
	CHECK (kind <> 'credit' OR amount < 0)
);

CREATE INDEX invoice_line_alias ON pb.invoice_line (alias, corrects_month);

-- Per line and vendor: the parts finance reconciles, allocated by largest remainder so that they add up to
-- the line exactly.
CREATE TABLE pb.invoice_part (
	invoice_id bigint NOT NULL,
	line integer NOT NULL,
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure')),
	amount numeric NOT NULL,
	exact numeric NOT NULL,
	PRIMARY KEY (invoice_id, line, vendor),
	FOREIGN KEY (invoice_id, line) REFERENCES pb.invoice_line (invoice_id, line)
);

-- An issued invoice never changes, whoever writes: no UPDATE, no DELETE, no TRUNCATE.
CREATE FUNCTION pb.refuse_invoice_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'issued invoices never change (%)', TG_TABLE_NAME;
END
$$;

CREATE TRIGGER invoice_never_changes BEFORE UPDATE OR DELETE ON pb.invoice
	FOR EACH ROW EXECUTE FUNCTION pb.refuse_invoice_change();
CREATE TRIGGER invoice_line_never_changes BEFORE UPDATE OR DELETE ON pb.invoice_line
	FOR EACH ROW EXECUTE FUNCTION pb.refuse_invoice_change();
CREATE TRIGGER invoice_part_never_changes BEFORE UPDATE OR DELETE ON pb.invoice_part
	FOR EACH ROW EXECUTE FUNCTION pb.refuse_invoice_change();
CREATE TRIGGER invoice_no_truncate BEFORE TRUNCATE ON pb.invoice
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_invoice_change();
CREATE TRIGGER invoice_line_no_truncate BEFORE TRUNCATE ON pb.invoice_line
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_invoice_change();
CREATE TRIGGER invoice_part_no_truncate BEFORE TRUNCATE ON pb.invoice_part
	FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_invoice_change();
