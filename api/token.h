/* pb-api's bearer tokens: made from 256 random bits, shown once, kept only as their SHA-256. */
#ifndef PB_API_TOKEN_H
#define PB_API_TOKEN_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

/*
 * A server's notifications session: its application name, and the channel on which it says, once it has
 * dropped a revoked token from its cache, that token's id (the payload), for token revoke to wait for.
 */
#define PB_API_LISTENER_APP "pb-api notifications"
#define PB_API_HEARD_CHANNEL "pb_api_token_heard"
/*
 * How long token revoke waits for the servers to say so (ms): a server that has not heard the revocation by
 * then has not confirmed its notifications for 3 s, and serves nothing from memory (see listen.c).
 */
#define PB_API_HEARD_WAIT_MS 3100

/* "pbt_" and the 32 random bytes in unpadded base64url. */
#define PB_API_TOKEN_PREFIX "pbt_"
#define PB_API_TOKEN_LEN 47

/* 1 when the len bytes at s have a token's form, else 0. Says nothing of whether it exists. */
int pb_api_token_well_formed(const char *s, size_t len);

/*
 * The token of an Authorization header's value ("Bearer TOKEN", the scheme in any case, surrounding
 * blanks allowed): 0 with *tok and *len pointing into header, or -1 when it is not a bearer credential.
 */
int pb_api_token_from_header(const char *header, const char **tok, size_t *len);

/* The SHA-256 of a token's text, as 32 bytes and as 64 lowercase hex digits and a NUL (hex may be NULL). */
int pb_api_token_digest(const char *tok, size_t len, unsigned char digest[32], char hex[65]);

/* Equal 64-digit hex strings, compared in constant time: 1 or 0. */
int pb_api_token_same_hex(const char *a, const char *b);

/* The longest name, in characters, that a token's maker or revoker (--by) may have. */
#define PB_API_NAME_MAX 100

/*
 * Why name cannot name who makes or revokes a token, or NULL when it can: it is 1 to PB_API_NAME_MAX
 * characters of UTF-8 with no control character (C0, DEL, C1, line and paragraph separators, bidirectional
 * controls, the byte order mark), no comma or quotation mark (token list's CSV shows it as it is), and does
 * not begin or end with a blank. The reason is a static phrase: "is empty", "is not UTF-8", "holds a
 * control character", "holds a comma or quotation mark", "begins or ends with a blank", "is longer than 100
 * characters".
 */
const char *pb_api_token_name_fault(const char *name);

/*
 * Makes a token for the CLC account alias (NULL: a platform token), stores its SHA-256 with by as its
 * maker, and writes the token and a newline to out: the only time it is shown. Sets *id. Returns 0,
 * PB_ERR_DATA when there is no such account (message in err), PB_ERR_DEPENDENCY when the random bytes, the
 * database or the write to out fail (nothing stored: the insert commits only once out is flushed).
 */
int pb_api_token_create(PGconn *conn, const char *alias, const char *by, FILE *out, long long *id, struct pb_buf *err);

/*
 * Writes every token as CSV (id,kind,alias,created_at,created_by,revoked_at,revoked_by,last_used_at; times in
 * UTC, empty when none); never a hash.
 */
int pb_api_token_list(PGconn *conn, FILE *out, struct pb_buf *err);

/*
 * Revokes token id in the name of by; every running pb-api is notified when it commits. Returns 0, 1 when it
 * was revoked already, PB_ERR_DATA when there is no such token.
 */
int pb_api_token_revoke(PGconn *conn, long long id, const char *by, struct pb_buf *err);

#endif
