/* CLC accounts: checking and normalizing their fields, storing and showing them, recording terms acceptances. */
#include "account.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "country.h"
#include "currency.h"
#include "db.h"
#include "exitcode.h"
#include "testhook.h"
#include "text.h"

#include "banned.h"

const struct pb_account_field_name pb_account_fields[PB_ACCOUNT_NFIELDS] = {
	{"alias", NULL},
	{"name", "name"},
	{"billing_country", "country"},
	{"is_reseller", "reseller"},
	{"parent_reseller", "parent"},
	{"domain", "domain"},
	{"email", "email"},
	{"first_name", "first-name"},
	{"last_name", "last-name"},
	{"address_line1", "address"},
	{"city", "city"},
	{"state", "state"},
	{"postal_code", "postal-code"},
	{"phone", "phone"},
	{"invoice_currency", "invoice-currency"},
	{"markup_percent", "markup"},
};

/* The format of the timestamps shown to users (UTC, to the second), a parameter of to_char. */
#define UTC_TIME "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\""

/* The columns of struct pb_account, in its order, as text. */
#define ACCOUNT_COLUMNS                                                                                            \
	"alias, name, billing_country, is_reseller::text, parent_reseller, domain, email, first_name, last_name, " \
	"address_line1, city, state, postal_code, phone, invoice_currency, markup_percent::text"

void pb_account_init(struct pb_account *a)
{
	memset(a, 0, sizeof(*a));
}

void pb_account_release(struct pb_account *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++) {
		free(a->v[i]);
		a->v[i] = NULL;
	}
}

/* Whether code point c is one pb_text_invisible_char finds that is a space, which shows as one. */
static int is_space(unsigned c)
{
	return c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x205f || c == 0x2800 ||
	       c == 0x3000;
}

/* Whether the n bytes at p start with a character that is not ASCII and that shows (no space, no joiner). */
static int shown_non_ascii(const char *p, size_t n)
{
	size_t k = 0;

	return n > 0 && (unsigned char)p[0] >= 0x80 && pb_text_invisible_char(p, n, &k) == 0 && k > 0;
}

/*
 * Whether the code point c, of k bytes at s[i], is a zero width joiner or non-joiner between two characters
 * that are not ASCII and that show: Persian, Hindi and other scripts spell words with them, and emoji sequences
 * are made with them. Beside an ASCII character, a space, another joiner or any character that shows nothing
 * (or at either end) they only hide, as in "Acme" U+200D "Corp" or "Acme" U+00A0 U+200D U+00A0 "Corp".
 */
static int joins(const char *s, size_t len, size_t i, size_t k, unsigned c)
{
	size_t b = i;

	if ((c != 0x200c && c != 0x200d) || i == 0 || i + k >= len)
		return 0;
	/* The start of the character before: back over the continuation bytes (at most 3) of valid UTF-8. */
	while (b > 0 && i - b < 4 && ((unsigned char)s[b - 1] & 0xc0) == 0x80)
		b--;
	if (b == 0 || i - b >= 4)
		return 0;
	b--;
	return shown_non_ascii(s + b, i - b) && shown_non_ascii(s + i + k, len - i - k);
}

unsigned pb_account_invisible(const char *s, size_t len, size_t *at)
{
	size_t i = 0, k;
	unsigned c;

	while (i < len) {
		k = 1;
		c = pb_text_invisible_char(s + i, len - i, &k);
		if (c > 0x9f && !is_space(c) && !pb_text_format_char(s + i, len - i) && !joins(s, len, i, k, c)) {
			*at = i;
			return c;
		}
		i += k ? k : 1;
	}
	return 0;
}

void pb_account_quote(struct pb_buf *b, const char *s, size_t len)
{
	size_t i = 0, at;
	unsigned c;

	/* What pb_text_add_visible shows, with each character that shows nothing as \uHHHH too. */
	while (i < len && (c = pb_account_invisible(s + i, len - i, &at)) != 0) {
		pb_text_add_visible(b, s + i, at);
		pb_buf_addf(b, c > 0xffff ? "\\U%08x" : "\\u%04x", c);
		i += at + (c < 0x800 ? 2 : c < 0x10000 ? 3 : 4);
	}
	pb_text_add_visible(b, s + i, len - i);
}

void pb_account_add_shown(struct pb_buf *b, const char *s, size_t len, int csv)
{
	struct pb_buf shown = PB_BUF_INIT;

	if (!csv) {
		pb_text_add_visible(b, s, len);
		return;
	}
	pb_text_add_visible(&shown, s, len);
	if (shown.failed)
		b->failed = 1;
	else
		pb_buf_add_csv_text(b, pb_buf_str(&shown), shown.len);
	pb_buf_release(&shown);
}

static int is_alias(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 2 || n > 6)
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	return 1;
}

int pb_account_alias(const char *alias, char *out, struct pb_buf *err)
{
	size_t n = strlen(alias), i;

	for (i = 0; i < n && i < 7; i++)
		out[i] = (char)toupper((unsigned char)alias[i]);
	out[i] = '\0';
	if (n > 6 || !is_alias(out)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "bad alias '");
		pb_account_quote(err, alias, n);
		pb_buf_addstr(err, "': 2 to 6 letters and digits");
		return PB_ERR_DATA;
	}
	return 0;
}

