/*
 * Job files, read with libyaml's event API against a fixed shape: every key is known, every value has the
 * type it must have, and an error names its place with libyaml's marks.
 */
#include "job.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "date.h"
#include "param.h"

#include "banned.h"

struct parser {
	yaml_parser_t yaml;
	yaml_event_t ev;
	int have; /* ev holds an event to delete */
	const char *text;
	struct pb_job_mark *at;
	struct pb_buf *err;
};

static struct pb_job_mark mark_of(yaml_mark_t m)
{
	struct pb_job_mark at = {(unsigned)m.line + 1, (unsigned)m.column + 1};

	return at;
}

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	*p->at = mark_of(m);
	pb_buf_reset(p->err);
	va_start(ap, fmt);
	pb_buf_vaddf(p->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* libyaml's own error: a reader error has a byte offset only, the others a mark. */
static int yaml_failed(struct parser *p)
{
	const yaml_parser_t *y = &p->yaml;
	const char *problem = y->problem ? y->problem : "cannot parse";
	yaml_mark_t m = y->problem_mark;

	if (y->error == YAML_MEMORY_ERROR)
		problem = "out of memory";
	if (y->error == YAML_READER_ERROR) {
		size_t i;

		memset(&m, 0, sizeof(m));
		for (i = 0; i < y->problem_offset; i++) {
			m.column++;
			if (p->text[i] == '\n') {
				m.line++;
				m.column = 0;
			}
		}
		if (y->problem_value >= 0)
			return fail(p, m, "%s (byte 0x%02x)", problem, (unsigned)y->problem_value);
		return fail(p, m, "%s", problem);
	}
	if (y->context)
		return fail(p, m, "%s (%s at line %u, column %u)", problem, y->context,
			    (unsigned)y->context_mark.line + 1, (unsigned)y->context_mark.column + 1);
	return fail(p, m, "%s", problem);
}

/* Reads the next event into p->ev, refusing what a job file has no use for. */
static int next(struct parser *p)
{
	const yaml_event_t *e = &p->ev;

	if (p->have)
		yaml_event_delete(&p->ev);
	p->have = 0;
	if (!yaml_parser_parse(&p->yaml, &p->ev))
		return yaml_failed(p);
	p->have = 1;
	if (e->type == YAML_ALIAS_EVENT)
		return fail(p, e->start_mark, "aliases are not supported");
	if ((e->type == YAML_SCALAR_EVENT && e->data.scalar.anchor) ||
	    (e->type == YAML_SEQUENCE_START_EVENT && e->data.sequence_start.anchor) ||
	    (e->type == YAML_MAPPING_START_EVENT && e->data.mapping_start.anchor))
		return fail(p, e->start_mark, "anchors are not supported");
	if ((e->type == YAML_SCALAR_EVENT && e->data.scalar.tag) ||
	    (e->type == YAML_SEQUENCE_START_EVENT && e->data.sequence_start.tag) ||
	    (e->type == YAML_MAPPING_START_EVENT && e->data.mapping_start.tag))
		return fail(p, e->start_mark, "tags are not supported");
	return 0;
}

static const char *kind_of(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return "a scalar";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_MAPPING_START_EVENT:
		return "a map";
	default:
		return "nothing";
	}
}

/* A plain empty scalar, ~ or null: YAML's null. */
static int is_null(const yaml_event_t *e)
{
	const char *v = (const char *)e->data.scalar.value;

	return e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
		strcmp(v, "NULL") == 0);
}

/* Reads the value of key what, which must be of type want (what the message calls it: kind). */
static int expect(struct parser *p, yaml_event_type_t want, const char *what, const char *kind)
{
	if (next(p) < 0)
		return -1;
	if (p->ev.type != want)
		return fail(p, p->ev.start_mark, "'%s' must be %s, not %s", what, kind, kind_of(&p->ev));
	if (want == YAML_SCALAR_EVENT && is_null(&p->ev))
		return fail(p, p->ev.start_mark, "'%s' has no value", what);
	if (want == YAML_SCALAR_EVENT && memchr(p->ev.data.scalar.value, '\0', p->ev.data.scalar.length))
		return fail(p, p->ev.start_mark, "'%s' holds a NUL character", what);
	return 0;
}

