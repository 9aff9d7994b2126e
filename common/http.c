/* Request and answer over libcurl, synchronously, for small API calls; retries where a repeat does no harm. */
#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"
#include "log.h"
#include "retry.h"
#include "url.h"

#include "banned.h"

#define BODY_MAX ((size_t)1 << 20)
#define DEFAULT_TIMEOUT_S 60L

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void pb_http_global_init(void)
{
	pthread_once(&once, init_once);
}

/* An answer longer than BODY_MAX stops the transfer (too_big): part of an answer is never taken for all of it. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pb_http_response *rs = arg;
	size_t n = size * nmemb;

	if (n > BODY_MAX - rs->body.len) {
		rs->too_big = 1;
		return 0;
	}
	pb_buf_add(&rs->body, data, n);
	return n;
}

void pb_retry_after_reset(struct pb_retry_after *ra)
{
	ra->seconds = -1;
	ra->at = ra->date = -1;
}

/* delay-seconds (1*DIGIT, RFC 9110 10.2.3), blanks after it taken; -1 for anything else. */
static long delay_seconds(const char *v)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	return errno || *end ? -1 : n;
}

void pb_retry_after_header(struct pb_retry_after *ra, const char *name, const char *value)
{
	if (strcasecmp(name, "Retry-After") == 0) {
		ra->seconds = delay_seconds(value);
		ra->at = ra->seconds < 0 ? (long long)curl_getdate(value, NULL) : -1;
	} else if (strcasecmp(name, "Date") == 0) {
		ra->date = (long long)curl_getdate(value, NULL);
	}
}

long pb_retry_after_s(const struct pb_retry_after *ra)
{
	long long from;

	if (ra->seconds >= 0)
		return ra->seconds;
	if (ra->at < 0)
		return -1;
	from = ra->date >= 0 ? ra->date : (long long)time(NULL);
	if (ra->at <= from)
		return 0;
	return ra->at - from > LONG_MAX ? LONG_MAX : (long)(ra->at - from);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pb_http_response *rs = arg;
	size_t n = size * nmemb, k;
	char line[2200], *v;

	if (n >= sizeof(line))
		return n;
	memcpy(line, data, n);
	line[n] = '\0';
	for (k = n; k && (line[k - 1] == '\r' || line[k - 1] == '\n'); k--)
		line[k - 1] = '\0';
	/* A new status line (after a redirect or 100 Continue) starts a new set of headers. */
	if (strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = strchr(line, ' ');

		rs->status = sp ? strtol(sp + 1, NULL, 10) : 0; /* CURLINFO_RESPONSE_CODE's, once the answer is whole */
		rs->location[0] = '\0';
		rs->retry_after = -1;
		pb_retry_after_reset(&rs->ra);
		return n;
	}
	/* The end of the headers: a Retry-After date is counted from the Date, whichever came first. */
	if (!line[0]) {
		rs->retry_after = pb_retry_after_s(&rs->ra);
		return n;
	}
	v = strchr(line, ':');
	if (!v)
		return n;
	*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	for (k = strlen(v); k && (v[k - 1] == ' ' || v[k - 1] == '\t'); k--)
		v[k - 1] = '\0';
	if (strcasecmp(line, "Location") == 0)
		snprintf(rs->location, sizeof(rs->location), "%s", v);
	else
		pb_retry_after_header(&rs->ra, line, v);
	return n;
}

/* Says why no answer came: "METHOD URL: why", the URL with any SAS signature hidden. */
static void no_answer(const struct pb_http_request *rq, CURLcode rc, int too_big, long status, const char *detail,
		      long timeout_s, struct pb_buf *err)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "%s ", rq->method);
	pb_url_add(err, rq->url);
	pb_buf_addstr(err, ": ");
	if (rc == CURLE_OPERATION_TIMEDOUT)
		pb_buf_addf(err, "no answer within %ld s", timeout_s);
	else if (rc == CURLE_WRITE_ERROR && too_big)
		pb_buf_addf(err, "the answer is larger than %zu MiB", BODY_MAX >> 20);
	else if (rc == CURLE_WEIRD_SERVER_REPLY && status > 0) {
		pb_buf_addf(err, "HTTP %ld with a header line libcurl refuses (", status);
		pb_url_add_text(err, detail[0] ? detail : curl_easy_strerror(rc));
		pb_buf_addstr(err, ")");
	} else
		pb_url_add_text(err, detail[0] ? detail : curl_easy_strerror(rc));
}

/* Called by libcurl at least once a second: a signal asking to stop ends the transfer. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return pb_interrupted() ? 1 : 0;
}

void pb_curl_stop_on_signal(void *curl)
{
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
}

/* For pb_retry_sleep_ms: a signal asking to stop ends a wait. */
static int stop_asked(void *arg)
{
	(void)arg;
	return pb_interrupted() != 0;
}

int pb_http_failure_transient(int rc, const char *detail, int *not_tls)
{
	/* What OpenSSL (and GnuTLS) say of an answer to the ClientHello that is no TLS record ("HTTP/1.1 400"). */
	static const char *const no_tls[] = {"wrong version number", "packet length too long", "unexpected TLS packet",
					     "unknown protocol"};
	size_t i;

	*not_tls = 0;
	if (rc == CURLE_SSL_CONNECT_ERROR)
		for (i = 0; i < sizeof(no_tls) / sizeof(no_tls[0]); i++)
			if (strstr(detail, no_tls[i]))
				*not_tls = 1;
	if (*not_tls)
		return 0;
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return 0;
	default:
		return 1;
	}
}