static int is_domain(const char *s)
{
	static const char suffix[] = ".onmicrosoft.com";
	size_t n = strlen(s), k = sizeof(suffix) - 1, i;

	if (n <= k || strcmp(s + n - k, suffix) != 0 || s[0] == '-')
		return 0;
	for (i = 0; i < n - k; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return 0;
	return 1;
}

static int is_email(const char *s)
{
	const char *at = strchr(s, '@');
	size_t i;

	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (i = 0; s[i]; i++)
		if (isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The message for a bad value: as given, before normalizing (in->len bytes at in->text). */
struct given {
	const char *text;
	size_t len;
};

static int set_bad(struct pb_buf *err, const char *what, const struct given *in, const char *why)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "bad %s '", what);
	pb_account_quote(err, in->text, in->len);
	pb_buf_addf(err, "': %s", why);
	return PB_ERR_DATA;
}

/* An ISO 3166-1 code, upper-cased in place; a reserved code is named with the one it stands for. */
static int country(char *v, const struct given *in, struct pb_buf *err)
{
	const char *meant;
	size_t i;

	for (i = 0; v[i]; i++)
		v[i] = (char)toupper((unsigned char)v[i]);
	if (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z')
		return set_bad(err, "billing country", in, "a two-letter ISO 3166 code such as US");
	if (pb_country_valid(v, 2))
		return 0;
	meant = pb_country_meant(v, 2);
	set_bad(err, "billing country", in, "not an ISO 3166-1 country code");
	if (meant)
		pb_buf_addf(err, " (did you mean %s?)", meant);
	return PB_ERR_DATA;
}

/* An active ISO 4217 code with a minor unit (what an invoice can be written in), upper-cased in place. */
static int currency(char *v, const struct given *in, struct pb_buf *err)
{
	size_t i;

	for (i = 0; v[i]; i++)
		v[i] = (char)toupper((unsigned char)v[i]);
	if (pb_currency_minor_unit(v, strlen(v)) < 0)
		return set_bad(err, "invoice currency", in, "an ISO 4217 currency code such as USD or EUR");
	return 0;
}

/* The digits of a decimal: [+-]digits[.digits], with at least one digit. */
struct decimal {
	int neg;
	const char *ip, *fp; /* integer and fraction digits */
	size_t ni, nf;
};

static int parse_decimal(const char *v, struct decimal *d)
{
	memset(d, 0, sizeof(*d));
	if (*v == '+' || *v == '-')
		d->neg = *v++ == '-';
	d->ip = v;
	while (isdigit((unsigned char)*v))
		v++;
	d->ni = (size_t)(v - d->ip);
	if (*v == '.') {
		d->fp = ++v;
		while (isdigit((unsigned char)*v))
			v++;
		d->nf = (size_t)(v - d->fp);
	}
	if (*v || (d->ni == 0 && d->nf == 0))
		return -1;
	/* The shortest form: no leading zeros, no trailing zeros after the point. */
	while (d->ni && *d->ip == '0') {
		d->ip++;
		d->ni--;
	}
	while (d->nf && d->fp[d->nf - 1] == '0')
		d->nf--;
	return 0;
}

/* The markup: a percentage from -100 (free) to 1000, exact, rewritten in place in its shortest form. */
static int markup(char *v, const struct given *in, struct pb_buf *err)
{
	struct decimal d;
	char shortest[16]; /* sign, 4 digits, point, 6 digits */
	long whole = 0;
	size_t i;

	if (parse_decimal(v, &d) < 0 || d.ni > 4 || d.nf > 6)
		goto bad;
	for (i = 0; i < d.ni; i++)
		whole = whole * 10 + (d.ip[i] - '0');
	if (whole > (d.neg ? 100 : 1000) || (whole == (d.neg ? 100 : 1000) && d.nf))
		goto bad;
	snprintf(shortest, sizeof(shortest), "%s%.*s%s%s%.*s", d.neg && (d.ni || d.nf) ? "-" : "", (int)d.ni, d.ip,
		 d.ni ? "" : "0", d.nf ? "." : "", (int)d.nf, d.fp);
	/* Never longer than the text given by more than the "0" before a bare point: v has room. */
	memcpy(v, shortest, strlen(shortest) + 1);
	return 0;
bad:
	return set_bad(err, "markup percent", in,
		       "a percentage from -100 to 1000 with at most 6 decimals, such as 12.5 or -5");
}

/* 1 when v holds C0, DEL or C1 (U+0080 to U+009F), which 'show' would put on a terminal and no option takes. */
static int has_control(const char *v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f ||
		    ((unsigned char)v[i] == 0xc2 && (unsigned char)v[i + 1] >= 0x80 && (unsigned char)v[i + 1] <= 0x9f))
			return 1;
	return 0;
}

/*
 * Refuses v when it holds a format character (a bidirectional override, a line separator: pb_text_format_char),
 * which would change how an invoice line or a terminal shows what follows it, or a character that shows nothing
 * (pb_account_invisible: a zero width space, a soft hyphen), which would make two names look the same. Returns 0
 * or PB_ERR_DATA.
 */
static int no_format(const char *v, const char *what, const struct given *in, struct pb_buf *err)
{
	char why[64];
	size_t i, n = strlen(v);
	unsigned c;

	for (i = 0; i < n; i++) {
		c = pb_text_format_char(v + i, n - i);
		if (c) {
			snprintf(why, sizeof(why), "format character U+%04X is not allowed", c);
			return set_bad(err, what, in, why);
		}
	}
	c = pb_account_invisible(v, n, &i);
	if (c) {
		snprintf(why, sizeof(why), "invisible character U+%04X is not allowed", c);
		return set_bad(err, what, in, why);
	}
	return 0;
}

/* Checks and normalizes v (a NUL-terminated copy of in, owned by the caller) for field f. */
static int normalize(enum pb_account_field f, char *v, const struct given *in, struct pb_buf *err)
{
	char why[48];
	unsigned blank;
	size_t i;

	switch (f) {
	case PB_ACCOUNT_ALIAS:
	case PB_ACCOUNT_PARENT:
		for (i = 0; v[i]; i++)
			v[i] = (char)toupper((unsigned char)v[i]);
		if (!is_alias(v))
			return set_bad(err, f == PB_ACCOUNT_ALIAS ? "alias" : "parent reseller", in,
				       "2 to 6 letters and digits");
		return 0;
	case PB_ACCOUNT_COUNTRY:
		return country(v, in, err);
	case PB_ACCOUNT_INVOICE_CURRENCY:
		return currency(v, in, err);
	case PB_ACCOUNT_MARKUP:
		return markup(v, in, err);
	case PB_ACCOUNT_RESELLER:
		for (i = 0; v[i]; i++)
			v[i] = (char)tolower((unsigned char)v[i]);
		if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
			memcpy(v, "true", 5);
		else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
			memcpy(v, "false", 6);
		else
			return set_bad(err, "reseller flag", in, "true or false");
		return 0;
	case PB_ACCOUNT_DOMAIN:
		for (i = 0; v[i]; i++)
			v[i] = (char)tolower((unsigned char)v[i]);
		if (!is_domain(v))
			return set_bad(err, "domain", in, "the customer's initial domain, NAME.onmicrosoft.com");
		return 0;
	case PB_ACCOUNT_EMAIL:
		if (has_control(v))
			return set_bad(err, "email", in, "control characters are not allowed");
		if (no_format(v, "email", in, err) < 0)
			return PB_ERR_DATA;
		if (!is_email(v))
			return set_bad(err, "email", in, "an address such as name@example.com");
		return 0;
	default:
		if (has_control(v))
			return set_bad(err, pb_account_fields[f].column, in, "control characters are not allowed");
		if (no_format(v, pb_account_fields[f].column, in, err) < 0)
			return PB_ERR_DATA;
		/* A name of spaces alone (or of characters that show nothing) is none: the invoices would name the
		 * account so. */
		if (f == PB_ACCOUNT_NAME && pb_text_blank(v, strlen(v), &blank)) {
			if (!blank)
				return set_bad(err, "name", in, "spaces alone");
			snprintf(why, sizeof(why), "spaces alone (U+%04X is blank too)", blank);
			return set_bad(err, "name", in, why);
		}
		return 0;
	}
}

int pb_account_set(struct pb_account *a, enum pb_account_field f, const char *value, size_t len, struct pb_buf *err)
{
	struct given in = {value, len};
	char *v;

	free(a->v[f]);
	a->v[f] = NULL;
	if (len == 0)
		return 0;
	if (memchr(value, '\0', len)) {
		pb_buf_reset(err);
		pb_buf_addf(err, "bad %s: it holds a NUL byte", pb_account_fields[f].column);
		return PB_ERR_DATA;
	}
	if (len > PB_ACCOUNT_MAX_TEXT) {
		pb_buf_reset(err);
		pb_buf_addf(err, "bad %s: %zu bytes long, at most %d", pb_account_fields[f].column, len,
			    PB_ACCOUNT_MAX_TEXT);
		return PB_ERR_DATA;
	}
	v = malloc(len + 6);
	if (!v) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DEPENDENCY;
	}
	memcpy(v, value, len);
	v[len] = '\0';
	if (normalize(f, v, &in, err) < 0) {
		free(v);
		return PB_ERR_DATA;
	}
	a->v[f] = v;
	return 0;
}

