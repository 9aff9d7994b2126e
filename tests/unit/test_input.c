/*
 * Unit tests of common/input.c: plain, gzip (one member, several, padded, damaged) and ZIP files written
 * to /tmp by the test itself, read back through pb_input_read and compared byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include "buf.h"
#include "input.h"

#include "banned.h"

#define MAX_TMP 8

/* The files one test made; the teardown removes them whatever happened. */
struct fixture {
	char path[MAX_TMP][64];
	int n;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < f->n; i++)
		unlink(f->path[i]);
	free(f);
	return 0;
}

static void write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r > 0);
		p += r;
		len -= (size_t)r;
	}
}

/* A new file under /tmp holding len bytes of data; returns its path. */
static const char *tmp_file(struct fixture *f, const void *data, size_t len)
{
	char *path;
	int fd;

	assert_true(f->n < MAX_TMP);
	path = f->path[f->n];
	snprintf(path, sizeof(f->path[0]), "/tmp/pb-test-input.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f->n++;
	write_all(fd, data, len);
	assert_int_equal(close(fd), 0);
	return path;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* CSV-like text that compresses, but not to nothing: len bytes of it from seed. */
static void varied_text(struct pb_buf *b, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1;

	while (b->len < len) {
		uint64_t r = rng_next(&s);

		pb_buf_addf(b, "%llu,acct-%u,2026-10-%02u,%u.%06u,\"note %llx\"\n", (unsigned long long)(r % 100000),
			    (unsigned)(r >> 20) % 977, (unsigned)(r >> 30) % 28 + 1, (unsigned)(r >> 35) % 10000,
			    (unsigned)(r >> 10) % 1000000, (unsigned long long)(r >> 17));
	}
	b->len = len;
	b->ptr[len] = '\0';
	assert_false(b->failed);
}

/* Appends one gzip member holding data to out; with a name, comment and extra field in its header. */
static void gzip_member(const void *data, size_t len, int fancy_header, struct pb_buf *out)
{
	unsigned char chunk[65536];
	z_stream zs;
	gz_header h;
	unsigned char extra[] = {'P', 'B', 2, 0, 'h', 'i'};
	int rc;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	if (fancy_header) {
		memset(&h, 0, sizeof(h));
		h.name = (Bytef *)"cur-00001.csv";
		h.comment = (Bytef *)"made by test_input";
		h.extra = extra;
		h.extra_len = sizeof(extra);
		h.hcrc = 1;
		assert_int_equal(deflateSetHeader(&zs, &h), Z_OK);
	}
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = deflate(&zs, Z_FINISH);
		assert_true(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
		pb_buf_add(out, chunk, sizeof(chunk) - zs.avail_out);
	} while (rc != Z_STREAM_END);
	deflateEnd(&zs);
	assert_false(out->failed);
}

/*
 * Reads in to its end or first error with reads of bufsize bytes (0: sizes that vary), appending to out.
 * Returns 0 at the end, or -1 with the message in err.
 */
static int read_all(struct pb_input *in, size_t bufsize, struct pb_buf *out, struct pb_buf *err)
{
	static char buf[300000];
	uint64_t s = 77;

	for (;;) {
		size_t n = bufsize ? bufsize : 1 + (size_t)(rng_next(&s) % sizeof(buf));
		long r;

		assert_true(n <= sizeof(buf));
		r = pb_input_read(in, buf, n, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		assert_true((size_t)r <= n);
		pb_buf_add(out, buf, (size_t)r);
		assert_false(out->failed);
	}
}

/* Opens path and reads it all, with each read size in turn, requiring exactly want. */
static void check_reads(const char *path, enum pb_input_kind kind, const void *want, size_t want_len, uint64_t raw_len)
{
	static const size_t sizes[] = {1, 7, 4096, 65536, 0, 300000};
	struct pb_buf got = PB_BUF_INIT, err = PB_BUF_INIT;
	struct pb_input *in;
	char one[1];
	size_t k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		/* Single-byte reads of megabytes would only test patience. */
		if (sizes[k] == 1 && want_len > 100000)
			continue;
		pb_buf_reset(&got);
		if (pb_input_open(path, &in, &err) != 0)
			fail_msg("open %s: %s", path, pb_buf_str(&err));
		assert_int_equal(pb_input_kind(in), kind);
		assert_string_equal(pb_input_name(in), path);
		if (read_all(in, sizes[k], &got, &err) != 0)
			fail_msg("read %s: %s", path, pb_buf_str(&err));
		assert_int_equal(got.len, want_len);
		if (want_len && memcmp(got.ptr, want, want_len) != 0) {
			size_t i = 0;

			while (got.ptr[i] == ((const char *)want)[i])
				i++;
			fail_msg("%s: read size %zu: differs at byte %zu of %zu", path, sizes[k], i, want_len);
		}
		/* The end stays the end. */
		assert_int_equal(pb_input_read(in, one, 1, &err), 0);
		if (raw_len != UINT64_MAX)
			assert_int_equal(pb_input_raw_bytes(in), raw_len);
		pb_input_free(in);
	}
	pb_buf_release(&got);
	pb_buf_release(&err);
}

/*
 * Opens path and requires reading it to fail with "<name>: <what>" (or a message starting so), after a
 * prefix of want unless want is NULL (damaged data may inflate to anything before the damage is seen).
 */
static void check_read_error(const char *path, const char *name, const void *want, size_t want_len, const char *what,
			     int prefix_only)
{
	struct pb_buf got = PB_BUF_INIT, err = PB_BUF_INIT, msg = PB_BUF_INIT;
	struct pb_input *in;
	char one[1];

	if (pb_input_open(path, &in, &err) != 0)
		fail_msg("open %s: %s", path, pb_buf_str(&err));
	assert_int_equal(read_all(in, 0, &got, &err), -1);
	pb_buf_addf(&msg, "%s: %s", name, what);
	if (prefix_only)
		assert_memory_equal(pb_buf_str(&err), msg.ptr, msg.len);
	else
		assert_string_equal(pb_buf_str(&err), msg.ptr);
	if (want) {
		assert_true(got.len <= want_len);
		assert_true(got.len == 0 || memcmp(got.ptr, want, got.len) == 0);
	}
	/* And the error stays. */
	pb_buf_reset(&err);
	assert_int_equal(pb_input_read(in, one, 1, &err), -1);
	assert_string_not_equal(pb_buf_str(&err), "");
	pb_input_free(in);
	pb_buf_release(&got);
	pb_buf_release(&err);
	pb_buf_release(&msg);
}

static void test_plain(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT;
	const char *small = "a,b\n1,2\n";
	const char *path;

	varied_text(&data, 3 * 1000 * 1000 + 17, 1);
	path = tmp_file(f, data.ptr, data.len);
	check_reads(path, PB_INPUT_PLAIN, data.ptr, data.len, data.len);
	path = tmp_file(f, small, strlen(small));
	check_reads(path, PB_INPUT_PLAIN, small, strlen(small), strlen(small));
	pb_buf_release(&data);
}

static void test_short_files(void **state)
{
	struct fixture *f = *state;
	const char *path;

	/* Shorter than the four bytes sniffed for the format, some nearly gzip or ZIP. */
	path = tmp_file(f, "\x1f", 1);
	check_reads(path, PB_INPUT_PLAIN, "\x1f", 1, 1);
	path = tmp_file(f, "ab", 2);
	check_reads(path, PB_INPUT_PLAIN, "ab", 2, 2);
	path = tmp_file(f, "abc", 3);
	check_reads(path, PB_INPUT_PLAIN, "abc", 3, 3);
	path = tmp_file(f, "PK\x03", 3);
	check_reads(path, PB_INPUT_PLAIN, "PK\x03", 3, 3);
	path = tmp_file(f, "abcd", 4);
	check_reads(path, PB_INPUT_PLAIN, "abcd", 4, 4);
}

static void test_empty_file(void **state)
{
	struct fixture *f = *state;
	const char *path = tmp_file(f, "", 0);

	check_reads(path, PB_INPUT_PLAIN, "", 0, 0);
}

static void test_gzip_single_member(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT;
	const char *path;

	varied_text(&data, 200000, 2);
	gzip_member(data.ptr, data.len, 0, &gz);
	path = tmp_file(f, gz.ptr, gz.len);
	check_reads(path, PB_INPUT_GZIP, data.ptr, data.len, gz.len);

	/* A header with a name, a comment, an extra field and a header CRC. */
	pb_buf_reset(&gz);
	gzip_member(data.ptr, 1000, 1, &gz);
	path = tmp_file(f, gz.ptr, gz.len);
	check_reads(path, PB_INPUT_GZIP, data.ptr, 1000, gz.len);

	/* A member of nothing. */
	pb_buf_reset(&gz);
	gzip_member("", 0, 0, &gz);
	path = tmp_file(f, gz.ptr, gz.len);
	check_reads(path, PB_INPUT_GZIP, "", 0, gz.len);
	pb_buf_release(&data);
	pb_buf_release(&gz);
}

static void test_gzip_multi_member(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT;
	const char *path;

	varied_text(&data, 300000, 3);
	gzip_member(data.ptr, 123456, 0, &gz);
	gzip_member(data.ptr + 123456, data.len - 123456, 1, &gz);
	path = tmp_file(f, gz.ptr, gz.len);
	check_reads(path, PB_INPUT_GZIP, data.ptr, data.len, gz.len);

	/* Three members, the middle one empty, the last one tiny. */
	pb_buf_reset(&gz);
	gzip_member(data.ptr, 5000, 0, &gz);
	gzip_member("", 0, 0, &gz);
	gzip_member(data.ptr + 5000, 1, 0, &gz);
	path = tmp_file(f, gz.ptr, gz.len);
	check_reads(path, PB_INPUT_GZIP, data.ptr, 5001, gz.len);
	pb_buf_release(&data);
	pb_buf_release(&gz);
}

static void test_gzip_large(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT;
	size_t n = ((size_t)9 << 20) + 12345;
	const char *path;

	/* More than eight 1 MiB ring chunks, in two members whose boundary falls mid-chunk. */
	varied_text(&data, n, 4);
	gzip_member(data.ptr, (size_t)5 << 20 | 777, 0, &gz);
	gzip_member(data.ptr + ((size_t)5 << 20 | 777), n - ((size_t)5 << 20 | 777), 0, &gz);
	path = tmp_file(f, gz.ptr, gz.len);
	check_reads(path, PB_INPUT_GZIP, data.ptr, data.len, gz.len);
	pb_buf_release(&data);
	pb_buf_release(&gz);
}

static void test_gzip_zero_padding(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT;
	static const char zeros[700000];
	const char *path;

	varied_text(&data, 50000, 5);
	gzip_member(data.ptr, data.len, 0, &gz);
	pb_buf_add(&gz, zeros, 1);
	path = tmp_file(f, gz.ptr, gz.len);
	check_reads(path, PB_INPUT_GZIP, data.ptr, data.len, gz.len);

	/* Padding to a tape block, and more than one raw read of it. */
	pb_buf_add(&gz, zeros, sizeof(zeros));
	path = tmp_file(f, gz.ptr, gz.len);
	check_reads(path, PB_INPUT_GZIP, data.ptr, data.len, gz.len);
	pb_buf_release(&data);
	pb_buf_release(&gz);
}

static void test_gzip_truncated(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT, both = PB_BUF_INIT;
	const char *path;
	size_t cuts[5], k;

	varied_text(&data, 2000000, 6);
	gzip_member(data.ptr, data.len, 0, &gz);
	/* Inside the header, the deflate data, and the trailer; and one byte short. */
	cuts[0] = 2;
	cuts[1] = 5;
	cuts[2] = gz.len / 2;
	cuts[3] = gz.len - 6;
	cuts[4] = gz.len - 1;
	for (k = 0; k < 5; k++) {
		path = tmp_file(f, gz.ptr, cuts[k]);
		check_read_error(path, path, data.ptr, data.len, "truncated gzip stream", 0);
		unlink(path);
		f->n--;
	}
	/* The second of two members cut short: what it inflated before the cut comes out too (data's first bytes). */
	gzip_member(data.ptr, 100, 0, &gz);
	path = tmp_file(f, gz.ptr, gz.len - 3);
	pb_buf_add(&both, data.ptr, data.len);
	pb_buf_add(&both, data.ptr, 100);
	check_read_error(path, path, both.ptr, both.len, "truncated gzip stream", 0);
	pb_buf_release(&data);
	pb_buf_release(&gz);
	pb_buf_release(&both);
}

static void test_gzip_garbage_after(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT;
	const char *path;

	varied_text(&data, 30000, 7);
	gzip_member(data.ptr, data.len, 0, &gz);
	pb_buf_addstr(&gz, "hello");
	path = tmp_file(f, gz.ptr, gz.len);
	check_read_error(path, path, data.ptr, data.len, "garbage after gzip data", 0);

	/* Zero padding, then something else. */
	gz.len -= 5;
	pb_buf_add(&gz, "\0\0\0\0x", 5);
	path = tmp_file(f, gz.ptr, gz.len);
	check_read_error(path, path, data.ptr, data.len, "garbage after gzip data", 0);
	pb_buf_release(&data);
	pb_buf_release(&gz);
}

static void test_gzip_corrupt(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT;
	const char *path;

	varied_text(&data, 100000, 8);
	gzip_member(data.ptr, data.len, 0, &gz);

	/* The CRC in the trailer. */
	gz.ptr[gz.len - 8] ^= 0x01;
	path = tmp_file(f, gz.ptr, gz.len);
	check_read_error(path, path, data.ptr, data.len, "bad gzip data: incorrect data check", 0);
	gz.ptr[gz.len - 8] ^= 0x01;

	/* The length in the trailer. */
	gz.ptr[gz.len - 1] ^= 0x40;
	path = tmp_file(f, gz.ptr, gz.len);
	check_read_error(path, path, data.ptr, data.len, "bad gzip data: incorrect length check", 0);
	gz.ptr[gz.len - 1] ^= 0x40;

	/* The first block header: final, with the reserved block type 3. */
	gz.ptr[10] = 0x07;
	path = tmp_file(f, gz.ptr, gz.len);
	check_read_error(path, path, data.ptr, data.len, "bad gzip data: invalid block type", 0);

	/* An unknown compression method in the header. */
	gz.ptr[2] = 0x07;
	path = tmp_file(f, gz.ptr, gz.len);
	check_read_error(path, path, data.ptr, data.len, "bad gzip data: ", 1);
	pb_buf_release(&data);
	pb_buf_release(&gz);
}

/*
 * Damage found after some bytes were inflated in the same read: those bytes are handed out first, then the error,
 * so that a reader has every line before the damage and names where it is (they were dropped with the error).
 */
static void test_gzip_damage_after_bytes(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT, got = PB_BUF_INIT, err = PB_BUF_INIT;
	struct pb_input *in;
	const char *path;

	varied_text(&data, 1000, 10);
	gzip_member(data.ptr, data.len, 0, &gz);
	/* A second member whose first block has the reserved type 3. */
	pb_buf_add(&gz, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff", 12);
	path = tmp_file(f, gz.ptr, gz.len);
	if (pb_input_open(path, &in, &err) != 0)
		fail_msg("open %s: %s", path, pb_buf_str(&err));
	assert_int_equal(read_all(in, 0, &got, &err), -1);
	assert_int_equal(got.len, data.len);
	assert_memory_equal(got.ptr, data.ptr, data.len);
	assert_true(strstr(pb_buf_str(&err), "bad gzip data: invalid block type") != NULL);
	pb_input_free(in);
	pb_buf_release(&data);
	pb_buf_release(&gz);
	pb_buf_release(&got);
	pb_buf_release(&err);
}

static void test_gzip_corrupt_middle(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT;
	const char *path;
	size_t i;

	varied_text(&data, 3000000, 9);
	gzip_member(data.ptr, data.len, 0, &gz);
	/* Bytes overwritten halfway: inflate notices, or the CRC does; never a clean end. */
	for (i = 0; i < 64; i++)
		gz.ptr[gz.len / 2 + i] = (char)(0xA5 ^ i);
	path = tmp_file(f, gz.ptr, gz.len);
	check_read_error(path, path, NULL, 0, "bad gzip data: ", 1);
	pb_buf_release(&data);
	pb_buf_release(&gz);
}

/* Writes a ZIP archive at path holding the entries given, the first deflated, others stored. */
static void make_zip(const char *path, const char *const *names, const void *const *datas, const size_t *lens, int n)
{
	int zerr = 0, i;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);

	assert_non_null(za);
	for (i = 0; i < n; i++) {
		zip_source_t *src = zip_source_buffer(za, datas[i], lens[i], 0);
		zip_int64_t idx;

		assert_non_null(src);
		idx = zip_file_add(za, names[i], src, ZIP_FL_OVERWRITE);
		if (idx < 0) {
			zip_source_free(src);
			fail_msg("zip_file_add: %s", zip_strerror(za));
		}
		assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)idx, i ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0),
				 0);
	}
	if (zip_close(za) != 0) {
		fail_msg("zip_close: %s", zip_strerror(za));
	}
}

