/*
 * Export files as byte streams. Gzip members are inflated by a producer thread into a small ring of
 * chunks, so decompression and parsing use both cores; memory stays at a few MiB whatever the size.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zip.h>
#include <zlib.h>

#include "interrupt.h"
#include "ring.h"
#include "url.h"

#include "banned.h"

#define RAW_CHUNK ((size_t)256 << 10)
#define RING_CHUNK ((size_t)1 << 20)
#define RING_SLOTS 4

struct pb_input {
	char *name;
	enum pb_input_kind kind;
	int fd;
	int own_fd;
	_Atomic uint64_t raw_bytes;

	/* The file's hash, fed by raw_read (or over the whole file for ZIP). */
	EVP_MD_CTX *sha;
	_Atomic int sha_off; /* pb_input_stop_sha256: the hash is taken elsewhere */
	int at_end;

	/* Bytes read ahead while sniffing the format, handed out first. */
	unsigned char head[4];
	size_t head_len, head_pos;

	/* gzip */
	z_stream zs;
	int zs_ready;
	unsigned char *raw;
	int member_done;
	char gz_error[256]; /* damage found after some bytes: said by the next read, once those are handed out */

	/* a download */
	struct pb_fetch *fetch;
	int remote_failed;

	/* zip */
	zip_t *za;
	zip_file_t *zf;

	/* The producer thread and its ring (gzip, and plain files read ahead). */
	pthread_t thread;
	int threaded;
	struct pb_ring ring;
	struct pb_buf thread_err;
};

const char *pb_input_name(const struct pb_input *in)
{
	return in->name;
}

uint64_t pb_input_raw_bytes(const struct pb_input *in)
{
	return atomic_load(&((struct pb_input *)in)->raw_bytes);
}

enum pb_input_kind pb_input_kind(const struct pb_input *in)
{
	return in->kind;
}

/* read(2) that retries on EINTR; counts and hashes what it read. */
static long file_read(struct pb_input *in, void *buf, size_t n, struct pb_buf *err);

/* How long a read from a pipe or terminal waits between two looks at a signal asking to stop. */
#define WAIT_SLICE_MS 100

/*
 * Waits until in's descriptor has something to read (a regular file always has), looking at a signal asking to
 * stop every WAIT_SLICE_MS while it has not: a pipe whose writer stalls (a hung `zcat`, `sleep 1000 |`) must
 * not hold the run past it, and the signal may be handled by another thread than the one blocked here. A
 * descriptor that is ready never fails here (pb_input_read looks at the signal, naming the file and line).
 * Returns 0, or -1 with the signal's reason in err.
 */
static int wait_readable(struct pb_input *in, struct pb_buf *err)
{
	struct pollfd p;
	int r;

	for (;;) {
		p.fd = in->fd;
		p.events = POLLIN;
		p.revents = 0;
		r = poll(&p, 1, WAIT_SLICE_MS);
		/* Readable, at its end, or in error (poll's own error included): read(2) says which. */
		if (r > 0 || (r < 0 && errno != EINTR))
			return 0;
		if (pb_interrupt_check(err) < 0)
			return -1;
	}
}

/* The stream's bytes: first those read ahead while sniffing, then the file's. */
static long raw_read(struct pb_input *in, void *buf, size_t n, struct pb_buf *err)
{
	if (in->head_pos < in->head_len) {
		size_t k = in->head_len - in->head_pos;

		if (k > n)
			k = n;
		memcpy(buf, in->head + in->head_pos, k);
		in->head_pos += k;
		return (long)k;
	}
	return file_read(in, buf, n, err);
}

