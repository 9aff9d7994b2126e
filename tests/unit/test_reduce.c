/*
 * Unit tests of ingest/reduce.c's cap on rows per account (the names reduction): rows past the cap are
 * counted, not kept, and take no memory, so that an export with a million distinct tag values on one
 * account costs what one with 256 does; their text is still checked as a kept row's would be. And the order
 * of the store's walk over its rows, whether it sorts them as packed numbers or with the comparison, in
 * memory or spilled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "reduce.h"

#include "banned.h"

static struct pb_text text(const char *s)
{
	struct pb_text t = {s, strlen(s)};

	return t;
}

/* A names row: account, kind "tag", the name, on 2026-10-01. */
static int add(struct pb_reduce *r, const char *account, const char *name)
{
	struct pb_usage u;

	memset(&u, 0, sizeof(u));
	u.billing_month = u.usage_date = 20727;
	u.account = text(account);
	u.category = text("tag");
	u.service = text(name);
	u.region = u.currency = u.charge_type = text("");
	return pb_reduce_add(r, &u);
}

/* The rows of account, in order. */
static size_t rows_of(struct pb_reduce *r, const char *account, char *names, size_t size)
{
	const struct pb_daily *const *rows;
	size_t n, i, k = 0;

	rows = pb_reduce_sorted(r, &n);
	assert_non_null(rows);
	names[0] = '\0';
	for (i = 0; i < n; i++) {
		if (rows[i]->account.len != strlen(account) || memcmp(rows[i]->account.ptr, account, strlen(account)))
			continue;
		snprintf(names + strlen(names), size - strlen(names), "%s%.*s:%llu", k ? " " : "",
			 (int)rows[i]->service.len, rows[i]->service.ptr, (unsigned long long)rows[i]->line_count);
		k++;
	}
	return k;
}

static void test_cap_keeps_the_first_rows(void **state)
{
	struct pb_reduce *r = pb_reduce_new(PB_GRAIN_DAILY);
	char got[256], name[16];
	uint64_t rows, lines;
	int i;

	(void)state;
	pb_reduce_set_cap(r, 3);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "k=v%d", i);
		assert_int_equal(add(r, "a", name), 0);
		assert_int_equal(add(r, "a", name), 0);
		assert_int_equal(add(r, "b", name), 0);
	}
	/* A row kept before the cap was reached takes its lines still. */
	assert_int_equal(add(r, "a", "k=v0"), 0);
	assert_int_equal(rows_of(r, "a", got, sizeof(got)), 3);
	assert_string_equal(got, "k=v0:3 k=v1:2 k=v2:2");
	assert_int_equal(rows_of(r, "b", got, sizeof(got)), 3);
	pb_reduce_capped(r, &rows, &lines);
	assert_int_equal(lines, 7 * 2 + 7);
	pb_reduce_free(r);
}

/* Bytes the allocator has handed out (glibc's arenas: 0 where a sanitizer's allocator stands in). */
static size_t heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

static void test_rows_past_the_cap_take_no_memory(void **state)
{
	struct pb_reduce *r = pb_reduce_new(PB_GRAIN_DAILY), *part = pb_reduce_new(PB_GRAIN_DAILY);
	char name[64];
	size_t before;
	uint64_t rows, lines;
	int i;

	(void)state;
	pb_reduce_set_cap(r, 2);
	pb_reduce_set_cap(part, 2);
	assert_int_equal(add(r, "a", "k=first"), 0);
	assert_int_equal(add(r, "a", "k=second"), 0);
	assert_int_equal(add(part, "a", "k=first"), 0);
	assert_int_equal(add(part, "a", "k=other"), 0);
	before = heap_in_use();
	/* 200000 distinct values of 40 bytes: 8 MB of text, were it kept. */
	for (i = 0; i < 200000; i++) {
		snprintf(name, sizeof(name), "k=%038d", i);
		assert_int_equal(add(r, "a", name), 0);
	}
	/* Merging a part whose rows are past the cap of the whole keeps nothing of them either. */
	assert_int_equal(pb_reduce_merge(r, part), 0);
	assert_true(heap_in_use() - before < 256 * 1024);
	pb_reduce_capped(r, &rows, &lines);
	assert_int_equal(lines, 200001);
	pb_reduce_free(part);
	pb_reduce_free(r);
}