static void test_zip_one_entry(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT;
	const char *names[1] = {"cur-00001.csv"};
	const void *datas[1];
	size_t lens[1];
	const char *path = tmp_file(f, "", 0);

	varied_text(&data, 2500000, 10);
	datas[0] = data.ptr;
	lens[0] = data.len;
	make_zip(path, names, datas, lens, 1);
	check_reads(path, PB_INPUT_ZIP, data.ptr, data.len, UINT64_MAX);
	pb_buf_release(&data);
}

static void test_zip_two_entries(void **state)
{
	struct fixture *f = *state;
	const char *names[2] = {"a.csv", "b.csv"};
	const void *datas[2] = {"a\n", "b\n"};
	size_t lens[2] = {2, 2};
	const char *path = tmp_file(f, "", 0);
	struct pb_buf err = PB_BUF_INIT, want = PB_BUF_INIT;
	struct pb_input *in;

	make_zip(path, names, datas, lens, 2);
	assert_int_equal(pb_input_open(path, &in, &err), -1);
	assert_null(in);
	pb_buf_addf(&want, "%s: zip archive holds 2 entries; expected one", path);
	assert_string_equal(pb_buf_str(&err), want.ptr);
	pb_buf_release(&err);
	pb_buf_release(&want);
}

/* An archive without entries is only its end record ("PK\5\6"): a ZIP file still, not text. */
static void test_zip_no_entry(void **state)
{
	struct fixture *f = *state;
	static const char empty[22] = "PK\x05\x06";
	const char *path = tmp_file(f, empty, sizeof(empty));
	struct pb_buf err = PB_BUF_INIT, want = PB_BUF_INIT;
	struct pb_input *in;

	assert_int_equal(pb_input_open(path, &in, &err), -1);
	assert_null(in);
	pb_buf_addf(&want, "%s: zip archive holds 0 entries; expected one", path);
	assert_string_equal(pb_buf_str(&err), want.ptr);
	pb_buf_release(&err);
	pb_buf_release(&want);
}

