/* One HTTP request and its whole (small) answer, through libcurl: for APIs, not for downloads (see fetch.h). */
#ifndef PB_HTTP_H
#define PB_HTTP_H

#include <stddef.h>

#include "buf.h"

struct pb_http_request {
	const char *method; /* GET, POST, HEAD */
	const char *url;
	const char *const *headers; /* "Name: value" */
	size_t nheaders;
	const char *body; /* POST body, or NULL */
	size_t body_len;
	long timeout_s; /* the whole request, connecting included (0: 60 s) */
};

struct pb_http_response {
	long status;
	struct pb_buf body; /* at most 1 MiB kept */
	char location[2048];
	long retry_after; /* seconds, or -1 when the answer had none */
};

/*
 * Sends the request. Returns 0 with any answer in rs (check rs->status), or -1 when no answer came (err:
 * "URL: what libcurl said"; 1 in *timed_out, when not NULL, if the time ran out). URLs in messages have
 * SAS signatures hidden. Release rs with pb_http_response_release.
 */
int pb_http_do(const struct pb_http_request *rq, struct pb_http_response *rs, int *timed_out, struct pb_buf *err);
void pb_http_response_release(struct pb_http_response *rs);

/* Appends s to b in application/x-www-form-urlencoded form. */
void pb_http_add_form_value(struct pb_buf *b, const char *s);

#endif
