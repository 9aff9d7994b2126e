/*
 * A request's way: route, method, client's failure budget, token, parameters, then the answer from the cache
 * or the database. No endpoint takes a body: one sent is not read, and the connection is closed after the
 * answer.
 */
#include "routes.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "queries.h"
#include "request.h"
#include "testhook.h"
#include "token.h"
#include "usage.h"

#include "banned.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000
#define MAX_TOKENS 100000
#define MAX_RUNS 10000
#define MAX_NO_RUNS 1000 /* the months served since 2000 and then some: cursors may name any run id */
/*
 * The answers' bodies kept at most: a listing's page of 1,000 accounts takes some 800 KB, and a cursor may
 * name any alias to start after, so that --cache-entries alone would let pages take tens of gigabytes.
 */
#define MAX_ANSWER_BYTES ((size_t)256 * 1024 * 1024)
#define RUN_TRIES 3 /* runs looked up for one answer, each superseded before its figures were read */
#define JSON_TYPE "application/json"
#define LINE_SHOWN 200 /* the bytes of a refused request's line that the log shows */

static const struct {
	unsigned status;
	const char *code, *message;
} fixed_defs[PB_API_NFIXED] = {
	[PB_API_FIX_NOT_FOUND] = {404, "not_found", "not found"},
	[PB_API_FIX_UNAUTHORIZED] = {401, "unauthorized", "a valid bearer token is required"},
	[PB_API_FIX_FORBIDDEN] = {403, "forbidden", "this endpoint is for platform tokens"},
	[PB_API_FIX_BAD_MONTH] = {400, "bad_month", "month must be given as YYYY-MM"},
	[PB_API_FIX_MONTH_RANGE] = {400, "bad_month", "month must be from 2000-01 to next month"},
	[PB_API_FIX_BAD_CURSOR] = {400, "bad_cursor", "cursor is not one that this month's listing gave"},
	[PB_API_FIX_BAD_LIMIT] = {400, "bad_limit", "limit must be a whole number from 1 to 1000"},
	[PB_API_FIX_UNKNOWN_PARAMETER] = {400, "bad_parameter",
					  "unknown query parameter (names are case-sensitive; see the API's "
					  "documentation)"},
	[PB_API_FIX_PARAMETER_TWICE] = {400, "bad_parameter", "a query parameter is given twice"},
	[PB_API_FIX_TOO_MANY_PARAMETERS] = {400, "bad_parameter", "a request may give 2000 query parameters at most"},
	[PB_API_FIX_URI_TOO_LONG] = {414, "uri_too_long", "the request target is longer than 32768 bytes"},
	[PB_API_FIX_HEADERS_TOO_LARGE] = {431, "headers_too_large", "the header fields take more than 32768 bytes"},
	[PB_API_FIX_NUL] = {400, "bad_request", "the request target holds an encoded NUL (%00)"},
	[PB_API_FIX_HOST] = {400, "bad_request", "a request needs exactly one Host header (HTTP/1.0: at most one)"},
	[PB_API_FIX_HOST_VALUE] = {400, "bad_request",
				   "the Host header is not a host and an optional port (RFC 9112, section 3.2)"},
	[PB_API_FIX_TWO_AUTHORIZATIONS] = {400, "bad_request", "a request may have one Authorization header at most"},
	[PB_API_FIX_FIELD_NAME] = {400, "bad_request",
				   "a header field's name is followed by its colon, without a blank (RFC 9112, section "
				   "5.1)"},
	[PB_API_FIX_FIELD_TOKEN] =
		{400, "bad_request",
		 "a header field's name is a token: one character at least, each a letter, a digit or "
		 "one of !#$%&'*+-.^_`|~ (RFC 9110, section 5.1)"},
	[PB_API_FIX_HEAD] = {400, "bad_request",
			     "the request line and header fields may hold no NUL, control character or field folded "
			     "onto another line, nor a blank within the target (RFC 9112, sections 3 and 5)"},
	[PB_API_FIX_LENGTH] = {400, "bad_request",
			       "a Content-Length is a whole number of bytes (RFC 9110, section 8.6)"},
	[PB_API_FIX_FRAMING] = {400, "bad_request",
				"a body's length is given one way: one Content-Length, or Transfer-Encoding: chunked "
				"alone (HTTP/1.1)"},
	[PB_API_FIX_METHOD] = {405, "method_not_allowed", "only GET and HEAD are served"},
	[PB_API_FIX_UNKNOWN_METHOD] = {501, "not_implemented",
				       "the method is not one this server knows: only GET and HEAD are served"},
	[PB_API_FIX_PRECONDITION] =
		{412, "precondition_failed",
		 "If-Match does not name the answer's ETag: its figures are another aggregate run's"},
	[PB_API_FIX_UNAVAILABLE] = {503, "database_unavailable", "the database is unavailable; retry later"},
	[PB_API_FIX_INTERNAL] = {500, "internal", "the server could not make this answer"},
	[PB_API_FIX_HEALTHY] = {200, NULL, NULL},
};

/* Who a token is: a platform token, or the account one. */
struct token_info {
	long long id;
	int platform;
	char alias[8];
};

/* A token as the cache keeps it: the second its last use was noted, so that it is noted once a second at most. */
struct cached_token {
	struct token_info info;
	_Atomic int64_t noted;
};

/* A cached answer: 200 with the body and 304 without, or neither when the account has nothing (404). */
struct answer {
	struct MHD_Response *ok, *not_modified;
	size_t size; /* the bytes it holds, about */
};

/*
 * What the request target was as sent (the URI log callback sees it before libmicrohttpd unescapes it, and
 * cuts it at an encoded NUL), and whether the handler has been called yet: the request's context.
 */
struct request_ctx {
	const char *target; /* in libmicrohttpd's buffer, where the request line holds it */
	size_t target_len;
	size_t params;	  /* the pieces of its query string (between &s): its parameters, or more */
	int nul;	  /* the target holds %00 */
	int target_bytes; /* the target holds a blank or a control character */
	int head_faulty;  /* see head_faulty */
	int headers_in;	  /* the handler has been called once: the headers are in */
	/* The target's first bytes, up to a NUL, as sent (libmicrohttpd then splits its query in place). */
	char shown[LINE_SHOWN];
	size_t shown_len;
};

struct request {
	struct pb_api_routes *r;
	struct MHD_Connection *conn;
	enum pb_api_endpoint ep;
	int alias_ok;
	int cached; /* the caches may be used: the notifications are heard (pb_api_listener_up) */
	char alias[8], month[8], first_day[11];
	struct token_info tok;
};

