/* The files pb-invoice writes beside the invoice's (--focus, --report): one writer of each at a time. */
#ifndef PB_INVOICE_OUTPUT_H
#define PB_INVOICE_OUTPUT_H

#include <libpq-fe.h>

#include "buf.h"

/*
 * Makes this session the one pb-invoice writing path until it ends: waits while another writes it (an advisory
 * lock on the file's resolved folder and name), then removes the temporary files a run killed outright left
 * beside it (pb_atomic_remove_leftovers). Returns 0, or PB_ERR_DEPENDENCY with err set.
 */
int pb_inv_output_claim(PGconn *conn, const char *path, struct pb_buf *err);

#endif
