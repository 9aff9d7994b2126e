/* Unit tests of common/url.c: what a URL looks like in a message, and where it points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

#include "banned.h"

static void shown(const char *url, const char *want)
{
	char *got = pb_url_redact(url);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_redact(void **state)
{
	(void)state;
	shown("https://a.blob.core.windows.net/c/x.csv", "https://a.blob.core.windows.net/c/x.csv");
	/* A query without a signature stays: it says which request failed. */
	shown("https://a.blob.core.windows.net/c?restype=container&comp=list",
	      "https://a.blob.core.windows.net/c?restype=container&comp=list");
	/* A SAS goes whole, wherever its sig is, and so does a fragment after it. */
	shown("https://a.blob.core.windows.net/c/x.csv?sv=2021-08-06&sr=c&sp=rl&sig=AbC%2Bd%3D",
	      "https://a.blob.core.windows.net/c/x.csv");
	shown("http://127.0.0.1:10000/devstoreaccount1/c?sig=x&restype=container",
	      "http://127.0.0.1:10000/devstoreaccount1/c");
	shown("https://h/p?SIG=x#frag", "https://h/p");
	shown("https://h/p?sv=1&sig", "https://h/p");
	/* S3 presigned URLs and session tokens. */
	shown("https://b.s3.amazonaws.com/"
	      "k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F1&X-Amz-Signature=ff",
	      "https://b.s3.amazonaws.com/k");
	shown("https://b.s3.amazonaws.com/k?x-amz-security-token=T", "https://b.s3.amazonaws.com/k");
	/* Google Cloud Storage signed URLs, and tokens, keys and secrets given in the query. */
	shown("https://storage.googleapis.com/b/k?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=ab",
	      "https://storage.googleapis.com/b/k");
	shown("https://h/pricing.conf?token=T", "https://h/pricing.conf");
	shown("https://h/pricing.conf?v=1&access_token=T", "https://h/pricing.conf");
	shown("https://h/p?api_key=K", "https://h/p");
	shown("https://h/p?client_secret=S&x=1", "https://h/p");
	/* The older signed URLs (S3's signature version 2, Google's V2): their Signature goes, and the query with it.
	 */
	shown("https://b.s3.amazonaws.com/k.gz?AWSAccessKeyId=AKIA1&Expires=1767225600&Signature=ab%2Bc%3D",
	      "https://b.s3.amazonaws.com/k.gz");
	shown("https://storage.googleapis.com/b/k?GoogleAccessId=a%40p.iam&Expires=1&Signature=ab",
	      "https://storage.googleapis.com/b/k");
	/* Parameters that only look alike are kept. */
	shown("https://h/p?signatures=x&mysig=y&sigx=z", "https://h/p?signatures=x&mysig=y&sigx=z");
	/* Credentials in the authority, a password holding '@' too. */
	shown("https://user:pa%40ss@host:8443/p?q=1", "https://host:8443/p?q=1");
	shown("https://user:p@ss@host/p", "https://host/p");
	shown("https://user@host", "https://host");
	/* Not URLs: as they are, but a query with a signature still goes. */
	shown("s3://bucket/key.csv.gz", "s3://bucket/key.csv.gz");
	shown("/data/cur/part-1.csv", "/data/cur/part-1.csv");
	shown("part.csv?sig=x", "part.csv");
	/* A local file's name: only a signed query goes, in any segment, after a '#' too; the rest is its name. */
	shown("c%25?code=1.csv", "c%25?code=1.csv");
	shown("file:///d/c%25?code=1.csv", "file:///d/c%25?code=1.csv");
	shown("/dl/folder?sv=1&sig=S/part.csv", "/dl/folder/part.csv");
	shown("file:///dl/folder?sv=1&sig=S/part.csv?X-Amz-Signature=x", "file:///dl/folder/part.csv");
	shown("file.csv#x?sig=S", "file.csv#x");
	shown("/d/a#b.csv", "/d/a#b.csv");
	/* A URL's signature after a fragment goes too. */
	shown("https://h/file.csv#x?sig=S", "https://h/file.csv#x");
	shown("https://h/c/folder/?sv=1&sig=S", "https://h/c/folder/");
	shown("", "");
}

/* The secret names a query is cut at: S3, Azure and the others decode a parameter's name before they read it. */
static const char *const secret_names[] = {"sig",
					   "signature",
					   "x-amz-signature",
					   "x-amz-credential",
					   "x-amz-security-token",
					   "x-goog-signature",
					   "x-goog-credential",
					   "token",
					   "access_token",
					   "code",
					   "key",
					   "api_key",
					   "apikey",
					   "password",
					   "secret",
					   "client_secret"};

/*
 * Writes name into out percent-encoded: every byte when whole, else the one at its middle alone (upper case, "%53"),
 * in upper or lower case hexadecimal digits as upper says.
 */