/* Refuses a field that is required but has no value: "no name given". */
static int require(const struct pb_account *a, enum pb_account_field f, struct pb_buf *err)
{
	if (a->v[f])
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "no %s given", pb_account_fields[f].column);
	return PB_ERR_DATA;
}

/*
 * Refuses a parent reseller that does not exist, is not a reseller, or is a reseller's customer itself (a
 * parent reseller has no parent). The row stays locked until the transaction ends, if any, so that it stays
 * what the caller names while it names it.
 */
static int check_parent(PGconn *conn, const char *parent, struct pb_buf *err)
{
	const char *q[1] = {parent};
	PGresult *res;
	int ret = 0;

	res = pb_db_query(conn,
			  "SELECT is_reseller, coalesce(parent_reseller, '') FROM pb.clc_account WHERE alias = $1 "
			  "FOR SHARE",
			  1, q, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    PQntuples(res) ? "parent reseller '%s' is not a reseller"
					   : "parent reseller '%s' does not exist",
			    parent);
		ret = PB_ERR_DATA;
	} else if (*PQgetvalue(res, 0, 1)) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "parent reseller '%s' is a customer of reseller %s: a parent reseller cannot have a parent "
			    "itself",
			    parent, PQgetvalue(res, 0, 1));
		ret = PB_ERR_DATA;
	}
	PQclear(res);
	return ret;
}

