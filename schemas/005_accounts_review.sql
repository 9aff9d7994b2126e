-- pb-accounts review: country codes the database itself checks against ISO 3166-1, the two account fields
-- billing reads (invoice currency and markup), and links proposed from what customers name and tag, which
-- wait for a person's approval instead of being made.

-- The officially assigned ISO 3166-1 alpha-2 codes (249; the same list as common/country.c). GB is the
-- United Kingdom; UK, EU and the user-assigned XK are not assigned codes.
CREATE FUNCTION pb.iso3166_alpha2(code text) RETURNS boolean
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$
	SELECT code = ANY ('{
		AD,AE,AF,AG,AI,AL,AM,AO,AQ,AR,AS,AT,AU,AW,AX,AZ,
		BA,BB,BD,BE,BF,BG,BH,BI,BJ,BL,BM,BN,BO,BQ,BR,BS,BT,BV,BW,BY,BZ,
		CA,CC,CD,CF,CG,CH,CI,CK,CL,CM,CN,CO,CR,CU,CV,CW,CX,CY,CZ,
		DE,DJ,DK,DM,DO,DZ,
		EC,EE,EG,EH,ER,ES,ET,
		FI,FJ,FK,FM,FO,FR,
		GA,GB,GD,GE,GF,GG,GH,GI,GL,GM,GN,GP,GQ,GR,GS,GT,GU,GW,GY,
		HK,HM,HN,HR,HT,HU,
		ID,IE,IL,IM,IN,IO,IQ,IR,IS,IT,
		JE,JM,JO,JP,
		KE,KG,KH,KI,KM,KN,KP,KR,KW,KY,KZ,
		LA,LB,LC,LI,LK,LR,LS,LT,LU,LV,LY,
		MA,MC,MD,ME,MF,MG,MH,MK,ML,MM,MN,MO,MP,MQ,MR,MS,MT,MU,MV,MW,MX,MY,MZ,
		NA,NC,NE,NF,NG,NI,NL,NO,NP,NR,NU,NZ,
		OM,
		PA,PE,PF,PG,PH,PK,PL,PM,PN,PR,PS,PT,PW,PY,
		QA,
		RE,RO,RS,RU,RW,
		SA,SB,SC,SD,SE,SG,SH,SI,SJ,SK,SL,SM,SN,SO,SR,SS,ST,SV,SX,SY,SZ,
		TC,TD,TF,TG,TH,TJ,TK,TL,TM,TN,TO,TR,TT,TV,TW,TZ,
		UA,UG,UM,US,UY,UZ,
		VA,VC,VE,VG,VI,VN,VU,
		WF,WS,
		YE,YT,
		ZA,ZM,ZW}'::text[])
	$$;

-- The active ISO 4217 codes that have a minor unit (166; the same list as common/currency.c): what an
-- invoice can be written in.
CREATE FUNCTION pb.iso4217_currency(code text) RETURNS boolean
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$
	SELECT code = ANY ('{
		AED,AFN,ALL,AMD,ANG,AOA,ARS,AUD,AWG,AZN,BAM,BBD,BDT,BGN,BHD,BIF,BMD,BND,BOB,BOV,
		BRL,BSD,BTN,BWP,BYN,BZD,CAD,CDF,CHE,CHF,CHW,CLF,CLP,COP,COU,CRC,CUC,CUP,CVE,CZK,
		DJF,DKK,DOP,DZD,EGP,ERN,ETB,EUR,FJD,FKP,GBP,GEL,GHS,GIP,GMD,GNF,GTQ,GYD,HKD,HNL,
		HTG,HUF,IDR,ILS,INR,IQD,IRR,ISK,JMD,JOD,JPY,KES,KGS,KHR,KMF,KPW,KRW,KWD,KYD,KZT,
		LAK,LBP,LKR,LRD,LSL,LYD,MAD,MDL,MGA,MKD,MMK,MNT,MOP,MRU,MUR,MVR,MWK,MXN,MXV,MYR,
		MZN,NAD,NGN,NIO,NOK,NPR,NZD,OMR,PAB,PEN,PGK,PHP,PKR,PLN,PYG,QAR,RON,RSD,RUB,RWF,
		SAR,SBD,SCR,SDG,SEK,SGD,SHP,SLE,SOS,SRD,SSP,STN,SVC,SYP,SZL,THB,TJS,TMT,TND,TOP,
		TRY,TTD,TWD,TZS,UAH,UGX,USD,USN,UYI,UYU,UYW,UZS,VED,VES,VND,VUV,WST,XAF,XCD,XCG,
		XOF,XPF,YER,ZAR,ZMW,ZWG}'::text[])
	$$;