static long file_read(struct pb_input *in, void *buf, size_t n, struct pb_buf *err)
{
	ssize_t r;

	if (in->fetch) {
		r = pb_fetch_read(in->fetch, buf, n, err);
		if (r < 0) {
			in->remote_failed = 1;
			return -1;
		}
		goto got;
	}
	do {
		if (wait_readable(in, err) < 0)
			return -1;
		r = read(in->fd, buf, n);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot read '%s': %s", in->name, strerror(errno));
		return -1;
	}
got:
	atomic_fetch_add(&in->raw_bytes, (uint64_t)r);
	if (in->sha && r > 0 && !atomic_load_explicit(&in->sha_off, memory_order_relaxed) &&
	    EVP_DigestUpdate(in->sha, buf, (size_t)r) != 1) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: cannot hash the file", in->name);
		return -1;
	}
	if (r == 0)
		in->at_end = 1;
	return (long)r;
}

/*
 * The damage gzip_read found: -1 with why in err when no byte came before it in this read; else the bytes that
 * did, and the next read says why, so that the reader has every line before the damage and names where it is.
 */
static long gzip_damage(struct pb_input *in, char *buf, struct pb_buf *err, const char *why)
{
	long got = (long)((size_t)((char *)in->zs.next_out - buf));

	snprintf(in->gz_error, sizeof(in->gz_error), "%s: %s", in->name, why);
	if (got > 0)
		return got;
	pb_buf_reset(err);
	pb_buf_addstr(err, in->gz_error);
	return -1;
}

/* Inflates into buf; handles member boundaries. Returns bytes, 0 at the true end, -1 on error. */
static long gzip_read(struct pb_input *in, char *buf, size_t n, struct pb_buf *err)
{
	z_stream *zs = &in->zs;
	char why[200];
	int rc;

	if (in->gz_error[0]) {
		pb_buf_reset(err);
		pb_buf_addstr(err, in->gz_error);
		return -1;
	}
	zs->next_out = (unsigned char *)buf;
	zs->avail_out = (uInt)(n > (1u << 30) ? (1u << 30) : n);
	while (zs->avail_out > 0) {
		if (zs->avail_in == 0) {
			long r = raw_read(in, in->raw, RAW_CHUNK, err);

			if (r < 0)
				return -1;
			if (r == 0) {
				if (in->member_done)
					break;
				return gzip_damage(in, buf, err, "truncated gzip stream");
			}
			zs->next_in = in->raw;
			zs->avail_in = (uInt)r;
		}
		if (in->member_done) {
			/* Another member follows, or zero padding; anything else is damage. */
			if (zs->next_in[0] == 0x1f) {
				inflateReset(zs);
				in->member_done = 0;
			} else if (zs->next_in[0] == 0) {
				zs->next_in++;
				zs->avail_in--;
				continue;
			} else {
				return gzip_damage(in, buf, err, "garbage after gzip data");
			}
		}
		rc = inflate(zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			in->member_done = 1;
			continue;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(why, sizeof(why), "bad gzip data: %s", zs->msg ? zs->msg : "inflate failed");
			return gzip_damage(in, buf, err, why);
		}
	}
	return (long)((size_t)((char *)zs->next_out - buf));
}

static long zip_read(struct pb_input *in, char *buf, size_t n, struct pb_buf *err)
{
	zip_int64_t r = zip_fread(in->zf, buf, n);

	if (r < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: cannot read zip entry: %s", in->name, zip_file_strerror(in->zf));
		return -1;
	}
	return (long)r;
}

static long direct_read(struct pb_input *in, char *buf, size_t n, struct pb_buf *err)
{
	switch (in->kind) {
	case PB_INPUT_GZIP:
		return gzip_read(in, buf, n, err);
	case PB_INPUT_ZIP:
		return zip_read(in, buf, n, err);
	default:
		return raw_read(in, buf, n, err);
	}
}

/* Fills the ring's chunks from the file, whole chunks but the last, until the end, an error or a stop. */
static void *producer(void *arg)
{
	struct pb_input *in = arg;
	char *slot;
	long r = 1;

	while (r > 0 && (slot = pb_ring_slot(&in->ring))) {
		size_t fill = 0;

		while (fill < RING_CHUNK) {
			r = direct_read(in, slot + fill, RING_CHUNK - fill, &in->thread_err);
			if (r <= 0)
				break;
			fill += (size_t)r;
		}
		pb_ring_put(&in->ring, fill);
	}
	if (r <= 0)
		pb_ring_close(&in->ring, r < 0 ? pb_buf_str(&in->thread_err) : NULL);
	return NULL;
}