/* A copy of the current scalar's text. */
static char *scalar_dup(struct parser *p)
{
	char *s = strdup((const char *)p->ev.data.scalar.value);

	if (!s)
		fail(p, p->ev.start_mark, "out of memory");
	return s;
}

/*
 * Reads the next key of a mapping: returns its index in keys (NULL-terminated), -2 at the mapping's end,
 * or -1 (unknown, repeated, not a scalar). seen is the mapping's bitmask of keys read; where names the map.
 */
static int next_key(struct parser *p, const char *const *keys, unsigned *seen, const char *where)
{
	struct pb_buf known = PB_BUF_INIT;
	const char *k;
	int i;

	if (next(p) < 0)
		return -1;
	if (p->ev.type == YAML_MAPPING_END_EVENT)
		return -2;
	if (p->ev.type != YAML_SCALAR_EVENT)
		return fail(p, p->ev.start_mark, "a key must be a scalar, not %s", kind_of(&p->ev));
	/* Compared as C strings, "name\0x" would be name. */
	if (memchr(p->ev.data.scalar.value, '\0', p->ev.data.scalar.length))
		return fail(p, p->ev.start_mark, "a key holds a NUL character");
	k = (const char *)p->ev.data.scalar.value;
	for (i = 0; keys[i]; i++) {
		if (strcmp(k, keys[i]) != 0)
			continue;
		if (*seen & (1u << i))
			return fail(p, p->ev.start_mark, "repeated key '%s'", k);
		*seen |= 1u << i;
		return i;
	}
	for (i = 0; keys[i]; i++)
		pb_buf_addf(&known, "%s%s", i ? ", " : "", keys[i]);
	fail(p, p->ev.start_mark, "unknown key '%.64s' %s (known: %s)", k, where, pb_buf_str(&known));
	pb_buf_release(&known);
	return -1;
}

int pb_job_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > PB_JOB_NAME_MAX ||
	    !strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._-", s[i]))
			return 0;
	return 1;
}

/* The value of a name key (what: "job name" or "step name"): a copy in *out. */
static int read_name(struct parser *p, const char *what, char **out)
{
	if (expect(p, YAML_SCALAR_EVENT, "name", "a scalar") < 0)
		return -1;
	if (!pb_job_name_ok((const char *)p->ev.data.scalar.value))
		return fail(p, p->ev.start_mark,
			    "bad %s '%.64s': up to %d letters, digits, '.', '_' and '-', the first a letter or digit",
			    what, (const char *)p->ev.data.scalar.value, PB_JOB_NAME_MAX);
	*out = scalar_dup(p);
	return *out ? 0 : -1;
}

#define DURATION_MAX_MS ((uint64_t)7 * 24 * 3600 * 1000)

int pb_job_parse_duration(const char *s, uint64_t *ms)
{
	uint64_t v = 0, unit;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		if (v > DURATION_MAX_MS)
			return -1;
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	if (strcmp(s, "ms") == 0)
		unit = 1;
	else if (strcmp(s, "s") == 0)
		unit = 1000;
	else if (strcmp(s, "m") == 0)
		unit = 60 * 1000;
	else if (strcmp(s, "h") == 0)
		unit = 3600 * 1000;
	else
		return -1;
	if (v > DURATION_MAX_MS / unit)
		return -1;
	*ms = v * unit;
	return 0;
}

void pb_job_format_duration(uint64_t ms, char *buf)
{
	if (ms && ms % (3600 * 1000) == 0)
		snprintf(buf, 24, "%lluh", (unsigned long long)(ms / (3600 * 1000)));
	else if (ms && ms % (60 * 1000) == 0)
		snprintf(buf, 24, "%llum", (unsigned long long)(ms / (60 * 1000)));
	else if (ms % 1000 == 0)
		snprintf(buf, 24, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, 24, "%llums", (unsigned long long)ms);
}

