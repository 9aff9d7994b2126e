/*
 * libFuzzer target for what pb-api makes of a request (api/request.c, usage.c, token.c), without a server or a
 * database: the target's path percent-decoded by libmicrohttpd's own MHD_http_unescape, as the server gets it,
 * then routed; the month, limit and cursor parameters of its query string (split at & and =, '+' a blank and
 * each piece percent-decoded, as libmicrohttpd does); an If-None-Match value against a run's ETag; an
 * Authorization value's bearer token; a Host and a Content-Length value.
 *
 * Checked: no crash or sanitizer report; an account's path names that account and no other, and its alias
 * holds only capitals and digits (never a '/', a NUL or ".."); a month, limit or cursor taken is the value
 * given, in its only form; a cursor the server makes reads back as what made it; an ETag matches itself, its
 * weak form only weakly, and a list only when the list names it; a token taken is the header's one word
 * after "Bearer"; a Host taken holds none of the bytes a host cannot; a Content-Length taken is a number that
 * 64 bits hold.
 *
 * Input: lines (LF): the request target; the If-None-Match value; the Authorization value; the Host value;
 * the Content-Length value; "RUN ALIAS", a cursor to make (and the ETag's run).
 */
#include <errno.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"
#include "token.h"
#include "usage.h"

#include "check.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NLINES 6

/* 2026-12-07, in seconds since 1970: the month parameter's range ends with 2027-01. */
#define NOW ((int64_t)1796601600)

/* How libmicrohttpd reads a piece of a query string: '+' is a blank, then percent-decoded (cut at a NUL). */
static void query_unescape(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (*p == '+')
			*p = ' ';
	MHD_http_unescape(s);
}

/* The value of the first parameter of the query string named name exactly (NULL when none, or without '='). */
static char *param(char *query, const char *name, char *copy, size_t n)
{
	const char *piece = query, *end, *eq;

	while (piece) {
		end = strchr(piece, '&');
		eq = memchr(piece, '=', end ? (size_t)(end - piece) : strlen(piece));
		if (eq && (size_t)(eq - piece) < n) {
			memcpy(copy, piece, (size_t)(eq - piece));
			copy[eq - piece] = '\0';
			query_unescape(copy);
			if (strcmp(copy, name) == 0) {
				size_t len = end ? (size_t)(end - eq - 1) : strlen(eq + 1);

				if (len >= n)
					return NULL;
				memcpy(copy, eq + 1, len);
				copy[len] = '\0';
				query_unescape(copy);
				return copy;
			}
		}
		piece = end ? end + 1 : NULL;
	}
	return NULL;
}

static int alias_chars(const char *a)
{
	size_t i;

	for (i = 0; a[i]; i++)
		if (!((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '0' && a[i] <= '9')))
			return 0;
	return i >= 2 && i <= 6;
}

/* The cursor "RUN.ALIAS" made for run and alias reads back as them. */
static void check_cursor_made(long long run, const char *alias)
{
	char cursor[PB_API_CURSOR_MAX], back[8];
	long long run_back = 0;

	pb_api_usage_cursor_make(run, alias, cursor);
	CHECK(pb_api_usage_cursor(cursor, &run_back, back) == 0, "cursor '%s' made for run %lld, alias '%s' is refused",
	      cursor, run, alias);
	CHECK(run_back == run && strcmp(back, alias) == 0,
	      "cursor '%s' made for run %lld, alias '%s' reads as %lld, '%s'", cursor, run, alias, run_back, back);
}

/* The month, limit and cursor parameters. */
static void check_params(char *query)
{
	char buf[64], month[8], alias[8], made[PB_API_CURSOR_MAX], *end;
	const char *v;
	unsigned limit;
	long long run;
	unsigned long n;
	int rc;

	v = param(query, "month", buf, sizeof(buf));
	rc = pb_api_usage_month(v, NOW, month);
	CHECK(rc == 0 || rc == -1 || rc == -2, "month rc %d", rc);
	if (rc == 0)
		CHECK(strlen(v) == 7 && strcmp(month, v) == 0 && strcmp(month, "2000-01") >= 0 &&
			      strcmp(month, "2027-01") <= 0,
		      "month '%s' taken as '%s'", v, month);
	v = param(query, "limit", buf, sizeof(buf));
	if (pb_api_request_limit(v, 100, 1000, &limit) == 0) {
		CHECK(limit >= 1 && limit <= 1000, "limit %u", limit);
		if (v) {
			errno = 0;
			n = strtoul(v, &end, 10);
			CHECK(v[0] >= '0' && v[0] <= '9' && !*end && !errno && n == limit, "limit '%s' taken as %u", v,
			      limit);
		} else {
			CHECK(limit == 100, "no limit taken as %u", limit);
		}
	}
	v = param(query, "cursor", buf, sizeof(buf));
	if (v && pb_api_usage_cursor(v, &run, alias) == 0) {
		CHECK(run > 0 && alias_chars(alias), "cursor '%s' read as %lld, '%s'", v, run, alias);
		pb_api_usage_cursor_make(run, alias, made);
		CHECK(strcmp(made, v) == 0, "cursor '%s' read as %lld, '%s', which make '%s'", v, run, alias, made);
		check_cursor_made(run, alias);
	}
}

