/* pb-accounts: CLC accounts, terms, eligibility, partner account mapping, Azure customers; arguments and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "cmd_account.h"
#include "cmd_link.h"
#include "cmd_proposal.h"
#include "date.h"
#include "exitcode.h"
#include "http.h"
#include "log.h"
#include "opts.h"
#include "text.h"

#include "banned.h"

#define DEFAULT_TIMEOUT 60

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
	OPT_LOG_FORMAT,
	OPT_STATUS,
	OPT_REASON,
	OPT_MAX_ERRORS,
};

struct command {
	const char *name;
	int (*run)(struct pb_cli *cli);
	int nargs;	     /* positional arguments */
	const char *arg;     /* what the first is, for the message when it is missing */
	const char *allowed; /* the options it takes, as " name name " (--log-format: every command) */
	const char *usage;
	const char *help;
};

#define ALIAS "the CLC account alias"

static const char exit_codes[] =
	"Exit status: 0 success, 1 bad input, 2 usage error, 3 a dependency (database, Partner Center) failed or\n"
	"standard output cannot be written, 4 refused by a rule.\n";

static const struct command commands[] = {
	{"add", pb_cmd_add, 1, ALIAS,
	 " name country reseller parent domain email first-name last-name address city state postal-code phone "
	 "invoice-currency markup by help ",
	 "add ALIAS --name NAME --country CC [--reseller | --parent ALIAS] [billing and profile options]",
	 "Adds a CLC account. ALIAS is 2 to 6 letters and digits (upper-cased); CC is the ISO 3166-1 code of\n"
	 "its billing country (GB for the United Kingdom, not UK). Values must be UTF-8 (exit 2 otherwise).\n"
	 "An alias that exists is refused (exit 1), unless its account holds every value given and the default\n"
	 "of each one left out: unchanged (exit 0), as when add is run again.\n"
	 "\n"
	 "  --name NAME           the company name (required)\n"
	 "  --country CC          the billing country (required)\n"
	 "  --reseller            the account is a reseller (resellers are never eligible)\n"
	 "  --parent ALIAS        the account is a customer of reseller ALIAS (never eligible)\n"
	 "  --by NAME             who adds it (default: the login name)\n"
	 "\n"
	 "Billing:\n"
	 "  --invoice-currency CODE  the ISO 4217 currency its invoices are in (default USD)\n"
	 "  --markup PERCENT      added to its month's total, exact: 12.5, or -5 for a discount; from -100 to\n"
	 "                        1000, at most 6 decimals (default 0)\n"
	 "\n"
	 "The company profile, which create-azure-customer sends to Partner Center (domain, email, first and\n"
	 "last name, address, city and postal code are required there; state and phone are optional):\n"
	 "  --domain NAME.onmicrosoft.com   --email ADDRESS   --first-name NAME   --last-name NAME\n"
	 "  --address LINE   --city CITY   --state STATE   --postal-code CODE   --phone NUMBER\n"},
	{"update", pb_cmd_update, 1, ALIAS,
	 " name country reseller no-reseller parent no-parent domain email first-name last-name address city state "
	 "postal-code phone invoice-currency markup by help ",
	 "update ALIAS [--name NAME] [--country CC] [--[no-]reseller] [--[no-]parent ...] [billing and profile "
	 "options]",
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
	 "  --invoice-currency CODE, --markup PERCENT  as for add (an empty value is refused)\n"
	 "\n"
	 "The company profile, as for add:\n"
	 "  --domain NAME.onmicrosoft.com   --email ADDRESS   --first-name NAME   --last-name NAME\n"
	 "  --address LINE   --city CITY   --state STATE   --postal-code CODE   --phone NUMBER\n"},
	{"show", pb_cmd_show, 1, ALIAS, " help ", "show ALIAS",
	 "Shows an account's fields, then a line per terms acceptance (terms:), partner account link (link:)\n"
	 "and Partner Center customer creation request (customer_creation:).\n"},
	{"list", pb_cmd_show, 0, NULL, " help ", "list",
	 "Lists the accounts as CSV: alias,name,billing_country,is_reseller,parent_reseller,invoice_currency,\n"
	 "markup_percent.\n"},
	{"import", pb_cmd_import, 1, "the file", " by max-errors help ", "import FILE.csv [--by NAME] [--max-errors N]",
	 "Adds the accounts of a CSV file (\"-\": standard input) in one transaction: every row or none. The\n"
	 "header names the columns, in any order and any case: alias, name, billing_country (required),\n"
	 "is_reseller (true/false, yes/no, 1/0), parent_reseller, domain, email, first_name, last_name,\n"
	 "address_line1, city, state, postal_code, phone, invoice_currency (default USD), markup_percent\n"
	 "(default 0). A reseller must come before its customers; an alias may appear once. The file\n"
	 "may be gzip-compressed; every field must be UTF-8 without NUL bytes, at most 500 bytes long. The\n"
	 "first bad row is reported as FILE:LINE:COLUMN and nothing is added. A file may be imported again:\n"
	 "an account stored already with the row's values, in the columns the file has, is unchanged (nothing\n"
	 "written, counted apart: \", 2 unchanged\"); one with other values is refused as existing, each\n"
	 "value that differs named, stored and in the row.\n"
	 "\n"
	 "  --by NAME             who adds them (default: the login name)\n"
	 "  --max-errors N        report up to N bad rows, in the file's order, before stopping (default 1); a\n"
	 "                        row after a bad one is checked as if the bad one were not in the file\n"},
	{"accept-terms", pb_cmd_accept_terms, 1, ALIAS, " vendor region version by help ",
	 "accept-terms ALIAS --vendor centurylink|aws|azure [--region CC] --version VERSION --by NAME",
	 "Records that NAME accepted VERSION of the CenturyLink terms (no region) or of a vendor's terms for\n"
	 "a region. A region is a two-letter country code: the vendor's terms count for an account when they\n"
	 "were accepted for its billing country. Every acceptance is kept, with the time it was recorded.\n"
	 "A version older than one of the same terms accepted already is refused (exit 1): versions are\n"
	 "compared part by part, numbers as numbers (1.10 after 1.9, 2026-01 before 2026.02).\n"
	 "\n"
	 "  --vendor TERMS        centurylink, aws or azure\n"
	 "  --region CC           the region of aws and azure terms (required for them)\n"
	 "  --version VERSION     the version of the terms accepted: numbers separated by single dots or\n"
	 "                        hyphens (1.10, 2026-01), at most 64 bytes\n"
	 "  --by NAME             who accepted them\n"},
	{"check", pb_cmd_check, 1, ALIAS, " vendor config help ", "check ALIAS --vendor aws|azure [--config FILE]",
	 "Says whether the account may be offered the vendor's services. It may not when it is a reseller,\n"
	 "a customer of a reseller, billed in a country the config file does not allow for the vendor, or\n"
	 "when the CenturyLink terms or the vendor's terms for its billing country were not accepted. Every\n"
	 "rule that fails is named on a line of its own, and the exit status is 4.\n"
	 "\n"
	 "  --vendor VENDOR       aws or azure\n"
	 "  --config FILE         the allowed countries per vendor (default: $PB_ELIGIBILITY_CONFIG, else\n"
	 "                        the installed PREFIX/share/partnerbill/eligibility.conf, else\n"
	 "                        config/eligibility.conf here)\n"},
	{"link", pb_cmd_check, 1, ALIAS, " vendor partner-account from to by config help ",
	 "link ALIAS --vendor aws|azure --partner-account ID --from DATE [--to DATE]",
	 "Maps a partner account (an AWS account id, an Azure tenant or subscription id) to the CLC account\n"
	 "from DATE to --to DATE, both days included (no --to: open-ended). The account must be eligible (see\n"
	 "check). A partner account maps to one CLC account at a time: a link that overlaps another of the\n"
	 "same partner account is refused by the database, and the command exits 4 naming the link in the way.\n"
	 "\n"
	 "  --vendor VENDOR       aws or azure\n"
	 "  --partner-account ID  12 digits for aws, a GUID for azure\n"
	 "  --from DATE, --to DATE  YYYY-MM-DD, in a month from " PB_DATE_FIRST_MONTH " to " PB_DATE_LAST_MONTH
	 " as in every program\n"
	 "  --by NAME             who links it (default: the login name)\n"
	 "  --config FILE         as for check\n"},
	{"unlink", pb_cmd_unlink, 1, ALIAS, " vendor partner-account to by help ",
	 "unlink ALIAS --vendor aws|azure --partner-account ID --to DATE",
	 "Ends the account's link of the partner account that is valid on DATE: it holds until DATE, included.\n"
	 "Usage after DATE is no longer attributed to the account; link the partner account again from the\n"
	 "next day to move it.\n"
	 "\n"
	 "  --by NAME             who ends it (default: the login name)\n"},
	{"import-links", pb_cmd_import, 1, "the file", " by max-errors config help ",
	 "import-links FILE.csv [--by NAME] [--max-errors N]",
	 "Links the partner accounts of a CSV file (\"-\": standard input) to CLC accounts in one transaction:\n"
	 "every row or none. The header names the columns, in any order and any case: alias, vendor,\n"
	 "partner_account_id, from (required) and to (empty or left out: open-ended), dates as YYYY-MM-DD.\n"
	 "Each row is checked as link checks a link: the account eligible for the vendor, the id of the\n"
	 "vendor's form, no overlap with another link of the partner account, in the database or on another\n"
	 "row of the file. The file may be gzip-compressed. The first bad row is reported as\n"
	 "FILE:LINE:COLUMN and nothing is linked (exit 4 for a rule, 1 for bad data). A file may be linked\n"
	 "again: a row that is a link stored already (the same account, first and last day) is unchanged\n"
	 "(nothing written, counted apart: \", 2 unchanged\"); a link ended or moved since is not the row's.\n"
	 "\n"
	 "  --by NAME             who links them (default: the login name)\n"
	 "  --max-errors N        report up to N bad rows, in the file's order, before stopping (default 1); a\n"
	 "                        row is checked as if the bad rows before it were not in the file: one that\n"
	 "                        overlaps only refused rows is not refused for it (exit 1 when a row reported\n"
	 "                        has bad data, else 4)\n"
	 "  --config FILE         as for check\n"},
	{"create-azure-customer", pb_cmd_create_azure_customer, 1, ALIAS, " from timeout by config help ",
	 "create-azure-customer ALIAS [--from DATE] [--timeout SECONDS]",
	 "Creates the account's customer in Partner Center from its company profile and links the new tenant\n"
	 "id for vendor azure from DATE (default: today, UTC), without an end. The account must be eligible\n"
	 "for azure. The request's MS-RequestId is recorded before it is sent; when a run ends without an\n"
	 "answer (a timeout), the next run checks the domain and sends the pending request again with the\n"
	 "same id, and Partner Center answers with the customer it made: never two customers (a pending\n"
	 "request is sent again only as it was first sent: exit 4, naming each field, after a change of the\n"
	 "account's domain, name, country, email, contact or address). Once it succeeded, a run says the\n"
	 "customer exists and sends nothing.\n"
	 "\n"
	 "  --timeout SECONDS     how long each request to Partner Center may take (default 60)\n"
	 "  --by NAME             who creates it (default: the login name)\n"
	 "  --config FILE         as for check\n"
	 "\n"
	 "Environment: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET (the app's client credentials),\n"
	 "PB_PC_LOGIN_URL (default https://login.microsoftonline.com), PB_PC_API_URL (default\n"
	 "https://api.partnercenter.microsoft.com).\n"},
	{"suggest", pb_cmd_suggest, 0, NULL, " month rules apply by config help ",
	 "suggest --month YYYY-MM [--rules FILE] [--apply]",
	 "Lists the partner accounts of the month's committed imports that no link covers on any day of the\n"
	 "month, each name the exports gave them, and the CLC alias the first matching mapping rule proposes,\n"
	 "as CSV: vendor,partner_account_id,name,alias,rule,proposal,status. What a rule proposes is recorded\n"
	 "as a link proposal (pb-accounts proposals), never linked: names and tags are the customer's to write,\n"
	 "so a person approves each one (pb-accounts approve) or rejects it (reject). A proposal rejected\n"
	 "before is not made again (status rejected). A rules file holds one PCRE2 pattern per line with a\n"
	 "group named alias, optionally after a vendor prefix (\"aws: \" or \"azure: \"); '#' starts a comment\n"
	 "line. A pattern that exceeds the match limit stops the run with exit status 1, nothing recorded.\n"
	 "\n"
	 "  --rules FILE          the rules (default: $PB_MAPPING_RULES, else config/mapping-rules)\n"
	 "  --apply               link what the reseller itself assigned: the tenant create-azure-customer made\n"
	 "                        for an account, from the month's first day, open-ended (an ineligible\n"
	 "                        account is refused, exit status 4); record the rest as proposals and say\n"
	 "                        how many wait for approval\n"
	 "  --by NAME             who links them (default: the login name)\n"
	 "  --config FILE         as for check\n"},
	{"proposals", pb_cmd_proposals, 0, NULL, " status help ", "proposals [--status proposed|approved|rejected]",
	 "Lists the link proposals as CSV: id,status,vendor,partner_account_id,alias,month,rule,evidence_kind,\n"
	 "evidence,decided_by,decided_at,reason,created_at (the rule as FILE:LINE, the evidence the name or tag\n"
	 "it matched, times in UTC).\n"
	 "\n"
	 "  --status STATUS       only those proposed (waiting), approved or rejected\n"},
	{"approve", pb_cmd_approve, 1, "the proposal id", " by from config help ", "approve ID --by NAME [--from DATE]",
	 "Approves link proposal ID: links its partner account to its alias from the first day of the\n"
	 "proposal's month (or --from DATE), open-ended, as link does: the account must be eligible (exit 4\n"
	 "otherwise, every failing rule named) and no other link of the partner account may overlap (exit 4,\n"
	 "naming it). The link and the decision are made together or not at all. A proposal decided already\n"
	 "is refused (exit 4).\n"
	 "\n"
	 "  --by NAME             who approves it (required)\n"
	 "  --from DATE           the link's first day, YYYY-MM-DD\n"
	 "  --config FILE         as for check\n"},
	{"reject", pb_cmd_reject, 1, "the proposal id", " by reason help ", "reject ID --by NAME --reason TEXT",
	 "Rejects link proposal ID, recording who and why. suggest does not propose the same partner account\n"
	 "and alias again. A proposal decided already is refused (exit 4).\n"
	 "\n"
	 "  --by NAME             who rejects it (required)\n"
	 "  --reason TEXT         why (required)\n"},
	{NULL, NULL, 0, NULL, NULL, NULL, NULL},
};

