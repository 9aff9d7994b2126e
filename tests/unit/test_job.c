/* Unit tests of runner/job.c and runner/param.c: job files, durations, parameters and substitutions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "job.h"
#include "param.h"

#include "banned.h"

static void test_durations(void **state)
{
	static const char *const bad[] = {"",
					  "s",
					  "1",
					  "1d",
					  "1.5s",
					  "-1s",
					  " 1s",
					  "1s ",
					  "1S",
					  "0x10s",
					  "169h",
					  "605000s",
					  "99999999999999999999s",
					  NULL};
	uint64_t ms;
	char buf[24];
	int i;

	(void)state;
	assert_int_equal(pb_job_parse_duration("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(pb_job_parse_duration("30s", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(pb_job_parse_duration("10m", &ms), 0);
	assert_int_equal(ms, 600000);
	assert_int_equal(pb_job_parse_duration("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(pb_job_parse_duration("0s", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(pb_job_parse_duration("168h", &ms), 0);
	assert_int_equal(ms, (uint64_t)7 * 24 * 3600 * 1000);
	for (i = 0; bad[i]; i++)
		if (pb_job_parse_duration(bad[i], &ms) == 0)
			fail_msg("duration '%s' accepted", bad[i]);
	pb_job_format_duration(3600000, buf);
	assert_string_equal(buf, "1h");
	pb_job_format_duration(90000, buf);
	assert_string_equal(buf, "90s");
	pb_job_format_duration(120000, buf);
	assert_string_equal(buf, "2m");
	pb_job_format_duration(1500, buf);
	assert_string_equal(buf, "1500ms");
	pb_job_format_duration(0, buf);
	assert_string_equal(buf, "0s");
}

/* Parses text; returns 0 or -1 with "LINE:COLUMN: message" in msg. */
static int parse(const char *text, struct pb_job *job, char *msg, size_t size)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_job_mark at;
	int rc;

	memset(job, 0, sizeof(*job));
	rc = pb_job_parse(job, text, strlen(text), &at, &err);
	snprintf(msg, size, "%u:%u: %s", at.line, at.column, pb_buf_str(&err));
	pb_buf_release(&err);
	return rc;
}

static void test_parse_job(void **state)
{
	struct pb_job job;
	char msg[256];

	(void)state;
	assert_int_equal(parse("# a job\n"
			       "name: nightly\n"
			       "params: {month: 2026-10, as_of: yesterday}\n"
			       "steps:\n"
			       "  - name: a.1\n"
			       "    run: [prog, '${month}', \"x y\"]\n"
			       "    timeout: 90s\n"
			       "    retries: 2\n"
			       "    backoff: 250ms\n"
			       "  - name: b\n"
			       "    run:\n"
			       "      - other\n",
			       &job, msg, sizeof(msg)),
			 0);
	assert_string_equal(job.name, "nightly");
	assert_int_equal(job.month_kind, PB_JOB_MONTH_LITERAL);
	assert_int_equal(job.month, pb_date_from_ymd(2026, 10, 1));
	assert_int_equal(job.as_of_kind, PB_JOB_DAY_YESTERDAY);
	assert_int_equal(job.nsteps, 2);
	assert_string_equal(job.steps[0].name, "a.1");
	assert_int_equal(job.steps[0].nrun, 3);
	assert_string_equal(job.steps[0].run[1].text, "${month}");
	assert_int_equal(job.steps[0].run[1].at.line, 6);
	assert_int_equal(job.steps[0].run[1].at.column, 17);
	assert_string_equal(job.steps[0].run[2].text, "x y");
	assert_int_equal(job.steps[0].timeout_ms, 90000);
	assert_int_equal(job.steps[0].retries, 2);
	assert_int_equal(job.steps[0].backoff_ms, 250);
	assert_int_equal(job.steps[1].timeout_ms, PB_JOB_TIMEOUT_DEFAULT_MS);
	assert_int_equal(job.steps[1].retries, 0);
	assert_int_equal(job.steps[1].backoff_ms, PB_JOB_BACKOFF_DEFAULT_MS);
	assert_ptr_equal(pb_job_find_step(&job, "b"), &job.steps[1]);
	assert_null(pb_job_find_step(&job, "c"));
	pb_job_release(&job);
	assert_null(job.name);
	assert_int_equal(parse("name: x\nsteps: [{name: a, run: [p]}]\n", &job, msg, sizeof(msg)), 0);
	assert_int_equal(job.month_kind, PB_JOB_MONTH_CURRENT);
	assert_int_equal(job.as_of_kind, PB_JOB_DAY_TODAY);
	pb_job_release(&job);
}

