/*
 * Resource tags as exports write them: a flat JSON object in one CSV field (Azure "Tags", CUR 2.0
 * "resource_tags"), or Azure's older form without the braces ("env": "prod","owner": "x").
 */
#ifndef PB_TAGS_H
#define PB_TAGS_H

#include <stddef.h>

#include "buf.h"

struct pb_tags {
	const char *p, *end;
};

/* Starts reading the tags in text[0..len). */
void pb_tags_init(struct pb_tags *t, const char *text, size_t len);

/*
 * The next tag as "key=value" in out (string escapes decoded; a number or true/false as written).
 * Returns 1, 0 at the end, or -1 when the text is not a flat object (nothing more is read). Values
 * that are objects or arrays are skipped.
 */
int pb_tags_next(struct pb_tags *t, struct pb_buf *out);

#endif
