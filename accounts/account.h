/* CLC accounts and the terms accepted for them: pb.clc_account and pb.terms_acceptance. */
#ifndef PB_ACCOUNT_H
#define PB_ACCOUNT_H

#include <stddef.h>

#include <libpq-fe.h>

#include "buf.h"
#include "exitcode.h"

/* The fields of a CLC account, in pb.clc_account's column order. */
enum pb_account_field {
	PB_ACCOUNT_ALIAS,
	PB_ACCOUNT_NAME,
	PB_ACCOUNT_COUNTRY,
	PB_ACCOUNT_RESELLER,
	PB_ACCOUNT_PARENT,
	PB_ACCOUNT_DOMAIN,
	PB_ACCOUNT_EMAIL,
	PB_ACCOUNT_FIRST_NAME,
	PB_ACCOUNT_LAST_NAME,
	PB_ACCOUNT_ADDRESS,
	PB_ACCOUNT_CITY,
	PB_ACCOUNT_STATE,
	PB_ACCOUNT_POSTAL_CODE,
	PB_ACCOUNT_PHONE,
	PB_ACCOUNT_INVOICE_CURRENCY, /* ISO 4217, USD unless given */
	PB_ACCOUNT_MARKUP,	     /* markup_percent: -100 to 1000, 0 unless given */
	PB_ACCOUNT_NFIELDS
};

/* The name of each field as a column of pb.clc_account (and of an import file), and as an option of add. */
struct pb_account_field_name {
	const char *column;
	const char *option;
};
extern const struct pb_account_field_name pb_account_fields[PB_ACCOUNT_NFIELDS];

/*
 * An account's fields as text, each NULL when not given. The account owns them; the reseller field is
 * "true" or "false" once set. Prepare with pb_account_init, free with pb_account_release.
 */
struct pb_account {
	char *v[PB_ACCOUNT_NFIELDS];
};

void pb_account_init(struct pb_account *a);
void pb_account_release(struct pb_account *a);

/* The longest text a field takes, in bytes. */
#define PB_ACCOUNT_MAX_TEXT 500

/*
 * Sets a field from len bytes of text, checked and normalized (aliases and country codes upper-cased,
 * domains lower-cased, the reseller flag from true/false/yes/no/1/0, empty text: not given). A country
 * must be an assigned ISO 3166-1 code, an invoice currency an active ISO 4217 code with a minor unit, a
 * markup a decimal from -100 to 1000 with at most 6 decimals (kept in its shortest form: "+012.50" is
 * "12.5"); no field may be longer than PB_ACCOUNT_MAX_TEXT bytes. The text
 * must be UTF-8 already (see text.h). Returns 0, or PB_ERR_DATA with a message without position in err
 * ("bad alias 'a-1': ...").
 */
int pb_account_set(struct pb_account *a, enum pb_account_field f, const char *value, size_t len, struct pb_buf *err);

/*
 * Appends len bytes of s as a message may show text from the user: control characters (C0, DEL, C1) and
 * bytes that are not UTF-8 as \xNN, format characters (a bidirectional override, U+2028) as \uNNNN,
 * everything else as it is (pb_text_add_visible).
 */
void pb_account_quote(struct pb_buf *b, const char *s, size_t len);

/*
 * The first character of the len bytes of UTF-8 at s that shows nothing though it is not a space, or 0: a
 * default ignorable code point of Unicode other than a format character (pb_text_format_char's, refused on their
 * own): the soft hyphen U+00AD, the zero width space, non-joiner and joiner U+200B to U+200D, the word joiner and
 * invisible operators U+2060 to U+2064, the variation selectors, the Hangul fillers, tags... Two names that
 * differ by one look the same. Its offset goes into *at. Control characters and the spaces (U+00A0, U+3000...)
 * are left to the other checks.
 */
unsigned pb_account_invisible(const char *s, size_t len, size_t *at);

/* Appends v as a message names a value: in single quotes, quoted as pb_account_quote does, or "(none)" for NULL. */
void pb_account_add_value(struct pb_buf *b, const char *v);

/*
 * Appends a stored value (len bytes of s) for 'show', 'list' or the proposals' list to put on a terminal: as
 * pb_account_quote shows it (a value written by an older build or by hand may hold control characters), and
 * when csv is set, then as one CSV field (pb_buf_add_csv_text).
 */
void pb_account_add_shown(struct pb_buf *b, const char *s, size_t len, int csv);

/* Upper-cases an alias into out (8 bytes) and checks it: 0, or PB_ERR_DATA with a message. */
int pb_account_alias(const char *alias, char *out, struct pb_buf *err);

/*
 * Inserts the account (alias, name and country are required; the invoice currency is USD and the markup 0
 * unless given). Returns 0; PB_ERR_DATA with a
 * message and *bad set to the field at fault (an alias that exists, a parent that is not a reseller);
 * or PB_ERR_DEPENDENCY. Runs in the caller's transaction, if any.
 */