static void print_usage(FILE *out)
{
	const struct command *c;

	fprintf(out,
		"usage: pb-accounts [--log-format plain|json] [--cacert FILE] COMMAND [options]\n"
		"\n"
		"CLC accounts, the terms accepted for them, their eligibility for AWS and Azure, the mapping of\n"
		"partner accounts to them over time, and their Azure customers in Partner Center. The database is\n"
		"PB_DATABASE_URL when set, else the local cluster (see pb-db).\n"
		"\n");
	for (c = commands; c->name; c++)
		fprintf(out, "  %s\n", c->usage);
	fprintf(out,
		"\n"
		"  --log-format FORMAT   messages on stderr as plain lines (the default) or JSON lines; before or\n"
		"                        after the command\n"
		"  --cacert FILE         before the command: trust the certificates in FILE (PEM) for https\n"
		"                        (default: CURL_CA_BUNDLE, else SSL_CERT_FILE, else the system's)\n"
		"\n'pb-accounts COMMAND --help' describes a command; 'man pb-accounts' says more.\n%s",
		exit_codes);
}

static int option_allowed(const struct command *cmd, const char *name)
{
	const char *p = cmd->allowed;
	size_t n = strlen(name);

	if (strcmp(name, "log-format") == 0)
		return 1;
	while ((p = strstr(p, name)) != NULL) {
		if (p > cmd->allowed && p[-1] == ' ' && p[n] == ' ')
			return 1;
		p += n;
	}
	return 0;
}

