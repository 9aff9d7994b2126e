/*
 * Downloads as byte streams. libcurl pushes the body from a thread of its own into a small ring of
 * chunks that the reader pulls from; a failed attempt is retried from the first byte not yet received,
 * so what the reader sees is the object's bytes exactly once, whatever happened on the wire.
 */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "interrupt.h"
#include "log.h"
#include "opts.h"
#include "progress.h"
#include "retry.h"
#include "ring.h"
#include "text.h"
#include "url.h"

#include "banned.h"

#define RING_CHUNK ((size_t)1 << 20)
#define RING_SLOTS 4
#define ERRBODY_MAX 4096
#define BACKOFF_CAP_MS 10000
#define MIN_RATE 1024	       /* bytes a second: slower over stall_seconds is a stall */
#define DEADLINE_SECONDS 21600 /* 6 hours: one download of a nightly job, its retries included */
#define RETRY_AFTER_CAP_MS 60000
#define MAX_REDIRECTS 5L /* of a download that is not signed (a signed one follows none) */

struct pb_fetch {
	char *url;	/* as messages show it */
	char *http_url; /* what curl fetches */
	struct pb_fetch_opts opts;
	struct pb_retry_policy policy;
	CURL *curl;

	pthread_t thread;
	int started;
	struct pb_ring ring;

	/* The producer's state. */
	char *slot;	       /* the chunk being filled, or NULL */
	size_t fill;	       /* bytes in it */
	uint64_t delivered;    /* body bytes taken so far, across attempts */
	uint64_t skip;	       /* bytes to drop from a 200 that ignored our Range */
	uint64_t attempt_from; /* delivered when the attempt began */
	long status;
	int body_ok;
	char etag[PB_FETCH_ETAG_MAX + 1];   /* of the first response with a body */
	char last_modified[64];		    /* likewise */
	char listed[PB_FETCH_ETAG_MAX + 1]; /* opts.if_match, when it binds (see fetch.h), else "" */
	char changed[640];
	int since_listed;		/* changed says how the first answer is not the version listed */
	int etag_seen;			/* the answer being read gave an ETag */
	int wrong_start;		/* a 206 resumed at another byte than the one asked for */
	int excess;			/* the answer went on past its Content-Length (or its last chunk) */
	size_t long_etag;		/* the length of an ETag longer than etag keeps, or 0 */
	char bad_header[160];		/* "Content-Length X" of an answer with a body, X no length, or "" */
	char two_lengths[48];		/* "A and B", two Content-Lengths of one answer that differ, or "" */
	char two_etags[520];		/* "A and B", two ETags of one answer that differ (no listing's), or "" */
	int http1;			/* the answer is HTTP/1.x */
	int chunked;			/* its Transfer-Encoding is chunked */
	int no_length;			/* an HTTP/1 answer with a body, neither a Content-Length nor chunked */
	int length_and_chunked;		/* an HTTP/1 answer with a body, both a Content-Length and chunked */
	SSL *ssl;			/* the TLS connection of the attempt (OpenSSL's), or NULL */
	int tls_noted;			/* ssl was looked for */
	int got_body;			/* the attempt's answer gave a byte of its body */
	int headers_done;		/* the answer's header section has ended: what follows is its trailer */
	int probed;			/* opts.head 2: the answer's headers were read, its body dropped */
	int described;			/* opts.head 2: a 416 that describes the object (object_length) */
	char location[1024];		/* of a redirect answer */
	char curl_err[CURL_ERROR_SIZE]; /* what libcurl said of a failed transfer ("SSL certificate problem: ...") */
	int64_t content_length, full_length, range_start;
	/* The complete length that a described 416's Content-Range gives, 0 when it has none. */
	int64_t object_length;
	int range_seen;		  /* a 416's Content-Range gave object_length */
	long retry_after;	  /* seconds the answer asks to wait (Retry-After), 0 when it asks none */
	struct pb_retry_after ra; /* what retry_after is read from */
	int64_t began_ms;	  /* when the download began (pb_now_ms), for opts.deadline_seconds */
	struct pb_buf errbody;
	int attempts;

	/*
	 * The MD5 the server gives of the whole object, as lower-case hex: Content-MD5 of a whole answer or
	 * x-ms-blob-content-md5 (Azure Blob Storage), else an S3 ETag that is one (a single-part upload, not
	 * encrypted with SSE-KMS or SSE-C). md5 hashes the bytes handed on, from the first, when there is one.
	 */
	char content_md5[33], blob_md5[33], etag_md5[33];
	int sse_not_md5, hashing;
	EVP_MD_CTX *md5;

	/*
	 * An object without an ETag has nothing to bind a range to but its Last-Modified (to the second) and length:
	 * it is asked for whole again. seen hashes the bytes handed on, from the first: the 200 to a resumed request
	 * gives them again, and again hashes those, to see that they are the same bytes before any byte after them is
	 * taken. 1 hashing, 0 not (an ETag), -1 failed.
	 */
	EVP_MD_CTX *seen, *again;
	int seen_on;
	int restarts; /* attempts that asked for it whole again, bytes having been taken (the last ones) */
};

/* Milliseconds left before the download's deadline (0 when it has passed). */
static int64_t time_left_ms(const struct pb_fetch *f)
{
	int64_t left = f->began_ms + (int64_t)f->opts.deadline_seconds * 1000 - (int64_t)pb_now_ms();

	return left > 0 ? left : 0;
}

int pb_fetch_is_url(const char *path)
{
	return strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0 || strncmp(path, "s3://", 5) == 0;
}

static char *dup_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? strdup(v) : NULL;
}

/* Reads key = value pairs of one [profile] of an AWS shared credentials file. */
static void read_credentials_file(struct pb_s3_config *c)
{
	const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE"), *profile = getenv("AWS_PROFILE"), *home;
	char path[4096], line[1024], want[256];
	int in_profile = 0;
	FILE *f;

	if (!profile || !*profile)
		profile = "default";
	if (!file || !*file) {
		home = getenv("HOME");
		if (!home)
			return;
		snprintf(path, sizeof(path), "%s/.aws/credentials", home);
		file = path;
	}
	f = fopen(file, "r");
	if (!f)
		return;
	snprintf(want, sizeof(want), "[%s]", profile);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *eq, *k, *v, *e;

		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\r\n")] = '\0';
		if (*p == '[') {
			in_profile = strcmp(p, want) == 0;
			continue;
		}
		if (!in_profile || !(eq = strchr(p, '=')))
			continue;
		*eq = '\0';
		k = p;
		v = eq + 1;
		for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcmp(k, "aws_access_key_id") == 0 && !c->key_id)
			c->key_id = strdup(v);
		else if (strcmp(k, "aws_secret_access_key") == 0 && !c->secret)
			c->secret = strdup(v);
		else if (strcmp(k, "aws_session_token") == 0 && !c->token)
			c->token = strdup(v);
	}
	fclose(f);
}

int pb_fetch_s3_from_env(struct pb_s3_config *c, const char *endpoint, struct pb_buf *err)
{
	memset(c, 0, sizeof(*c));
	c->endpoint = endpoint && *endpoint ? strdup(endpoint) : dup_env("AWS_ENDPOINT_URL");
	c->region = dup_env("AWS_REGION");
	if (!c->region)
		c->region = dup_env("AWS_DEFAULT_REGION");
	if (!c->region)
		c->region = strdup("us-east-1");
	c->key_id = dup_env("AWS_ACCESS_KEY_ID");
	c->secret = dup_env("AWS_SECRET_ACCESS_KEY");
	c->token = dup_env("AWS_SESSION_TOKEN");
	c->ca_bundle = dup_env("AWS_CA_BUNDLE");
	if (!c->key_id || !c->secret)
		read_credentials_file(c);
	if (!c->key_id || !c->secret) {
		pb_buf_reset(err);
		pb_buf_addstr(err,
			      "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE "
			      "and a shared credentials file");
		pb_fetch_s3_release(c);
		return -1;
	}
	return 0;
}

