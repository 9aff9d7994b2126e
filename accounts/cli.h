/* What a pb-accounts command was given on its command line, and the steps every command shares. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "account.h"
#include "buf.h"
#include "eligconf.h"

/*
 * One command's command line, filled in by main.c. The strings belong to argv. out is where results go
 * (stdout); out_errno is the errno of the first write to it that failed (0: none did), after which
 * nothing more is written.
 */
struct pb_cli {
	const char *name; /* the command */
	const char *field[PB_ACCOUNT_NFIELDS];
	const char *vendor, *region, *version, *by, *partner_account, *config, *rules, *status, *reason;
	int32_t from, to, month;
	int has_from, has_to, has_month, apply, no_reseller, no_parent;
	long timeout;
	long max_errors; /* import: bad rows to report before stopping */
	const char *args[2];
	int nargs;
	int plain; /* messages are plain lines: a usage error is followed by a "Try" line */
	FILE *out;
	int out_errno;
};

/* Writes n bytes of s to cli->out. Returns 0, or -1 (and sets out_errno) when the write fails. */
int pb_cli_write(struct pb_cli *cli, const char *s, size_t n);

/* pb_cli_write of what buf holds. */
int pb_cli_write_buf(struct pb_cli *cli, const struct pb_buf *buf);

/* pb_cli_write of formatted text. */
int pb_cli_printf(struct pb_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs err as an error and returns ret (a PB_ERR_ code). */
int pb_cli_fail(int ret, const struct pb_buf *err);

/*
 * How a command that answers with out ends: err logged as an error when rc is negative (a PB_ERR_ code), else
 * out written. Returns rc.
 */
int pb_cli_answer(struct pb_cli *cli, int rc, const struct pb_buf *out, const struct pb_buf *err);

/* Says "Try 'pb-accounts NAME --help'." on stderr, for plain messages. */
void pb_cli_try(const struct pb_cli *cli);

/* Logs "NAME: MESSAGE", then pb_cli_try. Returns PB_ERR_USAGE. */
int pb_cli_usage(const struct pb_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "--OPT takes WHAT, not 'VALUE'" as pb_cli_usage (VALUE as pb_cli_bad_word shows it). Returns PB_ERR_USAGE. */
int pb_cli_bad_value(const struct pb_cli *cli, const char *opt, const char *what, const char *value);

/* pb_cli_usage of "BEFORE'WORD'AFTER", control characters of word shown as \xNN. */
int pb_cli_bad_word(const struct pb_cli *cli, const char *before, const char *word, const char *after);

/* 0 when given, else "--OPT is required" as pb_cli_usage and PB_ERR_USAGE. */
int pb_cli_required(const struct pb_cli *cli, const char *opt, int given);

/* Logs "ALIAS: not eligible for VENDOR: REASON" for each line of reasons. Returns PB_ERR_REFUSED. */
int pb_cli_refuse(const char *alias, const char *vendor, const struct pb_buf *reasons);

/* Logs each line of lines as an error of its own. */
void pb_cli_fail_lines(const struct pb_buf *lines);

/*
 * --vendor as PB_VENDOR_AWS or PB_VENDOR_AZURE (or PB_NVENDORS for centurylink when terms is set). Returns
 * the index, or -1 after a usage message.
 */
int pb_cli_vendor(const struct pb_cli *cli, int terms);

/* The person recorded: --by, else the login name of the user running the program. Static storage. */
const char *pb_cli_who(const struct pb_cli *cli);

/* The first argument as an alias, upper-cased, into alias (8 bytes). Returns 0 or PB_ERR_DATA (logged). */
int pb_cli_alias(const struct pb_cli *cli, char *alias);

/*
 * Connects to the database and checks its schema. Returns the connection (close with PQfinish), or NULL
 * after logging why, with PB_ERR_DEPENDENCY in *rc.
 */
PGconn *pb_cli_connect(int *rc);

/*
 * Reads the eligibility config (--config, else the default places) into a new *e (free with free). Returns
 * 0, or a PB_ERR_ code after logging why (PB_ERR_USAGE, when none was found, with the "Try" line).
 */
int pb_cli_eligibility(const struct pb_cli *cli, struct pb_eligibility **e);

#endif