/* --log-format: sets up the logger. Returns 0, or -1 when the value is neither plain nor json. */
static int log_format(struct pb_cli *cli, const char *value)
{
	enum pb_log_format f;

	if (pb_log_parse_format(value, &f) < 0)
		return -1;
	pb_log_setup("pb-accounts", f, stderr);
	cli->plain = f == PB_LOG_PLAIN;
	return 0;
}

/* The options of every command, after the account fields. */
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
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"status", required_argument, NULL, OPT_STATUS},
	{"reason", required_argument, NULL, OPT_REASON},
	{"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
};

#define NOPTIONS (PB_ACCOUNT_NFIELDS + sizeof(others) / sizeof(others[0]) + 1)

/* Every long option: the account fields (--name, ...), then the others, then the end. */
static void long_options(struct option *longopts)
{
	size_t n = 0, i;

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
}

/* --from, --to (a day) or --month (a month) into *day. Returns 0 or PB_ERR_USAGE after a message. */
static int date_option(struct pb_cli *cli, const char *name, const char *v, enum pb_date_form form, int32_t *day)
{
	char opt[16];
	enum pb_date_case c = pb_date_read(v, strlen(v), form, day);

	if (c == PB_DATE_OK)
		return 0;
	if (c == PB_DATE_MALFORMED)
		return pb_cli_bad_value(cli, name, form == PB_DATE_DAY ? "YYYY-MM-DD" : "YYYY-MM", v);
	snprintf(opt, sizeof(opt), "--%s", name);
	/* 9999-12-31 is how some write "no end": link says how to give none. */
	if (c == PB_DATE_AFTER_LAST && strcmp(name, "to") == 0 && strcmp(cli->name, "link") == 0)
		return pb_cli_usage(cli, PB_DATE_OUT_OF_RANGE " (without --to, the link has no end)", opt, v,
				    pb_date_bound(c));
	return pb_cli_usage(cli, PB_DATE_OUT_OF_RANGE, opt, v, pb_date_bound(c));
}

