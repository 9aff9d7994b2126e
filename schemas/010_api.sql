-- pb-api: the bearer tokens of the JSON API, and the notifications that let every running server drop what it
-- cached the moment a new aggregate run becomes current or a token is revoked.

-- A token is shown once, when made; only its SHA-256 is kept. An account token reads one CLC account's
-- figures; a platform token reads every account's.
CREATE TABLE pb.api_token (
	id bigserial PRIMARY KEY,
	kind text NOT NULL CHECK (kind IN ('account', 'platform')),
	alias text REFERENCES pb.clc_account (alias),
	sha256 text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by text NOT NULL,
	revoked_at timestamptz,
	revoked_by text,
	last_used_at timestamptz,
	CHECK ((kind = 'account') = (alias IS NOT NULL)),
	CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

-- A revoked token stays revoked: the row keeps who revoked it and when.
CREATE FUNCTION pb.api_token_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at
		OR NEW.revoked_by IS DISTINCT FROM OLD.revoked_by) THEN
		RAISE EXCEPTION 'api token % is revoked: it cannot be restored', OLD.id;
	END IF;
	IF NEW.sha256 <> OLD.sha256 OR NEW.kind <> OLD.kind OR NEW.alias IS DISTINCT FROM OLD.alias THEN
		RAISE EXCEPTION 'api token %: only its revocation and last use may change', OLD.id;
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER api_token_guard BEFORE UPDATE ON pb.api_token FOR EACH ROW EXECUTE FUNCTION pb.api_token_guard();

-- Channel pb_api_token, payload the token's id: sent when a token is revoked or deleted, delivered at commit.
CREATE FUNCTION pb.api_token_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('pb_api_token', OLD.id::text);
	RETURN NULL;
END
$$;

CREATE TRIGGER api_token_revoked AFTER UPDATE OF revoked_at ON pb.api_token FOR EACH ROW
	WHEN (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL) EXECUTE FUNCTION pb.api_token_notify();
CREATE TRIGGER api_token_deleted AFTER DELETE ON pb.api_token FOR EACH ROW EXECUTE FUNCTION pb.api_token_notify();

-- Channel pb_aggregate_run, payload the month (YYYY-MM): sent when a run becomes the month's current one
-- (inserted as current, or its status changed), delivered when that transaction commits.
CREATE FUNCTION pb.aggregate_run_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('pb_aggregate_run', to_char(NEW.billing_month, 'YYYY-MM'));
	RETURN NULL;
END
$$;

CREATE TRIGGER aggregate_run_current_insert AFTER INSERT ON pb.aggregate_run FOR EACH ROW
	WHEN (NEW.status = 'current') EXECUTE FUNCTION pb.aggregate_run_notify();
CREATE TRIGGER aggregate_run_status_update AFTER UPDATE OF status ON pb.aggregate_run FOR EACH ROW
	WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION pb.aggregate_run_notify();
