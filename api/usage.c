/* The answers' JSON, from the rows as PostgreSQL gives them: every amount is copied, never converted. */
#include "usage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "json.h"
#include "queries.h"

#include "banned.h"

#define FIRST_MONTH (2000 * 12 + 1) /* 2000-01, as a year * 12 + month */

int pb_api_usage_month(const char *s, int64_t now, char month[8])
{
	int32_t day;
	int y, m, d, ny, nm;

	/* Year 0000 is of the form: it is before 2000-01, out of range as 1999-12 is, not malformed. */
	if (!s || pb_date_read(s, strlen(s), PB_DATE_MONTH, &day) == PB_DATE_MALFORMED)
		return -1;
	pb_date_to_ymd(day, &y, &m, &d);
	pb_date_to_ymd((int32_t)(now / 86400), &ny, &nm, &d);
	if (y * 12 + m < FIRST_MONTH || y * 12 + m > ny * 12 + nm + 1)
		return -2;
	memcpy(month, s, 8);
	return 0;
}

int pb_api_usage_alias_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')) || n >= 6)
			return 0;
	return n >= 2;
}

static void copy_field(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

int pb_api_usage_run(PGresult *res, struct pb_api_run *run)
{
	char *end;

	memset(run, 0, sizeof(*run));
	if (PQntuples(res) == 0)
		return 0;
	if (PQnfields(res) != 4)
		return -1;
	errno = 0;
	run->id = strtoll(PQgetvalue(res, 0, 0), &end, 10);
	if (errno || *end || run->id <= 0)
		return -1;
	copy_field(run->id_text, sizeof(run->id_text), PQgetvalue(res, 0, 0));
	copy_field(run->as_of, sizeof(run->as_of), PQgetvalue(res, 0, 1));
	copy_field(run->finished_at, sizeof(run->finished_at), PQgetvalue(res, 0, 2));
	copy_field(run->month, sizeof(run->month), PQgetvalue(res, 0, 3));
	run->found = 1;
	return 0;
}

static void add_run(struct pb_api_json *j, const struct pb_api_run *run)
{
	pb_api_json_key(j, "run");
	pb_api_json_open(j, '{');
	pb_api_json_key(j, "id");
	pb_api_json_int(j, run->id);
	pb_api_json_key(j, "as_of");
	pb_api_json_string(j, run->as_of);
	pb_api_json_key(j, "finished_at");
	pb_api_json_string(j, run->finished_at);
	pb_api_json_close(j, '}');
}

/* Starts an answer into out: its object, the account's alias (unless alias is NULL), the month and its run. */
static void open_answer(struct pb_api_json *j, struct pb_buf *out, const struct pb_api_run *run, const char *alias)
{
	pb_api_json_init(j, out);
	pb_api_json_open(j, '{');
	if (alias) {
		pb_api_json_key(j, "alias");
		pb_api_json_string(j, alias);
	}
	pb_api_json_key(j, "month");
	pb_api_json_string(j, run->month);
	add_run(j, run);
}

static void add_interval(struct pb_api_json *j, const char *name, const char *low, const char *high)
{
	pb_api_json_key(j, name);
	pb_api_json_open(j, '{');
	pb_api_json_key(j, "low");
	pb_api_json_decimal(j, low);
	pb_api_json_key(j, "high");
	pb_api_json_decimal(j, high);
	pb_api_json_close(j, '}');
}

static const char *fig(PGresult *res, int i, int col0, int c)
{
	return PQgetvalue(res, i, col0 + c);
}

/* One figures object from row i, its columns from col0 on; with the vendor's name unless it is the total. */
static void add_figures(struct pb_api_json *j, PGresult *res, int i, int col0, int with_vendor)
{
	const char *complete = fig(res, i, col0, PB_API_FIG_COMPLETE);

	pb_api_json_open(j, '{');
	if (with_vendor) {
		pb_api_json_key(j, "vendor");
		pb_api_json_string(j, fig(res, i, col0, PB_API_FIG_VENDOR));
	}
	pb_api_json_key(j, "currency");
	pb_api_json_string(j, fig(res, i, col0, PB_API_FIG_CURRENCY));
	pb_api_json_key(j, "month_to_date");
	pb_api_json_decimal(j, fig(res, i, col0, PB_API_FIG_MTD));
	pb_api_json_key(j, "markup");
	pb_api_json_decimal(j, fig(res, i, col0, PB_API_FIG_MARKUP));
	pb_api_json_key(j, "estimate");
	pb_api_json_decimal(j, fig(res, i, col0, PB_API_FIG_ESTIMATE));
	add_interval(j, "interval_80", fig(res, i, col0, PB_API_FIG_LOW80), fig(res, i, col0, PB_API_FIG_HIGH80));
	add_interval(j, "interval_90", fig(res, i, col0, PB_API_FIG_LOW90), fig(res, i, col0, PB_API_FIG_HIGH90));
	pb_api_json_key(j, "method");
	pb_api_json_string(j, fig(res, i, col0, PB_API_FIG_METHOD));
	pb_api_json_key(j, "complete_through");
	pb_api_json_string(j, *complete ? complete : NULL);
	pb_api_json_key(j, "final");
	pb_api_json_bool(j, fig(res, i, col0, PB_API_FIG_FINAL)[0] == 't');
	pb_api_json_close(j, '}');
}

/* The figures of the account whose rows are [first, end): the total ('all', first), then each vendor. */
static int add_account(struct pb_api_json *j, PGresult *res, int first, int end, int col0)
{
	int i;

	if (strcmp(PQgetvalue(res, first, col0 + PB_API_FIG_VENDOR), "all") != 0)
		return -1;
	pb_api_json_key(j, "total");
	add_figures(j, res, first, col0, 0);
	pb_api_json_key(j, "vendors");
	pb_api_json_open(j, '[');
	for (i = first + 1; i < end; i++)
		add_figures(j, res, i, col0, 1);
	pb_api_json_close(j, ']');
	return 0;
}

int pb_api_usage_account(const struct pb_api_run *run, const char *alias, PGresult *res, struct pb_buf *out)
{
	struct pb_api_json j;

	if (PQnfields(res) != PB_API_FIG_NCOLUMNS)
		return -1;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, PB_API_FIG_VENDOR))
		return 1;
	open_answer(&j, out, run, alias);
	if (add_account(&j, res, 0, PQntuples(res), 0) < 0)
		return -1;
	pb_api_json_close(&j, '}');
	return pb_api_json_finish(&j);
}