void pb_fetch_s3_release(struct pb_s3_config *c)
{
	free(c->endpoint);
	free(c->region);
	free(c->key_id);
	if (c->secret)
		memset(c->secret, 0, strlen(c->secret));
	free(c->secret);
	free(c->token);
	free(c->ca_bundle);
	memset(c, 0, sizeof(*c));
}

/*
 * s3://bucket/key to the HTTP URL: path style at the endpoint, or virtual-hosted at AWS. The key is written as
 * it is (a space, '+', '%'), like the AWS CLI's: it goes percent-encoded, '/' kept.
 */
static char *s3_http_url(const char *url, const struct pb_s3_config *s3)
{
	const char *rest = url + 5, *slash = strchr(rest, '/');
	struct pb_buf b = PB_BUF_INIT;
	char *out;

	if (!slash || slash == rest || !slash[1])
		return NULL;
	if (s3 && s3->endpoint) {
		size_t n = strlen(s3->endpoint);

		while (n && s3->endpoint[n - 1] == '/')
			n--;
		pb_buf_addf(&b, "%.*s/", (int)n, s3->endpoint);
		pb_http_add_path(&b, rest);
	} else {
		pb_buf_addf(&b, "https://%.*s.s3.%s.amazonaws.com", (int)(slash - rest), rest,
			    s3 && s3->region ? s3->region : "us-east-1");
		pb_http_add_path(&b, slash);
	}
	out = b.failed ? NULL : strdup(pb_buf_str(&b));
	pb_buf_release(&b);
	return out;
}

/* A base64 MD5 (Content-MD5, x-ms-blob-content-md5) as lower-case hex into hex (33 bytes), or "" when it is none. */
static void md5_from_base64(const char *v, char *hex)
{
	unsigned char md[20];
	size_t n = strcspn(v, " \t");
	int i;

	hex[0] = '\0';
	if (n != 24 || v[22] != '=' || v[23] != '=' || EVP_DecodeBlock(md, (const unsigned char *)v, 24) != 18)
		return;
	for (i = 0; i < 16; i++) {
		hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	hex[32] = '\0';
}

/* An S3 ETag that is the MD5 of the object ("32 hex digits", no "-N" of a multipart upload), into hex, or "". */
static void md5_from_etag(const char *v, char *hex)
{
	size_t i;

	hex[0] = '\0';
	if (strlen(v) != 34 || v[0] != '"' || v[33] != '"' || strspn(v + 1, "0123456789abcdefABCDEF") != 32)
		return;
	for (i = 0; i < 32; i++)
		hex[i] = (char)(v[1 + i] >= 'A' && v[1 + i] <= 'F' ? v[1 + i] - 'A' + 'a' : v[1 + i]);
	hex[32] = '\0';
}

/*
 * The MD5 the object is checked against (see struct pb_fetch), or NULL; the name of the header that gave it
 * into *header when header is not NULL.
 */
static const char *want_md5(const struct pb_fetch *f, const char **header)
{
	const char *name = NULL, *md5 = NULL;

	if (f->content_md5[0]) {
		name = "Content-MD5";
		md5 = f->content_md5;
	} else if (f->blob_md5[0]) {
		name = "x-ms-blob-content-md5";
		md5 = f->blob_md5;
	} else if (f->opts.s3 && f->etag_md5[0] && !f->sse_not_md5) {
		name = "ETag";
		md5 = f->etag_md5;
	}
	if (header)
		*header = name;
	return md5;
}

/* An MD5 header of a response with a body: kept from the first response only (whole-object values). */
static void md5_header(struct pb_fetch *f, const char *name, const char *v)
{
	if (f->attempt_from != 0)
		return;
	if (strcasecmp(name, "Content-MD5") == 0 && f->status == 200)
		md5_from_base64(v, f->content_md5);
	else if (strcasecmp(name, "x-ms-blob-content-md5") == 0)
		md5_from_base64(v, f->blob_md5);
	else if (strcasecmp(name, "ETag") == 0)
		md5_from_etag(v, f->etag_md5);
	else if (strcasecmp(name, "x-amz-server-side-encryption-customer-algorithm") == 0 ||
		 (strcasecmp(name, "x-amz-server-side-encryption") == 0 &&
		  (strncmp(v, "aws:kms", 7) == 0 || (f->opts.s3 && f->opts.s3->endpoint))))
		f->sse_not_md5 = 1; /* the ETag of an object encrypted so is no MD5 of its bytes */
}

/* Puts the chunk being filled, if it holds anything. */
static void put_slot(struct pb_fetch *f)
{
	if (f->fill)
		pb_ring_put(&f->ring, f->fill);
	f->slot = NULL;
	f->fill = 0;
}

static void note_tls(struct pb_fetch *f);

/*
 * Whether the object's ETag binds a range to the version read so far: a strong one. A weak one (W/"...") names
 * a version only loosely, and If-Match compares strongly (RFC 9110 13.1.1): a server answers a request bound to it
 * 412, whatever the object. Such an object is asked for whole again, as one without an ETag is.
 */
static int strong_etag(const struct pb_fetch *f)
{
	return f->etag[0] && strncmp(f->etag, "W/", 2) != 0;
}

/*
 * A 200 to a resumed request of an object without an ETag has given again as many bytes as were handed on: 1 when
 * they are those bytes (or there is an ETag, which the answer had to keep), else 0 with f->changed saying so.
 */
static int same_bytes_again(struct pb_fetch *f)
{
	unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	unsigned int na = 0, nb = 0;
	EVP_MD_CTX *copy;
	int same;

	if (f->seen_on == 0)
		return 1;
	copy = EVP_MD_CTX_new();
	same = f->seen_on > 0 && copy && EVP_MD_CTX_copy_ex(copy, f->seen) == 1 &&
	       EVP_DigestFinal_ex(copy, a, &na) == 1 && EVP_DigestFinal_ex(f->again, b, &nb) == 1 && na == nb &&
	       memcmp(a, b, na) == 0;
	EVP_MD_CTX_free(copy);
	if (!same)
		snprintf(f->changed, sizeof(f->changed),
			 "it has no %sETag, and its first %llu bytes, sent again, are not %s",
			 f->etag[0] ? "strong " : "", (unsigned long long)f->attempt_from,
			 f->seen_on > 0 ? "the ones received before" : "known to be the ones received before");
	return same;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pb_fetch *f = arg;
	size_t n = size * nmemb, left = n;

	f->got_body = 1;
	if (f->changed[0])
		return 0; /* another version of the object: nothing of it is handed on */
	if (f->body_ok && f->status == 206 && f->range_start != (int64_t)f->attempt_from) {
		f->wrong_start = 1;
		return 0; /* bytes of another place: none is handed on, even if the answer is cut short */
	}
	if (!f->body_ok) {
		/* An error document: kept (capped) for the message, never handed to the reader. */
		if (f->errbody.len < ERRBODY_MAX)
			pb_buf_add(&f->errbody, data, n < ERRBODY_MAX ? n : ERRBODY_MAX);
		return n;
	}
	/* A GET standing for a HEAD: its headers said what was asked; no byte of the body is taken, nor waited for. */
	if (f->opts.head == 2) {
		f->probed = 1;
		return 0; /* libcurl ends the transfer */
	}
	note_tls(f);
	if (f->skip) {
		size_t k = f->skip < left ? (size_t)f->skip : left;

		if (f->skip == f->attempt_from && f->seen_on > 0 &&
		    EVP_DigestInit_ex(f->again, EVP_sha256(), NULL) != 1)
			f->seen_on = -1;
		if (f->seen_on > 0 && EVP_DigestUpdate(f->again, data, k) != 1)
			f->seen_on = -1;
		f->skip -= k;
		data += k;
		left -= k;
		if (!f->skip && !same_bytes_again(f))
			return 0; /* another version's bytes follow: none is handed on */
	}
	/*
	 * Bytes past the object's end, as the first response gave its length (length_header refuses a resumed range
	 * that says so; this one did not). None of them is handed on.
	 */
	if (f->full_length >= 0 && left > (uint64_t)f->full_length - f->delivered) {
		if (!f->changed[0])
			snprintf(f->changed, sizeof(f->changed), "%lld bytes long, now longer",
				 (long long)f->full_length);
		return 0;
	}
	/* The object's first bytes: hashed from here when the server gave its MD5, and when it gave no ETag. */
	if (f->delivered == 0 && left && want_md5(f, NULL))
		f->hashing = EVP_DigestInit_ex(f->md5, EVP_md5(), NULL) == 1 ? 1 : -1;
	if (f->hashing > 0 && left && EVP_DigestUpdate(f->md5, data, left) != 1)
		f->hashing = -1;
	if (f->delivered == 0 && left && !strong_etag(f))
		f->seen_on = EVP_DigestInit_ex(f->seen, EVP_sha256(), NULL) == 1 ? 1 : -1;
	if (f->seen_on > 0 && left && EVP_DigestUpdate(f->seen, data, left) != 1)
		f->seen_on = -1;
	while (left) {
		size_t k;

		if (!f->slot && !(f->slot = pb_ring_slot(&f->ring)))
			return 0; /* stopped: curl ends the transfer */
		k = RING_CHUNK - f->fill;
		if (k > left)
			k = left;
		memcpy(f->slot + f->fill, data, k);
		f->fill += k;
		f->delivered += k;
		data += k;
		left -= k;
		if (f->fill == RING_CHUNK)
			put_slot(f);
	}
	return n;
}

/*
 * A version header (ETag, Last-Modified) of a response with a body: kept from the first, compared on a resumed
 * attempt. A server may ignore If-Match (and Range): bytes of another version must not be spliced on.
 */
static void same_version(struct pb_fetch *f, const char *name, char *first, size_t size, const char *v)
{
	if (f->attempt_from == 0 || !first[0]) {
		if (f->attempt_from == 0)
			snprintf(first, size, "%s", v);
		return;
	}
	/* first holds at most size - 1 bytes of the value: compare as much of this one. */
	if (strncmp(first, v, size - 1) != 0 && !f->changed[0])
		snprintf(f->changed, sizeof(f->changed), "%s was %.250s, now %.250s", name, first, v);
}

/*
 * The ETag of an answer with a body, from its whole header line (len bytes, without its line break): kept whole,
 * since a resumed download names it in If-Match. Returns 0, or -1 with f->long_etag set when it is longer than
 * PB_FETCH_ETAG_MAX, or f->two_etags when the answer gave another before.
 */
static int etag_header(struct pb_fetch *f, const char *data, size_t len)
{
	const char *v = memchr(data, ':', len);
	char value[PB_FETCH_ETAG_MAX + 1];
	size_t n;

	if (!v)
		return 0;
	v++;
	n = len - (size_t)(v - data);
	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n > PB_FETCH_ETAG_MAX) {
		f->long_etag = n;
		return -1;
	}
	memcpy(value, v, n);
	value[n] = '\0';
	/*
	 * Two ETags that differ in one answer name no one version of its body, and a resumption would be bound to the
	 * last. (A download bound to a listing compares each with the listed one instead.)
	 */
	if (f->etag_seen && f->attempt_from == 0 && !f->listed[0] && strcmp(value, f->etag) != 0) {
		snprintf(f->two_etags, sizeof(f->two_etags), "%.250s and %.250s", f->etag, value);
		return -1;
	}
	f->etag_seen = 1;
	/* A server that ignores If-Match gives the version it has now: none of its bytes is taken. */
	if (f->attempt_from == 0 && f->listed[0] && strcmp(value, f->listed) != 0 && !f->changed[0]) {
		snprintf(f->changed, sizeof(f->changed), "the listing gave ETag %.250s, the answer %.250s", f->listed,
			 value);
		f->since_listed = 1;
	}
	same_version(f, "ETag", f->etag, sizeof(f->etag), value);
	return 0;
}