/* A text the store would refuse is refused past the cap too, as it is in a summary, which has no cap. */
static void test_text_past_the_cap_is_checked(void **state)
{
	struct pb_reduce *r = pb_reduce_new(PB_GRAIN_DAILY);
	const char *at, *why;

	(void)state;
	pb_reduce_set_cap(r, 1);
	assert_int_equal(add(r, "a", "k=ok"), 0);
	assert_int_equal(add(r, "a", "k=caf\xe9"), PB_REDUCE_ERR_TEXT);
	pb_reduce_bad_text(r, &at, &why);
	assert_int_equal(*at, '\xe9');
	assert_string_equal(why, "invalid UTF-8");
	pb_reduce_free(r);
}

/* Bytewise order of two texts. */
static int cmp_text(const struct pb_text *a, const struct pb_text *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->ptr, b->ptr, n) : 0;

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* The walk's documented order: account, date, category, charge type, service, region, currency, month, source, load. */
static int cmp_daily(const struct pb_daily *a, const struct pb_daily *b)
{
	const struct pb_text *ta[] = {&a->category, &a->charge_type, &a->service, &a->region, &a->currency};
	const struct pb_text *tb[] = {&b->category, &b->charge_type, &b->service, &b->region, &b->currency};
	int c = cmp_text(&a->account, &b->account), i;

	if (c)
		return c;
	if (a->usage_date != b->usage_date)
		return a->usage_date < b->usage_date ? -1 : 1;
	for (i = 0; i < 5; i++)
		if ((c = cmp_text(ta[i], tb[i])) != 0)
			return c;
	if (a->billing_month != b->billing_month)
		return a->billing_month < b->billing_month ? -1 : 1;
	if (a->list_source != b->list_source)
		return a->list_source < b->list_source ? -1 : 1;
	return (a->price_load > b->price_load) - (a->price_load < b->price_load);
}

/*
 * Stores 20,000 lines of pseudo-random keys (with price loads from lo to hi) and walks them: every row
 * strictly after the one before in the documented order, and the lines all there.
 */
