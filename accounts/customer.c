/*
 * Azure customer creation as a protocol over pb.customer_creation_request: the MS-RequestId is committed
 * before the POST, so that whatever happens to the answer, the next run repeats the same request.
 */
#include "customer.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "account.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "link.h"
#include "partner_center.h"

#include "banned.h"

/* The profile fields Partner Center requires, besides the name and country every account has. */
static const enum pb_account_field required[] = {
	PB_ACCOUNT_DOMAIN,  PB_ACCOUNT_EMAIL, PB_ACCOUNT_FIRST_NAME,  PB_ACCOUNT_LAST_NAME,
	PB_ACCOUNT_ADDRESS, PB_ACCOUNT_CITY,  PB_ACCOUNT_POSTAL_CODE,
};

/* Adds key: the field's text to obj when the field is set. Returns 0, or -1 when it cannot. */
static int set_field(json_t *obj, const char *key, const char *value)
{
	json_t *s;

	if (!value)
		return 0;
	s = json_string(value);
	return s ? json_object_set_new(obj, key, s) : -1;
}

/*
 * The body of POST /v1/customers for account a, as compact JSON (free with free), or NULL when the text
 * is not UTF-8 or memory ran out.
 */
static char *customer_json(const struct pb_account *a)
{
	json_t *root = json_object(), *company = json_object(), *billing = json_object(), *address = json_object();
	const char *country = a->v[PB_ACCOUNT_COUNTRY];
	char *text = NULL;
	int bad = 0;

	if (!root || !company || !billing || !address) {
		json_decref(company);
		json_decref(billing);
		json_decref(address);
		goto out;
	}
	bad |= set_field(company, "domain", a->v[PB_ACCOUNT_DOMAIN]);
	bad |= set_field(billing, "email", a->v[PB_ACCOUNT_EMAIL]);
	bad |= set_field(billing, "culture", strcmp(country, "GB") == 0 ? "en-GB" : "en-US");
	bad |= set_field(billing, "language", "en");
	bad |= set_field(billing, "companyName", a->v[PB_ACCOUNT_NAME]);
	bad |= set_field(address, "country", country);
	bad |= set_field(address, "city", a->v[PB_ACCOUNT_CITY]);
	bad |= set_field(address, "state", a->v[PB_ACCOUNT_STATE]);
	bad |= set_field(address, "addressLine1", a->v[PB_ACCOUNT_ADDRESS]);
	bad |= set_field(address, "postalCode", a->v[PB_ACCOUNT_POSTAL_CODE]);
	bad |= set_field(address, "firstName", a->v[PB_ACCOUNT_FIRST_NAME]);
	bad |= set_field(address, "lastName", a->v[PB_ACCOUNT_LAST_NAME]);
	bad |= set_field(address, "phoneNumber", a->v[PB_ACCOUNT_PHONE]);
	bad |= json_object_set_new(billing, "defaultAddress", address);
	bad |= json_object_set_new(root, "companyProfile", company);
	bad |= json_object_set_new(root, "billingProfile", billing);
	if (!bad)
		text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(root);
	return text;
}

/* Checks the profile: 0, or PB_ERR_DATA naming every missing field. */
static int check_profile(const struct pb_account *a, struct pb_buf *err)
{
	size_t i, missing = 0;

	pb_buf_reset(err);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (a->v[required[i]])
			continue;
		pb_buf_addf(err, "%s%s", missing ? ", " : "", pb_account_fields[required[i]].column);
		missing++;
	}
	if (!missing)
		return 0;
	{
		struct pb_buf list = PB_BUF_INIT;

		pb_buf_addstr(&list, pb_buf_str(err));
		pb_buf_reset(err);
		pb_buf_addf(err, "the company profile of %s lacks %s, which Partner Center needs",
			    a->v[PB_ACCOUNT_ALIAS], pb_buf_str(&list));
		pb_buf_release(&list);
	}
	return PB_ERR_DATA;
}

