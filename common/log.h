/* Messages of an executable on stderr: plain lines ("prog: file:line:col: message") or JSON lines. */
#ifndef PB_LOG_H
#define PB_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

enum pb_log_format { PB_LOG_PLAIN, PB_LOG_JSON };
enum pb_log_level { PB_LOG_ERROR, PB_LOG_WARNING, PB_LOG_INFO };

/* Where a message points; every member is optional (NULL or 0: absent). */
struct pb_log_where {
	const char *file;
	uint64_t line;
	uint32_t column;
	const char *url;
	long long import;
	const char *month;
	const char *account;
	long long run; /* a pb-run run */
	const char *step;
};

/*
 * The executable's logger: set up once by main (pb_log_setup) and read by every pb_log call. It is the
 * one piece of process-wide state, written only before any thread starts.
 */
void pb_log_setup(const char *program, enum pb_log_format format, FILE *out);

/* Parses a --log-format value (plain or json). Returns 0, or -1 when it is neither. */
int pb_log_parse_format(const char *s, enum pb_log_format *out);

/*
 * Writes one message. Plain: "PROGRAM: [FILE:LINE:COL: ]MESSAGE" ("warning: " before a warning's message),
 * the file only when where->file is set. JSON: {"time":..., "program":..., "level":..., "message":...,
 * and each field of where that is set}. where may be NULL.
 */
void pb_log(enum pb_log_level level, const struct pb_log_where *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* pb_log with a va_list, for a caller's own logging function. */
void pb_vlog(enum pb_log_level level, const struct pb_log_where *where, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* pb_log(PB_LOG_ERROR, NULL, ...): the common case. */
void pb_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pb_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program name given to pb_log_setup ("pb" before it). */
const char *pb_log_program(void);

#endif
