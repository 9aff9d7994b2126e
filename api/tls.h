/* pb-api's TLS files: read and checked with GnuTLS before the server starts, so that a bad one is named. */
#ifndef PB_API_TLS_H
#define PB_API_TLS_H

#include "buf.h"

/*
 * Reads the PEM certificate chain at cert_path (--tls-cert) and the private key at key_path (--tls-key), and
 * checks them as the server will use them: the first holds one or more certificates, the second a private
 * key that is not encrypted, and that key is the first certificate's. Returns 0 with each file's text,
 * NUL-terminated, in *cert and *key: the caller frees both, wiping the key first. Otherwise sets neither
 * and returns, with a message naming the option and the file in err, PB_ERR_USAGE when a file cannot be
 * opened or read, PB_ERR_DATA when it does not hold what it should (empty, not PEM, the key not the
 * certificate's, an encrypted key, the two swapped), PB_ERR_DEPENDENCY when memory runs out.
 */
int pb_api_tls_load(const char *cert_path, const char *key_path, char **cert, char **key, struct pb_buf *err);

#endif
