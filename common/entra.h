/*
 * Microsoft's identity platform (Entra ID): an application's token by client credentials, and the one-line
 * account of the errors that Entra ID and the APIs it signs in to (Graph, Partner Center) answer with.
 */
#ifndef PB_ENTRA_H
#define PB_ENTRA_H

#include "buf.h"
#include "http.h"

/* Who signs in, and where. The strings are the caller's. */
struct pb_entra_credentials {
	const char *login_url; /* https://login.microsoftonline.com or a test server (trailing slashes ignored) */
	const char *tenant;
	const char *client_id;
	const char *client_secret;
};

/*
 * POSTs the client-credentials grant for scope (such as https://graph.microsoft.com/.default) to
 * LOGIN_URL/TENANT/oauth2/v2.0/token, each attempt within timeout_s seconds, retried as retry says. Returns 0
 * with "Authorization: Bearer TOKEN" in bearer (the caller's buffer, replaced; wipe it before release), or -1
 * with "POST URL: ..." in err: no answer, or the status and Entra ID's error. No message holds the secret.
 */
int pb_entra_token(const struct pb_entra_credentials *cred, const char *scope, long timeout_s,
		   const struct pb_http_retry *retry, struct pb_buf *bearer, struct pb_buf *err);

/*
 * Appends the status and the error an answer's JSON body carries, in one line: "HTTP 401 invalid_client:
 * AADSTS7000215: ..." (Entra ID), "HTTP 400 BadRequest: ..." (Graph) or "HTTP 400 (code 2000): ..." (Partner
 * Center, its code a number or a string, control characters of which are shown as \xHH); only the first line of a
 * multi-line message; just "HTTP N" when the body says nothing.
 */
void pb_entra_describe(const struct pb_http_response *rs, struct pb_buf *out);

#endif
