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

/* Starts reading the tags in text[0..len); text may be NULL when len is 0 (no tags). */
void pb_tags_init(struct pb_tags *t, const char *text, size_t len);

/*
 * The next tag as "key=value" in out (string escapes decoded; a number or true/false as written).
 * Returns 1, 0 at the end, or -1 when the text is not a flat object (nothing more is read). Values
 * that are objects or arrays are skipped.
 */
int pb_tags_next(struct pb_tags *t, struct pb_buf *out);

/*
 * The tag keys recorded as partner account names: the keys mapping rules read, so that an export with
 * a million distinct tags does not become a million names. Owned strings; all: every key.
 */
struct pb_tag_keys {
	char **keys;
	size_t n;
	int all;
};

/*
 * The keys of the mapping rules in the len bytes of text: each rule whose pattern starts with "^KEY=" (after an
 * optional "aws:" or "azure:" prefix and a UTF-8 byte order mark), KEY being letters, digits and _ . : / + @ -.
 * Returns 0, or -1 when memory cannot be had.
 */
int pb_tag_keys_from_text(struct pb_tag_keys *k, const char *text, size_t len);

/* The keys of a comma-separated list ("*": every key). Returns 0, or -1 when memory cannot be had. */
int pb_tag_keys_parse(struct pb_tag_keys *k, const char *list);

/* 1 when the tag text "key=value" has one of the keys (ASCII case-insensitive). */
int pb_tag_keys_want(const struct pb_tag_keys *k, const char *tag, size_t len);

void pb_tag_keys_release(struct pb_tag_keys *k);

#endif
