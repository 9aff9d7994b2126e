/* What pb-api reads of a request without libmicrohttpd: the route, and the values of its parameters and fields. */
#ifndef PB_API_REQUEST_H
#define PB_API_REQUEST_H

#include <stddef.h>

#include "metrics.h"

/*
 * The endpoint of url, the request target's path as libmicrohttpd gives it (percent-decoded, without its query
 * string; in absolute form, "http://HOST/PATH", its path is routed). For the per-account endpoints alias is
 * the segment between "/v1/accounts/" and the endpoint's name when it has fewer than 8 bytes, and *alias_ok is
 * set when it can be an alias (pb_api_usage_alias_ok); both are left alone otherwise.
 */
enum pb_api_endpoint pb_api_request_route(const char *url, char alias[8], int *alias_ok);

/* The limit parameter s (NULL when absent): 0 with *limit (default when absent), or -1 when it is not 1 to max. */
int pb_api_request_limit(const char *s, unsigned default_limit, unsigned max, unsigned *limit);

/*
 * 1 when an If-None-Match or If-Match value is "*" alone, or a list of entity tags one of which is etag:
 * compared weakly (a W/ prefix ignored) for If-None-Match, strongly for If-Match (a W/ tag matches nothing).
 * A value that is neither (a "*" in a list, a tag without its quotes, anything between tags but a comma)
 * matches nothing: an If-None-Match is then ignored, the answer sent whole, and an If-Match is false (RFC
 * 9110, sections 8.8.3, 13.1.1 and 13.1.2).
 */
int pb_api_request_etag_matches(const char *value, const char *etag, int strong);

/*
 * 1 when a Host value of n bytes is a host and an optional port (RFC 9112, 3.2, and RFC 3986, 3.2.2): empty
 * (a target without a host), or a name or IPv4 address (percent-encoded bytes allowed) or an IP literal in
 * brackets, then a colon and digits, or nothing. A blank, a slash, an '@', a quote, a byte past ASCII do not
 * belong there.
 */
int pb_api_request_host_ok(const char *v, size_t n);

/*
 * 1 when a Content-Length's value of n bytes is a whole number (digits, then blanks, which RFC 9110 (5.5) has
 * a recipient strip) that 64 bits hold; *nonzero is then set when it is not 0.
 */
int pb_api_request_length_ok(const char *v, size_t n, int *nonzero);

#endif