-- Existing rows. 'UK' can only have meant the United Kingdom: it becomes GB, in accounts (recorded as a
-- change made by this migration) and in the regions terms were accepted for, so that an account and its
-- terms still match. Any other code that is not assigned cannot be guessed: the migration stops, naming
-- the rows, for someone to correct them (pb-db psql) before running pb-db migrate again. Fresh databases
-- have no such rows.
UPDATE pb.clc_account SET billing_country = 'GB', updated_by = 'migration 005_accounts_review (UK is GB in ISO 3166-1)',
	updated_at = now() WHERE billing_country = 'UK';
UPDATE pb.terms_acceptance SET region = 'GB' WHERE region = 'UK';
DO $$
DECLARE
	bad text;
BEGIN
	SELECT string_agg(what, ', ') INTO bad FROM (
		SELECT 'account ' || alias || ' billing_country ' || billing_country AS what FROM pb.clc_account
		WHERE NOT pb.iso3166_alpha2(billing_country)
		UNION ALL
		SELECT 'terms_acceptance ' || id || ' region ' || region FROM pb.terms_acceptance
		WHERE NOT pb.iso3166_alpha2(region)) b;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'codes that are not ISO 3166-1 countries: %; correct them with pb-db psql, then run pb-db migrate again', bad;
	END IF;
END
$$;

ALTER TABLE pb.clc_account ADD CONSTRAINT clc_account_country_iso3166 CHECK (pb.iso3166_alpha2(billing_country));
ALTER TABLE pb.terms_acceptance ADD CONSTRAINT terms_acceptance_region_iso3166 CHECK (pb.iso3166_alpha2(region));

-- What billing reads of an account: the currency its invoices are written in, and a markup (negative: a
-- discount) in percent of the month's total, exact. 006_aggregate makes the columns too when this file is
-- applied after it (IF NOT EXISTS on both sides); the checks are this file's.
ALTER TABLE pb.clc_account ADD COLUMN IF NOT EXISTS invoice_currency text NOT NULL DEFAULT 'USD';
ALTER TABLE pb.clc_account ADD COLUMN IF NOT EXISTS markup_percent numeric NOT NULL DEFAULT 0;
ALTER TABLE pb.clc_account
	ADD CONSTRAINT clc_account_invoice_currency CHECK (pb.iso4217_currency(invoice_currency)),
	ADD CONSTRAINT clc_account_markup_percent CHECK (markup_percent BETWEEN -100 AND 1000
		AND scale(markup_percent) <= 6);

-- A link a mapping rule proposes from text the customer controls (an account, subscription or customer
-- name, a resource tag): it is made only when a person approves it (pb-accounts approve), never by the
-- rule. One open proposal per partner account and alias; a decided one keeps who decided, when and why,
-- and an approved one the link it made. rule is the rules file and line ("FILE:LINE"), evidence the name
-- it matched and its kind, month the first month whose imports gave that name.
CREATE TABLE pb.link_proposal (
	id bigserial PRIMARY KEY,
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure')),
	partner_account_id text NOT NULL CHECK (partner_account_id <> ''),
	alias text NOT NULL CHECK (alias ~ '^[A-Z0-9]{2,6}$'),
	rule text NOT NULL CHECK (rule <> ''),
	evidence_kind text NOT NULL CHECK (evidence_kind IN ('account_name', 'subscription_name', 'customer_name', 'tag')),
	evidence_name text NOT NULL,
	month date NOT NULL CHECK (extract(day FROM month) = 1),
	status text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected')),
	decided_by text CHECK (decided_by <> ''),
	decided_at timestamptz,
	reason text,
	link_id bigint REFERENCES pb.partner_account (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT link_proposal_decided CHECK ((status = 'proposed') = (decided_by IS NULL)
		AND (decided_by IS NULL) = (decided_at IS NULL)),
	CONSTRAINT link_proposal_rejected_why CHECK (status <> 'rejected' OR coalesce(reason, '') <> ''),
	CONSTRAINT link_proposal_approved_link CHECK ((status = 'approved') = (link_id IS NOT NULL)),
	CONSTRAINT link_proposal_azure_lowercase CHECK (vendor <> 'azure' OR partner_account_id = lower(partner_account_id))
);

CREATE UNIQUE INDEX link_proposal_open ON pb.link_proposal (vendor, partner_account_id, alias) WHERE status = 'proposed';
CREATE INDEX link_proposal_status ON pb.link_proposal (status, id);
