/* pb-invoice: the month's "CenturyLink Cloud 1.0" lines, issued once; arguments and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "date.h"
#include "db.h"
#include "exitcode.h"
#include "focus.h"
#include "issue.h"
#include "log.h"
#include "opts.h"
#include "report.h"
#include "text.h"
#include "who.h"

#include "banned.h"

enum {
	OPT_MONTH = 256,
	OPT_DRAFT,
	OPT_ISSUE,
	OPT_DIFF,
	OPT_FOCUS,
	OPT_REPORT,
	OPT_FORCE,
	OPT_REASON,
	OPT_OUT,
	OPT_LOG_FORMAT,
	OPT_HELP,
	OPT_VERSION,
};

struct args {
	int32_t month;
	int action, force, done;
	const char *reason, *out, *file;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pb-invoice --month YYYY-MM --draft\n"
		"       pb-invoice --month YYYY-MM --issue [--force --reason TEXT] [--out DIR]\n"
		"       pb-invoice --month YYYY-MM --diff\n"
		"       pb-invoice --month YYYY-MM --focus FILE.csv\n"
		"       pb-invoice --month YYYY-MM --report FILE.html\n"
		"\n"
		"One \"CenturyLink Cloud 1.0\" line per CLC account and month, from the month's current aggregate\n"
		"run: the month to date plus the markup, rounded once to the currency's minor unit (half away from\n"
		"zero), with its per-vendor parts. An issued invoice never changes: what arrives later becomes an\n"
		"adjustment line on the next month's invoice.\n"
		"\n"
		"  --month YYYY-MM      the billing month\n"
		"  --draft              print the lines that would be issued now (the export CSV); of a month\n"
		"                       issued already, the lines it holds\n"
		"  --issue              issue the invoice: store its lines, freeze the aggregate run, write\n"
		"                       DIR/invoice-YYYY-MM.csv and DIR/invoice-YYYY-MM-detail.csv; again: issues\n"
		"                       nothing, and writes the issued files again where they are missing or changed\n"
		"  --force              issue a month whose data is not final (needs --reason)\n"
		"  --reason TEXT        why, recorded with who and when\n"
		"  --out DIR            where the files go (default: $PB_VAR_DIR/invoices, else var/invoices)\n"
		"  --diff               per account, what was invoiced, what the month comes to now, the difference\n"
		"  --focus FILE.csv     the month as a FinOps FOCUS 1.2 cost and usage dataset\n"
		"  --report FILE.html   the month's report: lines, month to date against estimates, buckets\n"
		"  --log-format FORMAT  plain (the default) or json\n"
		"  --help, --version\n"
		"\n"
		"Exit status: 0 success, 1 bad data, 2 usage error, 3 a dependency failed, 4 refused (the month is\n"
		"not final, an aggregation or an import of it is running).\n");
}

static int option(void *ctx, int ch, const char *v)
{
	struct args *a = ctx;

	switch (ch) {
	case OPT_MONTH:
		return pb_opts_month("--month", v, &a->month);
	case OPT_DRAFT:
	case OPT_ISSUE:
	case OPT_DIFF:
	case OPT_FOCUS:
	case OPT_REPORT:
		if (a->action) {
			pb_error("give one of --draft, --issue, --diff, --focus, --report");
			return -1;
		}
		a->action = ch;
		a->file = v;
		return 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case OPT_REASON: {
		const char *why;
		size_t at;

		/* The reason is the record of why a month not final was invoiced: it must say something. */
		if (!v[strspn(v, " \t\r\n")])
			return pb_opts_bad("--reason", "a text saying why the month is issued", v);
		/* Text the database takes: one that is not was mistyped, not a dependency that failed. */
		if (pb_text_check(v, strlen(v), &at, &why) < 0) {
			pb_error("%s in --reason at byte %zu", why, at + 1);
			return -1;
		}
		a->reason = v;
		return 0;
	}
	case OPT_OUT:
		a->out = v;
		return 0;
	default:
		return pb_opts_log_format(v);
	}
}

/*
 * Whether the folder path is to go in is there: a missing one is a mistake on the command line (a typo in a
 * job file), said before anything is read, and not a failure pb-run would retry. 1, or 0 with the message.
 */
