/*
 * libFuzzer target for ingest/tags.c: any bytes give tags "key=value" (the key has no '=' of its own
 * unless escaped into it, so only the presence of one is checked) until the end or a stop, never a crash
 * or a read past the text; and text the database takes (pb_text_check) gives tags it takes too: no
 * escape decodes into a NUL character or a lone surrogate.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tags.h"
#include "text.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_tags t;
	struct pb_buf out = PB_BUF_INIT;
	int rc, n = 0, text;

	/* A copy of exactly size bytes, so that ASan sees any read past the end. */
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	text = pb_text_check(copy, size, NULL, NULL) == 0;
	pb_tags_init(&t, copy, size);
	while ((rc = pb_tags_next(&t, &out)) == 1) {
		if (!memchr(out.ptr, '=', out.len)) {
			fprintf(stderr, "fuzz_tags: a tag without '='\n");
			abort();
		}
		if (text && pb_text_check(out.ptr, out.len, NULL, NULL) < 0) {
			fprintf(stderr, "fuzz_tags: a tag of valid text is not text: %.*s\n", (int)out.len, out.ptr);
			abort();
		}
		if (++n > (int)size + 1) {
			fprintf(stderr, "fuzz_tags: more tags than bytes\n");
			abort();
		}
	}
	pb_buf_release(&out);
	free(copy);
	return 0;
}