/* The options that take a date, a month or a number. Returns 0 or PB_ERR_USAGE after a message. */
static int value_option(struct pb_cli *cli, int ch, const char *v)
{
	switch (ch) {
	case OPT_FROM:
		cli->has_from = 1;
		return date_option(cli, "from", v, PB_DATE_DAY, &cli->from);
	case OPT_TO:
		cli->has_to = 1;
		return date_option(cli, "to", v, PB_DATE_DAY, &cli->to);
	case OPT_MONTH:
		cli->has_month = 1;
		return date_option(cli, "month", v, PB_DATE_MONTH, &cli->month);
	case OPT_TIMEOUT:
		if (pb_opts_count(v, 1, 3600, &cli->timeout) < 0)
			return pb_cli_bad_value(cli, "timeout", "a number of seconds from 1 to 3600", v);
		return 0;
	case OPT_MAX_ERRORS:
		if (pb_opts_count(v, 1, 100000, &cli->max_errors) < 0)
			return pb_cli_bad_value(cli, "max-errors", "a whole number from 1 to 100000", v);
		return 0;
	default: /* OPT_LOG_FORMAT */
		return log_format(cli, v) < 0 ? pb_cli_bad_value(cli, "log-format", "plain or json", v) : 0;
	}
}

/* A value stored as a field of a row (who, a reason): at most PB_ACCOUNT_MAX_TEXT bytes, as every field. */
static int stored_text(const struct pb_cli *cli, const char *opt, const char *v)
{
	size_t n = strlen(v);

	if (n <= PB_ACCOUNT_MAX_TEXT)
		return 0;
	return pb_cli_usage(cli, "--%s is %zu bytes long, at most %d", opt, n, PB_ACCOUNT_MAX_TEXT);
}

