/*
 * Unit tests of pb-api's modules that need no server: the JSON writer (api/json.c), the cache's generations
 * (api/cache.c), the tokens' last use (api/lastuse.c), the failure buckets (api/ratelimit.c), the
 * connections per client (api/clients.c), token and
 * header parsing (api/token.c), the cursor and alias rules (api/usage.c), and the request's route and values
 * (api/request.c). One file for the folder: each
 * module's part is short.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "clients.h"
#include "json.h"
#include "lastuse.h"
#include "ratelimit.h"
#include "request.h"
#include "token.h"
#include "usage.h"

#include "banned.h"

static void test_json_writer(void **state)
{
	struct pb_buf b = PB_BUF_INIT;
	struct pb_api_json j;

	(void)state;
	pb_api_json_init(&j, &b);
	pb_api_json_open(&j, '{');
	pb_api_json_key(&j, "a\"b");
	pb_api_json_decimal(&j, "-12345678901234567890.123456789012345678");
	pb_api_json_key(&j, "list");
	pb_api_json_open(&j, '[');
	pb_api_json_int(&j, -3);
	pb_api_json_bool(&j, 1);
	pb_api_json_null(&j);
	pb_api_json_string(&j, "tab\there\n\x01");
	pb_api_json_string(&j, NULL);
	pb_api_json_close(&j, ']');
	pb_api_json_close(&j, '}');
	assert_int_equal(pb_api_json_finish(&j), 0);
	assert_string_equal(pb_buf_str(&b),
			    "{\"a\\\"b\":\"-12345678901234567890.123456789012345678\",\"list\":[-3,true,null,"
			    "\"tab\\u0009here\\u000a\\u0001\",null]}");
	pb_buf_release(&b);
}

static void test_json_refuses(void **state)
{
	static const char *not_decimal[] = {"", "-", "1.", ".5", "1e5", "NaN", "+1", "1,5", " 1", "0x10", "--1"};
	struct pb_buf b = PB_BUF_INIT;
	struct pb_api_json j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(not_decimal) / sizeof(not_decimal[0]); i++)
		assert_false(pb_api_json_is_decimal(not_decimal[i]));
	assert_true(pb_api_json_is_decimal("0"));
	assert_true(pb_api_json_is_decimal("-0.000000000000000001"));
	pb_api_json_init(&j, &b);
	pb_api_json_open(&j, '{');
	pb_api_json_key(&j, "x");
	pb_api_json_decimal(&j, "1e5");
	pb_api_json_close(&j, '}');
	assert_int_equal(pb_api_json_finish(&j), -1);
	pb_buf_reset(&b);
	pb_api_json_init(&j, &b);
	pb_api_json_open(&j, '[');
	assert_int_equal(pb_api_json_finish(&j), -1); /* unclosed */
	pb_api_json_close(&j, '}');
	assert_int_equal(pb_api_json_finish(&j), -1);
	pb_buf_release(&b);
}

static int copy_int(void *value, void *arg)
{
	*(int *)arg = *(int *)value;
	return 7;
}

static int *boxed(int v)
{
	int *p = malloc(sizeof(*p));

	*p = v;
	return p;
}