static void free_answer(void *value)
{
	struct answer *a = value;

	if (!a)
		return;
	if (a->ok)
		MHD_destroy_response(a->ok);
	if (a->not_modified)
		MHD_destroy_response(a->not_modified);
	free(a);
}

static struct MHD_Response *json_response(const char *body, size_t len, const char *cache_control)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

	if (!resp)
		return NULL;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE) != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control) != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES) {
		MHD_destroy_response(resp);
		return NULL;
	}
	return resp;
}

/* An error's body: {"code":...,"message":...}. */
static void error_body(struct pb_buf *b, const char *code, const char *message)
{
	pb_buf_addf(b, "{\"code\":\"%s\",\"message\":\"%s\"}", code, message);
}

static struct MHD_Response *make_fixed(enum pb_api_fixed f)
{
	struct pb_buf body = PB_BUF_INIT;
	struct MHD_Response *resp;
	int ok = 1;

	if (f == PB_API_FIX_HEALTHY)
		pb_buf_addstr(&body, "{\"status\":\"ok\"}");
	else
		error_body(&body, fixed_defs[f].code, fixed_defs[f].message);
	resp = body.failed ? NULL : json_response(body.ptr, body.len, "no-store");
	pb_buf_release(&body);
	if (!resp)
		return NULL;
	if (f == PB_API_FIX_UNAUTHORIZED)
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"partnerbill\"");
	else if (f == PB_API_FIX_METHOD || f == PB_API_FIX_UNKNOWN_METHOD)
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	else if (f == PB_API_FIX_UNAVAILABLE)
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	else if (f == PB_API_FIX_FRAMING || f == PB_API_FIX_HEAD || f == PB_API_FIX_LENGTH)
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (ok != MHD_YES) {
		MHD_destroy_response(resp);
		return NULL;
	}
	return resp;
}

int pb_api_routes_init(struct pb_api_routes *r, size_t max_answers, struct pb_buf *err)
{
	int i;

	for (i = 0; i < PB_API_NFIXED; i++) {
		r->fixed[i] = make_fixed((enum pb_api_fixed)i);
		if (!r->fixed[i]) {
			pb_buf_addstr(err, "out of memory");
			return -1;
		}
	}
	r->tokens = pb_api_cache_new(MAX_TOKENS, 0, free);
	r->runs = pb_api_cache_new(MAX_RUNS, 0, free);
	r->no_runs = pb_api_cache_new(MAX_NO_RUNS, 0, free);
	r->answers = pb_api_cache_new(max_answers, MAX_ANSWER_BYTES, free_answer);
	if (!r->tokens || !r->runs || !r->no_runs || !r->answers) {
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	return 0;
}

void pb_api_routes_release(struct pb_api_routes *r)
{
	int i;

	for (i = 0; i < PB_API_NFIXED; i++) {
		if (r->fixed[i])
			MHD_destroy_response(r->fixed[i]);
		r->fixed[i] = NULL;
	}
	pb_api_cache_free(r->tokens);
	pb_api_cache_free(r->runs);
	pb_api_cache_free(r->no_runs);
	pb_api_cache_free(r->answers);
	r->tokens = r->runs = r->no_runs = r->answers = NULL;
}

/* Queues resp; the status, or 0 when libmicrohttpd refused (the connection is then closed). */
static unsigned queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp)
{
	return MHD_queue_response(conn, status, resp) == MHD_YES ? status : 0;
}

static unsigned fixed(const struct request *q, enum pb_api_fixed f)
{
	return queue(q->conn, fixed_defs[f].status, q->r->fixed[f]);
}

static unsigned too_many(const struct request *q, unsigned wait)
{
	struct pb_buf body = PB_BUF_INIT;
	struct MHD_Response *resp;
	char secs[16];
	unsigned status = 0;

	snprintf(secs, sizeof(secs), "%u", wait);
	error_body(&body, "too_many_requests", "too many failed authentications from this address; retry later");
	resp = body.failed ? NULL : json_response(body.ptr, body.len, "no-store");
	if (resp && MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs) == MHD_YES)
		status = queue(q->conn, 429, resp);
	if (resp)
		MHD_destroy_response(resp);
	pb_buf_release(&body);
	pb_api_metrics_event(q->r->metrics, PB_API_EV_RATE_LIMITED);
	return status;
}

static unsigned db_failure(const struct request *q, enum pb_api_pool_error why)
{
	if (why == PB_API_POOL_BUSY)
		pb_api_metrics_event(q->r->metrics, PB_API_EV_POOL_TIMEOUT);
	else
		pb_api_metrics_event(q->r->metrics, PB_API_EV_DB_ERROR);
	return fixed(q, why == PB_API_POOL_ERROR ? PB_API_FIX_INTERNAL : PB_API_FIX_UNAVAILABLE);
}

/* The endpoint of url; for the per-account ones, the alias (alias_ok 0 when it cannot be one). */
static void route(const char *url, struct request *q)
{
	q->ep = pb_api_request_route(url, q->alias, &q->alias_ok);
}

struct token_use {
	struct token_info *tok;
	int64_t now;
	int note; /* set when this second's use is not noted yet */
};

static int copy_token(void *value, void *arg)
{
	struct cached_token *c = value;
	struct token_use *use = arg;

	*use->tok = c->info;
	if (atomic_load_explicit(&c->noted, memory_order_relaxed) != use->now) {
		atomic_store_explicit(&c->noted, use->now, memory_order_relaxed);
		use->note = 1;
	}
	return 0;
}

/*
 * libmicrohttpd 0.9.75 answers a Content-Length that is not a number itself, before the request reaches
 * pb-api, with an HTML page whose head it sends twice. So each request is given this field first, before
 * its own (pb_api_routes_uri): libmicrohttpd reads the first, and frames no body by Content-Length; pb-api
 * reads the request's own and answers one that is not a number 400 in JSON, the connection closed. A body
 * that one does frame is left unread and the connection closed after the answer, lest it be read as the
 * next request. The name's address marks the field as not the request's.
 */
static const char no_length_name[] = "Content-Length";

/* The header fields' bytes, and those that must come once at most, counted. */
struct header_count {
	size_t bytes;
	unsigned host, authorization;
	unsigned bad_host; /* Host values that are not a host and an optional port */
	unsigned content_length, transfer_encoding, not_chunked; /* not_chunked: a coding other than chunked alone */
	unsigned bad_length; /* Content-Lengths that are not a whole number of bytes */
	int body;	     /* a Content-Length other than 0 */
	unsigned blank_name; /* names with a blank: "Transfer-Encoding : chunked" (libmicrohttpd keeps the blank) */
	unsigned not_token;  /* names empty (": v") or with a printable byte that is not a token's ("X(Y)") */
};