/* The object's whole length from a response; on a resumed attempt it must be the first one's. */
static void same_length(struct pb_fetch *f, int64_t len)
{
	if (f->attempt_from > 0 && f->full_length >= 0 && len != f->full_length && !f->changed[0])
		snprintf(f->changed, sizeof(f->changed), "%lld bytes long, now %lld", (long long)f->full_length,
			 (long long)len);
	f->full_length = len;
}

/*
 * A length or byte position of a header at *p: digits, up to 2^63 - 1, then stop (or the end, blanks after the
 * number allowed). Returns 0 with *out and *p after the digits, or -1.
 */
static int header_number(const char **p, const char *stop, int64_t *out)
{
	const char *s = *p;
	int64_t n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	if (!stop)
		while (*s == ' ' || *s == '\t')
			s++;
	if (stop ? !strchr(stop, *s) || !*s : *s != '\0')
		return -1;
	*out = n;
	*p = s;
	return 0;
}

/*
 * Content-Length, and Content-Range's "bytes FIRST-LAST/LENGTH" (or LENGTH "*"), of an answer with a body: its numbers
 * into f. Returns 0, or -1 with f->bad_header set when one is no length (2^63 or more: no file is that long).
 */
static int length_header(struct pb_fetch *f, const char *name, const char *v)
{
	const char *p = v;
	int64_t first, last, len;

	if (strcasecmp(name, "Content-Length") == 0) {
		/*
		 * Two Content-Lengths that differ, on two lines or in one ("N, M") (RFC 9112 6.3): libcurl takes the
		 * last line's, and the first number of a line, and the body could be cut short or run on past the
		 * object's end unseen. The same one again is only repeated: "N, N" (a proxy that joined two lines) is N
		 * (RFC 9110 8.6), as two lines of N are.
		 */
		char list[512], *save = NULL, *item;
		int n = 0;

		snprintf(list, sizeof(list), "%s", v);
		for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
			const char *q = item + strspn(item, " \t");

			if (!*q)
				continue; /* an empty element of the list */
			if (header_number(&q, NULL, &len) < 0)
				break;
			if (f->content_length >= 0 && len != f->content_length) {
				snprintf(f->two_lengths, sizeof(f->two_lengths), "%lld and %lld",
					 (long long)f->content_length, (long long)len);
				return -1;
			}
			f->content_length = len;
			n++;
		}
		if (!item && n)
			return 0;
	} else if (strncmp(p, "bytes ", 6) == 0) {
		p += 6;
		if (header_number(&p, "-", &first) == 0 && (p++, header_number(&p, "/", &last) == 0) && last >= first) {
			p++;
			f->range_start = first;
			/* A resumed range past the end the first response gave: the object grew (its total may be "*").
			 */
			if (f->attempt_from > 0 && f->full_length >= 0 && last >= f->full_length && !f->changed[0])
				snprintf(f->changed, sizeof(f->changed), "%lld bytes long, now at least %lld",
					 (long long)f->full_length, (long long)last + 1);
			if (*p == '*' && strspn(p + 1, " \t") == strlen(p + 1))
				return 0;
			if (header_number(&p, NULL, &len) == 0 && len > last) {
				same_length(f, len);
				return 0;
			}
		}
	} else {
		return 0; /* another unit than bytes: judged by the body it gives */
	}
	snprintf(f->bad_header, sizeof(f->bad_header), "%.20s %.120s", name, v);
	return -1;
}

