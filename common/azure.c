/* Azure Storage: Shared Key request signing. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch.h"
#include "text.h"
#include "url.h"

#include "banned.h"

#define ENDPOINT_ENV "AZURE_STORAGE_BLOB_ENDPOINT"

int pb_fetch_azure_from_env(struct pb_azure_config *c, struct pb_buf *err)
{
	const char *account = getenv("AZURE_STORAGE_ACCOUNT"), *key = getenv("AZURE_STORAGE_KEY");
	const char *endpoint = getenv(ENDPOINT_ENV);
	size_t n;
	int len;

	memset(c, 0, sizeof(*c));
	if (!key || !*key)
		return 1;
	if (!account || !*account) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "AZURE_STORAGE_KEY is set but AZURE_STORAGE_ACCOUNT is not");
		return -1;
	}
	n = strlen(key);
	if (n % 4 || n / 4 * 3 > sizeof(c->key)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "AZURE_STORAGE_KEY is not a base64 account key");
		return -1;
	}
	len = EVP_DecodeBlock(c->key, (const unsigned char *)key, (int)n);
	if (len < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "AZURE_STORAGE_KEY is not a base64 account key");
		return -1;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes; the key does not have them. */
	while (n && key[n - 1] == '=') {
		n--;
		len--;
	}
	c->key_len = (size_t)len;
	if (endpoint && *endpoint && pb_url_check_secret_endpoint(ENDPOINT_ENV, endpoint, err) < 0) {
		pb_fetch_azure_release(c);
		return -1;
	}
	c->account = strdup(account);
	c->endpoint = endpoint && *endpoint ? strdup(endpoint) : NULL;
	if (!c->account || (endpoint && *endpoint && !c->endpoint)) {
		pb_fetch_azure_release(c);
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	return 0;
}

void pb_fetch_azure_release(struct pb_azure_config *c)
{
	free(c->account);
	free(c->endpoint);
	memset(c, 0, sizeof(*c));
}

/* 1 when o is https://ACCOUNT.blob.core.windows.net (port 443), the account's own endpoint. */
static int is_account_endpoint(const struct pb_azure_config *c, const struct pb_url_origin *o)
{
	static const char suffix[] = ".blob.core.windows.net";
	size_t n = strlen(c->account);

	return strcmp(o->scheme, "https") == 0 && o->port == 443 && strncasecmp(o->host, c->account, n) == 0 &&
	       strcmp(o->host + n, suffix) == 0;
}

int pb_azure_key_allowed(const struct pb_azure_config *c, const char *url, struct pb_buf *err)
{
	struct pb_url_origin o, e;

	if (pb_url_has_sas(url) || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return 0;
	if (pb_url_origin(url, &o) == 0) {
		if (pb_url_is_loopback(&o) || is_account_endpoint(c, &o))
			return 0;
		if (c->endpoint && pb_url_origin(c->endpoint, &e) == 0 && pb_url_same_origin(&o, &e))
			return 0;
	}
	pb_buf_reset(err);
	pb_buf_addf(err, "refusing to send the Shared Key of account '%s' to ", c->account);
	pb_url_add(err, url);
	if (pb_url_origin(url, &o) == 0 && strcmp(o.scheme, "https") != 0)
		pb_buf_addstr(err, ": plain http (only https, or a loopback address)");
	else
		pb_buf_addf(err, ": not the account's endpoint (https://%s.blob.core.windows.net/ or %s)", c->account,
			    c->endpoint ? "that of " ENDPOINT_ENV : "the one " ENDPOINT_ENV " names");
	return -1;
}

/* Appends the percent-decoded text of s[0..n). */
static void add_decoded(struct pb_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && pb_hex_digit(s[i + 1]) >= 0 && pb_hex_digit(s[i + 2]) >= 0) {
			pb_buf_addch(b, (char)(pb_hex_digit(s[i + 1]) * 16 + pb_hex_digit(s[i + 2])));
			i += 2;
		} else if (s[i] == '+') {
			pb_buf_addch(b, ' ');
		} else {
			pb_buf_addch(b, s[i]);
		}
	}
}