void pb_account_add_value(struct pb_buf *b, const char *v)
{
	if (!v) {
		pb_buf_addstr(b, "(none)");
		return;
	}
	pb_buf_addch(b, '\'');
	pb_account_quote(b, v, strlen(v));
	pb_buf_addch(b, '\'');
}

/*
 * Runs the statement built in sql, one parameter a field (p), and releases sql. Returns its result, or NULL with
 * err set (a statement that could not be built: out of memory).
 */
static PGresult *fields_query(PGconn *conn, struct pb_buf *sql, const char *const *p, struct pb_buf *err)
{
	PGresult *res = NULL;

	if (sql->failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
	} else {
		res = pb_db_query(conn, pb_buf_str(sql), PB_ACCOUNT_NFIELDS, p, err);
	}
	pb_buf_release(sql);
	return res;
}

int pb_account_stored(PGconn *conn, const struct pb_account *a, const char *compare, int *state, struct pb_buf *msg,
		      struct pb_buf *err)
{
	const char *p[PB_ACCOUNT_NFIELDS];
	struct pb_buf sql = PB_BUF_INIT;
	PGresult *res;
	size_t i, n = 0;
	int col;

	/* A field not given compares as the value it is stored as. */
	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++)
		p[i] = a->v[i];
	if (!p[PB_ACCOUNT_RESELLER])
		p[PB_ACCOUNT_RESELLER] = "false";
	if (!p[PB_ACCOUNT_INVOICE_CURRENCY])
		p[PB_ACCOUNT_INVOICE_CURRENCY] = "USD";
	if (!p[PB_ACCOUNT_MARKUP])
		p[PB_ACCOUNT_MARKUP] = "0";
	/* Each field, stored value and whether it is the one given: every parameter is named, each with its type. */
	pb_buf_addstr(&sql, "SELECT ");
	for (i = 1; i < PB_ACCOUNT_NFIELDS; i++) {
		const char *c = pb_account_fields[i].column;

		pb_buf_addf(&sql, "%sc.%s::text, c.%s IS NOT DISTINCT FROM $%zu%s", i > 1 ? ", " : "", c, c, i + 1,
			    i == PB_ACCOUNT_RESELLER ? "::boolean"
			    : i == PB_ACCOUNT_MARKUP ? "::numeric"
						     : "::text");
	}
	pb_buf_addstr(&sql, " FROM pb.clc_account c WHERE c.alias = $1");
	res = fields_query(conn, &sql, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	*state = PQntuples(res) == 1 ? PB_ACCOUNT_SAME : PB_ACCOUNT_NONE;
	for (i = 1; *state != PB_ACCOUNT_NONE && i < PB_ACCOUNT_NFIELDS; i++) {
		col = (int)(i - 1) * 2;
		if (compare[i] != '1' || strcmp(PQgetvalue(res, 0, col + 1), "t") == 0)
			continue;
		*state = PB_ACCOUNT_OTHER;
		if (!msg)
			break;
		pb_buf_addf(msg, "%s%s ", n++ ? ", " : " with ", pb_account_fields[i].column);
		pb_account_add_value(msg, PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col));
		pb_buf_addstr(msg, " where the row has ");
		pb_account_add_value(msg, p[i]);
	}
	PQclear(res);
	return 0;
}

/*
 * Refuses a field of a (those given, when given is not NULL) that is not in Unicode normalization form C: a name
 * written decomposed ("e" then U+0301) would be another text than the same name composed ("\u00e9") though the two
 * look the same. The server's normalization is used (PostgreSQL 13 and later; an older server checks nothing); a
 * SQL_ASCII database has none, and text of ASCII alone is in every form: no statement is sent for it. Returns 0,
 * PB_ERR_DATA with *bad set, or PB_ERR_DEPENDENCY.
 */
