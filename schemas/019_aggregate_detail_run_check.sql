-- A run's detail is stored by one INSERT ... SELECT of up to millions of rows, all naming the run the same
-- transaction made. The foreign key on pb.aggregate_detail.run_id checked each row against pb.aggregate_run, a
-- lookup per row: 11 s of the 31 s the INSERT of 960,000 rows (20,000 accounts) took. The same promise, that no row
-- of detail names a run that is not there, is now kept once per statement: the runs the new rows name are locked
-- as the key's check locked them (FOR KEY SHARE, so that none is removed meanwhile) and looked for; a run that has
-- detail is not removed or renumbered. The messages are those of the key.
ALTER TABLE pb.aggregate_detail DROP CONSTRAINT aggregate_detail_run_id_fkey;

CREATE FUNCTION pb.aggregate_detail_run_exists() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	missing bigint;
BEGIN
	PERFORM FROM pb.aggregate_run r WHERE r.id IN (SELECT DISTINCT n.run_id FROM new_rows n) ORDER BY r.id
		FOR KEY SHARE OF r;
	SELECT min(n.run_id) INTO missing FROM (SELECT DISTINCT run_id FROM new_rows) n
		WHERE NOT EXISTS (SELECT FROM pb.aggregate_run r WHERE r.id = n.run_id);
	IF missing IS NOT NULL THEN
		RAISE foreign_key_violation USING
			MESSAGE = 'insert or update on table "aggregate_detail" violates foreign key constraint "aggregate_detail_run_id_fkey"',
			DETAIL = format('Key (run_id)=(%s) is not present in table "aggregate_run".', missing),
			SCHEMA = 'pb', TABLE = 'aggregate_detail', CONSTRAINT = 'aggregate_detail_run_id_fkey';
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER aggregate_detail_run_insert AFTER INSERT ON pb.aggregate_detail REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.aggregate_detail_run_exists();
CREATE TRIGGER aggregate_detail_run_update AFTER UPDATE ON pb.aggregate_detail REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION pb.aggregate_detail_run_exists();

CREATE FUNCTION pb.aggregate_run_keeps_detail() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF (TG_OP = 'DELETE' OR NEW.id <> OLD.id) AND EXISTS (SELECT FROM pb.aggregate_detail d WHERE d.run_id = OLD.id) THEN
		RAISE foreign_key_violation USING
			MESSAGE = 'update or delete on table "aggregate_run" violates foreign key constraint "aggregate_detail_run_id_fkey" on table "aggregate_detail"',
			DETAIL = format('Key (id)=(%s) is still referenced from table "aggregate_detail".', OLD.id),
			SCHEMA = 'pb', TABLE = 'aggregate_detail', CONSTRAINT = 'aggregate_detail_run_id_fkey';
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER aggregate_run_detail AFTER DELETE OR UPDATE OF id ON pb.aggregate_run
	FOR EACH ROW EXECUTE FUNCTION pb.aggregate_run_keeps_detail();
