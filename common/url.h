/* URLs as they may be shown or recorded (secrets hidden), and where a URL points: what the network checks need. */
#ifndef PB_URL_H
#define PB_URL_H

#include "buf.h"

/*
 * Appends url to b as it may be shown in a message or a log, or recorded in the database: the
 * credentials of its authority (user:password@) are left out, and so is everything from its first '?' (its
 * query, or one in its fragment) when a parameter there carries a signature or a token (an Azure SAS's
 * sig=, an S3 presigned URL's X-Amz-Signature=, X-Amz-Credential= or X-Amz-Security-Token=, token=,
 * code=...), its name compared with its %XX escapes decoded ("%73ig=", as the server reads it). A local file's name (a
 * path, or a file:// address's path), where '?' and '#' are characters, loses only the signed query of a download saved
 * under its URL: in each '/'-separated segment, from its first '?' to its end when a parameter there signs (sig=,
 * X-Amz-Signature=...). The one way a URL reaches a message: never print a URL any other way.
 */
void pb_url_add(struct pb_buf *b, const char *url);

/*
 * Appends text from another library (libcurl's error buffer) to b with the credentials of any URL in it
 * left out: whatever comes before an '@' in the same word ("'http://user:secret@proxy:3128'" shows as
 * "'http://proxy:3128'"). libcurl quotes a bad proxy setting whole.
 */
void pb_url_add_text(struct pb_buf *b, const char *text);

/* Empties b and starts a message about url: the URL as pb_url_add shows it, then ": ". */
void pb_url_message(struct pb_buf *b, const char *url);

/* What pb_url_add appends, as a new string (free it). NULL when memory cannot be had. */
char *pb_url_redact(const char *url);

/*
 * The local path a file:// address names, to free: its path percent-decoded up to any '?' (what follows is the
 * query of a URL the file was saved under, a character of its name as it is: not decoded). NULL with the
 * reason in err (reset) when the host is neither empty nor localhost, a '%' is not followed by two hexadecimal
 * digits, one decodes to a NUL byte (%00), or memory cannot be had.
 */
char *pb_url_file_path(const char *url, struct pb_buf *err);

/* Appends the file:// address of the absolute path abs: a '%' before any '?' as %25 (pb_url_file_path's inverse). */
void pb_url_add_file(struct pb_buf *b, const char *abs);

/*
 * The file:// address of the absolute path abs as it is recorded, to free (NULL: no memory): "file://" and abs
 * as they are, a signed query left out as pb_url_add leaves it. A '%' stays as it is (not %25), as paths were
 * recorded before file:// addresses were decoded, so that the source of a folder's imports does not change; such
 * a record is a name, not an address to open (pb_url_add_file makes one).
 */
char *pb_url_file_uri(const char *abs);

/* The length of url's scheme when it starts with one followed by "://" ("HTTPS" in "HTTPS://h/"), else 0. */
size_t pb_url_scheme_len(const char *url);

/* 1 when url's query holds an Azure SAS signature (a sig= parameter, "%73ig=" too): the URL signs its own request. */
int pb_url_has_sas(const char *url);

/*
 * 1 when url is an http(s) URL presigned for S3 (SigV4 in its query: X-Amz-Algorithm and X-Amz-Signature; or
 * signature version 2: AWSAccessKeyId and Signature; their names percent-encoded or not): it signs its own request,
 * for the one method it was signed for (GET, for a download).
 */
int pb_url_is_s3_presigned(const char *url);

/* Where an http(s) URL points. */
struct pb_url_origin {
	char scheme[8]; /* "http" or "https", lower case */
	char host[256]; /* lower case, an IPv6 address without its brackets */
	unsigned port;	/* as given, else 80 or 443 */
};

/* Fills o from an http:// or https:// URL. Returns 0, or -1 for anything else (or a host too long). */
int pb_url_origin(const char *url, struct pb_url_origin *o);

/* 1 when o's host is this machine: localhost, 127.0.0.0/8 or ::1. */
int pb_url_is_loopback(const struct pb_url_origin *o);

/* 1 when a and b are the same scheme, host and port. */
int pb_url_same_origin(const struct pb_url_origin *a, const struct pb_url_origin *b);

/*
 * For a URL that a secret is sent to (a token endpoint, an API that gets a bearer token): 0 when it is
 * https, or http to this machine (a test server on loopback); else -1 with "NAME: 'URL' is not an https
 * URL (plain http only to localhost, 127.0.0.1 or ::1)" in err, the URL redacted.
 */
int pb_url_check_secret_endpoint(const char *name, const char *url, struct pb_buf *err);

#endif