static void test_nonexistent(void **state)
{
	struct fixture *f = *state;
	struct pb_buf err = PB_BUF_INIT, want = PB_BUF_INIT;
	struct pb_input *in;
	char path[64];

	/* A name that was just free. */
	snprintf(path, sizeof(path), "%s", tmp_file(f, "", 0));
	unlink(path);
	f->n--;
	assert_int_equal(pb_input_open(path, &in, &err), -1);
	assert_null(in);
	pb_buf_addf(&want, "cannot open '%s': No such file or directory", path);
	assert_string_equal(pb_buf_str(&err), want.ptr);
	pb_buf_release(&err);
	pb_buf_release(&want);
}

static void test_directory(void **state)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_input *in;

	(void)state;
	/* open(2) takes a directory; reading it is what fails. */
	assert_int_equal(pb_input_open("/tmp", &in, &err), -1);
	assert_null(in);
	assert_string_equal(pb_buf_str(&err), "cannot read '/tmp': Is a directory");
	pb_buf_release(&err);
}

static void test_check(void **state)
{
	struct fixture *f = *state;
	struct pb_buf err = PB_BUF_INIT, want = PB_BUF_INIT;
	char path[64], url[80];

	assert_int_equal(pb_input_check(tmp_file(f, "a,b\n", 4), &err), 0);
	/* Opened when read: standard input, a download, and a device (or a FIFO). */
	assert_int_equal(pb_input_check("-", &err), 0);
	assert_int_equal(pb_input_check("https://127.0.0.1:1/x.csv", &err), 0);
	assert_int_equal(pb_input_check("/dev/null", &err), 0);
	/* A folder: what its read says. */
	assert_int_equal(pb_input_check("/tmp", &err), -1);
	assert_string_equal(pb_buf_str(&err), "cannot read '/tmp': Is a directory");
	/* A name that was just free: pb_input_open's message, as a path and as a file:// address. */
	snprintf(path, sizeof(path), "%s", tmp_file(f, "", 0));
	unlink(path);
	f->n--;
	assert_int_equal(pb_input_check(path, &err), -1);
	pb_buf_addf(&want, "cannot open '%s': No such file or directory", path);
	assert_string_equal(pb_buf_str(&err), want.ptr);
	snprintf(url, sizeof(url), "file://%s", path);
	assert_int_equal(pb_input_check(url, &err), -1);
	pb_buf_reset(&want);
	pb_buf_addf(&want, "cannot open '%s': No such file or directory", url);
	assert_string_equal(pb_buf_str(&err), want.ptr);
	assert_int_equal(pb_input_check("ftp://host/x.csv", &err), -1);
	assert_string_equal(pb_buf_str(&err),
			    "cannot open 'ftp://host/x.csv': partnerbill reads https://, http://, s3:// and file:// "
			    "addresses, not ftp://");
	pb_buf_release(&err);
	pb_buf_release(&want);
}

