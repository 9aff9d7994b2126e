/* pb-accounts: CLC accounts, terms, eligibility, partner account mapping, Azure customers; arguments and exit codes. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "buf.h"
#include "exitcode.h"
#include "customer.h"
#include "date.h"
#include "db.h"
#include "eligibility.h"
#include "import.h"
#include "link.h"
#include "rules.h"
#include "suggest.h"

#include "banned.h"


#define DEFAULT_TIMEOUT 60
#define RULES_ENV "PB_MAPPING_RULES"
#define RULES_DEFAULT "config/mapping-rules"

static const char *progname = "pb-accounts";

/* Option values: the fields of an account (add, update), then every other option of every command. */
enum {
	OPT_FIELD = 1000, /* OPT_FIELD + enum pb_account_field */
	OPT_VENDOR = 2000,
	OPT_REGION,
	OPT_VERSION,
	OPT_BY,
	OPT_PARTNER_ACCOUNT,
	OPT_FROM,
	OPT_TO,
	OPT_CONFIG,
	OPT_RULES,
	OPT_MONTH,
	OPT_APPLY,
	OPT_TIMEOUT,
	OPT_HELP,
	OPT_NO_RESELLER,
	OPT_NO_PARENT,
};

struct options {
	const char *field[PB_ACCOUNT_NFIELDS];
	const char *vendor, *region, *version, *by, *partner_account, *config, *rules;
	int32_t from, to, month;
	int has_from, has_to, has_month, apply, no_reseller, no_parent;
	long timeout;
	const char *args[2];
	int nargs;
};

struct command {
	const char *name;
	int (*run)(const struct command *cmd, struct options *o);
	int nargs;	     /* positional arguments */
	const char *allowed; /* the options it takes, as " name name " */
	const char *usage;
	const char *help;
};

static const char exit_codes[] =
	"Exit status: 0 success, 1 bad input, 2 usage error, 3 a dependency (database, Partner Center) failed,\n"
	"4 refused by a rule.\n";

static void print_usage(FILE *out, const struct command *commands)
{
	const struct command *c;

	fprintf(out,
		"usage: pb-accounts COMMAND [options]\n"
		"\n"
		"CLC accounts, the terms accepted for them, their eligibility for AWS and Azure, the mapping of\n"
		"partner accounts to them over time, and their Azure customers in Partner Center. The database is\n"
		"PB_DATABASE_URL when set, else the local cluster (see pb-db).\n"
		"\n");
	for (c = commands; c->name; c++)
		fprintf(out, "  %s\n", c->usage);
	fprintf(out, "\n'pb-accounts COMMAND --help' describes a command; 'man pb-accounts' says more.\n%s",
		exit_codes);
}

static int usage_error(const struct command *cmd)
{
	if (cmd)
		fprintf(stderr, "Try 'pb-accounts %s --help'.\n", cmd->name);
	else
		fprintf(stderr, "Try 'pb-accounts --help'.\n");
	return EXIT_USAGE;
}

/* Prints err and maps a module's return to an exit status. */
static int fail(int ret, const struct pb_buf *err)
{
	fprintf(stderr, "%s: %s\n", progname, pb_buf_str(err));
	return ret < 0 ? -ret : EXIT_DATA;
}

/* Prints one line per failing rule. */
static int refuse(const char *alias, const char *vendor, const struct pb_buf *reasons)
{
	const char *s = pb_buf_str(reasons);

	while (*s) {
		size_t n = strcspn(s, "\n");

		fprintf(stderr, "%s: %s: not eligible for %s: %.*s\n", progname, alias, vendor, (int)n, s);
		s += n;
		if (*s)
			s++;
	}
	return EXIT_REFUSED;
}

/* A day from YYYY-MM-DD only. */
static int parse_day(const char *s, int32_t *out)
{
	return strlen(s) == 10 && pb_date_parse_iso(s, 10, out) == 0 ? 0 : -1;
}

static int parse_month(const char *s, int32_t *out)
{
	char buf[16];

	if (strlen(s) != 7)
		return -1;
	snprintf(buf, sizeof(buf), "%s-01", s);
	return pb_date_parse_iso(buf, 10, out);
}

static int option_allowed(const struct command *cmd, const char *name)
{
	const char *p = cmd->allowed;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if (p > cmd->allowed && p[-1] == ' ' && p[n] == ' ')
			return 1;
		p += n;
	}
	return 0;
}

static int bad_value(const struct command *cmd, const char *opt, const char *what, const char *value)
{
	fprintf(stderr, "%s: %s: --%s takes %s, not '%s'\n", progname, cmd->name, opt, what, value);
	return usage_error(cmd);
}

