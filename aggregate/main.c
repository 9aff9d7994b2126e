/* pb-aggregate: month totals and month-end estimates per account; argument dispatch and exit codes. */
#include <stdio.h>
#include <string.h>

#include "estimate_cli.h"
#include "exitcode.h"
#include "log.h"

#include "banned.h"

static const char usage_text[] = "usage: pb-aggregate COMMAND [ARG...]\n"
				 "\n"
				 "  estimate   month-end estimates of the series of a CSV file of daily amounts\n"
				 "\n"
				 "'pb-aggregate COMMAND --help' describes a command.\n"
				 "Exit status: 0 success, 1 bad input, 2 usage error.\n";

int main(int argc, char **argv)
{
	pb_log_setup("pb-aggregate", PB_LOG_PLAIN, stderr);
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("pb-aggregate %s\n", PB_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "estimate") == 0)
		return pb_estimate_cli(argc - 1, argv + 1);
	pb_error("unknown command '%s'", argv[1]);
	fprintf(stderr, "Try 'pb-aggregate --help'.\n");
	return EXIT_USAGE;
}
