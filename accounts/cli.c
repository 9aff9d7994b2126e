/* The steps pb-accounts' commands share: checked output, messages, and the options several commands read. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "exitcode.h"
#include "log.h"
#include "who.h"

#include "banned.h"

int pb_cli_write(struct pb_cli *cli, const char *s, size_t n)
{
	if (cli->out_errno)
		return -1;
	if (n && fwrite(s, 1, n, cli->out) != n) {
		cli->out_errno = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

int pb_cli_write_buf(struct pb_cli *cli, const struct pb_buf *buf)
{
	return pb_cli_write(cli, pb_buf_str(buf), buf->len);
}

int pb_cli_printf(struct pb_cli *cli, const char *fmt, ...)
{
	struct pb_buf b = PB_BUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	pb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (b.failed) {
		cli->out_errno = cli->out_errno ? cli->out_errno : ENOMEM;
		ret = -1;
	} else {
		ret = pb_cli_write_buf(cli, &b);
	}
	pb_buf_release(&b);
	return ret;
}

int pb_cli_fail(int ret, const struct pb_buf *err)
{
	pb_error("%s", pb_buf_str(err));
	return ret;
}

int pb_cli_answer(struct pb_cli *cli, int rc, const struct pb_buf *out, const struct pb_buf *err)
{
	if (rc < 0)
		pb_cli_fail(rc, err);
	else
		pb_cli_write_buf(cli, out);
	return rc;
}

void pb_cli_try(const struct pb_cli *cli)
{
	if (!cli->plain)
		return;
	if (cli->name)
		fprintf(stderr, "Try 'pb-accounts %s --help'.\n", cli->name);
	else
		fprintf(stderr, "Try 'pb-accounts --help'.\n");
}

int pb_cli_usage(const struct pb_cli *cli, const char *fmt, ...)
{
	struct pb_buf msg = PB_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pb_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (cli->name)
		pb_error("%s: %s", cli->name, pb_buf_str(&msg));
	else
		pb_error("%s", pb_buf_str(&msg));
	pb_buf_release(&msg);
	pb_cli_try(cli);
	return PB_ERR_USAGE;
}

int pb_cli_bad_value(const struct pb_cli *cli, const char *opt, const char *what, const char *value)
{
	struct pb_buf shown = PB_BUF_INIT;
	int rc;

	pb_account_quote(&shown, value, strlen(value));
	rc = pb_cli_usage(cli, "--%s takes %s, not '%s'", opt, what, pb_buf_str(&shown));
	pb_buf_release(&shown);
	return rc;
}

int pb_cli_bad_word(const struct pb_cli *cli, const char *before, const char *word, const char *after)
{
	struct pb_buf shown = PB_BUF_INIT;
	int rc;

	pb_account_quote(&shown, word, strlen(word));
	rc = pb_cli_usage(cli, "%s'%s'%s", before, pb_buf_str(&shown), after);
	pb_buf_release(&shown);
	return rc;
}

int pb_cli_required(const struct pb_cli *cli, const char *opt, int given)
{
	return given ? 0 : pb_cli_usage(cli, "--%s is required", opt);
}

/* Calls fn(ctx, line, len) for each line of text. */
static void each_line(const char *s, void (*fn)(const void *ctx, const char *line, int len), const void *ctx)
{
	while (*s) {
		size_t n = strcspn(s, "\n");

		fn(ctx, s, (int)n);
		s += n;
		if (*s)
			s++;
	}
}

struct refusal {
	const char *alias, *vendor;
};

static void refuse_line(const void *ctx, const char *line, int len)
{
	const struct refusal *r = ctx;
	struct pb_log_where where = {0};

	where.account = r->alias;
	pb_log(PB_LOG_ERROR, &where, "%s: not eligible for %s: %.*s", r->alias, r->vendor, len, line);
}

int pb_cli_refuse(const char *alias, const char *vendor, const struct pb_buf *reasons)
{
	struct refusal r = {alias, vendor};

	each_line(pb_buf_str(reasons), refuse_line, &r);
	return PB_ERR_REFUSED;
}

static void fail_line(const void *ctx, const char *line, int len)
{
	(void)ctx;
	pb_error("%.*s", len, line);
}

void pb_cli_fail_lines(const struct pb_buf *lines)
{
	each_line(pb_buf_str(lines), fail_line, NULL);
}

int pb_cli_vendor(const struct pb_cli *cli, int terms)
{
	int v;

	if (pb_cli_required(cli, "vendor", cli->vendor != NULL) < 0)
		return -1;
	if (terms && strcmp(cli->vendor, "centurylink") == 0)
		return PB_NVENDORS;
	v = pb_vendor_index(cli->vendor);
	if (v < 0) {
		pb_cli_bad_value(cli, "vendor", terms ? "centurylink, aws or azure" : "aws or azure", cli->vendor);
		return -1;
	}
	return v;
}

const char *pb_cli_who(const struct pb_cli *cli)
{
	static char buf[256];

	if (cli->by)
		return cli->by;
	pb_who_login(buf, sizeof(buf));
	return buf;
}

int pb_cli_alias(const struct pb_cli *cli, char *alias)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc = 0;

	if (pb_account_alias(cli->args[0], alias, &err) < 0)
		rc = pb_cli_fail(PB_ERR_DATA, &err);
	pb_buf_release(&err);
	return rc;
}

PGconn *pb_cli_connect(int *rc)
{
	struct pb_buf err = PB_BUF_INIT;
	PGconn *conn = pb_db_connect("pb-accounts", &err);

	if (conn && pb_db_check_schema(conn, &err) < 0) {
		PQfinish(conn);
		conn = NULL;
	}
	if (!conn)
		*rc = pb_cli_fail(PB_ERR_DEPENDENCY, &err);
	pb_buf_release(&err);
	return conn;
}

int pb_cli_eligibility(const struct pb_cli *cli, struct pb_eligibility **e)
{
	struct pb_buf path = PB_BUF_INIT, err = PB_BUF_INIT;
	int ret;

	*e = calloc(1, sizeof(**e));
	if (!*e) {
		pb_error("out of memory");
		return PB_ERR_DEPENDENCY;
	}
	ret = pb_eligibility_find(cli->config, &path, &err);
	if (ret == 0)
		ret = pb_eligibility_load(*e, pb_buf_str(&path), &err);
	if (ret < 0) {
		pb_cli_fail(ret, &err);
		if (ret == PB_ERR_USAGE)
			pb_cli_try(cli);
	}
	pb_buf_release(&path);
	pb_buf_release(&err);
	return ret;
}
