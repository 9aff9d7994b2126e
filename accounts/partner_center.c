/*
 * Partner Center over libcurl: one easy handle per request, a whole-request timeout, and retries only where
 * a repeat cannot do harm (customer creation repeats carry the same MS-RequestId).
 */
#include "partner_center.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "account.h"

#include "banned.h"

#define DEFAULT_LOGIN_URL "https://login.microsoftonline.com"
#define DEFAULT_API_URL "https://api.partnercenter.microsoft.com"
#define SCOPE "https://api.partnercenter.microsoft.com/.default"
#define MAX_ATTEMPTS 3
#define MAX_RETRY_AFTER 10
#define MAX_BODY ((size_t)1 << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
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
		return PB_ACCOUNT_ERR_USAGE;
	}
	pc->login_url = env_url("PB_PC_LOGIN_URL", DEFAULT_LOGIN_URL);
	pc->api_url = env_url("PB_PC_API_URL", DEFAULT_API_URL);
	if (!pc->login_url || !pc->api_url)
		goto nomem;
	pthread_once(&curl_once, curl_init_once);
	return 0;
nomem:
	pb_partner_center_release(pc);
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return PB_ACCOUNT_ERR_DEPENDENCY;
}

void pb_partner_center_release(struct pb_partner_center *pc)
{
	if (!pc)
		return;
	free(pc->login_url);
	free(pc->api_url);
	free(pc->tenant);
	free(pc->client_id);
	free(pc->client_secret);
	free(pc->token);
	memset(pc, 0, sizeof(*pc));
}

/* One response: its status, Retry-After (-1 when absent) and body. */
struct response {
	long status;
	long retry_after;
	struct pb_buf body;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct response *r = arg;

	return pb_buf_add(&r->body, p, size * n) < 0 ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "retry-after:";
	struct response *r = arg;
	size_t len = size * n, k = sizeof(name) - 1;

	/* A new status line (after a redirect or 100 Continue) starts a new set of headers. */
	if (len > 5 && memcmp(p, "HTTP/", 5) == 0)
		r->retry_after = -1;
	if (len > k && strncasecmp(p, name, k) == 0) {
		char digits[16];
		size_t i = k, j = 0;
		char *end;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < len && j < sizeof(digits) - 1 && isdigit((unsigned char)p[i]))
			digits[j++] = p[i++];
		digits[j] = '\0';
		if (j)
			r->retry_after = strtol(digits, &end, 10);
	}
	return len;
}

/*
 * Sends one request. Returns 0 with r filled whatever the HTTP status, or -1 with "METHOD URL: why" in
 * err when no answer came; *timed_out is set when that was the timeout.
 */
static int send_once(struct pb_partner_center *pc, const char *method, const char *url, struct curl_slist *headers,
		     const char *body, struct response *r, int *timed_out, struct pb_buf *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = curl_easy_init();
	CURLcode rc;

	*timed_out = 0;
	r->status = 0;
	r->retry_after = -1;
	pb_buf_reset(&r->body);
	if (!h) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "cannot start libcurl");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, pc->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, pc->timeout < 10 ? pc->timeout : 10L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "pb-accounts/" PB_VERSION);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (body) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(h);
	if (rc == CURLE_OK)
		return 0;
	pb_buf_reset(err);
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		*timed_out = 1;
		pb_buf_addf(err, "%s %s: no answer within %ld s", method, url, pc->timeout);
	} else {
		pb_buf_addf(err, "%s %s: %s", method, url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	}
	return -1;
}

static void pause_seconds(long s)
{
	struct timespec ts = {s, 0};

	while (nanosleep(&ts, &ts) < 0)
		;
}

/*
 * send_once with retries: a failed connection, a 5xx or a 429 is tried again after Retry-After (at most
 * MAX_RETRY_AFTER s) or 1 s then 2 s; a timeout is not. Returns as send_once, with the last answer.
 */
