/* Unit tests of common/pgcopy.c: the binary COPY fields, byte for byte, above all the numeric of an amount. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pgcopy.h"

#include "banned.h"

/* The numeric field of the amount text s, as hex words: "len | ndigits weight sign dscale | digits...". */
static const char *numeric_hex(const char *s)
{
	static char out[256];
	unsigned char f[PB_PGCOPY_NUMERIC_MAX];
	struct pb_money_parse_info info;
	pb_money m;
	size_t n, i, k = 0;

	assert_int_equal(pb_money_parse(s, strlen(s), &m, &info), PB_MONEY_OK);
	n = pb_pgcopy_numeric_field(m, f);
	assert_true(n >= 12 && n <= PB_PGCOPY_NUMERIC_MAX);
	k += (size_t)snprintf(out + k, sizeof(out) - k, "%u |", (unsigned)(f[0] << 24 | f[1] << 16 | f[2] << 8 | f[3]));
	for (i = 4; i < n; i += 2) {
		int v = (int16_t)(uint16_t)(f[i] << 8 | f[i + 1]);

		k += (size_t)snprintf(out + k, sizeof(out) - k, " %d%s", v, i == 10 ? " |" : "");
	}
	return out;
}

static void numerics(void **state)
{
	(void)state;
	/* ndigits, weight, sign (0 or 16384 negative), dscale, then the base-10000 digits. */
	assert_string_equal(numeric_hex("0"), "8 | 0 0 0 0 |");
	assert_string_equal(numeric_hex("-0.000"), "8 | 0 0 0 0 |");
	assert_string_equal(numeric_hex("1"), "10 | 1 0 0 0 | 1");
	assert_string_equal(numeric_hex("12.50"), "12 | 2 0 0 1 | 12 5000");
	assert_string_equal(numeric_hex("-12.5"), "12 | 2 0 16384 1 | 12 5000");
	assert_string_equal(numeric_hex("10000"), "10 | 1 1 0 0 | 1");
	assert_string_equal(numeric_hex("12345.6789"), "14 | 3 1 0 4 | 1 2345 6789");
	assert_string_equal(numeric_hex("0.00005"), "10 | 1 -2 0 5 | 5000");
	assert_string_equal(numeric_hex("0.000000000000000001"), "10 | 1 -5 0 18 | 100");
	assert_string_equal(numeric_hex("27.37037036703"), "16 | 4 0 0 11 | 27 3703 7036 7030");
	/* The largest magnitude: 20 integer digits and 18 decimals, ten groups. */
	assert_string_equal(numeric_hex("-99999999999999999999.999999999999999999"),
			    "28 | 10 4 16384 18 | 9999 9999 9999 9999 9999 9999 9999 9999 9999 9900");
	assert_string_equal(numeric_hex("100000000.000000001"), "20 | 6 2 0 9 | 1 0 0 0 0 1000");
}

static void fields(void **state)
{
	static const unsigned char head[] = "PGCOPY\n\377\r\n";
	static const unsigned char date[] = {0, 0, 0, 4, 0, 0, 0x26, 0x2a}; /* 2026-10-01: day 9770 of the server */
	static const unsigned char neg[] = {0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE};
	struct pb_buf b = PB_BUF_INIT;
	int32_t days = 20727; /* 2026-10-01 */

	(void)state;
	pb_pgcopy_header(&b);
	assert_int_equal(b.len, 19);
	assert_memory_equal(b.ptr, head, 11);
	assert_memory_equal(b.ptr + 11, "\0\0\0\0\0\0\0\0", 8);
	pb_buf_reset(&b);
	pb_pgcopy_date(&b, days);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.ptr, date, 8);
	pb_buf_reset(&b);
	pb_pgcopy_int8(&b, -2);
	assert_memory_equal(b.ptr, neg, 12);
	pb_buf_reset(&b);
	pb_pgcopy_tuple(&b, 15);
	pb_pgcopy_text(&b, "ab", 2);
	pb_pgcopy_text(&b, "", 0);
	pb_pgcopy_null(&b);
	pb_pgcopy_trailer(&b);
	assert_int_equal(b.len, 2 + 6 + 4 + 4 + 2);
	assert_memory_equal(b.ptr,
			    "\0\x0f\0\0\0\x02"
			    "ab\0\0\0\0\xff\xff\xff\xff\xff\xff",
			    b.len);
	pb_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numerics),
		cmocka_unit_test(fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