int pb_account_insert(PGconn *conn, const struct pb_account *a, const char *by, enum pb_account_field *bad,
		      struct pb_buf *err);

/* What pb_account_stored finds of an account: none stored, one with the values given, one with others. */
enum { PB_ACCOUNT_NONE, PB_ACCOUNT_SAME, PB_ACCOUNT_OTHER };

/*
 * Looks for the account a names (its alias): *state PB_ACCOUNT_NONE when none is stored, PB_ACCOUNT_SAME when it
 * holds the values of a in each field that compare marks with a '1' (PB_ACCOUNT_NFIELDS characters '0' or '1', in
 * the order of enum pb_account_field), else PB_ACCOUNT_OTHER. Fields are compared as pb_account_set normalizes them
 * (a markup as a number); one not given compares as the value it is stored as (NULL, or USD, 0, false). With msg,
 * PB_ACCOUNT_OTHER appends to it each field that differs with the value stored and the one a gives: " with name
 * 'Acme' where the row has 'Acme Inc'" (", " between fields). Returns 0 or PB_ERR_DEPENDENCY.
 */
int pb_account_stored(PGconn *conn, const struct pb_account *a, const char *compare, int *state, struct pb_buf *msg,
		      struct pb_buf *err);

/* Reads the account alias into a. Returns 0, PB_ERR_DATA ("no CLC account 'X'") or _DEPENDENCY. */
int pb_account_get(PGconn *conn, const char *alias, struct pb_account *a, struct pb_buf *err);

/*
 * Changes the account alias: each field f with given[f] set (given has PB_ACCOUNT_NFIELDS entries; the
 * alias is never changed) takes the value to->v[f], NULL clearing an optional field. The fields that hold
 * their value already are left alone; the others change in one UPDATE that records by and the time, in a
 * transaction of its own (the connection must not be in one) that locks the row. Appends a line
 * "ALIAS: column OLD -> NEW" per changed field to changes, "(none)" standing for no value, and nothing
 * when nothing changes. Returns 0; PB_ERR_DATA with a message: "no CLC account 'X'", a required
 * field without a value, a parent that does not exist, is not a reseller or is the account itself, a
 * parent given to an account with customers, a reseller with customers made not one; or
 * PB_ERR_DEPENDENCY.
 */
int pb_account_update(PGconn *conn, const char *alias, const struct pb_account *to, const int *given, const char *by,
		      struct pb_buf *changes, struct pb_buf *err);

/*
 * Appends to out the account, its terms acceptances, partner account links and customer creation
 * requests, as "key: value" lines. Returns 0, PB_ERR_DATA or PB_ERR_DEPENDENCY.
 */
int pb_account_show(PGconn *conn, const char *alias, struct pb_buf *out, struct pb_buf *err);

/* Appends every account to out as CSV with a header line. Returns 0 or PB_ERR_DEPENDENCY. */
int pb_account_list(PGconn *conn, struct pb_buf *out, struct pb_buf *err);

/* The longest terms version, in bytes. */
#define PB_ACCOUNT_MAX_VERSION 64

/*
 * Whether version is of the form a terms version takes: numbers (ASCII digits) separated by single dots or
 * hyphens (1.10, 2026-01), so that any two versions have an order. Returns 0, or -1 with the offset in *bad of
 * the first byte that breaks the form (a separator at either end or after another, any other byte). The length
 * is left to the caller (PB_ACCOUNT_MAX_VERSION).
 */
int pb_account_version_check(const char *version, size_t *bad);

/*
 * How version a compares with version b, part by part: runs of digits as numbers (1.10 after 1.9, 01 as 1), the
 * characters between them alike but for the case of ASCII letters, a dot and a hyphen alike (2026-01 before
 * 2026.02); a version that is another's with parts more comes after it (1.2.1 after 1.2). Returns -1, 0 or 1, or 2
 * when they are written in different forms (rev-A and 1.2: a version stored before versions were checked), which
 * have no order.
 */
int pb_account_version_cmp(const char *a, const char *b);

/*
 * Records that by accepted version of terms ("centurylink", "aws" or "azure") for alias, in region (a
 * two-letter country code; NULL for the CenturyLink terms), within the caller's transaction. A version older
 * than one of the same terms and region accepted already (pb_account_version_cmp) is refused: the terms of an
 * account never go back. Appends the time recorded to when. Returns 0, PB_ERR_DATA or PB_ERR_DEPENDENCY.
 */
int pb_account_accept_terms(PGconn *conn, const char *alias, const char *terms, const char *region, const char *version,
			    const char *by, struct pb_buf *when, struct pb_buf *err);

#endif