/* The body of POST /v1/customers for account a, in *body (free with free): 0, or PB_ERR_DATA. */
static int body_of(const struct pb_account *a, char **body, struct pb_buf *err)
{
	*body = customer_json(a);
	if (*body)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "cannot write the customer of %s as JSON (is its profile UTF-8?)", a->v[PB_ACCOUNT_ALIAS]);
	return PB_ERR_DATA;
}

/* Takes the account's creation lock for this session: 1 taken, 0 held by another run, -1 failed. */
static int lock_account(PGconn *conn, const char *alias, int lock, struct pb_buf *err)
{
	struct pb_buf key = PB_BUF_INIT;
	const char *p[1];
	PGresult *res;
	int ret;

	pb_buf_addf(&key, "pb-accounts|create-azure-customer|%s", alias);
	p[0] = pb_buf_str(&key);
	res = pb_db_query(conn,
			  lock ? "SELECT pg_try_advisory_lock(hashtextextended($1, 0))"
			       : "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
			  1, p, err);
	ret = !res ? -1 : strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	pb_buf_release(&key);
	return ret;
}

/* Updates the request: status (NULL: unchanged), tenant and error (NULL clears), one more attempt if count. */
static int update_request(PGconn *conn, const char *request, const char *status, const char *tenant, const char *error,
			  int count, struct pb_buf *err)
{
	const char *p[5] = {request, status, tenant, error, count ? "1" : "0"};

	return pb_db_exec(conn,
			  "UPDATE pb.customer_creation_request SET status = coalesce($2, status), tenant_id = $3, "
			  "error = $4, attempts = attempts + $5::integer, updated_at = now() WHERE request_id = $1",
			  5, p, err) < 0
		       ? PB_ERR_DEPENDENCY
		       : 0;
}

/*
 * Whether tenant may be linked to alias: 1 when it has no link and had none; 0 when it has or had one of alias,
 * or had one of another account that unlink removed (nothing to do); PB_ERR_REFUSED, naming it, when it is linked
 * to another account (billed there: finance must hear of it); or PB_ERR_DEPENDENCY.
 */
static int tenant_free(PGconn *conn, const char *alias, const char *tenant, struct pb_buf *err)
{
	const char *p[2] = {tenant, alias};
	PGresult *res;
	int ret;

	res = pb_db_query(conn,
			  "SELECT l.alias = $2, l.alias, l.valid_from, coalesce(l.valid_to::text, ''), l.removed FROM "
			  "(SELECT alias, valid_from, valid_to, false AS removed FROM pb.partner_account "
			  "WHERE vendor = 'azure' AND partner_account_id = lower($1) UNION ALL "
			  "SELECT alias, valid_from, valid_to, true FROM pb.partner_account_removed "
			  "WHERE vendor = 'azure' AND partner_account_id = lower($1)) l "
			  "ORDER BY l.alias = $2 DESC, l.removed, l.valid_from DESC LIMIT 1",
			  2, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 0) {
		ret = 1;
	} else if (strcmp(PQgetvalue(res, 0, 0), "t") == 0 || strcmp(PQgetvalue(res, 0, 4), "t") == 0) {
		ret = 0;
	} else {
		const char *to = PQgetvalue(res, 0, 3);

		pb_buf_reset(err);
		pb_buf_addf(err,
			    "%s: the azure customer %s made for it is linked to %s from %s%s%s: not linked to %s, "
			    "a partner account maps to one CLC account at a time",
			    alias, tenant, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), *to ? " to " : " (open-ended)",
			    to, alias);
		ret = PB_ERR_REFUSED;
	}
	PQclear(res);
	return ret;
}

/*
 * Links tenant for azure from day from, unless it has a link, or had one unlink removed; says so in out. A
 * tenant linked to another account is refused (PB_ERR_REFUSED), naming that account.
 */
static int link_tenant(PGconn *conn, const struct pb_eligibility *e, const char *alias, const char *tenant,
		       const char *request, int32_t from, const char *by, struct pb_buf *out, struct pb_buf *reasons,
		       struct pb_buf *err)
{
	struct pb_buf origin = PB_BUF_INIT;
	char day[11];
	int ret;

