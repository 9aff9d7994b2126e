/*
 * The Microsoft Graph partner billing reconciliation export: a client-credentials token, the export
 * request, the long-running operation polled until it ends, and its manifest's blobs.
 */
#include "pc_export.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "entra.h"
#include "http.h"
#include "input.h"
#include "interrupt.h"
#include "retry.h"
#include "text.h"
#include "url.h"

#include "banned.h"

#define MAX_WAIT_S 60
#define REQUEST_TIMEOUT_S 60

/*
 * Every request here may be sent again, one that timed out included: the token and the reads change nothing,
 * and a repeated export request only starts another export.
 */
static const struct pb_http_retry retry = {5, MAX_WAIT_S, 1};

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

static int stop_asked(void *arg)
{
	(void)arg;
	return pb_interrupted() != 0;
}

/* Waits s seconds, or less when a signal asks to stop: then -1 with its reason in err. Else 0. */
static int sleep_s(long s, struct pb_buf *err)
{
	pb_retry_sleep_ms(s * 1000, stop_asked, NULL);
	return pb_interrupt_check(err);
}

/*
 * Sends rq as retry says. Returns 0 with an answer other than 429 and 5xx (the caller judges its status), or
 * -1 with err set, "URL: failed after N attempts: ..." when the last answer was still one of those.
 */
static int exchange(const struct pb_http_request *rq, struct pb_http_response *rs, struct pb_buf *err)
{
	if (pb_http_exchange(rq, &retry, rs, NULL, err) < 0)
		return -1;
	if (rs->status != 429 && rs->status < 500)
		return 0;
	pb_url_message(err, rq->url);
	pb_buf_addf(err, "failed after %d attempts: ", retry.attempts);
	pb_entra_describe(rs, err);
	pb_http_response_release(rs);
	return -1;
}

static int token(const char *login, struct pb_buf *bearer, struct pb_buf *err)
{
	struct pb_entra_credentials cred = {login, getenv("AZURE_TENANT_ID"), getenv("AZURE_CLIENT_ID"),
					    getenv("AZURE_CLIENT_SECRET")};

	if (!cred.tenant || !*cred.tenant || !cred.client_id || !*cred.client_id || !cred.client_secret ||
	    !*cred.client_secret) {
		pb_buf_reset(err);
		pb_buf_addstr(
			err,
			"the Partner Center export needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET");
		return -2;
	}
	return pb_entra_token(&cred, "https://graph.microsoft.com/.default", REQUEST_TIMEOUT_S, &retry, bearer, err);
}

/*
 * The token goes to the Graph host alone: a URL an answer names (the operation's Location, the manifest's link) must be
 * https (or plain http to a loopback address) and of graph's scheme, host and port. Returns 0, or -1 with err set.
 */
static int token_may_go(const char *what, const char *url, const char *graph, struct pb_buf *err)
{
	struct pb_url_origin a, b;

	if (pb_url_check_secret_endpoint(what, url, err) < 0)
		return -1;
	if (pb_url_origin(url, &a) == 0 && pb_url_origin(graph, &b) == 0 && pb_url_same_origin(&a, &b))
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "%s: '", what);
	pb_url_add(err, url);
	pb_buf_addstr(err, "' is not on the Graph host ");
	pb_url_add(err, graph);
	pb_buf_addstr(err, " (PB_PC_GRAPH_URL): the token goes to no other");
	return -1;
}

/* The operation's Location after the export request. */
static int request_export(const char *graph, const struct pb_pc_export *x, const char *bearer, struct pb_buf *loc,
			  long *wait, struct pb_buf *err)
{
	const char *hdr[] = {bearer, "Content-Type: application/json", "Accept: application/json"};
	struct pb_buf url = PB_BUF_INIT, body = PB_BUF_INIT;
	struct pb_http_request rq = {"POST", NULL, hdr, 3, NULL, 0, REQUEST_TIMEOUT_S, NULL};
	struct pb_http_response rs;
	json_t *req;
	char *text;
	int ret = -1;

	if (x->invoice) {
		pb_buf_addf(&url, "%s/v1.0/reports/partners/billing/usage/billed/export", graph);
		req = json_pack("{s:s, s:s}", "invoiceId", x->invoice, "attributeSet", "full");
	} else {
		pb_buf_addf(&url, "%s/v1.0/reports/partners/billing/usage/unbilled/export", graph);
		req = json_pack("{s:s, s:s, s:s}", "currencyCode", x->currency, "billingPeriod", x->billing_period,
				"attributeSet", "full");
	}
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!text) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	pb_buf_addstr(&body, text);
	free(text);
	rq.url = pb_buf_str(&url);
	rq.body = pb_buf_str(&body);
	rq.body_len = body.len;
	if (exchange(&rq, &rs, err) < 0)
		goto out;
	if (rs.status != 202 || !rs.location[0]) {
		pb_url_message(err, rq.url);
		pb_buf_addstr(err, "the export was not accepted: ");
		pb_entra_describe(&rs, err);
	} else if (token_may_go("the export operation's Location", rs.location, graph, err) == 0) {
		/* The token goes there to poll. */
		pb_buf_reset(loc);
		pb_buf_addstr(loc, rs.location);
		*wait = rs.retry_after;
		ret = 0;
	}
	pb_http_response_release(&rs);
