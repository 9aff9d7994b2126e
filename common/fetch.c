/*
 * Downloads as byte streams. libcurl pushes the body from a thread of its own into a small ring of
 * chunks that the reader pulls from; a failed attempt is retried from the first byte not yet received,
 * so what the reader sees is the object's bytes exactly once, whatever happened on the wire.
 */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "url.h"

#include "banned.h"

#define RING_CHUNK ((size_t)1 << 20)
#define RING_SLOTS 4
#define ERRBODY_MAX 4096
#define BACKOFF_CAP_MS 10000

struct pb_fetch {
	char *url;	/* as given, for messages */
	char *http_url; /* what curl fetches */
	struct pb_fetch_opts opts;
	CURL *curl;

	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *ring[RING_SLOTS];
	size_t len[RING_SLOTS];
	size_t head, count, consumed;
	int done, failed, stop;
	struct pb_buf err;

	/* The producer's state. */
	size_t fill;	       /* bytes in the slot being filled (head + count) */
	uint64_t delivered;    /* body bytes taken so far, across attempts */
	uint64_t skip;	       /* bytes to drop from a 200 that ignored our Range */
	uint64_t attempt_from; /* delivered when the attempt began */
	long status;
	int body_ok;
	char etag[256];
	char location[1024]; /* of a redirect answer */
	int64_t content_length, full_length, range_start;
	long retry_after;
	struct pb_buf errbody;
	int attempts;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
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

/* s3://bucket/key to the HTTP URL: path style at the endpoint, or virtual-hosted at AWS. */
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
		pb_buf_addf(&b, "%.*s/%s", (int)n, s3->endpoint, rest);
	} else {
		pb_buf_addf(&b, "https://%.*s.s3.%s.amazonaws.com%s", (int)(slash - rest), rest,
			    s3 && s3->region ? s3->region : "us-east-1", slash);
	}
	out = b.failed ? NULL : strdup(pb_buf_str(&b));
	pb_buf_release(&b);
	return out;
}

/* Takes the next free slot for the producer; 0, or -1 when asked to stop. */
static int wait_slot(struct pb_fetch *f)
{
	pthread_mutex_lock(&f->mu);
	while (f->count == RING_SLOTS && !f->stop)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	return f->stop ? -1 : 0;
}

static void publish(struct pb_fetch *f)
{
	size_t tail;

	if (!f->fill)
		return;
	pthread_mutex_lock(&f->mu);
	tail = (f->head + f->count) % RING_SLOTS;
	f->len[tail] = f->fill;
	f->count++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	f->fill = 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pb_fetch *f = arg;
	size_t n = size * nmemb, left = n;

	if (!f->body_ok) {
		/* An error document: kept (capped) for the message, never handed to the reader. */
		if (f->errbody.len < ERRBODY_MAX)
			pb_buf_add(&f->errbody, data, n < ERRBODY_MAX ? n : ERRBODY_MAX);
		return n;
	}
	if (f->skip) {
		size_t k = f->skip < left ? (size_t)f->skip : left;

		f->skip -= k;
		data += k;
		left -= k;
	}
	while (left) {
		size_t tail, k;

		if (f->fill == 0 && wait_slot(f) < 0)
			return 0;
		pthread_mutex_lock(&f->mu);
		tail = (f->head + f->count) % RING_SLOTS;
		pthread_mutex_unlock(&f->mu);
		k = RING_CHUNK - f->fill;
		if (k > left)
			k = left;
		memcpy(f->ring[tail] + f->fill, data, k);
		f->fill += k;
		f->delivered += k;
		data += k;
		left -= k;
		if (f->fill == RING_CHUNK)
			publish(f);
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pb_fetch *f = arg;
	size_t n = size * nmemb;
	char line[512];
	char *v;
	size_t k = n < sizeof(line) - 1 ? n : sizeof(line) - 1;

	memcpy(line, data, k);
	line[k] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue, say): its headers start over. */
		char *sp = strchr(line, ' ');

		f->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		f->content_length = -1;
		f->range_start = -1;
		f->retry_after = 0;
		f->location[0] = '\0';
		f->body_ok = f->status == 200 || f->status == 206;
		if (f->status == 200 && f->attempt_from > 0)
			f->skip = f->attempt_from; /* the server ignored Range: drop what we have */
		return n;
	}
	v = strchr(line, ':');
	if (!v)
		return n;
	*v++ = '\0';
	while (*v == ' ')
		v++;
	if (strcasecmp(line, "ETag") == 0 && f->status == 200)
		snprintf(f->etag, sizeof(f->etag), "%s", v);
	else if (strcasecmp(line, "Content-Length") == 0)
		f->content_length = strtoll(v, NULL, 10);
	else if (strcasecmp(line, "Retry-After") == 0)
		f->retry_after = strtol(v, NULL, 10);
	else if (strcasecmp(line, "Location") == 0)
		snprintf(f->location, sizeof(f->location), "%s", v);
	else if (strcasecmp(line, "Content-Range") == 0 && strncmp(v, "bytes ", 6) == 0) {
		char *slash = strchr(v, '/');

		f->range_start = strtoll(v + 6, NULL, 10);
		if (slash && slash[1] != '*')
			f->full_length = strtoll(slash + 1, NULL, 10);
	}
	if (f->status == 200 && strcasecmp(line, "Content-Length") == 0)
		f->full_length = f->content_length;
	return n;
}