/*
 * Whether v is empty or blank characters alone (spaces, no-break or zero-width ones...): no one's name, version or
 * reason (a tab is refused as a control character).
 */
static int blank(const char *v)
{
	return pb_text_blank(v, strlen(v), NULL);
}

/*
 * --version of accept-terms: a version of another form (' 1.9', 'v1.9') would have no order with those accepted,
 * and an older version would go in unchecked. Empty is left for the command to call missing.
 */
static int version(const struct pb_cli *cli, const char *v)
{
	struct pb_buf shown = PB_BUF_INIT;
	size_t n = strlen(v), bad;
	int rc;

	if (n > PB_ACCOUNT_MAX_VERSION)
		return pb_cli_usage(cli, "--version is %zu bytes long, at most %d", n, PB_ACCOUNT_MAX_VERSION);
	if (!*v || pb_account_version_check(v, &bad) == 0)
		return 0;
	pb_account_quote(&shown, v, n);
	rc = pb_cli_usage(
		cli, "--version takes numbers separated by single dots or hyphens (1.10, 2026-01), not '%s' (byte %zu)",
		pb_buf_str(&shown), bad + 1);
	pb_buf_release(&shown);
	return rc;
}

/* One option. Returns 0 or PB_ERR_USAGE after a message. */
static int set_option(struct pb_cli *cli, int ch, const char *v)
{
	if (ch >= OPT_FIELD && ch < OPT_FIELD + PB_ACCOUNT_NFIELDS) {
		cli->field[ch - OPT_FIELD] = ch - OPT_FIELD == PB_ACCOUNT_RESELLER ? "true" : v;
		return 0;
	}
	switch (ch) {
	case OPT_VENDOR:
		cli->vendor = v;
		return 0;
	case OPT_REGION:
		cli->region = v;
		return 0;
	case OPT_VERSION:
		cli->version = v;
		return *v && blank(v) ? pb_cli_bad_value(cli, "version", "a version", v) : version(cli, v);
	case OPT_BY:
		cli->by = v;
		return !blank(v) ? stored_text(cli, "by", v) : pb_cli_bad_value(cli, "by", "a name", v);
	case OPT_PARTNER_ACCOUNT:
		cli->partner_account = v;
		return 0;
	case OPT_CONFIG:
		cli->config = v;
		return 0;
	case OPT_RULES:
		cli->rules = v;
		return 0;
	case OPT_STATUS:
		cli->status = v;
		return 0;
	case OPT_REASON:
		cli->reason = v;
		return !blank(v) ? stored_text(cli, "reason", v) : pb_cli_bad_value(cli, "reason", "a reason", v);
	case OPT_APPLY:
		cli->apply = 1;
		return 0;
	case OPT_NO_RESELLER:
		cli->no_reseller = 1;
		return 0;
	case OPT_NO_PARENT:
		cli->no_parent = 1;
		return 0;
	default:
		return value_option(cli, ch, v);
	}
}