/* Runs fn with standard input taken from path. */
static void with_stdin(const char *path, void (*fn)(const void *), const void *arg)
{
	int saved = dup(STDIN_FILENO), fd = open(path, O_RDONLY);

	assert_true(saved >= 0);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	fn(arg);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
}

static void stdin_gzip_truncated(const void *want)
{
	check_read_error("-", "stdin", want, 100000, "truncated gzip stream", 0);
}

static void stdin_plain(const void *want)
{
	struct pb_buf got = PB_BUF_INIT, err = PB_BUF_INIT;
	struct pb_input *in;

	assert_int_equal(pb_input_open("-", &in, &err), 0);
	assert_string_equal(pb_input_name(in), "stdin");
	assert_int_equal(pb_input_kind(in), PB_INPUT_PLAIN);
	assert_int_equal(read_all(in, 0, &got, &err), 0);
	assert_int_equal(got.len, 100000);
	assert_memory_equal(got.ptr, want, 100000);
	assert_int_equal(pb_input_raw_bytes(in), 100000);
	pb_input_free(in);
	pb_buf_release(&got);
	pb_buf_release(&err);
}

static void stdin_zip(const void *arg)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_input *in;

	(void)arg;
	assert_int_equal(pb_input_open("-", &in, &err), -1);
	assert_string_equal(pb_buf_str(&err), "stdin: a zip archive must be a file, not standard input");
	pb_buf_release(&err);
}

