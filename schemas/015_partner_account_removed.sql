-- Links removed by pb-accounts unlink (ended on the day before their first: they held on no day, a link made
-- by mistake). The row leaves pb.partner_account, so that the partner account can be linked to the right
-- account from that day; who made it, and who removed it and when, are kept here.
CREATE TABLE pb.partner_account_removed (
	id bigint PRIMARY KEY,
	vendor text NOT NULL,
	partner_account_id text NOT NULL,
	alias text NOT NULL REFERENCES pb.clc_account (alias),
	valid_from date NOT NULL,
	valid_to date,
	origin text NOT NULL,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL,
	removed_by text NOT NULL,
	removed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX partner_account_removed_alias ON pb.partner_account_removed (alias);