/* params: month (current, previous or YYYY-MM) and as_of (today, yesterday or YYYY-MM-DD). */
static int parse_params(struct parser *p, struct pb_job *job)
{
	static const char *const keys[] = {"month", "as_of", NULL};
	unsigned seen = 0;
	const char *v;
	enum pb_date_case c = PB_DATE_MALFORMED;
	int k;

	if (expect(p, YAML_MAPPING_START_EVENT, "params", "a map") < 0)
		return -1;
	while ((k = next_key(p, keys, &seen, "in params")) >= 0) {
		if (expect(p, YAML_SCALAR_EVENT, keys[k], "a scalar") < 0)
			return -1;
		v = (const char *)p->ev.data.scalar.value;
		if (k == 0 && strcmp(v, "current") == 0)
			job->month_kind = PB_JOB_MONTH_CURRENT;
		else if (k == 0 && strcmp(v, "previous") == 0)
			job->month_kind = PB_JOB_MONTH_PREVIOUS;
		else if (k == 0 && (c = pb_date_read(v, strlen(v), PB_DATE_MONTH, &job->month)) == PB_DATE_OK)
			job->month_kind = PB_JOB_MONTH_LITERAL;
		else if (k == 0 && c != PB_DATE_MALFORMED)
			return fail(p, p->ev.start_mark, PB_DATE_OUT_OF_RANGE, "month", v, pb_date_bound(c));
		else if (k == 0)
			return fail(p, p->ev.start_mark, "bad month '%.64s': current, previous or YYYY-MM", v);
		else if (strcmp(v, "today") == 0)
			job->as_of_kind = PB_JOB_DAY_TODAY;
		else if (strcmp(v, "yesterday") == 0)
			job->as_of_kind = PB_JOB_DAY_YESTERDAY;
		else if ((c = pb_date_read(v, strlen(v), PB_DATE_DAY, &job->as_of)) == PB_DATE_OK) {
			job->as_of_kind = PB_JOB_DAY_LITERAL;
			job->as_of_at = mark_of(p->ev.start_mark);
		} else if (c != PB_DATE_MALFORMED)
			return fail(p, p->ev.start_mark, PB_DATE_OUT_OF_RANGE, "as_of", v, pb_date_bound(c));
		else
			return fail(p, p->ev.start_mark, "bad as_of '%.64s': today, yesterday or YYYY-MM-DD", v);
	}
	return k == -2 ? 0 : -1;
}

