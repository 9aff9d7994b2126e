/* add, update, show, list, import and import-links: the fields of the command line through account.c, the result on
 * out. */
#include "cmd_account.h"

#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "import.h"
#include "input.h"
#include "log.h"

#include "banned.h"

/* Sets each field given on the command line, from first on, into a. Returns 0 or PB_ERR_ (logged). */
static int set_fields(const struct pb_cli *cli, enum pb_account_field first, struct pb_account *a)
{
	struct pb_buf err = PB_BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = first; i < PB_ACCOUNT_NFIELDS && ret == 0; i++) {
		if (!cli->field[i])
			continue;
		ret = pb_account_set(a, (enum pb_account_field)i, cli->field[i], strlen(cli->field[i]), &err);
		if (ret < 0)
			pb_cli_fail(ret, &err);
	}
	pb_buf_release(&err);
	return ret;
}

/*
 * "added CLC account ALIAS (NAME, CC...)", with what it is beyond the defaults; or, when unchanged is set, "CLC
 * account ALIAS (...) exists already as given: unchanged".
 */
static void print_added(struct pb_cli *cli, const struct pb_account *a, int unchanged)
{
	const char *cur = a->v[PB_ACCOUNT_INVOICE_CURRENCY], *markup = a->v[PB_ACCOUNT_MARKUP];

	pb_cli_printf(cli, "%sCLC account %s (%s, %s%s%s%s", unchanged ? "" : "added ", a->v[PB_ACCOUNT_ALIAS],
		      a->v[PB_ACCOUNT_NAME], a->v[PB_ACCOUNT_COUNTRY], a->v[PB_ACCOUNT_RESELLER] ? ", reseller" : "",
		      a->v[PB_ACCOUNT_PARENT] ? ", customer of reseller " : "",
		      a->v[PB_ACCOUNT_PARENT] ? a->v[PB_ACCOUNT_PARENT] : "");
	if (cur && strcmp(cur, "USD") != 0)
		pb_cli_printf(cli, ", invoiced in %s", cur);
	if (markup && strcmp(markup, "0") != 0)
		pb_cli_printf(cli, ", markup %s%%", markup);
	pb_cli_printf(cli, ")%s\n", unchanged ? " exists already as given: unchanged" : "");
}

/*
 * After the alias was found taken (rc, the message in err): whether the account stored holds every value of a,
 * those add leaves out as their defaults (add run again, after a run whose answer was lost once it committed):
 * 0 with *unchanged set; else rc, err as it was; or PB_ERR_DEPENDENCY with the message.
 */
static int stored_as_given(PGconn *conn, const struct pb_account *a, int rc, int *unchanged, struct pb_buf *err)
{
	char compare[PB_ACCOUNT_NFIELDS + 1];
	struct pb_buf why = PB_BUF_INIT;
	int state;

	memset(compare, '1', PB_ACCOUNT_NFIELDS);
	compare[PB_ACCOUNT_NFIELDS] = '\0';
	if (pb_account_stored(conn, a, compare, &state, NULL, &why) < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&why));
		rc = PB_ERR_DEPENDENCY;
	} else if (state == PB_ACCOUNT_SAME) {
		*unchanged = 1;
		rc = 0;
	}
	pb_buf_release(&why);
	return rc;
}

int pb_cmd_add(struct pb_cli *cli)
{
	struct pb_account a;
	struct pb_buf err = PB_BUF_INIT;
	enum pb_account_field bad = PB_ACCOUNT_NAME;
	PGconn *conn = NULL;
	int rc, unchanged = 0;

	pb_account_init(&a);
	rc = pb_cli_required(cli, "name", cli->field[PB_ACCOUNT_NAME] != NULL);
	if (rc == 0)
		rc = pb_cli_required(cli, "country", cli->field[PB_ACCOUNT_COUNTRY] != NULL);
	if (rc < 0)
		goto out;
	cli->field[PB_ACCOUNT_ALIAS] = cli->args[0];
	rc = set_fields(cli, PB_ACCOUNT_ALIAS, &a);
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	rc = pb_account_insert(conn, &a, pb_cli_who(cli), &bad, &err);
	if (rc == PB_ERR_DATA && bad == PB_ACCOUNT_ALIAS)
		rc = stored_as_given(conn, &a, rc, &unchanged, &err);
	if (rc < 0) {
		pb_cli_fail(rc, &err);
		goto out;
	}
	print_added(cli, &a, unchanged);
out:
	PQfinish(conn);
	pb_account_release(&a);
	pb_buf_release(&err);
	return rc;
}

/* --NAME and --no-NAME both given: a usage error. Returns 0 or PB_ERR_USAGE. */
static int exclusive(const struct pb_cli *cli, const char *name, int given, int no)
{
	if (!given || !no)
		return 0;
	return pb_cli_usage(cli, "give --%s or --no-%s, not both", name, name);
}