	ret = tenant_free(conn, alias, tenant, err);
	if (ret <= 0)
		return ret;
	pb_buf_addf(&origin, "create-azure-customer request %s", request);
	ret = pb_link_add_eligible(conn, e, PB_VENDOR_AZURE, tenant, alias, from, PB_LINK_OPEN, pb_buf_str(&origin), by,
				   NULL, reasons, err);
	pb_buf_release(&origin);
	if (ret < 0)
		return ret;
	pb_date_format(from, day);
	pb_buf_addf(out, "%s: linked azure partner account %s from %s\n", alias, tenant, day);
	return 0;
}

/* Records a new pending request for domain, with the body it sends, and puts its MS-RequestId in request. */
static int new_request(PGconn *conn, const char *alias, const char *domain, const char *body, const char *by,
		       struct pb_buf *request, struct pb_buf *err)
{
	const char *p[4] = {alias, domain, by, body};
	PGresult *res;

	res = pb_db_query(
		conn,
		"INSERT INTO pb.customer_creation_request (alias, request_id, domain, status, created_by, sent) "
		"VALUES ($1, gen_random_uuid(), $2, 'pending', $3, $4) RETURNING request_id",
		4, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_reset(request);
	pb_buf_addstr(request, PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* What an open request was sent as: its domain, and its body unless not recorded (a request of an older build). */
struct sent {
	struct pb_buf domain, body;
	int recorded;
};

/*
 * The account's open request (pending or succeeded), if any: its id in request, its tenant in tenant, what it was
 * sent as in sent.
 */
static int open_request(PGconn *conn, const char *alias, struct pb_buf *request, struct pb_buf *tenant, int *pending,
			struct sent *sent, struct pb_buf *err)
{
	const char *p[1] = {alias};
	PGresult *res;

	res = pb_db_query(
		conn,
		"SELECT request_id, status, coalesce(tenant_id, ''), domain, coalesce(sent, ''), sent IS NOT NULL "
		"FROM "
		"pb.customer_creation_request WHERE alias = $1 AND vendor = 'azure' AND status IN "
		"('pending', 'succeeded')",
		1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) == 1) {
		pb_buf_addstr(request, PQgetvalue(res, 0, 0));
		*pending = strcmp(PQgetvalue(res, 0, 1), "pending") == 0;
		pb_buf_addstr(tenant, PQgetvalue(res, 0, 2));
		pb_buf_addstr(&sent->domain, PQgetvalue(res, 0, 3));
		pb_buf_addstr(&sent->body, PQgetvalue(res, 0, 4));
		sent->recorded = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	}
	PQclear(res);
	return 0;
}

/* Where each field of the company profile goes in the body of POST /v1/customers, but the domain. */
static const struct {
	enum pb_account_field field;
	int in_address; /* under billingProfile.defaultAddress, else under billingProfile */
	const char *key;
} body_fields[] = {
	{PB_ACCOUNT_NAME, 0, "companyName"},
	{PB_ACCOUNT_EMAIL, 0, "email"},
	{PB_ACCOUNT_COUNTRY, 1, "country"},
	{PB_ACCOUNT_FIRST_NAME, 1, "firstName"},
	{PB_ACCOUNT_LAST_NAME, 1, "lastName"},
	{PB_ACCOUNT_ADDRESS, 1, "addressLine1"},
	{PB_ACCOUNT_CITY, 1, "city"},
	{PB_ACCOUNT_STATE, 1, "state"},
	{PB_ACCOUNT_POSTAL_CODE, 1, "postalCode"},
	{PB_ACCOUNT_PHONE, 1, "phoneNumber"},
};

/* The text of field i of body_fields in the body root, or NULL when it has none. */
static const char *body_value(json_t *root, size_t i)
{
	json_t *o = json_object_get(root, "billingProfile");

	if (body_fields[i].in_address)
		o = json_object_get(o, "defaultAddress");
	return json_string_value(json_object_get(o, body_fields[i].key));
}

/*
 * Whether body, parsed as root, is the body customer_json writes for domain and the values of body_fields it holds,
 * byte for byte (1), or was changed since it was recorded (0: another domain, another form, a member more or less);
 * -1 when memory ran out.
 */
static int as_written(json_t *root, const char *body, const char *domain)
{
	struct pb_account r;
	const char *v;
	char *text = NULL;
	size_t i;
	int ret = -1;

	pb_account_init(&r);
	r.v[PB_ACCOUNT_DOMAIN] = strdup(domain);
	if (!r.v[PB_ACCOUNT_DOMAIN])
		goto out;
	for (i = 0; i < sizeof(body_fields) / sizeof(body_fields[0]); i++) {
		v = body_value(root, i);
		if (!v)
			continue;
		r.v[body_fields[i].field] = strdup(v);
		if (!r.v[body_fields[i].field])
			goto out;
	}
	ret = 0;
	if (!r.v[PB_ACCOUNT_COUNTRY])
		goto out;
	text = customer_json(&r);
	ret = !text ? -1 : strcmp(text, body) == 0;
out:
	free(text);
	pb_account_release(&r);
	return ret;
}

/* The fields a pending request names as changed: what it was sent with, what the account has, the update to undo it. */
struct changes {
	struct pb_buf was, is, cmd;
	size_t n;
};

/* Adds field f, sent as then (NULL: none) and now v (NULL: none), to c. */
static void add_change(struct changes *c, enum pb_account_field f, const char *then, const char *v)
{
	pb_buf_addf(&c->was, "%s%s ", c->n ? ", " : "", pb_account_fields[f].column);
	pb_buf_addf(&c->is, "%s%s ", c->n ? ", " : "", pb_account_fields[f].column);
	pb_account_add_value(&c->was, then);
	pb_account_add_value(&c->is, v);
	pb_buf_addf(&c->cmd, " --%s ", pb_account_fields[f].option);
	pb_buf_add_shell_word(&c->cmd, then ? then : "", then ? strlen(then) : 0);
	c->n++;
}

/* Whether two values of a field are the same (NULL: none). */
static int same_value(const char *then, const char *v)
{
	return then && v ? strcmp(then, v) == 0 : then == v;
}

/*
 * A pending request is sent again as it was first sent, under its MS-RequestId: refused (PB_ERR_REFUSED) when
 * the account's company profile (its name, email, contact, address, billing country) is no longer what the
 * request sent (sent->body, when recorded), naming each field that changed, the domain first when it changed too,
 * in one message, since Partner Center may have made the customer with the first. A domain changed alone is left
 * to same_domain. Returns 0, PB_ERR_REFUSED, PB_ERR_DATA (what was recorded is not JSON, or not the body this
 * program writes for the request's domain and the values it holds: changed since, nothing is sent) or
 * PB_ERR_DEPENDENCY (memory).
 */
static int same_profile(const struct pb_account *a, const char *request, const struct sent *sent, const char *now,
			struct pb_buf *err)
{
	const char *alias = a->v[PB_ACCOUNT_ALIAS], *body = pb_buf_str(&sent->body);
	const char *domain = pb_buf_str(&sent->domain);
	struct changes c = {PB_BUF_INIT, PB_BUF_INIT, PB_BUF_INIT, 0};
	json_t *root;
	size_t i;
	int ret;

	if (!sent->recorded || strcmp(body, now) == 0)
		return 0;
	root = json_loads(body, 0, NULL);
	if (!root) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: what request %s was sent with cannot be read (not JSON): it is not sent again",
			    alias, request);
		return PB_ERR_DATA;
	}
	ret = as_written(root, body, domain);
	if (ret <= 0) {
		json_decref(root);
		pb_buf_reset(err);
		if (ret < 0) {
			pb_buf_addstr(err, "out of memory");
			return PB_ERR_DEPENDENCY;
		}
		pb_buf_addf(err,
			    "%s: what request %s was sent with is not a request for domain %s as this program writes "
			    "one (changed since it was recorded): it is not sent again",
			    alias, request, domain);
		return PB_ERR_DATA;
	}
	ret = 0;
	for (i = 0; i < sizeof(body_fields) / sizeof(body_fields[0]); i++)
		if (!same_value(body_value(root, i), a->v[body_fields[i].field]))
			break;
	if (i == sizeof(body_fields) / sizeof(body_fields[0]))
		goto out;
	if (!same_value(domain, a->v[PB_ACCOUNT_DOMAIN]))
		add_change(&c, PB_ACCOUNT_DOMAIN, domain, a->v[PB_ACCOUNT_DOMAIN]);
	for (; i < sizeof(body_fields) / sizeof(body_fields[0]); i++)
		if (!same_value(body_value(root, i), a->v[body_fields[i].field]))
			add_change(&c, body_fields[i].field, body_value(root, i), a->v[body_fields[i].field]);
	pb_buf_reset(err);
	if (c.was.failed || c.is.failed || c.cmd.failed) {
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	pb_buf_addf(err,
		    "%s: request %s was sent with %s and the account has %s now: Partner Center may have made the "
		    "customer with the first; give the account %s back (pb-accounts update %s%s) and run again to "
		    "finish the request",
		    alias, request, pb_buf_str(&c.was), pb_buf_str(&c.is), c.n == 1 ? "that value" : "those values",
		    alias, pb_buf_str(&c.cmd));
	ret = PB_ERR_REFUSED;
out:
	json_decref(root);
	pb_buf_release(&c.was);
	pb_buf_release(&c.is);
	pb_buf_release(&c.cmd);
	return ret;
}

/*
 * A pending request is sent again as it was first sent, under its MS-RequestId: refused (PB_ERR_REFUSED) when
 * the account's domain is no longer the one it was sent for (another, or none), since Partner Center may have made the
 * customer for that one.
 */
static int same_domain(const struct pb_account *a, const char *request, const char *domain, struct pb_buf *err)
{
	const char *alias = a->v[PB_ACCOUNT_ALIAS], *now = a->v[PB_ACCOUNT_DOMAIN];

	if (now && strcmp(now, domain) == 0)
		return 0;
	pb_buf_reset(err);
	if (!now) {
		pb_buf_addf(err,
			    "%s: request %s was sent for domain %s and the account has no domain now: Partner Center "
			    "may have made the customer for that one; give the account that domain back (pb-accounts "
			    "update %s --domain %s) and run again to finish the request",
			    alias, request, domain, alias, domain);
		return PB_ERR_REFUSED;
	}
	pb_buf_addf(err,
		    "%s: request %s was sent for domain %s and the account's domain is %s now: Partner Center may "
		    "have made the customer for the first; give the account that domain back (pb-accounts update %s "
		    "--domain %s) and run again to finish the request",
		    alias, request, domain, now, alias, domain);
	return PB_ERR_REFUSED;
}

/*
 * same_domain after same_profile, which returned ret (0, or PB_ERR_DATA with its message in err): a domain changed is
 * refused, its message in err, before a recorded body that cannot be read. Returns ret otherwise, err as it was.
 */
static int domain_first(const struct pb_account *a, const char *request, const char *domain, int ret,
			struct pb_buf *err)
{
	struct pb_buf why = PB_BUF_INIT;

