/* A job file of pb-run: its name, parameters with their defaults, and ordered steps, read with libyaml. */
#ifndef PB_JOB_H
#define PB_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A place in the job file, 1-based (0: none). */
struct pb_job_mark {
	unsigned line;
	unsigned column;
};

enum pb_job_month { PB_JOB_MONTH_CURRENT, PB_JOB_MONTH_PREVIOUS, PB_JOB_MONTH_LITERAL };
enum pb_job_day { PB_JOB_DAY_TODAY, PB_JOB_DAY_YESTERDAY, PB_JOB_DAY_LITERAL };

/* One argument of a step's run list, as written (substitutions not yet made). */
struct pb_job_arg {
	char *text; /* NUL-terminated, holds no NUL of its own */
	struct pb_job_mark at;
};

struct pb_job_step {
	char *name;
	struct pb_job_mark at; /* of the name's value */
	struct pb_job_arg *run;
	size_t nrun;	     /* at least 1 */
	uint64_t timeout_ms; /* > 0 */
	unsigned retries;    /* further attempts after an exit status of 3 */
	uint64_t backoff_ms; /* the wait before the first retry (PB_JOB_BACKOFF_MIN_MS to _MAX_MS); it doubles for
			      * each next one */
};

#define PB_JOB_TIMEOUT_DEFAULT_MS (3600 * (uint64_t)1000)
#define PB_JOB_BACKOFF_DEFAULT_MS (5 * (uint64_t)1000)
/* A backoff's range: a shorter one retries a partner's API at once, in a storm; the waits stop doubling at the
 * longest, so a longer one would wait no longer. */
#define PB_JOB_BACKOFF_MIN_MS ((uint64_t)100)
#define PB_JOB_BACKOFF_MAX_MS ((uint64_t)3600 * 1000)
#define PB_JOB_RETRIES_MAX 100
#define PB_JOB_NAME_MAX 64

/* A parsed job. Every pointer is owned by the job; pb_job_release frees them. */
struct pb_job {
	char *name;
	enum pb_job_month month_kind;
	int32_t month; /* PB_JOB_MONTH_LITERAL: day number of the month's first day */
	enum pb_job_day as_of_kind;
	int32_t as_of;		     /* PB_JOB_DAY_LITERAL: day number */
	struct pb_job_mark as_of_at; /* PB_JOB_DAY_LITERAL: the place of the as_of */
	struct pb_job_step *steps;
	size_t nsteps; /* at least 1; step names are unique */
};

/*
 * Parses the len bytes at text (a YAML document; need not be NUL-terminated) into job, which the caller
 * prepares with memset 0. Unknown keys, wrong types (a map where a list is wanted), a bad duration or
 * date, a duplicate step name, a bad substitution, anchors, aliases and tags are errors. Returns 0, or -1
 * with the place in *at (0:0 when there is none) and a message without the place in err; job then holds
 * nothing to free beyond what pb_job_release frees.
 */
int pb_job_parse(struct pb_job *job, const char *text, size_t len, struct pb_job_mark *at, struct pb_buf *err);

/* Frees what job holds and zeroes it. Accepts a zeroed job. */
void pb_job_release(struct pb_job *job);

/* Whether s is a job or step name: up to PB_JOB_NAME_MAX letters, digits, '.', '_' and '-', the first a letter or
 * digit. */
int pb_job_name_ok(const char *s);

/* The step named name, or NULL. */
const struct pb_job_step *pb_job_find_step(const struct pb_job *job, const char *name);

/*
 * Parses a duration: digits and a unit, ms, s, m or h ("30s", "10m", "2h", "500ms"), at most 7 days.
 * Returns 0 and *ms, or -1.
 */
int pb_job_parse_duration(const char *s, uint64_t *ms);

/* Writes ms as pb_job_parse_duration reads it, in the largest unit that divides it, into buf (24 bytes). */
void pb_job_format_duration(uint64_t ms, char *buf);

#endif