/* Parses argv (argv[0] is the command). Returns 0, 1 when --help was shown, or an exit status. */
static int parse(const struct command *cmd, int argc, char **argv, struct options *o)
{
	static const struct option others[] = {
		{"vendor", required_argument, NULL, OPT_VENDOR},
		{"region", required_argument, NULL, OPT_REGION},
		{"version", required_argument, NULL, OPT_VERSION},
		{"by", required_argument, NULL, OPT_BY},
		{"partner-account", required_argument, NULL, OPT_PARTNER_ACCOUNT},
		{"from", required_argument, NULL, OPT_FROM},
		{"to", required_argument, NULL, OPT_TO},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"rules", required_argument, NULL, OPT_RULES},
		{"month", required_argument, NULL, OPT_MONTH},
		{"apply", no_argument, NULL, OPT_APPLY},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"help", no_argument, NULL, OPT_HELP},
		{"no-reseller", no_argument, NULL, OPT_NO_RESELLER},
		{"no-parent", no_argument, NULL, OPT_NO_PARENT},
	};
	struct option longopts[PB_ACCOUNT_NFIELDS + sizeof(others) / sizeof(others[0]) + 1];
	size_t n = 0, i;
	int ch, idx;

	memset(o, 0, sizeof(*o));
	o->timeout = DEFAULT_TIMEOUT;
	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++) {
		if (!pb_account_fields[i].option)
			continue;
		longopts[n].name = pb_account_fields[i].option;
		longopts[n].has_arg = i == PB_ACCOUNT_RESELLER ? no_argument : required_argument;
		longopts[n].flag = NULL;
		longopts[n].val = OPT_FIELD + (int)i;
		n++;
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		longopts[n++] = others[i];
	memset(&longopts[n], 0, sizeof(longopts[n]));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		char *end;

		if (ch == '?' || ch == ':') {
			fprintf(stderr, "%s: %s: option '%s' needs a value or is unknown\n", progname, cmd->name,
				argv[optind - 1]);
			return usage_error(cmd);
		}
		if (!option_allowed(cmd, longopts[idx].name)) {
			fprintf(stderr, "%s: %s: unknown option '--%s'\n", progname, cmd->name, longopts[idx].name);
			return usage_error(cmd);
		}
		if (ch >= OPT_FIELD && ch < OPT_FIELD + PB_ACCOUNT_NFIELDS) {
			o->field[ch - OPT_FIELD] = ch - OPT_FIELD == PB_ACCOUNT_RESELLER ? "true" : optarg;
			continue;
		}
		switch (ch) {
		case OPT_VENDOR:
			o->vendor = optarg;
			break;
		case OPT_REGION:
			o->region = optarg;
			break;
		case OPT_VERSION:
			o->version = optarg;
			break;
		case OPT_BY:
			if (!*optarg)
				return bad_value(cmd, "by", "a name", optarg);
			o->by = optarg;
			break;
		case OPT_PARTNER_ACCOUNT:
			o->partner_account = optarg;
			break;
		case OPT_FROM:
			if (parse_day(optarg, &o->from) < 0)
				return bad_value(cmd, "from", "a date YYYY-MM-DD", optarg);
			o->has_from = 1;
			break;
		case OPT_TO:
			if (parse_day(optarg, &o->to) < 0)
				return bad_value(cmd, "to", "a date YYYY-MM-DD", optarg);
			o->has_to = 1;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_RULES:
			o->rules = optarg;
			break;
		case OPT_MONTH:
			if (parse_month(optarg, &o->month) < 0)
				return bad_value(cmd, "month", "YYYY-MM", optarg);
			o->has_month = 1;
			break;
		case OPT_APPLY:
			o->apply = 1;
			break;
		case OPT_TIMEOUT:
			errno = 0;
			o->timeout = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->timeout <= 0 || o->timeout > 3600)
				return bad_value(cmd, "timeout", "a number of seconds from 1 to 3600", optarg);
			break;
		case OPT_NO_RESELLER:
			o->no_reseller = 1;
			break;
		case OPT_NO_PARENT:
			o->no_parent = 1;
			break;
		case OPT_HELP:
			printf("usage: pb-accounts %s\n\n%s\n%s", cmd->usage, cmd->help, exit_codes);
			return 1;
		}
	}
	for (; optind < argc; optind++) {
		if (o->nargs == cmd->nargs) {
			fprintf(stderr, "%s: %s: unexpected argument '%s'\n", progname, cmd->name, argv[optind]);
			return usage_error(cmd);
		}
		o->args[o->nargs++] = argv[optind];
	}
	if (o->nargs < cmd->nargs) {
		fprintf(stderr, "%s: %s: %s is missing\n", progname, cmd->name,
			strcmp(cmd->name, "import") == 0 ? "the file" : "the CLC account alias");
		return usage_error(cmd);
	}
	return 0;
}

