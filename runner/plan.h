/* What a run will do: the steps chosen (--from, --only), their arguments substituted, their programs found. */
#ifndef PB_PLAN_H
#define PB_PLAN_H

#include <stddef.h>

#include "buf.h"
#include "job.h"
#include "param.h"

struct pb_plan_step {
	const struct pb_job_step *step; /* in the job, which must outlive the plan */
	unsigned seq;			/* its place in the job file, from 1 */
	size_t argc;
	char **argv;  /* to run: the program's file, then the arguments; NULL-terminated */
	char **shown; /* to record: the same in its recorded form, ${env:NAME} as written; NULL-terminated */
	char *shell;  /* to read: the program as written and the arguments, quoted for a shell */
};

struct pb_plan {
	struct pb_plan_step *steps;
	size_t nsteps;
};

#define PB_PLAN_ERR_STEP (-1)	 /* --from or --only names no step */
#define PB_PLAN_ERR_ENV (-2)	 /* an ${env:NAME} is not set */
#define PB_PLAN_ERR_PROGRAM (-3) /* a program cannot be found or run */
#define PB_PLAN_ERR_MEMORY (-4)

/*
 * Makes the plan (prepared by the caller with memset 0) of job's steps, all of them, from the step named
 * from, or only the step named only (each NULL when not given), for the parameters par; nothing is run.
 * Returns 0, or one of PB_PLAN_ERR_* with a message in err and, for ENV and PROGRAM, the argument's place
 * in *at; the plan then holds what pb_plan_release frees.
 */
int pb_plan_make(struct pb_plan *plan, const struct pb_job *job, const struct pb_param *par, const char *from,
		 const char *only, struct pb_job_mark *at, struct pb_buf *err);

/* Frees what plan holds and zeroes it. */
void pb_plan_release(struct pb_plan *plan);

#endif
