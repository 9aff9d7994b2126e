/* --summary: the reduced rows printed as CSV, daily or per account. */
#ifndef PB_INGEST_SUMMARY_H
#define PB_INGEST_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "reduce.h"

/*
 * Prints n sorted rows to out: the daily rows (vendor, billing month, partner account, day, charge
 * category, charge type, service, region, currency, list cost, billed cost, line count) or per-account
 * totals. Returns 0, -1 when writing failed (errno set), or 1 after reporting an account billed in two
 * currencies (which has no single total; nothing is printed).
 */
int pb_summary_print(enum pb_summary_kind kind, const char *vendor, const struct pb_daily *const *rows, size_t n,
		     FILE *out);

#endif
