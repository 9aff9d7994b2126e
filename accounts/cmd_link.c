/* accept-terms, check, link, unlink and create-azure-customer: eligibility first, then what the command stores. */
#include "cmd_link.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "country.h"
#include "customer.h"
#include "date.h"
#include "db.h"
#include "eligibility.h"
#include "exitcode.h"
#include "link.h"
#include "log.h"
#include "partner_center.h"

#include "banned.h"

/* --region of accept-terms, upper-cased, into region (3 bytes); none for the CenturyLink terms. */
static int region_option(const struct pb_cli *cli, int v, char *region)
{
	const char *meant;
	int rc;

	if (v == PB_NVENDORS) {
		if (cli->region)
			return pb_cli_usage(cli, "the centurylink terms have no region: leave out --region");
		return 0;
	}
	rc = pb_cli_required(cli, "region", cli->region != NULL);
	if (rc < 0)
		return rc;
	if (strlen(cli->region) == 2) {
		region[0] = (char)toupper((unsigned char)cli->region[0]);
		region[1] = (char)toupper((unsigned char)cli->region[1]);
	}
	if (!isupper((unsigned char)region[0]) || !isupper((unsigned char)region[1]))
		return pb_cli_bad_value(cli, "region", "a two-letter country code such as US", cli->region);
	if (pb_country_valid(region, 2))
		return 0;
	meant = pb_country_meant(region, 2);
	return pb_cli_usage(cli, "--region takes an ISO 3166-1 country code, not '%s'%s%s%s", cli->region,
			    meant ? " (did you mean " : "", meant ? meant : "", meant ? "?)" : "");
}

int pb_cmd_accept_terms(struct pb_cli *cli)
{
	struct pb_buf err = PB_BUF_INIT, when = PB_BUF_INIT;
	char alias[8], region[3] = "";
	PGconn *conn = NULL;
	int rc, v;

	rc = pb_cli_alias(cli, alias);
	if (rc < 0)
		goto out;
	v = pb_cli_vendor(cli, 1);
	rc = PB_ERR_USAGE;
	if (v < 0 || pb_cli_required(cli, "version", cli->version && *cli->version) < 0 ||
	    pb_cli_required(cli, "by", cli->by != NULL) < 0)
		goto out;
	rc = region_option(cli, v, region);
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	/*
	 * The report is written before the acceptance is committed: exit 3 (its report lost) is retried by
	 * pb-run, and a retry of an acceptance already recorded would record it once more.
	 */
	rc = pb_db_exec(conn, "BEGIN", 0, NULL, &err) < 0 ? PB_ERR_DEPENDENCY : 0;
	if (!rc)
		rc = pb_account_accept_terms(conn, alias, cli->vendor, v < PB_NVENDORS ? region : NULL, cli->version,
					     cli->by, &when, &err);
	if (rc < 0) {
		pb_cli_fail(rc, &err);
		goto out;
	}
	if (v < PB_NVENDORS)
		pb_cli_printf(cli, "%s: %s terms for region %s, version %s, accepted by %s at %s\n", alias, cli->vendor,
			      region, cli->version, cli->by, pb_buf_str(&when));
	else
		pb_cli_printf(cli, "%s: centurylink terms, version %s, accepted by %s at %s\n", alias, cli->version,
			      cli->by, pb_buf_str(&when));
	if (!cli->out_errno && fflush(cli->out) != 0)
		cli->out_errno = errno ? errno : EIO;
	if (cli->out_errno)
		pb_error("%s: the acceptance is not recorded: its report cannot be written", alias);
	else if (pb_db_exec(conn, "COMMIT", 0, NULL, &err) < 0)
		rc = pb_cli_fail(PB_ERR_DEPENDENCY, &err);
out:
	PQfinish(conn);
	pb_buf_release(&err);
	pb_buf_release(&when);
	return rc;
}

/* The options of link beyond check's: --partner-account (checked, Azure ids lowercased) and --from. */
static int link_options(struct pb_cli *cli, int v)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc;

	rc = pb_cli_required(cli, "partner-account", cli->partner_account != NULL);
	if (rc == 0)
		rc = pb_cli_required(cli, "from", cli->has_from);
	if (rc == 0 && pb_link_check_id(v, cli->partner_account, &err) < 0)
		rc = pb_cli_fail(PB_ERR_DATA, &err);
	/* Azure ids are kept and shown in lowercase (argv's strings are the program's to change). */
	if (rc == 0 && v == PB_VENDOR_AZURE)
		for (char *c = (char *)cli->partner_account; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	pb_buf_release(&err);
	return rc;
}

/* What link says it did. */
static void print_link(struct pb_cli *cli, const char *alias)
{
	char day[11];

	pb_date_format(cli->from, day);
	pb_cli_printf(cli, "linked %s partner account %s to %s from %s", cli->vendor, cli->partner_account, alias, day);
	if (cli->has_to) {
		pb_date_format(cli->to, day);
		pb_cli_printf(cli, " to %s\n", day);
	} else {
		pb_cli_printf(cli, " (open-ended)\n");
	}
}