/* The path and its routing. */
static void check_route(char *target)
{
	static const char acc[] = "/v1/accounts/";
	char *query = strchr(target, '?'), alias[8] = "", expect[48];
	const char *p;
	enum pb_api_endpoint ep;
	int alias_ok = 0;

	if (query)
		*query++ = '\0';
	MHD_http_unescape(target);
	ep = pb_api_request_route(target, alias, &alias_ok);
	CHECK(ep < PB_API_NENDPOINTS, "endpoint %d", (int)ep);
	if (ep == PB_API_EP_ACCOUNT || ep == PB_API_EP_DAILY) {
		if (alias_ok) {
			CHECK(alias_chars(alias) && !strchr(alias, '/') && !strstr(alias, ".."),
			      "alias '%s' taken from '%s'", alias, target);
			snprintf(expect, sizeof(expect), "%s%s/partner-usage%s", acc, alias,
				 ep == PB_API_EP_DAILY ? "/daily" : "");
			CHECK(strlen(target) >= strlen(expect) &&
				      strcmp(target + strlen(target) - strlen(expect), expect) == 0,
			      "'%s' routed to account '%s'", target, alias);
			for (p = strstr(target, acc); p; p = strstr(p + 1, acc))
				CHECK(strncmp(p + sizeof(acc) - 1, alias, strlen(alias)) == 0 &&
					      p[sizeof(acc) - 1 + strlen(alias)] == '/',
				      "'%s' routed to account '%s' names another", target, alias);
		}
	} else {
		CHECK(!alias_ok && !alias[0], "'%s' not an account's, yet alias '%s'", target, alias);
	}
	if (query)
		check_params(query);
}

/* An If-None-Match (or If-Match) value against the ETag of run. */
static void check_etag(const char *value, long long run)
{
	char etag[40], weak[48];
	int w, s;

	snprintf(etag, sizeof(etag), "\"pb-run-%lld\"", run);
	snprintf(weak, sizeof(weak), "W/%s", etag);
	CHECK(pb_api_request_etag_matches(etag, etag, 0) == 1 && pb_api_request_etag_matches(etag, etag, 1) == 1,
	      "%s does not match itself", etag);
	CHECK(pb_api_request_etag_matches(weak, etag, 0) == 1 && pb_api_request_etag_matches(weak, etag, 1) == 0,
	      "%s matched as %s", weak, etag);
	w = pb_api_request_etag_matches(value, etag, 0);
	s = pb_api_request_etag_matches(value, etag, 1);
	CHECK((w == 0 || w == 1) && (s == 0 || s == 1) && (!s || w), "'%s' against %s: weak %d, strong %d", value, etag,
	      w, s);
	if (w && !strchr(value, '*'))
		CHECK(strstr(value, etag) != NULL, "'%s' matches %s", value, etag);
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* An Authorization value: the token taken is its one word after the scheme. */
static void check_authorization(const char *h)
{
	const char *tok = NULL, *p = h;
	size_t len = 0, i;

	if (pb_api_token_from_header(h, &tok, &len) != 0)
		return;
	CHECK(tok > h && len > 0 && tok + len <= h + strlen(h), "token out of its header '%s'", h);
	for (i = 0; i < len; i++)
		CHECK(!blank(tok[i]), "a token with a blank in '%s'", h);
	while (blank(*p))
		p++;
	CHECK(strncasecmp(p, "bearer", 6) == 0 && blank(p[6]), "'%s' is not a bearer credential", h);
	for (p += 6; p < tok; p++)
		CHECK(blank(*p), "'%s': more than a blank before the token", h);
	for (p = tok + len; *p; p++)
		CHECK(blank(*p), "'%s': more than a blank after the token", h);
	if (pb_api_token_well_formed(tok, len))
		CHECK(len == PB_API_TOKEN_LEN && strncmp(tok, PB_API_TOKEN_PREFIX, 4) == 0, "token '%.*s'", (int)len,
		      tok);
}

static void check_host(const char *v)
{
	size_t i, n = strlen(v);

	if (!pb_api_request_host_ok(v, n))
		return;
	for (i = 0; i < n; i++)
		CHECK(v[i] > ' ' && (unsigned char)v[i] < 0x7f && !strchr("/@\"\\<>{}|^`?#", v[i]), "host '%s'", v);
}

static void check_length(const char *v)
{
	size_t n = strlen(v), digits = strspn(v, "0123456789"), i;
	unsigned long long x;
	int nonzero = -1, ok = pb_api_request_length_ok(v, n, &nonzero);
	char *end;

	errno = 0;
	x = digits ? strtoull(v, &end, 10) : 0;
	for (i = digits; i < n && blank(v[i]); i++)
		;
	CHECK(ok == (digits > 0 && i == n && errno != ERANGE), "Content-Length '%s' taken: %d", v, ok);
	if (ok)
		CHECK(nonzero == (x != 0), "Content-Length '%s': nonzero %d", v, nonzero);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line[NLINES], *p, *sp, *end;
	long long run = 1;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	p = text;
	for (i = 0; i < NLINES; i++) {
		line[i] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
		else
			p = text + size;
	}
	sp = strchr(line[5], ' ');
	if (sp) {
		*sp = '\0';
		errno = 0;
		run = strtoll(line[5], &end, 10);
		if (errno || *end || run <= 0)
			run = 1;
		else if (pb_api_usage_alias_ok(sp + 1))
			check_cursor_made(run, sp + 1);
	}
	check_route(line[0]);
	check_etag(line[1], run);
	check_authorization(line[2]);
	check_host(line[3]);
	check_length(line[4]);
	free(text);
	return 0;
}
