/* suggest: the names of unmapped partner accounts through the mapping rules, and optionally the links they propose. */
#include "suggest.h"

#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "link.h"

#include "banned.h"

/* What the rules proposed for each name (row) of the query. */
struct proposals {
	char **alias; /* NULL: no rule matched */
	size_t *line;
	int n;
};

static void proposals_release(struct proposals *p)
{
	int i;

	for (i = 0; p->alias && i < p->n; i++)
		free(p->alias[i]);
	free(p->alias);
	free(p->line);
	memset(p, 0, sizeof(*p));
}

/* Matches every name of res; nothing is linked when one fails. */
static int match_all(struct pb_rules *rules, PGresult *res, struct proposals *p, struct pb_buf *err)
{
	struct pb_buf alias = PB_BUF_INIT;
	int i, ret = 0;

	p->n = PQntuples(res);
	p->alias = calloc((size_t)p->n + 1, sizeof(*p->alias));
	p->line = calloc((size_t)p->n + 1, sizeof(*p->line));
	if (!p->alias || !p->line) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_ERR_DEPENDENCY;
	}
	for (i = 0; i < p->n && ret == 0; i++) {
		int vendor = pb_vendor_index(PQgetvalue(res, i, 0));
		int rc = pb_rules_match(rules, vendor, PQgetvalue(res, i, 2), &alias, &p->line[i], err);

		if (rc < 0) {
			ret = rc;
		} else if (rc == 1) {
			p->alias[i] = strdup(pb_buf_str(&alias));
			if (!p->alias[i]) {
				pb_buf_reset(err);
				pb_buf_addstr(err, "out of memory");
				ret = PB_ERR_DEPENDENCY;
			}
		}
	}
	pb_buf_release(&alias);
	return ret;
}

static void add_csv_row(struct pb_buf *out, PGresult *res, int row, const char *alias, const char *rules, size_t line)
{
	int c;

	for (c = 0; c < 3; c++) {
		pb_buf_add_csv_field(out, PQgetvalue(res, row, c), (size_t)PQgetlength(res, row, c));
		pb_buf_addch(out, ',');
	}
	if (alias) {
		pb_buf_addf(out, "%s,", alias);
		pb_buf_add_csv_field(out, rules, strlen(rules));
		pb_buf_addf(out, ":%zu", line);
	} else {
		pb_buf_addch(out, ',');
	}
	pb_buf_addch(out, '\n');
}

/* Appends "PREFIX: line" to refused for each line of text. */
static void add_refusal(struct pb_buf *refused, const char *prefix, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		pb_buf_addf(refused, "%s: %.*s\n", prefix, (int)n, text);
		text += n;
		if (*text)
			text++;
	}
}

struct tally {
	unsigned linked, refused, unmatched;
};

/* Links rows first..last-1 (one partner account) when their names agree on one alias. */
static int apply_account(PGconn *conn, const struct pb_eligibility *e, PGresult *res, const struct proposals *p,
			 int first, int last, int32_t month, const char *rules, const char *by, struct pb_buf *out,
			 struct pb_buf *refused, struct tally *t, struct pb_buf *err)
{
	struct pb_buf who = PB_BUF_INIT, why = PB_BUF_INIT, origin = PB_BUF_INIT;
	const char *vendor = PQgetvalue(res, first, 0), *id = PQgetvalue(res, first, 1), *alias = NULL;
	int i, ret = 0, pick = -1;
	char day[11];