/* The fields update is to change, from the options, into to and given. Returns 0 or PB_ERR_ (logged). */
static int update_fields(struct pb_cli *cli, struct pb_account *to, int *given)
{
	size_t i;
	int rc, any = 0;

	rc = exclusive(cli, "reseller", cli->field[PB_ACCOUNT_RESELLER] != NULL, cli->no_reseller);
	if (rc == 0)
		rc = exclusive(cli, "parent", cli->field[PB_ACCOUNT_PARENT] != NULL, cli->no_parent);
	if (rc < 0)
		return rc;
	if (cli->no_reseller)
		cli->field[PB_ACCOUNT_RESELLER] = "false";
	/* Empty text is no value: the parent is cleared. */
	if (cli->no_parent)
		cli->field[PB_ACCOUNT_PARENT] = "";
	for (i = PB_ACCOUNT_NAME; i < PB_ACCOUNT_NFIELDS; i++) {
		given[i] = cli->field[i] != NULL;
		any |= given[i];
	}
	if (!any)
		return pb_cli_usage(cli, "give a field to change, such as --country");
	return set_fields(cli, PB_ACCOUNT_NAME, to);
}

int pb_cmd_update(struct pb_cli *cli)
{
	struct pb_account to;
	struct pb_buf err = PB_BUF_INIT, changes = PB_BUF_INIT;
	int given[PB_ACCOUNT_NFIELDS] = {0};
	char alias[8];
	PGconn *conn = NULL;
	int rc;

	pb_account_init(&to);
	rc = pb_cli_alias(cli, alias);
	if (rc == 0)
		rc = update_fields(cli, &to, given);
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	rc = pb_account_update(conn, alias, &to, given, pb_cli_who(cli), &changes, &err);
	if (rc < 0)
		pb_cli_fail(rc, &err);
	else if (changes.len)
		pb_cli_write_buf(cli, &changes);
	else
		pb_cli_printf(cli, "%s: nothing to change\n", alias);
out:
	PQfinish(conn);
	pb_account_release(&to);
	pb_buf_release(&err);
	pb_buf_release(&changes);
	return rc;
}

int pb_cmd_show(struct pb_cli *cli)
{
	struct pb_buf err = PB_BUF_INIT, out = PB_BUF_INIT;
	char alias[8];
	PGconn *conn = NULL;
	int rc;

	rc = cli->nargs ? pb_cli_alias(cli, alias) : 0;
	if (rc < 0)
		goto out;
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	rc = cli->nargs ? pb_account_show(conn, alias, &out, &err) : pb_account_list(conn, &out, &err);
	pb_cli_answer(cli, rc, &out, &err);
out:
	PQfinish(conn);
	pb_buf_release(&err);
	pb_buf_release(&out);
	return rc;
}

/* A bad row of an import, reported in the file's order (--max-errors). */
static void report_row(void *arg, uint64_t line, uint32_t col, const char *what)
{
	struct pb_log_where where = *(const struct pb_log_where *)arg;

	where.line = line;
	where.column = col;
	pb_log(PB_LOG_ERROR, line ? &where : NULL, "%s", what);
}

int pb_cmd_import(struct pb_cli *cli)
{
	struct pb_eligibility *e = NULL;
	struct pb_buf err = PB_BUF_INIT;
	struct pb_log_where where = {0}, shown = {0};
	const char *path = cli->args[0];
	int links = strcmp(cli->name, "import-links") == 0;
	PGconn *conn = NULL;
	size_t count, unchanged;
	int rc = 0;

	if (links)
		rc = pb_cli_eligibility(cli, &e);
	if (rc < 0)
		goto out;
	/* A file that cannot be opened is bad input whether the database is there or not. */
	if (pb_input_check(path, &err) < 0) {
		pb_error("%s", pb_buf_str(&err));
		rc = PB_ERR_DATA;
		goto out;
	}
	conn = pb_cli_connect(&rc);
	if (!conn)
		goto out;
	shown.file = strcmp(path, "-") == 0 ? "stdin" : path;
	if (links)
		rc = pb_import_links(conn, e, path, pb_cli_who(cli), cli->max_errors, report_row, &shown, &count,
				     &unchanged, &where.line, &where.column, &err);
	else
		rc = pb_import_accounts(conn, path, pb_cli_who(cli), cli->max_errors, report_row, &shown, &count,
					&unchanged, &where.line, &where.column, &err);
	if (rc < 0) {
		/* Empty when the bad rows were all reported as they were found (--max-errors). */
		where.file = shown.file;
		if (err.len)
			pb_log(PB_LOG_ERROR, where.line ? &where : NULL, "%s", pb_buf_str(&err));
	} else {
		/* The rows stored already (a file imported again) are said when there are some. */
		if (links)
			pb_cli_printf(cli, "linked %zu partner account%s from %s", count, count == 1 ? "" : "s", path);
		else
			pb_cli_printf(cli, "imported %zu CLC account%s from %s", count, count == 1 ? "" : "s", path);
		if (unchanged)
			pb_cli_printf(cli, ", %zu unchanged", unchanged);
		pb_cli_printf(cli, "\n");
	}
out:
	PQfinish(conn);
	free(e);
	pb_buf_release(&err);
	return rc;
}