/*
 * 1 when the name, without a blank, is empty or holds a byte that no token has (RFC 9110, 5.6.2) other than a
 * control character, which head_faulty refuses as such.
 */
static int name_not_token(const char *key, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)key[i];

		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      (ch < 0x80 && strchr("!#$%&'*+-.^_`|~", (char)ch))))
			return 1;
	}
	return 0;
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				    const char *value, size_t value_size)
{
	struct header_count *h = cls;

	(void)kind;
	if (key == no_length_name)
		return MHD_YES;
	h->bytes += key_size + value_size + 4;
	if (memchr(key, ' ', key_size) || memchr(key, '\t', key_size))
		h->blank_name++;
	else if (name_not_token(key, key_size))
		h->not_token++;
	else if (key_size == 4 && strncasecmp(key, "Host", 4) == 0) {
		h->host++;
		if (!value || !pb_api_request_host_ok(value, value_size))
			h->bad_host++;
	} else if (key_size == 13 && strncasecmp(key, "Authorization", 13) == 0)
		h->authorization++;
	else if (key_size == 14 && strncasecmp(key, "Content-Length", 14) == 0) {
		h->content_length++;
		if (!value || !pb_api_request_length_ok(value, value_size, &h->body))
			h->bad_length++;
	} else if (key_size == 17 && strncasecmp(key, "Transfer-Encoding", 17) == 0) {
		h->transfer_encoding++;
		if (!value || value_size != 7 || strncasecmp(value, "chunked", 7) != 0)
			h->not_chunked++;
	}
	return MHD_YES;
}

/*
 * A body's length given two ways, or a way that HTTP/1.0 does not have (RFC 9112, 6.1 and 6.3): a proxy in
 * front may frame it otherwise, taking for the body what is taken here for the next request, or the other way
 * round (request smuggling). So may a field name with a blank before its colon, which RFC 9112 (5.1) has a
 * server refuse: one proxy takes "Transfer-Encoding : chunked" for the body's coding, libmicrohttpd for
 * another field. A name that is not a token (empty, or "X(Y)") is a field line each may read its own way too.
 */
static int framing_faulty(const struct header_count *h, const char *version)
{
	if (h->blank_name || h->not_token)
		return 1;
	if (h->transfer_encoding == 0)
		return h->content_length > 1 || h->bad_length > 0;
	return h->content_length > 0 || h->transfer_encoding > 1 || h->not_chunked > 0 ||
	       strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
}

/*
 * The request's head as libmicrohttpd 0.9.75 leaves it in its buffer: each line in place, its CR LF (or LF)
 * and a field's colon written over with NULs, and every string measured with strlen. A NUL sent within the
 * head thus cuts what follows it off unseen ("Authorization: Bearer <token>\0junk" authenticates), and a
 * line folded onto the next (obs-fold) is pasted onto its field's name ("Content-" and " Length" make a
 * Content-Length) where a proxy in front sees something else. Either leaves a gap between where one piece
 * ends and the next begins; a control character in a line, such as a lone CR, is one a proxy may take for
 * its end. RFC 9112 (sections 2.2, 3 and 5) has a server refuse them all.
 */
struct head_walk {
	uintptr_t end;	 /* where the piece before ends: the NUL written over its end */
	uintptr_t limit; /* where the head ends */
	int faulty;
};

/* 1 when [from, to) is from min to max bytes, each a NUL. */
static int nuls_between(uintptr_t from, uintptr_t to, size_t min, size_t max)
{
	if (to < from || to - from < min || to - from > max)
		return 0;
	for (; from < to; from++)
		if (*(const char *)from != '\0')
			return 0;
	return 1;
}

/* 1 when s holds a control character other than those in allowed (ASCII DEL included). */
static int has_control(const char *s, size_t n, const char *allowed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 || ch == 0x7f) && (ch == 0 || !strchr(allowed, ch)))
			return 1;
	}
	return 0;
}

static enum MHD_Result walk_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				  const char *value, size_t value_size)
{
	struct head_walk *w = cls;
	uintptr_t k = (uintptr_t)key, v = (uintptr_t)value, p;

	(void)kind;
	if (key == no_length_name)
		return MHD_YES;
	/* The line before ended with its CR LF or LF; the field's colon is a NUL; then blanks to its value. */
	if (!value || !nuls_between(w->end, k, 1, 2) || v <= k + key_size || v + value_size > w->limit ||
	    key[key_size] != '\0' || has_control(key, key_size, " \t") || has_control(value, value_size, "\t")) {
		w->faulty = 1;
		return MHD_NO;
	}
	for (p = k + key_size + 1; p < v; p++)
		if (*(const char *)p != ' ' && *(const char *)p != '\t') {
			w->faulty = 1;
			return MHD_NO;
		}
	w->end = v + value_size;
	return MHD_YES;
}

/*
 * 1 when the request's head holds what it may not (see struct head_walk): the request line's pieces end
 * where the next begins (the method's blank a NUL, more blanks, the target as the URI log callback saw it,
 * its blank a NUL, the version), each header field's line follows, and the empty line ends the head. The
 * walk knows libmicrohttpd 0.9's buffer, which another version (of the same soname) may lay out otherwise:
 * with it only the target is checked here, not every request refused (api.sh's checks tell what it lets by).
 */
static int head_faulty(struct MHD_Connection *conn, const struct request_ctx *c, const char *method, const char *url,
		       const char *version)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	uintptr_t m = (uintptr_t)method, u = (uintptr_t)url, v = (uintptr_t)version, p;
	const char *lib = MHD_get_version();
	struct head_walk w;

	if (!c->target || c->target_bytes)
		return 1;
	if (!lib || strncmp(lib, "0.9.", 4) != 0)
		return 0;
	if (!ci || url != c->target)
		return 1;
	w.limit = m + ci->header_size;
	w.faulty = 0;
	p = m + strlen(method);
	if (u <= p || u + c->target_len + 1 != v || v >= w.limit)
		return 1;
	for (p++; p < u; p++)
		if (*(const char *)p != ' ')
			return 1;
	w.end = v + strlen(version);
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, walk_field, &w);
	return w.faulty || !nuls_between(w.end, w.limit, 2, 4);
}

/*
 * What HTTP allows, whatever the endpoint, before anything else is read: a target and header fields
 * within their sizes, field names that are tokens without a blank before their colon and a body framed one way (else
 * the connection is closed: see framing_faulty), no encoded NUL in the target (libmicrohttpd would cut the path or
 * value at it), one Host header (RFC 9112, 3.2; HTTP/1.0 may leave it out) holding a host and an optional port, one
 * Authorization header at most (which one would count?). 0, or -1 with the refusal queued (*status).
 */