long pb_input_read(void *arg, char *buf, size_t n, struct pb_buf *err)
{
	struct pb_input *in = arg;

	if (pb_interrupt_check(err) < 0)
		return -1;
	if (!in->threaded)
		return direct_read(in, buf, n, err);
	return pb_ring_get(&in->ring, buf, n, err);
}

static int start_thread(struct pb_input *in, struct pb_buf *err)
{
	if (pb_ring_init(&in->ring, RING_SLOTS, RING_CHUNK) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: out of memory", in->name);
		return -1;
	}
	pb_buf_init(&in->thread_err, 4096);
	if (pthread_create(&in->thread, NULL, producer, in) != 0) {
		pb_ring_release(&in->ring);
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: cannot start the decompression thread", in->name);
		return -1;
	}
	in->threaded = 1;
	return 0;
}

static int open_zip(struct pb_input *in, const char *path, struct pb_buf *err)
{
	int zerr = 0;
	zip_int64_t n, i, files = 0, data = 0;
	zip_error_t ze;

	if (!in->own_fd) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: a zip archive must be a file, not standard input", in->name);
		return -1;
	}
	in->za = zip_open(path, ZIP_RDONLY, &zerr);
	if (!in->za) {
		zip_error_init_with_code(&ze, zerr);
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: cannot open zip archive: %s", in->name, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	n = zip_get_num_entries(in->za, 0);
	/* Folders, and the AppleDouble twins macOS adds under __MACOSX/, hold no data: the one file is the rest. */
	for (i = 0; i < n; i++) {
		const char *name = zip_get_name(in->za, (zip_uint64_t)i, 0);
		size_t len = name ? strlen(name) : 0;

		if (name && ((len && name[len - 1] == '/') || strncmp(name, "__MACOSX/", 9) == 0))
			continue;
		files++;
		data = i;
	}
	if (files != 1) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: zip archive holds %lld %s; expected one", in->name, (long long)files,
			    files == n ? "entries" : "files");
		return -1;
	}
	in->zf = zip_fopen_index(in->za, (zip_uint64_t)data, 0);
	if (!in->zf) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: cannot open zip entry: %s", in->name, zip_strerror(in->za));
		return -1;
	}
	return 0;
}

int pb_input_open(const char *path, struct pb_input **out, struct pb_buf *err)
{
	return pb_input_open_flags(path, 0, out, err);
}

/* pread(2) that retries on EINTR and leaves the read position alone. Returns bytes, 0 at the end, or -1. */
static ssize_t read_at(const struct pb_input *in, char *buf, size_t n, uint64_t at, struct pb_buf *err)
{
	ssize_t r;

	do
		r = pread(in->fd, buf, n, (off_t)at);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot read '%s': %s", in->name, strerror(errno));
	}
	return r;
}