static void test_cache_generations(void **state)
{
	struct pb_api_cache *c = pb_api_cache_new(4, 0, free);
	struct pb_api_cache_stats st;
	uint64_t gen;
	int got = 0, rc = 0, i;
	char key[16];

	(void)state;
	assert_int_equal(pb_api_cache_put(c, "k", 1, boxed(1), sizeof(int), pb_api_cache_generation(c)),
			 0); /* disabled */
	pb_api_cache_enable(c, 1);
	gen = pb_api_cache_generation(c);
	assert_int_equal(pb_api_cache_put(c, "k", 1, boxed(1), sizeof(int), gen), 1);
	assert_int_equal(pb_api_cache_use(c, "k", 1, copy_int, &got, &rc), 1);
	assert_int_equal(got, 1);
	assert_int_equal(rc, 7);
	assert_int_equal(pb_api_cache_use(c, "kk", 2, copy_int, &got, NULL), 0);
	/* What was read before a clear is not stored after it. */
	gen = pb_api_cache_generation(c);
	pb_api_cache_clear(c);
	assert_int_equal(pb_api_cache_use(c, "k", 1, NULL, NULL, NULL), 0);
	assert_int_equal(pb_api_cache_put(c, "k", 1, boxed(2), sizeof(int), gen), 0);
	assert_int_equal(pb_api_cache_put(c, "k", 1, boxed(3), sizeof(int), pb_api_cache_generation(c)), 1);
	assert_int_equal(pb_api_cache_put(c, "k", 1, boxed(4), sizeof(int), pb_api_cache_generation(c)),
			 1); /* replaced */
	assert_int_equal(pb_api_cache_use(c, "k", 1, copy_int, &got, NULL), 1);
	assert_int_equal(got, 4);
	/* Full: it starts afresh. */
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "n%d", i);
		assert_int_equal(
			pb_api_cache_put(c, key, strlen(key), boxed(i), sizeof(int), pb_api_cache_generation(c)), 1);
	}
	pb_api_cache_stats(c, &st);
	assert_int_equal(st.entries, 2);
	assert_true(st.enabled);
	pb_api_cache_enable(c, 0);
	assert_int_equal(pb_api_cache_use(c, "n4", 2, NULL, NULL, NULL), 0);
	pb_api_cache_free(c);
}

static void test_cache_bytes(void **state)
{
	struct pb_api_cache *c = pb_api_cache_new(100, 100, free);
	struct pb_api_cache_stats st;

	(void)state;
	pb_api_cache_enable(c, 1);
	assert_int_equal(pb_api_cache_put(c, "a", 1, boxed(1), 59, pb_api_cache_generation(c)), 1);
	pb_api_cache_stats(c, &st);
	assert_int_equal(st.bytes, 60); /* the value's and the key's */
	/* Replacing a value counts the new one's bytes only. */
	assert_int_equal(pb_api_cache_put(c, "a", 1, boxed(2), 39, pb_api_cache_generation(c)), 1);
	assert_int_equal(pb_api_cache_put(c, "b", 1, boxed(3), 59, pb_api_cache_generation(c)), 1);
	pb_api_cache_stats(c, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.bytes, 100);
	assert_int_equal(st.clears, 1); /* the enable */
	/* Past the bytes, with room for entries: it starts afresh. */
	assert_int_equal(pb_api_cache_put(c, "c", 1, boxed(4), 0, pb_api_cache_generation(c)), 1);
	pb_api_cache_stats(c, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.bytes, 1);
	assert_int_equal(st.clears, 2);
	assert_int_equal(pb_api_cache_use(c, "a", 1, NULL, NULL, NULL), 0);
	assert_int_equal(pb_api_cache_use(c, "c", 1, NULL, NULL, NULL), 1);
	pb_api_cache_free(c);
}

