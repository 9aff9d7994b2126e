/* Unit tests of common/progress.c: the time left, silence for work under a second, the share done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"

#include "banned.h"

static void eta_is(uint64_t done, uint64_t total, uint64_t ms, const char *want)
{
	char out[32];

	pb_progress_eta(done, total, ms, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_eta(void **state)
{
	(void)state;
	eta_is(50, 100, 2000, "2 s");
	eta_is(1, 100, 1000, "1 min 39 s");
	eta_is(1, 10000, 1000, "2 h 46 min");
	eta_is(99, 100, 1000, "1 s"); /* 10.1 ms, rounded up */
	eta_is(100, 100, 1000, "0 s");
	eta_is(0, 100, 1000, "");
	eta_is(101, 100, 1000, "");
	eta_is(50, 100, 0, "");
	/* Sizes beyond what a product would hold: no overflow. */
	eta_is(UINT64_MAX / 2000, UINT64_MAX / 1000, 3000, "4 s");
}

/* What p drew into its stream. */
static const char *drawn(FILE *f, char *buf, size_t size)
{
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	return buf;
}

static void test_quiet_under_a_second(void **state)
{
	struct pb_progress p;
	char buf[256];
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	pb_progress_init(&p, f);
	p.last_ms -= 500; /* past the redraw interval, not past the first second */
	pb_progress_update(&p, "a.csv", 1000, 10);
	pb_progress_finish(&p, "total", 1000, 10);
	assert_string_equal(drawn(f, buf, sizeof(buf)), "");
	fclose(f);
}

static void test_bytes_with_total(void **state)
{
	struct pb_progress p;
	char buf[256];
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	pb_progress_init(&p, f);
	/*
	 * The clock is the real one: the work is made to have started 2,000.001 s ago, so that the milliseconds
	 * the test itself takes (many, under a sanitizer on a busy machine) do not move the rate's last digit:
	 * 24.99... MB/s is shown rounded, 25.0 (it was truncated to 24.9 whenever a millisecond had passed).
	 */
	pb_progress_set_total(&p, 40000000000);
	p.start_ms -= 2000001;
	p.last_ms -= 2000;
	pb_progress_update(&p, "cur.csv", 10000000000, 12345);
	/* More bytes than the total (a compressed file): no share and no time left. */
	p.last_ms -= 2000;
	pb_progress_update(&p, "cur.csv", 50000000000, 23456);
	assert_string_equal(drawn(f, buf, sizeof(buf)),
			    "\rcur.csv: 10000.0 MB, 12345 rows, 5.0 MB/s, 25%, 1 h 40 min left\033[K"
			    "\rcur.csv: 50000.0 MB, 23456 rows, 25.0 MB/s\033[K");
	fclose(f);
}

/* One of what is counted is said in the singular: "1 row", "1 item"; any other count not. */
static void test_one_in_the_singular(void **state)
{
	struct pb_progress p;
	char buf[512];
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	pb_progress_init(&p, f);
	p.start_ms -= 2000;
	p.last_ms -= 2000;
	pb_progress_update(&p, "a.csv", 0, 1);
	p.last_ms -= 2000;
	pb_progress_update(&p, "a.csv", 0, 0);
	pb_progress_set_unit(&p, "item");
	p.last_ms -= 2000;
	pb_progress_update(&p, "prices", 0, 1);
	p.last_ms -= 2000;
	pb_progress_update(&p, "prices", 0, 2);
	assert_string_equal(drawn(f, buf, sizeof(buf)), "\ra.csv: 0.0 MB, 1 row, 0.0 MB/s\033[K"
							"\ra.csv: 0.0 MB, 0 rows, 0.0 MB/s\033[K"
							"\rprices: 0.0 MB, 1 item, 0.0 MB/s\033[K"
							"\rprices: 0.0 MB, 2 items, 0.0 MB/s\033[K");
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eta),
		cmocka_unit_test(test_quiet_under_a_second),
		cmocka_unit_test(test_bytes_with_total),
		cmocka_unit_test(test_one_in_the_singular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
