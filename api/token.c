/* Tokens: the random bytes come from getrandom(2); the database holds hashes, so a leak of it grants nothing. */
#include "token.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>

#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "progress.h"
#include "testhook.h"
#include "text.h"

#include "banned.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int pb_api_token_well_formed(const char *s, size_t len)
{
	size_t plen = strlen(PB_API_TOKEN_PREFIX), i;

	if (len != PB_API_TOKEN_LEN || memcmp(s, PB_API_TOKEN_PREFIX, plen) != 0)
		return 0;
	for (i = plen; i < len; i++)
		if (!is_b64url(s[i]))
			return 0;
	return 1;
}

int pb_api_token_from_header(const char *header, const char **tok, size_t *len)
{
	const char *p = header, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return -1;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p;
	while (*end && *end != ' ' && *end != '\t')
		end++;
	if (end == p)
		return -1;
	*tok = p;
	*len = (size_t)(end - p);
	while (*end == ' ' || *end == '\t')
		end++;
	return *end ? -1 : 0;
}

int pb_api_token_digest(const char *tok, size_t len, unsigned char digest[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned int n = 0, i;

	if (EVP_Digest(tok, len, digest, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	if (hex) {
		for (i = 0; i < 32; i++) {
			hex[2 * i] = digits[digest[i] >> 4];
			hex[2 * i + 1] = digits[digest[i] & 15];
		}
		hex[64] = '\0';
	}
	return 0;
}

int pb_api_token_same_hex(const char *a, const char *b)
{
	if (strlen(a) != 64 || strlen(b) != 64)
		return 0;
	return CRYPTO_memcmp(a, b, 64) == 0;
}

/* The code point of the valid UTF-8 sequence at *p, which moves past it. */
static unsigned next_code_point(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned c = s[0];
	int n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3, i;

	if (n)
		c &= 0x3fu >> n;
	for (i = 1; i <= n; i++)
		c = c << 6 | (s[i] & 0x3fu);
	*p = s + n + 1;
	return c;
}

/*
 * Characters that move or hide text on a terminal or in a listing: controls, line breaks, direction marks (those
 * pb_text_format_char knows: U+061C, U+200E, U+200F among them).
 */
static int is_control(unsigned c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x61c || c == 0x200e || c == 0x200f || c == 0x2028 ||
	       c == 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

_Static_assert(PB_API_NAME_MAX == 100, "pb_api_token_name_fault's phrase says 100");

const char *pb_api_token_name_fault(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strlen(name), chars = 0;

	if (len == 0)
		return "is empty";
	if (pb_text_check(name, len, NULL, NULL) < 0)
		return "is not UTF-8";
	while (*p) {
		unsigned c = next_code_point(&p);

		if (is_control(c))
			return "holds a control character";
		if (c == ',' || c == '"')
			return "holds a comma or quotation mark";
		chars++;
	}
	if (name[0] == ' ' || name[len - 1] == ' ')
		return "begins or ends with a blank";
	return chars > PB_API_NAME_MAX ? "is longer than 100 characters" : NULL;
}

/* A new token's text: the prefix and 32 random bytes in base64url. 0, or -1 when there is no randomness. */
static int make_token(char out[PB_API_TOKEN_LEN + 1])
{
	unsigned char raw[33];
	size_t got = 0, i, o;

	while (got < 32) {
		ssize_t n = getrandom(raw + got, 32 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	raw[32] = 0;
	o = strlen(PB_API_TOKEN_PREFIX);
	memcpy(out, PB_API_TOKEN_PREFIX, o);
	/* 32 bytes: ten groups of three, then two bytes that make three characters. */
	for (i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];

		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		if (o < PB_API_TOKEN_LEN)
			out[o++] = b64url[v & 63];
	}
	out[PB_API_TOKEN_LEN] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

/*
 * The token is printed before its COMMIT: when that fails, err says the token shown was not stored, so that no one
 * hands it out. A connection lost on the way leaves the outcome unknown: it says how to tell.
 */
static void not_stored(PGconn *conn, long long id, struct pb_buf *err)
{
	if (PQstatus(conn) == CONNECTION_OK)
		pb_buf_addstr(err, ": the token shown was not stored: it cannot be used");
	else
		pb_buf_addf(err,
			    ": the token shown was not stored unless the commit reached the database before the "
			    "connection was lost: if 'pb-api token list' shows token %lld, revoke it",
			    id);
}

int pb_api_token_create(PGconn *conn, const char *alias, const char *by, FILE *out, long long *id, struct pb_buf *err)
{
	char tok[PB_API_TOKEN_LEN + 1], hex[65];
	unsigned char digest[32];
	const char *params[4];
	PGresult *res = NULL;
	int rc = PB_ERR_DEPENDENCY, e;

	if (make_token(tok) < 0 || pb_api_token_digest(tok, PB_API_TOKEN_LEN, digest, hex) < 0) {
		pb_buf_addstr(err, "cannot make a random token");
		goto out;
	}
	params[0] = alias ? "account" : "platform";
	params[1] = alias;
	params[2] = hex;
	params[3] = by;
	/* Stored only once written out: a token that could not be shown could never be used. */
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		goto out;
	res = pb_db_query(
		conn,
		"INSERT INTO pb.api_token (kind, alias, sha256, created_by) SELECT $1, $2, $3, $4 "
		"WHERE $2::text IS NULL OR EXISTS (SELECT 1 FROM pb.clc_account WHERE alias = $2) RETURNING id",
		4, params, err);
	if (!res)
		goto out;
	if (PQntuples(res) != 1) {
		pb_buf_addf(err, "no CLC account '%s'", alias ? alias : "");
		rc = PB_ERR_DATA;
		goto out;
	}
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	errno = 0;
	if (fprintf(out, "%s\n", tok) < 0 || fflush(out) != 0 || ferror(out)) {
		e = errno;
		/* Said here, with what it means: the stream's error is cleared, not said again at exit. */
		clearerr(out);
		pb_buf_addf(err, "cannot write standard output: %s: no token stored",
			    e ? strerror(e) : "a write failed");
		goto out;
	}
	pb_test_pause("token-commit");
	if (pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0) {
		not_stored(conn, *id, err);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	explicit_bzero(tok, sizeof(tok));
	PQclear(res);
	return rc;
}

int pb_api_token_list(PGconn *conn, FILE *out, struct pb_buf *err)
{
	PGresult *res = pb_db_query(
		conn,
		"SELECT id, kind, coalesce(alias, ''), to_char(created_at AT TIME ZONE 'UTC', "
		"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), created_by, coalesce(to_char(revoked_at AT TIME ZONE 'UTC', "
		"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), coalesce(revoked_by, ''), "
		"coalesce(to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') "
		"FROM pb.api_token ORDER BY id",
		0, NULL, err);
	struct pb_buf line = PB_BUF_INIT;
	int i, j;

	if (!res)
		return PB_ERR_DEPENDENCY;
	fprintf(out, "id,kind,alias,created_at,created_by,revoked_at,revoked_by,last_used_at\n");
	for (i = 0; i < PQntuples(res); i++) {
		pb_buf_reset(&line);
		for (j = 0; j < 8; j++) {
			if (j)
				pb_buf_addch(&line, ',');
			pb_buf_add_csv_field(&line, PQgetvalue(res, i, j), (size_t)PQgetlength(res, i, j));
		}
		fprintf(out, "%s\n", pb_buf_str(&line));
	}
	pb_buf_release(&line);
	PQclear(res);
	return 0;
}

/*
 * Waits until n servers have said on PB_API_HEARD_CHANNEL that they dropped token id (conn LISTENs there), for
 * PB_API_HEARD_WAIT_MS at most; how many did not.
 */
static int wait_heard(PGconn *conn, const char *id, int n)
{
	uint64_t end = pb_now_ms() + PB_API_HEARD_WAIT_MS, now;
	PGnotify *note;
	int heard = 0;

	while (heard < n && PQconsumeInput(conn)) {
		struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};

		while ((note = PQnotifies(conn)) != NULL) {
			if (strcmp(note->relname, PB_API_HEARD_CHANNEL) == 0 && strcmp(note->extra, id) == 0)
				heard++;
			PQfreemem(note);
		}
		now = pb_now_ms();
		if (heard >= n || now >= end || pfd.fd < 0)
			break;
		if (poll(&pfd, 1, (int)(end - now)) < 0 && errno != EINTR)
			break;
	}
	return heard < n ? n - heard : 0;
}

int pb_api_token_revoke(PGconn *conn, long long id, const char *by, struct pb_buf *err)
{
	char ids[32];
	const char *params[2] = {ids, by};
	PGresult *res;
	int rc, servers, late;

	snprintf(ids, sizeof(ids), "%lld", id);
	/*
	 * The servers listening now, each to say that it dropped the token once it hears of its revocation: the
	 * command returns then, so that the very next request with it is refused (a server that starts meanwhile
	 * starts with nothing in memory).
	 */
	if (pb_db_exec(conn, "LISTEN " PB_API_HEARD_CHANNEL, 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	res = pb_db_query(conn,
			  "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
			  "application_name = '" PB_API_LISTENER_APP "'",
			  0, NULL, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	servers = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	res = pb_db_query(
		conn,
		"WITH r AS (UPDATE pb.api_token SET revoked_at = now(), revoked_by = $2 WHERE id = $1::bigint "
		"AND revoked_at IS NULL RETURNING id) SELECT (SELECT count(*) FROM r), "
		"(SELECT count(*) FROM pb.api_token WHERE id = $1::bigint)",
		2, params, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (strcmp(PQgetvalue(res, 0, 0), "1") == 0) {
		rc = 0;
		late = servers > 0 ? wait_heard(conn, ids, servers) : 0;
		if (late)
			pb_warning("token %lld: %d of the %d servers listening for revocations did not say within %d s "
				   "that they dropped it: they serve nothing from memory until they do",
				   id, late, servers, PB_API_HEARD_WAIT_MS / 1000);
	} else if (strcmp(PQgetvalue(res, 0, 1), "1") == 0) {
		rc = 1;
	} else {
		pb_buf_addf(err, "no token %lld", id);
		rc = PB_ERR_DATA;
	}
	PQclear(res);
	return rc;
}