static void test_stdin(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT;
	const char *names[1] = {"x.csv"}, *path;
	const void *datas[1] = {"x\n"};
	size_t lens[1] = {2};

	varied_text(&data, 100000, 11);
	gzip_member(data.ptr, data.len, 0, &gz);
	path = tmp_file(f, gz.ptr, gz.len - 10);
	with_stdin(path, stdin_gzip_truncated, data.ptr);
	path = tmp_file(f, data.ptr, data.len);
	with_stdin(path, stdin_plain, data.ptr);
	path = tmp_file(f, "", 0);
	make_zip(path, names, datas, lens, 1);
	with_stdin(path, stdin_zip, NULL);
	pb_buf_release(&data);
	pb_buf_release(&gz);
}

static void test_plain_split_helpers(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, got = PB_BUF_INIT, err = PB_BUF_INIT;
	/* from, and the line start expected for it, in "ab\ncd\n\nef". */
	static const uint64_t cases[][2] = {{0, 0}, {1, 3}, {2, 3}, {3, 3}, {4, 6}, {6, 6}, {7, 7}, {8, 9}, {9, 9}};
	struct pb_input *in;
	const char *path;
	uint64_t pos;
	size_t k;
	char buf[4];

	path = tmp_file(f, "ab\ncd\n\nef", 9);
	assert_int_equal(pb_input_open(path, &in, &err), 0);
	assert_int_equal(pb_input_plain_size(in), 9);
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		pos = 12345;
		assert_int_equal(pb_input_next_line_start(in, cases[k][0], &pos, &err), 0);
		if (pos != cases[k][1])
			fail_msg("from %llu: %llu, want %llu", (unsigned long long)cases[k][0], (unsigned long long)pos,
				 (unsigned long long)cases[k][1]);
	}
	/* The read position has not moved. */
	assert_int_equal(pb_input_read(in, buf, 4, &err), 4);
	assert_memory_equal(buf, "ab\nc", 4);
	pb_input_free(in);

	/* A line feed far beyond the first 64 KiB looked at. */
	pb_buf_reset(&data);
	for (k = 0; k < 200000; k++)
		pb_buf_addch(&data, 'x');
	pb_buf_addstr(&data, "\nrest\n");
	path = tmp_file(f, data.ptr, data.len);
	assert_int_equal(pb_input_open(path, &in, &err), 0);
	assert_int_equal(pb_input_plain_size(in), data.len);
	assert_int_equal(pb_input_next_line_start(in, 10, &pos, &err), 0);
	assert_int_equal(pos, 200001);
	pb_input_free(in);

	/* A part opened at an offset reads from there. */
	assert_int_equal(pb_input_open_at(path, 200001, &in, &err), 0);
	assert_int_equal(read_all(in, 0, &got, &err), 0);
	assert_int_equal(got.len, 5);
	assert_memory_equal(got.ptr, "rest\n", 5);
	pb_input_free(in);

	/* Only plain regular files are splittable. */
	pb_buf_reset(&data);
	gzip_member("a\n", 2, 0, &data);
	path = tmp_file(f, data.ptr, data.len);
	assert_int_equal(pb_input_open(path, &in, &err), 0);
	assert_int_equal(pb_input_plain_size(in), 0);
	pb_input_free(in);
	pb_buf_release(&data);
	pb_buf_release(&got);
	pb_buf_release(&err);
}