static void encode_name(char *out, size_t cap, const char *name, int whole, int upper)
{
	size_t i, n = strlen(name), at = 0;

	for (i = 0; i < n; i++) {
		char c = i == n / 2 && !whole ? (char)(name[i] - 'a' + 'A') : name[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z'))
			c = name[i];
		if (whole || i == n / 2)
			at += (size_t)snprintf(out + at, cap - at, upper ? "%%%02X" : "%%%02x", (unsigned char)c);
		else
			at += (size_t)snprintf(out + at, cap - at, "%c", c);
	}
}

static void test_redact_encoded_names(void **state)
{
	char name[128], url[256];
	size_t k;

	(void)state;
	/* Each secret name, encoded whole and in part, in either case of digits: the query goes, as when plain. */
	for (k = 0; k < sizeof(secret_names) / sizeof(secret_names[0]); k++) {
		int whole, upper;

		for (whole = 0; whole < 2; whole++)
			for (upper = 0; upper < 2; upper++) {
				encode_name(name, sizeof(name), secret_names[k], whole, upper);
				snprintf(url, sizeof(url), "https://h/p.csv?v=1&%s=S3cr3t&x=2", name);
				shown(url, "https://h/p.csv");
				snprintf(url, sizeof(url), "https://h/p.csv#f?%s=S3cr3t", name);
				shown(url, "https://h/p.csv#f");
			}
	}
	shown("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Sig%6Eature=ff",
	      "https://b.s3.amazonaws.com/k");
	shown("https://b.s3.amazonaws.com/k.gz?AWSAccessKeyId=AKIA1&Expires=1&%53ignature=ab",
	      "https://b.s3.amazonaws.com/k.gz");
	shown("https://a.blob.core.windows.net/c/x.csv?sv=2021-08-06&sp=r&%73ig=AbC%2Bd%3D",
	      "https://a.blob.core.windows.net/c/x.csv");
	shown("https://a.blob.core.windows.net/c/x.csv?sv=1&%73%69%67=A", "https://a.blob.core.windows.net/c/x.csv");
	/* A local file saved under a signed URL: its name loses the signed query, the name encoded or not. */
	shown("/dl/folder?sv=1&%73ig=S/part.csv", "/dl/folder/part.csv");
	shown("file:///dl/part.csv?X-Amz-Sig%6Eature=x", "file:///dl/part.csv");
	/* What decodes to another name is another parameter; an encoded '=' is a character of the name. */
	shown("https://h/p?%73igx=1&my%73ig=2&sig%3Dx&%2573ig=3", "https://h/p?%73igx=1&my%73ig=2&sig%3Dx&%2573ig=3");
	/* A '%' not followed by two hexadecimal digits is itself, at the name's end or the query's. */
	shown("https://h/p?%G1ig=1&si%g=2&sig%4=3&si%", "https://h/p?%G1ig=1&si%g=2&sig%4=3&si%");
	shown("https://h/p?sig%4", "https://h/p?sig%4");
	shown("https://h/p?s%6", "https://h/p?s%6");
	shown("https://h/p?%", "https://h/p?%");
	shown("https://h/p?si%67%", "https://h/p?si%67%");
	shown("/dl/f?s%6/9g=1/part.csv", "/dl/f?s%6/9g=1/part.csv");
}

static void file_path(const char *url, const char *want, const char *want_err)
{
	struct pb_buf err = PB_BUF_INIT;
	char *got = pb_url_file_path(url, &err);

	if (want) {
		assert_non_null(got);
		assert_string_equal(got, want);
	} else {
		assert_null(got);
		assert_string_equal(pb_buf_str(&err), want_err);
	}
	free(got);
	pb_buf_release(&err);
}

static void test_file_path(void **state)
{
	char *u;

	(void)state;
	file_path("file:///tmp/a%20b.csv", "/tmp/a b.csv", NULL);
	file_path("file://localhost/tmp/a%2fb%2Fc", "/tmp/a/b/c", NULL);
	/* A query is the saved URL's: a character of the name, as it is. */
	file_path("file:///d/c%2525?code=1%2F.csv", "/d/c%25?code=1%2F.csv", NULL);
	file_path("file://h/x", NULL,
		  "a file:// address names a file of this machine: its host is empty or localhost, not 'h'");
	file_path("file://u:pw@h/x", NULL,
		  "a file:// address names a file of this machine: its host is empty or localhost, not 'h'");
	file_path("file:///a%00b", NULL, "%00 at byte 10: a file's name holds no NUL byte");
	file_path("file:///a%g0", NULL, "'%' at byte 10 is not followed by two hexadecimal digits (a '%' is %25)");
	file_path("file:///a%", NULL, "'%' at byte 10 is not followed by two hexadecimal digits (a '%' is %25)");
	/* A path is recorded as it is ('%' not as %25: the sources recorded before stay the same). */
	u = pb_url_file_uri("/d/c%25?code=1.csv");
	assert_string_equal(u, "file:///d/c%25?code=1.csv");
	free(u);
	u = pb_url_file_uri("/d/x.csv?sv=1&sig=S");
	assert_string_equal(u, "file:///d/x.csv");
	free(u);
}

static void test_add_appends(void **state)
{
	struct pb_buf b = PB_BUF_INIT;

	(void)state;
	pb_buf_addstr(&b, "GET ");
	pb_url_add(&b, "https://u:p@h/x?a=1&sig=s");
	pb_buf_addstr(&b, ": HTTP 403");
	assert_string_equal(pb_buf_str(&b), "GET https://h/x: HTTP 403");
	pb_buf_release(&b);
}

static void test_has_sas(void **state)
{
	(void)state;
	assert_int_equal(pb_url_has_sas("https://h/c/x?sv=1&sig=abc"), 1);
	assert_int_equal(pb_url_has_sas("https://h/c/x?sig=abc"), 1);
	assert_int_equal(pb_url_has_sas("https://h/c/x?restype=container&comp=list"), 0);
	assert_int_equal(pb_url_has_sas("https://h/c/x?mysig=1"), 0);
	assert_int_equal(pb_url_has_sas("https://h/c/x"), 0);
	assert_int_equal(pb_url_has_sas("https://h/c/x#?sig=1"), 0);
	/* Azure decodes a parameter's name: an encoded sig is a SAS too. */
	assert_int_equal(pb_url_has_sas("https://h/c/x?sv=1&%73ig=abc"), 1);
	assert_int_equal(pb_url_has_sas("https://h/c/x?sv=1&%53%49%47=abc"), 1);
	assert_int_equal(pb_url_has_sas("https://h/c/x?sv=1&%2573ig=abc&si%G=1&si%6"), 0);
}

static void test_s3_presigned(void **state)
{
	(void)state;
	assert_int_equal(pb_url_is_s3_presigned("https://b.s3.amazonaws.com/k.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
						"X-Amz-Credential=A&X-Amz-Signature=ab"),
			 1);
	assert_int_equal(pb_url_is_s3_presigned("HTTP://h/b/k?x-amz-signature=ab&x-amz-algorithm=AWS4-HMAC-SHA256"), 1);
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k?X-Amz-Signature=ab"), 0);
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"), 0);
	assert_int_equal(pb_url_is_s3_presigned("https://h/c/x?sv=1&sig=abc"), 0);
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k#?X-Amz-Algorithm=A&X-Amz-Signature=ab"), 0);
	assert_int_equal(pb_url_is_s3_presigned("s3://b/k?X-Amz-Algorithm=A&X-Amz-Signature=ab"), 0);
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k"), 0);
	/* Signature version 2: AWSAccessKeyId, Expires and Signature. */
	assert_int_equal(pb_url_is_s3_presigned(
				 "https://b.s3.amazonaws.com/k.gz?AWSAccessKeyId=AKIA1&Expires=1767225600&Signature=a"),
			 1);
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k?awsaccesskeyid=A&signature=a"), 1);
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k?Signature=a"), 0);
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k?AWSAccessKeyId=A&Expires=1"), 0);
	/* S3 decodes a parameter's name: encoded, they are the same parameters. */
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k?X-Amz-Algorithm=A&X-Amz-Sig%6Eature=ab"), 1);
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k?%58-Amz-Algorithm=A&%58-%41mz-Signature=ab"), 1);
	assert_int_equal(pb_url_is_s3_presigned("https://h/b/k?AWSAccessKeyId=A&%53ignature=a"), 1);
}

static void origin_is(const char *url, const char *scheme, const char *host, unsigned port)
{
	struct pb_url_origin o;

	assert_int_equal(pb_url_origin(url, &o), 0);
	assert_string_equal(o.scheme, scheme);
	assert_string_equal(o.host, host);
	assert_int_equal(o.port, port);
}

static void test_origin(void **state)
{
	struct pb_url_origin o;

	(void)state;
	origin_is("https://Acct.Blob.Core.Windows.Net/c/x", "https", "acct.blob.core.windows.net", 443);
	origin_is("HTTP://127.0.0.1:10000/devstoreaccount1", "http", "127.0.0.1", 10000);
	origin_is("http://[::1]:8080/x?y", "http", "::1", 8080);
	origin_is("http://[::1]", "http", "::1", 80);
	origin_is("https://user:pw@host.example:8443?x", "https", "host.example", 8443);
	origin_is("https://h#frag", "https", "h", 443);
	assert_int_equal(pb_url_origin("s3://bucket/key", &o), -1);
	assert_int_equal(pb_url_origin("file:///tmp/x", &o), -1);
	assert_int_equal(pb_url_origin("https://", &o), -1);
	assert_int_equal(pb_url_origin("https://h:/x", &o), -1);
	assert_int_equal(pb_url_origin("https://h:0/x", &o), -1);
	assert_int_equal(pb_url_origin("https://h:65536/x", &o), -1);
	assert_int_equal(pb_url_origin("https://h:80x/x", &o), -1);
	assert_int_equal(pb_url_origin("https://[::1/x", &o), -1);
	assert_int_equal(pb_url_origin("/local/path", &o), -1);
}

static int loopback(const char *url)
{
	struct pb_url_origin o;

	assert_int_equal(pb_url_origin(url, &o), 0);
	return pb_url_is_loopback(&o);
}

static void test_loopback(void **state)
{
	(void)state;
	assert_int_equal(loopback("http://127.0.0.1:1/"), 1);
	assert_int_equal(loopback("http://127.1.2.3/"), 1);
	assert_int_equal(loopback("http://LOCALHOST:5/"), 1);
	assert_int_equal(loopback("http://[::1]:5/"), 1);
	assert_int_equal(loopback("http://[0:0:0:0:0:0:0:1]/"), 1);
	assert_int_equal(loopback("http://128.0.0.1/"), 0);
	assert_int_equal(loopback("http://10.0.0.1/"), 0);
	assert_int_equal(loopback("http://127.0.0.1.evil.example/"), 0);
	assert_int_equal(loopback("http://localhost.evil.example/"), 0);
	assert_int_equal(loopback("http://127.0.0.1@evil.example/"), 0);
	assert_int_equal(loopback("http://[::2]/"), 0);
}

static void test_same_origin(void **state)
{
	struct pb_url_origin a, b;

	(void)state;
	assert_int_equal(pb_url_origin("https://h.example/a", &a), 0);
	assert_int_equal(pb_url_origin("https://H.example:443/b?c", &b), 0);
	assert_int_equal(pb_url_same_origin(&a, &b), 1);
	assert_int_equal(pb_url_origin("http://h.example/a", &b), 0);
	assert_int_equal(pb_url_same_origin(&a, &b), 0);
	assert_int_equal(pb_url_origin("https://h.example:8443/a", &b), 0);
	assert_int_equal(pb_url_same_origin(&a, &b), 0);
}

static void test_secret_endpoint(void **state)
{
	struct pb_buf err = PB_BUF_INIT;

	(void)state;
	assert_int_equal(pb_url_check_secret_endpoint("X", "https://login.microsoftonline.com", &err), 0);
	assert_int_equal(pb_url_check_secret_endpoint("X", "http://127.0.0.1:4000", &err), 0);
	assert_int_equal(pb_url_check_secret_endpoint("X", "http://localhost:4000/", &err), 0);
	assert_int_equal(pb_url_check_secret_endpoint("X", "http://[::1]:4000", &err), 0);
	assert_int_equal(pb_url_check_secret_endpoint("PB_PC_LOGIN_URL", "http://login.example:80/x?sig=1", &err), -1);
	assert_string_equal(pb_buf_str(&err), "PB_PC_LOGIN_URL: 'http://login.example:80/x' is not an https URL (plain "
					      "http only to localhost, 127.0.0.1 or ::1)");
	assert_int_equal(pb_url_check_secret_endpoint("X", "ftp://h/", &err), -1);
	assert_int_equal(pb_url_check_secret_endpoint("X", "login.example", &err), -1);
	pb_buf_release(&err);
}

static void test_add_text(void **state)
{
	struct pb_buf b = PB_BUF_INIT;

	(void)state;
	pb_buf_addstr(&b, "x: ");
	pb_url_add_text(&b, "Unsupported proxy scheme for 'bogus://user:s3cret@127.0.0.1:1'");
	assert_string_equal(pb_buf_str(&b), "x: Unsupported proxy scheme for 'bogus://127.0.0.1:1'");
	pb_buf_reset(&b);
	pb_url_add_text(&b, "Unsupported proxy syntax in 'us er:p@ss@[::1'");
	assert_string_equal(pb_buf_str(&b), "Unsupported proxy syntax in 'us [::1'");
	pb_buf_reset(&b);
	pb_url_add_text(&b, "proxy user:pw@h: Failed to connect to 127.0.0.1 port 1");
	assert_string_equal(pb_buf_str(&b), "proxy h: Failed to connect to 127.0.0.1 port 1");
	pb_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact),	    cmocka_unit_test(test_redact_encoded_names),
		cmocka_unit_test(test_file_path),   cmocka_unit_test(test_add_appends),
		cmocka_unit_test(test_has_sas),	    cmocka_unit_test(test_s3_presigned),
		cmocka_unit_test(test_origin),	    cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_same_origin), cmocka_unit_test(test_secret_endpoint),
		cmocka_unit_test(test_add_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