static void test_parse_errors(void **state)
{
	static const char *const cases[][2] = {
		{"", "1:1: the job file is empty"},
		{"# only a comment\n", "2:1: the job file is empty"},
		{"- a\n", "1:1: a job must be a map (name, params, steps), not a list"},
		{"name: x\n", "1:1: the job has no 'steps'"},
		{"steps: [{name: a, run: [p]}]\n", "1:1: the job has no 'name'"},
		{"name: x\nname: y\n", "2:1: repeated key 'name'"},
		{"name: x\nsteps: []\n", "2:8: 'steps' is an empty list"},
		{"name: x\nsteps: {}\n", "2:8: 'steps' must be a list, not a map"},
		{"name: x\nsteps: [a]\n", "2:9: a step must be a map, not a scalar"},
		{"name: x\nsteps: [{run: [p]}]\n", "2:9: a step has no 'name'"},
		{"name: x\nsteps: [{name: a}]\n", "2:9: step 'a' has no 'run'"},
		{"name: x\nsteps: [{name: a, run: []}]\n",
		 "2:24: 'run' is an empty list: it names the program to run and "
		 "its arguments"},
		{"name: x\nsteps: [{name: a, run: ['']}]\n", "2:24: 'run' names an empty program"},
		{"name: x\nsteps: [{name: a, run: [p, [q]]}]\n", "2:28: an item of 'run' must be a scalar, not a list"},
		{"name: x\nsteps: [{name: a, run: [p, ~]}]\n", "2:28: an item of 'run' must be a scalar, not null"},
		{"name: x\nsteps: [{name: a, run: [p, \"a\\0b\"]}]\n", "2:28: an item of 'run' holds a NUL character"},
		{"name: x\nsteps: [{name: a, run: p}]\n", "2:24: 'run' must be a list, not a scalar"},
		{"name: x\nsteps: [{name: a, run: [p], retries: -1}]\n",
		 "2:38: bad retries '-1': a count from 0 to 100"},
		{"name: x\nsteps: [{name: a, run: [p], backoff: 1 s}]\n",
		 "2:38: bad backoff '1 s': a number and a unit, ms, s, m or h (30s, 10m, 2h), from 100ms to 1h"},
		/* No wait between retries would call a partner's API again at once, up to 100 times. */
		{"name: x\nsteps: [{name: a, run: [p], backoff: 0s}]\n",
		 "2:38: bad backoff '0s': a number and a unit, ms, s, m or h (30s, 10m, 2h), from 100ms to 1h"},
		{"name: x\nsteps: [{name: a, run: [p], backoff: 99ms}]\n",
		 "2:38: bad backoff '99ms': a number and a unit, ms, s, m or h (30s, 10m, 2h), from 100ms to 1h"},
		/* The waits stop doubling at an hour: a longer backoff would be an hour all the same. */
		{"name: x\nsteps: [{name: a, run: [p], backoff: 61m}]\n",
		 "2:38: bad backoff '61m': a number and a unit, ms, s, m or h (30s, 10m, 2h), from 100ms to 1h"},
		{"name: x\nsteps: [{name: a, run: [p], timeout: 169h}]\n",
		 "2:38: bad timeout '169h': a number and a unit, ms, s, m or h (30s, 10m, 2h), above zero and at most "
		 "7 days "
		 "(168h)"},
		{"name: x\nsteps: [{name: a, run: [p], timeout: }]\n", "2:38: 'timeout' has no value"},
		{"name: x\nsteps: [{name: 'a b', run: [p]}]\n",
		 "2:16: bad step name 'a b': up to 64 letters, digits, '.', '_' and '-', the first a letter or digit"},
		{"name: -x\n",
		 "1:7: bad job name '-x': up to 64 letters, digits, '.', '_' and '-', the first a letter or "
		 "digit"},
		{"name: x\nparams: {month: last}\n", "2:17: bad month 'last': current, previous or YYYY-MM"},
		{"name: x\nparams: {as_of: 2026-02-30}\n",
		 "2:17: bad as_of '2026-02-30': today, yesterday or YYYY-MM-DD"},
		{"name: x\nparams: {as_of: 9999-12-01}\n",
		 "2:17: as_of 9999-12-01 is out of range: the last month supported is 9999-11"},
		{"name: x\nparams: {as_of: 0000-12-31}\n",
		 "2:17: as_of 0000-12-31 is out of range: the first month supported is 0001-01"},
		{"name: x\nparams: {month: 0000-12}\n",
		 "2:17: month 0000-12 is out of range: the first month supported is 0001-01"},
		{"name: x\nparams: {month: 0000-13}\n", "2:17: bad month '0000-13': current, previous or YYYY-MM"},
		{"name: x\nparams: {day: 1}\n", "2:10: unknown key 'day' in params (known: month, as_of)"},
		{"name: x\nowner: me\n", "2:1: unknown key 'owner' in a job (known: name, params, steps)"},
		{"name: x\n? [a]\n: b\n", "2:3: a key must be a scalar, not a list"},
		{"name: &n x\n", "1:7: anchors are not supported"},
		{"name: x\nsteps: *s\n", "2:8: aliases are not supported"},
		{"name: !!str x\n", "1:7: tags are not supported"},
		{"name: x\nsteps: [{name: a, run: [p]}]\n---\nname: y\n", "3:1: a job file holds one document"},
		{"name: x\nsteps: [{name: a, run: [p, '${env:1A}']}]\n",
		 "2:28: bad environment variable name in '${env:1A}'"},
		{"name: x\nsteps: [{name: a, run: [p, 'a$']}]\n", "2:28: a '$' must start $$, ${month}, ${as_of} or "
								  "${env:NAME}"},
		{"name: x\nsteps: [{name: a, run: [p, '${month']}]\n", "2:28: unterminated '${'"},
		{"name: x\n\tsteps: 1\n",
		 "2:1: found a tab character that violates indentation (while scanning a plain "
		 "scalar at line 1, column 7)"},
		{"name: \xff\n", "1:7: invalid leading UTF-8 octet (byte 0xff)"},
	};
	struct pb_job job;
	char msg[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i][0], &job, msg, sizeof(msg)) == 0)
			fail_msg("accepted: %s", cases[i][0]);
		if (strcmp(msg, cases[i][1]) != 0)
			fail_msg("%s\ngave  %s\nwanted %s", cases[i][0], msg, cases[i][1]);
		assert_null(job.name);
		assert_int_equal(job.nsteps, 0);
	}
}

