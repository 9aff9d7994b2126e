/* Reading an export file as a stream of bytes: a local file or stdin, plain, gzip (multi-member) or ZIP. */
#ifndef PB_INPUT_H
#define PB_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "fetch.h"

struct pb_input;

enum pb_input_kind { PB_INPUT_PLAIN, PB_INPUT_GZIP, PB_INPUT_ZIP };

/*
 * Opens path ("-" is stdin) and detects its compression from its first bytes. The name used in
 * messages is path, or "stdin". Gzip data is inflated on a thread of its own while the caller parses.
 * Returns 0 and *out (free with pb_input_free), or -1 with a message in err
 * ("cannot open 'x': No such file or directory").
 */
int pb_input_open(const char *path, struct pb_input **out, struct pb_buf *err);

/*
 * Whether the local file path names can be opened, before anything else is done with it (a connection to the
 * database): 0, or -1 with pb_input_open's message in err ("cannot open 'x': No such file or directory"; a
 * folder: "cannot read 'x': Is a directory"), so that a missing or unreadable file is the same bad input whatever
 * else is down. Standard input ("-") and URLs are 0 (they are opened when read); so is a path that is there but is
 * neither a regular file nor a folder (a FIFO, whose writer would take the check's open for the reader; a device).
 */
int pb_input_check(const char *path, struct pb_buf *err);

/* Options of pb_input_open_flags. */
enum {
	PB_INPUT_SHA256 = 1,   /* hash the file's bytes as they are read (see pb_input_sha256) */
	PB_INPUT_PREFETCH = 2, /* read a plain file on a thread of its own too */
};

/* pb_input_open with options. */
int pb_input_open_flags(const char *path, int flags, struct pb_input **out, struct pb_buf *err);

/*
 * pb_input_open_flags that also takes URLs (http://, https://, s3://; see pb_fetch_is_url), downloaded
 * with fetch options fo (which must outlive the input; NULL for defaults). Returns
 * PB_INPUT_ERR_REMOTE rather than -1 when the download itself failed.
 */
#define PB_INPUT_ERR_REMOTE (-3)
int pb_input_open_ex(const char *path, int flags, const struct pb_fetch_opts *fo, struct pb_input **out,
		     struct pb_buf *err);

/*
 * 1 when err is a download's message saying the server does not have the document (HTTP 404 or 410, not
 * retried), as pb_input_open_ex and pb_input_read set it; 0 otherwise (a server's error code that happens to
 * read "HTTP 404" does not count).
 */
int pb_input_not_there(const struct pb_buf *err);

/*
 * Reads the whole of a small document (a manifest, a listing) at path into out. Returns 0, 1 when the
 * server does not have it (pb_input_not_there), PB_INPUT_ERR_REMOTE when the download failed, or -1 (err names the
 * path; also when the document is larger than max bytes).
 */
int pb_input_slurp(const char *path, const struct pb_fetch_opts *fo, size_t max, struct pb_buf *out,
		   struct pb_buf *err);

/*
 * Appends the rest of in to out, at most max bytes in all. Returns 0, or -1 with err set (larger than max:
 * "NAME: larger than MAX bytes"; out of memory; the read's own error).
 */
int pb_input_read_all(struct pb_input *in, size_t max, struct pb_buf *out, struct pb_buf *err);

/* 1 when a download failed after its retries (a dependency, not the data, is at fault). */
int pb_input_remote_failed(const struct pb_input *in);

/* The ETag the server gave for a downloaded file, or "" . */
const char *pb_input_etag(const struct pb_input *in);

/* The Last-Modified the server gave for a downloaded file, as it wrote it, or "". */
const char *pb_input_last_modified(const struct pb_input *in);

/*
 * After the stream was read to its end: the SHA-256 of the file's bytes (as stored, compressed) in
 * lower-case hex, into hex (65 bytes). Returns 0, or -1 when the input was not opened with
 * PB_INPUT_SHA256 or was not read to its end.
 */
int pb_input_sha256(struct pb_input *in, char *hex);

/*
 * Stops hashing in's bytes from now on (its read-ahead thread included), for a file whose hash is taken by
 * another reader of it: pb_input_sha256 then returns -1.
 */
void pb_input_stop_sha256(struct pb_input *in);

/*
 * Opens the plain file path for reading from byte offset on, with no format detection: one part of a
 * file split between threads. Same returns as pb_input_open.
 */
int pb_input_open_at(const char *path, uint64_t offset, struct pb_input **out, struct pb_buf *err);

/* fstat(2) of the file behind in. Returns 0, or -1 when it has no file descriptor (a download) or fstat fails. */
int pb_input_fstat(const struct pb_input *in, struct stat *st);

/* The size of the file behind in when it is a plain regular file (splittable), else 0. */
uint64_t pb_input_plain_size(const struct pb_input *in);

/*
 * Sets *pos to the offset just past the first line feed at or after from - 1 in the plain file behind in
 * (so from itself when the byte before it is a line feed), or to the file's size when there is none.
 * Does not move the read position. Returns 0, or -1 with a message in err.
 */
int pb_input_next_line_start(const struct pb_input *in, uint64_t from, uint64_t *pos, struct pb_buf *err);

/*
 * Reads up to n bytes of the decompressed stream. Returns the count, 0 at the end, or -1 with a
 * message naming the file in err ("x.gz: truncated gzip stream"). A pb_read_fn for pb_csv.
 */
long pb_input_read(void *in, char *buf, size_t n, struct pb_buf *err);

/* The name used in messages, and the bytes read from the file itself (compressed) so far. */
const char *pb_input_name(const struct pb_input *in);
uint64_t pb_input_raw_bytes(const struct pb_input *in);
enum pb_input_kind pb_input_kind(const struct pb_input *in);

/* Stops any thread, closes the file, frees in. Accepts NULL. */
void pb_input_free(struct pb_input *in);

#endif