/* Writes data to fd in two writes, the first of first bytes, with a pause between; then exits. */
static void write_slowly(int fd, const char *data, size_t len, size_t first)
{
	struct timespec pause = {0, 100 * 1000 * 1000};

	write_all(fd, data, first);
	nanosleep(&pause, NULL);
	write_all(fd, data + first, len - first);
	_exit(0);
}

static void test_stdin_pipe_short_first_read(void **state)
{
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT, got = PB_BUF_INIT, err = PB_BUF_INIT;
	size_t first;

	(void)state;
	varied_text(&data, 100000, 13);
	gzip_member(data.ptr, data.len, 0, &gz);
	/* A pipe may hand over fewer bytes than the format sniffer wants: 1, 2 or 3 of the 4. */
	for (first = 1; first <= 3; first++) {
		struct pb_input *in = NULL;
		int p[2], saved, status = -1, opened, kind = -1, rc = -2;
		pid_t pid;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			write_slowly(p[1], gz.ptr, gz.len, first);
		}
		close(p[1]);
		saved = dup(STDIN_FILENO);
		assert_true(saved >= 0);
		assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
		close(p[0]);
		pb_buf_reset(&got);
		opened = pb_input_open("-", &in, &err) == 0;
		if (opened) {
			kind = (int)pb_input_kind(in);
			rc = read_all(in, 0, &got, &err);
			pb_input_free(in);
		}
		/* Standard input back, and the writer reaped, before any assertion can leave. */
		dup2(saved, STDIN_FILENO);
		close(saved);
		waitpid(pid, &status, 0);
		if (!opened || rc != 0)
			fail_msg("first write of %zu bytes: %s", first, pb_buf_str(&err));
		if (kind != PB_INPUT_GZIP)
			fail_msg("first write of %zu bytes: kind %d, want gzip", first, kind);
		if (got.len != data.len || memcmp(got.ptr, data.ptr, data.len) != 0)
			fail_msg("first write of %zu bytes: the data differs", first);
	}
	pb_buf_release(&data);
	pb_buf_release(&gz);
	pb_buf_release(&got);
	pb_buf_release(&err);
}

