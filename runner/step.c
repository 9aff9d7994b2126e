/* A step's attempts: each recorded before and after it runs, exit status 3 retried after a doubling, jittered wait. */
#include "step.h"

#include <stdarg.h>
#include <string.h>
#include <sys/random.h>

#include "exec.h"
#include "exitcode.h"
#include "progress.h"
#include "record.h"
#include "text.h"

#include "banned.h"

void pb_step_log(const struct pb_step_ctx *ctx, enum pb_log_level level, const char *step, const char *fmt, ...)
{
	struct pb_log_where w;
	va_list ap;

	memset(&w, 0, sizeof(w));
	w.run = ctx->run_id;
	w.month = ctx->month;
	w.step = step;
	va_start(ap, fmt);
	pb_vlog(level, &w, fmt, ap);
	va_end(ap);
}

void pb_step_seconds(uint64_t ms, char *buf)
{
	snprintf(buf, 32, "%llu.%llu s", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000 / 100));
}

/* What the line callback needs. */
struct lines {
	const struct pb_step_ctx *ctx;
	const char *name;
};

/* The len bytes at s as UTF-8 text for JSON: each byte that is not UTF-8, and each NUL, as U+FFFD. */
static void add_json_text(struct pb_buf *b, const char *s, size_t len)
{
	size_t pos = 0, bad;

	while (pos < len && pb_text_check(s + pos, len - pos, &bad, NULL) < 0) {
		pb_buf_add(b, s + pos, bad);
		pb_buf_addstr(b, "\xef\xbf\xbd");
		pos += bad + 1;
	}
	if (pos < len)
		pb_buf_add(b, s + pos, len - pos);
}

static void on_line(void *arg, const char *line, size_t len)
{
	const struct lines *l = arg;
	struct pb_buf b = PB_BUF_INIT;

	if (l->ctx->json_log) {
		add_json_text(&b, line, len);
		if (!b.failed)
			pb_step_log(l->ctx, PB_LOG_INFO, l->name, "%s", pb_buf_str(&b));
		pb_buf_release(&b);
		return;
	}
	/*
	 * A step may be any program, and its line may quote anything (a file's name): shown as pb-run's own
	 * messages are, so that it can neither move the terminal's cursor nor reorder the line. The project's
	 * programs show such text so already, and what they write is passed on as it is.
	 */
	pb_buf_addf(&b, "[%s] ", l->name);
	pb_text_add_visible(&b, line, len);
	pb_buf_addch(&b, '\n');
	if (!b.failed) {
		fwrite(b.ptr, 1, b.len, l->ctx->err_out);
		fflush(l->ctx->err_out);
	}
	pb_buf_release(&b);
}

/* The wait before retry number n (1: the first), doubling from the step's backoff, plus up to a fifth. */
static uint64_t backoff(uint64_t base, unsigned n)
{
	uint64_t d = base;
	uint32_t r;

	while (--n > 0 && d < PB_JOB_BACKOFF_MAX_MS)
		d *= 2;
	if (d > PB_JOB_BACKOFF_MAX_MS)
		d = PB_JOB_BACKOFF_MAX_MS;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)pb_now_ms();
	return d + r % (d / 5 + 1);
}

/* The exit status an attempt stands for: 3 for a timeout, 128 + N for signal N. */
static int exit_code(const struct pb_exec_result *r)
{
	if (r->timed_out)
		return EXIT_DEPENDENCY;
	return r->exited ? r->status : 128 + r->signal;
}