static void walk_in_order(int64_t lo, int64_t hi, size_t memory)
{
	static const char *const accounts[] = {"b", "a", "ab", "", "\xc3\xa9", "a\x01", "zz", "A"};
	static const char *const words[] = {"x", "", "Usage", "usage", "eastus", "EUR", "USD", "Tax"};
	struct pb_reduce *r = pb_reduce_new(PB_GRAIN_STORE);
	struct pb_daily prev, d;
	uint64_t seed = 42, lines = 0, rows = 0;
	int i, rc;

	assert_non_null(r);
	if (memory)
		pb_reduce_set_memory(r, memory, NULL);
	for (i = 0; i < 20000; i++) {
		struct pb_usage u;

		memset(&u, 0, sizeof(u));
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		u.billing_month = 20727 - (int32_t)((seed >> 60) & 1) * 30;
		u.usage_date = u.billing_month + (int32_t)((seed >> 40) % 31);
		u.account = text(accounts[(seed >> 10) & 7]);
		u.category = text(words[(seed >> 13) & 7]);
		u.charge_type = text(words[(seed >> 16) & 3]);
		u.service = text(words[(seed >> 19) & 7]);
		u.region = text(words[(seed >> 22) & 7]);
		u.currency = text(words[(seed >> 25) & 1]);
		u.has_list = u.has_billed = 1;
		u.price_load = (seed >> 30) & 1 ? ((seed >> 31) & 1 ? hi : lo) : 0;
		assert_int_equal(pb_reduce_add(r, &u), 0);
	}
	assert_int_equal(pb_reduce_walk_start(r), 0);
	while ((rc = pb_reduce_walk_next(r, &d)) == 1) {
		if (rows)
			assert_true(cmp_daily(&prev, &d) < 0);
		prev = d;
		rows++;
		lines += d.line_count;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(lines, 20000);
	assert_true(rows > 1000);
	if (memory)
		assert_true(pb_reduce_spilled(r) > 0);
	pb_reduce_free(r);
}

/* Packed: the fields fit in 128 bits. */
static void test_walk_order_packed(void **state)
{
	(void)state;
	walk_in_order(7, 9, 0);
	walk_in_order(7, 9, 64 << 10);
}

/* Price loads from INT64_MIN to INT64_MAX do not fit: the comparison sorts. */
static void test_walk_order_compared(void **state)
{
	(void)state;
	walk_in_order(INT64_MIN, INT64_MAX, 0);
	walk_in_order(INT64_MIN, INT64_MAX, 64 << 10);
	walk_in_order(-1, INT64_MAX, 0);
}

/*
 * Lines that repeat the row before are added to it without a lookup: runs of repeats between rows that
 * differ in one text or the date only, with spills in between (a tiny memory), give each row exactly its lines.
 */
static void test_repeated_rows(void **state)
{
	static const char *const services[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
	struct pb_reduce *r = pb_reduce_new(PB_GRAIN_STORE);
	uint64_t want[10][31] = {{0}};
	struct pb_daily d;
	int i, k, rc;
	size_t rows = 0;

	(void)state;
	assert_non_null(r);
	pb_reduce_set_memory(r, 16 << 10, NULL);
	for (i = 0; i < 6000; i++) {
		struct pb_usage u;
		/* Consecutive lines differ in the service only, then in the date only. */
		int s = i < 3000 ? i % 10 : (i / 31) % 10, day = i < 3000 ? (i / 10) % 31 : i % 31;

		memset(&u, 0, sizeof(u));
		u.billing_month = 20727;
		u.usage_date = 20727 + day;
		u.account = text("acct");
		u.category = text("Usage");
		u.charge_type = text("Usage");
		u.region = text("eastus");
		u.currency = text("USD");
		u.service = text(services[s]);
		u.has_billed = 1;
		u.billed_cost.units = 1;
		/* Each line once, some twice, some three times in a row. */
		for (k = 0; k <= i % 3; k++) {
			assert_int_equal(pb_reduce_add(r, &u), 0);
			want[s][day]++;
		}
	}
	assert_true(pb_reduce_spilled(r) > 0);
	assert_int_equal(pb_reduce_walk_start(r), 0);
	while ((rc = pb_reduce_walk_next(r, &d)) == 1) {
		int s = d.service.ptr[0] - 'a', day = d.usage_date - 20727;

		assert_int_equal(d.line_count, want[s][day]);
		assert_true(d.billed_cost.units == (__int128)want[s][day]);
		want[s][day] = 0;
		rows++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(rows, 310);
	for (i = 0; i < 10; i++)
		for (k = 0; k < 31; k++)
			assert_int_equal(want[i][k], 0);
	pb_reduce_free(r);
}

/* One pseudo-random store line (seed steps on). */
static void random_line(uint64_t *seed, struct pb_usage *u)
{
	static const char *const accounts[] = {"b", "a", "ab", "zz", "A", "c"};
	static const char *const words[] = {"x", "", "Usage", "usage", "eastus", "EUR", "USD", "Tax"};

	memset(u, 0, sizeof(*u));
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	u->billing_month = 20727;
	u->usage_date = 20727 + (int32_t)((*seed >> 40) % 31);
	u->account = text(accounts[(*seed >> 10) % 6]);
	u->category = text(words[(*seed >> 13) & 7]);
	u->charge_type = text(words[(*seed >> 16) & 3]);
	u->service = text(words[(*seed >> 19) & 7]);
	u->region = text(words[(*seed >> 22) & 7]);
	u->currency = text(words[5 + ((*seed >> 25) & 1)]);
	u->has_list = (*seed >> 27) & 1;
	u->has_billed = 1;
	u->list_cost.units = (__int128)((*seed >> 28) & 0xFFFF) * 1000000000000LL;
	u->billed_cost.units = (__int128)((*seed >> 44) & 0xFFFF) - 30000;
}

/* Two walks' rows are the same row: key, amounts and counts. */
static void assert_same_row(const struct pb_daily *a, const struct pb_daily *b)
{
	assert_int_equal(cmp_daily(a, b), 0);
	assert_true(a->list_cost.units == b->list_cost.units);
	assert_true(a->billed_cost.units == b->billed_cost.units);
	assert_int_equal(a->line_count, b->line_count);
	assert_int_equal(a->list_lines, b->list_lines);
	assert_int_equal(a->billed_lines, b->billed_lines);
}

/*
 * The parts of a file reduced apart and walked together give exactly the rows of one reduction of every
 * line: same order, texts, sums and counts, whether the parts spilled or not.
 */
static void test_walks_of_parts(void **state)
{
	struct pb_reduce *all = pb_reduce_new(PB_GRAIN_STORE), *part[3];
	struct pb_reduce_walks w;
	struct pb_daily a, b;
	uint64_t seed = 7, rows = 0;
	int i, ra, rb;

	(void)state;
	for (i = 0; i < 3; i++) {
		part[i] = pb_reduce_new(PB_GRAIN_STORE);
		assert_non_null(part[i]);
	}
	pb_reduce_set_memory(part[1], 16 << 10, NULL);
	for (i = 0; i < 30000; i++) {
		struct pb_usage u;

		random_line(&seed, &u);
		assert_int_equal(pb_reduce_add(all, &u), 0);
		/* Runs of lines to one part, then the next, as threads reading a file's thirds would. */
		assert_int_equal(pb_reduce_add(part[i / 10000], &u), 0);
	}
	assert_true(pb_reduce_spilled(part[1]) > 0);
	assert_int_equal(pb_reduce_walk_start(all), 0);
	assert_int_equal(pb_reduce_walks_start(&w, part, 3), 0);
	for (;;) {
		ra = pb_reduce_walk_next(all, &a);
		rb = pb_reduce_walks_next(&w, &b);
		assert_int_equal(ra, rb);
		if (ra != 1)
			break;
		assert_same_row(&a, &b);
		rows++;
	}
	assert_int_equal(ra, 0);
	assert_true(rows > 5000);
	pb_reduce_walks_release(&w);
	pb_reduce_free(all);
	for (i = 0; i < 3; i++)
		pb_reduce_free(part[i]);
}

/*
 * Distinct texts past the dictionaries' bound: 300,000 lines, each with its own 40-byte service and region
 * and one of a few accounts, some lines repeating an earlier key. With 1 MB of memory the dictionaries start
 * over many times (12 MB of text, were it all kept), and the walk gives
 * exactly the rows of the reduction without a bound: texts, amounts and counts, in order.
 */
static void test_distinct_texts_past_the_bound(void **state)
{
	struct pb_reduce *all = pb_reduce_new(PB_GRAIN_STORE), *small = pb_reduce_new(PB_GRAIN_STORE);
	char service[64], region[64], account[16];
	struct pb_daily a, b, prev;
	uint64_t rows = 0, seed = 11;
	int i, ra, rb;

	(void)state;
	assert_non_null(all);
	assert_non_null(small);
	pb_reduce_set_memory(small, 1 << 20, NULL);
	for (i = 0; i < 300000; i++) {
		struct pb_usage u;
		/* One line in four repeats the key of a line a few thousand before it. */
		int n = i % 4 == 3 && i > 5000 ? i - 4999 : i;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		memset(&u, 0, sizeof(u));
		u.billing_month = 20727;
		u.usage_date = 20727 + n % 28;
		snprintf(account, sizeof(account), "acct-%d", n % 7);
		snprintf(service, sizeof(service), "service-%032d", n);
		snprintf(region, sizeof(region), "region-%033d", n * 7);
		u.account = text(account);
		u.category = text("Usage");
		u.charge_type = text(n % 3 ? "Usage" : "Tax");
		u.service = text(service);
		u.region = text(region);
		u.currency = text("USD");
		u.has_list = u.has_billed = 1;
		u.list_cost.units = (__int128)(seed >> 20) * 1000000;
		u.billed_cost.units = (__int128)(seed >> 24) * 1000000;
		assert_int_equal(pb_reduce_add(small, &u), 0);
		assert_int_equal(pb_reduce_add(all, &u), 0);
	}
	assert_true(pb_reduce_dict_resets(small) > 10);
	assert_true(pb_reduce_spilled(small) > 10);
	assert_int_equal(pb_reduce_dict_resets(all), 0);
	assert_int_equal(pb_reduce_spilled(all), 0);
	assert_int_equal(pb_reduce_walk_start(all), 0);
	assert_int_equal(pb_reduce_walk_start(small), 0);
	for (;;) {
		ra = pb_reduce_walk_next(all, &a);
		rb = pb_reduce_walk_next(small, &b);
		assert_int_equal(ra, rb);
		if (ra != 1)
			break;
		assert_same_row(&a, &b);
		/* The row before is still whole: its texts last until the next call but one. */
		if (rows)
			assert_true(cmp_daily(&prev, &b) < 0);
		prev = b;
		rows++;
	}
	assert_int_equal(ra, 0);
	/* 300,000 lines less the 73,750 that repeat a key (i % 4 == 3 from 5003 on). */
	assert_int_equal(rows, 226250);
	pb_reduce_free(all);
	pb_reduce_free(small);
}

/* The bounded reduction alone: its heap stays near its bound however many distinct texts come. */
static void test_distinct_texts_take_bounded_memory(void **state)
{
	struct pb_reduce *r = pb_reduce_new(PB_GRAIN_STORE);
	char service[64];
	size_t before, peak = 0;
	int i;

	(void)state;
	assert_non_null(r);
	pb_reduce_set_memory(r, 1 << 20, NULL);
	before = heap_in_use();
	for (i = 0; i < 400000; i++) {
		struct pb_usage u;

		memset(&u, 0, sizeof(u));
		u.billing_month = u.usage_date = 20727;
		snprintf(service, sizeof(service), "service-%032d", i);
		u.account = text("a");
		u.category = u.charge_type = text("Usage");
		u.service = text(service);
		u.region = text("eastus");
		u.currency = text("USD");
		assert_int_equal(pb_reduce_add(r, &u), 0);
		if (i % 1000 == 0 && heap_in_use() - before > peak)
			peak = heap_in_use() - before;
	}
	/* 400,000 texts of 40 bytes (16 MB and their tables, were they kept) in about 1 MB, and the spill's buffer. */
	assert_true(peak < (size_t)3 << 20);
	assert_true(pb_reduce_dict_resets(r) > 10);
	assert_true(pb_reduce_spilled(r) > 150);
	/* Its walk too: the runs are merged as they come, so their buffers stay few whatever was spilled. */
	assert_int_equal(pb_reduce_walk_start(r), 0);
	for (i = 0;; i++) {
		struct pb_daily d;
		int rc = pb_reduce_walk_next(r, &d);

		if (rc == 0)
			break;
		assert_int_equal(rc, 1);
		snprintf(service, sizeof(service), "service-%032d", i);
		assert_int_equal(d.service.len, strlen(service));
		assert_memory_equal(d.service.ptr, service, d.service.len);
		assert_int_equal(d.line_count, 1);
		if (i % 1000 == 0 && heap_in_use() - before > peak)
			peak = heap_in_use() - before;
	}
	assert_int_equal(i, 400000);
	assert_true(peak < (size_t)6 << 20);
	pb_reduce_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_keeps_the_first_rows),
		cmocka_unit_test(test_rows_past_the_cap_take_no_memory),
		cmocka_unit_test(test_text_past_the_cap_is_checked),
		cmocka_unit_test(test_walk_order_packed),
		cmocka_unit_test(test_walk_order_compared),
		cmocka_unit_test(test_repeated_rows),
		cmocka_unit_test(test_walks_of_parts),
		cmocka_unit_test(test_distinct_texts_past_the_bound),
		cmocka_unit_test(test_distinct_texts_take_bounded_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
