/* Opening, hashing and recording the files of a price list. */
#include "reader.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "text.h"
#include "exitcode.h"
#include "url.h"

#include "banned.h"

int pb_price_reader_open(struct pb_price_reader *r, const char *path, struct pb_input **in, struct pb_buf *err)
{
	int rc = pb_input_open_ex(path, PB_INPUT_SHA256, r->fetch, in, err);

	r->file_items = 0;
	if (rc == PB_INPUT_ERR_REMOTE)
		return PB_ERR_DEPENDENCY;
	return rc < 0 ? PB_ERR_DATA : 0;
}

int pb_price_reader_failed(const struct pb_input *in)
{
	return pb_input_remote_failed(in) ? PB_ERR_DEPENDENCY : PB_ERR_DATA;
}

void pb_price_reader_progress(struct pb_price_reader *r, const struct pb_input *in)
{
	pb_progress_update(&r->progress, r->label, r->bytes + pb_input_raw_bytes(in), r->items + r->file_items);
}

/* The URI the audit records: a URL without a SAS, or file:// and the absolute path. NULL: no memory. */
static char *audit_uri(const char *path)
{
	char abs[PATH_MAX];

	if (pb_fetch_is_url(path) || strncmp(path, "file://", 7) == 0)
		return pb_url_redact(path);
	if (!realpath(path, abs))
		return pb_url_redact(path);
	/* A path may hold a SAS pasted with it (a download saved under its URL): recorded as a URL is. */
	return pb_url_file_uri(abs);
}

int pb_price_reader_done(struct pb_price_reader *r, const char *path, struct pb_input *in, struct pb_buf *err)
{
	char sha[65];
	char *uri = audit_uri(path);
	int ret = 0;

	if (!uri || pb_input_sha256(in, sha) < 0 ||
	    pb_price_load_file(r->load, uri, pb_input_raw_bytes(in), sha, pb_input_etag(in), r->file_items) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: out of memory, or the file was not read to its end", pb_input_name(in));
		ret = PB_ERR_DATA;
	}
	r->bytes += pb_input_raw_bytes(in);
	r->items += r->file_items;
	r->file_items = 0;
	r->files++;
	free(uri);
	pb_input_free(in);
	return ret;
}

/* name without case, blanks and underscores equals the len bytes at p the same way. */
static int same_name(const char *name, const char *p, size_t len)
{
	const char *end = p + len;

	for (;;) {
		while (*name == ' ' || *name == '_')
			name++;
		while (p < end && (*p == ' ' || *p == '_'))
			p++;
		if (!*name || p == end)
			return !*name && p == end;
		if ((*name | 0x20) != (*p | 0x20))
			return 0;
		name++;
		p++;
	}
}

long pb_price_column(const struct pb_csv *c, const char *const *names)
{
	size_t i;

	for (; *names; names++)
		for (i = 0; i < c->nfields; i++)
			if (same_name(*names, c->fields[i].ptr, c->fields[i].len))
				return (long)i;
	return -1;
}

long pb_price_column_again(const struct pb_csv *c, const char *const *names, long found)
{
	size_t i;

	for (; *names; names++) {
		if (!same_name(*names, c->fields[found].ptr, c->fields[found].len))
			continue;
		for (i = (size_t)found + 1; i < c->nfields; i++)
			if (same_name(*names, c->fields[i].ptr, c->fields[i].len))
				return (long)i;
		return -1;
	}
	return -1;
}

int pb_price_decimal_ok(const struct pb_decimal *d)
{
	unsigned __int128 m = d->mant;
	long exp = d->exp, digits = 0;

	if (m == 0)
		return 1;
	while (m % 10 == 0) {
		m /= 10;
		exp++;
	}
	for (; m; m /= 10)
		digits++;
	return exp >= -38 && digits + exp <= 20;
}

const char *pb_price_excerpt(const char *s, size_t n, char *buf)
{
	struct pb_buf b = PB_BUF_INIT;
	size_t keep = n;

	if (n > PB_PRICE_EXCERPT_MAX) {
		keep = PB_PRICE_EXCERPT_MAX;
		/* Not within a UTF-8 sequence. */
		while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
			keep--;
	}
	/* At most four bytes shown for each byte kept: the message is UTF-8 text, which the failed load records. */
	pb_text_add_visible(&b, s, keep);
	if (keep < n)
		pb_buf_addstr(&b, "...");
	snprintf(buf, PB_PRICE_EXCERPT, "%s", b.failed ? "..." : pb_buf_str(&b));
	pb_buf_release(&b);
	return buf;
}

void pb_price_at_line(struct pb_buf *err, const char *name, uint64_t line, const char *msg)
{
	size_t n = strlen(name);
	char *what;

	/* Not about the file's bytes ("cannot read 'x': Is a directory"): as it is. */
	if (strncmp(msg, name, n) != 0 || strncmp(msg + n, ": ", 2) != 0)
		return;
	what = strdup(msg + n + 2);
	pb_buf_reset(err);
	pb_buf_addf(err, "%s:%llu: %s", name, (unsigned long long)line, what ? what : "out of memory");
	free(what);
}

int pb_price_currency_ok(const char *p, size_t n)
{
	return n == 3 && p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z' && p[2] >= 'A' && p[2] <= 'Z';
}

/* Whether the timestamp s (pb_date_parse_iso has read it) is midnight UTC: every digit of its time zero, once its
 * offset is taken. */
static int at_midnight(const char *s, size_t n)
{
	size_t i = 11;
	int minutes, off = 0;

	if (n < 16)
		return 0;
	minutes = ((s[11] - '0') * 10 + (s[12] - '0')) * 60 + (s[14] - '0') * 10 + (s[15] - '0');
	i = 16;
	/* Seconds and their fraction: zero, or not midnight. */
	while (i < n && (s[i] == ':' || s[i] == '.' || s[i] == ',' || (s[i] >= '0' && s[i] <= '9'))) {
		if (s[i] >= '1' && s[i] <= '9')
			return 0;
		i++;
	}
	if (i < n && (s[i] == '+' || s[i] == '-') && n - i >= 3) {
		int sign = s[i] == '-' ? -1 : 1;
		size_t k = i + 3;

		off = ((s[i + 1] - '0') * 10 + (s[i + 2] - '0')) * 60;
		if (k < n && s[k] == ':')
			k++;
		if (k + 2 <= n)
			off += (s[k] - '0') * 10 + (s[k + 1] - '0');
		off *= sign;
	}
	return ((minutes - off) % 1440 + 1440) % 1440 == 0;
}

int pb_price_end_day(const char *s, size_t n, int32_t *day)
{
	if (pb_date_parse_any(s, n, day) < 0)
		return -1;
	/* A timestamp at midnight UTC (its day, in UTC) is the first day no longer in force. */
	if (n > 11 && (s[10] == 'T' || s[10] == ' ') && at_midnight(s, n))
		return 0;
	/* In force through the calendar's last day, a common way to say "no end": no day after it is written. */
	if (*day >= pb_date_from_ymd(9999, 12, 31)) {
		*day = 0;
		return 0;
	}
	(*day)++;
	return 0;
}
