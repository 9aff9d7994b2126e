/* A run's plan: every substitution made and every program found before the first step starts. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "exec.h"

#include "banned.h"

static char *dup_buf(const struct pb_buf *b)
{
	return b->failed ? NULL : strdup(pb_buf_str(b));
}

/* The arguments of ps's step, in the three forms. */
static int expand_args(struct pb_plan_step *ps, const struct pb_param *par, struct pb_job_mark *at, struct pb_buf *err)
{
	const struct pb_job_step *st = ps->step;
	struct pb_buf v = PB_BUF_INIT, shell = PB_BUF_INIT, why = PB_BUF_INIT;
	int ret = PB_PLAN_ERR_MEMORY, rc = 0;
	size_t j;

	for (j = 0; j < st->nrun; j++) {
		const char *arg = st->run[j].text;

		pb_buf_reset(&v);
		rc = pb_param_expand(arg, PB_PARAM_EXEC, par, &v, &why);
		if (rc == 0) {
			ps->argv[j] = dup_buf(&v);
			pb_buf_reset(&v);
			rc = pb_param_expand(arg, PB_PARAM_RECORD, par, &v, &why);
		}
		if (rc == 0) {
			ps->shown[j] = dup_buf(&v);
			if (j)
				pb_buf_addch(&shell, ' ');
			rc = pb_param_expand(arg, PB_PARAM_SHELL, par, &shell, &why);
		}
		if (rc < 0) {
			*at = st->run[j].at;
			pb_buf_reset(err);
			pb_buf_addf(err, "step '%s': %s", st->name, pb_buf_str(&why));
			ret = rc == PB_PARAM_ERR_UNSET ? PB_PLAN_ERR_ENV : PB_PLAN_ERR_MEMORY;
			goto out;
		}
		if (!ps->argv[j] || !ps->shown[j])
			goto out;
		ps->argc++;
	}
	ps->shell = dup_buf(&shell);
	if (ps->shell)
		ret = 0;
out:
	if (ret == PB_PLAN_ERR_MEMORY && rc == 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
	}
	pb_buf_release(&v);
	pb_buf_release(&shell);
	pb_buf_release(&why);
	return ret;
}

/*
 * The step's program: argv[0] becomes the file to run, which is also what is recorded (in its recorded form),
 * unless the program comes from an ${env:NAME}, whose value is neither recorded nor printed: it is then shown
 * as written. Without one, the value recorded is the value run in its recorded form.
 */
static int find_program(struct pb_plan_step *ps, struct pb_job_mark *at, struct pb_buf *err)
{
	struct pb_buf path = PB_BUF_INIT, why = PB_BUF_INIT, rec = PB_BUF_INIT;
	int from_env, ret = PB_PLAN_ERR_MEMORY;

	pb_param_record_text(&rec, ps->argv[0], strlen(ps->argv[0]), 0);
	from_env = strcmp(pb_buf_str(&rec), ps->shown[0]) != 0;
	if (pb_exec_find(ps->argv[0], ps->shown[0], &path, &why) < 0) {
		*at = ps->step->run[0].at;
		pb_buf_reset(err);
		pb_buf_addf(err, "step '%s': %s", ps->step->name, pb_buf_str(&why));
		ret = PB_PLAN_ERR_PROGRAM;
		goto out;
	}
	free(ps->argv[0]);
	ps->argv[0] = dup_buf(&path);
	if (!from_env) {
		pb_buf_reset(&rec);
		pb_param_record_text(&rec, pb_buf_str(&path), path.len, 0);
		free(ps->shown[0]);
		ps->shown[0] = dup_buf(&rec);
	}
	if (ps->argv[0] && ps->shown[0])
		ret = 0;
	else
		pb_buf_addstr(err, "out of memory");
out:
	pb_buf_release(&path);
	pb_buf_release(&why);
	pb_buf_release(&rec);
	return ret;
}

/* The index of the step named name, or -1 with a message in err. */
static long step_index(const struct pb_job *job, const char *name, struct pb_buf *err)
{
	const struct pb_job_step *st = pb_job_find_step(job, name);
	size_t i;

	if (st)
		return (long)(st - job->steps);
	pb_buf_reset(err);
	pb_buf_addf(err, "job '%s' has no step '%s' (its steps:", job->name, name);
	for (i = 0; i < job->nsteps; i++)
		pb_buf_addf(err, " %s", job->steps[i].name);
	pb_buf_addch(err, ')');
	return -1;
}

int pb_plan_make(struct pb_plan *plan, const struct pb_job *job, const struct pb_param *par, const char *from,
		 const char *only, struct pb_job_mark *at, struct pb_buf *err)
{
	long first = 0, last = (long)job->nsteps, i;
	int rc;

	at->line = at->column = 0;
	if (from || only) {
		first = step_index(job, only ? only : from, err);
		if (first < 0)
			return PB_PLAN_ERR_STEP;
		if (only)
			last = first + 1;
	}
	plan->steps = calloc((size_t)(last - first), sizeof(*plan->steps));
	if (!plan->steps)
		goto nomem;
	for (i = first; i < last; i++) {
		struct pb_plan_step *ps = &plan->steps[plan->nsteps++];

		ps->step = &job->steps[i];
		ps->seq = (unsigned)i + 1;
		ps->argv = calloc(ps->step->nrun + 1, sizeof(*ps->argv));
		ps->shown = calloc(ps->step->nrun + 1, sizeof(*ps->shown));
		if (!ps->argv || !ps->shown)
			goto nomem;
		rc = expand_args(ps, par, at, err);
		if (rc == 0)
			rc = find_program(ps, at, err);
		if (rc < 0)
			return rc;
	}
	return 0;
nomem:
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return PB_PLAN_ERR_MEMORY;
}

void pb_plan_release(struct pb_plan *plan)
{
	size_t i, j;

	for (i = 0; i < plan->nsteps; i++) {
		struct pb_plan_step *ps = &plan->steps[i];

		for (j = 0; ps->argv && j < ps->step->nrun; j++)
			free(ps->argv[j]);
		for (j = 0; ps->shown && j < ps->step->nrun; j++)
			free(ps->shown[j]);
		free(ps->argv);
		free(ps->shown);
		free(ps->shell);
	}
	free(plan->steps);
	memset(plan, 0, sizeof(*plan));
}
