/* Unit tests of common/text.c's pb_text_invisible_char: the characters a page shows as nothing or as a blank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

#include "banned.h"

/* pb_text_invisible_char of s: "U+HHHH/LEN", or "-" when it is seen. */
static void invisible(const char *s, const char *want)
{
	char got[32] = "-";
	size_t len = 0;
	unsigned c = pb_text_invisible_char(s, strlen(s), &len);

	if (c)
		snprintf(got, sizeof(got), "U+%04X/%zu", c, len);
	assert_string_equal(got, want);
}

static void test_invisible(void **state)
{
	(void)state;
	/* Controls (a tab and a line feed too), DEL and C1. */
	invisible("\x01", "U+0001/1");
	invisible("\t", "U+0009/1");
	invisible("\r", "U+000D/1");
	invisible("\x7f", "U+007F/1");
	invisible("\xc2\x9b", "U+009B/2");
	/* Default ignorable code points: the soft hyphen, U+200B to U+200F, the word joiner, U+FEFF, a tag. */
	invisible("\xc2\xad", "U+00AD/2");
	invisible("\xe2\x80\x8b", "U+200B/3");
	invisible("\xe2\x80\x8d", "U+200D/3");
	invisible("\xe2\x81\xa0", "U+2060/3");
	invisible("\xef\xbb\xbf", "U+FEFF/3");
	invisible("\xef\xb8\x8f", "U+FE0F/3");
	invisible("\xf3\xa0\x80\x81", "U+E0001/4");
	invisible("\xf0\x9b\xb2\xa0", "U+1BCA0/4");
	/* Spaces other than U+0020, and the format characters. */
	invisible("\xc2\xa0", "U+00A0/2");
	invisible("\xe3\x80\x80", "U+3000/3");
	invisible("\xe2\x80\xae", "U+202E/3");
	invisible("\xd8\x9c", "U+061C/2");
	/* Seen: letters, their neighbours, an emoji, a character cut short. */
	invisible("a", "-");
	invisible(" ", "-");
	invisible("\xc2\xa1", "-");
	invisible("\xc2\xac", "-");
	invisible("\xe2\x80\x90", "-");
	invisible("\xe2\x81\xb0", "-");
	invisible("\xef\xbb\xbe", "-");
	invisible("\xf0\x9f\x98\x80", "-");
	invisible("\xf3\xa1\x80\x80", "-");
	invisible("\xe2\x80", "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invisible),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