static int not_nfc(PGconn *conn, const struct pb_account *a, const int *given, enum pb_account_field *bad,
		   struct pb_buf *err)
{
	const char *p[PB_ACCOUNT_NFIELDS], *enc = PQparameterStatus(conn, "server_encoding");
	struct pb_buf sql = PB_BUF_INIT;
	PGresult *res;
	size_t i, j;
	int any = 0, ret = 0, f;

	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++) {
		p[i] = given && !given[i] ? NULL : a->v[i];
		for (j = 0; p[i] && p[i][j] && !any; j++)
			any = (unsigned char)p[i][j] >= 0x80;
	}
	if (!any || !enc || strcmp(enc, "UTF8") != 0 || PQserverVersion(conn) < 130000)
		return 0;
	pb_buf_addstr(&sql, "SELECT array_position(ARRAY[");
	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++)
		pb_buf_addf(&sql, "%s$%zu::text IS NFC NORMALIZED", i ? ", " : "", i + 1);
	pb_buf_addstr(&sql, "], false)");
	res = fields_query(conn, &sql, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	f = PQgetisnull(res, 0, 0) ? 0 : (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	if (f >= 1 && f <= PB_ACCOUNT_NFIELDS) {
		*bad = (enum pb_account_field)(f - 1);
		pb_buf_reset(err);
		pb_buf_addf(err, "bad %s '", pb_account_fields[f - 1].column);
		pb_account_quote(err, p[f - 1], strlen(p[f - 1]));
		pb_buf_addstr(err,
			      "': not in Unicode normalization form C (NFC): a letter and a combining mark where one "
			      "character holds both");
		ret = PB_ERR_DATA;
	}
	PQclear(res);
	return ret;
}

int pb_account_insert(PGconn *conn, const struct pb_account *a, const char *by, enum pb_account_field *bad,
		      struct pb_buf *err)
{
	static const enum pb_account_field required[] = {PB_ACCOUNT_ALIAS, PB_ACCOUNT_NAME, PB_ACCOUNT_COUNTRY};
	const char *p[PB_ACCOUNT_NFIELDS + 1];
	struct pb_buf ignore = PB_BUF_INIT;
	PGresult *res = NULL;
	size_t i;
	int ret, own = 0;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		ret = require(a, required[i], err);
		if (ret < 0) {
			*bad = required[i];
			goto out;
		}
	}
	ret = not_nfc(conn, a, NULL, bad, err);
	if (ret < 0)
		goto out;
	/* The parent's row stays locked until the account is stored: it cannot stop being a reseller meanwhile. */
	if (a->v[PB_ACCOUNT_PARENT] && PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		ret = PB_ERR_DEPENDENCY;
		if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
			goto out;
		own = 1;
	}
	if (a->v[PB_ACCOUNT_PARENT]) {
		ret = check_parent(conn, a->v[PB_ACCOUNT_PARENT], err);
		if (ret < 0) {
			*bad = PB_ACCOUNT_PARENT;
			goto out;
		}
		pb_test_pause("parent-checked");
	}
	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++)
		p[i] = a->v[i];
	if (!p[PB_ACCOUNT_RESELLER])
		p[PB_ACCOUNT_RESELLER] = "false";
	p[PB_ACCOUNT_NFIELDS] = by;
	/* ON CONFLICT: an alias that exists is the caller's mistake, not the database's failure. */
	res = pb_db_query(
		conn,
		"INSERT INTO pb.clc_account (alias, name, billing_country, is_reseller, parent_reseller, "
		"domain, email, first_name, last_name, address_line1, city, state, postal_code, phone, "
		"invoice_currency, markup_percent, created_by) VALUES ($1, $2, $3, $4::boolean, $5, $6, $7, $8, "
		"$9, $10, $11, $12, $13, $14, coalesce($15, 'USD'), coalesce($16::numeric, 0), $17) "
		"ON CONFLICT (alias) DO NOTHING RETURNING alias",
		PB_ACCOUNT_NFIELDS + 1, p, err);
	if (!res) {
		ret = PB_ERR_DEPENDENCY;
		goto out;
	}
	if (PQntuples(res) != 1) {
		*bad = PB_ACCOUNT_ALIAS;
		pb_buf_reset(err);
		pb_buf_addf(err, "CLC account '%s' exists already", a->v[PB_ACCOUNT_ALIAS]);
		ret = PB_ERR_DATA;
		goto out;
	}
	ret = 0;
	if (own && pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0)
		ret = PB_ERR_DEPENDENCY;
	else
		own = 0;
out:
	if (own)
		pb_db_exec(conn, "ROLLBACK", 0, NULL, &ignore);
	PQclear(res);
	pb_buf_release(&ignore);
	return ret;
}

static int no_account(struct pb_buf *err, const char *alias)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "no CLC account '%s'", alias);
	return PB_ERR_DATA;
}

/* pb_account_get, locking the row until the transaction ends when lock is set. */
static int get_account(PGconn *conn, const char *alias, int lock, struct pb_account *a, struct pb_buf *err)
{
	const char *p[1] = {alias};
	PGresult *res;
	size_t i;
	int ret = 0;

	res = pb_db_query(conn,
			  lock ? "SELECT " ACCOUNT_COLUMNS " FROM pb.clc_account WHERE alias = $1 FOR UPDATE"
			       : "SELECT " ACCOUNT_COLUMNS " FROM pb.clc_account WHERE alias = $1",
			  1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return no_account(err, alias);
	}
	pb_account_release(a);
	for (i = 0; i < PB_ACCOUNT_NFIELDS && ret == 0; i++) {
		if (PQgetisnull(res, 0, (int)i))
			continue;
		a->v[i] = strdup(PQgetvalue(res, 0, (int)i));
		if (!a->v[i]) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			ret = PB_ERR_DEPENDENCY;
		}
	}
	PQclear(res);
	return ret;
}