static int by_id(const void *a, const void *b)
{
	const struct pb_api_lastuse_entry *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static void test_lastuse(void **state)
{
	struct pb_api_lastuse *u = pb_api_lastuse_new();
	struct pb_api_lastuse_entry *e;
	long long id;
	size_t n;

	(void)state;
	assert_non_null(u);
	assert_null(pb_api_lastuse_take(u, &n));
	assert_int_equal(n, 0);
	/* The latest time of each token, whatever the order its uses are noted in. */
	assert_int_equal(pb_api_lastuse_note(u, 7, 1000), 0);
	assert_int_equal(pb_api_lastuse_note(u, 3, 1005), 0);
	assert_int_equal(pb_api_lastuse_note(u, 7, 1010), 0);
	assert_int_equal(pb_api_lastuse_note(u, 3, 1001), 0);
	assert_int_equal(pb_api_lastuse_count(u), 2);
	e = pb_api_lastuse_take(u, &n);
	assert_non_null(e);
	assert_int_equal(n, 2);
	qsort(e, n, sizeof(*e), by_id);
	assert_int_equal(e[0].id, 3);
	assert_int_equal(e[0].when, 1005);
	assert_int_equal(e[1].id, 7);
	assert_int_equal(e[1].when, 1010);
	free(e);
	/* Taken: the record is empty, and fills again from nothing. */
	assert_int_equal(pb_api_lastuse_count(u), 0);
	assert_null(pb_api_lastuse_take(u, &n));
	for (id = 1; id <= 5000; id++)
		assert_int_equal(pb_api_lastuse_note(u, id * 64, 2000 + id), 0);
	assert_int_equal(pb_api_lastuse_note(u, 64, 1), 0);
	e = pb_api_lastuse_take(u, &n);
	assert_int_equal(n, 5000);
	qsort(e, n, sizeof(*e), by_id);
	for (id = 1; id <= 5000; id++) {
		assert_int_equal(e[id - 1].id, id * 64);
		assert_int_equal(e[id - 1].when, 2000 + id);
	}
	free(e);
	pb_api_lastuse_free(u);
	pb_api_lastuse_free(NULL);
}

static void test_ratelimit(void **state)
{
	struct pb_api_ratelimit *r = pb_api_ratelimit_new(3, 20000);
	struct sockaddr_in a, b;
	struct sockaddr_in6 c, d;
	int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x7f000002);
	b = a;
	b.sin_addr.s_addr = htonl(0x7f000003);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pb_api_ratelimit_wait(r, (struct sockaddr *)&a), 0);
		pb_api_ratelimit_fail(r, (struct sockaddr *)&a);
	}
	i = (int)pb_api_ratelimit_wait(r, (struct sockaddr *)&a);
	assert_true(i >= 19 && i <= 20);
	assert_int_equal(pb_api_ratelimit_wait(r, (struct sockaddr *)&b), 0);
	assert_int_equal(pb_api_ratelimit_wait(r, NULL), 0);
	/* IPv6 clients count per /64. */
	memset(&c, 0, sizeof(c));
	c.sin6_family = AF_INET6;
	c.sin6_addr.s6_addr[0] = 0x20;
	c.sin6_addr.s6_addr[15] = 1;
	d = c;
	d.sin6_addr.s6_addr[15] = 2;
	for (i = 0; i < 3; i++)
		pb_api_ratelimit_fail(r, (struct sockaddr *)&c);
	assert_true(pb_api_ratelimit_wait(r, (struct sockaddr *)&d) > 0);
	pb_api_ratelimit_free(r);
}

static void test_clients(void **state)
{
	struct pb_api_clients *c = pb_api_clients_new(2);
	struct sockaddr_in6 a, b, other, mapped;
	struct sockaddr_in v4;
	int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr.s6_addr[0] = 0x20;
	a.sin6_addr.s6_addr[15] = 1;
	b = a;
	b.sin6_addr.s6_addr[15] = 2;
	other = a;
	other.sin6_addr.s6_addr[7] = 1;
	/* Two connections of one /64, each from an address of its own: the client holds them both. */
	assert_int_equal(pb_api_clients_count(c, (struct sockaddr *)&a, 1), 0);
	assert_true(pb_api_clients_may_open(c, (struct sockaddr *)&b));
	assert_int_equal(pb_api_clients_count(c, (struct sockaddr *)&b, 1), 0);
	assert_false(pb_api_clients_may_open(c, (struct sockaddr *)&a));
	assert_false(pb_api_clients_may_open(c, (struct sockaddr *)&b));
	assert_true(pb_api_clients_may_open(c, (struct sockaddr *)&other));
	pb_api_clients_count(c, (struct sockaddr *)&a, -1);
	assert_true(pb_api_clients_may_open(c, (struct sockaddr *)&b));
	pb_api_clients_count(c, (struct sockaddr *)&b, -1);
	/* An IPv4-mapped address is its IPv4 client. */
	memset(&v4, 0, sizeof(v4));
	v4.sin_family = AF_INET;
	v4.sin_addr.s_addr = htonl(0x7f000001);
	memset(&mapped, 0, sizeof(mapped));
	mapped.sin6_family = AF_INET6;
	mapped.sin6_addr.s6_addr[10] = 0xff;
	mapped.sin6_addr.s6_addr[11] = 0xff;
	memcpy(mapped.sin6_addr.s6_addr + 12, &v4.sin_addr, 4);
	for (i = 0; i < 2; i++)
		assert_int_equal(pb_api_clients_count(c, (struct sockaddr *)&v4, 1), 0);
	assert_false(pb_api_clients_may_open(c, (struct sockaddr *)&mapped));
	/* Unknown addresses are neither limited nor counted. */
	assert_true(pb_api_clients_may_open(c, NULL));
	assert_int_equal(pb_api_clients_count(c, NULL, 1), -1);
	pb_api_clients_free(c);
	pb_api_clients_free(NULL);
}