/* The value of header name among "Name: value" lines, or "". */
static const char *header(const char *const *h, size_t n, const char *name, size_t *len)
{
	size_t i, k = strlen(name);

	for (i = 0; i < n; i++) {
		if (strncasecmp(h[i], name, k) == 0 && h[i][k] == ':') {
			const char *v = h[i] + k + 1;

			while (*v == ' ')
				v++;
			*len = strlen(v);
			return v;
		}
	}
	*len = 0;
	return "";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lowercases the name part of "name:value" lines (up to the colon). */
static void lower_names(char **v, size_t n)
{
	size_t i;
	char *p;

	for (i = 0; i < n; i++)
		for (p = v[i]; *p && *p != ':'; p++)
			*p = pb_ascii_lower(*p);
}

/* The standard headers of the string to sign, one value a line, in their fixed order. */
static void add_standard_headers(struct pb_buf *s, const char *const *headers, size_t nheaders)
{
	static const char *const std[] = {"Content-Encoding",
					  "Content-Language",
					  "Content-Length",
					  "Content-MD5",
					  "Content-Type",
					  "Date",
					  "If-Modified-Since",
					  "If-Match",
					  "If-None-Match",
					  "If-Unmodified-Since",
					  "Range"};
	size_t i, len;

	for (i = 0; i < sizeof(std) / sizeof(std[0]); i++) {
		const char *v = header(headers, nheaders, std[i], &len);

		/* Since version 2015-02-21 a zero Content-Length is signed as empty. */
		if (!(strcmp(std[i], "Content-Length") == 0 && len == 1 && v[0] == '0'))
			pb_buf_add(s, v, len);
		pb_buf_addch(s, '\n');
	}
}

/* Frees the n strings of v and v itself. */
static void free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* CanonicalizedHeaders: x-ms-* in lowercase, sorted, "name:value\n". Returns 0, or -1 without memory. */
static int add_canonical_headers(struct pb_buf *s, const char *const *headers, size_t nheaders)
{
	char **xms = calloc(nheaders + 1, sizeof(*xms));
	size_t i, nx = 0;
	int ret = -1;

	if (!xms)
		return -1;
	for (i = 0; i < nheaders; i++) {
		const char *colon = strchr(headers[i], ':'), *v;

		if (strncasecmp(headers[i], "x-ms-", 5) != 0 || !colon)
			continue;
		for (v = colon + 1; *v == ' '; v++)
			;
		if (asprintf(&xms[nx], "%.*s:%s", (int)(colon - headers[i]), headers[i], v) < 0)
			goto out;
		nx++;
	}
	lower_names(xms, nx);
	qsort(xms, nx, sizeof(*xms), cmp_str);
	for (i = 0; i < nx; i++) {
		pb_buf_addstr(s, xms[i]);
		pb_buf_addch(s, '\n');
	}
	ret = 0;
out:
	free_strings(xms, nx);
	return ret;
}

/* The query's parameters as "\nname:value", decoded, names in lowercase, sorted. Returns 0, or -1. */
static int add_canonical_query(struct pb_buf *s, const char *q)
{
	char **params = calloc(strlen(q) + 2, sizeof(*params));
	size_t i, np = 0;
	int ret = -1;

	if (!params)
		return -1;
	while (*q) {
		const char *amp = strchr(q, '&'), *eq;
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		struct pb_buf one = PB_BUF_INIT;

		eq = memchr(q, '=', n);
		add_decoded(&one, q, eq ? (size_t)(eq - q) : n);
		pb_buf_addch(&one, ':');
		if (eq)
			add_decoded(&one, eq + 1, n - (size_t)(eq + 1 - q));
		params[np] = one.failed ? NULL : strdup(pb_buf_str(&one));
		pb_buf_release(&one);
		if (!params[np])
			goto out;
		np++;
		q += n + (amp ? 1 : 0);
	}
	lower_names(params, np);
	qsort(params, np, sizeof(*params), cmp_str);
	for (i = 0; i < np; i++) {
		pb_buf_addch(s, '\n');
		pb_buf_addstr(s, params[i]);
	}
	ret = 0;
out:
	free_strings(params, np);
	return ret;
}

int pb_azure_shared_key(const struct pb_azure_config *c, const char *method, const char *url,
			const char *const *headers, size_t nheaders, struct pb_buf *out)
{
	struct pb_buf s = PB_BUF_INIT;
	const char *path, *query, *p;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char sig[EVP_MAX_MD_SIZE * 2];
	int ret = -1;

	pb_buf_addstr(&s, method);
	pb_buf_addch(&s, '\n');
	add_standard_headers(&s, headers, nheaders);
	if (add_canonical_headers(&s, headers, nheaders) < 0)
		goto out;
	/* CanonicalizedResource: /account/path, then each query parameter. */
	p = strstr(url, "://");
	p = p ? p + 3 : url;
	path = strchr(p, '/');
	if (!path)
		path = "/";
	query = strchr(path, '?');
	pb_buf_addf(&s, "/%s", c->account);
	pb_buf_add(&s, path, query ? (size_t)(query - path) : strlen(path));
	if ((query && add_canonical_query(&s, query + 1) < 0) || s.failed)
		goto out;
	if (!HMAC(EVP_sha256(), c->key, (int)c->key_len, (const unsigned char *)s.ptr, s.len, mac, &maclen))
		goto out;
	EVP_EncodeBlock((unsigned char *)sig, mac, (int)maclen);
	pb_buf_reset(out);
	pb_buf_addf(out, "SharedKey %s:%s", c->account, sig);
	ret = out->failed ? -1 : 0;
out:
	pb_buf_release(&s);
	return ret;
}
