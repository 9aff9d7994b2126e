/* Month and as_of of a run, and the ${...} substitutions of step arguments. */
#include "param.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"

#include "banned.h"

int32_t pb_param_today(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int32_t)(ts.tv_sec / 86400);
}

void pb_param_resolve(const struct pb_job *job, int32_t today, const int32_t *month_opt, const int32_t *as_of_opt,
		      struct pb_param *out)
{
	int32_t this_month = pb_date_month_start(today);

	if (month_opt)
		out->month = *month_opt;
	else if (job->month_kind == PB_JOB_MONTH_CURRENT)
		out->month = this_month;
	else if (job->month_kind == PB_JOB_MONTH_PREVIOUS)
		out->month = pb_date_month_start(this_month - 1);
	else
		out->month = job->month;
	if (as_of_opt)
		out->as_of = *as_of_opt;
	else if (job->as_of_kind == PB_JOB_DAY_LITERAL)
		out->as_of = job->as_of;
	else if (month_opt && *month_opt < this_month)
		out->as_of = pb_date_month_start(*month_opt + 31) - 1; /* a rerun of a past month: its last day */
	else
		out->as_of = job->as_of_kind == PB_JOB_DAY_TODAY ? today : today - 1;
	/* As of yesterday on the 1st, the current month is the one that day ends, not one with no day yet. */
	if (!month_opt && job->month_kind == PB_JOB_MONTH_CURRENT)
		out->month = pb_date_month_start(out->as_of);
	/*
	 * A month has no day after its last to be as of: a month close run on a later day (as of today, or an
	 * --as-of of the next month) is as of the month's end, the day pb-aggregate counts through, and that is
	 * the day its steps are given and the run records.
	 */
	if (out->as_of >= pb_date_month_start(out->month + 31))
		out->as_of = pb_date_month_start(out->month + 31) - 1;
}

void pb_param_record_text(struct pb_buf *out, const char *s, size_t len, int env_after)
{
	size_t i = 0, j;

	while (i < len) {
		const char *dollar = memchr(s + i, '$', len - i);
		int twice;

		j = dollar ? (size_t)(dollar - s) : len;
		pb_buf_add(out, s + i, j - i);
		for (i = j; j < len && s[j] == '$'; j++)
			;
		twice = j < len ? s[j] == '{' : env_after;
		for (; i < j; i++)
			pb_buf_add(out, "$$", twice ? 2 : 1);
	}
}

/*
 * Appends the literal text held in lit to out (quoted for a shell, or in its recorded form, in those modes),
 * and empties lit; env_after when an ${env:NAME} follows it.
 */
static void flush_literal(struct pb_buf *lit, enum pb_param_mode mode, struct pb_buf *out, int env_after)
{
	if (lit->failed)
		return; /* it stays failed, for the caller to see */
	if (mode == PB_PARAM_CHECK) {
		pb_buf_reset(lit);
		return;
	}
	if (mode == PB_PARAM_RECORD)
		pb_param_record_text(out, pb_buf_str(lit), lit->len, env_after);
	else if (mode != PB_PARAM_SHELL)
		pb_buf_add(out, pb_buf_str(lit), lit->len);
	else if (lit->len)
		pb_buf_add_shell_word(out, lit->ptr, lit->len);
	pb_buf_reset(lit);
}

static int env_name_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z')))
			return 0;
	return 1;
}

/* ${env:NAME}, NAME being the len bytes at name. */
static int substitute_env(const char *name, size_t len, enum pb_param_mode mode, struct pb_buf *lit, struct pb_buf *out,
			  struct pb_buf *err)
{
	struct pb_buf var = PB_BUF_INIT;
	const char *value;
	int ret = PB_PARAM_ERR_SYNTAX;