static void test_token_parsing(void **state)
{
	const char *tok;
	size_t len;
	unsigned char digest[32];
	char hex[65], good[48];

	(void)state;
	memcpy(good, "pbt_", 4);
	memset(good + 4, 'A', 43);
	good[46] = '_';
	good[45] = '-';
	good[47] = '\0';
	assert_int_equal(pb_api_token_from_header("Bearer abc", &tok, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(tok, "abc", 3);
	assert_int_equal(pb_api_token_from_header("  bEaReR \t abc  ", &tok, &len), 0);
	assert_int_equal(len, 3);
	assert_int_equal(pb_api_token_from_header("Bearer", &tok, &len), -1);
	assert_int_equal(pb_api_token_from_header("Bearer ", &tok, &len), -1);
	assert_int_equal(pb_api_token_from_header("Bearerabc", &tok, &len), -1);
	assert_int_equal(pb_api_token_from_header("Bearer a b", &tok, &len), -1);
	assert_int_equal(pb_api_token_from_header("Basic YTpi", &tok, &len), -1);
	assert_true(pb_api_token_well_formed(good, 47));
	assert_false(pb_api_token_well_formed(good, 46));
	good[46] = '=';
	assert_false(pb_api_token_well_formed(good, 47));
	good[46] = '_';
	good[2] = 'x';
	assert_false(pb_api_token_well_formed(good, 47));
	assert_false(pb_api_token_well_formed("pbt_AAAA", 8));
	assert_int_equal(pb_api_token_digest("abc", 3, digest, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(pb_api_token_same_hex(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(pb_api_token_same_hex(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ae"));
	assert_false(pb_api_token_same_hex(hex, "ba78"));
}

static void test_token_names(void **state)
{
	char name[402];
	int i;

	(void)state;
	assert_null(pb_api_token_name_fault("alice@build-7"));
	assert_null(pb_api_token_name_fault("Zo\xc3\xab O'Brien (ops)"));
	assert_null(pb_api_token_name_fault("\xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x94\x91"));
	assert_string_equal(pb_api_token_name_fault(""), "is empty");
	assert_string_equal(pb_api_token_name_fault("eve\nroot"), "holds a control character");
	assert_string_equal(pb_api_token_name_fault("eve\x7f"), "holds a control character");
	assert_string_equal(pb_api_token_name_fault("eve\xc2\x85"), "holds a control character"); /* NEL */
	assert_string_equal(pb_api_token_name_fault("eve\xe2\x80\xa8"), "holds a control character");
	assert_string_equal(pb_api_token_name_fault("\xe2\x80\xae"
						    "eve"),
			    "holds a control character"); /* RLO */
	/* The marks that order text around them unseen: right-to-left, left-to-right, the Arabic letter mark. */
	assert_string_equal(pb_api_token_name_fault("eve\xe2\x80\x8f"), "holds a control character");
	assert_string_equal(pb_api_token_name_fault("eve\xe2\x80\x8e"), "holds a control character");
	assert_string_equal(pb_api_token_name_fault("eve\xd8\x9c"), "holds a control character");
	assert_string_equal(pb_api_token_name_fault("eve,root"), "holds a comma or quotation mark");
	assert_string_equal(pb_api_token_name_fault("\"eve\""), "holds a comma or quotation mark");
	assert_string_equal(pb_api_token_name_fault(" eve"), "begins or ends with a blank");
	assert_string_equal(pb_api_token_name_fault("eve "), "begins or ends with a blank");
	assert_string_equal(pb_api_token_name_fault("eve\xff"), "is not UTF-8");
	assert_string_equal(pb_api_token_name_fault("\xc0\xaf"), "is not UTF-8");     /* overlong '/' */
	assert_string_equal(pb_api_token_name_fault("\xed\xa0\x80"), "is not UTF-8"); /* a surrogate */
	/* 100 characters of two bytes each pass; one more does not. */
	for (i = 0; i < 100; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[200] = '\0';
	assert_null(pb_api_token_name_fault(name));
	memcpy(name + 200, "e", 2);
	assert_string_equal(pb_api_token_name_fault(name), "is longer than 100 characters");
}

static void test_months(void **state)
{
	static const char *malformed[] = {"2026-13", "2026-00",	 "2026-1",  "2026-10-01", "abcd-ef",
					  "",	     "2026-10x", "0000-00", "10000-01",	  "-001-01"};
	const int64_t nov_2026 = 1794787200; /* 2026-11-16T00:00:00Z */
	const int64_t dec_31 = 1798761599;   /* 2026-12-31T23:59:59Z */
	char m[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		assert_int_equal(pb_api_usage_month(malformed[i], nov_2026, m), -1);
	assert_int_equal(pb_api_usage_month(NULL, nov_2026, m), -1);
	assert_int_equal(pb_api_usage_month("2026-10", nov_2026, m), 0);
	assert_string_equal(m, "2026-10");
	assert_int_equal(pb_api_usage_month("2000-01", nov_2026, m), 0);
	assert_int_equal(pb_api_usage_month("2026-12", nov_2026, m), 0); /* next month */
	assert_int_equal(pb_api_usage_month("1999-12", nov_2026, m), -2);
	assert_int_equal(pb_api_usage_month("1000-01", nov_2026, m), -2);
	/* Year 0 is a month of the form YYYY-MM, before 2000-01 as 1000-01 is. */
	assert_int_equal(pb_api_usage_month("0000-10", nov_2026, m), -2);
	assert_int_equal(pb_api_usage_month("0000-01", nov_2026, m), -2);
	assert_int_equal(pb_api_usage_month("2027-01", nov_2026, m), -2);
	assert_int_equal(pb_api_usage_month("9999-12", nov_2026, m), -2);
	/* Next month across a year's end, to the last second of December. */
	assert_int_equal(pb_api_usage_month("2027-01", dec_31, m), 0);
	assert_int_equal(pb_api_usage_month("2027-02", dec_31, m), -2);
	assert_int_equal(pb_api_usage_month("2027-01", dec_31 + 1, m), 0);
	assert_int_equal(pb_api_usage_month("2027-02", dec_31 + 1, m), 0);
}

static void test_cursor_and_alias(void **state)
{
	long long run = 0;
	char alias[8], cursor[PB_API_CURSOR_MAX];

	(void)state;
	assert_int_equal(pb_api_usage_cursor("12.ACME1", &run, alias), 0);
	assert_int_equal(run, 12);
	assert_string_equal(alias, "ACME1");
	assert_int_equal(pb_api_usage_cursor("0.ACME1", &run, alias), -1);
	assert_int_equal(pb_api_usage_cursor("12.acme1", &run, alias), -1);
	assert_int_equal(pb_api_usage_cursor("12.ACME1X7", &run, alias), -1);
	assert_int_equal(pb_api_usage_cursor("12", &run, alias), -1);
	assert_int_equal(pb_api_usage_cursor(".ACME1", &run, alias), -1);
	assert_int_equal(pb_api_usage_cursor("+12.ACME1", &run, alias), -1);
	assert_int_equal(pb_api_usage_cursor("99999999999999999999.AB", &run, alias), -1);
	assert_int_equal(pb_api_usage_cursor("9223372036854775808.AB", &run, alias), -1);
	/* A run id of 19 digits, as bigserial allows: the cursor a listing of it gives reads back. */
	pb_api_usage_cursor_make(9223372036854775807LL, "ZZ9", cursor);
	assert_string_equal(cursor, "9223372036854775807.ZZ9");
	assert_int_equal(pb_api_usage_cursor(cursor, &run, alias), 0);
	assert_true(run == 9223372036854775807LL);
	assert_string_equal(alias, "ZZ9");
	pb_api_usage_cursor_make(1000000000000000000LL, "AB", cursor);
	assert_int_equal(pb_api_usage_cursor(cursor, &run, alias), 0);
	assert_true(run == 1000000000000000000LL);
	assert_true(pb_api_usage_alias_ok("AB"));
	assert_true(pb_api_usage_alias_ok("A00001"));
	assert_false(pb_api_usage_alias_ok("A"));
	assert_false(pb_api_usage_alias_ok("A000001"));
	assert_false(pb_api_usage_alias_ok("ab"));
	assert_false(pb_api_usage_alias_ok("A-1"));
}

static void test_request(void **state)
{
	char alias[8] = "";
	unsigned limit = 0;
	int ok = -1, nonzero = -1;

	(void)state;
	assert_int_equal(pb_api_request_route("/v1/accounts/AB1/partner-usage", alias, &ok), PB_API_EP_ACCOUNT);
	assert_string_equal(alias, "AB1");
	assert_int_equal(ok, 1);
	assert_int_equal(pb_api_request_route("http://h:1/v1/accounts/ab/partner-usage/daily", alias, &ok),
			 PB_API_EP_DAILY);
	assert_string_equal(alias, "ab");
	assert_int_equal(ok, 0);
	assert_int_equal(pb_api_request_route("/v1/accounts/AB/CD/partner-usage", alias, &ok), PB_API_EP_OTHER);
	assert_int_equal(pb_api_request_route("/v1/accounts//partner-usage", alias, &ok), PB_API_EP_OTHER);
	assert_int_equal(pb_api_request_route("HTTPS://h", alias, &ok), PB_API_EP_OTHER);
	assert_int_equal(pb_api_request_route("/v1/partner-usage", alias, &ok), PB_API_EP_LIST);
	assert_int_equal(pb_api_request_route("/healthz", alias, &ok), PB_API_EP_HEALTH);
	assert_int_equal(pb_api_request_route("/metrics", alias, &ok), PB_API_EP_METRICS);
	assert_int_equal(pb_api_request_limit(NULL, 100, 1000, &limit), 0);
	assert_int_equal(limit, 100);
	assert_int_equal(pb_api_request_limit("0007", 100, 1000, &limit), 0);
	assert_int_equal(limit, 7);
	assert_int_equal(pb_api_request_limit("1001", 100, 1000, &limit), -1);
	assert_int_equal(pb_api_request_limit("", 100, 1000, &limit), -1);
	assert_int_equal(pb_api_request_limit("+5", 100, 1000, &limit), -1);
	assert_int_equal(pb_api_request_etag_matches(" W/\"x\" , \"pb-run-7\"", "\"pb-run-7\"", 1), 1);
	assert_int_equal(pb_api_request_etag_matches("W/\"pb-run-7\"", "\"pb-run-7\"", 0), 1);
	assert_int_equal(pb_api_request_etag_matches("W/\"pb-run-7\"", "\"pb-run-7\"", 1), 0);
	assert_int_equal(pb_api_request_etag_matches("*", "\"pb-run-7\"", 1), 1);
	assert_int_equal(pb_api_request_etag_matches("\"pb-run-7\", *", "\"pb-run-7\"", 0), 0);
	assert_int_equal(pb_api_request_etag_matches("\"pb-run-7\" x", "\"pb-run-7\"", 0), 0);
	assert_int_equal(pb_api_request_host_ok("[::1]:8080", 10), 1);
	assert_int_equal(pb_api_request_host_ok("a%2eb", 5), 1);
	assert_int_equal(pb_api_request_host_ok("a b", 3), 0);
	assert_int_equal(pb_api_request_host_ok("u@h", 3), 0);
	assert_int_equal(pb_api_request_host_ok("h:8x", 4), 0);
	assert_int_equal(pb_api_request_length_ok("18446744073709551615 ", 21, &nonzero), 1);
	assert_int_equal(nonzero, 1);
	assert_int_equal(pb_api_request_length_ok("18446744073709551616", 20, &nonzero), 0);
	assert_int_equal(pb_api_request_length_ok("0\t", 2, &nonzero), 1);
	assert_int_equal(nonzero, 0);
	assert_int_equal(pb_api_request_length_ok(" 1", 2, &nonzero), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_json_refuses),
		cmocka_unit_test(test_cache_generations),
		cmocka_unit_test(test_cache_bytes),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_token_parsing),
		cmocka_unit_test(test_cursor_and_alias),
		cmocka_unit_test(test_lastuse),
		cmocka_unit_test(test_token_names),
		cmocka_unit_test(test_months),
		cmocka_unit_test(test_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
