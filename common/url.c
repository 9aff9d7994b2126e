/* URLs for messages and records with their secrets left out, and the origin a URL points to. */
#include "url.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

#include "banned.h"

/* Query parameters that sign a request or carry a credential: a query holding one is never shown. */
static const char *const secret_params[] = {"sig",
					    "signature",
					    "x-amz-signature",
					    "x-amz-credential",
					    "x-amz-security-token",
					    "x-goog-signature",
					    "x-goog-credential",
					    "token",
					    "access_token",
					    "code",
					    "key",
					    "api_key",
					    "apikey",
					    "password",
					    "secret",
					    "client_secret"};

/* The length of url's "scheme" when it starts with "scheme://", else 0. */
size_t pb_url_scheme_len(const char *url)
{
	size_t n = 0;

	if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
		return 0;
	while ((url[n] >= 'a' && url[n] <= 'z') || (url[n] >= 'A' && url[n] <= 'Z') ||
	       (url[n] >= '0' && url[n] <= '9') || url[n] == '+' || url[n] == '-' || url[n] == '.')
		n++;
	return strncmp(url + n, "://", 3) == 0 ? n : 0;
}

/* The parameters of a signed URL's query: the only ones that cut a local file's name. */
static const char *const signing_params[] = {"sig",
					     "signature",
					     "x-amz-signature",
					     "x-amz-credential",
					     "x-amz-security-token",
					     "x-goog-signature",
					     "x-goog-credential"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * 1 when the parameter name s[0..n), its %XX escapes decoded, is name (lower case), in any case: S3 and Azure
 * decode a name before they read it, so "%53ignature" is Signature. A '%' not followed by two hexadecimal digits
 * within s[0..n) is itself.
 */
static int name_is(const char *s, size_t n, const char *name)
{
	size_t i = 0;

	for (; *name; name++) {
		char c;

		if (i == n)
			return 0;
		c = s[i++];
		if (c == '%' && n - i >= 2 && pb_hex_digit(s[i]) >= 0 && pb_hex_digit(s[i + 1]) >= 0) {
			c = (char)(pb_hex_digit(s[i]) * 16 + pb_hex_digit(s[i + 1]));
			i += 2;
		}
		if (pb_ascii_lower(c) != *name)
			return 0;
	}
	return i == n;
}

/*
 * 1 when q[0..n) (what follows a '?') has a parameter named one of names (any case, escapes decoded). Parameters
 * end at '&', and at a '#' or another '?' too: a signature after a fragment ("x.csv#a?sig=...") is one.
 */
static int query_has(const char *q, size_t n, const char *const *names, size_t nnames)
{
	const char *end = q + n;

	while (q < end) {
		const char *stop = q, *eq;
		size_t k, i;

		while (stop < end && *stop != '&' && *stop != '#' && *stop != '?')
			stop++;
		eq = memchr(q, '=', (size_t)(stop - q));
		k = (size_t)((eq ? eq : stop) - q);
		for (i = 0; i < nnames; i++)
			if (name_is(q, k, names[i]))
				return 1;
		q = stop < end ? stop + 1 : end;
	}
	return 0;
}

/* The query of url (after '?', before any '#'), or NULL. */
static const char *query_of(const char *url, size_t *n)
{
	const char *q = url + strcspn(url, "?#");

	if (*q != '?')
		return NULL;
	q++;
	*n = strcspn(q, "#");
	return q;
}

/*
 * A URL's path and what follows: from its first '?' (in its query, or in its fragment) on, left out when a
 * parameter there is a secret.
 */
static void add_url_rest(struct pb_buf *b, const char *rest)
{
	size_t at = strcspn(rest, "?");

	if (rest[at] && query_has(rest + at + 1, strlen(rest + at + 1), secret_params, COUNT(secret_params)))
		pb_buf_add(b, rest, at);
	else
		pb_buf_addstr(b, rest);
}

/*
 * A local file's name (a path, or a file:// address's): '?' and '#' are characters of it, but a download
 * saved under its signed URL holds that URL's query. In each segment (between '/'), from the first '?' to the
 * segment's end is left out when a parameter there signs ("folder?sv=...&sig=.../part.csv" shows as
 * "folder/part.csv"); other names ("c%25?code=1.csv") are shown whole.
 */
static void add_path(struct pb_buf *b, const char *p)
{
	while (*p) {
		size_t seg = strcspn(p, "/"), at = strcspn(p, "?/");

		if (at < seg && query_has(p + at + 1, seg - at - 1, signing_params, COUNT(signing_params)))
			pb_buf_add(b, p, at);
		else
			pb_buf_add(b, p, seg);
		p += seg;
		if (*p == '/') {
			pb_buf_addch(b, '/');
			p++;
		}
	}
}

void pb_url_add(struct pb_buf *b, const char *url)
{
	size_t s = pb_url_scheme_len(url);
	const char *rest = url;

	if (s) {
		const char *auth = url + s + 3, *at = NULL, *p;
		size_t alen = strcspn(auth, "/?#");

		pb_buf_add(b, url, s + 3);
		/* The last '@' ends the credentials: a password may hold one. */
		for (p = auth; p < auth + alen; p++)
			if (*p == '@')
				at = p;
		if (at) {
			alen -= (size_t)(at + 1 - auth);
			auth = at + 1;
		}
		pb_buf_add(b, auth, alen);
		rest = auth + alen;
	}
	if (s && !(s == 4 && strncmp(url, "file", 4) == 0))
		add_url_rest(b, rest);
	else
		add_path(b, rest);
}

char *pb_url_file_path(const char *url, struct pb_buf *err)
{
	struct pb_buf b = PB_BUF_INIT;
	const char *host = url + 7, *p;
	size_t hlen = strcspn(host, "/"), i;
	char *out = NULL;

	pb_buf_reset(err);
	if (hlen && !(hlen == 9 && strncasecmp(host, "localhost", 9) == 0)) {
		/* Shown without credentials, as pb_url_add shows an authority. */
		const char *at = memrchr(host, '@', hlen);
		size_t skip = at ? (size_t)(at + 1 - host) : 0;

		pb_buf_addstr(err,
			      "a file:// address names a file of this machine: its host is empty or localhost, not '");
		pb_buf_add(err, host + skip, hlen - skip);
		pb_buf_addch(err, '\'');
		return NULL;
	}
	p = host + hlen;
	for (i = 0; p[i]; i++) {
		int hi, lo;

		if (p[i] == '?') {
			pb_buf_addstr(&b, p + i);
			break;
		}
		if (p[i] != '%') {
			pb_buf_addch(&b, p[i]);
			continue;
		}
		hi = pb_hex_digit(p[i + 1]);
		lo = hi < 0 ? -1 : pb_hex_digit(p[i + 2]);
		if (lo < 0) {
			pb_buf_addf(err, "'%%' at byte %zu is not followed by two hexadecimal digits (a '%%' is %%25)",
				    (size_t)(p + i - url) + 1);
			goto out;
		}
		if (hi == 0 && lo == 0) {
			pb_buf_addf(err, "%%00 at byte %zu: a file's name holds no NUL byte",
				    (size_t)(p + i - url) + 1);
			goto out;
		}
		pb_buf_addch(&b, (char)(hi * 16 + lo));
		i += 2;
	}
	if (!b.failed && !(out = strdup(pb_buf_str(&b))))
		pb_buf_addstr(err, "out of memory");
	else if (b.failed)
		pb_buf_addstr(err, "out of memory");
out:
	pb_buf_release(&b);
	return out;
}

void pb_url_add_file(struct pb_buf *b, const char *abs)
{
	size_t q = strcspn(abs, "?"), i;

	pb_buf_addstr(b, "file://");
	for (i = 0; i < q; i++)
		if (abs[i] == '%')
			pb_buf_addstr(b, "%25");
		else
			pb_buf_addch(b, abs[i]);
	pb_buf_addstr(b, abs + q);
}

char *pb_url_file_uri(const char *abs)
{
	struct pb_buf b = PB_BUF_INIT;
	char *shown;

	/* As it has been recorded since the first import: the source of a folder's imports stays the same. */
	pb_buf_addstr(&b, "file://");
	pb_buf_addstr(&b, abs);
	shown = b.failed ? NULL : pb_url_redact(pb_buf_str(&b));
	pb_buf_release(&b);
	return shown;
}

void pb_url_message(struct pb_buf *b, const char *url)
{
	pb_buf_reset(b);
	pb_url_add(b, url);
	pb_buf_addstr(b, ": ");
}

void pb_url_add_text(struct pb_buf *b, const char *text)
{
	size_t word = b->len;
	const char *p;

	for (p = text; *p; p++) {
		if (*p == '@') {
			/* Cut back to the word's start, or to just after its "://". */
			size_t k;

			for (k = word; k + 3 <= b->len; k++)
				if (memcmp(b->ptr + k, "://", 3) == 0) {
					word = k + 3;
					break;
				}
			if (!b->failed && b->len > word) {
				b->len = word;
				b->ptr[word] = '\0';
			}
			continue;
		}
		pb_buf_addch(b, *p);
		if (*p == ' ' || *p == '\'' || *p == '"' || *p == '(' || *p == '<')
			word = b->len;
	}
}

char *pb_url_redact(const char *url)
{
	struct pb_buf b = PB_BUF_INIT;
	char *r;

	pb_url_add(&b, url);
	r = b.failed ? NULL : strdup(pb_buf_str(&b));
	pb_buf_release(&b);
	return r;
}

int pb_url_has_sas(const char *url)
{
	static const char *const sig[] = {"sig"};
	size_t n;
	const char *q = query_of(url, &n);

	return q && query_has(q, n, sig, 1);
}

int pb_url_is_s3_presigned(const char *url)
{
	static const char *const algorithm[] = {"x-amz-algorithm"}, *const signature[] = {"x-amz-signature"};
	static const char *const key_v2[] = {"awsaccesskeyid"}, *const signature_v2[] = {"signature"};
	size_t n;
	const char *q = query_of(url, &n);

	if ((strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0) || !q)
		return 0;
	return (query_has(q, n, algorithm, 1) && query_has(q, n, signature, 1)) ||
	       (query_has(q, n, key_v2, 1) && query_has(q, n, signature_v2, 1));
}

/* Copies s[0..n) into out (size cap) in lower case. Returns 0, or -1 when it does not fit or is empty. */
static int copy_lower(char *out, size_t cap, const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= cap)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = pb_ascii_lower(s[i]);
	out[n] = '\0';
	return 0;
}

