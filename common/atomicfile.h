/* Writing a whole file so that readers see the old bytes or the new ones, never a part. */
#ifndef PB_ATOMICFILE_H
#define PB_ATOMICFILE_H

#include <stddef.h>

#include "buf.h"

/*
 * Writes len bytes to path: to a temporary file in the same folder, fsynced and closed with every error
 * checked, then renamed over path and the folder fsynced. Returns 0, or -1 with "cannot write 'PATH': why"
 * in err and path untouched.
 */
int pb_file_write_atomic(const char *path, const void *data, size_t len, struct pb_buf *err);

#endif
