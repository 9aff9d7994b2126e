/*
 * What the programs' main.c share: the option loop (long options only, --help and --version answered, errors
 * said) and the end of stdout.
 */
#ifndef PB_OPTS_H
#define PB_OPTS_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

struct pb_opts {
	const char *program;				   /* as --version prints it */
	const struct option *longopts;			   /* ending with a zeroed entry */
	int help, version;				   /* the values longopts gives --help and --version */
	void (*usage)(FILE *out);			   /* the --help text */
	int (*option)(void *ctx, int ch, const char *arg); /* takes one option: 0, or -1 after saying why */
	void *ctx;
};

/*
 * Runs getopt_long over argv with o. Returns the index of the first operand; 0 with *done set when --help or
 * --version was answered on stdout; -1 after saying what is wrong (an unknown option, one without its
 * value, or what o->option refused).
 */
int pb_opts_parse(const struct pb_opts *o, int argc, char **argv, int *done);

/* The long name of the option longopts gives the value ch (without its dashes), or "?". */
const char *pb_opts_name(const struct option *longopts, int ch);

/*
 * Says "OPT takes WHAT, not 'VALUE'", opt as the user gave it ("--month", or an environment variable's name).
 * Returns -1, for an option callback to return.
 */
int pb_opts_bad(const char *opt, const char *what, const char *value);

/*
 * A month option's value (YYYY-MM) into *month, its first day. Returns 0, or -1 after saying it is malformed (as
 * pb_opts_bad, "OPT takes YYYY-MM, not 'VALUE'") or out of range (PB_DATE_OUT_OF_RANGE).
 */
int pb_opts_month(const char *opt, const char *value, int32_t *month);

/*
 * --log-format's value: from now on messages go to stderr in that format, under pb_log_program()'s name.
 * Returns 0, or -1 after saying "--log-format takes plain or json, not 'VALUE'".
 */
int pb_opts_log_format(const char *value);

/*
 * A count written in digits alone (strtol would take " 5", "+5" and "-0" too), from lo to hi: 0 with it in
 * *out, or -1 (nothing said: the caller names what the option takes).
 */
int pb_opts_count(const char *s, long lo, long hi, long *out);

/* For a program that takes no operand: 0 when first is argc, else -1 after saying "unexpected argument 'ARG'". */
int pb_opts_no_operands(int argc, char **argv, int first);

/*
 * The option string of every getopt_long loop: no short options, and ':' returned (not '?') for an option
 * without its value, so that pb_opts_refusal can tell the two apart.
 */
#define PB_OPTSTRING ":"

/*
 * What is wrong with the option getopt_long refused by returning ch ('?' or ':'), written to buf: an unknown
 * option (a short one named alone, even first in a bundle), one without its value, or a value given to one
 * that takes none.
 */
void pb_opts_refusal(int ch, int argc, char **argv, char *buf, size_t size);

/*
 * What every program's main does first: opens /dev/null on whichever of standard input, output and error is
 * closed (else a database connection would take that descriptor, and a message or the output would go into
 * it), ignores SIGXFSZ (below), puts a stream that keeps the
 * errno of a failed write in place of stdout (for pb_close_stdout to say), then plain messages on stderr
 * under program's name (pb_log_setup). Returns 0, or -1 when /dev/null cannot be had (exit EXIT_DEPENDENCY:
 * nothing can be said).
 */
int pb_opts_start(const char *program);

/*
 * Whether standard output was closed when pb_opts_start ran: what a program writes there goes to /dev/null. A
 * program whose output is all it gives (pb-invoice --draft) refuses to run rather than succeed writing nothing.
 */
int pb_opts_stdout_closed(void);

/* The refusal of such a program: says "cannot write standard output: Bad file descriptor"; returns EXIT_DEPENDENCY. */
int pb_opts_stdout_closed_refused(void);

/*
 * SIGXFSZ is ignored from pb_opts_start on: a write past the file size limit (ulimit -f, systemd's
 * LimitFSIZE=) then fails with EFBIG, which the program reports naming the file and exit status 3, as for a
 * full disk, where the signal's default would end it at once, saying nothing and leaving its temporary
 * files. pb_sigxfsz_restore gives the disposition the program started with back, in a child about to exec
 * another program.
 */
void pb_sigxfsz_restore(void);

/*
 * Flushes and closes stdout: what it holds must reach it, a full disk is an error, not a silent loss. Returns
 * status, or EXIT_DEPENDENCY (when status was 0: the output's disk, pipe or terminal failed, not the data)
 * after saying "cannot write standard output" and why.
 */
int pb_close_stdout(int status);

#endif
