/* The parameters of a job run (month, as_of) and the substitutions they make in a step's arguments. */
#ifndef PB_PARAM_H
#define PB_PARAM_H

#include <stdint.h>

#include "buf.h"
#include "job.h"

/* What the parameters resolve to for one run. */
struct pb_param {
	int32_t month; /* day number of the month's first day */
	int32_t as_of; /* day number */
};

/*
 * The run's parameters: month is *month_opt (--month, a first day) when not NULL, else the job's default
 * taken on today (a UTC day number), the current month being the as_of day's. as_of is *as_of_opt
 * (--as-of) when not NULL, else the job's literal date when it gives one, else the month's last day when
 * --month names a month before today's, else the job's default (today or yesterday).
 */
void pb_param_resolve(const struct pb_job *job, int32_t today, const int32_t *month_opt, const int32_t *as_of_opt,
		      struct pb_param *out);

/* Today, the UTC day number of the real-time clock. */
int32_t pb_param_today(void);

/* How pb_param_expand writes an argument. */
enum pb_param_mode {
	PB_PARAM_CHECK,	 /* only the syntax of the substitutions is checked; nothing is appended */
	PB_PARAM_EXEC,	 /* the value to run: ${env:NAME} gives the variable's value */
	PB_PARAM_RECORD, /* the value to show and record: ${env:NAME} as written (secrets stay out), see below */
	PB_PARAM_SHELL,	 /* the value quoted for a POSIX shell to read, ${env:NAME} as "${NAME}" */
};

#define PB_PARAM_ERR_SYNTAX (-1)
#define PB_PARAM_ERR_UNSET (-2)

/*
 * Appends arg with its substitutions made to out: ${month} (YYYY-MM), ${as_of} (YYYY-MM-DD), ${env:NAME},
 * and $$ for a $. Returns 0; PB_PARAM_ERR_SYNTAX with a message in err when a $ starts anything else; or,
 * in every mode but PB_PARAM_CHECK, PB_PARAM_ERR_UNSET with "environment variable NAME is not set" (or "is
 * empty", or "holds a carriage return" or "a line feed": such values are refused as well) in err.
 * params and out may be NULL for PB_PARAM_CHECK.
 */
int pb_param_expand(const char *arg, enum pb_param_mode mode, const struct pb_param *params, struct pb_buf *out,
		    struct pb_buf *err);

/*
 * Appends the literal text s (len bytes) in its recorded form (PB_PARAM_RECORD): each '$' of a run of them
 * that a '{' follows is doubled, as is each of a run at its end when env_after (an ${env:NAME} follows), so
 * that the text "${env:NAME}" is recorded "$${env:NAME}" and only the variable reads "${env:NAME}". Any
 * other '$' is recorded once, as builds before this form did (a shell's "$$" stays "$$").
 */
void pb_param_record_text(struct pb_buf *out, const char *s, size_t len, int env_after);

#endif
