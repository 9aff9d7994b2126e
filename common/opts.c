/* What the programs' main.c share (see opts.h). */
#include "opts.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "exitcode.h"
#include "log.h"

#include "banned.h"

/* 1 when arg is a short option or a bundle of them ("-x", "-xyz"), none of which the programs have. */
static int is_short(const char *arg)
{
	return arg && arg[0] == '-' && arg[1] && arg[1] != '-';
}

void pb_opts_refusal(int ch, int argc, char **argv, char *buf, size_t size)
{
	const char *arg = argv[optind - 1];

	/*
	 * A short option: getopt_long stays on a bundle ("-xyz") while characters are left in it, and moves past
	 * a lone one ("-x"); it refuses the first character either way, so the argument before is never named.
	 */
	if (ch == '?' && optopt > 0 && optopt < 128 && optind < argc && is_short(argv[optind]) &&
	    argv[optind][1] == optopt && argv[optind][2])
		snprintf(buf, size, "unknown option '-%c'", optopt);
	else if (ch == ':')
		snprintf(buf, size, "option '%s' needs a value", arg);
	else if (is_short(arg))
		snprintf(buf, size, "unknown option '-%c'", arg[1]);
	else if (optopt && strchr(arg, '='))
		/* getopt_long sets optopt to a long option's value when it was given a value it does not take. */
		snprintf(buf, size, "option '%.*s' takes no value", (int)(strchr(arg, '=') - arg), arg);
	else
		snprintf(buf, size, "unknown option '%s'", arg);
}

/* Says pb_opts_refusal's text as an error (prefix: "" or "COMMAND: "). */
static void opts_refused(const char *prefix, int ch, int argc, char **argv)
{
	char why[256];

	pb_opts_refusal(ch, argc, argv, why, sizeof(why));
	pb_error("%s%s", prefix, why);
}

int pb_opts_parse(const struct pb_opts *o, int argc, char **argv, int *done)
{
	int ch;

	*done = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, PB_OPTSTRING, o->longopts, NULL)) != -1) {
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
			opts_refused("", ch, argc, argv);
			return -1;
		}
		if (o->option(o->ctx, ch, optarg) < 0)
			return -1;
	}
	return optind;
}

const char *pb_opts_name(const struct option *longopts, int ch)
{
	const struct option *o;

	for (o = longopts; o->name; o++)
		if (o->val == ch)
			return o->name;
	return "?";
}

int pb_opts_bad(const char *opt, const char *what, const char *value)
{
	pb_error("%s takes %s, not '%s'", opt, what, value);
	return -1;
}

int pb_opts_month(const char *opt, const char *value, int32_t *month)
{
	enum pb_date_case c = pb_date_read(value, strlen(value), PB_DATE_MONTH, month);

	if (c == PB_DATE_OK)
		return 0;
	if (c == PB_DATE_MALFORMED)
		return pb_opts_bad(opt, "YYYY-MM", value);
	pb_error(PB_DATE_OUT_OF_RANGE, opt, value, pb_date_bound(c));
	return -1;
}

int pb_opts_log_format(const char *value)
{
	enum pb_log_format f;

	if (pb_log_parse_format(value, &f) < 0)
		return pb_opts_bad("--log-format", "plain or json", value);
	pb_log_setup(pb_log_program(), f, stderr);
	return 0;
}

int pb_opts_count(const char *s, long lo, long hi, long *out)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

int pb_opts_no_operands(int argc, char **argv, int first)
{
	if (first >= argc)
		return 0;
	pb_error("unexpected argument '%s'", argv[first]);
	return -1;
}

/* The errno of the first failed write to standard output (or of closing it), or 0. */
static int stdout_errno;

static ssize_t stdout_write(void *cookie, const char *data, size_t size)
{
	size_t done = 0;
	ssize_t n;

	(void)cookie;
	while (done < size) {
		n = write(STDOUT_FILENO, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!stdout_errno)
				stdout_errno = n < 0 && errno ? errno : EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)size;
}

static int stdout_close(void *cookie)
{
	(void)cookie;
	if (close(STDOUT_FILENO) == 0 || errno == EINTR)
		return 0;
	if (!stdout_errno)
		stdout_errno = errno;
	return -1;
}

/*
 * Puts a stream that keeps the errno of the first failed write in place of stdout: when a write fails, glibc
 * empties the stream's buffer, so that the last flush may have nothing to write and no error to say, and
 * which of them a program saw ("a write failed" or "No space left on device") depended on the output's length.
 * Buffered as stdout was: by line on a terminal, else fully. When the stream cannot be had, stdout stays.
 */
static void stdout_wrap(void)
{
	cookie_io_functions_t io = {.write = stdout_write, .close = stdout_close};
	FILE *f = fopencookie(NULL, "w", io);

	if (!f)
		return;
	if (isatty(STDOUT_FILENO))
		setvbuf(f, NULL, _IOLBF, BUFSIZ);
	stdout = f;
}

int pb_close_stdout(int status)
{
	int failed = ferror(stdout), e = 0;

	/* A write that failed earlier left its error in the stream; the flush of what is left says which. */
	errno = 0;
	if (fflush(stdout) != 0) {
		failed = 1;
		e = errno;
	}
	failed |= ferror(stdout);
	if (fclose(stdout) != 0) {
		failed = 1;
		e = e ? e : errno;
	}
	if (!failed)
		return status;
	if (stdout_errno)
		e = stdout_errno;
	pb_error("cannot write standard output: %s", e ? strerror(e) : "a write failed");
	return status ? status : EXIT_DEPENDENCY;
}

/* Whether standard output was closed when the program started (/dev/null is in its place since). */
static int stdout_was_closed;

int pb_opts_stdout_closed(void)
{
	return stdout_was_closed;
}

int pb_opts_stdout_closed_refused(void)
{
	pb_error("cannot write standard output: %s", strerror(EBADF));
	return EXIT_DEPENDENCY;
}

/*
 * Opens /dev/null on whichever of standard input, output and error is closed. Returns 0, or -1 when
 * /dev/null cannot be had.
 */
static int std_fds_open(void)
{
	int fd, got;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (fd == STDOUT_FILENO)
			stdout_was_closed = 1;
		/* The lower ones are open: open gives this one. */
		got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (got != fd) {
			if (got >= 0)
				close(got);
			return -1;
		}
	}
	return 0;
}

static struct sigaction xfsz_before;
static int xfsz_saved;

static void sigxfsz_ignore(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	xfsz_saved = sigaction(SIGXFSZ, &sa, &xfsz_before) == 0;
}

int pb_opts_start(const char *program)
{
	if (std_fds_open() < 0)
		return -1;
	sigxfsz_ignore();
	stdout_wrap();
	pb_log_setup(program, PB_LOG_PLAIN, stderr);
	return 0;
}

void pb_sigxfsz_restore(void)
{
	if (xfsz_saved)
		sigaction(SIGXFSZ, &xfsz_before, NULL);
}