/* A ZIP archive is read by libzip, not through raw_read: its hash takes a pass of its own. */
static int hash_whole_file(struct pb_input *in, struct pb_buf *err)
{
	char buf[65536];
	ssize_t r;
	off_t at = 0;

	for (;;) {
		r = read_at(in, buf, sizeof(buf), (uint64_t)at, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (EVP_DigestUpdate(in->sha, buf, (size_t)r) != 1)
			return -1;
		at += r;
	}
	in->at_end = 1;
	atomic_store(&in->raw_bytes, (uint64_t)at);
	return 0;
}

void pb_input_stop_sha256(struct pb_input *in)
{
	atomic_store(&in->sha_off, 1);
}

int pb_input_sha256(struct pb_input *in, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!in->sha || atomic_load(&in->sha_off) || !in->at_end || EVP_DigestFinal_ex(in->sha, md, &n) != 1 || n != 32)
		return -1;
	for (i = 0; i < n; i++) {
		hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	hex[2 * n] = '\0';
	EVP_MD_CTX_free(in->sha);
	in->sha = NULL;
	return 0;
}

int pb_input_remote_failed(const struct pb_input *in)
{
	return in->remote_failed;
}

const char *pb_input_etag(const struct pb_input *in)
{
	return in->fetch ? pb_fetch_etag(in->fetch) : "";
}

const char *pb_input_last_modified(const struct pb_input *in)
{
	return in->fetch ? pb_fetch_last_modified(in->fetch) : "";
}

int pb_input_open_flags(const char *path, int flags, struct pb_input **out, struct pb_buf *err)
{
	return pb_input_open_ex(path, flags, NULL, out, err);
}

/*
 * Opens a local file by its path; the name in messages is name. With check set (pb_input_check), a path that is
 * there but is neither a regular file nor a folder is left unopened. Returns 0, or -1 with err set.
 */
static int open_file(struct pb_input *in, const char *path, const char *name, int check, struct pb_buf *err)
{
	struct stat st;
	int e;

	/* Shown as a URL is (a file:// address, or a path, may hold a SAS pasted with it: its sig= is not shown). */
	in->name = pb_url_redact(name);
	if (check && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (!S_ISDIR(st.st_mode))
			return 0;
		/* open(2) takes a folder: its read is what fails, and says so. */
		pb_buf_reset(err);
		pb_buf_addstr(err, "cannot read '");
		pb_url_add(err, name);
		pb_buf_addf(err, "': %s", strerror(EISDIR));
		return -1;
	}
	in->fd = open(path, O_RDONLY | O_CLOEXEC);
	in->own_fd = 1;
	if (in->fd < 0) {
		e = errno;
		pb_buf_reset(err);
		pb_buf_addstr(err, "cannot open '");
		pb_url_add(err, name);
		pb_buf_addf(err, "': %s", strerror(e));
		return -1;
	}
	return 0;
}

/*
 * An address whose scheme partnerbill does not read, or writes in capitals: refused, never taken for a local
 * path (which would say "No such file" and show its password or signature). Returns -1 with err set.
 */
static int refuse_scheme(struct pb_input *in, const char *path, struct pb_buf *err)
{
	static const char *const known[] = {"https", "http", "s3", "file"};
	size_t n = pb_url_scheme_len(path), i;

	in->name = pb_url_redact(path);
	pb_buf_reset(err);
	pb_buf_addstr(err, "cannot open '");
	pb_url_add(err, path);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == n && strncasecmp(path, known[i], n) == 0) {
			pb_buf_addf(err, "': an address's scheme is written in lower case (%s://)", known[i]);
			return -1;
		}
	pb_buf_addf(err, "': partnerbill reads https://, http://, s3:// and file:// addresses, not %.*s://", (int)n,
		    path);
	return -1;
}

/*
 * Opens what path names: standard input, a download, a file:// URL or a file (with check set, only a file, as
 * open_file checks it). Returns 0, or -1 with err set.
 */
static int open_source(struct pb_input *in, const char *path, const struct pb_fetch_opts *fo, int check,
		       struct pb_buf *err)
{
	if (strcmp(path, "-") == 0) {
		in->name = strdup("stdin");
		in->fd = STDIN_FILENO;
		return 0;
	}
	if (pb_fetch_is_url(path)) {
		in->name = pb_url_redact(path);
		return pb_fetch_open(path, fo, &in->fetch, err);
	}
	if (strncmp(path, "file://", 7) != 0 && pb_url_scheme_len(path))
		return refuse_scheme(in, path, err);
	if (strncmp(path, "file://", 7) == 0) {
		/* file:///abs/path: a local file named as a URL, its path percent-decoded (RFC 8089). */
		struct pb_buf why = PB_BUF_INIT;
		char *local = pb_url_file_path(path, &why);
		int rc;

		if (!local) {
			in->name = pb_url_redact(path);
			pb_buf_reset(err);
			pb_buf_addstr(err, "cannot open '");
			pb_url_add(err, path);
			pb_buf_addf(err, "': %s", pb_buf_str(&why));
			pb_buf_release(&why);
			return -1;
		}
		pb_buf_release(&why);
		rc = open_file(in, local, path, check, err);
		free(local);
		return rc;
	}
	return open_file(in, path, path, check, err);
}

