-- The store of normalized usage: imports, the files they read, and the daily rows.
CREATE SCHEMA IF NOT EXISTS pb;

-- One run of pb-ingest over one source and billing month.
CREATE TABLE pb.import (
	id bigserial PRIMARY KEY,
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure')),
	source text NOT NULL,
	billing_month date NOT NULL CHECK (extract(day FROM billing_month) = 1),
	assembly_id text,
	status text NOT NULL CHECK (status IN ('running', 'committed', 'failed', 'superseded')),
	final boolean NOT NULL DEFAULT false,
	started_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	file_count integer,
	line_count bigint,
	row_count bigint,
	list_total numeric,
	billed_total numeric,
	error text,
	run_by text NOT NULL DEFAULT ''
);

-- At most one current import per source and month.
CREATE UNIQUE INDEX import_one_committed ON pb.import (vendor, source, billing_month) WHERE status = 'committed';
CREATE INDEX import_month ON pb.import (billing_month, vendor);

-- Every file an import read, so any figure can be traced back to its bytes.
CREATE TABLE pb.import_file (
	import_id bigint NOT NULL REFERENCES pb.import (id) ON DELETE CASCADE,
	seq integer NOT NULL,
	uri text NOT NULL,
	bytes bigint NOT NULL,
	sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	etag text,
	line_count bigint NOT NULL,
	list_total numeric NOT NULL,
	billed_total numeric NOT NULL,
	PRIMARY KEY (import_id, seq)
);

-- The normalized daily rows (shared/DESIGN.md), under the import that wrote them.
CREATE TABLE pb.usage_daily (
	import_id bigint NOT NULL,
	vendor text NOT NULL,
	billing_month date NOT NULL,
	partner_account_id text NOT NULL,
	usage_date date NOT NULL,
	charge_category text NOT NULL,
	service text NOT NULL,
	region text NOT NULL,
	currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	list_cost numeric,
	billed_cost numeric,
	line_count bigint NOT NULL CHECK (line_count > 0)
) PARTITION BY RANGE (billing_month);

CREATE INDEX usage_daily_import ON pb.usage_daily (import_id);

-- A month's partition, made on first use by the import that needs it.
CREATE FUNCTION pb.ensure_usage_partition(month date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	name text := format('usage_daily_%s', to_char(month, 'YYYY_MM'));
BEGIN
	IF to_regclass(format('pb.%I', name)) IS NULL THEN
		EXECUTE format('CREATE TABLE pb.%I PARTITION OF pb.usage_daily FOR VALUES FROM (%L) TO (%L)',
			name, month, (month + interval '1 month')::date);
	END IF;
END
$$;