/* run: a list of scalars, the program and its arguments, their substitutions checked. */
static int parse_run(struct parser *p, struct pb_job_step *st)
{
	struct pb_buf why = PB_BUF_INIT;
	yaml_mark_t start;
	size_t alloc = 0;
	int ret = -1;

	if (expect(p, YAML_SEQUENCE_START_EVENT, "run", "a list") < 0)
		return -1;
	start = p->ev.start_mark;
	for (;;) {
		struct pb_job_arg *a;

		if (next(p) < 0)
			goto out;
		if (p->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (p->ev.type != YAML_SCALAR_EVENT || is_null(&p->ev)) {
			fail(p, p->ev.start_mark, "an item of 'run' must be a scalar, not %s",
			     p->ev.type == YAML_SCALAR_EVENT ? "null" : kind_of(&p->ev));
			goto out;
		}
		if (memchr(p->ev.data.scalar.value, '\0', p->ev.data.scalar.length)) {
			fail(p, p->ev.start_mark, "an item of 'run' holds a NUL character");
			goto out;
		}
		if (st->nrun == alloc) {
			size_t n = alloc ? alloc * 2 : 8;
			struct pb_job_arg *grown = realloc(st->run, n * sizeof(*grown));

			if (!grown) {
				fail(p, p->ev.start_mark, "out of memory");
				goto out;
			}
			st->run = grown;
			alloc = n;
		}
		a = &st->run[st->nrun];
		a->at = mark_of(p->ev.start_mark);
		a->text = scalar_dup(p);
		if (!a->text)
			goto out;
		st->nrun++;
		if (pb_param_expand(a->text, PB_PARAM_CHECK, NULL, NULL, &why) < 0) {
			fail(p, p->ev.start_mark, "%s", pb_buf_str(&why));
			goto out;
		}
	}
	if (!st->nrun)
		fail(p, start, "'run' is an empty list: it names the program to run and its arguments");
	else if (!*st->run[0].text)
		fail(p, start, "'run' names an empty program");
	else
		ret = 0;
out:
	pb_buf_release(&why);
	return ret;
}

/* retries: a count from 0 to PB_JOB_RETRIES_MAX. */
static int parse_retries(struct parser *p, unsigned *out)
{
	const char *v;
	unsigned n = 0;

	if (expect(p, YAML_SCALAR_EVENT, "retries", "a scalar") < 0)
		return -1;
	for (v = (const char *)p->ev.data.scalar.value; *v >= '0' && *v <= '9' && n <= PB_JOB_RETRIES_MAX; v++)
		n = n * 10 + (unsigned)(*v - '0');
	if (*v || v == (const char *)p->ev.data.scalar.value || n > PB_JOB_RETRIES_MAX)
		return fail(p, p->ev.start_mark, "bad retries '%.64s': a count from 0 to %d",
			    (const char *)p->ev.data.scalar.value, PB_JOB_RETRIES_MAX);
	*out = n;
	return 0;
}

/* timeout (above zero) or backoff (PB_JOB_BACKOFF_MIN_MS to PB_JOB_BACKOFF_MAX_MS). */
static int parse_duration_key(struct parser *p, const char *key, uint64_t *out)
{
	int timeout = strcmp(key, "timeout") == 0;
	const char *v;
	uint64_t ms;

	if (expect(p, YAML_SCALAR_EVENT, key, "a scalar") < 0)
		return -1;
	v = (const char *)p->ev.data.scalar.value;
	if (pb_job_parse_duration(v, &ms) < 0 || (timeout && ms == 0) ||
	    (!timeout && (ms < PB_JOB_BACKOFF_MIN_MS || ms > PB_JOB_BACKOFF_MAX_MS)))
		return fail(p, p->ev.start_mark,
			    "bad %s '%.64s': a number and a unit, ms, s, m or h (30s, 10m, 2h), %s", key, v,
			    timeout ? "above zero and at most 7 days (168h)" : "from 100ms to 1h");
	*out = ms;
	return 0;
}

/* The step's name, unique in the job (the step is job->steps[job->nsteps - 1]). */
static int parse_step_name(struct parser *p, struct pb_job *job, struct pb_job_step *st)
{
	size_t i;

	if (read_name(p, "step name", &st->name) < 0)
		return -1;
	st->at = mark_of(p->ev.start_mark);
	for (i = 0; i + 1 < job->nsteps; i++)
		if (strcmp(job->steps[i].name, st->name) == 0)
			return fail(p, p->ev.start_mark, "step name '%s' is taken by the step at line %u", st->name,
				    job->steps[i].at.line);
	return 0;
}

/* A step: its map has just started. */
static int parse_step(struct parser *p, struct pb_job *job, struct pb_job_step *st)
{
	static const char *const keys[] = {"name", "run", "timeout", "retries", "backoff", NULL};
	yaml_mark_t start = p->ev.start_mark;
	unsigned seen = 0;
	int k = -1, rc = 0;

	st->timeout_ms = PB_JOB_TIMEOUT_DEFAULT_MS;
	st->backoff_ms = PB_JOB_BACKOFF_DEFAULT_MS;
	while (rc == 0 && (k = next_key(p, keys, &seen, "in a step")) >= 0) {
		if (k == 0)
			rc = parse_step_name(p, job, st);
		else if (k == 1)
			rc = parse_run(p, st);
		else if (k == 2)
			rc = parse_duration_key(p, "timeout", &st->timeout_ms);
		else if (k == 3)
			rc = parse_retries(p, &st->retries);
		else
			rc = parse_duration_key(p, "backoff", &st->backoff_ms);
	}
	if (rc < 0 || k != -2)
		return -1;
	if (!(seen & 1))
		return fail(p, start, "a step has no 'name'");
	if (!(seen & 2))
		return fail(p, start, "step '%s' has no 'run'", st->name);
	return 0;
}

static int parse_steps(struct parser *p, struct pb_job *job)
{
	yaml_mark_t start;
	size_t alloc = 0;

	if (expect(p, YAML_SEQUENCE_START_EVENT, "steps", "a list") < 0)
		return -1;
	start = p->ev.start_mark;
	for (;;) {
		if (next(p) < 0)
			return -1;
		if (p->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (p->ev.type != YAML_MAPPING_START_EVENT)
			return fail(p, p->ev.start_mark, "a step must be a map, not %s", kind_of(&p->ev));
		if (job->nsteps == alloc) {
			size_t n = alloc ? alloc * 2 : 8;
			struct pb_job_step *grown = realloc(job->steps, n * sizeof(*grown));

			if (!grown)
				return fail(p, p->ev.start_mark, "out of memory");
			job->steps = grown;
			alloc = n;
		}
		/* Counted before it is read, so that pb_job_release frees what a failure leaves in it. */
		memset(&job->steps[job->nsteps++], 0, sizeof(*job->steps));
		if (parse_step(p, job, &job->steps[job->nsteps - 1]) < 0)
			return -1;
	}
	if (!job->nsteps)
		return fail(p, start, "'steps' is an empty list");
	return 0;
}

/* The job's map: it has just started. */
static int parse_job(struct parser *p, struct pb_job *job)
{
	static const char *const keys[] = {"name", "params", "steps", NULL};
	yaml_mark_t start = p->ev.start_mark;
	unsigned seen = 0;
	int k = -1, rc = 0;

	while (rc == 0 && (k = next_key(p, keys, &seen, "in a job")) >= 0) {
		if (k == 0)
			rc = read_name(p, "job name", &job->name);
		else if (k == 1)
			rc = parse_params(p, job);
		else
			rc = parse_steps(p, job);
	}
	if (rc < 0 || k != -2)
		return -1;
	if (!(seen & 1))
		return fail(p, start, "the job has no 'name'");
	if (!(seen & 4))
		return fail(p, start, "the job has no 'steps'");
	return 0;
}

static int parse_document(struct parser *p, struct pb_job *job)
{
	if (next(p) < 0 || next(p) < 0)
		return -1;
	if (p->ev.type == YAML_STREAM_END_EVENT)
		return fail(p, p->ev.start_mark, "the job file is empty");
	if (next(p) < 0)
		return -1;
	if (p->ev.type != YAML_MAPPING_START_EVENT)
		return fail(p, p->ev.start_mark, "a job must be a map (name, params, steps), not %s", kind_of(&p->ev));
	if (parse_job(p, job) < 0 || next(p) < 0 || next(p) < 0)
		return -1;
	if (p->ev.type != YAML_STREAM_END_EVENT)
		return fail(p, p->ev.start_mark, "a job file holds one document");
	return 0;
}

int pb_job_parse(struct pb_job *job, const char *text, size_t len, struct pb_job_mark *at, struct pb_buf *err)
{
	struct parser p;
	int ret;

	memset(&p, 0, sizeof(p));
	/* libyaml counts a byte order mark as a column: the keys under the first would leave the job's map. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	p.text = text;
	p.at = at;
	p.err = err;
	at->line = 0;
	at->column = 0;
	if (!yaml_parser_initialize(&p.yaml)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	/* Text bound for the database is UTF-8; libyaml checks every character of it. */
	yaml_parser_set_encoding(&p.yaml, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p.yaml, (const unsigned char *)text, len);
	ret = parse_document(&p, job);
	if (p.have)
		yaml_event_delete(&p.ev);
	yaml_parser_delete(&p.yaml);
	if (ret < 0)
		pb_job_release(job);
	return ret;
}

void pb_job_release(struct pb_job *job)
{
	size_t i, j;

	if (!job)
		return;
	for (i = 0; i < job->nsteps; i++) {
		for (j = 0; j < job->steps[i].nrun; j++)
			free(job->steps[i].run[j].text);
		free(job->steps[i].run);
		free(job->steps[i].name);
	}
	free(job->steps);
	free(job->name);
	memset(job, 0, sizeof(*job));
}

const struct pb_job_step *pb_job_find_step(const struct pb_job *job, const char *name)
{
	size_t i;

	for (i = 0; i < job->nsteps; i++)
		if (strcmp(job->steps[i].name, name) == 0)
			return &job->steps[i];
	return NULL;
}