/*
 * The complete length a 416's Content-Range gives into *len: the unit "bytes", an unsatisfied range ("*") and the
 * length (RFC 9110 14.4). Returns 0, or -1 for any other value.
 */
static int unsatisfied_range(const char *v, int64_t *len)
{
	const char *p = v;

	if (strncmp(p, "bytes *", 7) != 0 || p[7] != '/')
		return -1;
	p += 8;
	return header_number(&p, NULL, len);
}

/*
 * A 416's Content-Range v into f. Content-Range is one value (RFC 9110 14.4): a second that gives another length
 * says two things of the object, and a value that is not an unsatisfied range describes nothing; either way the
 * answer no longer describes the object, whatever another line says. The same one again is only repeated.
 */
static void range_416(struct pb_fetch *f, const char *v)
{
	int64_t len;

	if (unsatisfied_range(v, &len) < 0 || (f->range_seen && len != f->object_length)) {
		f->described = 0;
		return;
	}
	f->object_length = len;
	f->range_seen = 1;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pb_fetch *f = arg;
	size_t n = size * nmemb;
	char line[512];
	char *v;
	size_t k = n < sizeof(line) - 1 ? n : sizeof(line) - 1, len = n;

	memcpy(line, data, k);
	line[k] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue, say): its headers start over. */
		char *sp = strchr(line, ' ');

		f->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		f->http1 = strncmp(line, "HTTP/1", 6) == 0;
		f->chunked = 0;
		f->content_length = -1;
		f->range_start = -1;
		f->retry_after = 0;
		pb_retry_after_reset(&f->ra);
		f->location[0] = '\0';
		f->etag_seen = 0;
		f->headers_done = 0;
		/*
		 * A GET of the first byte standing for a HEAD is answered 416 when the object has no bytes (bytes=0-0
		 * is unsatisfiable then only): such an answer describes it as a 206 would, its length that of its
		 * Content-Range (some servers send none). One that gives another length (a server that is wrong, an
		 * object that changed between the range and the length) describes it all the same: that length is
		 * the caller's to compare.
		 */
		f->described = f->status == 416 && f->opts.head == 2;
		f->object_length = 0;
		f->range_seen = 0;
		f->body_ok = f->status == 200 || f->status == 206 || (f->status == 416 && f->opts.head == 2);
		if (f->status == 200 && f->attempt_from > 0)
			f->skip = f->attempt_from; /* the server ignored Range: drop what we have */
		return n;
	}
	/*
	 * The trailer fields after a chunked body, and the blank line that ends them: no part of the answer's framing,
	 * version or checksum (RFC 9110 6.5.1), never taken for its header fields.
	 */
	if (f->headers_done)
		return n;
	/* A 416 whose Content-Range is not one: an error, none of its headers taken for the object's. */
	if (!line[0] && f->status == 416 && f->body_ok && !f->described) {
		f->body_ok = 0;
		f->etag[0] = f->last_modified[0] = '\0';
		f->etag_seen = 0;
	}
	/*
	 * The end of the headers. An HTTP/1 body with neither a Content-Length nor chunked encoding ends where the
	 * connection closes, and so does one cut short on its way (at a line break, a CSV that reads whole): it is
	 * refused before any of it is taken.
	 */
	/*
	 * Retry-After as an HTTP date (RFC 9110 10.2.3): the wait is counted from the answer's Date, so that a server
	 * whose clock is not ours asks for what it means; a date past is no wait.
	 */
	if (!line[0] && pb_retry_after_s(&f->ra) > 0)
		f->retry_after = pb_retry_after_s(&f->ra);
	/*
	 * An answer without an ETag to a request bound to the version listed: whether the server compared If-Match or
	 * ignored it (and gives the version it has now) cannot be told. None of its bytes is taken.
	 */
	if (!line[0] && f->body_ok && f->attempt_from == 0 && f->listed[0] && !f->etag_seen && !f->changed[0]) {
		snprintf(f->changed, sizeof(f->changed), "the listing gave ETag %.250s, the answer none", f->listed);
		f->since_listed = 1;
	}
	/* Likewise a resumption answered without the ETag its If-Match named: its bytes are not spliced on. */
	if (!line[0] && f->body_ok && f->attempt_from > 0 && strong_etag(f) && !f->etag_seen && !f->changed[0])
		snprintf(f->changed, sizeof(f->changed), "ETag was %.250s, now none", f->etag);
	if (!line[0] && f->body_ok && f->http1 && f->content_length < 0 && !f->chunked && !f->opts.head) {
		f->no_length = 1;
		return 0; /* libcurl ends the transfer */
	}
	/*
	 * Both a Content-Length and chunked encoding: the chunks say where the body ends, and the length something else
	 * (RFC 9112 6.3: such a message ought to be handled as an error). Neither is taken.
	 */
	if (!line[0] && f->body_ok && f->http1 && f->content_length >= 0 && f->chunked && !f->opts.head) {
		f->length_and_chunked = 1;
		return 0; /* libcurl ends the transfer */
	}
	if (!line[0]) {
		f->headers_done = 1;
		return n;
	}
	v = strchr(line, ':');
	if (!v)
		return n;
	*v++ = '\0';
	while (*v == ' ')
		v++;
	if (f->body_ok)
		md5_header(f, line, v);
	if (f->status == 416 && strcasecmp(line, "Content-Range") == 0) {
		if (f->body_ok)
			range_416(f, v);
	} else if (strcasecmp(line, "ETag") == 0 && f->body_ok) {
		if (etag_header(f, data, len) < 0)
			return 0; /* libcurl ends the transfer */
	} else if (strcasecmp(line, "Last-Modified") == 0 && f->body_ok)
		same_version(f, "Last-Modified", f->last_modified, sizeof(f->last_modified), v);
	else if ((strcasecmp(line, "Content-Length") == 0 || strcasecmp(line, "Content-Range") == 0) && f->body_ok) {
		/* A line longer than the one kept would be read cut short: 1000 digits are no length either. */
		if (len > sizeof(line) - 1) {
			snprintf(f->bad_header, sizeof(f->bad_header), "%.20s %.60s... (%zu bytes)", line, v, len);
			return 0;
		}
		if (length_header(f, line, v) < 0)
			return 0; /* libcurl ends the transfer */
	} else if (strcasecmp(line, "Transfer-Encoding") == 0 && strcasestr(v, "chunked"))
		f->chunked = 1;
	else if (strcasecmp(line, "Retry-After") == 0 || strcasecmp(line, "Date") == 0)
		pb_retry_after_header(&f->ra, line, v);
	else if (strcasecmp(line, "Location") == 0)
		snprintf(f->location, sizeof(f->location), "%s", v);
	if (f->status == 200 && strcasecmp(line, "Content-Length") == 0)
		same_length(f, f->content_length);
	return n;
}

/*
 * The S3 (or Azure Storage) error code of an error document (<Code>AccessDenied</Code>) appended to why as
 * " (CODE)", its control and format characters shown (pb_text_add_visible): nothing when it has none, or a
 * longer one than a code.
 */
static void add_error_code(const struct pb_buf *body, struct pb_buf *why)
{
	const char *s = pb_buf_str(body), *a = strstr(s, "<Code>"), *b;

	if (!a || !(b = strstr(a + 6, "</Code>")) || b == a + 6 || b - a - 6 >= 64)
		return;
	pb_buf_addstr(why, " (");
	pb_text_add_visible(why, a + 6, (size_t)(b - a - 6));
	pb_buf_addch(why, ')');
}

