-- Each import's daily rows in a table of their own, loaded by COPY in the transaction that created it and made
-- a partition of its month only at commit: no index to keep up while loading, and superseding an import drops
-- its table instead of deleting its rows. A month's partition is itself partitioned by import; its default
-- partition holds the rows written before this migration (and any a script inserts under an import without a
-- table of its own), removed by DELETE when their import is superseded.

DO $$
DECLARE
	p record;
	months text[] := '{}';
	m text;
	first date;
BEGIN
	FOR p IN SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
		WHERE h.inhparent = 'pb.usage_daily'::regclass ORDER BY c.relname
	LOOP
		EXECUTE format('ALTER TABLE pb.usage_daily DETACH PARTITION pb.%I', p.relname);
		EXECUTE format('ALTER TABLE pb.%I RENAME TO %I', p.relname, p.relname || '_default');
		months := months || p.relname;
	END LOOP;
	-- An import's rows are found by partition now; the rows of the default partitions keep their own index.
	DROP INDEX pb.usage_daily_import;
	FOREACH m IN ARRAY months LOOP
		first := to_date(substr(m, length('usage_daily_') + 1), 'YYYY_MM');
		EXECUTE format('CREATE TABLE pb.%I PARTITION OF pb.usage_daily FOR VALUES FROM (%L) TO (%L) '
			'PARTITION BY LIST (import_id)', m, first, (first + interval '1 month')::date);
		EXECUTE format('ALTER TABLE pb.%I ATTACH PARTITION pb.%I DEFAULT', m, m || '_default');
	END LOOP;
END
$$;

-- A month's partition, partitioned by import, with its default partition.
CREATE OR REPLACE FUNCTION pb.ensure_usage_partition(month date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	name text := format('usage_daily_%s', to_char(month, 'YYYY_MM'));
BEGIN
	IF to_regclass(format('pb.%I', name)) IS NULL THEN
		PERFORM pg_advisory_xact_lock(hashtextextended('pb-partitions', 0));
		IF to_regclass(format('pb.%I', name)) IS NULL THEN
			EXECUTE format('CREATE TABLE pb.%I PARTITION OF pb.usage_daily FOR VALUES FROM (%L) TO (%L) '
				'PARTITION BY LIST (import_id)', name, month, (month + interval '1 month')::date);
			EXECUTE format('CREATE TABLE pb.%I PARTITION OF pb.%I DEFAULT', name || '_default', name);
			EXECUTE format('CREATE INDEX ON pb.%I (import_id)', name || '_default');
		END IF;
	END IF;
END
$$;

-- The name of the table that holds an import's daily rows.
CREATE FUNCTION pb.import_rows_table(import_id bigint, month date) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT format('usage_daily_%s_import_%s', to_char(month, 'YYYY_MM'), import_id)
$$;

-- Removes the daily rows of an import of the month: its table, or its rows in the default partition.
CREATE FUNCTION pb.drop_import_rows(import_id bigint, month date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	name text := pb.import_rows_table(import_id, month);
BEGIN
	IF to_regclass(format('pb.%I', name)) IS NOT NULL THEN
		EXECUTE format('DROP TABLE pb.%I', name);
	END IF;
	DELETE FROM pb.usage_daily u WHERE u.billing_month = month AND u.import_id = drop_import_rows.import_id;
END
$$;

-- Creates the table of an import's daily rows (not yet a partition: see pb.attach_import_rows) and returns its
-- name. Its constraints are those of a partition of the month for the import, so attaching it reads no row.
CREATE FUNCTION pb.create_import_rows(import_id bigint, month date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	name text := pb.import_rows_table(import_id, month);
BEGIN
	EXECUTE format('CREATE TABLE pb.%I (LIKE pb.usage_daily INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
		'CHECK (import_id = %s), CHECK (billing_month >= %L AND billing_month < %L))',
		name, import_id, month, (month + interval '1 month')::date);
	RETURN name;
END
$$;

-- Makes the table of pb.create_import_rows a partition of its month.
CREATE FUNCTION pb.attach_import_rows(import_id bigint, month date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('ALTER TABLE pb.%I ATTACH PARTITION pb.%I FOR VALUES IN (%s)',
		format('usage_daily_%s', to_char(month, 'YYYY_MM')), pb.import_rows_table(import_id, month), import_id);
END
$$;