static void test_resolve(void **state)
{
	struct pb_job job;
	struct pb_param p;
	int32_t jan15 = pb_date_from_ymd(2026, 1, 15), mar1 = pb_date_from_ymd(2026, 3, 1);
	int32_t feb24 = pb_date_from_ymd(2024, 2, 1), may = pb_date_from_ymd(2026, 5, 1), day;

	(void)state;
	memset(&job, 0, sizeof(job));
	pb_param_resolve(&job, jan15, NULL, NULL, &p);
	assert_int_equal(p.month, pb_date_from_ymd(2026, 1, 1));
	assert_int_equal(p.as_of, jan15);
	/*
	 * The current month is the as_of day's: as of yesterday on the 1st (the nightly job), the month before,
	 * which pb-aggregate takes; an --as-of of another month, that month.
	 */
	job.as_of_kind = PB_JOB_DAY_YESTERDAY;
	pb_param_resolve(&job, mar1, NULL, NULL, &p);
	assert_int_equal(p.month, pb_date_from_ymd(2026, 2, 1));
	assert_int_equal(p.as_of, pb_date_from_ymd(2026, 2, 28));
	pb_param_resolve(&job, jan15, NULL, NULL, &p);
	assert_int_equal(p.month, pb_date_from_ymd(2026, 1, 1));
	assert_int_equal(p.as_of, jan15 - 1);
	day = pb_date_from_ymd(2025, 11, 30);
	pb_param_resolve(&job, jan15, NULL, &day, &p);
	assert_int_equal(p.month, pb_date_from_ymd(2025, 11, 1));
	assert_int_equal(p.as_of, day);
	/* An as_of after the month is the month's last day: a month close as of yesterday is as of its end. */
	job.month_kind = PB_JOB_MONTH_PREVIOUS;
	job.as_of_kind = PB_JOB_DAY_YESTERDAY;
	pb_param_resolve(&job, jan15, NULL, NULL, &p);
	assert_int_equal(p.month, pb_date_from_ymd(2025, 12, 1));
	assert_int_equal(p.as_of, pb_date_from_ymd(2025, 12, 31));
	pb_param_resolve(&job, mar1, NULL, NULL, &p);
	assert_int_equal(p.month, pb_date_from_ymd(2026, 2, 1));
	assert_int_equal(p.as_of, pb_date_from_ymd(2026, 2, 28));
	/* --month of a past month: its last day; of this month or a later one: the job's default. */
	pb_param_resolve(&job, jan15, &feb24, NULL, &p);
	assert_int_equal(p.month, feb24);
	assert_int_equal(p.as_of, pb_date_from_ymd(2024, 2, 29));
	pb_param_resolve(&job, jan15, &may, NULL, &p);
	assert_int_equal(p.as_of, jan15 - 1);
	day = pb_date_from_ymd(2026, 1, 1);
	pb_param_resolve(&job, jan15, &day, NULL, &p);
	assert_int_equal(p.as_of, jan15 - 1);
	/* An explicit as_of wins: --as-of, then the job's literal date; after the month, its last day. */
	day = pb_date_from_ymd(2024, 2, 3);
	pb_param_resolve(&job, jan15, &feb24, &day, &p);
	assert_int_equal(p.as_of, day);
	day = pb_date_from_ymd(2026, 1, 3);
	pb_param_resolve(&job, jan15, &feb24, &day, &p);
	assert_int_equal(p.as_of, pb_date_from_ymd(2024, 2, 29));
	job.as_of_kind = PB_JOB_DAY_LITERAL;
	job.as_of = pb_date_from_ymd(2024, 2, 10);
	pb_param_resolve(&job, jan15, &feb24, NULL, &p);
	assert_int_equal(p.as_of, job.as_of);
	job.as_of = pb_date_from_ymd(2025, 7, 4);
	pb_param_resolve(&job, jan15, &feb24, NULL, &p);
	assert_int_equal(p.as_of, pb_date_from_ymd(2024, 2, 29));
	job.month_kind = PB_JOB_MONTH_LITERAL;
	job.month = pb_date_from_ymd(2025, 7, 1);
	pb_param_resolve(&job, jan15, NULL, NULL, &p);
	assert_int_equal(p.month, job.month);
}