static int required(const struct command *cmd, const char *opt, int given)
{
	if (given)
		return 0;
	fprintf(stderr, "%s: %s: --%s is required\n", progname, cmd->name, opt);
	return usage_error(cmd);
}

/* --vendor as aws or azure (or centurylink when terms is set): the index, or -1 after a message. */
static int vendor_option(const struct command *cmd, const struct options *o, int terms)
{
	int v;

	if (required(cmd, "vendor", o->vendor != NULL))
		return -1;
	if (terms && strcmp(o->vendor, "centurylink") == 0)
		return PB_NVENDORS;
	v = pb_vendor_index(o->vendor);
	if (v < 0) {
		bad_value(cmd, "vendor", terms ? "centurylink, aws or azure" : "aws or azure", o->vendor);
		return -1;
	}
	return v;
}

/* The person recorded: --by, else the login name of the user running the program. */
static const char *who(const struct options *o)
{
	static char buf[64];
	const struct passwd *pw;

	if (o->by)
		return o->by;
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name && *pw->pw_name)
		return pw->pw_name;
	snprintf(buf, sizeof(buf), "uid %ld", (long)geteuid());
	return buf;
}

/* Connects and checks the schema; NULL after a message, with the exit status in *rc. */
static PGconn *connect_db(int *rc)
{
	struct pb_buf err = PB_BUF_INIT;
	PGconn *conn = pb_db_connect(progname, &err);

	if (conn && pb_db_check_schema(conn, &err) < 0) {
		PQfinish(conn);
		conn = NULL;
	}
	if (!conn)
		*rc = fail(PB_ACCOUNT_ERR_DEPENDENCY, &err);
	pb_buf_release(&err);
	return conn;
}

static int load_config(const struct options *o, struct pb_eligibility *e, struct pb_buf *err)
{
	struct pb_buf path = PB_BUF_INIT;
	int ret = pb_eligibility_find(o->config, &path, err);

	if (ret == 0)
		ret = pb_eligibility_load(e, pb_buf_str(&path), err);
	pb_buf_release(&path);
	return ret;
}

/* The alias argument, upper-cased, into alias (8 bytes). Returns 0 or an exit status. */
static int alias_arg(const struct options *o, char *alias)
{
	struct pb_buf err = PB_BUF_INIT;
	int rc = 0;

	if (pb_account_alias(o->args[0], alias, &err) < 0)
		rc = fail(PB_ACCOUNT_ERR_DATA, &err);
	pb_buf_release(&err);
	return rc;
}

static int cmd_add(const struct command *cmd, struct options *o)
{
	struct pb_account a;
	struct pb_buf err = PB_BUF_INIT;
	enum pb_account_field bad;
	PGconn *conn = NULL;
	size_t i;
	int rc = 0, ret;

	pb_account_init(&a);
	if (required(cmd, "name", o->field[PB_ACCOUNT_NAME] != NULL) ||
	    required(cmd, "country", o->field[PB_ACCOUNT_COUNTRY] != NULL)) {
		rc = EXIT_USAGE;
		goto out;
	}
	o->field[PB_ACCOUNT_ALIAS] = o->args[0];
	for (i = 0; i < PB_ACCOUNT_NFIELDS; i++) {
		if (!o->field[i])
			continue;
		ret = pb_account_set(&a, (enum pb_account_field)i, o->field[i], strlen(o->field[i]), &err);
		if (ret < 0) {
			rc = fail(ret, &err);
			goto out;
		}
	}
	conn = connect_db(&rc);
	if (!conn)
		goto out;
	ret = pb_account_insert(conn, &a, who(o), &bad, &err);
	if (ret < 0) {
		rc = fail(ret, &err);
		goto out;
	}
	printf("added CLC account %s (%s, %s%s%s%s)\n", a.v[PB_ACCOUNT_ALIAS], a.v[PB_ACCOUNT_NAME],
	       a.v[PB_ACCOUNT_COUNTRY], a.v[PB_ACCOUNT_RESELLER] ? ", reseller" : "",
	       a.v[PB_ACCOUNT_PARENT] ? ", customer of reseller " : "",
	       a.v[PB_ACCOUNT_PARENT] ? a.v[PB_ACCOUNT_PARENT] : "");
out:
	PQfinish(conn);
	pb_account_release(&a);
	pb_buf_release(&err);
	return rc;
}

