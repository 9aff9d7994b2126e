/* Request and answer over libcurl, synchronously, for small API calls. */
#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch.h"

#include "banned.h"

#define BODY_MAX ((size_t)1 << 20)

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pb_http_response *rs = arg;
	size_t n = size * nmemb, room = rs->body.len < BODY_MAX ? BODY_MAX - rs->body.len : 0;

	pb_buf_add(&rs->body, data, n < room ? n : room);
	return n;
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
	v = strchr(line, ':');
	if (!v)
		return n;
	*v++ = '\0';
	while (*v == ' ')
		v++;
	if (strcasecmp(line, "Location") == 0)
		snprintf(rs->location, sizeof(rs->location), "%s", v);
	else if (strcasecmp(line, "Retry-After") == 0)
		rs->retry_after = strtol(v, NULL, 10);
	return n;
}

int pb_http_do(const struct pb_http_request *rq, struct pb_http_response *rs, int *timed_out, struct pb_buf *err)
{
	struct curl_slist *hdr = NULL;
	CURL *c;
	CURLcode rc;
	size_t i;
	char *shown;

	pthread_once(&once, init_once);
	memset(rs, 0, sizeof(*rs));
	pb_buf_init(&rs->body, BODY_MAX + 1);
	rs->retry_after = -1;
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
	curl_easy_setopt(c, CURLOPT_TIMEOUT, rq->timeout_s > 0 ? rq->timeout_s : 60L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
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
	if (timed_out)
		*timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	shown = pb_fetch_redact(rq->url);
	pb_buf_reset(err);
	pb_buf_addf(err, "%s: %s", shown ? shown : "?", curl_easy_strerror(rc));
	free(shown);
	return -1;
}

void pb_http_response_release(struct pb_http_response *rs)
{
	pb_buf_release(&rs->body);
}

void pb_http_add_form_value(struct pb_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '_' || ch == '.' || ch == '~')
			pb_buf_addch(b, (char)ch);
		else if (ch == ' ')
			pb_buf_addch(b, '+');
		else
			pb_buf_addf(b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
	}
}
