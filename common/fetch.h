/* Downloads through libcurl as a byte stream: https, http, file, and s3:// with SigV4; retries and resumes. */
#ifndef PB_FETCH_H
#define PB_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Where S3 is and who signs: from the environment as AWS tools take them (pb_fetch_s3_from_env). */
struct pb_s3_config {
	char *endpoint; /* AWS_ENDPOINT_URL or --endpoint: http(s)://host[:port], path-style; NULL: AWS */
	char *region;	/* AWS_REGION, AWS_DEFAULT_REGION, else us-east-1 */
	char *key_id, *secret, *token;
	char *ca_bundle; /* AWS_CA_BUNDLE: the certificates to trust for the endpoint (PEM), or NULL: the system's */
};

/*
 * Fills c from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
 * AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_CA_BUNDLE, else the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
 * ~/.aws/credentials, profile AWS_PROFILE or default). endpoint, when not NULL, wins over the
 * environment. Returns 0, or -1 with a message (never a secret) in err. Free with pb_fetch_s3_release.
 */
int pb_fetch_s3_from_env(struct pb_s3_config *c, const char *endpoint, struct pb_buf *err);
void pb_fetch_s3_release(struct pb_s3_config *c);

/* The Blob service REST version our requests ask for. */
#define PB_AZURE_API_VERSION "2021-10-04"

/*
 * Azure Blob Storage Shared Key: the account and its key (AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY), and
 * the account's Blob endpoint when it is not https://ACCOUNT.blob.core.windows.net/
 * (AZURE_STORAGE_BLOB_ENDPOINT: another cloud, a custom domain).
 */
struct pb_azure_config {
	char *account;
	char *endpoint; /* or NULL */
	unsigned char key[128];
	size_t key_len;
};

/*
 * Fills c from AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY and AZURE_STORAGE_BLOB_ENDPOINT. Returns 1 when the
 * key is not set, 0, or -1 with a message (never the key) in err; an endpoint must be https (plain http
 * only to a loopback address). Free with pb_fetch_azure_release.
 */
int pb_fetch_azure_from_env(struct pb_azure_config *c, struct pb_buf *err);
void pb_fetch_azure_release(struct pb_azure_config *c);

/*
 * Whether a request to url may carry c's Shared Key: 0 when it may (or when url signs itself with a SAS,
 * or is no http(s) URL, so that the key is not used), -1 with a message naming the URL (redacted) in err
 * when it goes anywhere but https to the account's own endpoint (https://ACCOUNT.blob.core.windows.net/,
 * or the host and port of c->endpoint) or to a loopback address (any scheme: a local emulator).
 */
int pb_azure_key_allowed(const struct pb_azure_config *c, const char *url, struct pb_buf *err);

/*
 * The Authorization header value ("SharedKey account:signature") of a request, for Azure Storage's
 * Shared Key scheme (version 2015-02-21 and later): method, URL, and the standard and x-ms-* headers as
 * "Name: value" lines. Returns 0, or -1 when memory cannot be had.
 */
int pb_azure_shared_key(const struct pb_azure_config *c, const char *method, const char *url,
			const char *const *headers, size_t nheaders, struct pb_buf *out);

struct pb_fetch_opts {
	long connect_timeout_ms;       /* 0: 10 s */
	long stall_seconds;	       /* a transfer under min_rate for this long fails, a stall (0: 30 s) */
	long min_rate;		       /* bytes a second, averaged over stall_seconds (0: 1024) */
	long deadline_seconds;	       /* the whole download, its retries included, at most (0: 6 hours) */
	int max_attempts;	       /* 0: 5 */
	long backoff_ms;	       /* first retry delay before jitter (0: 200 ms); doubles, capped at 10 s */
	const struct pb_s3_config *s3; /* for s3:// URLs */
	/*
	 * When set: http(s) URLs without a SAS signature (sig=) are signed with this account's Shared Key,
	 * and pb_fetch_open refuses those that pb_azure_key_allowed refuses.
	 */
	const struct pb_azure_config *azure;
	/*
	 * The ETag a listing gave the object (as HTTP writes it, in quotes), or NULL: every request carries it in
	 * If-Match, so that the bytes read are those of the version listed, from the first attempt on. A 412, or an
	 * answer with another ETag or none (a server that ignores If-Match, or may), fails the download, not retried:
	 * "the object changed since it was listed". A weak ETag (W/"..."), which no If-Match matches, or one longer
	 * than PB_FETCH_ETAG_MAX, binds nothing.
	 */
	const char *if_match;
	/*
	 * 1: a HEAD request, no body: pb_fetch_read gives 0 (the end) once a 2xx answer's headers are read, and
	 * pb_fetch_etag and pb_fetch_last_modified give what it says of the object now. Failures are those of a
	 * download (a 501 is not retried). 2: the same from a GET of the first byte (Range: bytes=0-0), for a server
	 * that refuses HEAD: the transfer ends once a 200 or 206 answer's headers are read, no byte of its body taken;
	 * a 416 (an object of no bytes has no first byte to give) is such an answer too, its ETag and Last-Modified
	 * (if it has any) those of the object, and its length the complete length of its Content-Range, if any
	 * (pb_fetch_object_length: one other than 0 contradicts the 416); one whose Content-Range is no such range is
	 * an error.
	 */
	int head;
};

