/*
 * suggest: the names of unmapped partner accounts through the mapping rules. What a name proposes is only
 * recorded as a proposal: names and tags are the customer's to write. With apply, only what the reseller
 * itself assigned is linked: the tenant create-azure-customer made for an account.
 */
#include "suggest.h"

#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "link.h"
#include "proposal.h"

#include "banned.h"

/* The columns of the names query. */
enum { COL_VENDOR, COL_ACCOUNT, COL_NAME, COL_KIND };

/* What the rules proposed for one name (row) of the query, and the proposal it became. */
struct match {
	char *alias; /* NULL: no rule matched */
	size_t line;
	char *proposal; /* its id, once recorded */
	int rejected;	/* the pair was rejected before: not proposed again */
	int linked;	/* the partner account was linked by this run */
};

struct run {
	PGconn *conn;
	PGresult *res;
	struct match *m;
	int n;
	const char *rules; /* their file */
	int32_t month;
	char day[11]; /* the month's first day, YYYY-MM-DD */
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

static void run_release(struct run *r)
{
	int i;

	for (i = 0; r->m && i < r->n; i++) {
		free(r->m[i].alias);
		free(r->m[i].proposal);
	}
	free(r->m);
	PQclear(r->res);
}

/* Matches every name; nothing is recorded or linked when one fails. */
static int match_all(struct run *r, struct pb_rules *rules, struct pb_buf *err)
{
	struct pb_buf alias = PB_BUF_INIT;
	int i, ret = 0;

	r->n = PQntuples(r->res);
	r->m = calloc((size_t)r->n + 1, sizeof(*r->m));
	if (!r->m)
		return out_of_memory(err);
	for (i = 0; i < r->n && ret == 0; i++) {
		int vendor = pb_vendor_index(PQgetvalue(r->res, i, COL_VENDOR));
		int rc = pb_rules_match(rules, vendor, PQgetvalue(r->res, i, COL_NAME), &alias, &r->m[i].line, err);

		if (rc < 0) {
			ret = rc;
		} else if (rc == 1) {
			r->m[i].alias = strdup(pb_buf_str(&alias));
			ret = r->m[i].alias ? 0 : out_of_memory(err);
		}
	}
	pb_buf_release(&alias);
	return ret;
}

/* Whether rows i and j are of one partner account. */
static int same_account(const struct run *r, int i, int j)
{
	return strcmp(PQgetvalue(r->res, i, COL_VENDOR), PQgetvalue(r->res, j, COL_VENDOR)) == 0 &&
	       strcmp(PQgetvalue(r->res, i, COL_ACCOUNT), PQgetvalue(r->res, j, COL_ACCOUNT)) == 0;
}

/* A row before i, of the same partner account, whose name proposed the same alias; or -1. */
static int proposed_before(const struct run *r, int i)
{
	int j;

	for (j = i - 1; j >= 0 && same_account(r, i, j); j--)
		if (r->m[j].alias && strcmp(r->m[j].alias, r->m[i].alias) == 0)
			return j;
	return -1;
}

/* Records the proposal of row i (or finds the one an earlier name of the account made). */
static int record(struct run *r, int i, struct tally *t, struct pb_buf *err)
{
	struct pb_buf rule = PB_BUF_INIT, id = PB_BUF_INIT;
	struct pb_proposal_in in;
	int j = proposed_before(r, i), ret;

	if (j >= 0) {
		r->m[i].rejected = r->m[j].rejected;
		r->m[i].proposal = strdup(r->m[j].proposal);
		return r->m[i].proposal ? 0 : out_of_memory(err);
	}
	pb_buf_addf(&rule, "%s:%zu", r->rules, r->m[i].line);
	in.vendor = PQgetvalue(r->res, i, COL_VENDOR);
	in.partner_account_id = PQgetvalue(r->res, i, COL_ACCOUNT);
	in.alias = r->m[i].alias;
	in.rule = pb_buf_str(&rule);
	in.kind = PQgetvalue(r->res, i, COL_KIND);
	in.name = PQgetvalue(r->res, i, COL_NAME);
	in.month = r->month;
	ret = rule.failed ? out_of_memory(err) : pb_proposal_record(r->conn, &in, &id, &r->m[i].rejected, err);
	if (ret == 0) {
		r->m[i].proposal = strdup(pb_buf_str(&id));
		ret = r->m[i].proposal ? 0 : out_of_memory(err);
	}
	if (ret == 0 && !r->m[i].rejected)
		t->waiting++;
	pb_buf_release(&rule);
	pb_buf_release(&id);
	return ret;
}

/* Records every proposal of the run in one transaction, leaving out the accounts it linked. */
static int record_all(struct run *r, struct tally *t, struct pb_buf *err)
{
	struct pb_buf ignore = PB_BUF_INIT;
	int i, ret = 0;

	if (pb_db_exec(r->conn, "BEGIN", 0, NULL, err) < 0)
		return PB_ERR_DEPENDENCY;
	for (i = 0; i < r->n && ret == 0; i++)
		if (r->m[i].alias && !r->m[i].linked)
			ret = record(r, i, t, err);
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

/* Marks the rows of Azure partner account id as linked. */
static void mark_linked(struct run *r, const char *id)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (strcmp(PQgetvalue(r->res, i, COL_VENDOR), "azure") == 0 &&
		    strcmp(PQgetvalue(r->res, i, COL_ACCOUNT), id) == 0)
			r->m[i].linked = 1;
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
		mark_linked(r, tenant);
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

/* Counts the partner accounts no name of which a rule matched (and which this run did not link). */
static unsigned unmatched(const struct run *r)
{
	unsigned n = 0;
	int i, first, any;

	for (first = 0; first < r->n; first = i) {
		any = r->m[first].linked;
		for (i = first; i < r->n && same_account(r, i, first); i++)
			any |= r->m[i].alias != NULL;
		n += !any;
	}
	return n;
}

/* The CSV of suggest without apply: one row per name. */
static void add_csv(const struct run *r, struct pb_buf *out)
{
	int i, c;

	pb_buf_addstr(out, "vendor,partner_account_id,name,alias,rule,proposal,status\n");
	for (i = 0; i < r->n; i++) {
		for (c = COL_VENDOR; c <= COL_NAME; c++) {
			pb_buf_add_csv_text(out, PQgetvalue(r->res, i, c), (size_t)PQgetlength(r->res, i, c));
			pb_buf_addch(out, ',');
		}
		if (r->m[i].alias) {
			pb_buf_addf(out, "%s,", r->m[i].alias);
			pb_buf_add_csv_text(out, r->rules, strlen(r->rules));
			pb_buf_addf(out, ":%zu,%s,%s\n", r->m[i].line, r->m[i].proposal,
				    r->m[i].rejected ? "rejected" : "proposed");
		} else {
			pb_buf_addstr(out, ",,,\n");
		}
	}
}

int pb_suggest(PGconn *conn, struct pb_rules *rules, const struct pb_eligibility *e, int32_t month, int apply,
	       const char *by, struct pb_buf *out, struct pb_buf *refused, struct pb_buf *err)
{
	struct run r;
	struct tally t = {0, 0, 0, 0};
	const char *p[1];
	int ret;

	memset(&r, 0, sizeof(r));
	r.conn = conn;
	r.rules = pb_rules_name(rules);
	r.month = month;
	pb_date_format(month, r.day);
	p[0] = r.day;
	/* One row per name; a name the exports give under two kinds is evidence of the first kind. */
	r.res = pb_db_query(conn,
			    "SELECT n.vendor, n.partner_account_id, n.name, min(n.kind) FROM pb.partner_account_name n "
			    "JOIN pb.import i ON i.id = n.import_id "
			    "WHERE i.status = 'committed' AND i.billing_month = $1::date AND NOT EXISTS ("
			    "SELECT 1 FROM pb.partner_account pa WHERE pa.vendor = n.vendor "
			    "AND pa.partner_account_id = n.partner_account_id "
			    "AND pa.validity && daterange($1::date, ($1::date + interval '1 month')::date)) "
			    "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
			    1, p, err);
	ret = r.res ? match_all(&r, rules, err) : PB_ERR_DEPENDENCY;
	if (ret == 0 && apply)
		ret = link_tenants(&r, e, by, out, refused, &t, err);
	if (ret == 0)
		ret = record_all(&r, &t, err);
	if (ret < 0)
		goto out;
	if (!apply) {
		add_csv(&r, out);
		goto out;
	}
	pb_buf_addf(out, "%u linked, %u refused, %u proposed link%s wait%s for approval, %u without a matching rule\n",
		    t.linked, t.refused, t.waiting, t.waiting == 1 ? "" : "s", t.waiting == 1 ? "s" : "",
		    unmatched(&r));
	if (t.refused)
		ret = PB_ERR_REFUSED;
out:
	run_release(&r);
	return ret;
}
