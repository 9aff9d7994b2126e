/* suggest, proposals, approve and reject: what mapping rules propose, and a person's decision on it. */
#include "cmd_proposal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "exitcode.h"
#include "log.h"
#include "proposal.h"
#include "rules.h"
#include "suggest.h"

#include "banned.h"

#define RULES_ENV "PB_MAPPING_RULES"
#define RULES_DEFAULT "config/mapping-rules"

/* The rules file: --rules, else $PB_MAPPING_RULES, else the default. */
static const char *rules_path(const struct pb_cli *cli)
{
	const char *env = getenv(RULES_ENV);

	return cli->rules ? cli->rules : env && *env ? env : RULES_DEFAULT;
}

/* The CSV suggest wrote to csv, to the output (a failed write is the output's error, as for any command). */
static int copy_csv(struct pb_cli *cli, FILE *csv, struct pb_buf *err)
{
	char buf[65536];
	size_t n;

	if (fflush(csv) != 0 || fseek(csv, 0, SEEK_SET) != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "reading the CSV back from its temporary file: %s", strerror(errno));
		return PB_ERR_DEPENDENCY;
	}
	while ((n = fread(buf, 1, sizeof(buf), csv)) > 0)
		if (pb_cli_write(cli, buf, n) < 0)
			return 0;
	if (ferror(csv)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "reading the CSV back from its temporary file: read error");
		return PB_ERR_DEPENDENCY;
	}
	return 0;
}

int pb_cmd_suggest(struct pb_cli *cli)
{
	struct pb_eligibility *e = NULL;
	struct pb_rules *rules = NULL;
	struct pb_buf err = PB_BUF_INIT, out = PB_BUF_INIT, refused = PB_BUF_INIT;
	PGconn *conn = NULL;
	FILE *csv = NULL;
	int rc;

	rc = pb_cli_required(cli, "month", cli->has_month);
	if (rc < 0)
		goto out;
	rc = pb_rules_load(rules_path(cli), &rules, &err);
	if (rc < 0) {
		const char *env = getenv(RULES_ENV);

		/* The default missing: a new work tree has the example only. */
		if (!cli->rules && !(env && *env) && access(RULES_DEFAULT, F_OK) != 0 && errno == ENOENT)
			pb_buf_addstr(&err, " (the default rules file: make it from config/mapping-rules.example, or "
					    "give --rules FILE)");
		pb_cli_fail(rc, &err);
		if (rc == PB_ERR_USAGE)
			pb_cli_try(cli);
		goto out;
	}
	rc = cli->apply ? pb_cli_eligibility(cli, &e) : 0;
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	csv = cli->apply ? NULL : pb_tmpfile();
	if (!cli->apply && !csv) {
		pb_buf_addf(&err, "making a temporary file for the CSV in '%s': %s", pb_tmpdir(), strerror(errno));
		rc = pb_cli_fail(PB_ERR_DEPENDENCY, &err);
		goto out;
	}
	rc = pb_suggest(conn, rules, e, cli->month, cli->apply, pb_cli_who(cli), csv, &out, &refused, &err);
	pb_cli_write_buf(cli, &out);
	if (csv && rc == 0)
		rc = copy_csv(cli, csv, &err);
	if (rc == PB_ERR_REFUSED)
		pb_cli_fail_lines(&refused);
	else if (rc < 0)
		pb_cli_fail(rc, &err);
out:
	if (csv)
		fclose(csv);
	PQfinish(conn);
	pb_rules_free(rules);
	free(e);
	pb_buf_release(&err);
	pb_buf_release(&out);
	pb_buf_release(&refused);
	return rc;
}

int pb_cmd_proposals(struct pb_cli *cli)
{
	struct pb_buf err = PB_BUF_INIT, out = PB_BUF_INIT;
	const char *s = cli->status;
	PGconn *conn = NULL;
	int rc = 0;

	if (s && strcmp(s, "proposed") != 0 && strcmp(s, "approved") != 0 && strcmp(s, "rejected") != 0)
		rc = pb_cli_bad_value(cli, "status", "proposed, approved or rejected", s);
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	rc = pb_proposal_list(conn, s, &out, &err);
	pb_cli_answer(cli, rc, &out, &err);
out:
	PQfinish(conn);
	pb_buf_release(&err);
	pb_buf_release(&out);
	return rc;
}

/* The proposal id argument, and --by, which approve and reject require. Returns 0 or a PB_ERR_ code (logged). */
static int decision_args(const struct pb_cli *cli)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc = 0;

	if (pb_proposal_check_id(cli->args[0], &err) < 0)
		rc = pb_cli_fail(PB_ERR_DATA, &err);
	if (rc == 0)
		rc = pb_cli_required(cli, "by", cli->by != NULL);
	pb_buf_release(&err);
	return rc;
}

int pb_cmd_approve(struct pb_cli *cli)
{
	struct pb_eligibility *e = NULL;
	struct pb_buf err = PB_BUF_INIT, out = PB_BUF_INIT, reasons = PB_BUF_INIT;
	PGconn *conn = NULL;
	char vendor[8], alias[8];
	int rc;

	rc = decision_args(cli);
	if (rc == 0)
		rc = pb_cli_eligibility(cli, &e);
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	rc = pb_proposal_approve(conn, e, cli->args[0], cli->from, cli->has_from, cli->by, vendor, alias, &out,
				 &reasons, &err);
	if (rc == PB_ERR_REFUSED && reasons.len)
		pb_cli_refuse(alias, vendor, &reasons);
	else
		pb_cli_answer(cli, rc, &out, &err);
out:
	PQfinish(conn);
	free(e);
	pb_buf_release(&err);
	pb_buf_release(&out);
	pb_buf_release(&reasons);
	return rc;
}

int pb_cmd_reject(struct pb_cli *cli)
{
	struct pb_buf err = PB_BUF_INIT, out = PB_BUF_INIT;
	PGconn *conn = NULL;
	int rc;

	rc = decision_args(cli);
	if (rc == 0)
		rc = pb_cli_required(cli, "reason", cli->reason != NULL);
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	rc = pb_proposal_reject(conn, cli->args[0], cli->by, cli->reason, &out, &err);
	pb_cli_answer(cli, rc, &out, &err);
out:
	PQfinish(conn);
	pb_buf_release(&err);
	pb_buf_release(&out);
	return rc;
}
