-- pb-prices: a pair of region names, once in force, stays in force. A load drops the older prices its own cover in
-- either name of a pair (pb-prices LOADS), so a pair that a later list contradicted (an edge zone filed under its
-- parent's location) and that stopped holding left the lines of that region without the prices dropped under it.
-- A pair holds when it is the first seen with each of its two names: a name a later list pairs with another stays
-- a region of its own, and two pairs a list gives at once that share a name hold neither, then or later.
-- Each pb-ingest run reads the view: it is worked out by sorts (no join of the pairs with themselves, which the
-- planner, expecting a few rows, ran as nested loops: 11 s for 5,000 pairs).
CREATE OR REPLACE VIEW pb.region_alias AS
WITH e AS (
	SELECT vendor, pb.region_fold(name) AS alias, pb.region_fold(location) AS region, min(first_seen) AS seen
	FROM pb.price_region GROUP BY 1, 2, 3
), t AS (
	-- Each pair twice, once under each of its names.
	SELECT vendor, alias, region, seen, n AS name FROM e, unnest(ARRAY[alias, region]) n
	WHERE alias <> region AND alias <> '' AND region <> ''
), w AS (
	SELECT t.*, min(seen) OVER (PARTITION BY vendor, name) AS first FROM t
), f AS (
	SELECT w.*, count(*) FILTER (WHERE seen = first) OVER (PARTITION BY vendor, name) AS firsts FROM w
)
SELECT vendor, alias, region FROM f GROUP BY vendor, alias, region HAVING bool_and(seen = first AND firsts = 1);