static int in_folder(const char *path)
{
	char *copy = strdup(path);
	struct stat st;
	int there = 0, e;

	if (!copy) {
		pb_error("out of memory");
		return 0;
	}
	e = stat(dirname(copy), &st) == 0 ? (S_ISDIR(st.st_mode) ? 0 : ENOTDIR) : errno;
	if (e == 0)
		there = 1;
	else if (e == ENOENT)
		pb_error("no folder '%s' for '%s'", copy, path);
	else if (e == ENOTDIR)
		pb_error("'%s' is not a folder (for '%s')", copy, path);
	else
		pb_error("cannot reach folder '%s' for '%s': %s", copy, path, strerror(e));
	free(copy);
	return there;
}

/*
 * Whether path's file name is one --issue writes (invoice-YYYY-MM.csv, invoice-YYYY-MM-detail.csv): what
 * invoicing imports, never to be replaced by a dataset or a report, whatever the folder.
 */
static int export_name(const char *path)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t i;

	if (strncmp(name, "invoice-", 8) != 0)
		return 0;
	for (i = 8; i < 15; i++)
		if (i == 12 ? name[i] != '-' : (name[i] < '0' || name[i] > '9'))
			return 0;
	return strcmp(name + 15, ".csv") == 0 || strcmp(name + 15, "-detail.csv") == 0;
}

/* What the temporary file of a file written whole adds to its name: ".tmp.XXXXXX" (atomicfile.h). */
#define TEMP_SUFFIX 11

/* The longest file --issue writes into its folder: "/invoice-YYYY-MM-detail.csv" and its temporary ending. */
#define ISSUE_FILE_MAX (sizeof("/invoice-YYYY-MM-detail.csv") - 1 + TEMP_SUFFIX)

/* The longest name of a folder on the way to end in path (end: where its last name starts). */
static size_t longest_folder(const char *path, const char *end)
{
	size_t longest = 0, n;

	while (path < end) {
		n = strcspn(path, "/");
		if (path + n > end)
			n = (size_t)(end - path);
		longest = n > longest ? n : longest;
		path += n + 1;
	}
	return longest;
}

/*
 * Whether a file of path, its name made longer by extra bytes, can be written: a name or path too long is
 * a mistake on the command line, said naming the option, not a write that fails once the month is read (or
 * issued). 1, or 0 with the message.
 */
static int name_fits(const char *opt, const char *path, size_t extra)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *copy = strdup(path);
	long max = copy ? pathconf(dirname(copy), _PC_NAME_MAX) : -1;
	int fits = 1;

	free(copy);
	if (max <= 0)
		max = NAME_MAX;
	if (strlen(path) + extra >= PATH_MAX) {
		pb_error("%s: path too long (%zu bytes; at most %zu, with the %zu bytes its files' names add)", opt,
			 strlen(path), (size_t)PATH_MAX - 1 - extra, extra);
		fits = 0;
	} else if (longest_folder(path, name) > NAME_MAX) {
		pb_error("%s: folder name too long (%zu bytes; at most %d)", opt, longest_folder(path, name), NAME_MAX);
		fits = 0;
	} else if (extra == TEMP_SUFFIX && strlen(name) + extra > (size_t)max) {
		pb_error("%s: file name too long (%zu bytes; at most %ld here, with the %d bytes its temporary file "
			 "adds)",
			 opt, strlen(name), max - TEMP_SUFFIX, TEMP_SUFFIX);
		fits = 0;
	} else if (extra != TEMP_SUFFIX && strlen(name) > (size_t)max) {
		pb_error("%s: folder name too long (%zu bytes; at most %ld here)", opt, strlen(name), max);
		fits = 0;
	}
	return fits;
}

/*
 * Whether what is at the paths of the files --issue writes (the detail, then the export) is a regular file or
 * nothing: a link, a FIFO or a device there is a mistake to fix (exit 2), said before the database is reached,
 * whether or not it is up, as the issue says it once there (atomicfile.h). 1, or 0 with the message.
 */