/* Expands arg in mode; returns the text or "ERR n: message" in buf. */
static const char *expand(const char *arg, enum pb_param_mode mode, char *buf, size_t size)
{
	struct pb_param p = {pb_date_from_ymd(2026, 10, 1), pb_date_from_ymd(2026, 10, 31)};
	struct pb_buf out = PB_BUF_INIT, err = PB_BUF_INIT;
	int rc = pb_param_expand(arg, mode, &p, &out, &err);

	if (rc)
		snprintf(buf, size, "ERR %d: %s", rc, pb_buf_str(&err));
	else
		snprintf(buf, size, "%s", pb_buf_str(&out));
	pb_buf_release(&out);
	pb_buf_release(&err);
	return buf;
}

static void test_expand(void **state)
{
	char b[256];

	(void)state;
	setenv("PB_TEST_SECRET", "p4ss w'rd", 1);
	unsetenv("PB_TEST_UNSET");
	assert_string_equal(expand("--month=${month}", PB_PARAM_EXEC, b, sizeof(b)), "--month=2026-10");
	assert_string_equal(expand("${as_of}${month}", PB_PARAM_EXEC, b, sizeof(b)), "2026-10-312026-10");
	assert_string_equal(expand("$$${month}$$", PB_PARAM_EXEC, b, sizeof(b)), "$2026-10$");
	assert_string_equal(expand("${env:PB_TEST_SECRET}", PB_PARAM_EXEC, b, sizeof(b)), "p4ss w'rd");
	assert_string_equal(expand("k=${env:PB_TEST_SECRET}", PB_PARAM_RECORD, b, sizeof(b)),
			    "k=${env:PB_TEST_SECRET}");
	/* In the recorded form, a '$' of the text before a '{' is doubled: only the variable reads ${env:NAME}. */
	assert_string_equal(expand("$${env:X}|$$${env:PB_TEST_SECRET}|$$$${x}", PB_PARAM_RECORD, b, sizeof(b)),
			    "$${env:X}|$$${env:PB_TEST_SECRET}|$$$${x}");
	assert_string_equal(expand("$$$$ $$${month} $$", PB_PARAM_RECORD, b, sizeof(b)), "$$ $2026-10 $");
	assert_string_equal(expand("$${env:X}", PB_PARAM_EXEC, b, sizeof(b)), "${env:X}");
	assert_string_equal(expand("k=${env:PB_TEST_SECRET}!", PB_PARAM_SHELL, b, sizeof(b)),
			    "k=\"${PB_TEST_SECRET}\"'!'");
	assert_string_equal(expand("", PB_PARAM_SHELL, b, sizeof(b)), "''");
	assert_string_equal(expand("it's $$5", PB_PARAM_SHELL, b, sizeof(b)), "'it'\\''s $5'");
	assert_string_equal(expand("--as-of=${as_of}", PB_PARAM_SHELL, b, sizeof(b)), "--as-of=2026-10-31");
	assert_string_equal(expand("~user", PB_PARAM_SHELL, b, sizeof(b)), "'~user'");
	assert_string_equal(expand("x${env:PB_TEST_UNSET}", PB_PARAM_EXEC, b, sizeof(b)),
			    "ERR -2: environment variable PB_TEST_UNSET is not set");
	assert_string_equal(expand("x${env:PB_TEST_UNSET}", PB_PARAM_SHELL, b, sizeof(b)),
			    "ERR -2: environment variable PB_TEST_UNSET is not set");
	assert_string_equal(expand("x${env:PB_TEST_UNSET}", PB_PARAM_CHECK, b, sizeof(b)), "");
	assert_string_equal(expand("${HOME}", PB_PARAM_CHECK, b, sizeof(b)),
			    "ERR -1: unknown substitution '${HOME}' (known: ${month}, ${as_of}, ${env:NAME})");
	assert_string_equal(expand("$HOME", PB_PARAM_EXEC, b, sizeof(b)),
			    "ERR -1: a '$' must start $$, ${month}, ${as_of} or ${env:NAME}");
	assert_string_equal(expand("${env:}", PB_PARAM_EXEC, b, sizeof(b)),
			    "ERR -1: bad environment variable name in '${env:}'");
	assert_string_equal(expand("${env:A-B}", PB_PARAM_EXEC, b, sizeof(b)),
			    "ERR -1: bad environment variable name in '${env:A-B}'");
	assert_string_equal(expand("${", PB_PARAM_EXEC, b, sizeof(b)), "ERR -1: unterminated '${'");
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_parse_job),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_expand),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