int pb_account_get(PGconn *conn, const char *alias, struct pb_account *a, struct pb_buf *err)
{
	return get_account(conn, alias, 0, a, err);
}

/* Whether two values of a field are the same (NULL: no value). */
static int same(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/*
 * The accounts whose parent reseller is alias: returns whether there are any (or
 * PB_ERR_DEPENDENCY) and appends the first few aliases to list.
 */
static int customers_of(PGconn *conn, const char *alias, struct pb_buf *list, struct pb_buf *err)
{
	enum { SHOWN = 5 };
	const char *p[1] = {alias};
	PGresult *res;
	int r, n;

	/* One more than are shown, to tell whether there are more. */
	res = pb_db_query(conn, "SELECT alias FROM pb.clc_account WHERE parent_reseller = $1 ORDER BY alias LIMIT 6", 1,
			  p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	n = PQntuples(res);
	for (r = 0; r < n && r < SHOWN; r++)
		pb_buf_addf(list, "%s%s", r ? ", " : "", PQgetvalue(res, r, 0));
	if (n > SHOWN)
		pb_buf_addstr(list, ", ...");
	PQclear(res);
	return n > 0;
}

/*
 * Refuses the changes that would break the hierarchy of resellers and their customers: a parent that is
 * the account itself, not a reseller, or given to an account with customers; and a reseller with
 * customers that would stop being one.
 */
static int check_hierarchy(PGconn *conn, const char *alias, const struct pb_account *to, const int *changed,
			   struct pb_buf *err)
{
	struct pb_buf list = PB_BUF_INIT;
	const char *parent = changed[PB_ACCOUNT_PARENT] ? to->v[PB_ACCOUNT_PARENT] : NULL;
	int stops = changed[PB_ACCOUNT_RESELLER] && strcmp(to->v[PB_ACCOUNT_RESELLER], "false") == 0;
	int ret = 0, has;

	if (parent && strcmp(parent, alias) == 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "parent reseller '%s' is the account itself", parent);
		ret = PB_ERR_DATA;
		goto out;
	}
	if (parent) {
		ret = check_parent(conn, parent, err);
		if (ret < 0)
			goto out;
	}
	if (!parent && !stops)
		goto out;
	has = customers_of(conn, alias, &list, err);
	if (has < 0) {
		ret = has;
		goto out;
	}
	if (has) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s is the parent reseller of %s: %s", alias, pb_buf_str(&list),
			    parent ? "it cannot have a parent reseller itself" : "it must stay a reseller");
		ret = PB_ERR_DATA;
	}
out:
	pb_buf_release(&list);
	return ret;
}

/* The UPDATE of the changed fields, with their values and by in p ($1 is the alias). Returns 0 or -1. */
static int update_sql(const struct pb_account *to, const int *changed, const char *by, struct pb_buf *sql,
		      const char **p, int *np)
{
	size_t i;

	pb_buf_addstr(sql, "UPDATE pb.clc_account SET ");
	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++) {
		if (!changed[i])
			continue;
		p[*np] = to->v[i];
		(*np)++;
		pb_buf_addf(sql, "%s = $%d%s, ", pb_account_fields[i].column, *np,
			    i == PB_ACCOUNT_RESELLER ? "::boolean"
			    : i == PB_ACCOUNT_MARKUP ? "::numeric"
						     : "");
	}
	p[*np] = by;
	(*np)++;
	pb_buf_addf(sql, "updated_by = $%d, updated_at = now() WHERE alias = $1", *np);
	return sql->failed ? -1 : 0;
}

int pb_account_update(PGconn *conn, const char *alias, const struct pb_account *to, const int *given, const char *by,
		      struct pb_buf *changes, struct pb_buf *err)
{
	static const enum pb_account_field not_null[] = {PB_ACCOUNT_NAME, PB_ACCOUNT_COUNTRY, PB_ACCOUNT_RESELLER,
							 PB_ACCOUNT_INVOICE_CURRENCY, PB_ACCOUNT_MARKUP};
	struct pb_account old;
	struct pb_buf sql = PB_BUF_INIT, ignore = PB_BUF_INIT;
	const char *p[PB_ACCOUNT_NFIELDS + 1] = {alias};
	int changed[PB_ACCOUNT_NFIELDS] = {0};
	int ret = 0, begun = 0, n = 1, any = 0;
	enum pb_account_field bad;
	size_t i;

