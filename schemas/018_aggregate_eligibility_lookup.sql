-- A run looks up each account's eligibility in the latest frozen run of the month (per alias and vendor,
-- the highest run id). With only the primary key (run_id, alias, vendor) and no statistics yet (a new
-- database, or before autovacuum came round), the planner walked the whole key backwards for every account
-- and vendor, while the same statement filled the table: 22,000 accounts took 18 to 50 s to record, and the
-- time grows with the square of the accounts. This index answers the lookup in a few pages whatever the
-- statistics.
CREATE INDEX aggregate_eligibility_lookup ON pb.aggregate_eligibility (alias, vendor, run_id);