int pb_cmd_check(struct pb_cli *cli)
{
	struct pb_eligibility *e = NULL;
	struct pb_buf err = PB_BUF_INIT, reasons = PB_BUF_INIT;
	int link = strcmp(cli->name, "link") == 0;
	char alias[8];
	PGconn *conn = NULL;
	int rc, v;

	rc = pb_cli_alias(cli, alias);
	if (rc < 0)
		goto out;
	v = pb_cli_vendor(cli, 0);
	rc = v < 0 ? PB_ERR_USAGE : link ? link_options(cli, v) : 0;
	if (rc == 0)
		rc = pb_cli_eligibility(cli, &e);
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	if (link)
		rc = pb_link_add_eligible(conn, e, v, cli->partner_account, alias, cli->from,
					  cli->has_to ? cli->to : PB_LINK_OPEN, "link", pb_cli_who(cli), NULL, &reasons,
					  &err);
	else
		rc = pb_eligibility_of(conn, e, alias, v, &reasons, &err);
	if (rc == PB_ERR_REFUSED && reasons.len) {
		pb_cli_refuse(alias, cli->vendor, &reasons);
		goto out;
	}
	if (rc < 0)
		pb_cli_fail(rc, &err);
	else if (link)
		print_link(cli, alias);
	else
		pb_cli_printf(cli, "%s: eligible for %s\n", alias, cli->vendor);
out:
	PQfinish(conn);
	free(e);
	pb_buf_release(&err);
	pb_buf_release(&reasons);
	return rc;
}

int pb_cmd_unlink(struct pb_cli *cli)
{
	struct pb_buf err = PB_BUF_INIT;
	char alias[8], to[11];
	PGconn *conn = NULL;
	int rc, v, removed = 0;

	rc = pb_cli_alias(cli, alias);
	if (rc < 0)
		goto out;
	v = pb_cli_vendor(cli, 0);
	rc = PB_ERR_USAGE;
	if (v < 0 || pb_cli_required(cli, "partner-account", cli->partner_account != NULL) < 0 ||
	    pb_cli_required(cli, "to", cli->has_to) < 0)
		goto out;
	if (pb_link_check_id(v, cli->partner_account, &err) < 0) {
		rc = pb_cli_fail(PB_ERR_DATA, &err);
		goto out;
	}
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	rc = pb_link_end(conn, v, cli->partner_account, alias, cli->to, pb_cli_who(cli), &removed, &err);
	if (rc < 0) {
		pb_cli_fail(rc, &err);
		goto out;
	}
	if (removed) {
		pb_date_format(cli->to + 1, to);
		pb_cli_printf(cli, "the link of %s partner account %s to %s from %s is removed: it held on no day\n",
			      cli->vendor, cli->partner_account, alias, to);
		goto out;
	}
	pb_date_format(cli->to, to);
	pb_cli_printf(cli, "the link of %s partner account %s to %s ends on %s\n", cli->vendor, cli->partner_account,
		      alias, to);
out:
	PQfinish(conn);
	pb_buf_release(&err);
	return rc;
}

/*
 * Whether the environment gives what Partner Center needs (the credentials, its endpoints): a usage error that
 * neither the database, up or down, nor the account's state may hide. 0, or PB_ERR_USAGE after the message.
 */
static int partner_center_set(const struct pb_cli *cli)
{
	struct pb_partner_center pc;
	struct pb_buf err = PB_BUF_INIT;
	int rc = pb_partner_center_init(&pc, cli->timeout, &err);

	if (rc < 0)
		pb_cli_fail(rc, &err);
	else
		pb_partner_center_release(&pc);
	pb_buf_release(&err);
	return rc;
}

int pb_cmd_create_azure_customer(struct pb_cli *cli)
{
	struct pb_eligibility *e = NULL;
	struct pb_buf err = PB_BUF_INIT, reasons = PB_BUF_INIT, out = PB_BUF_INIT;
	char alias[8];
	PGconn *conn = NULL;
	int rc;

	rc = pb_cli_alias(cli, alias);
	if (rc == 0)
		rc = pb_cli_eligibility(cli, &e);
	if (rc < 0)
		goto out;
	rc = partner_center_set(cli);
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	/* Today by the database server's clock, not the machine's: the link is stored from that day. */
	if (!cli->has_from && pb_db_today(conn, &cli->from, &err) < 0) {
		rc = pb_cli_fail(PB_ERR_DEPENDENCY, &err);
		goto out;
	}
	rc = pb_customer_create_azure(conn, e, alias, cli->from, cli->timeout, pb_cli_who(cli), &out, &reasons, &err);
	pb_cli_write_buf(cli, &out);
	if (rc == PB_ERR_REFUSED && reasons.len)
		pb_cli_refuse(alias, "azure", &reasons);
	else if (rc < 0)
		pb_cli_fail(rc, &err);
out:
	PQfinish(conn);
	free(e);
	pb_buf_release(&err);
	pb_buf_release(&reasons);
	pb_buf_release(&out);
	return rc;
}
