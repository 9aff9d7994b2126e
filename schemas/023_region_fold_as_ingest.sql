-- pb-prices: pb.region_fold as pb-ingest keys a region. pb-ingest keeps the first 127 ASCII letters and digits of a
-- region's name, lowercased as ASCII: the function lowercased in the database's collation (in a Turkish one
-- "CENTRAL INDIA" was "centralındıa") and kept the whole name, so that two regions pb-ingest takes for one (alike
-- in their first 127 letters and digits) were two to pb-prices' refusal of a key priced two ways. The name is taken
-- in the "C" collation first, so that the regular expression runs there too (a nondeterministic collation refuses
-- one).
CREATE OR REPLACE FUNCTION pb.region_fold(region text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT left(lower(regexp_replace(region COLLATE "C", '[^A-Za-z0-9]', '', 'g')), 127)
$$;