/*
 * A method HTTP defines (RFC 9110 section 9, and PATCH of RFC 5789), which this server knows but does not serve
 * (405); any other, method names being case-sensitive, is one it does not know (501, RFC 9110 section 15.6.2).
 */
static int known_method(const char *method)
{
	static const char *const known[] = {"GET",     "HEAD",	  "POST",  "PUT",  "DELETE",
					    "CONNECT", "OPTIONS", "TRACE", "PATCH"};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(method, known[i]) == 0)
			return 1;
	return 0;
}

static int check_request(const struct request *q, const struct request_ctx *c, const char *version, unsigned *status,
			 enum pb_api_fixed *why)
{
	struct header_count h;
	enum pb_api_fixed f;

	memset(&h, 0, sizeof(h));
	MHD_get_connection_values_n(q->conn, MHD_HEADER_KIND, count_header, &h);
	if (c->target_len > PB_API_MAX_TARGET)
		f = PB_API_FIX_URI_TOO_LONG;
	else if (h.bytes > PB_API_MAX_HEADERS)
		f = PB_API_FIX_HEADERS_TOO_LARGE;
	else if (h.blank_name)
		f = PB_API_FIX_FIELD_NAME;
	else if (h.not_token)
		f = PB_API_FIX_FIELD_TOKEN;
	else if (c->head_faulty)
		f = PB_API_FIX_HEAD;
	else if (framing_faulty(&h, version))
		f = h.content_length == 1 && h.bad_length && !h.transfer_encoding ? PB_API_FIX_LENGTH
										  : PB_API_FIX_FRAMING;
	else if (c->nul)
		f = PB_API_FIX_NUL;
	else if (h.host > 1 || (h.host == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0))
		f = PB_API_FIX_HOST;
	else if (h.bad_host)
		f = PB_API_FIX_HOST_VALUE;
	else if (h.authorization > 1)
		f = PB_API_FIX_TWO_AUTHORIZATIONS;
	/* /healthz and /metrics ignore parameters, these too (libmicrohttpd was given none: routes_uri). */
	else if (c->params > PB_API_MAX_PARAMETERS &&
		 (q->ep == PB_API_EP_ACCOUNT || q->ep == PB_API_EP_DAILY || q->ep == PB_API_EP_LIST))
		f = PB_API_FIX_TOO_MANY_PARAMETERS;
	else
		return 0;
	*why = f;
	*status = fixed(q, f);
	return -1;
}

/* Adds byte ch as a message shows what a client sent: printable ASCII as is (\\ and \" escaped), else \xNN. */
static void add_escaped(struct pb_buf *b, unsigned char ch)
{
	if (ch == '\\' || ch == '"')
		pb_buf_addf(b, "\\%c", ch);
	else if (ch >= 0x20 && ch < 0x7f)
		pb_buf_addch(b, (char)ch);
	else
		pb_buf_addf(b, "\\x%02x", ch);
}

/* Adds the first LINE_SHOWN of s's n bytes, escaped, and "..." when there are more. */
static void add_escaped_n(struct pb_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < LINE_SHOWN; i++)
		add_escaped(b, (unsigned char)s[i]);
	if (i < n)
		pb_buf_addstr(b, "...");
}

/*
 * The request line as sent, escaped (see add_escaped), each piece's first LINE_SHOWN bytes. libmicrohttpd 0.9
 * parses it in place: a NUL written over the blank after the method and over the one before the version, and
 * the query split up to the target's first NUL, whose bytes were kept before (shown); what follows a NUL the
 * client sent is left as sent. With another layout (or version) the pieces are shown as libmicrohttpd measured
 * them.
 */
static void add_request_line(struct pb_buf *b, const struct request_ctx *c, const char *method, const char *version)
{
	const char *lib = MHD_get_version(), *blank, *rest;

	if (!lib || strncmp(lib, "0.9.", 4) != 0 || !c->target || !(method < c->target) ||
	    !(c->target + c->target_len < version)) {
		add_escaped_n(b, method, strlen(method));
		pb_buf_addch(b, ' ');
		add_escaped_n(b, c->shown, c->shown_len);
		pb_buf_addch(b, ' ');
		add_escaped_n(b, version, strlen(version));
		return;
	}
	for (blank = c->target - 1; blank > method && *blank == ' '; blank--)
		;
	add_escaped_n(b, method, (size_t)(blank - method));
	pb_buf_addch(b, ' ');
	pb_buf_add(b, blank + 1, (size_t)(c->target - blank - 1));
	add_escaped_n(b, c->shown, c->shown_len);
	if (c->shown_len < c->target_len)
		pb_buf_addstr(b, "...");
	rest = c->target + c->target_len;
	add_escaped_n(b, rest, (size_t)(version - 1 - rest));
	pb_buf_addch(b, ' ');
	add_escaped_n(b, version, strlen(version));
}

/*
 * Says (within the messages' limit) that a request was refused for a NUL, a control character or a folded
 * line in its head, naming its client and showing its request line escaped: the NUL a client sent is seen.
 */
static void say_head_refused(const struct request *q, const struct request_ctx *c, const char *method,
			     const char *version)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct pb_api_conn *own = ci ? ci->socket_context : NULL;
	struct pb_buf msg = PB_BUF_INIT;

	if (!q->r->conns || !own)
		return;
	pb_buf_addf(&msg,
		    "refused a request of %s (400 bad_request): its request line or header fields hold a NUL, a "
		    "control character or a folded line; its request line: \"",
		    pb_api_conns_peer(own));
	add_request_line(&msg, c, method, version);
	pb_buf_addch(&msg, '"');
	if (!msg.failed)
		pb_api_conns_say(q->r->conns, pb_buf_str(&msg));
	pb_buf_release(&msg);
}

/*
 * 1 when the request's body is framed faultily (see framing_faulty) or it has one: no endpoint reads a
 * body, so that libmicrohttpd does not either (it would answer a malformed one itself, in HTML), and the
 * connection is closed after the answer. For one framed by its Content-Length the request says so: for
 * libmicrohttpd, it has none (see no_length_name).
 */
static int framing_faulty_or_body(struct MHD_Connection *conn, const char *version)
{
	struct header_count h;

	memset(&h, 0, sizeof(h));
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, count_header, &h);
	if (framing_faulty(&h, version) || h.transfer_encoding)
		return 1;
	if (h.body)
		MHD_set_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION, "close");
	return h.body;
}

/* The query parameters seen: which of the endpoint's, and the first fault. */
struct params {
	const char *const *names; /* the endpoint's, NULL-terminated */
	unsigned seen;		  /* a bit for each of names */
	enum pb_api_fixed fault;  /* PB_API_NFIXED: none */
};

static enum MHD_Result see_param(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				 const char *value, size_t value_size)
{
	struct params *p = cls;
	unsigned i;

