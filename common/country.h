/* ISO 3166-1 alpha-2: which two-letter codes are countries, for billing countries and terms regions. */
#ifndef PB_COUNTRY_H
#define PB_COUNTRY_H

#include <stddef.h>

/*
 * 1 when the len bytes at code are an officially assigned ISO 3166-1 alpha-2 code, in capitals (249
 * codes: GB is one; UK, EU and the user-assigned XK are not), else 0.
 */
int pb_country_valid(const char *code, size_t len);

/*
 * The assigned code meant by a code ISO 3166-1 reserves for another use (UK: GB, EL: GR), or NULL. The
 * string is static.
 */
const char *pb_country_meant(const char *code, size_t len);

#endif
