-- pb-prices: the two names of an Azure region. Azure writes a region by its programmatic name (the Retail Prices
-- API's armRegionName, a cost line's ResourceLocation: "eastus") or by its display name (the API's location, a
-- price sheet's meterRegion, a cost line's MeterRegion: "US East"), and the two do not compare alike on their
-- letters and digits. Every item of the Retail Prices API gives both: each load records the pairs its items gave,
-- and pb-prices and pb-ingest take the two names of a pair for one region.

-- Letters and digits only, lowercase: "US East", "us-east" and "useast" are one text, as pb-ingest compares them.
CREATE FUNCTION pb.region_fold(region text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT lower(regexp_replace(region, '[^A-Za-z0-9]', '', 'g'))
$$;

-- A pair of names of one region, as a price list gave them (armRegionName, location), and when it was first seen.
CREATE TABLE pb.price_region (
	vendor text NOT NULL CHECK (vendor IN ('aws', 'azure')),
	name text NOT NULL CHECK (name <> ''),
	location text NOT NULL CHECK (location <> ''),
	first_seen timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (vendor, name, location)
);

-- The names that stand for another: a programmatic name (folded) and the display name (folded) it stands for.
-- Only a pair whose two names the lists pair with nothing else is used: a name given with two others (an edge zone
-- that the API files under its parent's location, say) stays a region of its own, as a name no list paired does.
CREATE VIEW pb.region_alias AS
WITH e AS (
	SELECT DISTINCT vendor, pb.region_fold(name) AS alias, pb.region_fold(location) AS region FROM pb.price_region
), p AS (
	SELECT * FROM e WHERE alias <> region AND alias <> '' AND region <> ''
), n AS (
	SELECT vendor, t, count(*) AS pairs FROM (SELECT vendor, alias AS t FROM p UNION ALL SELECT vendor, region FROM p) s
	GROUP BY vendor, t
)
SELECT p.vendor, p.alias, p.region FROM p
	JOIN n a ON a.vendor = p.vendor AND a.t = p.alias AND a.pairs = 1
	JOIN n r ON r.vendor = p.vendor AND r.t = p.region AND r.pairs = 1;
