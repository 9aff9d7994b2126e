/*
 * Unit tests of ingest/tags.c: a line without tags (a Partner Center line, whose export has no tags column the
 * reader maps, and a legacy CUR line whose tag columns are all empty) hands the reader no text at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "tags.h"

#include "banned.h"

static void test_no_text(void **state)
{
	struct pb_buf out = PB_BUF_INIT;
	struct pb_tags t;

	(void)state;
	/* A null pointer and no length: no tag, and no pointer arithmetic on the null pointer (UBSan). */
	pb_tags_init(&t, NULL, 0);
	assert_int_equal(pb_tags_next(&t, &out), 0);
	assert_int_equal(out.len, 0);
	pb_buf_release(&out);
}

static void test_tags(void **state)
{
	static const char text[] = "{\"env\":\"prod\",\"cost\\u0043enter\":\"cc-1\",\"n\":3}";
	struct pb_buf out = PB_BUF_INIT;
	struct pb_tags t;

	(void)state;
	pb_tags_init(&t, text, strlen(text));
	assert_int_equal(pb_tags_next(&t, &out), 1);
	assert_string_equal(pb_buf_str(&out), "env=prod");
	assert_int_equal(pb_tags_next(&t, &out), 1);
	assert_string_equal(pb_buf_str(&out), "costCenter=cc-1");
	assert_int_equal(pb_tags_next(&t, &out), 1);
	assert_string_equal(pb_buf_str(&out), "n=3");
	assert_int_equal(pb_tags_next(&t, &out), 0);
	pb_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_text),
		cmocka_unit_test(test_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
