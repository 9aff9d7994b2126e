/* Client-credentials tokens from Entra ID, and the error bodies of Microsoft's APIs in one line. */
#include "entra.h"

#include <jansson.h>
#include <string.h>

#include "text.h"
#include "url.h"

#include "banned.h"

/* The longest code given as a string that a message shows; a longer one is named by its length. */
#define MAX_CODE 100

void pb_entra_describe(const struct pb_http_response *rs, struct pb_buf *out)
{
	json_t *root = json_loadb(pb_buf_str(&rs->body), rs->body.len, 0, NULL);
	json_t *e = json_object_get(root, "error"), *code = json_object_get(root, "code");
	const char *name = NULL, *msg;

	pb_buf_addf(out, "HTTP %ld", rs->status);
	if (json_is_object(e)) {
		/* Graph (OData): {"error": {"code": ..., "message": ...}}. */
		name = json_string_value(json_object_get(e, "code"));
		msg = json_string_value(json_object_get(e, "message"));
	} else if (e) {
		/* Entra ID (OAuth 2.0): {"error": ..., "error_description": ...}. */
		name = json_string_value(e);
		msg = json_string_value(json_object_get(root, "error_description"));
	} else {
		/* Partner Center: {"code": 2000, "description": ...}, or some answers' {"code": "2000", ...}. */
		if (json_is_integer(code)) {
			pb_buf_addf(out, " (code %lld)", (long long)json_integer_value(code));
		} else if (json_is_string(code) && json_string_length(code)) {
			pb_buf_addstr(out, " (code ");
			if (json_string_length(code) > MAX_CODE)
				pb_buf_addf(out, "of %zu bytes", json_string_length(code));
			else
				pb_text_add_visible(out, json_string_value(code), json_string_length(code));
			pb_buf_addch(out, ')');
		}
		msg = json_string_value(json_object_get(root, "description"));
	}
	/* The server's words go to a terminal or a log: each control or format character in them is shown. */
	if (name) {
		pb_buf_addch(out, ' ');
		pb_text_add_visible(out, name, strlen(name));
	}
	if (msg) {
		/* Entra ID adds "\r\nTrace ID: ..." lines: the first line says it. */
		pb_buf_addstr(out, ": ");
		pb_text_add_visible(out, msg, strcspn(msg, "\r\n"));
	}
	json_decref(root);
}

/* The token endpoint: LOGIN_URL/TENANT/oauth2/v2.0/token. */
static void token_url(const struct pb_entra_credentials *cred, struct pb_buf *url)
{
	size_t n = strlen(cred->login_url);

	while (n > 1 && cred->login_url[n - 1] == '/')
		n--;
	pb_buf_add(url, cred->login_url, n);
	pb_buf_addch(url, '/');
	pb_http_add_path_value(url, cred->tenant);
	pb_buf_addstr(url, "/oauth2/v2.0/token");
}

int pb_entra_token(const struct pb_entra_credentials *cred, const char *scope, long timeout_s,
		   const struct pb_http_retry *retry, struct pb_buf *bearer, struct pb_buf *err)
{
	const char *hdr[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
	struct pb_buf url = PB_BUF_INIT, form = PB_BUF_INIT;
	struct pb_http_request rq = {"POST", NULL, hdr, 2, NULL, 0, timeout_s, NULL};
	struct pb_http_response rs = {0};
	json_t *root = NULL;
	const char *tok;
	int ret = -1;

	token_url(cred, &url);
	pb_buf_addstr(&form, "grant_type=client_credentials&client_id=");
	pb_http_add_form_value(&form, cred->client_id);
	pb_buf_addstr(&form, "&client_secret=");
	pb_http_add_form_value(&form, cred->client_secret);
	pb_buf_addstr(&form, "&scope=");
	pb_http_add_form_value(&form, scope);
	if (url.failed || form.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	rq.url = pb_buf_str(&url);
	rq.body = pb_buf_str(&form);
	rq.body_len = form.len;
	if (pb_http_exchange(&rq, retry, &rs, NULL, err) < 0)
		goto out;
	root = json_loadb(pb_buf_str(&rs.body), rs.body.len, 0, NULL);
	tok = json_string_value(json_object_get(root, "access_token"));
	if (rs.status == 200 && tok && *tok) {
		pb_buf_reset(bearer);
		pb_buf_addf(bearer, "Authorization: Bearer %s", tok);
		ret = bearer->failed ? -1 : 0;
		if (ret < 0) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
		}
		goto out;
	}
	pb_buf_reset(err);
	pb_buf_addstr(err, "POST ");
	pb_url_add(err, rq.url);
	pb_buf_addstr(err, ": ");
	pb_entra_describe(&rs, err);
	if (rs.status == 200)
		pb_buf_addstr(err, " without an access token");
out:
	json_decref(root);
	if (rs.body.ptr)
		memset(rs.body.ptr, 0, rs.body.len);
	pb_http_response_release(&rs);
	if (form.ptr)
		memset(form.ptr, 0, form.len);
	pb_buf_release(&form);
	pb_buf_release(&url);
	return ret;
}
