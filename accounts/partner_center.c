/*
 * Partner Center for pb-accounts, over common/http.c and common/entra.c: a whole-request timeout, and retries
 * only where a repeat cannot do harm (customer creation repeats carry the same MS-RequestId).
 */
#include "partner_center.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "account.h"
#include "eligibility.h"
#include "entra.h"
#include "exitcode.h"
#include "http.h"
#include "link.h"
#include "url.h"

#include "banned.h"

#define DEFAULT_LOGIN_URL "https://login.microsoftonline.com"
#define DEFAULT_API_URL "https://api.partnercenter.microsoft.com"
#define SCOPE "https://api.partnercenter.microsoft.com/.default"
#define USER_AGENT "pb-accounts/" PB_VERSION

/*
 * A failed connection, a 5xx or a 429 is sent again, up to 3 attempts in all, after Retry-After (at most
 * 10 s) or 1 s then 2 s. A request that timed out is not: Partner Center may have acted on it.
 */
static const struct pb_http_retry retry = {3, 10, 0};

/* Frees a string that may hold a secret, overwriting it first. */
static void wipe_free(char *s)
{
	if (s)
		memset(s, 0, strlen(s));
	free(s);
}

/* A copy of the variable name's value without trailing slashes, or of fallback when it is unset or empty. */
static char *env_url(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	char *s = strdup(v && *v ? v : fallback);
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

int pb_partner_center_init(struct pb_partner_center *pc, long timeout, struct pb_buf *err)
{
	static const char *const names[3] = {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"};
	char **slots[3];
	int i, missing = 0;

	memset(pc, 0, sizeof(*pc));
	slots[0] = &pc->tenant;
	slots[1] = &pc->client_id;
	slots[2] = &pc->client_secret;
	pc->timeout = timeout;
	pb_buf_reset(err);
	for (i = 0; i < 3; i++) {
		const char *v = getenv(names[i]);

		if (!v || !*v) {
			pb_buf_addf(err, "%s%s", missing ? ", " : "Partner Center needs ", names[i]);
			missing++;
			continue;
		}
		*slots[i] = strdup(v);
		if (!*slots[i])
			goto nomem;
	}
	if (missing) {
		pb_buf_addstr(err, " in the environment");
		pb_partner_center_release(pc);
		return PB_ERR_USAGE;
	}
	pc->login_url = env_url("PB_PC_LOGIN_URL", DEFAULT_LOGIN_URL);
	pc->api_url = env_url("PB_PC_API_URL", DEFAULT_API_URL);
	if (!pc->login_url || !pc->api_url)
		goto nomem;
	/* The client secret and the token go to these: https only, or a test server on loopback. */
	if (pb_url_check_secret_endpoint("PB_PC_LOGIN_URL", pc->login_url, err) < 0 ||
	    pb_url_check_secret_endpoint("PB_PC_API_URL", pc->api_url, err) < 0) {
		pb_partner_center_release(pc);
		return PB_ERR_USAGE;
	}
	return 0;
nomem:
	pb_partner_center_release(pc);
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return PB_ERR_DEPENDENCY;
}

void pb_partner_center_release(struct pb_partner_center *pc)
{
	if (!pc)
		return;
	free(pc->login_url);
	free(pc->api_url);
	free(pc->tenant);
	free(pc->client_id);
	wipe_free(pc->client_secret);
	wipe_free(pc->token);
	memset(pc, 0, sizeof(*pc));
}

static int fetch_token(struct pb_partner_center *pc, struct pb_buf *err)
{
	struct pb_entra_credentials cred = {pc->login_url, pc->tenant, pc->client_id, pc->client_secret};
	struct pb_buf bearer = PB_BUF_INIT;
	int ret = PB_ERR_DEPENDENCY;

	if (pb_entra_token(&cred, SCOPE, pc->timeout, &retry, &bearer, err) < 0)
		goto out;
	pc->token = strdup(pb_buf_str(&bearer));
	if (!pc->token) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (bearer.ptr)
		memset(bearer.ptr, 0, bearer.len);
	pb_buf_release(&bearer);
	return ret;
}

/*
 * Sends one Partner Center request with its headers (and, with request_id, those of an idempotent POST of a
 * JSON body), fetching a token first if need be, retried as retry says. Returns 0 with the answer in rs
 * whatever its status, or PB_ERR_DEPENDENCY with err set (rs then holds nothing).
 */
static int send_request(struct pb_partner_center *pc, const char *method, const char *url, const char *request_id,
			const char *body, struct pb_http_response *rs, struct pb_buf *err)
{
	const char *hdr[6] = {"Accept: application/json", "X-Locale: en-US"};
	struct pb_buf rid = PB_BUF_INIT, cid = PB_BUF_INIT;
	struct pb_http_request rq = {method, url, hdr, 2, body, body ? strlen(body) : 0, pc->timeout, USER_AGENT};
	int ret = PB_ERR_DEPENDENCY;

	memset(rs, 0, sizeof(*rs));
	if (!pc->token && fetch_token(pc, err) < 0)
		return ret;
	hdr[rq.nheaders++] = pc->token;
	if (request_id) {
		pb_buf_addf(&rid, "MS-RequestId: %s", request_id);
		pb_buf_addf(&cid, "MS-CorrelationId: %s", request_id);
		hdr[rq.nheaders++] = pb_buf_str(&rid);
		hdr[rq.nheaders++] = pb_buf_str(&cid);
		hdr[rq.nheaders++] = "Content-Type: application/json";
	}
	if (rid.failed || cid.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	if (pb_http_exchange(&rq, &retry, rs, NULL, err) == 0)
		ret = 0;
out:
	pb_buf_release(&rid);
	pb_buf_release(&cid);
	return ret;
}

/* Says what Partner Center answered: "METHOD URL: HTTP N (code C): description". */
static void describe_answer(struct pb_buf *err, const char *method, const char *url, const struct pb_http_response *rs)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "%s ", method);
	pb_url_add(err, url);
	pb_buf_addstr(err, ": ");
	pb_entra_describe(rs, err);
}

int pb_partner_center_domain_taken(struct pb_partner_center *pc, const char *domain, int *taken, struct pb_buf *err)
{
	struct pb_buf url = PB_BUF_INIT;
	struct pb_http_response rs;
	int ret;

	*taken = 0;
	pb_buf_addf(&url, "%s/v1/domains/", pc->api_url);
	pb_http_add_path_value(&url, domain);
	if (url.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	ret = send_request(pc, "HEAD", pb_buf_str(&url), NULL, NULL, &rs, err);
	if (ret < 0)
		goto out;
	if (rs.status == 200 || rs.status == 404) {
		*taken = rs.status == 200;
	} else {
		describe_answer(err, "HEAD", pb_buf_str(&url), &rs);
		ret = PB_ERR_DEPENDENCY;
	}
	pb_http_response_release(&rs);
out:
	pb_buf_release(&url);
	return ret;
}

/* The longest customer id a message quotes; a longer one is named by its length. */
#define MAX_ID_SHOWN 100

/*
 * The tenant id of customer cust, from an answer with status to METHOD url: a GUID other than the nil one, or
 * PB_ERR_DEPENDENCY (the answer is not one Partner Center gives: the customer may exist, the request stays pending).
 */
static int customer_id(json_t *cust, const char *method, const char *url, long status, struct pb_buf *tenant,
		       struct pb_buf *err)
{
	const char *id = json_string_value(json_object_get(cust, "id"));
	struct pb_buf ignore = PB_BUF_INIT;
	int ret = PB_ERR_DEPENDENCY;

	if (!id)
		id = json_string_value(json_object_get(json_object_get(cust, "companyProfile"), "tenantId"));
	if (!id || !*id) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s ", method);
		pb_url_add(err, url);
		pb_buf_addf(err, ": HTTP %ld without the customer's id", status);
	} else if (strcmp(id, "00000000-0000-0000-0000-000000000000") == 0) {
		/* The nil GUID is no tenant's: a placeholder, or an answer damaged on its way. */
		pb_buf_reset(err);
		pb_buf_addf(err, "%s ", method);
		pb_url_add(err, url);
		pb_buf_addf(err, ": HTTP %ld with the nil GUID as the customer id", status);
	} else if (pb_link_check_id(PB_VENDOR_AZURE, id, &ignore) < 0) {
		/* Not a tenant (an answer damaged on its way): the outcome is unknown, the request pending. */
		size_t n = strlen(id);

		pb_buf_reset(err);
		pb_buf_addf(err, "%s ", method);
		pb_url_add(err, url);
		pb_buf_addf(err, ": HTTP %ld with a customer id that is not a GUID: ", status);
		if (n > MAX_ID_SHOWN) {
			pb_buf_addf(err, "%zu bytes long", n);
		} else {
			pb_buf_addch(err, '\'');
			pb_account_quote(err, id, n);
			pb_buf_addch(err, '\'');
		}
	} else {
		/* A GUID in whatever case Partner Center writes it, kept in lowercase as links and exports keep it. */
		pb_buf_reset(tenant);
		for (; *id; id++)
			pb_buf_addch(tenant, (char)tolower((unsigned char)*id));
		ret = tenant->failed ? PB_ERR_DEPENDENCY : 0;
	}
	pb_buf_release(&ignore);
	return ret;
}

/* The longest domain a message quotes; a longer one is named by its length. */
#define MAX_DOMAIN_SHOWN 300

/*
 * The new customer's tenant id from a 200 or 201 answer to the request for domain: 0, or PB_ERR_DEPENDENCY as
 * customer_id says, or when the answer's customer has another domain (another request's answer: the outcome of
 * this one is unknown, the request pending). An answer that names no domain is taken as it is.
 */
static int read_customer(const struct pb_http_response *rs, const char *url, const char *domain, struct pb_buf *tenant,
			 struct pb_buf *err)
{
	json_t *root = json_loadb(pb_buf_str(&rs->body), rs->body.len, 0, NULL);
	const char *d = json_string_value(json_object_get(json_object_get(root, "companyProfile"), "domain"));
	int ret = customer_id(root, "POST", url, rs->status, tenant, err);

	if (ret == 0 && d && strcasecmp(d, domain) != 0) {
		size_t n = strlen(d);

		pb_buf_reset(err);
		pb_buf_addstr(err, "POST ");
		pb_url_add(err, url);
		pb_buf_addf(err, ": HTTP %ld with customer %s of domain ", rs->status, pb_buf_str(tenant));
		if (n > MAX_DOMAIN_SHOWN) {
			pb_buf_addf(err, "%zu bytes long", n);
		} else {
			pb_buf_addch(err, '\'');
			pb_account_quote(err, d, n);
			pb_buf_addch(err, '\'');
		}
		pb_buf_addf(err, ", not %s", domain);
		pb_buf_reset(tenant);
		ret = PB_ERR_DEPENDENCY;
	}
	json_decref(root);
	return ret;
}

int pb_partner_center_find_customer(struct pb_partner_center *pc, const char *domain, struct pb_buf *tenant,
				    struct pb_buf *err)
{
	struct pb_buf url = PB_BUF_INIT;
	struct pb_http_response rs;
	json_t *filter, *root = NULL, *items, *item;
	char *text;
	size_t i;
	int ret = PB_ERR_DEPENDENCY;

	/* The documented filter of the partner's customers (get-a-customer-by-name): starts_with is its only operator.
	 */
	filter = json_pack("{s:s, s:s, s:s}", "Field", "Domain", "Value", domain, "Operator", "starts_with");
	text = filter ? json_dumps(filter, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(filter);
	pb_buf_addf(&url, "%s/v1/customers?size=500&filter=", pc->api_url);
	if (text)
		pb_http_add_path_value(&url, text);
	free(text);
	if (!text || url.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	if (send_request(pc, "GET", pb_buf_str(&url), NULL, NULL, &rs, err) < 0)
		goto out;
	if (rs.status != 200) {
		describe_answer(err, "GET", pb_buf_str(&url), &rs);
		pb_http_response_release(&rs);
		goto out;
	}
	root = json_loadb(pb_buf_str(&rs.body), rs.body.len, 0, NULL);
	items = json_object_get(root, "items");
	if (!json_is_array(items)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "GET ");
		pb_url_add(err, pb_buf_str(&url));
		pb_buf_addstr(err, ": HTTP 200 without a list of customers");
		pb_http_response_release(&rs);
		goto out;
	}
	/* A prefix of the domain: only a customer with the domain itself is the one. */
	ret = 0;
	json_array_foreach(items, i, item)
	{
		const char *d = json_string_value(json_object_get(json_object_get(item, "companyProfile"), "domain"));

		if (d && strcasecmp(d, domain) == 0) {
			ret = customer_id(item, "GET", pb_buf_str(&url), rs.status, tenant, err);
			ret = ret < 0 ? ret : 1;
			break;
		}
	}
	pb_http_response_release(&rs);
out:
	json_decref(root);
	pb_buf_release(&url);
	return ret;
}

int pb_partner_center_create_customer(struct pb_partner_center *pc, const char *request_id, const char *body,
				      const char *domain, struct pb_buf *tenant, long *status, struct pb_buf *err)
{
	struct pb_buf url = PB_BUF_INIT;
	struct pb_http_response rs;
	int ret;

	pb_buf_addf(&url, "%s/v1/customers", pc->api_url);
	if (url.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	*status = 0;
	ret = send_request(pc, "POST", pb_buf_str(&url), request_id, body, &rs, err);
	if (ret < 0)
		goto out;
	*status = rs.status;
	if (rs.status == 200 || rs.status == 201) {
		ret = read_customer(&rs, pb_buf_str(&url), domain, tenant, err);
	} else {
		describe_answer(err, "POST", pb_buf_str(&url), &rs);
		/* A refusal: nothing was created. Anything else leaves the outcome unknown. */
		if (rs.status >= 400 && rs.status < 500 && rs.status != 401 && rs.status != 403 && rs.status != 408 &&
		    rs.status != 429)
			ret = PB_ERR_DATA;
		else
			ret = PB_ERR_DEPENDENCY;
	}
	pb_http_response_release(&rs);
out:
	pb_buf_release(&url);
	return ret;
}
