/* A streaming RFC 4180 CSV reader over any byte source, strict, with line and column on every error. */
#ifndef PB_CSV_H
#define PB_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * A byte source: reads up to n bytes into buf. Returns the count, 0 at the end, or -1 after writing a
 * one-line message (already naming the source) into err.
 */
typedef long (*pb_read_fn)(void *ctx, char *buf, size_t n, struct pb_buf *err);

/*
 * One field of the current record: len bytes at ptr, inside the reader's buffer and valid until the next
 * pb_csv_next(). Quotes are removed and doubled quotes collapsed; the bytes are not NUL-terminated.
 * off is the offset of the field's first raw byte (its opening quote when quoted) from the record's start.
 */
struct pb_csv_field {
	char *ptr;
	uint32_t len;
	uint32_t off;
};

enum {
	PB_CSV_RECORD = 1,
	PB_CSV_END = 0,
	/* The record is bad but was read to its end: report it, then pb_csv_next() may go on. */
	PB_CSV_ERR_RECORD = -1,
	/* Reading cannot go on (unterminated quote, oversized record, the source failed). */
	PB_CSV_ERR_FATAL = -2,
};

#define PB_CSV_DEFAULT_MAX_RECORD ((size_t)1 << 20)

struct pb_csv {
	/* Public, read-only: the current record. */
	struct pb_csv_field *fields;
	size_t nfields;
	/*
	 * Line of the current record's first line (1-based), and the bytes of the source consumed up to the
	 * end of the current record (a BOM and skipped empty lines included).
	 */
	uint64_t line;
	uint64_t bytes;
	/* The line the next record starts on: next_line - 1 lines have been consumed. */
	uint64_t next_line;
	/* After an error: where, and a message without the position ("unterminated quoted field"). */
	uint64_t err_line;
	uint32_t err_col;
	struct pb_buf err;

	/* Private. */
	pb_read_fn read;
	void *ctx;
	char *buf;
	size_t alloc, len, pos, max_record;
	size_t fields_alloc, expect_fields;
	/* Positions of the fields of a record that spans lines: line delta and column per field. */
	uint32_t *ml_pos;
	size_t ml_alloc;
	int multiline;
	/* Projection: want[i] is 1 for the fields to fill in; nwant == 0 fills in every field. */
	unsigned char *want;
	uint32_t *want_before; /* want_before[i]: how many of the fields before i are wanted */
	size_t nwant;
	/* Tests set this to read every record with the byte-wise scanner, to compare the two. */
	int exact_only;
	int eof, started;
};

/*
 * Prepares c to read from fn(ctx). max_record caps one record's size in bytes (0: the default, 1 MiB).
 * Returns 0, or -1 when memory cannot be had. A record may not exceed 1 GiB.
 */
int pb_csv_init(struct pb_csv *c, pb_read_fn fn, void *ctx, size_t max_record);
/* Frees what the reader holds. */
void pb_csv_release(struct pb_csv *c);

/*
 * Reads the next record into c->fields. Returns PB_CSV_RECORD, PB_CSV_END, or an error code with
 * err_line, err_col and err set. A UTF-8 BOM at the start is skipped; so are empty lines. LF and CRLF
 * both end a record; a lone CR is data.
 */
int pb_csv_next(struct pb_csv *c);

/* From now on a record whose field count is not n is an error (PB_CSV_ERR_RECORD). 0 turns it off. */
void pb_csv_expect_fields(struct pb_csv *c, size_t n);

/*
 * From now on only the fields whose indexes are listed are filled in (the others in c->fields hold
 * nothing meaningful), which saves work on wide records. Every field is still checked and counted.
 * n == 0 fills in every field again. Returns 0, or -1 when memory cannot be had.
 */
int pb_csv_project(struct pb_csv *c, const size_t *cols, size_t n);

/* Index of the field of the current record equal to name (ASCII case-insensitive if ci), or -1. */
long pb_csv_find(const struct pb_csv *c, const char *name, int ci);

/* Sets *line and *col to where field i of the current record starts. */
void pb_csv_field_pos(const struct pb_csv *c, size_t i, uint64_t *line, uint32_t *col);

/*
 * Appends why the file name, whose first pb_csv_next ended it, has no header: "NAME: empty file: no header line",
 * or, when it held blank lines alone (skipped), "NAME: no header line: the file holds only blank lines (N)".
 */
void pb_csv_no_header(const struct pb_csv *c, const char *name, struct pb_buf *out);

#endif