static int stopped(void *arg)
{
	return pb_ring_stopped(arg) || pb_interrupted();
}

/*
 * libcurl's notes on a transfer (CURLOPT_VERBOSE): only one is read, that an answer went on past its
 * Content-Length (or its last chunk), bytes that libcurl leaves out of the body without failing the transfer.
 */
static int on_debug(CURL *curl, curl_infotype type, char *text, size_t n, void *arg)
{
	struct pb_fetch *f = arg;

	(void)curl;
	if (type == CURLINFO_TEXT && ((n >= 12 && memcmp(text, "Excess found", 12) == 0) ||
				      (n >= 24 && memcmp(text, "Leftovers after chunking", 24) == 0)))
		f->excess = 1;
	return 0;
}

/*
 * After a whole body, on a connection libcurl keeps: bytes of the answer already waiting there are more than its
 * Content-Length said. libcurl reads no further than that length (what follows would be the start of the next
 * answer) and so never fails such a transfer. Over TLS the bytes are looked at through the TLS connection (a
 * record that is no data, such as a close_notify or a session ticket, does not count); with a TLS library other
 * than OpenSSL only what libcurl itself noted counts (on_debug).
 */
static int bytes_after_body(struct pb_fetch *f)
{
	curl_socket_t s = CURL_SOCKET_BAD;
	char *scheme = NULL, c;
	struct pollfd p;
	long version = 0;
	int n;

	/* HTTP/1 only: over HTTP/2 a stream ends where its frames say, and other frames may follow on the connection.
	 */
	if (curl_easy_getinfo(f->curl, CURLINFO_HTTP_VERSION, &version) != CURLE_OK ||
	    (version != CURL_HTTP_VERSION_1_0 && version != CURL_HTTP_VERSION_1_1))
		return 0;
	if (curl_easy_getinfo(f->curl, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK || s == CURL_SOCKET_BAD ||
	    curl_easy_getinfo(f->curl, CURLINFO_SCHEME, &scheme) != CURLE_OK || !scheme)
		return 0;
	if (strcasecmp(scheme, "https") == 0) {
		if (!f->ssl)
			return 0;
		/* The socket is libcurl's, non-blocking: SSL_peek takes what is there and waits for nothing. */
		ERR_clear_error();
		n = SSL_pending(f->ssl) > 0 || SSL_peek(f->ssl, &c, 1) > 0;
		ERR_clear_error();
		return n;
	}
	p.fd = s;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && recv(s, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

/* Notes the attempt's TLS connection (OpenSSL's), for bytes_after_body. */
static void note_tls(struct pb_fetch *f)
{
	struct curl_tlssessioninfo *ti = NULL;

	if (f->tls_noted)
		return;
	f->tls_noted = 1;
	if (curl_easy_getinfo(f->curl, CURLINFO_TLS_SSL_PTR, &ti) == CURLE_OK && ti &&
	    ti->backend == CURLSSLBACKEND_OPENSSL)
		f->ssl = ti->internals;
}

/* What one attempt sends besides the URL; lives until the attempt ends. */
struct request {
	struct curl_slist *hdr;
	char range[64], ifmatch[PB_FETCH_ETAG_MAX + 16], sigv4[128], userpwd[1024], token[2048], date[64];
	struct pb_buf auth;
};

static void request_release(struct request *rq)
{
	curl_slist_free_all(rq->hdr);
	memset(rq->userpwd, 0, sizeof(rq->userpwd));
	memset(rq->token, 0, sizeof(rq->token));
	if (rq->auth.ptr)
		memset(rq->auth.ptr, 0, rq->auth.len);
	pb_buf_release(&rq->auth);
}

static void set_options(struct pb_fetch *f)
{
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, f->http_url);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, f);
	/* A proxy's answer to CONNECT (200 Connection established, without a length) is not the server's. */
	curl_easy_setopt(f->curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	pb_curl_stop_on_signal(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(f->curl, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(f->curl, CURLOPT_DEBUGDATA, f);
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS, f->opts.connect_timeout_ms);
	/*
	 * A stall: under min_rate over stall_seconds (a server sending a byte a second keeps a limit of 1 byte/s
	 * content). The whole download ends at its deadline, however it goes.
	 */
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_LIMIT, f->opts.min_rate);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_TIME, f->opts.stall_seconds);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, (long)(time_left_ms(f) > 0 ? time_left_ms(f) : 1));
	/* Signed requests are not redirected: custom headers (x-amz-security-token) would follow to any host. */
	curl_easy_setopt(f->curl, CURLOPT_FOLLOWLOCATION, f->opts.s3 || f->opts.azure ? 0L : 1L);
	curl_easy_setopt(f->curl, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
	/* An S3 key is taken as it is written: "a/../b" is an object of its own, not b. */
	if (f->opts.s3)
		curl_easy_setopt(f->curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	/*
	 * TLS certificates are verified (libcurl's default, stated), against --cacert, else AWS_CA_BUNDLE for
	 * the S3 endpoint, else CURL_CA_BUNDLE or SSL_CERT_FILE; proxies come from the environment.
	 */
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, f->curl_err);
	pb_tls_setopt(f->curl);
	if (f->opts.head == 1)
		curl_easy_setopt(f->curl, CURLOPT_NOBODY, 1L);
	if (f->opts.s3 && f->opts.s3->ca_bundle && !pb_tls_ca_given())
		curl_easy_setopt(f->curl, CURLOPT_CAINFO, f->opts.s3->ca_bundle);
}

/* SigV4 by libcurl, with the payload hash s3rver and S3 want and the session token. */
static void sign_s3(struct pb_fetch *f, struct request *rq)
{
	const struct pb_s3_config *s3 = f->opts.s3;

	snprintf(rq->sigv4, sizeof(rq->sigv4), "aws:amz:%s:s3", s3->region);
	snprintf(rq->userpwd, sizeof(rq->userpwd), "%s:%s", s3->key_id, s3->secret);
	curl_easy_setopt(f->curl, CURLOPT_AWS_SIGV4, rq->sigv4);
	curl_easy_setopt(f->curl, CURLOPT_USERPWD, rq->userpwd);
	rq->hdr = curl_slist_append(rq->hdr, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	if (s3->token) {
		snprintf(rq->token, sizeof(rq->token), "x-amz-security-token: %s", s3->token);
		rq->hdr = curl_slist_append(rq->hdr, rq->token);
	}
}

/*
 * Shared Key over the request's method (HEAD for opts.head 1, else GET), the x-ms-* headers and the resume headers
 * (Range, If-Match) when there are any.
 */
static void sign_azure(struct pb_fetch *f, struct request *rq)
{
	const char *signed_hdr[4];
	size_t n = 0;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(rq->date, sizeof(rq->date), "x-ms-date: %a, %d %b %Y %H:%M:%S GMT", &tm);
	signed_hdr[n++] = rq->date;
	signed_hdr[n++] = "x-ms-version: " PB_AZURE_API_VERSION;
	if (rq->range[0])
		signed_hdr[n++] = rq->range;
	if (rq->ifmatch[0])
		signed_hdr[n++] = rq->ifmatch;
	rq->hdr = curl_slist_append(rq->hdr, rq->date);
	rq->hdr = curl_slist_append(rq->hdr, "x-ms-version: " PB_AZURE_API_VERSION);
	if (pb_azure_shared_key(f->opts.azure, f->opts.head == 1 ? "HEAD" : "GET", f->http_url, signed_hdr, n,
				&rq->auth) == 0) {
		struct pb_buf line = PB_BUF_INIT;

		pb_buf_addf(&line, "Authorization: %s", pb_buf_str(&rq->auth));
		rq->hdr = curl_slist_append(rq->hdr, pb_buf_str(&line));
		if (line.ptr)
			memset(line.ptr, 0, line.len);
		pb_buf_release(&line);
	}
}

/* The headers of an attempt: signing, and a Range bound to the ETag when bytes were received before. */
static void add_headers(struct pb_fetch *f, struct request *rq)
{
	/* Every attempt of an object listed is bound to the version listed, the first one too. */
	const char *bind = f->listed[0] ? f->listed : NULL;

	if (f->opts.s3)
		sign_s3(f, rq);
	/*
	 * Without a strong ETag, nothing binds a range to the version read so far but its length and a Last-Modified
	 * (to the second: an object replaced within it is not told apart): the object is asked for whole again, and the
	 * bytes given again are compared with those taken (same_bytes_again).
	 */
	if (f->delivered > 0 && strong_etag(f)) {
		snprintf(rq->range, sizeof(rq->range), "Range: bytes=%llu-", (unsigned long long)f->delivered);
		rq->hdr = curl_slist_append(rq->hdr, rq->range);
		bind = f->etag; /* the listed one, when there is one: the first answer had to give it */
	} else if (f->opts.head == 2) {
		snprintf(rq->range, sizeof(rq->range), "Range: bytes=0-0");
		rq->hdr = curl_slist_append(rq->hdr, rq->range);
	}
	if (bind) {
		snprintf(rq->ifmatch, sizeof(rq->ifmatch), "If-Match: %s", bind);
		rq->hdr = curl_slist_append(rq->hdr, rq->ifmatch);
	}
	if (f->opts.azure)
		sign_azure(f, rq);
	if (rq->hdr)
		curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, rq->hdr);
}

/* An answer that is no body: 1 to retry (5xx, 429, 408), else -1, with why. */
static int judge_status(struct pb_fetch *f, struct pb_buf *why)
{
	pb_buf_addf(why, "HTTP %ld", f->status);
	add_error_code(&f->errbody, why);
	if (f->status == 412 && f->attempt_from == 0 && f->listed[0]) {
		pb_buf_addf(why, ": the object changed since it was listed (the listing gave ETag %.250s)", f->listed);
		return -1;
	}
	if (f->status == 412) {
		pb_buf_addstr(why, ": the object changed while it was downloaded");
		return -1;
	}
	if (f->status >= 300 && f->status < 400 && f->location[0]) {
		pb_buf_addstr(why, " to ");
		pb_url_add(why, f->location);
		pb_buf_addstr(why, ": a signed request is not redirected");
		return -1;
	}
	/* A HEAD the server does not implement: asked again, it says the same. */
	if (f->status == 501 && f->opts.head == 1)
		return -1;
	return f->status >= 500 || f->status == 429 || f->status == 408 ? 1 : -1;
}

/*
 * The whole object received: its MD5 against the one the server gave. Returns 0 when they agree (or there is
 * none to check), else -1 with both in why. Its bytes were handed on as they came, so it is not fetched again.
 */
static int check_md5(struct pb_fetch *f, struct pb_buf *why)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	const char *header, *want = want_md5(f, &header);
	char got[33];

	if (!want || !f->hashing)
		return 0;
	if (f->hashing < 0 || EVP_DigestFinal_ex(f->md5, md, &n) != 1 || n != 16) {
		pb_buf_addstr(why, "cannot compute the MD5 of the bytes received");
		return -1;
	}
	f->hashing = 0;
	for (i = 0; i < 16; i++) {
		got[2 * i] = "0123456789abcdef"[md[i] >> 4];
		got[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	got[32] = '\0';
	if (strcmp(got, want) == 0)
		return 0;
	pb_buf_addf(why, "the bytes received are not the object the server describes: their MD5 is %s, its %s gives %s",
		    got, header, want);
	return -1;
}

/* Says that the download's deadline passed, and after how many attempts. */
static void deadline_passed(const struct pb_fetch *f, struct pb_buf *why)
{
	pb_buf_addf(why, "the download did not end within %ld s (%d attempt%s)", f->opts.deadline_seconds, f->attempts,
		    f->attempts == 1 ? "" : "s");
}

/* How an attempt ended: 0 when the body is complete, 1 to retry, -1 on a final failure (why says it). */
static int judge(struct pb_fetch *f, CURLcode rc, struct pb_buf *why)
{
	long connect_code = 0;
	int transient, not_tls;

	pb_buf_reset(why);
	if (pb_ring_stopped(&f->ring)) {
		pb_buf_addstr(why, "stopped");
		return -1;
	}
	if (pb_interrupted()) {
		pb_buf_addstr(why, pb_interrupt_reason());
		return -1;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT && time_left_ms(f) == 0) {
		deadline_passed(f, why);
		return -1;
	}
	if (f->long_etag) {
		pb_buf_addf(why, "HTTP %ld with an ETag of %zu bytes, longer than the %d kept to resume a download",
			    f->status, f->long_etag, PB_FETCH_ETAG_MAX);
		return -1;
	}
	if (f->bad_header[0]) {
		pb_buf_addf(why, "HTTP %ld with ", f->status);
		pb_url_add_text(why, f->bad_header);
		pb_buf_addstr(why, ": not a length (a whole number of bytes below 2^63)");
		return -1;
	}
	if (f->two_lengths[0]) {
		pb_buf_addf(why,
			    "HTTP %ld with two Content-Lengths that differ, %s: the length of its body cannot be known",
			    f->status, f->two_lengths);
		return -1;
	}
	if (f->two_etags[0]) {
		pb_buf_addf(why, "HTTP %ld with two ETags that differ, ", f->status);
		pb_url_add_text(why, f->two_etags);
		pb_buf_addstr(why, ": the version of its body cannot be known");
		return -1;
	}
	if (f->length_and_chunked) {
		pb_buf_addf(why,
			    "HTTP %ld with both a Content-Length (%lld) and chunked encoding: the length of its body "
			    "cannot be known",
			    f->status, (long long)f->content_length);
		return -1;
	}
	if (f->no_length) {
		pb_buf_addf(
			why,
			"HTTP %ld with neither a Content-Length nor chunked encoding: a body cut short could not be "
			"told from a whole one",
			f->status);
		return -1;
	}
	if (f->changed[0]) {
		pb_buf_addf(why, "the object changed %s (",
			    f->since_listed ? "since it was listed" : "while it was downloaded");
		pb_url_add_text(why, f->changed);
		pb_buf_addstr(why, ")");
		return -1;
	}
	/*
	 * A HEAD answer describes the object: its length is not that of a body. So does the GET of its first byte that
	 * stands for one, ended once its headers were read (or whole: an empty object's).
	 */
	if (f->body_ok && f->opts.head && (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && f->probed)))
		return 0;
	if (f->wrong_start ||
	    (rc == CURLE_OK && f->body_ok && f->status == 206 && f->range_start != (int64_t)f->attempt_from)) {
		if (f->range_start < 0)
			pb_buf_addf(why,
				    "HTTP 206 without a Content-Range: the bytes resumed from %llu are not said to "
				    "start there",
				    (unsigned long long)f->attempt_from);
		else
			pb_buf_addf(why, "the server resumed at byte %lld, not %llu", (long long)f->range_start,
				    (unsigned long long)f->attempt_from);
		return -1;
	}
	/*
	 * A 200 to a resumed request that ended before giving again the bytes taken already: a shorter object (with
	 * no length to compare, a chunked answer). What was taken is not all of it; nothing more is.
	 */
	if (rc == CURLE_OK && f->body_ok && f->skip) {
		pb_buf_addf(why,
			    "the object changed while it was downloaded (%llu bytes were received, and it now ends "
			    "after %llu)",
			    (unsigned long long)f->attempt_from, (unsigned long long)(f->attempt_from - f->skip));
		return -1;
	}
	if (rc == CURLE_OK && f->body_ok && (f->excess || bytes_after_body(f))) {
		if (f->content_length >= 0)
			pb_buf_addf(why,
				    "the server sent more than the %lld bytes its Content-Length announced: the object "
				    "is not what it describes",
				    (long long)f->content_length);
		else
			pb_buf_addstr(why,
				      "the server sent more bytes after the last chunk of its answer: the object is "
				      "not what it describes");
		return -1;
	}
	if (rc == CURLE_OK && f->body_ok) {
		if (f->full_length >= 0 && f->delivered != (uint64_t)f->full_length) {
			pb_buf_addf(why, "received %llu bytes, but the server announced %lld",
				    (unsigned long long)f->delivered, (long long)f->full_length);
			return 1;
		}
		return check_md5(f, why);
	}
	if (rc == CURLE_OK || rc == CURLE_WRITE_ERROR)
		return judge_status(f, why);
	/* The proxy refused the tunnel for want of (the right) credentials: asking again changes nothing. */
	if (curl_easy_getinfo(f->curl, CURLINFO_HTTP_CONNECTCODE, &connect_code) == CURLE_OK && connect_code == 407) {
		pb_buf_addstr(why, "the proxy refused the request: HTTP 407 (Proxy Authentication Required)");
		return -1;
	}
	/* A redirect libcurl would not follow (CURLOPT_REDIR_PROTOCOLS_STR): say so, not "Protocol not supported". */
	if (rc == CURLE_UNSUPPORTED_PROTOCOL && f->status >= 300 && f->status < 400 && f->location[0]) {
		pb_buf_addf(why, "HTTP %ld to ", f->status);
		pb_url_add(why, f->location);
		pb_buf_addstr(why, ": a download is redirected only to https");
		return -1;
	}
	/* A redirect loop, or a chain too long: the server sends the same redirects again. */
	if (rc == CURLE_TOO_MANY_REDIRECTS) {
		char *to = NULL;

		if (curl_easy_getinfo(f->curl, CURLINFO_REDIRECT_URL, &to) != CURLE_OK || !to)
			to = f->location;
		pb_buf_addf(why, "HTTP %ld to ", f->status);
		pb_url_add(why, to);
		pb_buf_addf(why, ": more than %ld redirects", MAX_REDIRECTS);
		return -1;
	}
	/*
	 * Header lines libcurl refuses (one longer than 100 KB, which it calls "Out of memory", or 300 KB in all): the
	 * server gives the same answer again, so it is not asked again.
	 */
	if ((rc == CURLE_OUT_OF_MEMORY && f->status > 0 && !f->got_body) ||
	    strncmp(f->curl_err, "Too large response headers", 26) == 0) {
		pb_buf_addf(why, "HTTP %ld with header lines longer than libcurl takes (100 KB a line, 300 KB in all)",
			    f->status);
		return -1;
	}
	/* A header line libcurl refuses after a status line ("Nul byte in header"): the same answer comes again. */
	if (rc == CURLE_WEIRD_SERVER_REPLY && f->status > 0 && !f->got_body) {
		pb_buf_addf(why, "HTTP %ld with a header line libcurl refuses (", f->status);
		pb_url_add_text(why, f->curl_err[0] ? f->curl_err : curl_easy_strerror(rc));
		pb_buf_addstr(why, ")");
		return -1;
	}
	pb_url_add_text(why, f->curl_err[0] ? f->curl_err : curl_easy_strerror(rc));
	transient = pb_http_failure_transient(rc, f->curl_err, &not_tls);
	if (not_tls)
		pb_buf_addstr(why, ": the server does not speak TLS there (a plain http port?)");
	return transient ? 1 : -1;
}

/* One attempt. Returns 0 when the body is complete, 1 to retry, -1 on a final failure (message set). */
static int attempt(struct pb_fetch *f, struct pb_buf *why)
{
	struct request rq;
	CURLcode rc;

	if (time_left_ms(f) == 0) {
		f->attempts--; /* not made */
		pb_buf_reset(why);
		deadline_passed(f, why);
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	pb_buf_init(&rq.auth, 0);
	f->attempt_from = f->delivered;
	f->status = 0;
	f->skip = 0;
	f->body_ok = 0;
	f->changed[0] = '\0';
	f->since_listed = 0;
	f->wrong_start = 0;
	f->excess = 0;
	f->bad_header[0] = '\0';
	f->two_lengths[0] = '\0';
	f->two_etags[0] = '\0';
	f->no_length = 0;
	f->length_and_chunked = 0;
	f->long_etag = 0;
	f->ssl = NULL;
	f->tls_noted = 0;
	f->got_body = 0;
	f->probed = 0;
	if (f->delivered == 0) {
		/* Nothing received yet: this attempt's response is the first, whatever an earlier one said. */
		f->etag[0] = '\0';
		f->last_modified[0] = '\0';
		f->full_length = -1;
		f->content_md5[0] = f->blob_md5[0] = f->etag_md5[0] = '\0';
		f->sse_not_md5 = 0;
		f->hashing = 0;
		f->seen_on = 0;
	}
	pb_buf_reset(&f->errbody);
	if (f->delivered > 0 && !strong_etag(f))
		f->restarts++; /* see add_headers */
	set_options(f);
	add_headers(f, &rq);
	f->curl_err[0] = '\0';
	rc = curl_easy_perform(f->curl);
	request_release(&rq);
	return judge(f, rc, why);
}

static void *producer(void *arg)
{
	struct pb_fetch *f = arg;
	struct pb_buf why = PB_BUF_INIT, msg = PB_BUF_INIT;
	struct pb_retry r;
	int rc = 1;
	int past = 0; /* the server asks for a wait past the deadline */

	pb_retry_init(&r, &f->policy);
	while (rc > 0 && !past && !pb_ring_stopped(&f->ring) && pb_retry_begin(&r)) {
		f->attempts = r.attempt;
		rc = attempt(f, &why);
		if (rc > 0 && pb_retry_left(&r)) {
			long ra = f->retry_after > 0 ? pb_retry_after_ms(f->retry_after) : -1;
			long wait = pb_retry_wait_ms(&r, ra);
			int64_t left = time_left_ms(f);

			/*
			 * The server asking for longer than the time left (Retry-After): waiting it out would end in no
			 * attempt, and in no word of what the server said. The download fails now, saying it.
			 */
			if (ra > 0 && wait >= left)
				past = 1;
			else /* No wait past the deadline: the next attempt then says that it passed. */
				pb_retry_sleep_ms(wait < left ? wait : (long)left, stopped, &f->ring);
		}
	}
	if (rc == 0)
		put_slot(f);
	else if (pb_interrupted())
		pb_buf_addf(&msg, "%s: %s", f->url, pb_interrupt_reason());
	else if (past)
		pb_buf_addf(&msg,
			    "%s: %s (%d attempt%s), and the server asks to wait %ld s before the next: past the "
			    "download's deadline of %ld s, not retried",
			    f->url, pb_buf_str(&why), f->attempts, f->attempts == 1 ? "" : "s", f->retry_after,
			    f->opts.deadline_seconds);
	else if (rc > 0) {
		pb_buf_addf(&msg, "%s: failed after %d attempts: %s", f->url, f->attempts, pb_buf_str(&why));
		/* Why a download cut again and again went no further: no retry resumed it. */
		if (f->restarts == 1)
			pb_buf_addstr(&msg, " (the last one started over from the first byte");
		else if (f->restarts)
			pb_buf_addf(&msg, " (the last %d started over from the first byte", f->restarts);
		if (f->restarts)
			pb_buf_addf(&msg, ": it has no %sETag to bind a resumption to)", f->etag[0] ? "strong " : "");
	} else
		pb_buf_addf(&msg, "%s: %s, not retried", f->url, pb_buf_str(&why));
	pb_ring_close(&f->ring, rc == 0 ? NULL : msg.failed ? "download failed" : pb_buf_str(&msg));
	pb_buf_release(&why);
	pb_buf_release(&msg);
	return NULL;
}

long pb_fetch_read(void *arg, char *buf, size_t n, struct pb_buf *err)
{
	struct pb_fetch *f = arg;

	return pb_ring_get(&f->ring, buf, n, err);
}

/* Where the download goes and how it is signed. Returns 0, or -1 with a message in err. */
static int resolve(struct pb_fetch *f, const char *url, struct pb_buf *err)
{
	const char *p;

	/*
	 * A blank or a control character (a space, a tab, a line feed pasted with it) is no part of an http(s)
	 * URL: curl refuses it at each attempt, which read as the server failing (exit 3, a step pb-run retries).
	 * An S3 key is written as it is and sent percent-encoded (s3_http_url).
	 */
	for (p = url; strncmp(url, "s3://", 5) != 0 && *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			pb_url_message(err, url);
			pb_buf_addf(err,
				    "a URL holds no blank or control character (byte %zu): percent-encode it (%%20 for "
				    "a space)",
				    (size_t)(p - url) + 1);
			return -1;
		}
	if (strncmp(url, "s3://", 5) == 0) {
		if (!f->opts.s3) {
			pb_url_message(err, url);
			pb_buf_addstr(err, "no S3 configuration");
			return -1;
		}
		f->http_url = s3_http_url(url, f->opts.s3);
		if (!f->http_url) {
			pb_url_message(err, url);
			pb_buf_addstr(err, "not an S3 object URL (s3://BUCKET/KEY)");
			return -1;
		}
		return 0;
	}
	f->http_url = strdup(url);
	f->opts.s3 = NULL;
	/* A SAS carries its own signature; the Shared Key goes only to the account. */
	if (pb_url_has_sas(url))
		f->opts.azure = NULL;
	if (f->opts.azure && pb_azure_key_allowed(f->opts.azure, url, err) < 0)
		return -1;
	return 0;
}

/* The options with their defaults filled in, and the retry schedule they make. */
static void set_defaults(struct pb_fetch *f, const struct pb_fetch_opts *opts)
{
	if (opts)
		f->opts = *opts;
	if (!f->opts.connect_timeout_ms)
		f->opts.connect_timeout_ms = 10000;
	if (!f->opts.stall_seconds)
		f->opts.stall_seconds = 30;
	if (f->opts.min_rate <= 0)
		f->opts.min_rate = MIN_RATE;
	if (f->opts.deadline_seconds <= 0)
		f->opts.deadline_seconds = DEADLINE_SECONDS;
	if (!f->opts.max_attempts)
		f->opts.max_attempts = 5;
	if (!f->opts.backoff_ms)
		f->opts.backoff_ms = 200;
	/* Jittered backoff doubling to 10 s; a Retry-After lengthens a wait, up to a minute. */
	f->policy.attempts = f->opts.max_attempts;
	f->policy.first_ms = f->opts.backoff_ms;
	f->policy.cap_ms = BACKOFF_CAP_MS;
	f->policy.retry_after_cap_ms = RETRY_AFTER_CAP_MS;
	f->policy.jitter = 1;
	f->policy.retry_after_at_least = 1;
}

int pb_fetch_limit_option(const char *name, const char *value, struct pb_fetch_opts *o)
{
	static const struct {
		const char *name, *what;
		long max;
	} limits[] = {
		{"stall-timeout", "a positive number of seconds", 86400},
		{"min-rate", "a whole number of bytes a second from 1 to 1000000000", 1000000000},
		{"download-timeout", "a positive number of seconds (at most 7 days)", 86400 * 7},
	};
	size_t i;
	long n;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]) && strcmp(limits[i].name, name) != 0; i++)
		;
	if (i == sizeof(limits) / sizeof(limits[0]))
		return -1;
	if (pb_opts_count(value, 1, limits[i].max, &n) < 0) {
		pb_error("--%s takes %s, not '%s'", name, limits[i].what, value);
		return -1;
	}
	if (i == 0)
		o->stall_seconds = n;
	else if (i == 1)
		o->min_rate = n;
	else
		o->deadline_seconds = n;
	return 0;
}