/*
 * The logger first: a --log-format anywhere among the command's options holds for every message, those
 * about the other options included. A bad value is left for the second reading to report.
 */
static void find_log_format(struct pb_cli *cli, int argc, char **argv, const struct option *longopts)
{
	int ch, idx;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, PB_OPTSTRING, longopts, &idx)) != -1)
		if (ch == OPT_LOG_FORMAT)
			log_format(cli, optarg);
}

/*
 * The value of an option bound for the database (every one but --config, a path) must be text PostgreSQL
 * takes: one that is not was mistyped on the command line. Returns 0, or PB_ERR_USAGE after a message.
 */
static int check_text(const struct pb_cli *cli, const char *name, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	const char *why;
	size_t bad, i;
	unsigned c;

	if (pb_text_check(value, strlen(value), &bad, &why) < 0)
		return pb_cli_usage(cli, "%s in --%s at byte %zu", why, name, bad + 1);
	/*
	 * Each is shown on terminals ('show', the proposals) and on invoices: no control character (a tab, an
	 * escape, C1), no format character (an override that reverses what follows it, a line separator) and no
	 * character that shows nothing (a zero width space, a soft hyphen: two names would look the same). A
	 * partner account id is checked as data (exit 1, its control characters shown escaped).
	 */
	if (strcmp(name, "partner-account") == 0)
		return 0;
	for (i = 0; s[i]; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f || (s[i] == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f))
			return pb_cli_usage(cli, "control character in --%s at byte %zu", name, i + 1);
		if (pb_text_format_char(value + i, strlen(value + i)))
			return pb_cli_usage(cli, "format character U+%04X in --%s at byte %zu",
					    pb_text_format_char(value + i, strlen(value + i)), name, i + 1);
	}
	c = pb_account_invisible(value, strlen(value), &i);
	if (c)
		return pb_cli_usage(cli, "invisible character U+%04X in --%s at byte %zu", c, name, i + 1);
	return 0;
}