/* The S3 error code of an error document (<Code>AccessDenied</Code>), or "". */
static void error_code(const struct pb_buf *body, char *out, size_t n)
{
	const char *s = pb_buf_str(body), *a = strstr(s, "<Code>"), *b;

	out[0] = '\0';
	if (a && (b = strstr(a + 6, "</Code>")) && (size_t)(b - a - 6) < n)
		snprintf(out, n, "%.*s", (int)(b - a - 6), a + 6);
}

static uint64_t jitter_state;

static uint64_t next_random(void)
{
	uint64_t x = __atomic_load_n(&jitter_state, __ATOMIC_RELAXED);

	if (!x)
		x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	__atomic_store_n(&jitter_state, x, __ATOMIC_RELAXED);
	return x;
}

/* Sleeps ms milliseconds in short steps, so that a stop is not kept waiting. */
static void pause_ms(struct pb_fetch *f, long ms)
{
	while (ms > 0 && !f->stop) {
		long step = ms < 50 ? ms : 50;
		struct timespec ts = {0, step * 1000000L};

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* One attempt. Returns 0 when the body is complete, 1 to retry, -1 on a final failure (message set). */
static int attempt(struct pb_fetch *f, struct pb_buf *why)
{
	struct curl_slist *hdr = NULL;
	char range[64], ifmatch[300], sigv4[128], userpwd[1024], tok[2048], code[64], date[64];
	const char *signed_hdr[4];
	size_t nsigned = 0;
	struct pb_buf auth = PB_BUF_INIT;
	CURLcode rc;
	int ret;

	f->attempt_from = f->delivered;
	f->status = 0;
	f->skip = 0;
	f->body_ok = 0;
	pb_buf_reset(&f->errbody);
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, f->http_url);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS, f->opts.connect_timeout_ms);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_TIME, f->opts.stall_seconds);
	/* Signed requests are not redirected: custom headers (x-amz-security-token) would follow to any host. */
	curl_easy_setopt(f->curl, CURLOPT_FOLLOWLOCATION, f->opts.s3 || f->opts.azure ? 0L : 1L);
	curl_easy_setopt(f->curl, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	/* TLS certificates are verified (libcurl's default, stated); proxies come from the environment. */
	curl_easy_setopt(f->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(f->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (f->opts.s3 && f->opts.s3->ca_bundle)
		curl_easy_setopt(f->curl, CURLOPT_CAINFO, f->opts.s3->ca_bundle);
	if (f->opts.s3) {
		snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", f->opts.s3->region);
		snprintf(userpwd, sizeof(userpwd), "%s:%s", f->opts.s3->key_id, f->opts.s3->secret);
		curl_easy_setopt(f->curl, CURLOPT_AWS_SIGV4, sigv4);
		curl_easy_setopt(f->curl, CURLOPT_USERPWD, userpwd);
		hdr = curl_slist_append(hdr, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
		if (f->opts.s3->token) {
			snprintf(tok, sizeof(tok), "x-amz-security-token: %s", f->opts.s3->token);
			hdr = curl_slist_append(hdr, tok);
		}
	}
	if (f->delivered > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%llu-", (unsigned long long)f->delivered);
		hdr = curl_slist_append(hdr, range);
		if (f->etag[0]) {
			snprintf(ifmatch, sizeof(ifmatch), "If-Match: %s", f->etag);
			hdr = curl_slist_append(hdr, ifmatch);
		}
	}
	if (f->opts.azure) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(date, sizeof(date), "x-ms-date: %a, %d %b %Y %H:%M:%S GMT", &tm);
		signed_hdr[nsigned++] = date;
		signed_hdr[nsigned++] = "x-ms-version: " PB_AZURE_API_VERSION;
		if (f->delivered > 0) {
			signed_hdr[nsigned++] = range;
			if (f->etag[0])
				signed_hdr[nsigned++] = ifmatch;
		}
		hdr = curl_slist_append(hdr, date);
		hdr = curl_slist_append(hdr, "x-ms-version: " PB_AZURE_API_VERSION);
		if (pb_azure_shared_key(f->opts.azure, "GET", f->http_url, signed_hdr, nsigned, &auth) == 0) {
			struct pb_buf line = PB_BUF_INIT;

			pb_buf_addf(&line, "Authorization: %s", pb_buf_str(&auth));
			hdr = curl_slist_append(hdr, pb_buf_str(&line));
			pb_buf_release(&line);
		}
	}
	if (hdr)
		curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(f->curl);
	pb_buf_release(&auth);
	if (f->opts.s3)
		memset(userpwd, 0, sizeof(userpwd));
	curl_slist_free_all(hdr);
	pb_buf_reset(why);
	if (f->stop) {
		pb_buf_addstr(why, "stopped");
		return -1;
	}
	if (rc == CURLE_OK && f->body_ok) {
		if (f->status == 206 && f->range_start != (int64_t)f->attempt_from) {
			pb_buf_addf(why, "the server resumed at byte %lld, not %llu", (long long)f->range_start,
				    (unsigned long long)f->attempt_from);
			return -1;
		}
		if (f->full_length >= 0 && f->delivered != (uint64_t)f->full_length) {
			pb_buf_addf(why, "received %llu bytes, but the server announced %lld",
				    (unsigned long long)f->delivered, (long long)f->full_length);
			return 1;
		}
		return 0;
	}
	if (rc == CURLE_OK || rc == CURLE_WRITE_ERROR) {
		error_code(&f->errbody, code, sizeof(code));
		pb_buf_addf(why, "HTTP %ld%s%s%s", f->status, code[0] ? " (" : "", code, code[0] ? ")" : "");
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
		return f->status >= 500 || f->status == 429 || f->status == 408 ? 1 : -1;
	}
	pb_buf_addstr(why, curl_easy_strerror(rc));
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		ret = -1;
		break;
	default:
		ret = 1;
	}
	return ret;
}

static void *producer(void *arg)
{
	struct pb_fetch *f = arg;
	struct pb_buf why = PB_BUF_INIT;
	long delay = f->opts.backoff_ms;
	int rc = 1;

	while (rc > 0 && f->attempts < f->opts.max_attempts && !f->stop) {
		f->attempts++;
		rc = attempt(f, &why);
		if (rc > 0 && f->attempts < f->opts.max_attempts) {
			long wait = delay / 2 + (long)(next_random() % (uint64_t)(delay / 2 + 1));

			if (f->retry_after > 0 && f->retry_after * 1000 > wait)
				wait = f->retry_after * 1000 > 60000 ? 60000 : f->retry_after * 1000;
			pause_ms(f, wait);
			delay = delay * 2 > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : delay * 2;
		}
	}
	if (rc == 0)
		publish(f);
	pthread_mutex_lock(&f->mu);
	if (rc != 0) {
		pb_buf_reset(&f->err);
		if (rc > 0)
			pb_buf_addf(&f->err, "%s: failed after %d attempts: %s", f->url, f->attempts, pb_buf_str(&why));
		else
			pb_buf_addf(&f->err, "%s: %s, not retried", f->url, pb_buf_str(&why));
		f->failed = 1;
	}
	f->done = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pb_buf_release(&why);
	return NULL;
}

long pb_fetch_read(void *arg, char *buf, size_t n, struct pb_buf *err)
{
	struct pb_fetch *f = arg;
	size_t k;

	pthread_mutex_lock(&f->mu);
	while (f->count == 0 && !f->done)
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->count == 0) {
		int failed = f->failed;

		pthread_mutex_unlock(&f->mu);
		if (failed) {
			pb_buf_reset(err);
			pb_buf_addstr(err, pb_buf_str(&f->err));
			return -1;
		}
		return 0;
	}
	pthread_mutex_unlock(&f->mu);
	k = f->len[f->head] - f->consumed;
	if (k > n)
		k = n;
	memcpy(buf, f->ring[f->head] + f->consumed, k);
	f->consumed += k;
	if (f->consumed == f->len[f->head]) {
		pthread_mutex_lock(&f->mu);
		f->consumed = 0;
		f->head = (f->head + 1) % RING_SLOTS;
		f->count--;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
	return (long)k;
}

int pb_fetch_open(const char *url, const struct pb_fetch_opts *opts, struct pb_fetch **out, struct pb_buf *err)
{
	struct pb_fetch *f;
	int i;

	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	f = calloc(1, sizeof(*f));
	if (!f)
		goto nomem;
	if (opts)
		f->opts = *opts;
	if (!f->opts.connect_timeout_ms)
		f->opts.connect_timeout_ms = 10000;
	if (!f->opts.stall_seconds)
		f->opts.stall_seconds = 30;
	if (!f->opts.max_attempts)
		f->opts.max_attempts = 5;
	if (!f->opts.backoff_ms)
		f->opts.backoff_ms = 200;
	pb_buf_init(&f->err, 4096);
	pb_buf_init(&f->errbody, ERRBODY_MAX * 2);
	f->full_length = -1;
	f->content_length = -1;
	f->url = pb_url_redact(url);
	if (strncmp(url, "s3://", 5) == 0) {
		if (!f->opts.s3) {
			pb_buf_reset(err);
			pb_url_add(err, url);
			pb_buf_addstr(err, ": no S3 configuration");
			goto fail;
		}
		f->http_url = s3_http_url(url, f->opts.s3);
		if (!f->http_url) {
			pb_buf_reset(err);
			pb_url_add(err, url);
			pb_buf_addstr(err, ": not an S3 object URL (s3://BUCKET/KEY)");
			goto fail;
		}
	} else {
		f->http_url = strdup(url);
		f->opts.s3 = NULL;
		/* A SAS carries its own signature; the Shared Key goes only to the account. */
		if (pb_url_has_sas(url))
			f->opts.azure = NULL;
		if (f->opts.azure && pb_azure_key_allowed(f->opts.azure, url, err) < 0)
			goto fail;
	}
	f->curl = curl_easy_init();
	if (!f->url || !f->http_url || !f->curl)
		goto nomem;
	for (i = 0; i < RING_SLOTS; i++) {
		f->ring[i] = malloc(RING_CHUNK);
		if (!f->ring[i])
			goto nomem;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (pthread_create(&f->thread, NULL, producer, f) != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: cannot start the download thread", f->url ? f->url : "a URL");
		goto fail;
	}
	f->started = 1;
	*out = f;
	return 0;
nomem:
	pb_buf_reset(err);
	pb_buf_addf(err, "%s: out of memory", f && f->url ? f->url : "a download");
fail:
	pb_fetch_free(f);
	return -1;
}

const char *pb_fetch_etag(const struct pb_fetch *f)
{
	return f->etag;
}

int64_t pb_fetch_content_length(const struct pb_fetch *f)
{
	return f->full_length;
}

int pb_fetch_attempts(const struct pb_fetch *f)
{
	return f->attempts;
}

void pb_fetch_cancel(struct pb_fetch *f)
{
	if (!f || !f->started)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void pb_fetch_free(struct pb_fetch *f)
{
	int i;

	if (!f)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->mu);
		f->stop = 1;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thread, NULL);
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
	}
	if (f->curl)
		curl_easy_cleanup(f->curl);
	for (i = 0; i < RING_SLOTS; i++)
		free(f->ring[i]);
	pb_buf_release(&f->err);
	pb_buf_release(&f->errbody);
	free(f->url);
	free(f->http_url);
	free(f);
}