out:
	pb_buf_release(&url);
	pb_buf_release(&body);
	return ret;
}

/* Polls the operation, first after wait seconds (-1: none given), until it succeeds (*done) or fails. */
static int poll(const char *loc, const char *bearer, long wait, long timeout_s, json_t **done, struct pb_buf *err)
{
	const char *hdr[] = {bearer, "Accept: application/json"};
	struct pb_http_request rq = {"GET", loc, hdr, 2, NULL, 0, REQUEST_TIMEOUT_S, NULL};
	time_t start = time(NULL);

	*done = NULL;
	if (wait > 0 && sleep_s(wait > MAX_WAIT_S ? MAX_WAIT_S : wait, err) < 0)
		return -1;
	for (;;) {
		struct pb_http_response rs;
		json_t *root;
		const char *status;

		if (exchange(&rq, &rs, err) < 0)
			return -1;
		root = json_loadb(rs.body.ptr ? rs.body.ptr : "", rs.body.len, 0, NULL);
		status = json_string_value(json_object_get(root, "status"));
		if (rs.status != 200 || !status) {
			pb_url_message(err, loc);
			pb_buf_addstr(err, "not an export operation: ");
			pb_entra_describe(&rs, err);
			json_decref(root);
			pb_http_response_release(&rs);
			return -1;
		}
		wait = rs.retry_after >= 0 ? rs.retry_after : 5;
		pb_http_response_release(&rs);
		/* "succeeded" in the examples, "completed" in one reference page. */
		if (strcmp(status, "succeeded") == 0 || strcmp(status, "completed") == 0) {
			*done = root;
			return 0;
		}
		if (strcmp(status, "failed") == 0) {
			json_t *e = json_object_get(root, "error");
			const char *code = json_string_value(json_object_get(e, "code"));
			const char *msg = json_string_value(json_object_get(e, "message"));

			/* The server's words, shown: a control or format character in them is escaped. */
			if (!code)
				code = "no code";
			if (!msg)
				msg = "no message";

			pb_url_message(err, loc);
			pb_buf_addstr(err, "the export failed: ");
			pb_text_add_visible(err, code, strlen(code));
			pb_buf_addstr(err, ": ");
			pb_text_add_visible(err, msg, strlen(msg));
			json_decref(root);
			return -1;
		}
		if (strcmp(status, "notStarted") != 0 && strcmp(status, "running") != 0) {
			pb_url_message(err, loc);
			pb_buf_addstr(err, "unknown operation status '");
			pb_text_add_visible(err, status, strlen(status));
			pb_buf_addch(err, '\'');
			json_decref(root);
			return -1;
		}
		json_decref(root);
		if (wait > MAX_WAIT_S)
			wait = MAX_WAIT_S;
		if (time(NULL) - start + wait > timeout_s) {
			pb_url_message(err, loc);
			pb_buf_addf(err, "the export is still %s after %ld seconds", status, timeout_s);
			return -1;
		}
		if (sleep_s(wait, err) < 0)
			return -1;
	}
}

/*
 * The finished operation's manifest: inline (resourceLocation), or behind its navigation link
 * (resourceLocation@odata.navigationLink, GET .../manifests/{id}). A new reference in *out to release.
 */
static int get_manifest(json_t *op, const char *graph, const char *loc, const char *bearer, json_t **out,
			struct pb_buf *err)
{
	const char *hdr[] = {bearer, "Accept: application/json"};
	const char *link = json_string_value(json_object_get(op, "resourceLocation@odata.navigationLink"));
	struct pb_http_request rq = {"GET", link, hdr, 2, NULL, 0, REQUEST_TIMEOUT_S, NULL};
	struct pb_http_response rs;

	*out = json_object_get(op, "resourceLocation");
	if (json_is_object(*out)) {
		json_incref(*out);
		return 0;
	}
	*out = NULL;
	if (!link) {
		pb_url_message(err, loc);
		pb_buf_addstr(err, "the finished export names no manifest (resourceLocation)");
		return -1;
	}
	if (token_may_go("the manifest's link", link, graph, err) < 0 || exchange(&rq, &rs, err) < 0)
		return -1;
	if (rs.status == 200)
		*out = json_loadb(rs.body.ptr ? rs.body.ptr : "", rs.body.len, 0, NULL);
	if (!json_is_object(*out)) {
		pb_url_message(err, link);
		pb_buf_addstr(err, "no manifest: ");
		pb_entra_describe(&rs, err);
		json_decref(*out);
		*out = NULL;
	}
	pb_http_response_release(&rs);
	return *out ? 0 : -1;
}

