/* What every export format shares: the statistics of a file and small field checks. */
#include "format.h"

#include <string.h>
#include <strings.h>

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

void pb_stats_merge(struct pb_format_stats *dst, const struct pb_format_stats *src)
{
	size_t i;

	dst->lines += src->lines;
	dst->rounded += src->rounded;
	dst->no_invoice += src->no_invoice;
	dst->no_list += src->no_list;
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

void pb_find_columns(const struct pb_csv *c, const char *const (*names)[PB_MAX_ALT], int n, long (*alt)[PB_MAX_ALT])
{
	int k, j;

	for (k = 0; k < n; k++) {
		int nalt = 0;

		for (j = 0; j < PB_MAX_ALT; j++)
			alt[k][j] = -1;
		for (j = 0; j < PB_MAX_ALT && names[k][j]; j++) {
			long idx = pb_csv_find(c, names[k][j], 1);

			if (idx >= 0)
				alt[k][nalt++] = idx;
		}
	}
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

void pb_add_quoted_value(struct pb_buf *err, const char *ptr, size_t len)
{
	if (len <= 40)
		pb_buf_addf(err, "\"%.*s\"", (int)len, ptr);
	else
		pb_buf_addf(err, "\"%.40s...\"", ptr);
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
