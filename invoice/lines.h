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

struct pb_inv_lines {
	struct pb_inv_line *l;
	size_t n, alloc;
};

/*
 * Allocates total (already rounded to minor decimals) over the n exact parts by largest remainder: each part
 * floored to the minor unit, the units left over given one each to the parts with the largest remainders
 * (ties to the earlier part), so that the rounded parts add up to total exactly. has[i] == 0 leaves part i
 * out. Returns 0, or -1 when total is not within a minor unit per part of the parts' sum.
 */
int pb_inv_allocate(pb_money total, const pb_money *exact, const int *has, int n, int minor, pb_money *out);

/*
 * The lines month's invoice would hold from the aggregate run run_id: a charge (or credit, when negative) per
 * CLC account with a non-zero total (month to date plus markup, rounded once, half away from zero, with its
 * per-vendor parts), then per earlier month with an issued invoice whose current run changed since, an
 * adjustment per account whose rounded total differs from what was invoiced for it. Sorted by account.
 * Returns 0, PB_ERR_DATA or PB_ERR_DEPENDENCY with err set.
 */
int pb_inv_build(PGconn *conn, int32_t month, const char *run_id, struct pb_inv_lines *out, struct pb_buf *err);

/* The stored lines of an issued invoice, as pb_inv_build made them. */
int pb_inv_read(PGconn *conn, const char *invoice_id, struct pb_inv_lines *out, struct pb_buf *err);

void pb_inv_lines_release(struct pb_inv_lines *ls);

#endif
