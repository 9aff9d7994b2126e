/* The one logger of an executable: plain or JSON lines, each written with a single fwrite. */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "text.h"

#include "banned.h"

static struct {
	const char *program;
	enum pb_log_format format;
	FILE *out;
} logger = {"pb", PB_LOG_PLAIN, NULL};

void pb_log_setup(const char *program, enum pb_log_format format, FILE *out)
{
	logger.program = program;
	logger.format = format;
	logger.out = out;
}

int pb_log_parse_format(const char *s, enum pb_log_format *out)
{
	if (strcmp(s, "plain") == 0)
		*out = PB_LOG_PLAIN;
	else if (strcmp(s, "json") == 0)
		*out = PB_LOG_JSON;
	else
		return -1;
	return 0;
}

const char *pb_log_program(void)
{
	return logger.program;
}

/*
 * Appends s as a JSON string, each byte of it that is not UTF-8 as U+FFFD: a message may quote what came
 * from outside (a file name, a name cut at a length inside a character), and a JSON line is UTF-8.
 */
static void add_json_string(struct pb_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t good = 0;
	unsigned c;

	pb_buf_addch(b, '"');
	for (; *p; p++) {
		if (!good && pb_text_check((const char *)p, (size_t)(end - p), &good, NULL) == 0)
			good = (size_t)(end - p);
		if (!good) {
			pb_buf_addstr(b, "\ufffd");
			continue;
		}
		good--;
		switch (*p) {
		case '"':
			pb_buf_addstr(b, "\\\"");
			break;
		case '\\':
			pb_buf_addstr(b, "\\\\");
			break;
		case '\n':
			pb_buf_addstr(b, "\\n");
			break;
		case '\r':
			pb_buf_addstr(b, "\\r");
			break;
		case '\t':
			pb_buf_addstr(b, "\\t");
			break;
		default:
			c = pb_text_format_char((const char *)p, good + 1);
			/* DEL and C1 escaped as C0 is: valid JSON either way, but no control reaches a terminal. */
			if (*p < 0x20 || *p == 0x7f) {
				pb_buf_addf(b, "\\u%04x", *p);
			} else if (*p == 0xc2 && good && p[1] < 0xa0) {
				pb_buf_addf(b, "\\u%04x", p[1]);
				p++;
				good--;
			} else if (c) {
				/* A bidirectional override, a line separator: escaped, so a viewer shows the line as it
				 * is. */
				pb_buf_addf(b, "\\u%04x", c);
				p += pb_text_format_len(c) - 1;
				good -= pb_text_format_len(c) - 1;
			} else {
				pb_buf_addch(b, (char)*p);
			}
		}
	}
	pb_buf_addch(b, '"');
}

static void add_key(struct pb_buf *b, const char *key, const char *value)
{
	pb_buf_addf(b, ",\"%s\":", key);
	add_json_string(b, value);
}

static const char *level_name(enum pb_log_level level)
{
	return level == PB_LOG_ERROR ? "error" : level == PB_LOG_WARNING ? "warning" : "info";
}

static void format_json(struct pb_buf *b, enum pb_log_level level, const struct pb_log_where *w, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char when[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	pb_buf_addf(b, "{\"time\":\"%s.%03ldZ\"", when, ts.tv_nsec / 1000000);
	add_key(b, "program", logger.program);
	add_key(b, "level", level_name(level));
	add_key(b, "message", msg);
	if (w && w->file)
		add_key(b, "file", w->file);
	if (w && w->line)
		pb_buf_addf(b, ",\"line\":%llu", (unsigned long long)w->line);
	if (w && w->column)
		pb_buf_addf(b, ",\"column\":%u", w->column);
	if (w && w->url)
		add_key(b, "url", w->url);
	if (w && w->import)
		pb_buf_addf(b, ",\"import\":%lld", w->import);
	if (w && w->month)
		add_key(b, "month", w->month);
	if (w && w->account)
		add_key(b, "account", w->account);
	if (w && w->run)
		pb_buf_addf(b, ",\"run\":%lld", w->run);
	if (w && w->step)
		add_key(b, "step", w->step);
	pb_buf_addstr(b, "}\n");
}

/*
 * Appends s (a message: less the line feeds and blanks that end it) as pb_text_add_visible shows it: a message
 * is one line, and text from outside in it (a file's name with a line feed, an escape sequence or a C1 control)
 * can neither add a line nor move a terminal's cursor.
 */
static void add_visible(struct pb_buf *b, const char *s, int message)
{
	const char *end = s + strlen(s);

	while (message && end > s && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	pb_text_add_visible(b, s, (size_t)(end - s));
}

static void format_plain(struct pb_buf *b, enum pb_log_level level, const struct pb_log_where *w, const char *msg)
{
	pb_buf_addf(b, "%s: ", logger.program);
	if (w && w->file) {
		add_visible(b, w->file, 0);
		if (w->line)
			pb_buf_addf(b, ":%llu", (unsigned long long)w->line);
		if (w->line && w->column)
			pb_buf_addf(b, ":%u", w->column);
		pb_buf_addstr(b, ": ");
	}
	if (level == PB_LOG_WARNING)
		pb_buf_addstr(b, "warning: ");
	add_visible(b, msg, 1);
	pb_buf_addch(b, '\n');
}

static void vlog(enum pb_log_level level, const struct pb_log_where *w, const char *fmt, va_list ap)
{
	struct pb_buf msg = PB_BUF_INIT, line = PB_BUF_INIT;
	FILE *out = logger.out ? logger.out : stderr;

	pb_buf_vaddf(&msg, fmt, ap);
	if (logger.format == PB_LOG_JSON)
		format_json(&line, level, w, pb_buf_str(&msg));
	else
		format_plain(&line, level, w, pb_buf_str(&msg));
	if (!line.failed) {
		fwrite(line.ptr, 1, line.len, out);
		fflush(out);
	}
	pb_buf_release(&msg);
	pb_buf_release(&line);
}

void pb_log(enum pb_log_level level, const struct pb_log_where *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, where, fmt, ap);
	va_end(ap);
}

void pb_vlog(enum pb_log_level level, const struct pb_log_where *where, const char *fmt, va_list ap)
{
	vlog(level, where, fmt, ap);
}

void pb_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PB_LOG_ERROR, NULL, fmt, ap);
	va_end(ap);
}

void pb_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PB_LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}
