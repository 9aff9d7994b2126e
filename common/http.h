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
	long timeout_s;		/* the whole request, connecting included (0: 60 s) */
	const char *user_agent; /* or NULL to send none */
};

/*
 * Retry-After (RFC 9110 10.2.3) as an answer's header lines give it: delay-seconds, or an HTTP-date counted from the
 * answer's Date (so that a server whose clock is not ours asks for the wait it means; our clock when it sent no
 * Date). Reset it at each status line, give it every header line with pb_retry_after_header, and read the wait with
 * pb_retry_after_s once the headers are read.
 */
struct pb_retry_after {
	long seconds;	    /* delay-seconds, or -1 */
	long long at, date; /* the HTTP-date of a Retry-After, and the answer's Date (seconds since 1970), or -1 */
};
void pb_retry_after_reset(struct pb_retry_after *ra);
/* Takes a header line's name and value (its blanks trimmed): Retry-After and Date, other names left. */
void pb_retry_after_header(struct pb_retry_after *ra, const char *name, const char *value);
/* The seconds to wait: 0 for a date past, -1 when the answer asked for none (or said it in no form HTTP has). */
long pb_retry_after_s(const struct pb_retry_after *ra);

struct pb_http_response {
	long status;
	struct pb_buf body; /* the whole answer: at most 1 MiB, else pb_http_exchange fails */
	char location[2048];
	long retry_after; /* seconds (an HTTP-date counted from the answer's Date), or -1 when the answer had none */
	struct pb_retry_after ra; /* what retry_after is read from */
	int too_big;		  /* set while receiving: the answer went past 1 MiB */
	int final; /* when no answer came: 1 when sending again cannot help (pb_http_failure_transient) */
};

/* What pb_http_exchange sends again, and how patiently. */
struct pb_http_retry {
	int attempts;	 /* in all, the first one included */
	long max_wait_s; /* the longest wait between two attempts, Retry-After included */
	int timeouts;	 /* 1: a request that timed out is sent again; 0: not (the server may have acted on it) */
};

/* Releases an answer pb_http_exchange filled. */
void pb_http_response_release(struct pb_http_response *rs);

/*
 * Sends the request, and again after a failed connection, a 429 or a 5xx, up to retry->attempts in all, waiting
 * Retry-After or 1 s, 2 s, 4 s... (at most retry->max_wait_s) in between. A timeout is retried only when
 * retry->timeouts says so; a failure that cannot pass (rs->final: a certificate refused, a server that does not
 * speak TLS...) is not sent again. Returns, for the last attempt: 0 with its answer in rs, which may still be a
 * 429 or 5xx when the attempts ran out (the caller judges every status; release rs with
 * pb_http_response_release), or -1 when no answer came (err: "METHOD URL: what libcurl said", or "METHOD URL:
 * no answer within N s" with 1 in *timed_out, when not NULL, if the time ran out; rs then holds nothing), or
 * -2, not sent again, when the answer is larger than 1 MiB (err: "METHOD URL: the answer is larger than 1 MiB";
 * nothing of it is kept). URLs in messages have SAS signatures hidden.
 */
int pb_http_exchange(const struct pb_http_request *rq, const struct pb_http_retry *retry, struct pb_http_response *rs,
		     int *timed_out, struct pb_buf *err);

/*
 * TLS: every connection verifies the server's certificate and host name; nothing turns that off. The
 * certificates trusted are those of the file --cacert names (its option's parser, before any request), else
 * of CURL_CA_BUNDLE, else of SSL_CERT_FILE, else the system's.
 */
/* 1 when --cacert was given (it then wins over AWS_CA_BUNDLE too). */
int pb_tls_ca_given(void);
/* Sets verification and the trusted certificates on a libcurl easy handle (a CURL *). */
void pb_tls_setopt(void *curl);
/* Makes a libcurl easy handle (a CURL *) end its transfer when a signal asks the program to stop (pb_interrupted). */
void pb_curl_stop_on_signal(void *curl);
/* Checks --cacert's FILE at the start: 0, or -1 after saying why it cannot be read. */
int pb_tls_check_ca_option(const char *path);

/*
 * Whether a transfer that failed with rc (a CURLcode) and libcurl's error text detail may pass when sent again:
 * 0 for a final failure (a URL or protocol libcurl does not take, a host name that does not resolve, a
 * certificate refused, a TLS handshake answered by a server that does not speak TLS: an https:// URL on a plain
 * http port), 1 for the others (refused or reset connections, timeouts...). When the server does not speak TLS,
 * *not_tls is set to 1 (else 0), for the caller to say so.
 */
int pb_http_failure_transient(int rc, const char *detail, int *not_tls);

/* libcurl's global initialization, done once for the process (pthread_once): every user of libcurl calls it first. */
void pb_http_global_init(void);

/* Appends s to b in application/x-www-form-urlencoded form. */
void pb_http_add_form_value(struct pb_buf *b, const char *s);
/* Appends s to b percent-encoded as one segment of a URL path: only RFC 3986's unreserved characters stay. */
void pb_http_add_path_value(struct pb_buf *b, const char *s);
/* The same for a path of several segments (a blob name, a prefix): '/' stays as it is. */
void pb_http_add_path(struct pb_buf *b, const char *s);

#endif