/* 1 when a is a string and equal to b. */
static int same_name(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* The manifest to the blob URLs and the eTag. */
static int read_manifest(json_t *r, const char *loc, struct pb_manifest *m, struct pb_buf *err)
{
	json_t *blobs = json_object_get(r, "blobs"), *b, *bc;
	const char *root = json_string_value(json_object_get(r, "rootDirectory"));
	const char *sas = json_string_value(json_object_get(r, "sasToken"));
	const char *etag = json_string_value(json_object_get(r, "eTag"));
	size_t i, n;

	if (!root || !sas || !etag || !*etag || !json_is_array(blobs) || json_array_size(blobs) == 0) {
		pb_url_message(err, loc);
		pb_buf_addstr(err,
			      "the finished export has no usable manifest (rootDirectory, sasToken, eTag, blobs[])");
		return -1;
	}
	/* The blobs' SAS goes there: over https, or plain http to a loopback address (a test server), never file://. */
	if (pb_url_check_secret_endpoint("the manifest's rootDirectory", root, err) < 0)
		return -1;
	bc = json_object_get(r, "blobCount");
	if (bc && !json_is_integer(bc)) {
		pb_url_message(err, loc);
		pb_buf_addstr(err, "the manifest's blobCount is not a whole number");
		return -3;
	}
	if (bc && json_integer_value(bc) != (json_int_t)json_array_size(blobs)) {
		pb_url_message(err, loc);
		pb_buf_addf(err, "the manifest declares %lld blobs (blobCount) but lists %zu",
			    (long long)json_integer_value(bc), json_array_size(blobs));
		return -3;
	}
	n = strlen(root);
	while (n && root[n - 1] == '/')
		n--;
	m->parts = calloc(json_array_size(blobs) + 1, sizeof(*m->parts));
	m->assembly_id = strdup(etag);
	m->url = pb_url_redact(loc);
	if (!m->parts || !m->assembly_id || !m->url)
		goto nomem;
	json_array_foreach(blobs, i, b)
	{
		const char *name = json_string_value(json_object_get(b, "name"));
		size_t j;

		if (!name || !*name) {
			pb_url_message(err, loc);
			pb_buf_addf(err, "blobs[%zu] has no name", i);
			return -1;
		}
		for (j = 0;
		     j < i && !same_name(json_string_value(json_object_get(json_array_get(blobs, j), "name")), name);
		     j++)
			;
		if (j < i) {
			pb_url_message(err, loc);
			pb_buf_addf(err, "blobs[%zu] (%s) is blobs[%zu] again: its lines would count twice", i, name,
				    j);
			return -3;
		}
		if (asprintf(&m->parts[i], "%.*s/%s%s%s", (int)n, root, name, *sas ? "?" : "", sas) < 0) {
			m->parts[i] = NULL;
			goto nomem;
		}
		m->nparts++;
	}
	return 0;
nomem:
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return -1;
}

int pb_pc_export_load(struct pb_manifest *m, const struct pb_pc_export *x, struct pb_buf *err)
{
	const char *login = env_or("PB_PC_LOGIN_URL", "https://login.microsoftonline.com");
	const char *graph = env_or("PB_PC_GRAPH_URL", "https://graph.microsoft.com");
	struct pb_buf bearer = PB_BUF_INIT, loc = PB_BUF_INIT;
	json_t *op = NULL, *man = NULL;
	long wait = -1;
	int rc;

	memset(m, 0, sizeof(*m));
	m->period_start = x->month;
	/* The client secret and the token go to these: https only, or a test server on loopback. */
	if (pb_url_check_secret_endpoint("PB_PC_LOGIN_URL", login, err) < 0 ||
	    pb_url_check_secret_endpoint("PB_PC_GRAPH_URL", graph, err) < 0)
		return -2;
	rc = token(login, &bearer, err);
	if (rc == 0 && (rc = request_export(graph, x, pb_buf_str(&bearer), &loc, &wait, err)) == 0 &&
	    (rc = poll(pb_buf_str(&loc), pb_buf_str(&bearer), wait, x->timeout_s, &op, err)) == 0 &&
	    (rc = get_manifest(op, graph, pb_buf_str(&loc), pb_buf_str(&bearer), &man, err)) == 0)
		rc = read_manifest(man, pb_buf_str(&loc), m, err);
	json_decref(man);
	json_decref(op);
	if (bearer.ptr)
		memset(bearer.ptr, 0, bearer.len);
	pb_buf_release(&bearer);
	pb_buf_release(&loc);
	return rc;
}

const char *pb_pc_billing_period(int32_t month, int32_t today)
{
	int32_t cur = pb_date_month_start(today), last = pb_date_month_start(cur - 1);

	if (month == cur)
		return "current";
	if (month == last)
		return "last";
	return NULL;
}
