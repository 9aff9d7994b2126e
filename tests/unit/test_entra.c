/* Unit tests of common/entra.c: the error bodies of Microsoft's APIs in one line, shown safely. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "entra.h"
#include "http.h"

#include "banned.h"

/* What pb_entra_describe says of an answer of status with body. */
static void described(long status, const char *body, const char *want)
{
	struct pb_http_response rs = {0};
	struct pb_buf out = PB_BUF_INIT;

	rs.status = status;
	pb_buf_init(&rs.body, 0);
	pb_buf_addstr(&rs.body, body);
	pb_entra_describe(&rs, &out);
	assert_string_equal(pb_buf_str(&out), want);
	pb_buf_release(&out);
	pb_buf_release(&rs.body);
}

static void test_plain(void **state)
{
	(void)state;
	described(401,
		  "{\"error\": \"invalid_client\", \"error_description\": \"AADSTS7000215: Invalid client secret."
		  "\\r\\nTrace ID: 1\"}",
		  "HTTP 401 invalid_client: AADSTS7000215: Invalid client secret.");
	described(403, "{\"error\": {\"code\": \"Forbidden\", \"message\": \"Insufficient privileges\"}}",
		  "HTTP 403 Forbidden: Insufficient privileges");
	described(400, "{\"code\": 2000, \"description\": \"caf\xc3\xa9 \xe2\x82\xac\"}",
		  "HTTP 400 (code 2000): caf\xc3\xa9 \xe2\x82\xac");
	described(502, "<html>bad gateway</html>", "HTTP 502");
}

/* Control and format characters from the reply: shown as \xHH and \uHHHH, never written as they are. */
static void test_hostile(void **state)
{
	(void)state;
	described(401, "{\"error\": \"bad\\u001b[2J\", \"error_description\": \"x\\u001b]0;title\\u0007y\\r\\nTrace\"}",
		  "HTTP 401 bad\\x1b[2J: x\\x1b]0;title\\x07y");
	described(403, "{\"error\": {\"code\": \"A\\tB\", \"message\": \"one\\u0085two\\u202ethree\\nfour\"}}",
		  "HTTP 403 A\\x09B: one\\xc2\\x85two\\u202ethree");
	described(400, "{\"code\": \"7\", \"description\": \"\\u001b[31mred\\u009b\"}",
		  "HTTP 400 (code 7): \\x1b[31mred\\xc2\\x9b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