/* The positional arguments, from optind on. Returns 0 or PB_ERR_USAGE after a message. */
static int positional(const struct command *cmd, struct pb_cli *cli, int argc, char **argv)
{
	for (; optind < argc; optind++) {
		if (cli->nargs == cmd->nargs)
			return pb_cli_bad_word(cli, "unexpected argument ", argv[optind], "");
		cli->args[cli->nargs++] = argv[optind];
	}
	if (cli->nargs < cmd->nargs)
		return pb_cli_usage(cli, "%s is missing", cmd->arg);
	return 0;
}

/* What getopt_long refused (ch '?' or ':'), its control characters shown escaped. Returns PB_ERR_USAGE. */
static int refused(const struct pb_cli *cli, int ch, int argc, char **argv)
{
	struct pb_buf shown = PB_BUF_INIT;
	char why[256];
	int rc;

	pb_opts_refusal(ch, argc, argv, why, sizeof(why));
	pb_account_quote(&shown, why, strlen(why));
	rc = pb_cli_usage(cli, "%s", pb_buf_str(&shown));
	pb_buf_release(&shown);
	return rc;
}

/*
 * An option cmd does not take. --to of a command that makes a link without an end says so: a user who gives one
 * (9999-12-31, as some write "no end") is told there is none to give.
 */
static int unknown_option(const struct command *cmd, const struct pb_cli *cli, const char *name)
{
	if (strcmp(name, "to") == 0 &&
	    (strcmp(cmd->name, "create-azure-customer") == 0 || strcmp(cmd->name, "approve") == 0))
		return pb_cli_usage(cli, "unknown option '--to' (the link it makes has no end: unlink ends it)");
	return pb_cli_usage(cli, "unknown option '--%s'", name);
}

/* Parses argv (argv[0] is the command). Returns 0, 1 when --help was shown, or PB_ERR_USAGE. */
static int parse(const struct command *cmd, int argc, char **argv, struct pb_cli *cli)
{
	struct option longopts[NOPTIONS];
	int ch, idx, rc;

	long_options(longopts);
	find_log_format(cli, argc, argv, longopts);
	optind = 0;
	while ((ch = getopt_long(argc, argv, PB_OPTSTRING, longopts, &idx)) != -1) {
		if (ch == '?' || ch == ':')
			return refused(cli, ch, argc, argv);
		if (!option_allowed(cmd, longopts[idx].name))
			return unknown_option(cmd, cli, longopts[idx].name);
		if (ch == OPT_HELP) {
			pb_cli_printf(cli, "usage: pb-accounts %s\n\n%s\n%s", cmd->usage, cmd->help, exit_codes);
			return 1;
		}
		rc = set_option(cli, ch, optarg);
		if (rc == 0 && optarg && ch != OPT_CONFIG)
			rc = check_text(cli, longopts[idx].name, optarg);
		if (rc < 0)
			return rc;
	}
	return positional(cmd, cli, argc, argv);
}

