/* Eligibility: every rule an account must pass, with the allowed countries of the eligibility config. */
#include "eligibility.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "db.h"
#include "exitcode.h"

#include "banned.h"

static void copy_text(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

const char pb_eligibility_facts_select[] =
	"SELECT a.alias, a.billing_country, a.is_reseller, coalesce(a.parent_reseller, ''), "
	"EXISTS (SELECT 1 FROM pb.terms_acceptance t WHERE t.alias = a.alias AND t.terms = 'centurylink'), "
	"EXISTS (SELECT 1 FROM pb.terms_acceptance t WHERE t.alias = a.alias AND t.terms = $1 "
	"AND t.region = a.billing_country) FROM pb.clc_account a ";

void pb_eligibility_facts_read(const PGresult *res, int row, struct pb_eligibility_facts *f)
{
	memset(f, 0, sizeof(*f));
	copy_text(f->alias, sizeof(f->alias), PQgetvalue(res, row, 0));
	copy_text(f->country, sizeof(f->country), PQgetvalue(res, row, 1));
	f->is_reseller = strcmp(PQgetvalue(res, row, 2), "t") == 0;
	copy_text(f->parent_reseller, sizeof(f->parent_reseller), PQgetvalue(res, row, 3));
	f->centurylink_terms = strcmp(PQgetvalue(res, row, 4), "t") == 0;
	f->vendor_terms = strcmp(PQgetvalue(res, row, 5), "t") == 0;
}

int pb_eligibility_facts_all(PGconn *conn, const char *const *aliases, size_t n, int vendor,
			     struct pb_eligibility_facts *f, struct pb_buf *err)
{
	struct pb_buf list = PB_BUF_INIT, sql = PB_BUF_INIT;
	const char *p[2] = {pb_vendor_names[vendor], NULL};
	PGresult *res;
	size_t i, r = 0;
	int rows;

	memset(f, 0, n * sizeof(*f));
	pb_db_text_array(&list, aliases, n);
	pb_buf_addf(&sql, "%sWHERE a.alias = ANY ($2::text[]) ORDER BY a.alias COLLATE \"C\" FOR SHARE OF a",
		    pb_eligibility_facts_select);
	if (list.failed || sql.failed) {
		pb_buf_release(&list);
		pb_buf_release(&sql);
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DEPENDENCY;
	}
	p[1] = pb_buf_str(&list);
	res = pb_db_query(conn, pb_buf_str(&sql), 2, p, err);
	pb_buf_release(&list);
	pb_buf_release(&sql);
	if (!res)
		return PB_ERR_DEPENDENCY;
	rows = PQntuples(res);
	for (i = 0; i < n && r < (size_t)rows; i++) {
		if (strcmp(aliases[i], PQgetvalue(res, (int)r, 0)) != 0)
			continue;
		pb_eligibility_facts_read(res, (int)r, &f[i]);
		r++;
	}
	PQclear(res);
	return 0;
}

int pb_eligibility_facts(PGconn *conn, const char *alias, int vendor, struct pb_eligibility_facts *f,
			 struct pb_buf *err)
{
	int ret = pb_eligibility_facts_all(conn, &alias, 1, vendor, f, err);

	if (ret == 0 && !f->alias[0]) {
		pb_buf_reset(err);
		pb_buf_addf(err, "no CLC account '%s'", alias);
		return PB_ERR_DATA;
	}
	return ret;
}

int pb_eligibility_check(const struct pb_eligibility *e, int vendor, const struct pb_eligibility_facts *f,
			 struct pb_buf *reasons)
{
	const char *name = pb_vendor_names[vendor];
	int failed = 0, allowed = 0;
	size_t i;

	if (f->is_reseller) {
		pb_buf_addstr(reasons, "reseller accounts are excluded\n");
		failed++;
	}
	if (f->parent_reseller[0]) {
		pb_buf_addf(reasons, "customer of reseller %s\n", f->parent_reseller);
		failed++;
	}
	for (i = 0; i < e->ncountries[vendor]; i++)
		if (strcmp(e->countries[vendor][i], f->country) == 0)
			allowed = 1;
	if (!allowed) {
		pb_buf_addf(reasons, "billing country %s is not among %s's allowed countries (", f->country, name);
		for (i = 0; i < e->ncountries[vendor]; i++)
			pb_buf_addf(reasons, "%s%s", i ? ", " : "", e->countries[vendor][i]);
		pb_buf_addstr(reasons, e->ncountries[vendor] ? ")\n" : "none)\n");
		failed++;
	}
	if (!f->centurylink_terms) {
		pb_buf_addstr(reasons, "terms not accepted: centurylink\n");
		failed++;
	}
	if (!f->vendor_terms) {
		pb_buf_addf(reasons, "terms not accepted: %s in region %s\n", name, f->country);
		failed++;
	}
	return failed;
}

int pb_eligibility_of(PGconn *conn, const struct pb_eligibility *e, const char *alias, int vendor,
		      struct pb_buf *reasons, struct pb_buf *err)
{
	struct pb_eligibility_facts f;
	int ret = pb_eligibility_facts(conn, alias, vendor, &f, err);

	if (ret < 0)
		return ret;
	return pb_eligibility_check(e, vendor, &f, reasons) ? PB_ERR_REFUSED : 0;
}