int pb_input_check(const char *path, struct pb_buf *err)
{
	struct pb_input *in;
	int rc;

	if (strcmp(path, "-") == 0 || pb_fetch_is_url(path))
		return 0;
	in = calloc(1, sizeof(*in));
	if (!in) {
		pb_url_message(err, path);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	in->fd = -1;
	rc = open_source(in, path, NULL, 1, err);
	pb_input_free(in);
	return rc;
}

/* Reads the first bytes (handed out again by raw_read) and sets up what they say: gzip, ZIP, or plain. */
static int detect(struct pb_input *in, const char *path, int flags, struct pb_buf *err)
{
	long r;

	while (in->head_len < sizeof(in->head)) {
		r = file_read(in, in->head + in->head_len, sizeof(in->head) - in->head_len, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		in->head_len += (size_t)r;
	}
	/* AWS and Azure deliver exports in Parquet too: say so, not "NUL byte" or "unexpected '\"'" at line 1. */
	if (in->head_len >= 4 && memcmp(in->head, "PAR1", 4) == 0) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "%s: a Parquet file, not text: exports are read as CSV or JSON lines (choose CSV as the "
			    "export's file format)",
			    in->name);
		return -1;
	}
	if (in->head_len >= 2 && in->head[0] == 0x1f && in->head[1] == 0x8b) {
		in->kind = PB_INPUT_GZIP;
		in->raw = malloc(RAW_CHUNK);
		if (!in->raw || inflateInit2(&in->zs, 15 + 16) != Z_OK) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: out of memory", in->name);
			return -1;
		}
		in->zs_ready = 1;
		return start_thread(in, err);
	}
	if (in->head_len >= 4 && (memcmp(in->head, "PK\x03\x04", 4) == 0 || memcmp(in->head, "PK\x05\x06", 4) == 0)) {
		/* A local file header, or the end record that is all an archive without entries holds. */
		in->kind = PB_INPUT_ZIP;
		if (in->fetch) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: a zip archive must be a local file", in->name);
			return -1;
		}
		if (open_zip(in, path, err) < 0)
			return -1;
		/* The sniffed bytes were hashed already: start over on the whole file. */
		if (in->sha && (EVP_DigestInit_ex(in->sha, EVP_sha256(), NULL) != 1 || hash_whole_file(in, err) < 0))
			return -1;
		return 0;
	}
	return flags & PB_INPUT_PREFETCH ? start_thread(in, err) : 0;
}

int pb_input_open_ex(const char *path, int flags, const struct pb_fetch_opts *fo, struct pb_input **out,
		     struct pb_buf *err)
{
	struct pb_input *in;
	int remote;

	*out = NULL;
	in = calloc(1, sizeof(*in));
	if (!in)
		goto nomem;
	in->fd = -1;
	if (flags & PB_INPUT_SHA256) {
		in->sha = EVP_MD_CTX_new();
		if (!in->sha || EVP_DigestInit_ex(in->sha, EVP_sha256(), NULL) != 1)
			goto nomem;
	}
	if (open_source(in, path, fo, 0, err) < 0)
		goto fail;
	if (!in->name)
		goto nomem;
	if (detect(in, path, flags, err) < 0)
		goto fail;
	*out = in;
	return 0;
nomem:
	pb_url_message(err, path);
	pb_buf_addstr(err, "out of memory");
fail:
	remote = in && in->remote_failed;
	pb_input_free(in);
	return remote ? PB_INPUT_ERR_REMOTE : -1;
}

