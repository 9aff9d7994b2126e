/*
 * libFuzzer target for ingest/tags.c: any bytes give tags "key=value" (the key has no '=' of its own
 * unless escaped into it, so only the presence of one is checked) until the end or a stop, never a crash
 * or a read past the text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tags.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_tags t;
	struct pb_buf out = PB_BUF_INIT;
	int rc, n = 0;

	/* A copy of exactly size bytes, so that ASan sees any read past the end. */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	pb_tags_init(&t, text, size);
	while ((rc = pb_tags_next(&t, &out)) == 1) {
		if (!memchr(out.ptr, '=', out.len)) {
			fprintf(stderr, "fuzz_tags: a tag without '='\n");
			abort();
		}
		if (++n > (int)size + 1) {
			fprintf(stderr, "fuzz_tags: more tags than bytes\n");
			abort();
		}
	}
	pb_buf_release(&out);
	free(text);
	return 0;
}
