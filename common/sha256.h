/* SHA-256 of bytes in memory, as lowercase hex: for files small enough to hold (configs, invoices). */
#ifndef PB_SHA256_H
#define PB_SHA256_H

#include <stddef.h>

/* Writes the SHA-256 of len bytes at data as 64 hex digits and a NUL into hex. Returns 0, or -1. */
int pb_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
