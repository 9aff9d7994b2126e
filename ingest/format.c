/* What every export format shares: the statistics of a file and small field checks. */
#include "format.h"

#include <string.h>
#include <strings.h>

#include "date.h"
#include "text.h"

#include "banned.h"

void pb_stats_unknown(struct pb_format_stats *s, const char *t, size_t n, uint64_t count)
{
	size_t i;

	for (i = 0; i < s->nunknown; i++) {
		if (strlen(s->unknown[i].name) == n && memcmp(s->unknown[i].name, t, n) == 0) {
			s->unknown[i].count += count;
			return;
		}
	}
	if (s->nunknown < PB_MAX_UNKNOWN && n < sizeof(s->unknown[0].name)) {
		memcpy(s->unknown[s->nunknown].name, t, n);
		s->unknown[s->nunknown].name[n] = '\0';
		s->unknown[s->nunknown].count = count;
		s->nunknown++;
		return;
	}
	s->unknown_other += count;
}

struct pb_text pb_stats_category(struct pb_format_stats *s, const char *cat, const char *type, size_t n)
{
	struct pb_text t = {type, n};

	if (cat) {
		t.ptr = cat;
		t.len = strlen(cat);
	} else {
		pb_stats_unknown(s, type, n, 1);
	}
	return t;
}

void pb_stats_merge(struct pb_format_stats *dst, const struct pb_format_stats *src)
{
	size_t i;

	dst->lines += src->lines;
	dst->rounded += src->rounded;
	dst->no_invoice += src->no_invoice;
	dst->no_list += src->no_list;
	dst->priced += src->priced;
	dst->unknown_other += src->unknown_other;
	for (i = 0; i < src->nunknown; i++)
		pb_stats_unknown(dst, src->unknown[i].name, strlen(src->unknown[i].name), src->unknown[i].count);
}