static int send_retried(struct pb_partner_center *pc, const char *method, const char *url, struct curl_slist *headers,
			const char *body, struct response *r, int *timed_out, struct pb_buf *err)
{
	int attempt, rc = -1;

	for (attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		long wait;

		rc = send_once(pc, method, url, headers, body, r, timed_out, err);
		if ((rc < 0 && *timed_out) || (rc == 0 && r->status < 500 && r->status != 429))
			return rc;
		if (attempt == MAX_ATTEMPTS)
			break;
		wait = r->retry_after >= 0 && rc == 0 ? r->retry_after : 1L << (attempt - 1);
		pause_seconds(wait > MAX_RETRY_AFTER ? MAX_RETRY_AFTER : wait);
	}
	return rc;
}

/* Appends s percent-encoded for a form body. */
static void add_form_value(struct pb_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			pb_buf_addch(b, (char)c);
		else
			pb_buf_addf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/* The text of key in a JSON object body, or NULL. Owned by root. */
static const char *json_text(json_t *root, const char *key)
{
	return json_string_value(json_object_get(root, key));
}

/* Appends the first line of s. */
static void add_first_line(struct pb_buf *b, const char *s)
{
	pb_buf_add(b, s, strcspn(s, "\r\n"));
}

static int fetch_token(struct pb_partner_center *pc, struct pb_buf *err)
{
	struct pb_buf url = PB_BUF_INIT, form = PB_BUF_INIT;
	struct response r = {0, -1, PB_BUF_INIT};
	struct curl_slist *headers = NULL;
	json_t *root = NULL;
	int timed_out, ret = PB_ACCOUNT_ERR_DEPENDENCY;

	pb_buf_init(&r.body, MAX_BODY);
	pb_buf_addf(&url, "%s/", pc->login_url);
	add_form_value(&url, pc->tenant);
	pb_buf_addstr(&url, "/oauth2/v2.0/token");
	pb_buf_addstr(&form, "grant_type=client_credentials&client_id=");
	add_form_value(&form, pc->client_id);
	pb_buf_addstr(&form, "&client_secret=");
	add_form_value(&form, pc->client_secret);
	pb_buf_addstr(&form, "&scope=");
	add_form_value(&form, SCOPE);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (url.failed || form.failed || !headers) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	if (send_retried(pc, "POST", pb_buf_str(&url), headers, pb_buf_str(&form), &r, &timed_out, err) < 0)
		goto out;
	root = json_loadb(pb_buf_str(&r.body), r.body.len, 0, NULL);
	if (r.status == 200 && json_text(root, "access_token")) {
		pc->token = strdup(json_text(root, "access_token"));
		ret = pc->token ? 0 : PB_ACCOUNT_ERR_DEPENDENCY;
		goto out;
	}
	pb_buf_reset(err);
	pb_buf_addf(err, "POST %s: HTTP %ld", pb_buf_str(&url), r.status);
	if (json_text(root, "error"))
		pb_buf_addf(err, " %s", json_text(root, "error"));
	if (json_text(root, "error_description")) {
		pb_buf_addstr(err, ": ");
		add_first_line(err, json_text(root, "error_description"));
	}
out:
	json_decref(root);
	curl_slist_free_all(headers);
	pb_buf_release(&r.body);
	pb_buf_release(&url);
	pb_buf_release(&form);
	return ret;
}

/* The headers of a Partner Center request, or NULL when memory ran out. Free with curl_slist_free_all. */
static struct curl_slist *api_headers(const struct pb_partner_center *pc, const char *request_id)
{
	struct pb_buf line = PB_BUF_INIT;
	struct curl_slist *h = NULL, *next;
	const char *fixed[] = {"Accept: application/json", "X-Locale: en-US", "Expect:"};
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		next = curl_slist_append(h, fixed[i]);
		if (!next)
			goto fail;
		h = next;
	}
	pb_buf_addf(&line, "Authorization: Bearer %s", pc->token);
	next = line.failed ? NULL : curl_slist_append(h, pb_buf_str(&line));
	if (!next)
		goto fail;
	h = next;
	if (request_id) {
		pb_buf_reset(&line);
		pb_buf_addf(&line, "MS-RequestId: %s", request_id);
		next = line.failed ? NULL : curl_slist_append(h, pb_buf_str(&line));
		if (!next)
			goto fail;
		h = next;
		pb_buf_reset(&line);
		pb_buf_addf(&line, "MS-CorrelationId: %s", request_id);
		next = line.failed ? NULL : curl_slist_append(h, pb_buf_str(&line));
		if (!next)
			goto fail;
		h = next;
		next = curl_slist_append(h, "Content-Type: application/json");
		if (!next)
			goto fail;
		h = next;
	}
	pb_buf_release(&line);
	return h;
fail:
	pb_buf_release(&line);
	curl_slist_free_all(h);
	return NULL;
}