/*
 * The options before the command (--log-format, --help, --version). Returns the index of the command in
 * argv, 0 when the program is done (with the exit status in *status), or -1 after a usage error.
 */
static int global_options(struct pb_cli *cli, int argc, char **argv, int *status)
{
	int i = 1;

	*status = EXIT_OK;
	for (;;) {
		if (i < argc && strncmp(argv[i], "--log-format", 12) == 0 && (argv[i][12] == '=' || !argv[i][12])) {
			const char *v = argv[i][12] ? argv[i] + 13 : i + 1 < argc ? argv[i + 1] : NULL;

			if (!v || log_format(cli, v) < 0) {
				pb_cli_bad_value(cli, "log-format", "plain or json", v ? v : "");
				return -1;
			}
			i += argv[i][12] ? 1 : 2;
		} else if (i < argc && strncmp(argv[i], "--cacert", 8) == 0 && (argv[i][8] == '=' || !argv[i][8])) {
			const char *v = argv[i][8] ? argv[i] + 9 : i + 1 < argc ? argv[i + 1] : NULL;

			if (!v || pb_tls_check_ca_option(v) < 0) {
				if (!v)
					pb_cli_usage(cli, "--cacert needs a FILE");
				return -1;
			}
			i += argv[i][8] ? 1 : 2;
		} else {
			break;
		}
	}
	if (i >= argc) {
		print_usage(stderr);
		*status = EXIT_USAGE;
		return 0;
	}
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "help") == 0) {
		print_usage(cli->out);
		return 0;
	}
	if (strcmp(argv[i], "--version") == 0) {
		pb_cli_printf(cli, "pb-accounts %s\n", PB_VERSION);
		return 0;
	}
	return i;
}

/* What the command wrote must reach stdout: a full disk is an error, not a silent loss. */
static int finish(struct pb_cli *cli, int status)
{
	int e = cli->out_errno;

	if (!e && (fflush(stdout) != 0 || ferror(stdout)))
		e = errno ? errno : EIO;
	if (fclose(stdout) != 0 && !e)
		e = errno ? errno : EIO;
	if (!e)
		return status;
	pb_error("cannot write standard output: %s", strerror(e));
	return status ? status : EXIT_DEPENDENCY;
}

/*
 * Whether what the command prints is all it gives: a listing, not the report of a change made (suggest --apply
 * links and records; without it, its CSV is what was asked for).
 */
static int prints_answer(const struct command *c, const struct pb_cli *cli)
{
	if (c->run == pb_cmd_suggest)
		return !cli->apply;
	return c->run == pb_cmd_show || c->run == pb_cmd_proposals;
}

int main(int argc, char **argv)
{
	const struct command *c;
	struct pb_cli cli;
	int i, rc;

	if (pb_opts_start("pb-accounts") < 0)
		return EXIT_DEPENDENCY;
	memset(&cli, 0, sizeof(cli));
	cli.out = stdout;
	cli.plain = 1;
	cli.timeout = DEFAULT_TIMEOUT;
	cli.max_errors = 1;
	i = global_options(&cli, argc, argv, &rc);
	if (i <= 0)
		return finish(&cli, i < 0 ? EXIT_USAGE : rc);
	for (c = commands; c->name; c++)
		if (strcmp(argv[i], c->name) == 0)
			break;
	if (!c->name) {
		pb_cli_bad_word(&cli, "unknown command ", argv[i], "");
		return finish(&cli, EXIT_USAGE);
	}
	cli.name = c->name;
	rc = parse(c, argc - i, argv + i, &cli);
	/* Into a closed standard output (now /dev/null) a listing would succeed, giving nothing. */
	if (rc == 0 && pb_opts_stdout_closed() && prints_answer(c, &cli))
		return pb_opts_stdout_closed_refused();
	if (rc == 0)
		rc = c->run(&cli);
	return finish(&cli, rc == 1 ? EXIT_OK : pb_exit_status(rc));
}
