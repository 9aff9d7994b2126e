-- pb-accounts: CLC accounts, terms acceptance, the mapping of partner accounts to CLC accounts over time,
-- Partner Center customer creation requests, and usage attributed to CLC accounts by usage date.

-- The exclusion constraint on partner_account compares text with = inside a GiST index.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A CenturyLink Cloud account: what eligibility looks at, and the company profile a partner customer is
-- created with. A reseller's customers name it in parent_reseller. updated_by and updated_at: the last
-- change made with pb-accounts update (NULL: never changed).
CREATE TABLE pb.clc_account (
	alias text PRIMARY KEY CHECK (alias ~ '^[A-Z0-9]{2,6}$'),
	name text NOT NULL CHECK (name <> ''),
	billing_country text NOT NULL CHECK (billing_country ~ '^[A-Z]{2}$'),
	is_reseller boolean NOT NULL DEFAULT false,
	parent_reseller text REFERENCES pb.clc_account (alias) CHECK (parent_reseller <> alias),
	domain text CHECK (domain ~ '^[a-z0-9][a-z0-9-]*\.onmicrosoft\.com$'),
	email text CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
	first_name text,
	last_name text,
	address_line1 text,
	city text,
	state text,
	postal_code text,
	phone text,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_by text,
	updated_at timestamptz
);

CREATE INDEX clc_account_parent ON pb.clc_account (parent_reseller);

-- Who accepted which version of which terms, and when. The CenturyLink terms have no region; a vendor's
-- terms are accepted for a region, the two-letter country code of the account's billing address.
CREATE TABLE pb.terms_acceptance (
	id bigserial PRIMARY KEY,
	alias text NOT NULL REFERENCES pb.clc_account (alias),
	terms text NOT NULL CHECK (terms IN ('centurylink', 'aws', 'azure')),
	region text CHECK (region ~ '^[A-Z]{2}$'),
	version text NOT NULL CHECK (version <> ''),
	accepted_by text NOT NULL CHECK (accepted_by <> ''),
	accepted_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((terms = 'centurylink') = (region IS NULL))
);

CREATE INDEX terms_acceptance_alias ON pb.terms_acceptance (alias, terms, region);

-- A partner account (AWS linked account, Azure customer tenant or subscription) belongs to a CLC account
-- from valid_from to valid_to, both days included (valid_to NULL: open-ended). One partner account maps to
-- one CLC account at a time: the exclusion constraint refuses overlapping validities, whoever inserts.
CREATE TABLE pb.partner_account (
	id bigserial PRIMARY KEY,
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure')),
	partner_account_id text NOT NULL CHECK (partner_account_id <> ''),
	alias text NOT NULL REFERENCES pb.clc_account (alias),
	valid_from date NOT NULL,
	valid_to date CHECK (valid_to >= valid_from),
	validity daterange NOT NULL GENERATED ALWAYS AS (daterange(valid_from, valid_to, '[]')) STORED,
	origin text NOT NULL DEFAULT 'link',
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	ended_by text,
	ended_at timestamptz,
	-- Azure ids (GUIDs) in lowercase, as pb-ingest stores them, so that a link matches its usage.
	CONSTRAINT partner_account_azure_lowercase CHECK (vendor <> 'azure' OR partner_account_id = lower(partner_account_id)),
	CONSTRAINT partner_account_no_overlap EXCLUDE USING gist (
		vendor WITH =, partner_account_id WITH =, validity WITH &&)
);

CREATE INDEX partner_account_alias ON pb.partner_account (alias);

-- Each Partner Center customer creation: the MS-RequestId is stored before the request is sent, so a
-- retry after a timeout sends the same id and Partner Center answers with the customer it made.
-- pending: sent or about to be, outcome unknown; failed: refused by Partner Center; succeeded: tenant_id.
CREATE TABLE pb.customer_creation_request (
	id bigserial PRIMARY KEY,
	alias text NOT NULL REFERENCES pb.clc_account (alias),
	vendor text NOT NULL DEFAULT 'azure' CHECK (vendor = 'azure'),
	request_id uuid NOT NULL UNIQUE,
	domain text NOT NULL,
	status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
	tenant_id text,
	attempts integer NOT NULL DEFAULT 0,
	error text,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((status = 'succeeded') = (tenant_id IS NOT NULL))
);

-- At most one open (pending) or successful request per account and vendor.
CREATE UNIQUE INDEX customer_creation_request_open ON pb.customer_creation_request (alias, vendor)
	WHERE status IN ('pending', 'succeeded');

-- The daily rows of committed imports, each with the CLC account its partner account was mapped to on its
-- usage date (alias NULL when unmapped). The exclusion constraint makes the match unique.
CREATE VIEW pb.usage_attributed AS
SELECT u.import_id, u.vendor, u.billing_month, u.partner_account_id, u.usage_date, u.charge_category, u.service,
	u.region, u.currency, u.list_cost, u.billed_cost, u.line_count, pa.alias, pa.id AS partner_account_link
FROM pb.usage_daily u
JOIN pb.import i ON i.id = u.import_id AND i.status = 'committed'
LEFT JOIN pb.partner_account pa ON pa.vendor = u.vendor AND pa.partner_account_id = u.partner_account_id
	AND pa.validity @> u.usage_date;