/* Says what Partner Center answered: "METHOD URL: HTTP N (code C): description". */
static void describe_answer(struct pb_buf *err, const char *method, const char *url, const struct response *r)
{
	json_t *root = json_loadb(pb_buf_str(&r->body), r->body.len, 0, NULL);
	json_t *code = json_object_get(root, "code");

	pb_buf_reset(err);
	pb_buf_addf(err, "%s %s: HTTP %ld", method, url, r->status);
	if (json_is_integer(code))
		pb_buf_addf(err, " (code %lld)", (long long)json_integer_value(code));
	if (json_text(root, "description")) {
		pb_buf_addstr(err, ": ");
		add_first_line(err, json_text(root, "description"));
	}
	json_decref(root);
}

int pb_partner_center_domain_taken(struct pb_partner_center *pc, const char *domain, int *taken, struct pb_buf *err)
{
	struct pb_buf url = PB_BUF_INIT;
	struct response r = {0, -1, PB_BUF_INIT};
	struct curl_slist *headers = NULL;
	int timed_out, ret = PB_ACCOUNT_ERR_DEPENDENCY;

	*taken = 0;
	if (!pc->token && fetch_token(pc, err) < 0)
		goto out;
	pb_buf_init(&r.body, MAX_BODY);
	pb_buf_addf(&url, "%s/v1/domains/", pc->api_url);
	add_form_value(&url, domain);
	headers = api_headers(pc, NULL);
	if (url.failed || !headers) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	if (send_retried(pc, "HEAD", pb_buf_str(&url), headers, NULL, &r, &timed_out, err) < 0)
		goto out;
	if (r.status == 200 || r.status == 404) {
		*taken = r.status == 200;
		ret = 0;
	} else {
		describe_answer(err, "HEAD", pb_buf_str(&url), &r);
	}
out:
	curl_slist_free_all(headers);
	pb_buf_release(&r.body);
	pb_buf_release(&url);
	return ret;
}

int pb_partner_center_create_customer(struct pb_partner_center *pc, const char *request_id, const char *body,
				      struct pb_buf *tenant, struct pb_buf *err)
{
	struct pb_buf url = PB_BUF_INIT;
	struct response r = {0, -1, PB_BUF_INIT};
	struct curl_slist *headers = NULL;
	json_t *root = NULL;
	const char *id;
	int timed_out, ret = PB_ACCOUNT_ERR_DEPENDENCY;

	if (!pc->token && fetch_token(pc, err) < 0)
		goto out;
	pb_buf_init(&r.body, MAX_BODY);
	pb_buf_addf(&url, "%s/v1/customers", pc->api_url);
	headers = api_headers(pc, request_id);
	if (url.failed || !headers) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	if (send_retried(pc, "POST", pb_buf_str(&url), headers, body, &r, &timed_out, err) < 0)
		goto out;
	if (r.status == 200 || r.status == 201) {
		root = json_loadb(pb_buf_str(&r.body), r.body.len, 0, NULL);
		id = json_text(root, "id");
		if (!id)
			id = json_text(json_object_get(root, "companyProfile"), "tenantId");
		if (!id || !*id) {
			pb_buf_reset(err);
			pb_buf_addf(err, "POST %s: HTTP %ld without the customer's id", pb_buf_str(&url), r.status);
			goto out;
		}
		pb_buf_reset(tenant);
		pb_buf_addstr(tenant, id);
		ret = tenant->failed ? PB_ACCOUNT_ERR_DEPENDENCY : 0;
		goto out;
	}
	describe_answer(err, "POST", pb_buf_str(&url), &r);
	if (r.status >= 400 && r.status < 500 && r.status != 401 && r.status != 403 && r.status != 408 &&
	    r.status != 429)
		ret = PB_ACCOUNT_ERR_DATA;
out:
	json_decref(root);
	curl_slist_free_all(headers);
	pb_buf_release(&r.body);
	pb_buf_release(&url);
	return ret;
}