/* One attempt of pb_http_exchange: returns as it does. */
static int http_do(const struct pb_http_request *rq, struct pb_http_response *rs, int *timed_out, struct pb_buf *err)
{
	char detail[CURL_ERROR_SIZE] = "";
	long timeout_s = rq->timeout_s > 0 ? rq->timeout_s : DEFAULT_TIMEOUT_S;
	struct curl_slist *hdr = NULL;
	CURL *c;
	CURLcode rc;
	size_t i;
	int too_big, not_tls;

	pb_http_global_init();
	memset(rs, 0, sizeof(*rs));
	pb_buf_init(&rs->body, BODY_MAX + 1);
	rs->retry_after = -1;
	pb_retry_after_reset(&rs->ra);
	if (timed_out)
		*timed_out = 0;
	c = curl_easy_init();
	if (!c) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	for (i = 0; i < rq->nheaders; i++)
		hdr = curl_slist_append(hdr, rq->headers[i]);
	/* No "Expect: 100-continue" round trip. */
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	pb_curl_stop_on_signal(c);
	pb_tls_setopt(c);
	if (rq->user_agent)
		curl_easy_setopt(c, CURLOPT_USERAGENT, rq->user_agent);
	if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(rq->body ? rq->body_len : 0));
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (rc == CURLE_OK)
		return 0;
	/* Part of an answer is no answer. */
	too_big = rs->too_big;
	pb_http_response_release(rs);
	if (pb_interrupt_check(err) < 0) {
		rs->final = 1;
		return -1;
	}
	if (timed_out)
		*timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	no_answer(rq, rc, too_big, rs->status, detail, timeout_s, err);
	/* A header line libcurl refuses after a status line ("Nul byte in header"): the same answer comes again. */
	rs->final =
		!pb_http_failure_transient(rc, detail, &not_tls) || (rc == CURLE_WEIRD_SERVER_REPLY && rs->status > 0);
	if (not_tls)
		pb_buf_addstr(err, ": the server does not speak TLS there (a plain http port?)");
	return too_big ? -2 : -1;
}

void pb_http_response_release(struct pb_http_response *rs)
{
	pb_buf_release(&rs->body);
}

int pb_http_exchange(const struct pb_http_request *rq, const struct pb_http_retry *retry, struct pb_http_response *rs,
		     int *timed_out, struct pb_buf *err)
{
	/* 1 s, 2 s, 4 s... or what Retry-After asks, shorter or longer, at most max_wait_s. */
	const struct pb_retry_policy policy = {retry->attempts,		 1000, retry->max_wait_s * 1000,
					       retry->max_wait_s * 1000, 0,    0};
	struct pb_retry r;

	pb_retry_init(&r, &policy);
	for (;;) {
		int late, rc;
		long wait;

		pb_retry_begin(&r);
		if (pb_interrupt_check(err) < 0) {
			memset(rs, 0, sizeof(*rs));
			rs->final = 1;
			return -1;
		}
		rc = http_do(rq, rs, &late, err);
		if (timed_out)
			*timed_out = late;
		if (rc == 0 && rs->status != 429 && rs->status < 500)
			return 0;
		/* The same answer again would be as large. */
		if (rc == -2 || (rc < 0 && (rs->final || (late && !retry->timeouts))) || !pb_retry_left(&r))
			return rc;
		wait = pb_retry_wait_ms(&r, rc == 0 ? pb_retry_after_ms(rs->retry_after) : -1);
		if (rc == 0)
			pb_http_response_release(rs);
		pb_retry_sleep_ms(wait, stop_asked, NULL);
	}
}

/*
 * Appends s percent-encoded, keeping RFC 3986's unreserved characters (and '/' when slash is set) and
 * writing a space as space.
 */
static void add_encoded(struct pb_buf *b, const char *s, const char *space, int slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '_' || ch == '.' || ch == '~' || (slash && ch == '/'))
			pb_buf_addch(b, (char)ch);
		else if (ch == ' ')
			pb_buf_addstr(b, space);
		else
			pb_buf_addf(b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
	}
}

void pb_http_add_form_value(struct pb_buf *b, const char *s)
{
	add_encoded(b, s, "+", 0);
}

void pb_http_add_path_value(struct pb_buf *b, const char *s)
{
	add_encoded(b, s, "%20", 0);
}

void pb_http_add_path(struct pb_buf *b, const char *s)
{
	add_encoded(b, s, "%20", 1);
}

/* Set once by the option parser, before any thread starts. */
static const char *tls_ca_option;

/* Set by the --cacert option's parser, before any request. */
static void tls_set_ca_file(const char *path)
{
	tls_ca_option = path;
}

int pb_tls_ca_given(void)
{
	return tls_ca_option != NULL;
}

/* The file given by --cacert, else CURL_CA_BUNDLE or SSL_CERT_FILE when set, else NULL (the system's). */
static const char *tls_ca_file(void)
{
	const char *e;

	if (tls_ca_option)
		return tls_ca_option;
	e = getenv("CURL_CA_BUNDLE");
	if (e && *e)
		return e;
	e = getenv("SSL_CERT_FILE");
	return e && *e ? e : NULL;
}

void pb_tls_setopt(void *curl)
{
	const char *ca = tls_ca_file();

	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca)
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
}

int pb_tls_check_ca_option(const char *path)
{
	struct stat st;

	if (access(path, R_OK) != 0 || stat(path, &st) != 0) {
		pb_error("--cacert: cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		pb_error("--cacert: '%s' is not a file", path);
		return -1;
	}
	if (st.st_size == 0) {
		pb_error("--cacert: '%s' is empty", path);
		return -1;
	}
	tls_set_ca_file(path);
	return 0;
}