/* --NAME and --no-NAME both given: a usage error. Returns 0 or the exit status. */
static int exclusive(const struct command *cmd, const char *name, int given, int no)
{
	if (!given || !no)
		return 0;
	fprintf(stderr, "%s: %s: give --%s or --no-%s, not both\n", progname, cmd->name, name, name);
	return usage_error(cmd);
}

static int cmd_update(const struct command *cmd, struct options *o)
{
	struct pb_account to;
	struct pb_buf err = PB_BUF_INIT, changes = PB_BUF_INIT;
	int given[PB_ACCOUNT_NFIELDS] = {0};
	char alias[8];
	PGconn *conn = NULL;
	size_t i;
	int rc, ret, any = 0;

	pb_account_init(&to);
	rc = alias_arg(o, alias);
	if (rc)
		goto out;
	rc = exclusive(cmd, "reseller", o->field[PB_ACCOUNT_RESELLER] != NULL, o->no_reseller);
	if (rc == 0)
		rc = exclusive(cmd, "parent", o->field[PB_ACCOUNT_PARENT] != NULL, o->no_parent);
	if (rc)
		goto out;
	if (o->no_reseller)
		o->field[PB_ACCOUNT_RESELLER] = "false";
	/* Empty text is no value: the parent is cleared. */
	if (o->no_parent)
		o->field[PB_ACCOUNT_PARENT] = "";
	for (i = PB_ACCOUNT_NAME; i < PB_ACCOUNT_NFIELDS; i++) {
		if (!o->field[i])
			continue;
		given[i] = 1;
		any = 1;
		ret = pb_account_set(&to, (enum pb_account_field)i, o->field[i], strlen(o->field[i]), &err);
		if (ret < 0) {
			rc = fail(ret, &err);
			goto out;
		}
	}
	if (!any) {
		fprintf(stderr, "%s: %s: give a field to change, such as --country\n", progname, cmd->name);
		rc = usage_error(cmd);
		goto out;
	}
	conn = connect_db(&rc);
	if (!conn)
		goto out;
	ret = pb_account_update(conn, alias, &to, given, who(o), &changes, &err);
	if (ret < 0) {
		rc = fail(ret, &err);
		goto out;
	}
	if (changes.len)
		fputs(pb_buf_str(&changes), stdout);
	else
		printf("%s: nothing to change\n", alias);
out:
	PQfinish(conn);
	pb_account_release(&to);
	pb_buf_release(&err);
	pb_buf_release(&changes);
	return rc;
}

/* The commands that print what a module wrote into out: show and list. */
static int cmd_show(const struct command *cmd, struct options *o)
{
	struct pb_buf err = PB_BUF_INIT, out = PB_BUF_INIT;
	char alias[8];
	PGconn *conn = NULL;
	int rc, ret;

	rc = cmd->nargs ? alias_arg(o, alias) : 0;
	if (rc)
		goto out;
	conn = connect_db(&rc);
	if (!conn)
		goto out;
	ret = cmd->nargs ? pb_account_show(conn, alias, &out, &err) : pb_account_list(conn, &out, &err);
	if (ret < 0)
		rc = fail(ret, &err);
	else
		fputs(pb_buf_str(&out), stdout);
out:
	PQfinish(conn);
	pb_buf_release(&err);
	pb_buf_release(&out);
	return rc;
}

static int cmd_import(const struct command *cmd, struct options *o)
{
	struct pb_buf err = PB_BUF_INIT;
	PGconn *conn;
	size_t count;
	int rc = 0, ret;

	(void)cmd;
	conn = connect_db(&rc);
	if (!conn)
		goto out;
	ret = pb_import_accounts(conn, o->args[0], who(o), &count, &err);
	if (ret < 0)
		rc = fail(ret, &err);
	else
		printf("imported %zu CLC account%s from %s\n", count, count == 1 ? "" : "s", o->args[0]);
out:
	PQfinish(conn);
	pb_buf_release(&err);
	return rc;
}