static int issue_files_regular(const struct args *a)
{
	static const char *const ends[] = {"-detail", ""};
	struct pb_buf path = PB_BUF_INIT;
	char month[11];
	struct stat st;
	int i, ok = 1;

	pb_date_format(a->month, month);
	for (i = 0; i < 2 && ok; i++) {
		pb_buf_reset(&path);
		if (a->out)
			pb_buf_addstr(&path, a->out);
		else
			pb_buf_addf(&path, "%s/invoices", pb_db_var_dir());
		pb_buf_addf(&path, "/invoice-%.7s%s.csv", month, ends[i]);
		if (!path.failed && lstat(pb_buf_str(&path), &st) == 0 && !S_ISREG(st.st_mode)) {
			pb_error("cannot write '%s': not a regular file", pb_buf_str(&path));
			ok = 0;
		}
	}
	pb_buf_release(&path);
	return ok;
}

/* The output names given: a folder for --out, a file name (not empty, not ending in '/') for the others. */
static int outputs_valid(const struct args *a)
{
	const char *file = a->file, *opt = a->action == OPT_FOCUS ? "--focus" : "--report";
	struct stat st;

	if (a->action == OPT_ISSUE) {
		if (a->out && (!*a->out || (stat(a->out, &st) == 0 && !S_ISDIR(st.st_mode)))) {
			pb_error("--out needs a folder, not '%s'", a->out);
			return 0;
		}
		/* A link to nothing would be taken for the folder, and the files then fail to be written. */
		if (a->out && lstat(a->out, &st) == 0 && S_ISLNK(st.st_mode) && stat(a->out, &st) != 0 &&
		    errno == ENOENT) {
			pb_error("--out needs a folder, not '%s' (a link to nothing)", a->out);
			return 0;
		}
		/* Not standard output, as for --focus and --report: a folder named '-' would be made. */
		if (a->out && strcmp(a->out, "-") == 0) {
			pb_error("--out needs a folder, not '-' (it writes two files there; not standard output)");
			return 0;
		}
		return !a->out || (name_fits("--out", a->out, ISSUE_FILE_MAX) && in_folder(a->out));
	}
	if (!file)
		return 1;
	if (!*file || file[strlen(file) - 1] == '/') {
		pb_error("%s needs a file name, not '%s'", opt, file);
		return 0;
	}
	if (strcmp(file, "-") == 0) {
		pb_error("%s needs a file name, not '-' (it writes a file, whole or not at all; not standard output)",
			 opt);
		return 0;
	}
	if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
		pb_error("%s needs a file name, not '%s' (a folder)", opt, file);
		return 0;
	}
	if (!name_fits(opt, file, TEMP_SUFFIX))
		return 0;
	if (export_name(file)) {
		pb_error("%s would replace an invoice export ('%s'): name another file", opt, file);
		return 0;
	}
	/* A link, a device or a FIFO would be replaced by the new file, not written through (atomicfile.h). */
	if (lstat(file, &st) == 0 && !S_ISREG(st.st_mode)) {
		pb_error("%s needs a regular file, not '%s' (it replaces the file whole)", opt, file);
		return 0;
	}
	return in_folder(file);
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{"month", required_argument, NULL, OPT_MONTH},
		{"draft", no_argument, NULL, OPT_DRAFT},
		{"issue", no_argument, NULL, OPT_ISSUE},
		{"diff", no_argument, NULL, OPT_DIFF},
		{"focus", required_argument, NULL, OPT_FOCUS},
		{"report", required_argument, NULL, OPT_REPORT},
		{"force", no_argument, NULL, OPT_FORCE},
		{"reason", required_argument, NULL, OPT_REASON},
		{"out", required_argument, NULL, OPT_OUT},
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	struct pb_opts o = {"pb-invoice", longopts, OPT_HELP, OPT_VERSION, usage, option, NULL};
	int first;

	memset(a, 0, sizeof(*a));
	o.ctx = a;
	first = pb_opts_parse(&o, argc, argv, &a->done);
	if (first <= 0)
		return first;
	if (pb_opts_no_operands(argc, argv, first) < 0)
		return -1;
	if (!a->month || !a->action) {
		pb_error("--month YYYY-MM and one of --draft, --issue, --diff, --focus, --report are required");
		return -1;
	}
	if (a->force != (a->reason != NULL) || (a->force && a->action != OPT_ISSUE)) {
		pb_error("--force and --reason TEXT go together, with --issue");
		return -1;
	}
	/* Where --issue puts its files: with another action it would be ignored, and the files looked for there. */
	if (a->out && a->action != OPT_ISSUE) {
		pb_error("--out DIR goes with --issue");
		return -1;
	}
	if (!outputs_valid(a))
		return -1;
	return 0;
}

