/* Reading an export file as a stream of bytes: a local file or stdin, plain, gzip (multi-member) or ZIP. */
#ifndef PB_INPUT_H
#define PB_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct pb_input;

enum pb_input_kind { PB_INPUT_PLAIN, PB_INPUT_GZIP, PB_INPUT_ZIP };

/*
 * Opens path ("-" is stdin) and detects its compression from its first bytes. The name used in
 * messages is path, or "stdin". Gzip data is inflated on a thread of its own while the caller parses.
 * Returns 0 and *out (free with pb_input_free), or -1 with a message in err
 * ("cannot open 'x': No such file or directory").
 */
int pb_input_open(const char *path, struct pb_input **out, struct pb_buf *err);

/*
 * Reads up to n bytes of the decompressed stream. Returns the count, 0 at the end, or -1 with a
 * message naming the file in err ("x.gz: truncated gzip stream"). A pb_read_fn for pb_csv.
 */
long pb_input_read(void *in, char *buf, size_t n, struct pb_buf *err);

/* The name used in messages, and the bytes read from the file itself (compressed) so far. */
const char *pb_input_name(const struct pb_input *in);
uint64_t pb_input_raw_bytes(const struct pb_input *in);
enum pb_input_kind pb_input_kind(const struct pb_input *in);

/* Stops any thread, closes the file, frees in. Accepts NULL. */
void pb_input_free(struct pb_input *in);

#endif