	pb_account_init(&old);
	for (i = 0; i < sizeof(not_null) / sizeof(not_null[0]) && ret == 0; i++)
		if (given[not_null[i]])
			ret = require(to, not_null[i], err);
	if (ret == 0)
		ret = not_nfc(conn, to, given, &bad, err);
	if (ret < 0)
		goto out;
	ret = PB_ERR_DEPENDENCY;
	if (pb_db_exec(conn, "BEGIN", 0, NULL, err) < 0)
		goto out;
	begun = 1;
	ret = get_account(conn, alias, 1, &old, err);
	if (ret < 0)
		goto out;
	/* The alias names the account: it is never changed. */
	for (i = PB_ACCOUNT_NAME; i < PB_ACCOUNT_NFIELDS; i++) {
		changed[i] = given[i] && !same(old.v[i], to->v[i]);
		any |= changed[i];
	}
	if (!any)
		goto out;
	ret = check_hierarchy(conn, alias, to, changed, err);
	if (ret < 0)
		goto out;
	ret = PB_ERR_DEPENDENCY;
	if (update_sql(to, changed, by, &sql, p, &n) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	if (pb_db_exec(conn, pb_buf_str(&sql), n, p, err) < 0 || pb_db_exec(conn, "COMMIT", 0, NULL, err) < 0)
		goto out;
	begun = 0;
	ret = 0;
	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++)
		if (changed[i])
			pb_buf_addf(changes, "%s: %s %s -> %s\n", alias, pb_account_fields[i].column,
				    old.v[i] ? old.v[i] : "(none)", to->v[i] ? to->v[i] : "(none)");
out:
	if (begun)
		pb_db_exec(conn, "ROLLBACK", 0, NULL, &ignore);
	pb_account_release(&old);
	pb_buf_release(&sql);
	pb_buf_release(&ignore);
	return ret;
}

/* Appends a line "key: FIRST name value ..." per row of res: the first column bare, NULLs left out. */
static void add_rows(struct pb_buf *out, const char *key, PGresult *res)
{
	int r, c;

	for (r = 0; r < PQntuples(res); r++) {
		pb_buf_addf(out, "%s: ", key);
		pb_account_add_shown(out, PQgetvalue(res, r, 0), (size_t)PQgetlength(res, r, 0), 0);
		for (c = 1; c < PQnfields(res); c++) {
			if (PQgetisnull(res, r, c))
				continue;
			pb_buf_addf(out, " %s ", PQfname(res, c));
			pb_account_add_shown(out, PQgetvalue(res, r, c), (size_t)PQgetlength(res, r, c), 0);
		}
		pb_buf_addch(out, '\n');
	}
}

int pb_account_show(PGconn *conn, const char *alias, struct pb_buf *out, struct pb_buf *err)
{
	static const char *const queries[][2] = {
		{"terms",
		 "SELECT terms, region, version, accepted_by AS by, to_char(accepted_at AT TIME ZONE 'UTC', $2) "
		 "AS at FROM pb.terms_acceptance WHERE alias = $1 ORDER BY accepted_at, id"},
		{"link",
		 "SELECT vendor || ' ' || partner_account_id, valid_from AS from, valid_to AS to, origin, "
		 "created_by AS by, to_char(created_at AT TIME ZONE 'UTC', $2) AS at, ended_by, "
		 "to_char(ended_at AT TIME ZONE 'UTC', $2) AS ended_at FROM pb.partner_account WHERE alias = $1 "
		 "ORDER BY vendor, partner_account_id, valid_from"},
		{"removed_link",
		 "SELECT vendor || ' ' || partner_account_id, valid_from AS from, valid_to AS to, origin, "
		 "created_by AS by, to_char(created_at AT TIME ZONE 'UTC', $2) AS at, removed_by, "
		 "to_char(removed_at AT TIME ZONE 'UTC', $2) AS removed_at FROM pb.partner_account_removed "
		 "WHERE alias = $1 ORDER BY removed_at, id"},
		{"customer_creation",
		 "SELECT request_id, vendor, status, tenant_id AS tenant, domain, attempts, error, "
		 "to_char(created_at AT TIME ZONE 'UTC', $2) AS at "
		 "FROM pb.customer_creation_request WHERE alias = $1 ORDER BY id"},
	};
	struct pb_account a;
	const char *p[2] = {alias, UTC_TIME};
	size_t i;
	int ret;

	pb_account_init(&a);
	ret = pb_account_get(conn, alias, &a, err);
	if (ret < 0)
		goto out;
	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++)
		if (a.v[i]) {
			pb_buf_addf(out, "%s: ", pb_account_fields[i].column);
			pb_account_add_shown(out, a.v[i], strlen(a.v[i]), 0);
			pb_buf_addch(out, '\n');
		}
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		PGresult *res = pb_db_query(conn, queries[i][1], 2, p, err);

		if (!res) {
			ret = PB_ERR_DEPENDENCY;
			goto out;
		}
		add_rows(out, queries[i][0], res);
		PQclear(res);
	}
out:
	pb_account_release(&a);
	return ret;
}

