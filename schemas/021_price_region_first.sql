-- pb-prices: a pair of region names, once in force, stays in force. A load drops the older prices its own cover in
-- either name of a pair (pb-prices LOADS), so a pair that a later list contradicted (an edge zone filed under its
-- parent's location) and that stopped holding left the lines of that region without the prices dropped under it.
-- A pair holds when it is the first seen with each of its two names: a name a later list pairs with another stays
-- a region of its own, and two pairs a list gives at once that share a name hold neither, then or later.
CREATE OR REPLACE VIEW pb.region_alias AS
WITH e AS (
	SELECT vendor, pb.region_fold(name) AS alias, pb.region_fold(location) AS region, min(first_seen) AS seen
	FROM pb.price_region GROUP BY 1, 2, 3
), p AS (
	SELECT * FROM e WHERE alias <> region AND alias <> '' AND region <> ''
), t AS (
	SELECT vendor, t, seen, count(*) AS pairs
	FROM (SELECT vendor, alias AS t, seen FROM p UNION ALL SELECT vendor, region, seen FROM p) s
	GROUP BY vendor, t, seen
), f AS (
	SELECT DISTINCT ON (vendor, t) vendor, t, seen, pairs FROM t ORDER BY vendor, t, seen
)
SELECT p.vendor, p.alias, p.region FROM p
	JOIN f a ON a.vendor = p.vendor AND a.t = p.alias AND a.seen = p.seen AND a.pairs = 1
	JOIN f r ON r.vendor = p.vendor AND r.t = p.region AND r.seen = p.seen AND r.pairs = 1;
