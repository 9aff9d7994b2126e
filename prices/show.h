/* pb-prices show and --history: the prices and loads the store holds, read back. */
#ifndef PB_PRICES_SHOW_H
#define PB_PRICES_SHOW_H

#include <libpq-fe.h>
#include <stdio.h>

#include "buf.h"

/*
 * The prices of one Azure meter or AWS SKU in force over time, per region and unit of measure, as pb-ingest
 * applies them: on each day, those of the newest load that has one in force that day. One line per period
 * and tier, on out. Returns 0, PB_ERR_DATA when no load holds a price of it (err says so), or
 * PB_ERR_DEPENDENCY.
 */
int pb_prices_show(PGconn *conn, const char *vendor, const char *meter, FILE *out, struct pb_buf *err);

/* The loads (of vendor only, unless NULL), oldest first, as an aligned table. 0 or PB_ERR_DEPENDENCY. */
int pb_prices_history(PGconn *conn, const char *vendor, FILE *out, struct pb_buf *err);

#endif