/* The port after the host: digits up to the authority's end. Returns 0, or -1. */
static int parse_port(const char *p, const char *end, unsigned *port)
{
	unsigned long v = 0;

	if (p == end)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int pb_url_origin(const char *url, struct pb_url_origin *o)
{
	size_t s = pb_url_scheme_len(url), alen;
	const char *auth, *end, *at, *host, *hend;

	memset(o, 0, sizeof(*o));
	if (!s || copy_lower(o->scheme, sizeof(o->scheme), url, s) < 0 ||
	    (strcmp(o->scheme, "http") != 0 && strcmp(o->scheme, "https") != 0))
		return -1;
	auth = url + s + 3;
	alen = strcspn(auth, "/?#");
	end = auth + alen;
	for (at = auth, host = auth; at < end; at++)
		if (*at == '@')
			host = at + 1;
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(end - host));
		if (!hend || copy_lower(o->host, sizeof(o->host), host + 1, (size_t)(hend - host - 1)) < 0)
			return -1;
		hend++;
	} else {
		hend = memchr(host, ':', (size_t)(end - host));
		if (!hend)
			hend = end;
		if (copy_lower(o->host, sizeof(o->host), host, (size_t)(hend - host)) < 0)
			return -1;
	}
	o->port = strcmp(o->scheme, "https") == 0 ? 443 : 80;
	if (hend < end && (*hend != ':' || parse_port(hend + 1, end, &o->port) < 0))
		return -1;
	return 0;
}

int pb_url_is_loopback(const struct pb_url_origin *o)
{
	unsigned char a[16];

	if (strcmp(o->host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, o->host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, o->host, a) == 1)
		return memcmp(a, &in6addr_loopback, sizeof(a)) == 0;
	return 0;
}

int pb_url_same_origin(const struct pb_url_origin *a, const struct pb_url_origin *b)
{
	return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 && a->port == b->port;
}

int pb_url_check_secret_endpoint(const char *name, const char *url, struct pb_buf *err)
{
	struct pb_url_origin o;

	if (pb_url_origin(url, &o) == 0 && (strcmp(o.scheme, "https") == 0 || pb_url_is_loopback(&o)))
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "%s: '", name);
	pb_url_add(err, url);
	pb_buf_addstr(err, "' is not an https URL (plain http only to localhost, 127.0.0.1 or ::1)");
	return -1;
}