/* Frees in after reading got bytes of it (none: straight after opening). */
static void open_read_free(const char *path, size_t got)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_input *in;
	char buf[4096];
	size_t n = 0;

	if (pb_input_open(path, &in, &err) != 0)
		fail_msg("open %s: %s", path, pb_buf_str(&err));
	while (n < got) {
		long r = pb_input_read(in, buf, sizeof(buf), &err);

		assert_true(r > 0);
		n += (size_t)r;
	}
	pb_input_free(in);
	pb_buf_release(&err);
}

static void test_free_mid_stream(void **state)
{
	struct fixture *f = *state;
	struct pb_buf data = PB_BUF_INIT, gz = PB_BUF_INIT;
	const char *path;
	int i;

	/* Far more than the ring holds, so the producer is busy or waiting for room when freed. */
	varied_text(&data, (size_t)12 << 20, 12);
	gzip_member(data.ptr, data.len, 0, &gz);
	path = tmp_file(f, gz.ptr, gz.len);
	for (i = 0; i < 20; i++) {
		open_read_free(path, 0);
		open_read_free(path, 1);
		open_read_free(path, (size_t)i * 300000);
	}
	/* And a damaged stream, freed before its error is read. */
	path = tmp_file(f, gz.ptr, gz.len / 2);
	open_read_free(path, 0);
	open_read_free(path, 100000);
	pb_buf_release(&data);
	pb_buf_release(&gz);
}

static void test_free_null(void **state)
{
	(void)state;
	pb_input_free(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plain),
		T(test_short_files),
		T(test_empty_file),
		T(test_gzip_single_member),
		T(test_gzip_multi_member),
		T(test_gzip_large),
		T(test_gzip_zero_padding),
		T(test_gzip_truncated),
		T(test_gzip_garbage_after),
		T(test_gzip_corrupt),
		T(test_gzip_damage_after_bytes),
		T(test_gzip_corrupt_middle),
		T(test_zip_one_entry),
		T(test_zip_two_entries),
		T(test_zip_no_entry),
		T(test_nonexistent),
		T(test_directory),
		T(test_check),
		T(test_plain_split_helpers),
		T(test_stdin),
		T(test_stdin_pipe_short_first_read),
		T(test_free_mid_stream),
		T(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