int pb_fetch_open(const char *url, const struct pb_fetch_opts *opts, struct pb_fetch **out, struct pb_buf *err)
{
	struct pb_fetch *f;

	*out = NULL;
	pb_http_global_init();
	f = calloc(1, sizeof(*f));
	if (!f)
		goto nomem;
	set_defaults(f, opts);
	pb_buf_init(&f->errbody, ERRBODY_MAX * 2);
	f->full_length = -1;
	f->content_length = -1;
	f->began_ms = (int64_t)pb_now_ms();
	f->url = pb_url_redact(url);
	/* A weak ETag matches no If-Match (RFC 9110 13.1.1), and a longer one could not be compared whole. */
	if (f->opts.if_match && strncmp(f->opts.if_match, "W/", 2) != 0 &&
	    strlen(f->opts.if_match) <= PB_FETCH_ETAG_MAX)
		snprintf(f->listed, sizeof(f->listed), "%s", f->opts.if_match);
	f->opts.if_match = NULL; /* the caller's string need not outlive the open */
	if (resolve(f, url, err) < 0)
		goto fail;
	f->curl = curl_easy_init();
	f->md5 = EVP_MD_CTX_new();
	f->seen = EVP_MD_CTX_new();
	f->again = EVP_MD_CTX_new();
	if (!f->url || !f->http_url || !f->curl || !f->md5 || !f->seen || !f->again ||
	    pb_ring_init(&f->ring, RING_SLOTS, RING_CHUNK) < 0)
		goto nomem;
	if (pthread_create(&f->thread, NULL, producer, f) != 0) {
		pb_url_message(err, url);
		pb_buf_addstr(err, "cannot start the download thread");
		goto fail;
	}
	f->started = 1;
	*out = f;
	return 0;
nomem:
	pb_url_message(err, url);
	pb_buf_addstr(err, "out of memory");
fail:
	pb_fetch_free(f);
	return -1;
}

const char *pb_fetch_etag(const struct pb_fetch *f)
{
	return f->etag;
}

long pb_fetch_status(const struct pb_fetch *f)
{
	return f->status;
}

const char *pb_fetch_last_modified(const struct pb_fetch *f)
{
	return f->last_modified;
}

int64_t pb_fetch_object_length(const struct pb_fetch *f)
{
	if (!f->body_ok || !f->opts.head)
		return -1;
	if (f->status == 416)
		return f->described ? f->object_length : -1;
	return f->full_length;
}

void pb_fetch_cancel(struct pb_fetch *f)
{
	if (f && f->started)
		pb_ring_stop(&f->ring);
}

void pb_fetch_free(struct pb_fetch *f)
{
	if (!f)
		return;
	if (f->started) {
		pb_ring_stop(&f->ring);
		pthread_join(f->thread, NULL);
	}
	if (f->curl)
		curl_easy_cleanup(f->curl);
	pb_ring_release(&f->ring);
	pb_buf_release(&f->errbody);
	EVP_MD_CTX_free(f->md5);
	EVP_MD_CTX_free(f->seen);
	EVP_MD_CTX_free(f->again);
	free(f->url);
	free(f->http_url);
	free(f);
}
