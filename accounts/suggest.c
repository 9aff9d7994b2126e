/*
 * suggest: the names of unmapped partner accounts through the mapping rules. What a name proposes is only
 * recorded as a proposal: names and tags are the customer's to write. With apply, only what the reseller
 * itself assigned is linked: the tenant create-azure-customer made for an account.
 */
#include "suggest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "link.h"
#include "proposal.h"

#include "banned.h"

/* The columns of the names query. */
enum { COL_VENDOR, COL_ACCOUNT, COL_NAME, COL_KIND };

/* The names are read from a cursor, this many rows at a time: the memory is the same whatever their number. */
#define FETCH_ROWS "1000"

/* An alias that a name of the current partner account proposed, and the proposal it became. */
struct proposed {
	char *alias, *proposal;
	int rejected;
};

struct run {
	PGconn *conn;
	struct pb_rules *rules_set;
	const char *rules; /* their file */
	int32_t month;
	char day[11]; /* the month's first day, YYYY-MM-DD */
	/* The partner account whose names are being read: its vendor and id, whether a name of it matched. */
	struct pb_buf vendor, account;
	int any;
	struct proposed *p; /* the aliases its names proposed, each once */
	size_t np, capp;
	unsigned unmatched;
	FILE *csv; /* without apply: the CSV rows go there */
};

struct tally {
	unsigned linked, refused, waiting, unmatched;
};

static int out_of_memory(struct pb_buf *err)
{
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return PB_ERR_DEPENDENCY;
}

static void forget_proposed(struct run *r)
{
	size_t k;

	for (k = 0; k < r->np; k++) {
		free(r->p[k].alias);
		free(r->p[k].proposal);
	}
	r->np = 0;
}

static void run_release(struct run *r)
{
	forget_proposed(r);
	free(r->p);
	pb_buf_release(&r->vendor);
	pb_buf_release(&r->account);
}

/* Starts the partner account of the row when it is another than the last one's; counts the last unmatched. */
static int next_account(struct run *r, const char *vendor, const char *account, struct pb_buf *err)
{
	if (r->vendor.len && strcmp(pb_buf_str(&r->vendor), vendor) == 0 &&
	    strcmp(pb_buf_str(&r->account), account) == 0)
		return 0;
	if (r->vendor.len && !r->any)
		r->unmatched++;
	forget_proposed(r);
	r->any = 0;
	pb_buf_reset(&r->vendor);
	pb_buf_reset(&r->account);
	pb_buf_addstr(&r->vendor, vendor);
	pb_buf_addstr(&r->account, account);
	return r->vendor.failed || r->account.failed ? out_of_memory(err) : 0;
}

/* The proposal an earlier name of the account made of alias, or NULL. */
static struct proposed *proposed_before(const struct run *r, const char *alias)
{
	size_t k;

	for (k = 0; k < r->np; k++)
		if (strcmp(r->p[k].alias, alias) == 0)
			return &r->p[k];
	return NULL;
}

/* Records the proposal of the name of row i of res (or finds the one an earlier name of the account made). */
static int record(struct run *r, PGresult *res, int i, const char *alias, size_t line, struct tally *t,
		  struct proposed **made, struct pb_buf *err)
{
	struct pb_buf rule = PB_BUF_INIT, id = PB_BUF_INIT;
	struct pb_proposal_in in;
	struct proposed *q = proposed_before(r, alias);
	int ret;

