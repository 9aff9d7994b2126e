/*
 * PostgreSQL's binary COPY format, written into a pb_buf: a header, tuples of fields (each a length and the
 * type's binary form, or NULL), a trailer. The server reads it without parsing text, so a COPY of many rows
 * costs it less than the text format.
 */
#ifndef PB_PGCOPY_H
#define PB_PGCOPY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "money.h"

/* The most bytes one numeric field takes, its length word included. */
#define PB_PGCOPY_NUMERIC_MAX (4 + 8 + 2 * 10)

void pb_pgcopy_header(struct pb_buf *b);
void pb_pgcopy_trailer(struct pb_buf *b);
/* Starts a tuple of n fields; exactly n field calls follow. */
void pb_pgcopy_tuple(struct pb_buf *b, int n);
void pb_pgcopy_null(struct pb_buf *b);
void pb_pgcopy_int8(struct pb_buf *b, int64_t v);
/* A date given as days since 1970-01-01 (common/date.h). */
void pb_pgcopy_date(struct pb_buf *b, int32_t days);
/* Text as it is: the caller has checked it is valid UTF-8 without NUL bytes. */
void pb_pgcopy_text(struct pb_buf *b, const char *s, size_t len);
/*
 * An amount as a numeric field, exactly: the value of m, with as many decimals as its canonical text
 * (pb_money_format_canonical) has, so the server stores what the text "12.50" -> "12.5" would give.
 * Writes the field into out (at least PB_PGCOPY_NUMERIC_MAX bytes) and returns its length.
 */
size_t pb_pgcopy_numeric_field(pb_money m, unsigned char *out);
void pb_pgcopy_numeric(struct pb_buf *b, pb_money m);

#endif