	if (!env_name_ok(name, len)) {
		pb_buf_addf(err, "bad environment variable name in '${env:%.*s}'", (int)len, name);
		goto out;
	}
	ret = 0;
	if (mode == PB_PARAM_CHECK)
		goto out;
	pb_buf_add(&var, name, len);
	value = getenv(pb_buf_str(&var));
	/*
	 * An empty value is a mistake as an unset one is (NAME= in an environment file): "${env:DIR}/file" would be
	 * /file at the root, and an empty --source or --out is no place at all.
	 */
	if (!value || !*value) {
		pb_buf_addf(err, "environment variable %s is %s", pb_buf_str(&var), value ? "empty" : "not set");
		ret = PB_PARAM_ERR_UNSET;
	} else if (strchr(value, '\r') || strchr(value, '\n')) {
		/* An environment file with CRLF line ends that a shell sourced: "invoices\r" is another folder. */
		pb_buf_addf(err, "environment variable %s holds a %s", pb_buf_str(&var),
			    strchr(value, '\r') ? "carriage return (an environment file with CRLF line ends?)"
						: "line feed");
		ret = PB_PARAM_ERR_UNSET;
	} else if (mode == PB_PARAM_EXEC) {
		pb_buf_addstr(lit, value);
	} else if (mode == PB_PARAM_RECORD) {
		flush_literal(lit, mode, out, 1);
		pb_buf_addf(out, "${env:%s}", pb_buf_str(&var));
	} else {
		flush_literal(lit, mode, out, 1);
		pb_buf_addf(out, "\"${%s}\"", pb_buf_str(&var));
	}
out:
	pb_buf_release(&var);
	return ret;
}

/* The substitution that *p points at (a '$'): appends its text to lit and moves *p past it. */
static int substitute(const char **p, enum pb_param_mode mode, const struct pb_param *params, struct pb_buf *lit,
		      struct pb_buf *out, struct pb_buf *err)
{
	const char *s = *p, *close;
	char day[11];
	size_t len;

	if (s[1] == '$') {
		pb_buf_addch(lit, '$');
		*p = s + 2;
		return 0;
	}
	if (s[1] != '{') {
		pb_buf_addstr(err, "a '$' must start $$, ${month}, ${as_of} or ${env:NAME}");
		return PB_PARAM_ERR_SYNTAX;
	}
	close = strchr(s + 2, '}');
	if (!close) {
		pb_buf_addstr(err, "unterminated '${'");
		return PB_PARAM_ERR_SYNTAX;
	}
	*p = close + 1;
	len = (size_t)(close - (s + 2));
	if (len == 5 && memcmp(s + 2, "month", 5) == 0) {
		if (params) {
			pb_date_format(params->month, day);
			pb_buf_add(lit, day, 7);
		}
	} else if (len == 5 && memcmp(s + 2, "as_of", 5) == 0) {
		if (params) {
			pb_date_format(params->as_of, day);
			pb_buf_add(lit, day, 10);
		}
	} else if (len >= 4 && memcmp(s + 2, "env:", 4) == 0) {
		return substitute_env(s + 6, len - 4, mode, lit, out, err);
	} else {
		pb_buf_addf(err, "unknown substitution '${%.*s}' (known: ${month}, ${as_of}, ${env:NAME})", (int)len,
			    s + 2);
		return PB_PARAM_ERR_SYNTAX;
	}
	return 0;
}

int pb_param_expand(const char *arg, enum pb_param_mode mode, const struct pb_param *params, struct pb_buf *out,
		    struct pb_buf *err)
{
	struct pb_buf lit = PB_BUF_INIT;
	const char *p = arg;
	int ret = 0;

	pb_buf_reset(err);
	while (*p) {
		const char *dollar = strchr(p, '$');
		size_t n = dollar ? (size_t)(dollar - p) : strlen(p);

		pb_buf_add(&lit, p, n);
		p += n;
		if (!*p)
			break;
		ret = substitute(&p, mode, params, &lit, out, err);
		if (ret < 0)
			goto out;
	}
	if (mode == PB_PARAM_SHELL && !*arg)
		pb_buf_addstr(out, "''");
	flush_literal(&lit, mode, out, 0);
	if (lit.failed || (out && out->failed)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = PB_PARAM_ERR_SYNTAX;
	}
out:
	pb_buf_release(&lit);
	return ret;
}
