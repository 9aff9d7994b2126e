/* suggest: the mapping rules over the names of unmapped partner accounts. */
#include "cmd_proposal.h"

#include <stdlib.h>

#include "exitcode.h"
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

int pb_cmd_suggest(struct pb_cli *cli)
{
	struct pb_eligibility *e = NULL;
	struct pb_rules *rules = NULL;
	struct pb_buf err = PB_BUF_INIT, out = PB_BUF_INIT, refused = PB_BUF_INIT;
	PGconn *conn = NULL;
	int rc;

	rc = pb_cli_required(cli, "month", cli->has_month);
	if (rc < 0)
		goto out;
	rc = pb_rules_load(rules_path(cli), &rules, &err);
	if (rc < 0) {
		pb_cli_fail(rc, &err);
		goto out;
	}
	rc = cli->apply ? pb_cli_eligibility(cli, &e) : 0;
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	rc = pb_suggest(conn, rules, e, cli->month, cli->apply, pb_cli_who(cli), &out, &refused, &err);
	pb_cli_write_buf(cli, &out);
	if (rc == PB_ERR_REFUSED)
		pb_cli_fail_lines(&refused);
	else if (rc < 0)
		pb_cli_fail(rc, &err);
out:
	PQfinish(conn);
	pb_rules_free(rules);
	free(e);
	pb_buf_release(&err);
	pb_buf_release(&out);
	pb_buf_release(&refused);
	return rc;
}