	for (i = first; i < last; i++) {
		if (!p->alias[i])
			continue;
		if (!alias) {
			alias = p->alias[i];
			pick = i;
		} else if (strcmp(alias, p->alias[i]) != 0) {
			alias = "";
		}
	}
	if (!alias) {
		t->unmatched++;
		goto out;
	}
	pb_buf_addf(&who, "%s partner account %s", vendor, id);
	if (!*alias) {
		pb_buf_addstr(&why, "its names propose different aliases:");
		for (i = first; i < last; i++)
			if (p->alias[i])
				pb_buf_addf(&why, " %s (%s)", p->alias[i], PQgetvalue(res, i, 2));
		add_refusal(refused, pb_buf_str(&who), pb_buf_str(&why));
		t->refused++;
		goto out;
	}
	ret = pb_eligibility_of(conn, e, alias, pb_vendor_index(vendor), &why, err);
	if (ret == 0) {
		pb_buf_addf(&origin, "suggest %s:%zu", rules, p->line[pick]);
		ret = pb_link_add(conn, pb_vendor_index(vendor), id, alias, month, PB_LINK_OPEN, pb_buf_str(&origin),
				  by, err);
	}
	if (ret == PB_ERR_REFUSED || ret == PB_ERR_DATA) {
		pb_buf_addf(&who, ": %s", alias);
		if (why.len) {
			pb_buf_addf(&who, ": not eligible for %s", vendor);
			add_refusal(refused, pb_buf_str(&who), pb_buf_str(&why));
		} else {
			add_refusal(refused, pb_buf_str(&who), pb_buf_str(err));
		}
		t->refused++;
		ret = 0;
		goto out;
	}
	if (ret < 0)
		goto out;
	pb_date_format(month, day);
	pb_buf_addf(out, "linked %s %s (%s) to %s from %s by rule %s:%zu\n", vendor, id, PQgetvalue(res, pick, 2),
		    alias, day, rules, p->line[pick]);
	t->linked++;
out:
	pb_buf_release(&who);
	pb_buf_release(&why);
	pb_buf_release(&origin);
	return ret;
}

int pb_suggest(PGconn *conn, struct pb_rules *rules, const struct pb_eligibility *e, int32_t month, int apply,
	       const char *by, struct pb_buf *out, struct pb_buf *refused, struct pb_buf *err)
{
	struct proposals p;
	struct tally t = {0, 0, 0};
	char day[11];
	const char *params[1] = {day};
	const char *name = pb_rules_name(rules);
	PGresult *res;
	int i, first, ret;

	memset(&p, 0, sizeof(p));
	pb_date_format(month, day);
	res = pb_db_query(conn,
			  "SELECT DISTINCT n.vendor, n.partner_account_id, n.name FROM pb.partner_account_name n "
			  "JOIN pb.import i ON i.id = n.import_id "
			  "WHERE i.status = 'committed' AND i.billing_month = $1::date AND NOT EXISTS ("
			  "SELECT 1 FROM pb.partner_account pa WHERE pa.vendor = n.vendor "
			  "AND pa.partner_account_id = n.partner_account_id "
			  "AND pa.validity && daterange($1::date, ($1::date + interval '1 month')::date)) "
			  "ORDER BY 1, 2, 3",
			  1, params, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	ret = match_all(rules, res, &p, err);
	if (ret < 0)
		goto out;
	if (!apply) {
		pb_buf_addstr(out, "vendor,partner_account_id,name,alias,rule\n");
		for (i = 0; i < p.n; i++)
			add_csv_row(out, res, i, p.alias[i], name, p.line[i]);
		goto out;
	}
	for (first = 0; first < p.n && ret == 0; first = i) {
		for (i = first + 1; i < p.n; i++)
			if (strcmp(PQgetvalue(res, i, 0), PQgetvalue(res, first, 0)) != 0 ||
			    strcmp(PQgetvalue(res, i, 1), PQgetvalue(res, first, 1)) != 0)
				break;
		ret = apply_account(conn, e, res, &p, first, i, month, name, by, out, refused, &t, err);
	}
	if (ret < 0)
		goto out;
	pb_buf_addf(out, "%u linked, %u refused, %u without a matching rule\n", t.linked, t.refused, t.unmatched);
	if (t.refused)
		ret = PB_ERR_REFUSED;
out:
	proposals_release(&p);
	PQclear(res);
	return ret;
}
