/* One writer of a --focus or --report file at a time, which removes what a killed one left. */
#include "output.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "db.h"
#include "exitcode.h"
#include "sha256.h"

#include "banned.h"

/* The file's folder resolved (links, '..') and its name: one key whatever way the path names it. */
static void file_key(const char *path, struct pb_buf *key)
{
	char *dir = strdup(path), *base = strdup(path), *real = dir ? realpath(dirname(dir), NULL) : NULL;

	if (real && base)
		pb_buf_addf(key, "%s/%s", real, basename(base));
	else
		pb_buf_addstr(key, path);
	free(real);
	free(dir);
	free(base);
}

int pb_inv_output_claim(PGconn *conn, const char *path, struct pb_buf *err)
{
	struct pb_buf key = PB_BUF_INIT;
	char sha[65];
	const char *p[1] = {sha};
	int rc = 0;

	file_key(path, &key);
	/* Its SHA-256, not the name itself: a file name need not be UTF-8, which the database would refuse. */
	if (key.failed || pb_sha256_hex(pb_buf_str(&key), key.len, sha) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		rc = PB_ERR_DEPENDENCY;
	}
	/* Held by the session, so also through a transaction rolled back, until the program ends. */
	if (rc == 0 &&
	    pb_db_exec(conn, "SELECT pg_advisory_lock(hashtextextended('pb-invoice-file|' || $1, 0))", 1, p, err) < 0)
		rc = PB_ERR_DEPENDENCY;
	if (rc == 0)
		pb_atomic_remove_leftovers(path);
	pb_buf_release(&key);
	return rc;
}

int pb_inv_open_output(struct pb_atomic *out, const char *path, struct pb_buf *err)
{
	int rc = pb_atomic_open(out, path, err);

	if (rc == 0)
		return 0;
	return rc == PB_ATOMIC_NOT_REGULAR ? PB_ERR_USAGE : PB_ERR_DEPENDENCY;
}
