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
 * One field of the current record. ptr points into the reader's buffer, is NUL-terminated, and stays
 * valid until the next pb_csv_next(); quotes are removed and doubled quotes collapsed. line_delta is the
 * number of line breaks between the record's first line and the field's start; col the 1-based byte
 * column of the field's first byte (its opening quote when quoted) on that line.
 */
struct pb_csv_field {
	char *ptr;
	size_t len;
	uint32_t line_delta;
	uint32_t col;
	int quoted;
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
	/* Line of the current record's first line (1-based), and the bytes consumed so far. */
	uint64_t line;
	uint64_t bytes;
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
	uint64_t next_line;
	int eof, started;
};

/*
 * Prepares c to read from fn(ctx). max_record caps one record's size in bytes (0: the default, 1 MiB).
 * Returns 0, or -1 when memory cannot be had.
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

/* Index of the field of the current record equal to name (ASCII case-insensitive if ci), or -1. */
long pb_csv_find(const struct pb_csv *c, const char *name, int ci);

/* Sets *line and *col to where field i of the current record starts. */
void pb_csv_field_pos(const struct pb_csv *c, size_t i, uint64_t *line, uint32_t *col);

#endif