int pb_input_open_at(const char *path, uint64_t offset, struct pb_input **out, struct pb_buf *err)
{
	struct pb_input *in;

	*out = NULL;
	in = calloc(1, sizeof(*in));
	if (!in || !(in->name = pb_url_redact(path))) {
		free(in);
		pb_url_message(err, path);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	in->own_fd = 1;
	in->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0 || lseek(in->fd, (off_t)offset, SEEK_SET) < 0) {
		int e = errno;

		pb_buf_reset(err);
		pb_buf_addf(err, "cannot open '%s': %s", in->name, strerror(e));
		pb_input_free(in);
		return -1;
	}
	*out = in;
	return 0;
}

int pb_input_fstat(const struct pb_input *in, struct stat *st)
{
	if (in->fd < 0 || fstat(in->fd, st) < 0)
		return -1;
	return 0;
}

uint64_t pb_input_plain_size(const struct pb_input *in)
{
	struct stat st;

	if (in->kind != PB_INPUT_PLAIN || !in->own_fd || fstat(in->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size;
}

int pb_input_next_line_start(const struct pb_input *in, uint64_t from, uint64_t *pos, struct pb_buf *err)
{
	char buf[65536];
	uint64_t at = from ? from - 1 : 0;
	ssize_t r;
	char *lf;

	if (from == 0) {
		*pos = 0;
		return 0;
	}
	for (;;) {
		r = read_at(in, buf, sizeof(buf), at, err);
		if (r < 0)
			return -1;
		if (r == 0) {
			*pos = at;
			return 0;
		}
		lf = memchr(buf, '\n', (size_t)r);
		if (lf) {
			*pos = at + (uint64_t)(lf - buf) + 1;
			return 0;
		}
		at += (uint64_t)r;
	}
}

void pb_input_free(struct pb_input *in)
{
	if (!in)
		return;
	/* A decompressing thread may wait on the download: stop that first. */
	pb_fetch_cancel(in->fetch);
	if (in->threaded) {
		pb_ring_stop(&in->ring);
		pthread_join(in->thread, NULL);
	}
	pb_ring_release(&in->ring);
	pb_buf_release(&in->thread_err);
	EVP_MD_CTX_free(in->sha);
	if (in->zs_ready)
		inflateEnd(&in->zs);
	pb_fetch_free(in->fetch);
	free(in->raw);
	if (in->zf)
		zip_fclose(in->zf);
	if (in->za)
		zip_discard(in->za);
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	free(in->name);
	free(in);
}

int pb_input_not_there(const struct pb_buf *err)
{
	/* The download's message: "URL: HTTP 404, not retried", or with the server's code "HTTP 404 (Code), ...". */
	static const char *const said[] = {": HTTP 404, not retried", ": HTTP 404 (", ": HTTP 410, not retried",
					   ": HTTP 410 ("};
	size_t i;

	for (i = 0; i < sizeof(said) / sizeof(said[0]); i++)
		if (strstr(pb_buf_str(err), said[i]))
			return 1;
	return 0;
}

int pb_input_slurp(const char *path, const struct pb_fetch_opts *fo, size_t max, struct pb_buf *out, struct pb_buf *err)
{
	struct pb_input *in = NULL;
	int rc;

	pb_buf_reset(out);
	rc = pb_input_open_ex(path, 0, fo, &in, err);
	if (rc < 0)
		return pb_input_not_there(err) ? 1 : rc;
	rc = 0;
	if (pb_input_read_all(in, max, out, err) < 0)
		rc = pb_input_not_there(err) ? 1 : pb_input_remote_failed(in) ? PB_INPUT_ERR_REMOTE : -1;
	pb_input_free(in);
	return rc;
}

int pb_input_read_all(struct pb_input *in, size_t max, struct pb_buf *out, struct pb_buf *err)
{
	char buf[65536];
	long r;

	while ((r = pb_input_read(in, buf, sizeof(buf), err)) > 0) {
		if (out->len + (size_t)r > max) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: larger than %zu bytes", pb_input_name(in), max);
			return -1;
		}
		pb_buf_add(out, buf, (size_t)r);
	}
	if (r == 0 && out->failed) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: out of memory", pb_input_name(in));
		return -1;
	}
	return r < 0 ? -1 : 0;
}