void pb_stats_reset(struct pb_format_stats *s)
{
	memset(s, 0, sizeof(*s));
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

void pb_stats_warn(FILE *out, const char *prog, const char *name, const struct pb_format_stats *s)
{
	size_t i;

	if (s->rounded)
		fprintf(out,
			"%s: %s: warning: %llu amount%s had more than 18 decimal places and %s rounded "
			"half-to-even\n",
			prog, name, (unsigned long long)s->rounded, plural(s->rounded),
			s->rounded == 1 ? "was" : "were");
	if (s->no_list)
		fprintf(out, "%s: %s: warning: %llu line%s no list price; %s list cost is left empty\n", prog, name,
			(unsigned long long)s->no_list, s->no_list == 1 ? " has" : "s have",
			s->no_list == 1 ? "its" : "their");
	for (i = 0; i < s->nunknown; i++)
		fprintf(out, "%s: %s: warning: %llu line%s of unknown charge type '%s' kept as charge category '%s'\n",
			prog, name, (unsigned long long)s->unknown[i].count, plural(s->unknown[i].count),
			s->unknown[i].name, s->unknown[i].name);
	if (s->unknown_other)
		fprintf(out, "%s: %s: warning: %llu more lines of other unknown charge types\n", prog, name,
			(unsigned long long)s->unknown_other);
}

/* The first field after index first equal to name (ASCII case-insensitive), or -1. */
static long find_after(const struct pb_csv *c, const char *name, long first)
{
	size_t i, n = strlen(name);

	for (i = (size_t)(first + 1); i < c->nfields; i++)
		if (c->fields[i].len == n && strncasecmp(c->fields[i].ptr, name, n) == 0)
			return (long)i;
	return -1;
}

int pb_find_columns(const struct pb_csv *c, const char *const (*names)[PB_MAX_ALT], int n, long (*alt)[PB_MAX_ALT],
		    struct pb_buf *err, size_t *field)
{
	int k, j;

	for (k = 0; k < n; k++) {
		int nalt = 0;

		for (j = 0; j < PB_MAX_ALT; j++)
			alt[k][j] = -1;
		for (j = 0; j < PB_MAX_ALT && names[k][j]; j++) {
			long idx = pb_csv_find(c, names[k][j], 1), again;

			if (idx < 0)
				continue;
			/* Two columns of one name: which one holds the amount is anyone's guess. */
			again = find_after(c, names[k][j], idx);
			if (again >= 0) {
				pb_buf_reset(err);
				pb_buf_addf(err, "duplicate column '%.*s' (also column %ld of the header)",
					    (int)c->fields[again].len, c->fields[again].ptr, idx + 1);
				*field = (size_t)again;
				return -1;
			}
			alt[k][nalt++] = idx;
		}
	}
	return 0;
}

size_t pb_found_columns(const long (*alt)[PB_MAX_ALT], int n, size_t *out)
{
	size_t count = 0;
	int k, j;

	for (k = 0; k < n; k++)
		for (j = 0; j < PB_MAX_ALT; j++)
			if (alt[k][j] >= 0)
				out[count++] = (size_t)alt[k][j];
	return count;
}

struct pb_text pb_first_text(const struct pb_csv *c, const long *alt)
{
	struct pb_text t = {"", 0};
	int j;

	for (j = 0; j < PB_MAX_ALT && alt[j] >= 0; j++) {
		const struct pb_csv_field *f = &c->fields[alt[j]];

		if (f->len) {
			t.ptr = f->ptr;
			t.len = f->len;
			break;
		}
	}
	return t;
}

/* The length of the UTF-8 sequence at p (at most n bytes) when it is a visible character's, else 0. */
static size_t visible_utf8(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;

	if (!len || len > n || pb_text_check((const char *)p, len, NULL, NULL) < 0)
		return 0;
	/* A byte order mark or a C1 control shows nothing: it is what a reader must be shown. */
	if ((len == 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) || (len == 2 && p[0] == 0xC2 && p[1] < 0xA0))
		return 0;
	return len;
}

/* "WHAT "VALUE" in PLACE 'NAME'" added to err: the start of the messages on a bad value below. */
static void value_in(struct pb_buf *err, const char *what, const char *ptr, size_t len, const char *place,
		     const char *name)
{
	pb_buf_addf(err, "%s ", what);
	pb_add_quoted_value(err, ptr, len);
	pb_buf_addf(err, " in %s '%s'", place, name);
}

void pb_bad_value_add(struct pb_buf *err, const char *what, const char *ptr, size_t len, const char *place,
		      const char *name)
{
	pb_buf_addstr(err, "bad ");
	value_in(err, what, ptr, len, place, name);
}

int pb_date_range_add(struct pb_buf *err, enum pb_date_case c, const char *what, const char *ptr, size_t len,
		      const char *place, const char *name)
{
	value_in(err, what, ptr, len, place, name);
	pb_buf_addf(err, " is out of range: %s", pb_date_bound(c));
	return -1;
}

int pb_date_range_error(struct pb_buf *err, enum pb_date_case c, const char *what, const char *ptr, size_t len,
			const char *place, const char *name)
{
	pb_buf_reset(err);
	return pb_date_range_add(err, c, what, ptr, len, place, name);
}

void pb_add_quoted_value(struct pb_buf *err, const char *ptr, size_t len)
{
	const unsigned char *p = (const unsigned char *)ptr;
	size_t i = 0, n = len < 40 ? len : 40;

	/* Invisible and invalid bytes as \xHH, so that the message shows what is wrong and stays UTF-8. */
	pb_buf_addch(err, '"');
	while (i < n) {
		size_t k = p[i] >= 0x80 ? visible_utf8(p + i, len - i) : 0;

		if (k) {
			pb_buf_add(err, ptr + i, k);
			i += k;
		} else if (p[i] < 0x20 || p[i] >= 0x7F) {
			pb_buf_addf(err, "\\x%02x", p[i++]);
		} else if (p[i] == '\\') {
			pb_buf_addstr(err, "\\\\");
			i++;
		} else {
			pb_buf_addch(err, ptr[i++]);
		}
	}
	pb_buf_addstr(err, len > i ? "...\"" : "\"");
}

int pb_valid_currency(const char *ptr, size_t len)
{
	size_t i;

	if (len != 3)
		return 0;
	for (i = 0; i < 3; i++)
		if (ptr[i] < 'A' || ptr[i] > 'Z')
			return 0;
	return 1;
}

int pb_text_is(const char *ptr, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(ptr, name, len) == 0;
}

struct pb_text pb_azure_id(struct pb_text t, char buf[40])
{
	size_t i;
	int upper = 0;

	if (t.len != 36)
		return t;
	/* Most ids are lowercase already: one branch-free pass says so. */
	for (i = 0; i < 36; i++)
		upper |= (unsigned char)(t.ptr[i] - 'A') < 6;
	if (!upper)
		return t;
	for (i = 0; i < 36; i++) {
		char ch = t.ptr[i];

		if (i == 8 || i == 13 || i == 18 || i == 23
			    ? ch != '-'
			    : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
			return t;
	}
	for (i = 0; i < 36; i++)
		buf[i] = t.ptr[i] >= 'A' && t.ptr[i] <= 'F' ? (char)(t.ptr[i] - 'A' + 'a') : t.ptr[i];
	buf[36] = '\0';
	t.ptr = buf;
	return t;
}

int pb_valid_guid(const char *ptr, size_t len)
{
	size_t i;

	if (len != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		char c = ptr[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			return 0;
		}
	}
	return 1;
}

int pb_valid_aws_account(const char *ptr, size_t len)
{
	size_t i;

	if (len != 12)
		return 0;
	for (i = 0; i < 12; i++)
		if (ptr[i] < '0' || ptr[i] > '9')
			return 0;
	return 1;
}

int pb_month_check(int32_t month, int aws, const struct pb_usage *u, struct pb_buf *msg, int *usage_field)
{
	char want[11], got[11];
	int y, m, d;
	int32_t next;

	pb_date_to_ymd(month, &y, &m, &d);
	next = m == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, m + 1, 1);
	pb_date_format(month, want);
	pb_buf_reset(msg);
	*usage_field = 0;
	if (u->billing_month != month) {
		pb_date_format(u->billing_month, got);
		pb_buf_addf(msg, "billing period starts %s, but this import is for the month of %s", got, want);
		return -1;
	}
	if (pb_date_after_last_month(month)) {
		pb_buf_addf(msg, "billing period starts %s, out of range: %s", want, pb_date_bound(PB_DATE_AFTER_LAST));
		return -1;
	}
	if (u->usage_date >= next || (aws && u->usage_date < month)) {
		pb_date_format(u->usage_date, got);
		*usage_field = 1;
		if (u->usage_date >= next)
			pb_buf_addf(msg, "usage date %s is after the billing month of %s", got, want);
		else
			pb_buf_addf(msg, "usage date %s is outside the billing month of %s", got, want);
		return -1;
	}
	return 0;
}