int pb_account_list(PGconn *conn, struct pb_buf *out, struct pb_buf *err)
{
	PGresult *res;
	int r, c;

	res = pb_db_query(conn,
			  "SELECT alias, name, billing_country, is_reseller::text, parent_reseller, invoice_currency, "
			  "markup_percent::text FROM pb.clc_account ORDER BY alias",
			  0, NULL, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	pb_buf_addstr(out, "alias,name,billing_country,is_reseller,parent_reseller,invoice_currency,markup_percent\n");
	for (r = 0; r < PQntuples(res); r++) {
		for (c = 0; c < PQnfields(res); c++) {
			if (c)
				pb_buf_addch(out, ',');
			/* The markup is a number: -5 is a discount, not a formula. */
			if (c == PQnfields(res) - 1)
				pb_buf_add_csv_field(out, PQgetvalue(res, r, c), (size_t)PQgetlength(res, r, c));
			else
				pb_account_add_shown(out, PQgetvalue(res, r, c), (size_t)PQgetlength(res, r, c), 1);
		}
		pb_buf_addch(out, '\n');
	}
	PQclear(res);
	return 0;
}

/* The length of the run at s of ASCII digits (digit set) or of other characters (digit clear). */
static size_t run_len(const char *s, int digit)
{
	size_t n = 0;

	while (s[n] && (s[n] >= '0' && s[n] <= '9') == digit)
		n++;
	return n;
}

int pb_account_version_check(const char *version, size_t *bad)
{
	size_t i;

	for (i = 0; version[i]; i++) {
		if (version[i] >= '0' && version[i] <= '9')
			continue;
		if ((version[i] != '.' && version[i] != '-') || i == 0 ||
		    !(version[i - 1] >= '0' && version[i - 1] <= '9') || !version[i + 1]) {
			*bad = i;
			return -1;
		}
	}
	return 0;
}

/* A character between the numbers of a version, as versions are compared: a hyphen as a dot, letters in lower case. */
static char between(char c)
{
	return c == '-' ? '.' : pb_ascii_lower(c);
}

/* Parts compared as account.h says: a digit's run against another's, the runs between them alike. */
int pb_account_version_cmp(const char *a, const char *b)
{
	size_t na, nb, i;
	int digit;

	while (*a && *b) {
		digit = *a >= '0' && *a <= '9';
		if (digit != (*b >= '0' && *b <= '9'))
			return 2;
		na = run_len(a, digit);
		nb = run_len(b, digit);
		if (digit) {
			while (na > 1 && *a == '0')
				a++, na--;
			while (nb > 1 && *b == '0')
				b++, nb--;
			if (na != nb)
				return na < nb ? -1 : 1;
			for (i = 0; i < na; i++)
				if (a[i] != b[i])
					return a[i] < b[i] ? -1 : 1;
		} else {
			if (na != nb)
				return 2;
			for (i = 0; i < na; i++)
				if (between(a[i]) != between(b[i]))
					return 2;
		}
		a += na;
		b += nb;
	}
	return *a ? 1 : *b ? -1 : 0;
}

/*
 * Refuses version when a version of the same terms (and region) accepted for alias already comes after it
 * (pb_account_version_cmp), its account's row locked until the transaction ends, so that two acceptances are
 * checked one after the other. Returns 0, PB_ERR_DATA or PB_ERR_DEPENDENCY.
 */
static int no_downgrade(PGconn *conn, const char *alias, const char *terms, const char *region, const char *version,
			struct pb_buf *err)
{
	const char *p[3] = {alias, terms, region};
	const char *v, *newest = NULL;
	PGresult *res, *acc;
	int r;

	acc = pb_db_query(conn, "SELECT 1 FROM pb.clc_account WHERE alias = $1 FOR UPDATE", 1, p, err);
	if (!acc)
		return PB_ERR_DEPENDENCY;
	r = PQntuples(acc);
	PQclear(acc);
	if (r != 1)
		return no_account(err, alias);
	res = pb_db_query(conn,
			  "SELECT version FROM pb.terms_acceptance WHERE alias = $1 AND terms = $2 AND region IS NOT "
			  "DISTINCT FROM $3 ORDER BY id",
			  3, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (r = 0; r < PQntuples(res); r++) {
		v = PQgetvalue(res, r, 0);
		if (pb_account_version_cmp(v, version) == 1 && (!newest || pb_account_version_cmp(v, newest) == 1))
			newest = v;
	}
	if (newest) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: version ", alias);
		pb_account_quote(err, newest, strlen(newest));
		pb_buf_addf(err, " of the %s terms", terms);
		if (region)
			pb_buf_addf(err, " for region %s", region);
		pb_buf_addstr(err, " is accepted already: ");
		pb_account_quote(err, version, strlen(version));
		pb_buf_addstr(err, " is older, not recorded");
	}
	PQclear(res);
	return newest ? PB_ERR_DATA : 0;
}

int pb_account_accept_terms(PGconn *conn, const char *alias, const char *terms, const char *region, const char *version,
			    const char *by, struct pb_buf *when, struct pb_buf *err)
{
	const char *p[6] = {alias, terms, region, version, by, UTC_TIME};
	PGresult *res;
	int rc;

	rc = no_downgrade(conn, alias, terms, region, version, err);
	if (rc < 0)
		return rc;
	res = pb_db_query(conn,
			  "INSERT INTO pb.terms_acceptance (alias, terms, region, version, accepted_by) "
			  "SELECT alias, $2, $3, $4, $5 FROM pb.clc_account WHERE alias = $1 "
			  "RETURNING to_char(accepted_at AT TIME ZONE 'UTC', $6)",
			  6, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return no_account(err, alias);
	}
	pb_buf_addstr(when, PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}
