-- A benchmark month (psql variables day0, pre, n, imp), for bench/aggregate.sh and bench/invoice.sh: n CLC
-- accounts PRE1.. (one in ten invoiced in EUR), eligible for AWS and Azure, each with two AWS accounts and an
-- Azure subscription linked for the month of day0 only, and two final imports of the month (aws imp, azure
-- imp + 1), with no rows yet.
INSERT INTO pb.clc_account (alias, name, billing_country, invoice_currency, created_by)
	SELECT :'pre' || i, 'Bench account ' || i, 'US', CASE WHEN i % 10 = 0 THEN 'EUR' ELSE 'USD' END, 'bench'
	FROM generate_series(1, :n) i;
INSERT INTO pb.terms_acceptance (alias, terms, region, version, accepted_by)
	SELECT :'pre' || i, t, CASE WHEN t = 'centurylink' THEN NULL ELSE 'US' END, '1', 'bench'
	FROM generate_series(1, :n) i, unnest(ARRAY['centurylink', 'aws', 'azure']) t;
INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, valid_to, created_by)
	SELECT 'aws', :'pre' || lpad((i * 2 + k)::text, 11, '0'), :'pre' || i, :'day0'::date,
	(:'day0'::date + interval '1 month' - interval '1 day')::date, 'bench'
	FROM generate_series(1, :n) i, generate_series(0, 1) k
	UNION ALL SELECT 'azure', '00000000-0000-4000-8000-' || lower(:'pre') || lpad(i::text, 11, '0'), :'pre' || i,
	:'day0'::date, (:'day0'::date + interval '1 month' - interval '1 day')::date, 'bench'
	FROM generate_series(1, :n) i;
INSERT INTO pb.import (id, vendor, format, source, billing_month, status, final)
	VALUES (:imp, 'aws', 'aws-cur', 'bench:' || :imp, :'day0'::date, 'committed', true),
	(:imp + 1, 'azure', 'azure-cost', 'bench:' || :imp + 1, :'day0'::date, 'committed', true);