	(void)kind;
	(void)value_size;
	/* "?&month=...&&": an empty piece of the query string is no parameter. */
	if (key_size == 0 && !value)
		return MHD_YES;
	for (i = 0; p->names[i]; i++)
		if (strlen(p->names[i]) == key_size && memcmp(p->names[i], key, key_size) == 0)
			break;
	if (!p->names[i])
		p->fault = PB_API_FIX_UNKNOWN_PARAMETER;
	else if (p->seen & (1u << i))
		p->fault = PB_API_FIX_PARAMETER_TWICE;
	else
		p->seen |= 1u << i;
	return p->fault == PB_API_NFIXED ? MHD_YES : MHD_NO;
}

/*
 * The query's parameters are the endpoint's, by their exact names (libmicrohttpd's lookups ignore case),
 * each once: 0, or -1 with the refusal queued (*status).
 */
static int check_params(const struct request *q, unsigned *status)
{
	static const char *const account[] = {"month", NULL}, *const list[] = {"month", "limit", "cursor", NULL};
	struct params p = {q->ep == PB_API_EP_LIST ? list : account, 0, PB_API_NFIXED};

	MHD_get_connection_values_n(q->conn, MHD_GET_ARGUMENT_KIND, see_param, &p);
	if (p.fault == PB_API_NFIXED)
		return 0;
	*status = fixed(q, p.fault);
	return -1;
}

/* Looks the token up in the database: 1 found, 0 unknown or revoked, -1 with the refusal queued (*status). */
static int token_from_db(struct request *q, const char *hex, const unsigned char digest[32], int64_t now,
			 unsigned *status)
{
	uint64_t gen = pb_api_cache_generation(q->r->tokens);
	const char *params[1] = {hex};
	enum pb_api_pool_error why;
	PGresult *res = pb_api_pool_exec(q->r->pool, PB_API_Q_TOKEN, params, &why);
	struct cached_token *copy;
	int found = 0;

	if (!res) {
		*status = db_failure(q, why);
		return -1;
	}
	if (PQntuples(res) == 1 && pb_api_token_same_hex(PQgetvalue(res, 0, 3), hex)) {
		q->tok.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		q->tok.platform = strcmp(PQgetvalue(res, 0, 1), "platform") == 0;
		snprintf(q->tok.alias, sizeof(q->tok.alias), "%s", PQgetvalue(res, 0, 2));
		copy = malloc(sizeof(*copy));
		if (copy) {
			copy->info = q->tok;
			atomic_init(&copy->noted, now);
			pb_api_cache_put(q->r->tokens, digest, 32, copy, sizeof(*copy), gen);
		}
		found = 1;
	}
	PQclear(res);
	return found;
}

/* 0 when the request carries a live token (in q->tok); else the status of the refusal queued. */
static unsigned authenticate(struct request *q)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *addr = ci ? ci->client_addr : NULL;
	const char *hdr = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned wait = pb_api_ratelimit_wait(q->r->limit, addr), status = 0;
	struct token_use use = {&q->tok, (int64_t)time(NULL), 0};
	unsigned char digest[32];
	const char *tok;
	char hex[65];
	size_t len;
	int found = 0;

	if (wait)
		return too_many(q, wait);
	if (hdr && pb_api_token_from_header(hdr, &tok, &len) == 0 && pb_api_token_well_formed(tok, len) &&
	    pb_api_token_digest(tok, len, digest, hex) == 0) {
		found = q->cached && pb_api_cache_use(q->r->tokens, digest, 32, copy_token, &use, NULL);
		if (!found) {
			found = token_from_db(q, hex, digest, use.now, &status);
			use.note = found > 0;
		}
		if (found < 0)
			return status;
	}
	if (found) {
		/* In memory only: the listener writes the uses down once a minute. */
		if (use.note)
			pb_api_lastuse_note(q->r->lastuse, q->tok.id, use.now);
		return 0;
	}
	pb_api_ratelimit_fail(q->r->limit, addr);
	pb_api_metrics_event(q->r->metrics, PB_API_EV_AUTH_FAILURE);
	return fixed(q, PB_API_FIX_UNAUTHORIZED);
}

/* The month parameter (see pb_api_usage_month): 0, or -1 with the refusal queued (*status). */
static int read_month(struct request *q, unsigned *status)
{
	const char *m = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "month");
	int rc = pb_api_usage_month(m, pb_api_pool_now(q->r->pool), q->month);

	if (rc < 0) {
		*status = fixed(q, rc == -1 ? PB_API_FIX_BAD_MONTH : PB_API_FIX_MONTH_RANGE);
		return -1;
	}
	snprintf(q->first_day, sizeof(q->first_day), "%s-01", q->month);
	return 0;
}

static int copy_run(void *value, void *arg)
{
	*(struct pb_api_run *)arg = *(const struct pb_api_run *)value;
	return 0;
}

/*
 * The run of a month (which PB_API_Q_RUN, param its first day) or of an id (PB_API_Q_RUN_BY_ID): 0 with run
 * (run->found 0 when there is none), or -1 with the refusal queued (*status). What was not found is kept
 * apart, in no_runs: any client may ask for months and run ids without a run, and those must never push
 * the runs that answer requests out of their cache.
 */
static int find_run(const struct request *q, enum pb_api_query which, const char *param, struct pb_api_run *run,
		    unsigned *status)
{
	const char *params[1] = {param};
	enum pb_api_pool_error why;
	struct pb_api_run *copy;
	uint64_t gen, gen_none;
	PGresult *res;
	char key[40];
	int rc;

	snprintf(key, sizeof(key), "%c%s", which == PB_API_Q_RUN ? 'm' : 'i', param);
	if (q->cached && (pb_api_cache_use(q->r->runs, key, strlen(key), copy_run, run, NULL) ||
			  pb_api_cache_use(q->r->no_runs, key, strlen(key), copy_run, run, NULL)))
		return 0;
	gen = pb_api_cache_generation(q->r->runs);
	gen_none = pb_api_cache_generation(q->r->no_runs);
	res = pb_api_pool_exec(q->r->pool, which, params, &why);
	if (!res) {
		*status = db_failure(q, why);
		return -1;
	}
	rc = pb_api_usage_run(res, run);
	PQclear(res);
	if (rc < 0) {
		pb_error("the aggregate run of '%s' is not what this program reads", param);
		*status = fixed(q, PB_API_FIX_INTERNAL);
		return -1;
	}
	copy = malloc(sizeof(*copy));
	if (copy) {
		*copy = *run;
		if (run->found)
			pb_api_cache_put(q->r->runs, key, strlen(key), copy, sizeof(*copy), gen);
		else
			pb_api_cache_put(q->r->no_runs, key, strlen(key), copy, sizeof(*copy), gen_none);
	}
	return 0;
}