	if (same_domain(a, request, domain, &why) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&why));
		ret = PB_ERR_REFUSED;
	}
	pb_buf_release(&why);
	return ret;
}

/*
 * A 409 to request, which was sent before (pending), whose description is in err: Partner Center keeps an MS-RequestId
 * for a while only, and a request sent again later finds the domain its first sending made the customer for. The
 * partner's own customer with that domain is that customer: 0 with its tenant in tenant, said in out. None, or one
 * another account's request made (two accounts with one domain): the refusal stands, PB_ERR_DATA with err as it was
 * (naming that request). Looking failed: PB_ERR_DEPENDENCY (the request stays pending).
 */
static int made_before(PGconn *conn, struct pb_partner_center *pc, const char *alias, const char *request,
		       const char *domain, struct pb_buf *tenant, struct pb_buf *out, struct pb_buf *err)
{
	struct pb_buf why = PB_BUF_INIT;
	const char *answer, *p[2];
	PGresult *res = NULL;
	int ret;

	ret = pb_partner_center_find_customer(pc, domain, tenant, &why);
	if (ret == 1) {
		/* Another account's request made it (two accounts with one domain): not this request's customer. */
		p[0] = pb_buf_str(tenant);
		p[1] = alias;
		res = pb_db_query(
			conn,
			"SELECT request_id, alias FROM pb.customer_creation_request WHERE vendor = 'azure' "
			"AND status = 'succeeded' AND lower(tenant_id) = $1 AND alias <> $2 ORDER BY id LIMIT 1",
			2, p, &why);
		if (!res) {
			ret = PB_ERR_DEPENDENCY;
		} else if (PQntuples(res) == 1) {
			pb_buf_addf(err,
				    "; the partner's customer with that domain, %s, is the one request %s made for %s",
				    pb_buf_str(tenant), PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
			pb_buf_reset(tenant);
			ret = 0;
		}
	}
	if (ret < 0) {
		pb_buf_addstr(err, "; looking for the customer with that domain: ");
		pb_buf_addstr(err, pb_buf_str(&why));
	} else if (ret == 0) {
		ret = PB_ERR_DATA;
	} else {
		answer = strstr(pb_buf_str(err), ": HTTP ");
		pb_buf_addf(out,
			    "%s: Partner Center answered request %s with %s; the partner's customer with domain %s is "
			    "%s, made by the request before\n",
			    alias, request, answer ? answer + 2 : pb_buf_str(err), domain, pb_buf_str(tenant));
		ret = 0;
	}
	PQclear(res);
	pb_buf_release(&why);
	return ret;
}

/*
 * Sends request (recorded already, for domain; pending: sent before) with body and records what came of it; the new
 * tenant in tenant.
 */
static int send_request(PGconn *conn, struct pb_partner_center *pc, const char *alias, const char *request,
			const char *domain, int pending, const char *body, struct pb_buf *tenant, struct pb_buf *out,
			struct pb_buf *err)
{
	struct pb_buf why = PB_BUF_INIT;
	long status;
	int ret;

	ret = update_request(conn, request, NULL, NULL, NULL, 1, err);
	if (ret < 0)
		return ret;
	ret = pb_partner_center_create_customer(pc, request, body, domain, tenant, &status, err);
	if (ret == PB_ERR_DATA && status == 409 && pending)
		ret = made_before(conn, pc, alias, request, domain, tenant, out, err);
	if (ret == PB_ERR_DATA) {
		update_request(conn, request, "failed", NULL, pb_buf_str(err), 0, &why);
	} else if (ret < 0) {
		update_request(conn, request, NULL, NULL, pb_buf_str(err), 0, &why);
		pb_buf_addf(err,
			    "; request %s stays pending: run 'pb-accounts create-azure-customer %s' again to finish it",
			    request, alias);
	} else {
		ret = update_request(conn, request, "succeeded", pb_buf_str(tenant), NULL, 0, err);
	}
	pb_buf_release(&why);
	return ret;
}

/* Records body as what a pending request of an older build, which recorded none, sends from now on. */
static int record_sent(PGconn *conn, const char *request, const char *body, struct pb_buf *err)
{
	const char *p[2] = {request, body};

	return pb_db_exec(conn,
			  "UPDATE pb.customer_creation_request SET sent = $2 WHERE request_id = $1 AND sent IS NULL", 2,
			  p, err) < 0
		       ? PB_ERR_DEPENDENCY
		       : 0;
}

/*
 * Makes the customer of account a with body (its JSON): checks the domain, records a new request unless one is
 * pending (its id in request), sends it. The new tenant in tenant.
 */
static int create(PGconn *conn, const struct pb_account *a, const char *body, int pending, long timeout, const char *by,
		  struct pb_buf *request, struct pb_buf *tenant, struct pb_buf *out, struct pb_buf *err)
{
	const char *alias = a->v[PB_ACCOUNT_ALIAS], *domain = a->v[PB_ACCOUNT_DOMAIN];
	struct pb_partner_center pc;
	int ret, taken;

	memset(&pc, 0, sizeof(pc));
	ret = pb_partner_center_init(&pc, timeout, err);
	if (ret == 0)
		ret = pb_partner_center_domain_taken(&pc, domain, &taken, err);
	if (ret < 0)
		goto out;
	if (!pending && taken) {
		pb_buf_reset(err);
		pb_buf_addf(err, "the domain %s is in use by another Partner Center customer", domain);
		ret = PB_ERR_DATA;
		goto out;
	}
	if (pending) {
		pb_buf_addf(out, "%s: sending pending request %s again (domain %s is %s)\n", alias, pb_buf_str(request),
			    domain, taken ? "taken: Partner Center made the customer before" : "still free");
		ret = record_sent(conn, pb_buf_str(request), body, err);
	} else {
		ret = new_request(conn, alias, domain, body, by, request, err);
	}
	if (ret == 0)
		ret = send_request(conn, &pc, alias, pb_buf_str(request), domain, pending, body, tenant, out, err);
	if (ret == 0)
		pb_buf_addf(out, "%s: created azure customer %s for domain %s (request %s)\n", alias,
			    pb_buf_str(tenant), domain, pb_buf_str(request));
out:
	pb_partner_center_release(&pc);
	return ret;
}

int pb_customer_create_azure(PGconn *conn, const struct pb_eligibility *e, const char *alias, int32_t from,
			     long timeout, const char *by, struct pb_buf *out, struct pb_buf *reasons,
			     struct pb_buf *err)
{
	struct pb_account a;
	struct pb_buf request = PB_BUF_INIT, tenant = PB_BUF_INIT, why = PB_BUF_INIT;
	struct sent sent = {PB_BUF_INIT, PB_BUF_INIT, 0};
	char *body = NULL;
	int ret, locked = 0, pending = 0;

	pb_account_init(&a);
	ret = pb_account_get(conn, alias, &a, err);
	if (ret < 0)
		goto out;
	locked = lock_account(conn, alias, 1, err);
	if (locked <= 0) {
		if (locked == 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "a customer creation for %s is running already", alias);
		}
		ret = locked == 0 ? PB_ERR_REFUSED : PB_ERR_DEPENDENCY;
		locked = 0;
		goto out;
	}
	ret = open_request(conn, alias, &request, &tenant, &pending, &sent, err);
	if (ret < 0)
		goto out;
	if (request.len && !pending) {
		pb_buf_addf(out, "%s: the azure customer exists already: tenant %s (request %s)\n", alias,
			    pb_buf_str(&tenant), pb_buf_str(&request));
	} else {
		ret = pb_eligibility_of(conn, e, alias, PB_VENDOR_AZURE, reasons, err);
		/*
		 * A pending request is compared with what it was sent with first: a value emptied since is named with
		 * the value to give back, not as one the profile lacks (any value given then would be another).
		 */
		if (ret == 0)
			ret = body_of(&a, &body, err);
		if (ret == 0 && pending)
			ret = same_profile(&a, pb_buf_str(&request), &sent, body, err);
		/* The domain alone changed, or the recorded body cannot be read (the domain is named before it). */
		if ((ret == 0 || ret == PB_ERR_DATA) && pending)
			ret = domain_first(&a, pb_buf_str(&request), pb_buf_str(&sent.domain), ret, err);
		if (ret == 0)
			ret = check_profile(&a, err);
		/* Sent again, a request is sent as it was recorded, byte for byte. */
		if (ret == 0)
			ret = create(conn, &a, pending && sent.recorded ? pb_buf_str(&sent.body) : body, pending,
				     timeout, by, &request, &tenant, out, err);
	}
	if (ret == 0)
		ret = link_tenant(conn, e, alias, pb_buf_str(&tenant), pb_buf_str(&request), from, by, out, reasons,
				  err);
out:
	if (locked)
		lock_account(conn, alias, 0, &why);
	pb_account_release(&a);
	pb_buf_release(&request);
	pb_buf_release(&tenant);
	pb_buf_release(&why);
	pb_buf_release(&sent.domain);
	pb_buf_release(&sent.body);
	free(body);
	return ret;
}
