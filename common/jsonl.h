/*
 * A streaming reader of JSON lines (one object per line), through yajl: every top-level member of each
 * object as text. Numbers keep their exact text (yajl's number callback), so amounts never pass through
 * binary floating point; strings are decoded; nested objects and arrays are noted, not kept.
 */
#ifndef PB_JSONL_H
#define PB_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "csv.h"

enum pb_json_type { PB_JSON_STRING, PB_JSON_NUMBER, PB_JSON_NULL, PB_JSON_BOOL, PB_JSON_NESTED };

struct pb_json_field {
	const char *key, *val; /* not NUL-terminated; valid until the next pb_jsonl_next */
	size_t key_len, val_len;
	enum pb_json_type type;
	uint32_t col; /* column of the value on its line, from 1: its first byte (a string's opening quote) */
};

struct pb_jsonl_state;

struct pb_jsonl {
	struct pb_json_field *fields; /* the current record's members, in order */
	size_t nfields;
	uint64_t line;	/* the current record's line, from 1 */
	uint64_t bytes; /* bytes consumed */
	/* After PB_JSONL_ERR: where and why. */
	uint64_t err_line;
	uint32_t err_col;
	struct pb_buf err;
	struct pb_jsonl_state *st;
};

enum { PB_JSONL_END = 0, PB_JSONL_RECORD = 1, PB_JSONL_ERR = -1 };

/* Reads from read(ctx). Returns 0, or -1 when memory cannot be had. Lines longer than max_line fail. */
int pb_jsonl_init(struct pb_jsonl *j, pb_read_fn read, void *ctx, size_t max_line);

/* The next record: PB_JSONL_RECORD, PB_JSONL_END, or PB_JSONL_ERR (err, err_line, err_col set). */
int pb_jsonl_next(struct pb_jsonl *j);

/* The member named key (ASCII case-insensitive), or NULL. */
const struct pb_json_field *pb_jsonl_get(const struct pb_jsonl *j, const char *key);

void pb_jsonl_release(struct pb_jsonl *j);

#endif
