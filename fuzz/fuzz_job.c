/*
 * libFuzzer target for runner/job.c and runner/param.c: any bytes give a job or an error with a place in
 * the text, never a crash; a job has steps with unique names and programs, and backoffs in their range, and no
 * literal month or as_of past the last month taken; every argument, quoted for a shell, reads back as the
 * argument recorded; and one without a ${env:NAME} is recorded as it is run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "job.h"
#include "param.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_job: %s\n", what);
		abort();
	}
}

/*
 * Reads back a word written by PB_PARAM_SHELL in the recorded form: bare characters, '...', $'...', and "${NAME}"
 * as ${env:NAME}.
 */
static void unquote(const char *s, struct pb_buf *out)
{
	struct pb_buf lit = PB_BUF_INIT;

	while (*s) {
		if (s[0] == '$' && s[1] == '\'') {
			/* $'...': \ooo a byte, \' and \\ themselves, the rest as it is (pb_buf_add_shell_word). */
			for (s += 2; *s != '\''; s++) {
				check(*s != '\0', "an unterminated $'...'");
				if (*s != '\\') {
					pb_buf_addch(&lit, *s);
				} else if (s[1] == '\'' || s[1] == '\\') {
					pb_buf_addch(&lit, *++s);
				} else {
					check(s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
						      s[3] <= '7',
					      "a bad escape in $'...'");
					pb_buf_addch(&lit, (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0')));
					s += 3;
				}
			}
			s++;
		} else if (*s == '\'') {
			const char *end = strchr(s + 1, '\'');

			check(end != NULL, "an unterminated quote");
			pb_buf_add(&lit, s + 1, (size_t)(end - s - 1));
			s = end + 1;
		} else if (*s == '\\') {
			check(s[1] != '\0', "a backslash at the end");
			pb_buf_addch(&lit, s[1]);
			s += 2;
		} else if (*s == '"') {
			const char *end = strchr(s + 1, '"');

			check(end != NULL && s[1] == '$' && s[2] == '{' && end[-1] == '}', "a bad variable");
			pb_param_record_text(out, pb_buf_str(&lit), lit.len, 1);
			pb_buf_reset(&lit);
			pb_buf_addf(out, "${env:%.*s}", (int)(end - s - 4), s + 3);
			s = end + 1;
		} else {
			check(strchr("\t\n $`;&|<>()*?[]#~!{}", *s) == NULL, "a special character left bare");
			pb_buf_addch(&lit, *s++);
		}
	}
	pb_param_record_text(out, pb_buf_str(&lit), lit.len, 0);
	pb_buf_release(&lit);
}

static void check_arg(const char *arg, const struct pb_param *par)
{
	struct pb_buf rec = PB_BUF_INIT, sh = PB_BUF_INIT, back = PB_BUF_INIT, err = PB_BUF_INIT, run = PB_BUF_INIT;
	int r1 = pb_param_expand(arg, PB_PARAM_RECORD, par, &rec, &err);
	int r2 = pb_param_expand(arg, PB_PARAM_SHELL, par, &sh, &err);
	int r3 = pb_param_expand(arg, PB_PARAM_EXEC, par, &run, &err);

	check(r1 != PB_PARAM_ERR_SYNTAX && r1 == r2 && r1 == r3, "a checked argument fails to expand");
	/* Without a variable, the value recorded is the value run in its recorded form. */
	if (r1 == 0 && !strstr(arg, "${env:")) {
		pb_param_record_text(&back, pb_buf_str(&run), run.len, 0);
		check(strcmp(pb_buf_str(&back), pb_buf_str(&rec)) == 0, "the value run is not the one recorded");
		pb_buf_reset(&back);
	}
	if (r1 == 0) {
		check(sh.len > 0, "an empty shell word");
		if (strcmp(sh.ptr, "''") != 0)
			unquote(sh.ptr, &back);
		check(strcmp(pb_buf_str(&back), pb_buf_str(&rec)) == 0, "the shell word reads back differently");
	}
	pb_buf_release(&rec);
	pb_buf_release(&sh);
	pb_buf_release(&back);
	pb_buf_release(&err);
	pb_buf_release(&run);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_job job;
	struct pb_job_mark at;
	struct pb_buf err = PB_BUF_INIT;
	struct pb_param par;
	int32_t month = 20727;
	size_t i, j;
	/* A copy of exactly size bytes, so that ASan sees any read past the end. */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	memset(&job, 0, sizeof(job));
	if (pb_job_parse(&job, text, size, &at, &err) < 0) {
		check(err.len > 0, "an error without a message");
		check(job.name == NULL && job.nsteps == 0, "a failed parse leaves a job");
		goto out;
	}
	check(job.name && job.nsteps > 0, "a job without a name or steps");
	check((job.month_kind != PB_JOB_MONTH_LITERAL || !pb_date_after_last_month(job.month)) &&
		      (job.as_of_kind != PB_JOB_DAY_LITERAL || !pb_date_after_last_month(job.as_of)),
	      "a literal month or as_of after the last month");
	check(job.as_of_kind != PB_JOB_DAY_LITERAL || job.as_of_at.line > 0, "a literal as_of without its place");
	pb_param_resolve(&job, 20760, size % 2 ? &month : NULL, NULL, &par);
	for (i = 0; i < job.nsteps; i++) {
		const struct pb_job_step *st = &job.steps[i];

		check(st->nrun > 0 && st->run[0].text[0] && st->timeout_ms > 0, "a step without a program or time");
		check(st->backoff_ms >= PB_JOB_BACKOFF_MIN_MS && st->backoff_ms <= PB_JOB_BACKOFF_MAX_MS,
		      "a backoff out of its range");
		check(pb_job_find_step(&job, st->name) == st, "a step name used twice");
		for (j = 0; j < st->nrun; j++)
			check_arg(st->run[j].text, &par);
	}
out:
	pb_job_release(&job);
	pb_buf_release(&err);
	free(text);
	return 0;
}