static int cmd_accept_terms(const struct command *cmd, struct options *o)
{
	struct pb_buf err = PB_BUF_INIT, when = PB_BUF_INIT;
	char alias[8], region[3] = "";
	PGconn *conn = NULL;
	int rc, ret, v;

	rc = alias_arg(o, alias);
	if (rc)
		goto out;
	v = vendor_option(cmd, o, 1);
	rc = EXIT_USAGE;
	if (v < 0 || required(cmd, "version", o->version && *o->version) || required(cmd, "by", o->by != NULL))
		goto out;
	if (v == PB_NVENDORS && o->region) {
		fprintf(stderr, "%s: %s: the centurylink terms have no region: leave out --region\n", progname,
			cmd->name);
		usage_error(cmd);
		goto out;
	}
	if (v < PB_NVENDORS) {
		if (required(cmd, "region", o->region != NULL))
			goto out;
		if (strlen(o->region) == 2) {
			region[0] = (char)toupper((unsigned char)o->region[0]);
			region[1] = (char)toupper((unsigned char)o->region[1]);
		}
		if (!isupper((unsigned char)region[0]) || !isupper((unsigned char)region[1])) {
			bad_value(cmd, "region", "a two-letter country code such as US", o->region);
			goto out;
		}
	}
	conn = connect_db(&rc);
	if (!conn)
		goto out;
	ret = pb_account_accept_terms(conn, alias, o->vendor, v < PB_NVENDORS ? region : NULL, o->version, o->by, &when,
				      &err);
	if (ret < 0) {
		rc = fail(ret, &err);
		goto out;
	}
	rc = 0;
	if (v < PB_NVENDORS)
		printf("%s: %s terms for region %s, version %s, accepted by %s at %s\n", alias, o->vendor, region,
		       o->version, o->by, pb_buf_str(&when));
	else
		printf("%s: centurylink terms, version %s, accepted by %s at %s\n", alias, o->version, o->by,
		       pb_buf_str(&when));
out:
	PQfinish(conn);
	pb_buf_release(&err);
	pb_buf_release(&when);
	return rc;
}