static void set_end(struct pb_step_end *end, const char *status, int exit_status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void set_end(struct pb_step_end *end, const char *status, int exit_status, const char *fmt, ...)
{
	va_list ap;

	end->status = status;
	end->exit_status = exit_status;
	pb_buf_reset(&end->why);
	va_start(ap, fmt);
	pb_buf_vaddf(&end->why, fmt, ap);
	va_end(ap);
}

/* Says how an attempt ended; returns the status to record. */
static const char *report(const struct pb_step_ctx *ctx, const struct pb_plan_step *ps, const struct pb_exec_result *r)
{
	const char *name = ps->step->name;
	char secs[32], how[48], sig[32], limit[24];

	pb_step_seconds(r->ms, secs);
	if (r->exited) {
		snprintf(how, sizeof(how), "exit %d", r->status);
	} else {
		pb_exec_signal_name(r->signal, sig, sizeof(sig));
		snprintf(how, sizeof(how), "killed by %s", sig);
	}
	if (r->timed_out) {
		pb_job_format_duration(ps->step->timeout_ms, limit);
		pb_step_log(ctx, PB_LOG_INFO, name, "step %s finished in %s, %s, at its timeout of %s", name, secs, how,
			    limit);
	} else {
		pb_step_log(ctx, PB_LOG_INFO, name, "step %s finished in %s, %s", name, secs, how);
	}
	if (r->leftovers)
		pb_step_log(ctx, PB_LOG_WARNING, name, "step %s left processes behind; they were ended", name);
	if (r->stuck)
		pb_step_log(ctx, PB_LOG_WARNING, name,
			    "step %s: processes of its group outlived SIGKILL; pb-run goes on without them", name);
	if (r->interrupted)
		return "interrupted";
	if (r->timed_out)
		return "timed_out";
	return r->exited && r->status == 0 ? "succeeded" : "failed";
}

/*
 * Attempt n of ps: recorded, run, recorded. Returns 0 with r filled, or -1 with end filled; 1 (end filled too,
 * and why_not with the reason alone) when the step could not be started for want of a resource of the system,
 * which may pass as exit status 3 may.
 */
static int attempt(const struct pb_step_ctx *ctx, const struct pb_plan_step *ps, unsigned n, struct pb_exec_result *r,
		   struct pb_step_end *end, struct pb_buf *why_not)
{
	const char *name = ps->step->name;
	struct lines l = {ctx, name};
	struct pb_exec_opts o = {ps->step->timeout_ms, ctx->grace_ms, on_line, &l, ps->shown[0]};
	struct pb_record_step_end rec = {"failed", -1, 0, NULL, 0};
	struct pb_buf err = PB_BUF_INIT;
	int ret = -1, rc;

	if (ps->step->retries)
		pb_step_log(ctx, PB_LOG_INFO, name, "step %s started, attempt %u of %u", name, n,
			    ps->step->retries + 1);
	else
		pb_step_log(ctx, PB_LOG_INFO, name, "step %s started", name);
	if (pb_record_step_begin(ctx->conn, ctx->run_id, ps->seq, name, n, ps->shown, ps->argc, &err) < 0) {
		if (pb_record_ended(ctx->conn))
			set_end(end, "failed", EXIT_DEPENDENCY,
				"the connection to the database ended before step '%s' began: neither it nor the job's "
				"next steps are run (run the job again once the database is back)",
				name);
		else
			set_end(end, "failed", EXIT_DEPENDENCY, "%s", pb_buf_str(&err));
		goto out;
	}
	rc = pb_exec_run(ps->argv, &o, r, &err);
	if (rc < 0) {
		set_end(end, "failed", rc == PB_EXEC_SCARCE ? EXIT_DEPENDENCY : EXIT_USAGE,
			"step '%s' could not be started: %s", name, pb_buf_str(&err));
		rec.tail = pb_buf_str(&err);
		rec.tail_len = err.len;
		if (rc == PB_EXEC_SCARCE) {
			pb_buf_reset(why_not);
			pb_buf_addstr(why_not, pb_buf_str(&err));
			ret = 1;
		}
	} else {
		rec.status = report(ctx, ps, r);
		rec.exit_status = r->exited ? r->status : -1;
		rec.signal = r->exited ? 0 : r->signal;
		rec.tail = pb_buf_str(&r->tail);
		rec.tail_len = r->tail.len;
		ret = 0;
	}
	/*
	 * A database stopped or restarted while the step ran (pb-db stop, a failover): the run ended saying only
	 * "database: server closed the connection unexpectedly This probably means the server terminated
	 * abnormally...", naming neither the step nor what came of the job.
	 */
	if (pb_record_step_end(ctx->conn, ctx->run_id, ps->seq, n, &rec, &err) < 0) {
		if (pb_record_ended(ctx->conn))
			set_end(end, "failed", EXIT_DEPENDENCY,
				"the connection to the database ended while step '%s' ran: its end is not recorded, "
				"and "
				"the job's next steps are not run (run the job again once the database is back)",
				name);
		else
			set_end(end, "failed", EXIT_DEPENDENCY, "%s", pb_buf_str(&err));
		ret = -1;
	}
out:
	pb_buf_release(&err);
	return ret;
}

int pb_step_lock_held(const struct pb_step_ctx *ctx, const char *what, struct pb_step_end *end)
{
	if (pb_record_lock_held(ctx->lock, ctx->job, ctx->month_day, &end->why) == 0)
		return 0;
	pb_buf_addf(&end->why, ": %s", what);
	end->status = "failed";
	end->exit_status = EXIT_DEPENDENCY;
	return -1;
}

/* Fills end for an attempt that ended the run; n attempts were made. */
static void failed(const struct pb_plan_step *ps, const struct pb_exec_result *r, unsigned n, struct pb_step_end *end)
{
	const char *name = ps->step->name;
	char what[48], tries[32] = "";

	if (n > 1)
		snprintf(tries, sizeof(tries), " (%u attempts)", n);
	if (r->interrupted) {
		pb_exec_signal_name(r->interrupted, what, sizeof(what));
		set_end(end, "interrupted", 128 + r->interrupted, "interrupted by %s during step '%s'", what, name);
	} else if (r->timed_out) {
		pb_job_format_duration(ps->step->timeout_ms, what);
		set_end(end, "failed", EXIT_DEPENDENCY, "step '%s' timed out after %s%s", name, what, tries);
	} else if (r->exited) {
		set_end(end, "failed", r->status, "step '%s' failed with exit status %d%s", name, r->status, tries);
	} else {
		pb_exec_signal_name(r->signal, what, sizeof(what));
		set_end(end, "failed", 128 + r->signal, "step '%s' was killed by %s%s", name, what, tries);
	}
}

int pb_step_run(const struct pb_step_ctx *ctx, const struct pb_plan_step *ps, struct pb_step_end *end, int *started,
		uint64_t *ms)
{
	struct pb_exec_result r;
	struct pb_buf why_not = PB_BUF_INIT;
	uint64_t t0 = 0;
	unsigned n;
	int ret = -1, code, rc;
	char what[32];

	memset(&r, 0, sizeof(r));
	pb_buf_init(&r.tail, 0);
	for (n = 1;; n++) {
		int sig = pb_exec_signal();

		if (sig) {
			pb_exec_signal_name(sig, what, sizeof(what));
			set_end(end, "interrupted", 128 + sig, "interrupted by %s %s step '%s'", what,
				n == 1 ? "before" : "while waiting to retry", ps->step->name);
			break;
		}
		/* The lock may have gone with its connection while the attempt before ran (a failover, say). */
		if (n > 1) {
			struct pb_buf what_not = PB_BUF_INIT;

			pb_buf_addf(&what_not, "step '%s' is not retried and the job's next steps are not run",
				    ps->step->name);
			rc = pb_step_lock_held(ctx, pb_buf_str(&what_not), end);
			pb_buf_release(&what_not);
			if (rc < 0)
				break;
		}
		if (!t0)
			t0 = pb_now_ms();
		rc = attempt(ctx, ps, n, &r, end, &why_not);
		if (rc < 0)
			break;
		/* Not started for want of a resource (end says so): retried as exit status 3 is. */
		if (rc > 0 && n > ps->step->retries) {
			if (n > 1)
				pb_buf_addf(&end->why, " (%u attempts)", n);
			break;
		}
		code = rc > 0 ? EXIT_DEPENDENCY : exit_code(&r);
		if (code == 0 && !r.interrupted) {
			ret = 0;
			break;
		}
		if (r.interrupted || code != EXIT_DEPENDENCY || n > ps->step->retries) {
			failed(ps, &r, n, end);
			break;
		}
		{
			uint64_t wait = backoff(ps->step->backoff_ms, n);

			pb_step_seconds(wait, what);
			if (rc > 0)
				pb_step_log(ctx, PB_LOG_WARNING, ps->step->name,
					    "step %s: could not be started: %s, attempt %u of %u; retrying in %s",
					    ps->step->name, pb_buf_str(&why_not), n, ps->step->retries + 1, what);
			else
				pb_step_log(ctx, PB_LOG_WARNING, ps->step->name,
					    "step %s: %s, attempt %u of %u; retrying in %s", ps->step->name,
					    r.timed_out ? "timed out" : "exit status 3", n, ps->step->retries + 1,
					    what);
			pb_exec_sleep(wait);
		}
	}
	*started = t0 != 0;
	*ms = t0 ? pb_now_ms() - t0 : 0;
	pb_buf_release(&r.tail);
	pb_buf_release(&why_not);
	return ret;
}
