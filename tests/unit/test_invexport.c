/* Unit tests of invoice/export.c: what a failed write of an invoice file says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "export.h"

#include "banned.h"

/* Writes 10 bytes through a sink on /dev/full, unbuffered so the write itself fails; returns the message. */
static int write_full(const char *name, struct pb_buf *err)
{
	struct pb_inv_sink s = {NULL, name, PB_SHA256_INIT};
	struct pb_buf b = PB_BUF_INIT;
	int rc;

	s.f = fopen("/dev/full", "w");
	assert_non_null(s.f);
	setvbuf(s.f, NULL, _IONBF, 0);
	pb_buf_add(&b, "0123456789", 10);
	rc = pb_inv_sink_write(&s, &b, err);
	assert_int_equal(b.len, 0);
	fclose(s.f);
	pb_sha256_release(&s.sha);
	pb_buf_release(&b);
	return rc;
}

static void named_file(void **state)
{
	struct pb_buf err = PB_BUF_INIT;

	(void)state;
	assert_int_equal(write_full("out/invoice-2026-10.csv", &err), PB_ERR_DEPENDENCY);
	assert_string_equal(pb_buf_str(&err), "cannot write 'out/invoice-2026-10.csv': No space left on device");
	pb_buf_release(&err);
}

/* A sink with no name is a temporary file (--draft): the message names its folder, as its other errors do. */
static void temporary_file(void **state)
{
	struct pb_buf err = PB_BUF_INIT;

	(void)state;
	setenv("TMPDIR", "/var/tmp/invoices", 1);
	assert_int_equal(write_full(NULL, &err), PB_ERR_DEPENDENCY);
	assert_string_equal(pb_buf_str(&err),
			    "cannot write a temporary file in '/var/tmp/invoices': No space left on device");
	unsetenv("TMPDIR");
	pb_buf_reset(&err);
	assert_int_equal(write_full(NULL, &err), PB_ERR_DEPENDENCY);
	assert_string_equal(pb_buf_str(&err), "cannot write a temporary file in '/tmp': No space left on device");
	pb_buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(named_file),
		cmocka_unit_test(temporary_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