/* A header field's lines, joined by commas into one list (RFC 9110, 5.3). */
struct field_lines {
	const char *name;
	struct pb_buf value;
	int seen;
};

static enum MHD_Result join_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				  const char *value, size_t value_size)
{
	struct field_lines *f = cls;

	(void)kind;
	if (key_size != strlen(f->name) || strncasecmp(key, f->name, key_size) != 0)
		return MHD_YES;
	if (f->seen++)
		pb_buf_addstr(&f->value, ", ");
	pb_buf_add(&f->value, value, value_size);
	return MHD_YES;
}

/*
 * Whether the request has field name and its lines, as one list, match etag (see pb_api_request_etag_matches): -1
 * without the field, 0 or 1. A value that memory cannot be had for matches nothing.
 */
static int field_matches(struct MHD_Connection *conn, const char *name, const char *etag, int strong)
{
	struct field_lines f = {name, PB_BUF_INIT, 0};
	int ret;

	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, join_field, &f);
	ret = !f.seen ? -1 : !f.value.failed && pb_api_request_etag_matches(pb_buf_str(&f.value), etag, strong);
	pb_buf_release(&f.value);
	return ret;
}

struct serve {
	const struct request *q;
	int mismatch; /* an If-Match that does not name the answer's ETag */
	int matches;  /* an If-None-Match that does */
	unsigned status;
};

/*
 * Queues a cached answer: 404 for an account without figures (the conditions ignored, RFC 9110, 13.2.1), 412
 * when If-Match names another ETag (tested first, 13.2.2), 304 when the client has it, else 200.
 */
static int serve_answer(void *value, void *arg)
{
	const struct answer *a = value;
	struct serve *s = arg;

	if (!a->ok)
		s->status = fixed(s->q, PB_API_FIX_NOT_FOUND);
	else if (s->mismatch)
		s->status = fixed(s->q, PB_API_FIX_PRECONDITION);
	else if (s->matches)
		s->status = queue(s->q->conn, 304, a->not_modified);
	else
		s->status = queue(s->q->conn, 200, a->ok);
	return 0;
}

/* A 304's body is never read: libmicrohttpd sends no content with that status. */
static ssize_t no_content(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	(void)pos;
	(void)buf;
	(void)max;
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/*
 * The 304 of a 200 whose body is len bytes. libmicrohttpd 0.9.75 writes a Content-Length in every 304 (or, for
 * a size it does not know, Transfer-Encoding: chunked or the connection's close), taken from the response's
 * size: give it the 200's, which RFC 9110 (8.6) allows, not 0, which would tell a cache the content is empty.
 */
static struct MHD_Response *not_modified_response(size_t len)
{
	return MHD_create_response_from_callback(len, 1, no_content, NULL, NULL);
}

/* The headers every answer with figures has: its run's ETag; revalidated on every use, by its client only. */
static int answer_headers(struct MHD_Response *resp, const char *etag)
{
	return MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag) == MHD_YES &&
			       MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Authorization") == MHD_YES
		       ? 0
		       : -1;
}

/* The JSON of the request's endpoint from res: 0, 1 when the account has nothing, -1 when the data is bad. */
static int body_of(const struct request *q, const struct pb_api_run *run, PGresult *res, unsigned limit,
		   struct pb_buf *body)
{
	if (q->ep == PB_API_EP_ACCOUNT)
		return pb_api_usage_account(run, q->alias, res, body);
	if (q->ep == PB_API_EP_DAILY)
		return pb_api_usage_daily(run, q->alias, res, body);
	return pb_api_usage_list(run, res, limit, body);
}

/* The answer made from res; NULL when the data is bad or memory ran out. */
static struct answer *build_answer(const struct request *q, const struct pb_api_run *run, PGresult *res, unsigned limit,
				   const char *etag)
{
	struct pb_buf body = PB_BUF_INIT;
	struct answer *a = calloc(1, sizeof(*a));
	int rc = body_of(q, run, res, limit, &body);

	if (!a || rc < 0 || body.failed)
		goto fail;
	a->size = sizeof(*a) + body.len;
	if (rc == 0) {
		a->ok = json_response(pb_buf_str(&body), body.len, "private, no-cache");
		a->not_modified = not_modified_response(body.len);
		if (!a->ok || !a->not_modified || answer_headers(a->ok, etag) < 0 ||
		    answer_headers(a->not_modified, etag) < 0 ||
		    MHD_add_response_header(a->not_modified, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-cache") !=
			    MHD_YES)
			goto fail;
	}
	pb_buf_release(&body);
	return a;
fail:
	if (rc < 0)
		pb_error("aggregate run %lld holds figures this program cannot show (%s)", run->id,
			 q->ep == PB_API_EP_LIST ? "listing" : q->alias);
	pb_buf_release(&body);
	free_answer(a);
	return NULL;
}

/*
 * Answers from the cache, or else from statement query with params, and caches what it made: 0 with the
 * status in *status, or 1, queueing nothing, when the statement found run no longer current (see queries.h).
 */
static int answer(const struct request *q, const struct pb_api_run *run, const char *key, enum pb_api_query query,
		  const char *const *params, unsigned limit, unsigned *status)
{
	struct serve s = {q, 0, 0, 0};
	enum pb_api_pool_error why;
	struct answer *a;
	char etag[40];
	uint64_t gen;
	PGresult *res;

	snprintf(etag, sizeof(etag), "\"pb-run-%lld\"", run->id);
	s.mismatch = field_matches(q->conn, MHD_HTTP_HEADER_IF_MATCH, etag, 1) == 0;
	s.matches = field_matches(q->conn, MHD_HTTP_HEADER_IF_NONE_MATCH, etag, 0) == 1;
	if (q->cached && pb_api_cache_use(q->r->answers, key, strlen(key), serve_answer, &s, NULL)) {
		*status = s.status;
		return 0;
	}
	gen = pb_api_cache_generation(q->r->answers);
	/* The integration test's pause point: a new run commits here, after this one was looked up. */
	pb_test_pause("api-figures");
	res = pb_api_pool_exec(q->r->pool, query, params, &why);
	if (!res) {
		*status = db_failure(q, why);
		return 0;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 1;
	}
	a = build_answer(q, run, res, limit, etag);
	PQclear(res);
	if (!a) {
		*status = fixed(q, PB_API_FIX_INTERNAL);
		return 0;
	}
	serve_answer(a, &s);
	pb_api_cache_put(q->r->answers, key, strlen(key), a, a->size, gen);
	*status = s.status;
	return 0;
}

/*
 * A month's run was superseded between its lookup and the read of its figures: the runs cached are not to
 * be believed until the notification of the new run (on its way, or late) arrives, so they are dropped now.
 */
static void run_superseded(const struct request *q)
{
	pb_api_cache_clear(q->r->runs);
}

/* 503 after RUN_TRIES runs, each superseded before its figures could be read. */
static unsigned runs_too_quick(const struct request *q)
{
	pb_warning("%d aggregate runs of %s were superseded while a request read them: answered 503", RUN_TRIES,
		   q->month);
	return fixed(q, PB_API_FIX_UNAVAILABLE);
}

/* GET /v1/accounts/{alias}/partner-usage[/daily]: another account's alias is as unknown as one that is not. */
static unsigned account_usage(const struct request *q)
{
	const char *params[2];
	struct pb_api_run run;
	unsigned status;
	char key[64];
	int i;

	if (!q->alias_ok || (!q->tok.platform && strcmp(q->alias, q->tok.alias) != 0))
		return fixed(q, PB_API_FIX_NOT_FOUND);
	for (i = 0; i < RUN_TRIES; i++) {
		if (find_run(q, PB_API_Q_RUN, q->first_day, &run, &status) < 0)
			return status;
		if (!run.found)
			return fixed(q, PB_API_FIX_NOT_FOUND);
		snprintf(key, sizeof(key), "%c%s|%s", q->ep == PB_API_EP_DAILY ? 'd' : 'a', run.id_text, q->alias);
		params[0] = run.id_text;
		params[1] = q->alias;
		if (answer(q, &run, key, q->ep == PB_API_EP_DAILY ? PB_API_Q_DAILY : PB_API_Q_ACCOUNT, params, 0,
			   &status) == 0)
			return status;
		run_superseded(q);
	}
	return runs_too_quick(q);
}

/* The limit parameter: 0 with *limit (DEFAULT_LIMIT when absent), or -1. */
static int read_limit(const struct request *q, unsigned *limit)
{
	return pb_api_request_limit(MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "limit"), DEFAULT_LIMIT,
				    MAX_LIMIT, limit);
}

