-- Per run, the month's conversion rates it read, in its own snapshot: the rates it converted with. pb-invoice
-- compares them with the month's rates now, and refuses a run whose rate changed since; a time stamp cannot tell
-- (a run that waits for the month's rows reads a rate loaded while it waited, and a load that began before the run
-- commits a rate the run never read). A run stored before this table has none: it is judged by the time its rates
-- were loaded. Applied again (its record lost), it changes nothing.
CREATE TABLE IF NOT EXISTS pb.aggregate_rate (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	from_currency text NOT NULL,
	to_currency text NOT NULL,
	rate numeric NOT NULL,
	PRIMARY KEY (run_id, from_currency, to_currency)
);

DROP TRIGGER IF EXISTS aggregate_rate_frozen_update ON pb.aggregate_rate;
CREATE TRIGGER aggregate_rate_frozen_update AFTER UPDATE ON pb.aggregate_rate
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
DROP TRIGGER IF EXISTS aggregate_rate_frozen_delete ON pb.aggregate_rate;
CREATE TRIGGER aggregate_rate_frozen_delete AFTER DELETE ON pb.aggregate_rate
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