/*
 * A download limit given on a command line, by its option's name without "--": "stall-timeout" (1 to 86400 s),
 * "min-rate" (1 to 1000000000 bytes a second) or "download-timeout" (1 s to 7 days), into o. Returns 0, or -1
 * having said "--NAME takes ..., not 'VALUE'".
 */
int pb_fetch_limit_option(const char *name, const char *value, struct pb_fetch_opts *o);

/* The --help lines of the options pb_fetch_limit_option reads, with their defaults, for a usage text. */
#define PB_FETCH_LIMIT_USAGE                                                                               \
	"  --stall-timeout S    a download slower than --min-rate for S seconds is retried (default 30)\n" \
	"  --min-rate B         bytes a second a download must move (default 1024)\n"                      \
	"  --download-timeout S the most one download may take, its retries included (default 21600)\n"

struct pb_fetch;

/*
 * Starts downloading url on a thread of its own. Returns 0 and *out, or -1 with a message in err.
 * Failures of the transfer itself are reported by pb_fetch_read.
 */
int pb_fetch_open(const char *url, const struct pb_fetch_opts *opts, struct pb_fetch **out, struct pb_buf *err);

/*
 * Reads up to n bytes of the body. Returns the count, 0 at its end, or -1 with a message naming the URL
 * in err: "s3://b/k: 403 Forbidden (InvalidAccessKeyId), not retried" or "https://...: failed after 5
 * attempts: ...", or "...: the download did not end within N s, not retried" past its deadline_seconds
 * (slower than min_rate or not, a retry or its wait cut short). Transient failures (connection errors, resets,
 * stalls: under min_rate for stall_seconds, 5xx, 429, a body cut short) are
 * retried with exponential backoff and jitter, honouring Retry-After, resuming from the bytes already
 * delivered with a Range request bound to the first response's ETag (an object without a strong ETag is asked
 * for whole again, within the same attempts: "failed after 5 attempts: ... (the last 4 started over from the
 * first byte: it has no ETag to bind a resumption to)"). A signed request (SigV4, Shared Key)
 * is never redirected, so that its signature and session token go nowhere else: a redirect answer is a
 * failure ("HTTP 307 to URL: a signed request is not redirected"); an unsigned one follows up to 5 https
 * redirects.
 */
long pb_fetch_read(void *f, char *buf, size_t n, struct pb_buf *err);

/* The longest ETag kept (a longer one fails the download: a resumption could not name its version). */
#define PB_FETCH_ETAG_MAX 1024

/* After the end: the ETag ("" if none). */
const char *pb_fetch_etag(const struct pb_fetch *f);

/* After the end: the Last-Modified of the first answer with a body, as the server wrote it ("" if none). */
const char *pb_fetch_last_modified(const struct pb_fetch *f);

/*
 * After the end of an opts.head request: the object's length as its answer gives it, for the caller to compare with
 * what it knows of the object. A HEAD's 200, or a 200 to the GET of its first byte: its Content-Length. A 206 to
 * that GET: the complete length of its Content-Range ("bytes 0-0/LENGTH"). A 416 to it: the length its
 * Content-Range gives, 0 when it has none (the object has no bytes; another length contradicts the 416: a server
 * that is wrong, an object that changed). -1 when the answer gives none (a 206 whose Content-Range has "*" for the
 * complete length, a HEAD without a Content-Length), and for any other request.
 */
int64_t pb_fetch_object_length(const struct pb_fetch *f);

/* After the end: the status of the last answer (0 when none came). */
long pb_fetch_status(const struct pb_fetch *f);

/* Asks the transfer to stop without waiting: a blocked pb_fetch_read then returns -1. */
void pb_fetch_cancel(struct pb_fetch *f);

/* Stops the transfer and frees f. Accepts NULL. */
void pb_fetch_free(struct pb_fetch *f);

/* 1 when path is a URL that pb_fetch takes (http://, https://, s3://). */
int pb_fetch_is_url(const char *path);

#endif
