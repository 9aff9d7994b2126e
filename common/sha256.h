/* SHA-256 as lowercase hex: of bytes in memory (configs, invoices), or of bytes given in pieces (a dataset). */
#ifndef PB_SHA256_H
#define PB_SHA256_H

#include <stddef.h>

/* Writes the SHA-256 of len bytes at data as 64 hex digits and a NUL into hex. Returns 0, or -1. */
int pb_sha256_hex(const void *data, size_t len, char hex[65]);

/* A SHA-256 over bytes given in pieces. Start it at PB_SHA256_INIT. */
struct pb_sha256 {
	void *ctx;  /* OpenSSL's EVP_MD_CTX, made at the first piece */
	int failed; /* a piece could not be taken: the digest is refused */
};
#define PB_SHA256_INIT  \
	{               \
		NULL, 0 \
	}

/* Adds len bytes at data. A failure is kept until pb_sha256_final. */
void pb_sha256_update(struct pb_sha256 *s, const void *data, size_t len);

/* Writes the digest of every piece given as 64 hex digits and a NUL into hex; s is released. Returns 0, or -1. */
int pb_sha256_final(struct pb_sha256 *s, char hex[65]);

/* Frees what s holds (it may be reused from PB_SHA256_INIT). Accepts one never given a piece. */
void pb_sha256_release(struct pb_sha256 *s);

#endif
