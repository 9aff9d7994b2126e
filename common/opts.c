/* What the programs' main.c share (see opts.h). */
#include "opts.h"

#include <errno.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"

#include "banned.h"

void pb_opts_refused(const char *prefix, char **argv)
{
	/* getopt_long sets optopt to the option's value when its value is missing, 0 when it is unknown. */
	if (optopt)
		pb_error("%soption '%s' needs a value", prefix, argv[optind - 1]);
	else
		pb_error("%sunknown option '%s'", prefix, argv[optind - 1]);
}

int pb_opts_parse(const struct pb_opts *o, int argc, char **argv, int *done)
{
	int ch;

	*done = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", o->longopts, NULL)) != -1) {
		if (ch == o->help) {
			o->usage(stdout);
			*done = 1;
			return 0;
		}
		if (ch == o->version) {
			printf("%s %s\n", o->program, PB_VERSION);
			*done = 1;
			return 0;
		}
		if (ch == '?' || ch == ':') {
			pb_opts_refused("", argv);
			return -1;
		}
		if (o->option(o->ctx, ch, optarg) < 0)
			return -1;
	}
	return optind;
}

int pb_close_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		pb_error("cannot write output: %s", strerror(errno));
		return status ? status : EXIT_DATA;
	}
	return status;
}
