/* The files pb-invoice writes beside the invoice's (--focus, --report): one writer of each at a time. */
#ifndef PB_INVOICE_OUTPUT_H
#define PB_INVOICE_OUTPUT_H

#include <libpq-fe.h>

#include "atomicfile.h"
#include "buf.h"

/*
 * Makes this session the one pb-invoice writing path until it ends: waits while another writes it (an advisory
 * lock on the file's resolved folder and name), then removes the temporary files a run killed outright left
 * beside it (pb_atomic_remove_leftovers). Returns 0, or PB_ERR_DEPENDENCY with err set.
 */
int pb_inv_output_claim(PGconn *conn, const char *path, struct pb_buf *err);

/*
 * pb_atomic_open of a file pb-invoice writes: 0, PB_ERR_USAGE when what is at path is not a regular file (a
 * link or a FIFO put there stays until someone removes it: no retry helps), else PB_ERR_DEPENDENCY; err set.
 */
int pb_inv_open_output(struct pb_atomic *out, const char *path, struct pb_buf *err);

#endif
