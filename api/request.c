/* The request's route and values, as the handlers read them: plain text in, no server needed. */
#include "request.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "usage.h"

#include "banned.h"

/* The path of a request target in absolute form ("http://HOST/PATH", RFC 9112, 3.2.2); else url itself. */
static const char *path_of(const char *url)
{
	const char *p;

	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return url;
	p = strchr(p, '/');
	return p ? p : "/";
}

enum pb_api_endpoint pb_api_request_route(const char *url, char alias[8], int *alias_ok)
{
	static const char acc[] = "/v1/accounts/", usage[] = "/partner-usage", daily[] = "/partner-usage/daily";
	enum pb_api_endpoint ep = PB_API_EP_OTHER;
	const char *seg, *slash;
	size_t n;

	url = path_of(url);
	if (strcmp(url, "/v1/partner-usage") == 0)
		return PB_API_EP_LIST;
	if (strcmp(url, "/healthz") == 0)
		return PB_API_EP_HEALTH;
	if (strcmp(url, "/metrics") == 0)
		return PB_API_EP_METRICS;
	if (strncmp(url, acc, sizeof(acc) - 1) != 0)
		return PB_API_EP_OTHER;
	seg = url + sizeof(acc) - 1;
	slash = strchr(seg, '/');
	if (!slash || slash == seg)
		return PB_API_EP_OTHER;
	if (strcmp(slash, usage) == 0)
		ep = PB_API_EP_ACCOUNT;
	else if (strcmp(slash, daily) == 0)
		ep = PB_API_EP_DAILY;
	else
		return PB_API_EP_OTHER;
	n = (size_t)(slash - seg);
	if (n < 8) {
		memcpy(alias, seg, n);
		alias[n] = '\0';
		*alias_ok = pb_api_usage_alias_ok(alias);
	}
	return ep;
}

int pb_api_request_limit(const char *s, unsigned default_limit, unsigned max, unsigned *limit)
{
	unsigned v = 0;

	*limit = default_limit;
	if (!s)
		return 0;
	if (!*s || strlen(s) > 4)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v < 1 || v > max)
		return -1;
	*limit = v;
	return 0;
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int pb_api_request_etag_matches(const char *value, const char *etag, int strong)
{
	const char *p = skip_ows(value), *end;
	size_t n = strlen(etag);
	int found = 0, weak;

	if (*p == '*')
		return *skip_ows(p + 1) == '\0';
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return found;
		weak = strncmp(p, "W/", 2) == 0;
		if (weak)
			p += 2;
		if (*p != '"' || !(end = strchr(p + 1, '"')))
			return 0;
		end++;
		if ((size_t)(end - p) == n && memcmp(p, etag, n) == 0 && !(weak && strong))
			found = 1;
		p = skip_ows(end);
		if (*p && *p != ',')
			return 0;
	}
}

/* 1 when c may stand in a host's name (RFC 3986, 3.2.2: unreserved, sub-delims; '%' is checked apart). */
static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$&'()*+,;=", c));
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int pb_api_request_host_ok(const char *v, size_t n)
{
	size_t i = 0;

	if (n && v[0] == '[') {
		for (i = 1; i < n && v[i] != ']'; i++)
			if (!host_char(v[i]) && v[i] != ':')
				return 0;
		if (i == n)
			return 0;
		i++;
	} else {
		for (; i < n && v[i] != ':'; i++) {
			if (v[i] == '%' && i + 2 < n && is_hex(v[i + 1]) && is_hex(v[i + 2]))
				i += 2;
			else if (!host_char(v[i]))
				return 0;
		}
	}
	if (i < n && v[i++] != ':')
		return 0;
	for (; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

int pb_api_request_length_ok(const char *v, size_t n, int *nonzero)
{
	uint64_t x = 0;
	size_t i = 0;

	for (; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
		if (x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return 0;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (i == 0)
		return 0;
	for (; i < n; i++)
		if (v[i] != ' ' && v[i] != '\t')
			return 0;
	*nonzero = x != 0;
	return 1;
}
