-- Per run, each CLC account's eligibility per vendor as the run applied it. An issued month keeps the
-- eligibility of the run its invoice froze: a later run of the month applies it again to the accounts it
-- holds, so a change of country, reseller or terms applies to the months after and never refunds (or bills)
-- a closed month. A superseded run's rows are dropped unless it is frozen.
CREATE TABLE pb.aggregate_eligibility (
	run_id bigint NOT NULL REFERENCES pb.aggregate_run (id),
	alias text NOT NULL,
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure')),
	eligible boolean NOT NULL,
	reason text NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, alias, vendor)
);

CREATE TRIGGER aggregate_eligibility_frozen_update AFTER UPDATE ON pb.aggregate_eligibility
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
CREATE TRIGGER aggregate_eligibility_frozen_delete AFTER DELETE ON pb.aggregate_eligibility
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pb.refuse_frozen_rows();