	*made = q;
	if (q)
		return 0;
	if (r->np == r->capp) {
		size_t cap = r->capp ? 2 * r->capp : 8;
		struct proposed *p = realloc(r->p, cap * sizeof(*p));

		if (!p)
			return out_of_memory(err);
		r->p = p;
		r->capp = cap;
	}
	q = &r->p[r->np];
	memset(q, 0, sizeof(*q));
	pb_buf_addf(&rule, "%s:%zu", r->rules, line);
	in.vendor = PQgetvalue(res, i, COL_VENDOR);
	in.partner_account_id = PQgetvalue(res, i, COL_ACCOUNT);
	in.alias = alias;
	in.rule = pb_buf_str(&rule);
	in.kind = PQgetvalue(res, i, COL_KIND);
	in.name = PQgetvalue(res, i, COL_NAME);
	in.month = r->month;
	ret = rule.failed ? out_of_memory(err) : pb_proposal_record(r->conn, &in, &id, &q->rejected, err);
	if (ret == 0) {
		q->alias = strdup(alias);
		q->proposal = strdup(pb_buf_str(&id));
		ret = q->alias && q->proposal ? 0 : out_of_memory(err);
	}
	if (ret == 0) {
		r->np++;
		*made = q;
		if (!q->rejected)
			t->waiting++;
	} else {
		free(q->alias);
		free(q->proposal);
	}
	pb_buf_release(&rule);
	pb_buf_release(&id);
	return ret;
}

/* The CSV row of suggest without apply of the name of row i of res. */
static int add_csv(struct run *r, PGresult *res, int i, const char *alias, size_t line, const struct proposed *q,
		   struct pb_buf *row, struct pb_buf *err)
{
	int c;

	pb_buf_reset(row);
	/* A name comes from a partner's export: its control characters as \\xHH. */
	for (c = COL_VENDOR; c <= COL_NAME; c++) {
		pb_account_add_shown(row, PQgetvalue(res, i, c), (size_t)PQgetlength(res, i, c), 1);
		pb_buf_addch(row, ',');
	}
	if (alias) {
		pb_buf_addf(row, "%s,", alias);
		pb_buf_add_csv_text(row, r->rules, strlen(r->rules));
		pb_buf_addf(row, ":%zu,%s,%s\n", line, q->proposal, q->rejected ? "rejected" : "proposed");
	} else {
		pb_buf_addstr(row, ",,,\n");
	}
	if (row->failed)
		return out_of_memory(err);
	if (fwrite(pb_buf_str(row), 1, row->len, r->csv) != row->len) {
		pb_buf_reset(err);
		pb_buf_addf(err, "writing the CSV to a temporary file: %s", strerror(errno ? errno : EIO));
		return PB_ERR_DEPENDENCY;
	}
	return 0;
}

/*
 * One pass over the names, in their order, in the transaction the caller began: each matched; with record,
 * what they propose recorded (each partner account and alias once), the CSV rows written when r->csv is
 * set, and the partner accounts none of whose names matched counted.
 */
static int names_pass(struct run *r, int rec, struct tally *t, struct pb_buf *err)
{
	struct pb_buf alias = PB_BUF_INIT, row = PB_BUF_INIT;
	const char *p[1] = {r->day};
	PGresult *res = NULL;
	int i, n, ret = 0;

	/* One row per name; a name the exports give under two kinds is evidence of the first kind. */
	if (pb_db_exec(r->conn,
		       "DECLARE suggest_names NO SCROLL CURSOR FOR "
		       "SELECT n.vendor, n.partner_account_id, n.name, min(n.kind) FROM pb.partner_account_name n "
		       "JOIN pb.import i ON i.id = n.import_id "
		       "WHERE i.status = 'committed' AND i.billing_month = $1::date AND NOT EXISTS ("
		       "SELECT 1 FROM pb.partner_account pa WHERE pa.vendor = n.vendor "
		       "AND pa.partner_account_id = n.partner_account_id "
		       "AND pa.validity && daterange($1::date, ($1::date + interval '1 month')::date)) "
		       "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
		       1, p, err) < 0)
		return PB_ERR_DEPENDENCY;
	do {
		res = pb_db_query(r->conn, "FETCH " FETCH_ROWS " FROM suggest_names", 0, NULL, err);
		if (!res) {
			ret = PB_ERR_DEPENDENCY;
			break;
		}
		n = PQntuples(res);
		for (i = 0; i < n && ret == 0; i++) {
			int vendor = pb_vendor_index(PQgetvalue(res, i, COL_VENDOR));
			struct proposed *q = NULL;
			size_t line = 0;
			int rc = pb_rules_match(r->rules_set, vendor, PQgetvalue(res, i, COL_NAME), &alias, &line, err);

			if (rc < 0) {
				ret = rc;
				break;
			}
			if (!rec)
				continue;
			ret = next_account(r, PQgetvalue(res, i, COL_VENDOR), PQgetvalue(res, i, COL_ACCOUNT), err);
			if (ret == 0 && rc == 1) {
				r->any = 1;
				ret = record(r, res, i, pb_buf_str(&alias), line, t, &q, err);
			}
			if (ret == 0 && r->csv)
				ret = add_csv(r, res, i, rc == 1 ? pb_buf_str(&alias) : NULL, line, q, &row, err);
		}
		PQclear(res);
	} while (ret == 0 && n > 0);
	if (ret == 0 && rec && r->vendor.len && !r->any)
		r->unmatched++;
	if (ret == 0 && pb_db_exec(r->conn, "CLOSE suggest_names", 0, NULL, err) < 0)
		ret = PB_ERR_DEPENDENCY;
	pb_buf_release(&alias);
	pb_buf_release(&row);
	return ret;
}

