/* Invoice lines: one "CenturyLink Cloud 1.0" line per CLC account and month, and the adjustments of earlier months. */
#ifndef PB_INVOICE_LINES_H
#define PB_INVOICE_LINES_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"
#include "eligconf.h"
#include "money.h"

#define PB_INV_LINE_ITEM "CenturyLink Cloud 1.0"

struct pb_inv_line {
	char alias[16];
	char *name;	  /* the account's name (owned) */
	char kind[12];	  /* charge, credit, adjustment */
	int32_t corrects; /* an adjustment's month (day number of its first day), else 0 */
	char currency[4];
	int minor; /* the currency's decimals */
	pb_money exact, amount;
	pb_money part_exact[PB_NVENDORS], part[PB_NVENDORS];
	int has_part[PB_NVENDORS];
};

/*
 * Allocates total (already rounded to minor decimals) over the n exact parts by largest remainder: each part
 * floored to the minor unit, the units left over given one each to the parts with the largest remainders
 * (ties to the earlier part), so that the rounded parts add up to total exactly. has[i] == 0 leaves part i
 * out. Returns 0, or -1 when total is not within a minor unit per part of the parts' sum.
 */
int pb_inv_allocate(pb_money total, const pb_money *exact, const int *has, int n, int minor, pb_money *out);

/*
 * What is called with each line, in order (line numbers from 1): l and what it points to are the caller's only for
 * the call; and, when not NULL, batch after each batch of rows read and once at the end, with the connection free
 * for other statements (to send on the lines given so far, so as not to hold them all). Each returns 0 to go on,
 * or a PB_ERR_* class with err set to stop.
 */
struct pb_inv_emit {
	int (*line)(const struct pb_inv_line *l, size_t number, void *arg, struct pb_buf *err);
	int (*batch)(void *arg, struct pb_buf *err);
	void *arg;
};

/*
 * The lines month's invoice would hold from the aggregate run run_id, each given to emit as it is made: a charge
 * (or credit, when negative) per CLC account with a non-zero total (month to date plus markup, rounded once, half
 * away from zero, with its per-vendor parts), then per earlier month with an issued invoice whose current run
 * changed since, an adjustment per account whose rounded total differs from what was invoiced for it. By
 * account, its own line first, then its adjustments oldest first. Read with a cursor, in a transaction the
 * caller began: the memory is one batch of rows and one account's lines, whatever the number of accounts. *count
 * is the number of lines. Returns 0, PB_ERR_DATA, PB_ERR_DEPENDENCY or what emit returned, with err set.
 */
int pb_inv_build(PGconn *conn, int32_t month, const char *run_id, const struct pb_inv_emit *emit, size_t *count,
		 struct pb_buf *err);

/*
 * The stored lines of an invoice (table "pb.invoice": the tables pb.invoice_line and pb.invoice_part, or another
 * pair of tables of their columns named TABLE_line and TABLE_part), as pb_inv_build made them, given to emit in
 * order; by cursor, in a transaction the caller began. *count is the number of lines.
 */
int pb_inv_read(PGconn *conn, const char *table, const char *invoice_id, const struct pb_inv_emit *emit, size_t *count,
		struct pb_buf *err);

/* A cursor's rows, a batch at a time: declared by the caller (name), in its transaction. Start it zeroed. */
struct pb_inv_cursor {
	const char *name;
	PGresult *res;
	int i, n, done;
};

/*
 * Whether there is a row at c->i of c->res, fetching the next batch when the one held is used up: 1, 0 at the
 * end (the cursor closed), or PB_ERR_DEPENDENCY with err set. The caller moves on with c->i++.
 */
int pb_inv_cursor_row(PGconn *conn, struct pb_inv_cursor *c, struct pb_buf *err);

/* Frees the batch c holds. */
void pb_inv_cursor_release(struct pb_inv_cursor *c);

#endif