/*
 * The folder the files go to, into dir (pb-invoice --issue makes it when missing, once it has the month). The
 * default's parent, the runtime folder, not there (a job given PB_DATABASE_URL and started in another folder) is a
 * usage error, as an --out whose parent is not: no retry would make it. Returns 0, or PB_ERR_USAGE with the message
 * said.
 */
static int out_dir(const struct args *a, struct pb_buf *dir)
{
	struct stat st;

	if (a->out) {
		pb_buf_addstr(dir, a->out);
		return 0;
	}
	pb_buf_addf(dir, "%s/invoices", pb_db_var_dir());
	if (stat(pb_db_var_dir(), &st) != 0 && errno == ENOENT) {
		pb_error("no folder '%s' for the invoices' default folder '%s': give --out DIR, or set PB_VAR_DIR to "
			 "the runtime folder",
			 pb_db_var_dir(), pb_buf_str(dir));
		return PB_ERR_USAGE;
	}
	return 0;
}

static int dispatch(const struct args *a)
{
	struct pb_buf err = PB_BUF_INIT, dir = PB_BUF_INIT;
	struct pb_inv_categories cats;
	struct pb_inv_options o;
	PGconn *conn = NULL;
	char by[300];
	int rc = PB_ERR_DEPENDENCY;

	memset(&cats, 0, sizeof(cats));
	/* A bad config is reported as such, not as a failed connection that pb-run would retry. */
	if (a->action == OPT_FOCUS) {
		rc = pb_inv_categories_load(&cats, &err);
		if (rc < 0)
			goto out;
	}
	rc = PB_ERR_USAGE;
	if (a->action == OPT_ISSUE && !issue_files_regular(a))
		goto out;
	rc = PB_ERR_DEPENDENCY;
	conn = pb_db_connect("pb-invoice", &err);
	memset(&o, 0, sizeof(o));
	pb_who(by, sizeof(by));
	o.month = a->month;
	o.by = by;
	o.reason = a->reason;
	if (!conn || pb_db_check_schema(conn, &err) < 0)
		goto out;
	if (a->action == OPT_DRAFT) {
		rc = pb_inv_draft(conn, &o, stdout, &err);
	} else if (a->action == OPT_ISSUE) {
		rc = out_dir(a, &dir);
		o.dir = pb_buf_str(&dir);
		if (rc == 0)
			rc = pb_inv_issue(conn, &o, stdout, &err);
	} else if (a->action == OPT_DIFF) {
		rc = pb_inv_diff(conn, &o, stdout, &err);
	} else if (a->action == OPT_FOCUS) {
		rc = pb_inv_focus(conn, a->month, &cats, a->file, by, &err);
		if (rc == 0) {
			char m[11];

			pb_date_format(a->month, m);
			printf("wrote %s: the FOCUS 1.2 dataset of %.7s\n", a->file, m);
		}
	} else {
		rc = pb_inv_report(conn, a->month, a->file, &err);
		if (rc == 0)
			printf("wrote %s: the report of the month\n", a->file);
	}
out:
	if (err.len)
		pb_error("%s", pb_buf_str(&err));
	PQfinish(conn);
	pb_inv_categories_release(&cats);
	pb_buf_release(&err);
	pb_buf_release(&dir);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a;

	if (pb_opts_start("pb-invoice") < 0)
		return EXIT_DEPENDENCY;
	pb_atomic_remove_on_signal(); /* a stop leaves no temporary file of an invoice, report or dataset */
	if (parse_args(argc, argv, &a) < 0) {
		fprintf(stderr, "Try 'pb-invoice --help'.\n");
		return EXIT_USAGE;
	}
	if (a.done)
		return pb_close_stdout(EXIT_OK);
	/* The draft and the diff are their output: into a closed standard output they would succeed, giving nothing. */
	if ((a.action == OPT_DRAFT || a.action == OPT_DIFF) && pb_opts_stdout_closed())
		return pb_opts_stdout_closed_refused();
	return pb_close_stdout(pb_exit_status(dispatch(&a)));
}
