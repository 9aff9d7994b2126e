/* Unit tests of common/sha256.c: the digest in pieces is the digest at once, whatever the pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sha256.h"

#include "banned.h"

/* FIPS 180-2's example "abc", and the empty message. */
static void known(void **state)
{
	struct pb_sha256 s = PB_SHA256_INIT;
	char hex[65];

	(void)state;
	assert_int_equal(pb_sha256_hex("abc", 3, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(pb_sha256_final(&s, hex), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* 100,000 bytes given in pieces of every size from 0 to 999: the same digest as given at once. */
static void pieces(void **state)
{
	static char data[100000];
	struct pb_sha256 s = PB_SHA256_INIT;
	char whole[65], part[65];
	size_t at = 0, n = 0, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 31 % 253);
	assert_int_equal(pb_sha256_hex(data, sizeof(data), whole), 0);
	while (at < sizeof(data)) {
		size_t k = n++ % 1000;

		if (k > sizeof(data) - at)
			k = sizeof(data) - at;
		pb_sha256_update(&s, data + at, k);
		at += k;
	}
	assert_int_equal(pb_sha256_final(&s, part), 0);
	assert_string_equal(part, whole);
	/* Released by final: it starts over. */
	pb_sha256_update(&s, "abc", 3);
	assert_int_equal(pb_sha256_final(&s, part), 0);
	assert_string_equal(part, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	pb_sha256_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known),
		cmocka_unit_test(pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
