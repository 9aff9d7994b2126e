-- Two sessions making the same month's partition at once (two imports of a new month started together): the
-- second waited for the first's advisory lock, then looked the table up again in the catalog it had read
-- before the wait, did not see it and failed on "relation usage_daily_YYYY_MM already exists". A partition
-- made meanwhile is now taken as made: the first session made all three objects in one transaction.
CREATE OR REPLACE FUNCTION pb.ensure_usage_partition(month date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	name text := format('usage_daily_%s', to_char(month, 'YYYY_MM'));
BEGIN
	IF to_regclass(format('pb.%I', name)) IS NULL THEN
		PERFORM pg_advisory_xact_lock(hashtextextended('pb-partitions', 0));
		IF to_regclass(format('pb.%I', name)) IS NULL THEN
			BEGIN
				EXECUTE format('CREATE TABLE pb.%I PARTITION OF pb.usage_daily FOR VALUES FROM (%L) TO (%L) '
					'PARTITION BY LIST (import_id)', name, month, (month + interval '1 month')::date);
				EXECUTE format('CREATE TABLE pb.%I PARTITION OF pb.%I DEFAULT', name || '_default', name);
				EXECUTE format('CREATE INDEX ON pb.%I (import_id)', name || '_default');
			EXCEPTION WHEN duplicate_table THEN
				NULL;
			END;
		END IF;
	END IF;
END
$$;