/*
 * The page of run after alias after (the listing's first: ""): 0 with the status in *status, or 1, queueing
 * nothing, when current_only and the run is no longer the month's current one.
 */
static int list_page(const struct request *q, const struct pb_api_run *run, const char *after, unsigned limit,
		     int current_only, unsigned *status)
{
	char more[16], key[80];
	const char *params[4];

	snprintf(more, sizeof(more), "%u", limit + 1);
	snprintf(key, sizeof(key), "l%s|%s|%u", run->id_text, after, limit);
	params[0] = run->id_text;
	params[1] = after;
	params[2] = more;
	params[3] = current_only ? "t" : "f";
	return answer(q, run, key, PB_API_Q_LIST, params, limit, status);
}

/* GET /v1/partner-usage: platform tokens only; a cursor keeps to the run the listing started on. */
static unsigned list_usage(const struct request *q)
{
	const char *cursor = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "cursor");
	char after[8] = "", id[24];
	struct pb_api_run run;
	unsigned limit, status;
	long long run_id;
	int i;

	if (!q->tok.platform)
		return fixed(q, PB_API_FIX_FORBIDDEN);
	if (read_limit(q, &limit) < 0)
		return fixed(q, PB_API_FIX_BAD_LIMIT);
	if (cursor) {
		if (pb_api_usage_cursor(cursor, &run_id, after) < 0)
			return fixed(q, PB_API_FIX_BAD_CURSOR);
		snprintf(id, sizeof(id), "%lld", run_id);
		if (find_run(q, PB_API_Q_RUN_BY_ID, id, &run, &status) < 0)
			return status;
		if (!run.found || strcmp(run.month, q->month) != 0)
			return fixed(q, PB_API_FIX_BAD_CURSOR);
		/* Current or not; no row only when the run is gone. */
		return list_page(q, &run, after, limit, 0, &status) == 0 ? status : fixed(q, PB_API_FIX_BAD_CURSOR);
	}
	for (i = 0; i < RUN_TRIES; i++) {
		if (find_run(q, PB_API_Q_RUN, q->first_day, &run, &status) < 0)
			return status;
		if (!run.found)
			return fixed(q, PB_API_FIX_NOT_FOUND);
		if (list_page(q, &run, "", limit, 1, &status) == 0)
			return status;
		run_superseded(q);
	}
	return runs_too_quick(q);
}

/* The caches' statistics, each family with its HELP and TYPE lines and its samples in one group. */
static void render_caches(struct pb_buf *b, const struct pb_api_routes *r)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{"pb_api_cache_hits_total", "counter", "Lookups answered from a cache."},
		{"pb_api_cache_misses_total", "counter", "Lookups a cache could not answer."},
		{"pb_api_cache_clears_total", "counter", "Times a cache was emptied."},
		{"pb_api_cache_entries", "gauge", "Entries a cache holds."},
		{"pb_api_cache_bytes", "gauge", "Bytes a cache holds."},
	};
	const char *names[] = {"answers", "runs", "no_runs", "tokens"};
	struct pb_api_cache *caches[] = {r->answers, r->runs, r->no_runs, r->tokens};
	struct pb_api_cache_stats st[4];
	size_t f, c;

	for (c = 0; c < 4; c++)
		pb_api_cache_stats(caches[c], &st[c]);
	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		pb_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", fam[f].name, fam[f].help, fam[f].name, fam[f].type);
		for (c = 0; c < 4; c++) {
			unsigned long long v = f == 0	? st[c].hits
					       : f == 1 ? st[c].misses
					       : f == 2 ? st[c].clears
					       : f == 3 ? (unsigned long long)st[c].entries
							: (unsigned long long)st[c].bytes;

			pb_buf_addf(b, "%s{cache=\"%s\"} %llu\n", fam[f].name, names[c], v);
		}
	}
}