/* check and link: eligibility first; link then stores the link. */
static int cmd_check_link(const struct command *cmd, struct options *o)
{
	struct pb_eligibility *e = NULL;
	struct pb_buf err = PB_BUF_INIT, reasons = PB_BUF_INIT;
	int link = strcmp(cmd->name, "link") == 0;
	char alias[8], from[11];
	PGconn *conn = NULL;
	int rc, ret, v;

	rc = alias_arg(o, alias);
	if (rc)
		goto out;
	rc = EXIT_USAGE;
	v = vendor_option(cmd, o, 0);
	if (v < 0)
		goto out;
	if (link &&
	    (required(cmd, "partner-account", o->partner_account != NULL) || required(cmd, "from", o->has_from)))
		goto out;
	if (link && pb_link_check_id(v, o->partner_account, &err) < 0) {
		rc = fail(PB_ACCOUNT_ERR_DATA, &err);
		goto out;
	}
	/* Azure ids are kept and shown in lowercase (argv's strings are the program's to change). */
	if (v == PB_VENDOR_AZURE && o->partner_account)
		for (char *c = (char *)o->partner_account; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	e = malloc(sizeof(*e));
	if (!e) {
		rc = EXIT_DEPENDENCY;
		goto out;
	}
	ret = load_config(o, e, &err);
	if (ret < 0) {
		rc = fail(ret, &err);
		if (ret == PB_ACCOUNT_ERR_USAGE)
			usage_error(cmd);
		goto out;
	}
	conn = connect_db(&rc);
	if (!conn)
		goto out;
	ret = pb_eligibility_of(conn, e, alias, v, &reasons, &err);
	if (ret == PB_ACCOUNT_ERR_REFUSED) {
		rc = refuse(alias, o->vendor, &reasons);
		goto out;
	}
	if (ret == 0 && link)
		ret = pb_link_add(conn, v, o->partner_account, alias, o->from, o->has_to ? o->to : PB_LINK_OPEN, "link",
				  who(o), &err);
	if (ret < 0) {
		rc = fail(ret, &err);
		goto out;
	}
	rc = 0;
	if (!link) {
		printf("%s: eligible for %s\n", alias, o->vendor);
		goto out;
	}
	pb_date_format(o->from, from);
	printf("linked %s partner account %s to %s from %s", o->vendor, o->partner_account, alias, from);
	if (o->has_to) {
		pb_date_format(o->to, from);
		printf(" to %s\n", from);
	} else {
		printf(" (open-ended)\n");
	}
out:
	PQfinish(conn);
	free(e);
	pb_buf_release(&err);
	pb_buf_release(&reasons);
	return rc;
}

static int cmd_unlink(const struct command *cmd, struct options *o)
{
	struct pb_buf err = PB_BUF_INIT;
	char alias[8], to[11];
	PGconn *conn = NULL;
	int rc, ret, v;

	rc = alias_arg(o, alias);
	if (rc)
		goto out;
	rc = EXIT_USAGE;
	v = vendor_option(cmd, o, 0);
	if (v < 0 || required(cmd, "partner-account", o->partner_account != NULL) || required(cmd, "to", o->has_to))
		goto out;
	conn = connect_db(&rc);
	if (!conn)
		goto out;
	ret = pb_link_end(conn, v, o->partner_account, alias, o->to, who(o), &err);
	if (ret < 0) {
		rc = fail(ret, &err);
		goto out;
	}
	rc = 0;
	pb_date_format(o->to, to);
	printf("the link of %s partner account %s to %s ends on %s\n", o->vendor, o->partner_account, alias, to);
out:
	PQfinish(conn);
	pb_buf_release(&err);
	return rc;
}

static int cmd_create(const struct command *cmd, struct options *o)
{
	struct pb_eligibility *e = NULL;
	struct pb_buf err = PB_BUF_INIT, reasons = PB_BUF_INIT, out = PB_BUF_INIT;
	char alias[8];
	PGconn *conn = NULL;
	int rc, ret;

	rc = alias_arg(o, alias);
	if (rc)
		goto out;
	if (!o->has_from)
		o->from = (int32_t)(time(NULL) / 86400);
	e = malloc(sizeof(*e));
	if (!e) {
		rc = EXIT_DEPENDENCY;
		goto out;
	}
	ret = load_config(o, e, &err);
	if (ret < 0) {
		rc = fail(ret, &err);
		if (ret == PB_ACCOUNT_ERR_USAGE)
			usage_error(cmd);
		goto out;
	}
	conn = connect_db(&rc);
	if (!conn)
		goto out;
	ret = pb_customer_create_azure(conn, e, alias, o->from, o->timeout, who(o), &out, &reasons, &err);
	fputs(pb_buf_str(&out), stdout);
	if (ret == PB_ACCOUNT_ERR_REFUSED && reasons.len)
		rc = refuse(alias, "azure", &reasons);
	else if (ret < 0)
		rc = fail(ret, &err);
	else
		rc = 0;
out:
	PQfinish(conn);
	free(e);
	pb_buf_release(&err);
	pb_buf_release(&reasons);
	pb_buf_release(&out);
	return rc;
}

static int cmd_suggest(const struct command *cmd, struct options *o)
{
	struct pb_eligibility *e = NULL;
	struct pb_rules *rules = NULL;
	struct pb_buf err = PB_BUF_INIT, out = PB_BUF_INIT, refused = PB_BUF_INIT;
	const char *env = getenv(RULES_ENV), *path;
	PGconn *conn = NULL;
	int rc = EXIT_USAGE, ret;

	if (required(cmd, "month", o->has_month))
		goto out;
	path = o->rules ? o->rules : env && *env ? env : RULES_DEFAULT;
	e = calloc(1, sizeof(*e));
	if (!e) {
		rc = EXIT_DEPENDENCY;
		goto out;
	}
	ret = pb_rules_load(path, &rules, &err);
	if (ret == 0 && o->apply)
		ret = load_config(o, e, &err);
	if (ret < 0) {
		rc = fail(ret, &err);
		goto out;
	}
	conn = connect_db(&rc);
	if (!conn)
		goto out;
	ret = pb_suggest(conn, rules, e, o->month, o->apply, who(o), &out, &refused, &err);
	fputs(pb_buf_str(&out), stdout);
	if (ret == PB_ACCOUNT_ERR_REFUSED) {
		const char *s = pb_buf_str(&refused);

		while (*s) {
			size_t n = strcspn(s, "\n");

			fprintf(stderr, "%s: %.*s\n", progname, (int)n, s);
			s += n;
			if (*s)
				s++;
		}
		rc = EXIT_REFUSED;
	} else if (ret < 0) {
		rc = fail(ret, &err);
	} else {
		rc = 0;
	}
out:
	PQfinish(conn);
	pb_rules_free(rules);
	free(e);
	pb_buf_release(&err);
	pb_buf_release(&out);
	pb_buf_release(&refused);
	return rc;
}

static const struct command commands[] = {
	{"add", cmd_add, 1,
	 " name country reseller parent domain email first-name last-name address city state postal-code phone by "
	 "help ",
	 "add ALIAS --name NAME --country CC [--reseller | --parent ALIAS] [profile options]",
	 "Adds a CLC account. ALIAS is 2 to 6 letters and digits (upper-cased); CC is the two-letter ISO 3166\n"
	 "code of its billing address.\n"
	 "\n"
	 "  --name NAME           the company name (required)\n"
	 "  --country CC          the billing country (required)\n"
	 "  --reseller            the account is a reseller (resellers are never eligible)\n"
	 "  --parent ALIAS        the account is a customer of reseller ALIAS (never eligible)\n"
	 "  --by NAME             who adds it (default: the login name)\n"
	 "\n"
	 "The company profile, which create-azure-customer sends to Partner Center (domain, email, first and\n"
	 "last name, address, city and postal code are required there; state and phone are optional):\n"
	 "  --domain NAME.onmicrosoft.com   --email ADDRESS   --first-name NAME   --last-name NAME\n"
	 "  --address LINE   --city CITY   --state STATE   --postal-code CODE   --phone NUMBER\n"},
	{"update", cmd_update, 1,
	 " name country reseller no-reseller parent no-parent domain email first-name last-name address city state "
	 "postal-code phone by help ",
	 "update ALIAS [--name NAME] [--country CC] [--[no-]reseller] [--[no-]parent ...] [profile options]",
	 "Changes the fields given of a CLC account, all in one statement, and prints a line per field that\n"
	 "changed (\"ACME1: billing_country US -> GB\"), or \"nothing to change\" when each holds its value\n"
	 "already. Values are checked as add checks them; an empty value clears an optional field. Who changed\n"
	 "the account and when is recorded.\n"
	 "\n"
	 "  --name NAME           the company name\n"
	 "  --country CC          the billing country; eligibility looks at the vendor terms accepted for the\n"
	 "                        new country's region, those of the old one no longer count\n"
	 "  --reseller            the account is a reseller\n"
	 "  --no-reseller         it is not (refused while accounts name it as their parent reseller)\n"
	 "  --parent ALIAS        the account is a customer of reseller ALIAS (refused for an account that\n"
	 "                        other accounts name as their parent reseller)\n"
	 "  --no-parent           it is no reseller's customer\n"
	 "  --by NAME             who changes it (default: the login name)\n"
	 "\n"
	 "The company profile, as for add:\n"
	 "  --domain NAME.onmicrosoft.com   --email ADDRESS   --first-name NAME   --last-name NAME\n"
	 "  --address LINE   --city CITY   --state STATE   --postal-code CODE   --phone NUMBER\n"},
	{"show", cmd_show, 1, " help ", "show ALIAS",
	 "Shows an account's fields, then a line per terms acceptance (terms:), partner account link (link:)\n"
	 "and Partner Center customer creation request (customer_creation:).\n"},
	{"list", cmd_show, 0, " help ", "list",
	 "Lists the accounts as CSV: alias,name,billing_country,is_reseller,parent_reseller.\n"},
	{"import", cmd_import, 1, " by help ", "import FILE.csv [--by NAME]",
	 "Adds the accounts of a CSV file (\"-\": standard input) in one transaction: every row or none. The\n"
	 "header names the columns, in any order and any case: alias, name, billing_country (required),\n"
	 "is_reseller (true/false, yes/no, 1/0), parent_reseller, domain, email, first_name, last_name,\n"
	 "address_line1, city, state, postal_code, phone. A reseller must come before its customers. The first\n"
	 "bad row is reported as FILE:LINE:COLUMN and nothing is added.\n"
	 "\n"
	 "  --by NAME             who adds them (default: the login name)\n"},
	{"accept-terms", cmd_accept_terms, 1, " vendor region version by help ",
	 "accept-terms ALIAS --vendor centurylink|aws|azure [--region CC] --version VERSION --by NAME",
	 "Records that NAME accepted VERSION of the CenturyLink terms (no region) or of a vendor's terms for\n"
	 "a region. A region is a two-letter country code: the vendor's terms count for an account when they\n"
	 "were accepted for its billing country. Every acceptance is kept, with the time it was recorded.\n"
	 "\n"
	 "  --vendor TERMS        centurylink, aws or azure\n"
	 "  --region CC           the region of aws and azure terms (required for them)\n"
	 "  --version VERSION     the version of the terms accepted\n"
	 "  --by NAME             who accepted them\n"},
	{"check", cmd_check_link, 1, " vendor config help ", "check ALIAS --vendor aws|azure [--config FILE]",
	 "Says whether the account may be offered the vendor's services. It may not when it is a reseller,\n"
	 "a customer of a reseller, billed in a country the config file does not allow for the vendor, or\n"
	 "when the CenturyLink terms or the vendor's terms for its billing country were not accepted. Every\n"
	 "rule that fails is named on a line of its own, and the exit status is 4.\n"
	 "\n"
	 "  --vendor VENDOR       aws or azure\n"
	 "  --config FILE         the allowed countries per vendor (default: $PB_ELIGIBILITY_CONFIG, else\n"
	 "                        config/eligibility.conf, else PREFIX/share/partnerbill/eligibility.conf)\n"},
	{"link", cmd_check_link, 1, " vendor partner-account from to by config help ",
	 "link ALIAS --vendor aws|azure --partner-account ID --from DATE [--to DATE]",
	 "Maps a partner account (an AWS account id, an Azure tenant or subscription id) to the CLC account\n"
	 "from DATE to --to DATE, both days included (no --to: open-ended). The account must be eligible (see\n"
	 "check). A partner account maps to one CLC account at a time: a link that overlaps another of the\n"
	 "same partner account is refused by the database, and the command exits 4 naming the link in the way.\n"
	 "\n"
	 "  --vendor VENDOR       aws or azure\n"
	 "  --partner-account ID  12 digits for aws, a GUID for azure\n"
	 "  --from DATE, --to DATE  YYYY-MM-DD\n"
	 "  --by NAME             who links it (default: the login name)\n"
	 "  --config FILE         as for check\n"},
	{"unlink", cmd_unlink, 1, " vendor partner-account to by help ",
	 "unlink ALIAS --vendor aws|azure --partner-account ID --to DATE",
	 "Ends the account's link of the partner account that is valid on DATE: it holds until DATE, included.\n"
	 "Usage after DATE is no longer attributed to the account; link the partner account again from the\n"
	 "next day to move it.\n"
	 "\n"
	 "  --by NAME             who ends it (default: the login name)\n"},
	{"create-azure-customer", cmd_create, 1, " from timeout by config help ",
	 "create-azure-customer ALIAS [--from DATE] [--timeout SECONDS]",
	 "Creates the account's customer in Partner Center from its company profile and links the new tenant\n"
	 "id for vendor azure from DATE (default: today, UTC). The account must be eligible for azure. The\n"
	 "request's MS-RequestId is recorded before it is sent; when a run ends without an answer (a timeout),\n"
	 "the next run checks the domain and sends the pending request again with the same id, and Partner\n"
	 "Center answers with the customer it made: never two customers. Once it succeeded, a run says the\n"
	 "customer exists and sends nothing.\n"
	 "\n"
	 "  --timeout SECONDS     how long each request to Partner Center may take (default 60)\n"
	 "  --by NAME             who creates it (default: the login name)\n"
	 "  --config FILE         as for check\n"
	 "\n"
	 "Environment: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET (the app's client credentials),\n"
	 "PB_PC_LOGIN_URL (default https://login.microsoftonline.com), PB_PC_API_URL (default\n"
	 "https://api.partnercenter.microsoft.com).\n"},
	{"suggest", cmd_suggest, 0, " month rules apply by config help ",
	 "suggest --month YYYY-MM [--rules FILE] [--apply]",
	 "Lists the partner accounts of the month's committed imports that no link covers on any day of the\n"
	 "month, each name the exports gave them, and the CLC alias the first matching mapping rule proposes,\n"
	 "as CSV: vendor,partner_account_id,name,alias,rule. A rules file holds one PCRE2 pattern per line with\n"
	 "a group named alias, optionally after a vendor prefix (\"aws: \" or \"azure: \"); '#' starts a comment\n"
	 "line. A pattern that exceeds the match limit stops the run with exit status 1.\n"
	 "\n"
	 "  --rules FILE          the rules (default: $PB_MAPPING_RULES, else config/mapping-rules)\n"
	 "  --apply               link each account whose names propose one alias, from the month's first day,\n"
	 "                        open-ended; accounts that are not eligible are refused (exit status 4)\n"
	 "  --by NAME             who links them (default: the login name)\n"
	 "  --config FILE         as for check\n"},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	const struct command *c;
	struct options o;
	int rc;

	if (argc < 2) {
		print_usage(stderr, commands);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		print_usage(stdout, commands);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("pb-accounts %s\n", PB_VERSION);
		return 0;
	}
	for (c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			break;
	if (!c->name) {
		fprintf(stderr, "%s: unknown command '%s'\n", progname, argv[1]);
		return usage_error(NULL);
	}
	rc = parse(c, argc - 1, argv + 1, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	return c->run(c, &o);
}
