/* Unit tests of common/text.c: what UTF-8 PostgreSQL takes, and where the first bad byte is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "text.h"

#include "banned.h"

static void bad_at(const char *s, size_t len, size_t want, const char *why)
{
	size_t at = 99;
	const char *w = NULL;

	assert_int_equal(pb_text_check(s, len, &at, &w), -1);
	assert_int_equal(at, want);
	assert_string_equal(w, why);
}

static void test_valid(void **state)
{
	static const char *ok[] = {
		"",
		"plain ASCII text, longer than one word of eight bytes",
		"caf\xc3\xa9",
		"\xe2\x82\xac 12",		/* euro sign */
		"\xf0\x9f\x98\x80 after emoji", /* U+1F600 */
		"\xf4\x8f\xbf\xbf",		/* U+10FFFF */
		"\xed\x9f\xbf",			/* U+D7FF, just below the surrogates */
		"\xee\x80\x80",			/* U+E000, just above them */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(pb_text_check(ok[i], strlen(ok[i]), NULL, NULL), 0);
}

static void test_invalid(void **state)
{
	(void)state;
	bad_at("abc\0def", 7, 3, "NUL byte");
	bad_at("0123456789\0", 11, 10, "NUL byte");
	bad_at("Caf\xe9 Latin-1", 12, 3, "invalid UTF-8");
	bad_at("\xc0\xaf", 2, 0, "invalid UTF-8");	      /* overlong '/' */
	bad_at("ab\xe0\x80\xaf", 5, 2, "invalid UTF-8");      /* overlong, three bytes */
	bad_at("ab\xed\xa0\x80", 5, 2, "invalid UTF-8");      /* U+D800 */
	bad_at("\xf4\x90\x80\x80", 4, 0, "invalid UTF-8");    /* above U+10FFFF */
	bad_at("\xf0\x80\x80\x80", 4, 0, "invalid UTF-8");    /* overlong, four bytes */
	bad_at("abcdefgh\xc3", 9, 8, "invalid UTF-8");	      /* cut at the end */
	bad_at("abcdefghij\x80xyz", 14, 10, "invalid UTF-8"); /* a lone continuation byte */
	bad_at("\xef\xbb", 2, 0, "invalid UTF-8");	      /* half a BOM */
}

static void mended(const char *s, size_t len, const char *want)
{
	char buf[64];

	memcpy(buf, s, len);
	pb_text_mend(buf, len);
	assert_memory_equal(buf, want, len);
	assert_int_equal(pb_text_check(buf, len, NULL, NULL), 0);
}

/* Each byte that is not UTF-8, and each NUL, becomes '?'; what is UTF-8 stays as it was. */
static void test_mend(void **state)
{
	(void)state;
	mended("h\xe9te", 4, "h?te");
	mended("caf\xc3\xa9 ok", 8, "caf\xc3\xa9 ok");
	mended("a\0b", 3, "a?b");
	mended("\xe2\x82", 2, "??");				/* a character cut short */
	mended("\xc3\xa9\xe9\xc3\xa9", 5, "\xc3\xa9?\xc3\xa9"); /* one bad byte between good ones */
	mended("", 0, "");
}

static void visible(const char *s, size_t len, const char *want)
{
	struct pb_buf b = PB_BUF_INIT;

	pb_text_add_visible(&b, s, len);
	assert_string_equal(pb_buf_str(&b), want);
	pb_buf_release(&b);
}

static void test_add_visible(void **state)
{
	(void)state;
	/* Valid UTF-8 as it is; C0, DEL, C1 and each byte that is not UTF-8 as \xHH, one per byte. */
	visible("caf\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad \xf0\x9f\x98\x80 \xc2\xa0", 21,
		"caf\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad \xf0\x9f\x98\x80 \xc2\xa0");
	visible("a\nb\rc\x1b[2J\t\x7f", 11, "a\\x0ab\\x0dc\\x1b[2J\\x09\\x7f");
	visible("\xc2\x80\xc2\x9b\xc2\x9f", 6, "\\xc2\\x80\\xc2\\x9b\\xc2\\x9f");
	visible("\xff\xfe\xc3(\xe2\x82", 6, "\\xff\\xfe\\xc3(\\xe2\\x82");
	visible("x\0y", 3, "x\\x00y");
	/* The format characters as \uHHHH: marks, embeddings and overrides, isolates, separators, U+FEFF. */
	visible("\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa\xe2\x80\xae", 18,
		"\\u200e\\u200f\\u2028\\u2029\\u202a\\u202e");
	visible("a\xe2\x81\xa6"
		"b\xe2\x81\xa9"
		"c\xef\xbb\xbf",
		12, "a\\u2066b\\u2069c\\ufeff");
	/* Their neighbours as they are: U+200D (a joiner inside emoji), U+202F, U+2065, U+206A, U+FEFE. */
	visible("\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xef\xbb\xbe", 15,
		"\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xef\xbb\xbe");
	/* The Arabic letter mark, two bytes, as \u061c; U+061B and U+061D as they are; its first byte alone as \xHH. */
	visible("a\xd8\x9c"
		"b\xd8\x9b\xd8\x9d\xd8\x9c",
		10, "a\\u061cb\xd8\x9b\xd8\x9d\\u061c");
	visible("a\xd8", 2, "a\\xd8");
	/* One cut short is no character: its bytes as \xHH. */
	visible("\xe2\x80", 2, "\\xe2\\x80");
}

static void test_blank(void **state)
{
	unsigned other = 99;

	(void)state;
	/* Nothing, or spaces alone: blank, no other character. */
	assert_int_equal(pb_text_blank("", 0, &other), 1);
	assert_int_equal(other, 0);
	assert_int_equal(pb_text_blank("   ", 3, &other), 1);
	assert_int_equal(other, 0);
	/* No-break, ideographic, zero-width spaces, a filler: blank, the first that is not U+0020 named. */
	assert_int_equal(pb_text_blank(" \xc2\xa0\xe3\x80\x80", 6, &other), 1);
	assert_int_equal(other, 0xa0);
	assert_int_equal(pb_text_blank("\xe2\x80\x8b\xe3\x85\xa4\xe2\xa0\x80", 9, &other), 1);
	assert_int_equal(other, 0x200b);
	assert_int_equal(pb_text_blank("\xe2\x80\x8d", 3, NULL), 1);
	/* Anything else, a letter, a tab, U+200E, a byte that is not UTF-8, four bytes: not blank. */
	assert_int_equal(pb_text_blank(" a ", 3, NULL), 0);
	assert_int_equal(pb_text_blank("\t", 1, NULL), 0);
	assert_int_equal(pb_text_blank("\xe2\x80\x8e", 3, NULL), 0);
	assert_int_equal(pb_text_blank(" \xa0", 2, NULL), 0);
	assert_int_equal(pb_text_blank("\xe2\x80", 2, NULL), 0);
	assert_int_equal(pb_text_blank("\xf0\x9f\x98\x80", 4, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),	    cmocka_unit_test(test_invalid), cmocka_unit_test(test_mend),
		cmocka_unit_test(test_add_visible), cmocka_unit_test(test_blank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