/* GET /metrics: the counters, then the pool's, the caches' and the database's state. */
static unsigned metrics(const struct request *q)
{
	struct pb_buf b = PB_BUF_INIT;
	struct pb_api_pool_stats ps;
	struct MHD_Response *resp = NULL;
	unsigned status = 0;

	pb_api_metrics_render(q->r->metrics, &b);
	pb_api_pool_stats(q->r->pool, &ps);
	pb_buf_addf(&b,
		    "# HELP pb_api_pool_connections The database connection pool: its size, the connections made, "
		    "and those in use.\n# TYPE pb_api_pool_connections gauge\n"
		    "pb_api_pool_connections{state=\"size\"} %u\npb_api_pool_connections{state=\"connected\"} %u\n"
		    "pb_api_pool_connections{state=\"in_use\"} %u\n",
		    ps.size, ps.connected, ps.in_use);
	pb_buf_addf(&b,
		    "# HELP pb_api_pool_connects_total Connections the pool made, and attempts that failed.\n"
		    "# TYPE pb_api_pool_connects_total counter\npb_api_pool_connects_total{result=\"ok\"} %llu\n"
		    "pb_api_pool_connects_total{result=\"failed\"} %llu\n",
		    (unsigned long long)ps.connects, (unsigned long long)ps.connect_failures);
	render_caches(&b, q->r);
	pb_buf_addf(&b,
		    "# HELP pb_api_database_up 1 while the server hears the database's notifications.\n"
		    "# TYPE pb_api_database_up gauge\npb_api_database_up %d\n",
		    pb_api_listener_up(q->r->listener));
	if (!b.failed)
		resp = MHD_create_response_from_buffer(b.len, b.ptr, MHD_RESPMEM_MUST_COPY);
	if (resp &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8") ==
		    MHD_YES &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES)
		status = queue(q->conn, 200, resp);
	if (resp)
		MHD_destroy_response(resp);
	pb_buf_release(&b);
	return status ? status : fixed(q, PB_API_FIX_INTERNAL);
}

static unsigned dispatch(struct request *q)
{
	unsigned status;

	switch (q->ep) {
	case PB_API_EP_HEALTH:
		return fixed(q, pb_api_listener_up(q->r->listener) ? PB_API_FIX_HEALTHY : PB_API_FIX_UNAVAILABLE);
	case PB_API_EP_METRICS:
		return metrics(q);
	case PB_API_EP_OTHER:
		return fixed(q, PB_API_FIX_NOT_FOUND);
	default:
		break;
	}
	/*
	 * Once for the request. A value stored meanwhile is safe: one the database changes later is dropped
	 * by the notification that says so (or with the caches, if the connection is lost) before the caches
	 * are used again.
	 */
	q->cached = pb_api_listener_up(q->r->listener);
	status = authenticate(q);
	if (status)
		return status;
	if (check_params(q, &status) < 0 || read_month(q, &status) < 0)
		return status;
	return q->ep == PB_API_EP_LIST ? list_usage(q) : account_usage(q);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void *pb_api_routes_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request_ctx *c = calloc(1, sizeof(*c));

	/* libmicrohttpd's own buffer, which it hands over as const: see below. */
	char *query = uri ? strchr(uri, '?') : NULL;
	struct pb_api_routes *r = cls;
	const char *amp;

	/* In progress until pb_api_routes_completed frees its context, which libmicrohttpd then calls for sure. */
	if (c)
		atomic_fetch_add(&r->begun, 1);
	if (c && uri) {
		c->target = uri;
		c->target_len = strlen(uri);
		c->shown_len = c->target_len < LINE_SHOWN ? c->target_len : LINE_SHOWN;
		memcpy(c->shown, uri, c->shown_len);
		c->nul = strstr(uri, "%00") != NULL;
		c->target_bytes = has_control(uri, c->target_len, "") || strchr(uri, ' ') != NULL;
	}
	/* Before the request's own header fields: see no_length_name. */
	if (c && conn)
		MHD_set_connection_value_n(conn, MHD_HEADER_KIND, no_length_name, sizeof(no_length_name) - 1, "0", 1);
	if (query) {
		size_t n = 1;

		for (amp = strchr(query, '&'); amp; amp = strchr(amp + 1, '&'))
			n++;
		/*
		 * libmicrohttpd 0.9.75 splits the query string next, a record of its memory for each piece, and
		 * closes the connection without an answer when that memory runs out (some 3,500 of them, or
		 * fewer in a target longer than ours: 1,000 in 200 KB). Past either limit the query string is cut
		 * here, in its buffer (the target as sent, ours to read until the request ends), so that it
		 * parses none, and the request is answered 400 or 414.
		 */
		if (n > PB_API_MAX_PARAMETERS || strlen(uri) > PB_API_MAX_TARGET)
			query[1] = '\0';
		if (c)
			c->params = n;
	}
	return c;
}

/* The connection's own record (see pb_api_conns), NULL when it has none. */
static struct pb_api_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void pb_api_routes_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			     enum MHD_RequestTerminationCode why)
{
	struct pb_api_routes *r = cls;
	struct pb_api_conn *c = conn_of(conn);

	(void)why;
	/* The next request's head is awaited from now, within its deadline. */
	if (c && r->conns)
		pb_api_conns_request_done(r->conns, c);
	if (*con_cls)
		atomic_fetch_add(&r->ended, 1);
	free(*con_cls);
	*con_cls = NULL;
}

enum MHD_Result pb_api_routes_answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				     const char *version, const char *upload_data, size_t *upload_data_size,
				     void **con_cls)
{
	struct request_ctx *c = *con_cls;
	enum pb_api_fixed why;
	struct request q;
	uint64_t start;
	unsigned status;

	(void)upload_data;
	memset(&q, 0, sizeof(q));
	q.r = cls;
	q.conn = conn;
	/* No context: the URI log callback ran out of memory. */
	if (!c)
		return fixed(&q, PB_API_FIX_INTERNAL) ? MHD_YES : MHD_NO;
	/*
	 * The first call only says the headers are in. An answer queued then would make libmicrohttpd close the
	 * connection afterwards (the request might still have a body): answer on the next call, keeping it;
	 * unless the request has a body, or one that cannot be framed for sure: it is answered now, its body
	 * not read, and the connection closed.
	 */
	if (!c->headers_in) {
		struct pb_api_conn *own = conn_of(conn);

		c->headers_in = 1;
		if (own && q.r->conns)
			pb_api_conns_head_in(q.r->conns, own);
		c->head_faulty = head_faulty(conn, c, method, url, version);
		if (!c->head_faulty && !framing_faulty_or_body(conn, version))
			return MHD_YES;
	} else if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	start = now_us();
	route(url, &q);
	if (check_request(&q, c, version, &status, &why) < 0) {
		if (why == PB_API_FIX_HEAD)
			say_head_refused(&q, c, method, version);
	} else {
		status = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0
				 ? dispatch(&q)
				 : fixed(&q, known_method(method) ? PB_API_FIX_METHOD : PB_API_FIX_UNKNOWN_METHOD);
	}
	pb_api_metrics_request(q.r->metrics, q.ep, status ? status : 500, now_us() - start);
	/*
	 * Stopping (now, or since the request began): the answer closes its connection, so that the client sends
	 * no more requests on a connection the server is about to drop. libmicrohttpd reads the request's
	 * Connection header when it writes the answer's head, once this handler has returned.
	 */
	if (atomic_load(&q.r->stopping))
		MHD_set_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION, "close");
	return status ? MHD_YES : MHD_NO;
}