/* The days of the vendor whose rows are [first, end) (none when its one row has no date). */
static void add_days(struct pb_api_json *j, PGresult *res, int first, int end)
{
	int i;

	pb_api_json_key(j, "days");
	pb_api_json_open(j, '[');
	for (i = first; i < end; i++) {
		if (!*PQgetvalue(res, i, 2))
			continue;
		pb_api_json_open(j, '{');
		pb_api_json_key(j, "date");
		pb_api_json_string(j, PQgetvalue(res, i, 2));
		pb_api_json_key(j, "usage");
		pb_api_json_decimal(j, PQgetvalue(res, i, 3));
		pb_api_json_key(j, "one_off");
		pb_api_json_decimal(j, PQgetvalue(res, i, 4));
		pb_api_json_close(j, '}');
	}
	pb_api_json_close(j, ']');
}

int pb_api_usage_daily(const struct pb_api_run *run, const char *alias, PGresult *res, struct pb_buf *out)
{
	struct pb_api_json j;
	int i, end, n = PQntuples(res);

	if (PQnfields(res) != 5)
		return -1;
	if (n == 0 || PQgetisnull(res, 0, 0))
		return 1;
	open_answer(&j, out, run, alias);
	pb_api_json_key(&j, "vendors");
	pb_api_json_open(&j, '[');
	for (i = 0; i < n; i = end) {
		for (end = i + 1; end < n && strcmp(PQgetvalue(res, end, 0), PQgetvalue(res, i, 0)) == 0; end++)
			;
		pb_api_json_open(&j, '{');
		pb_api_json_key(&j, "vendor");
		pb_api_json_string(&j, PQgetvalue(res, i, 0));
		pb_api_json_key(&j, "currency");
		pb_api_json_string(&j, PQgetvalue(res, i, 1));
		add_days(&j, res, i, end);
		pb_api_json_close(&j, '}');
	}
	pb_api_json_close(&j, ']');
	pb_api_json_close(&j, '}');
	return pb_api_json_finish(&j);
}

/* The accounts of the page; *next is set to the first alias past it, or "" when there is none. */
static int add_accounts(struct pb_api_json *j, PGresult *res, unsigned limit, char next[8])
{
	int i, end, n = PQntuples(res);
	unsigned count = 0;

	/* A page without accounts is one row of NULLs. */
	if (n == 1 && PQgetisnull(res, 0, 0))
		n = 0;
	next[0] = '\0';
	pb_api_json_key(j, "accounts");
	pb_api_json_open(j, '[');
	for (i = 0; i < n; i = end) {
		for (end = i + 1; end < n && strcmp(PQgetvalue(res, end, 0), PQgetvalue(res, i, 0)) == 0; end++)
			;
		if (count == limit) {
			copy_field(next, 8, PQgetvalue(res, i - 1, 0));
			break;
		}
		pb_api_json_open(j, '{');
		pb_api_json_key(j, "alias");
		pb_api_json_string(j, PQgetvalue(res, i, 0));
		if (add_account(j, res, i, end, 1) < 0)
			return -1;
		pb_api_json_close(j, '}');
		count++;
	}
	pb_api_json_close(j, ']');
	return 0;
}

int pb_api_usage_list(const struct pb_api_run *run, PGresult *res, unsigned limit, struct pb_buf *out)
{
	struct pb_api_json j;
	char next[8], cursor[PB_API_CURSOR_MAX];

	if (PQnfields(res) != PB_API_FIG_NCOLUMNS + 1)
		return -1;
	open_answer(&j, out, run, NULL);
	if (add_accounts(&j, res, limit, next) < 0)
		return -1;
	pb_api_usage_cursor_make(run->id, next, cursor);
	pb_api_json_key(&j, "next_cursor");
	pb_api_json_string(&j, next[0] ? cursor : NULL);
	pb_api_json_close(&j, '}');
	return pb_api_json_finish(&j);
}

void pb_api_usage_cursor_make(long long run, const char *alias, char cursor[PB_API_CURSOR_MAX])
{
	snprintf(cursor, PB_API_CURSOR_MAX, "%lld.%s", run, alias);
}

int pb_api_usage_cursor(const char *s, long long *run, char alias[8])
{
	const char *dot = strchr(s, '.');
	char *end;

	if (!dot || dot == s || s[0] < '1' || s[0] > '9' || dot - s > 19)
		return -1;
	errno = 0;
	*run = strtoll(s, &end, 10);
	if (errno || end != dot || strlen(dot + 1) > 6 || !pb_api_usage_alias_ok(dot + 1))
		return -1;
	copy_field(alias, 8, dot + 1);
	return 0;
}