/* names_pass in a transaction of its own, committed when it succeeds, else rolled back (nothing recorded). */
static int names_pass_tx(struct run *r, int rec, struct tally *t, struct pb_buf *err)
{
	struct pb_buf ignore = PB_BUF_INIT;
	int ret;

	if (pb_db_exec(r->conn, "BEGIN", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	ret = names_pass(r, rec, t, err);
	if (ret == 0 && pb_db_exec(r->conn, "COMMIT", 0, NULL, err) < 0)
		ret = PB_ERR_DEPENDENCY;
	if (ret < 0)
		pb_db_exec(r->conn, "ROLLBACK", 0, NULL, &ignore);
	pb_buf_release(&ignore);
	return ret;
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

/*
 * Links tenant (row t of res: alias, tenant, request) to the account create-azure-customer made it for,
 * from the month's first day, eligibility enforced; a refusal is a line in refused, not an error.
 */
static int link_tenant(struct run *r, const struct pb_eligibility *e, PGresult *res, int row, const char *by,
		       struct pb_buf *out, struct pb_buf *refused, struct tally *t, struct pb_buf *err)
{
	const char *alias = PQgetvalue(res, row, 0), *tenant = PQgetvalue(res, row, 1);
	const char *request = PQgetvalue(res, row, 2);
	struct pb_buf who = PB_BUF_INIT, why = PB_BUF_INIT, origin = PB_BUF_INIT;
	int ret;

	pb_buf_addf(&origin, "suggest: the tenant of create-azure-customer request %s", request);
	ret = pb_link_add_eligible(r->conn, e, PB_VENDOR_AZURE, tenant, alias, r->month, PB_LINK_OPEN,
				   pb_buf_str(&origin), by, NULL, &why, err);
	if (ret == PB_ERR_REFUSED || ret == PB_ERR_DATA) {
		pb_buf_addf(&who, "azure partner account %s: %s", tenant, alias);
		if (why.len)
			pb_buf_addstr(&who, ": not eligible for azure");
		add_refusal(refused, pb_buf_str(&who), why.len ? pb_buf_str(&why) : pb_buf_str(err));
		t->refused++;
		ret = 0;
	} else if (ret == 0) {
		pb_buf_addf(
			out,
			"linked azure %s to %s from %s: the tenant create-azure-customer made for it (request %s)\n",
			tenant, alias, r->day, request);
		t->linked++;
	}
	pb_buf_release(&who);
	pb_buf_release(&why);
	pb_buf_release(&origin);
	return ret;
}

/*
 * The evidence the reseller assigned itself: tenants create-azure-customer made (requests that succeeded)
 * that the month's committed imports bill and that were never linked. A tenant with a link, even one that
 * ended or was removed, is left alone: the link was the evidence, and ending it was someone's decision.
 */
static int link_tenants(struct run *r, const struct pb_eligibility *e, const char *by, struct pb_buf *out,
			struct pb_buf *refused, struct tally *t, struct pb_buf *err)
{
	const char *p[1] = {r->day};
	PGresult *res;
	int i, ret = 0;

	res = pb_db_query(
		r->conn,
		"SELECT c.alias, c.tenant, c.request_id::text FROM (SELECT alias, lower(tenant_id) AS tenant, "
		"request_id "
		"FROM pb.customer_creation_request WHERE vendor = 'azure' AND status = 'succeeded') c "
		"WHERE (EXISTS (SELECT 1 FROM pb.import_account a JOIN pb.import i ON i.id = a.import_id "
		"WHERE a.partner_account_id = c.tenant AND i.vendor = 'azure' AND i.status = 'committed' "
		"AND i.billing_month = $1::date) OR EXISTS (SELECT 1 FROM pb.partner_account_name n JOIN pb.import i "
		"ON i.id = n.import_id WHERE n.vendor = 'azure' AND n.partner_account_id = c.tenant "
		"AND i.status = 'committed' AND i.billing_month = $1::date)) AND NOT EXISTS (SELECT 1 FROM "
		"pb.partner_account pa WHERE pa.vendor = 'azure' AND pa.partner_account_id = c.tenant) AND NOT EXISTS ("
		"SELECT 1 FROM pb.partner_account_removed pr WHERE pr.vendor = 'azure' AND "
		"pr.partner_account_id = c.tenant) ORDER BY 2",
		1, p, err);
	if (!res)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < PQntuples(res) && ret == 0; i++)
		ret = link_tenant(r, e, res, i, by, out, refused, t, err);
	PQclear(res);
	return ret;
}

int pb_suggest(PGconn *conn, struct pb_rules *rules, const struct pb_eligibility *e, int32_t month, int apply,
	       const char *by, FILE *csv, struct pb_buf *out, struct pb_buf *refused, struct pb_buf *err)
{
	struct run r;
	struct tally t = {0, 0, 0, 0};
	int ret;

	memset(&r, 0, sizeof(r));
	r.conn = conn;
	r.rules_set = rules;
	r.rules = pb_rules_name(rules);
	r.month = month;
	r.csv = apply ? NULL : csv;
	pb_buf_init(&r.vendor, 0);
	pb_buf_init(&r.account, 0);
	pb_date_format(month, r.day);
	if (!apply) {
		static const char header[] = "vendor,partner_account_id,name,alias,rule,proposal,status\n";

		if (fwrite(header, 1, sizeof(header) - 1, csv) != sizeof(header) - 1) {
			pb_buf_reset(err);
			pb_buf_addf(err, "writing the CSV to a temporary file: %s", strerror(errno ? errno : EIO));
			ret = PB_ERR_DEPENDENCY;
			goto out;
		}
		ret = names_pass_tx(&r, 1, &t, err);
		goto out;
	}
	/*
	 * Every name is matched before anything is linked or recorded; the accounts linked here are then no
	 * longer among the names (a link covers the month), so that their names propose nothing.
	 */
	ret = names_pass_tx(&r, 0, &t, err);
	if (ret == 0)
		ret = link_tenants(&r, e, by, out, refused, &t, err);
	if (ret == 0)
		ret = names_pass_tx(&r, 1, &t, err);
	if (ret < 0)
		goto out;
	pb_buf_addf(out, "%u linked, %u refused, %u proposed link%s wait%s for approval, %u without a matching rule\n",
		    t.linked, t.refused, t.waiting, t.waiting == 1 ? "" : "s", t.waiting == 1 ? "s" : "", r.unmatched);
	if (t.refused)
		ret = PB_ERR_REFUSED;
out:
	run_release(&r);
	return ret;
}
