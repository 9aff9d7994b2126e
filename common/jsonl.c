/* JSON lines through yajl's callbacks, one line at a time, numbers as their text. */
#include "jsonl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>

#include "text.h"

#include "banned.h"

#define CHUNK 65536

/* A member as offsets into the arena while its line is parsed (the arena may move). */
struct member {
	size_t key, key_len, val, val_len;
	enum pb_json_type type;
	uint32_t col, key_col;
	uint32_t hash; /* of the key, lowercased: to find a duplicate quickly */
};

struct pb_jsonl_state {
	pb_read_fn read;
	void *ctx;
	size_t max_line;
	char *in; /* the input chunk */
	size_t in_len, in_pos;
	int eof;
	struct pb_buf line, arena;
	struct member *m;
	size_t nm, cap, fields_cap;
	size_t pending_key, pending_len; /* the key just read at depth 1 */
	uint32_t pending_hash, pending_col;
	size_t duplicate;     /* 1 + the index of the member whose key came again, or 0 */
	const char *text_why; /* a string that is not UTF-8 text: why, and where (text_col) */
	uint32_t text_col;
	int text_in_key;
	const char *cur; /* the line being parsed */
	size_t cur_len;
	size_t first_end; /* bytes of the line up to the end of its first object */
	int depth, objects, not_object, nomem;
	yajl_handle h;
	uint64_t next_line;
};

static struct pb_jsonl_state *state(void *ctx)
{
	return ((struct pb_jsonl *)ctx)->st;
}

/* The text at offset off of the arena, which holds nothing yet while every name and value read is empty. */
static const char *arena_at(const struct pb_jsonl_state *s, size_t off)
{
	return s->arena.ptr ? s->arena.ptr + off : "";
}

static uint32_t column(struct pb_jsonl *j)
{
	return (uint32_t)yajl_get_bytes_consumed(j->st->h) + 1;
}

/* Whether the byte at i is escaped: an odd number of backslashes before it. */
static int escaped(const char *p, size_t i)
{
	size_t n = 0;

	while (i > n && p[i - n - 1] == '\\')
		n++;
	return (int)(n % 2);
}

/*
 * The column of the opening quote of the string (or key) yajl has just read: yajl stands past its closing
 * quote, and its decoded text may be shorter than the raw one (escapes), so the raw line is searched back
 * for the first quote that is not escaped.
 */
static uint32_t string_col(const struct pb_jsonl_state *s)
{
	size_t i = yajl_get_bytes_consumed(s->h);

	if (i > s->cur_len)
		i = s->cur_len;
	i = i >= 2 ? i - 2 : 0;
	while (i > 0 && (s->cur[i] != '"' || escaped(s->cur, i)))
		i--;
	return (uint32_t)i + 1;
}

static int add_member(struct pb_jsonl *j, const char *val, size_t len, enum pb_json_type type)
{
	struct pb_jsonl_state *s = j->st;
	struct member *m;

	if (s->depth != 1)
		return 1;
	if (s->nm == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		m = realloc(s->m, cap * sizeof(*m));
		if (!m) {
			s->nomem = 1;
			return 0;
		}
		s->m = m;
		s->cap = cap;
	}
	m = &s->m[s->nm++];
	m->key = s->pending_key;
	m->key_len = s->pending_len;
	m->hash = s->pending_hash;
	m->key_col = s->pending_col;
	m->val = s->arena.len;
	m->val_len = len;
	m->type = type;
	/* Where the value began: its first byte (a string's opening quote, a nested value's bracket). */
	if (type == PB_JSON_STRING) {
		m->col = string_col(s);
	} else {
		/* yajl stands past the value: a number, true or false is its text, null four bytes, a bracket one. */
		size_t raw = type == PB_JSON_NULL ? 4 : type == PB_JSON_NESTED ? 1 : len;
		uint32_t end = column(j);

		m->col = end > raw ? end - (uint32_t)raw : 1;
	}
	if (len && pb_buf_add(&s->arena, val, len) < 0) {
		s->nomem = 1;
		return 0;
	}
	return 1;
}

static int on_null(void *ctx)
{
	return add_member(ctx, "", 0, PB_JSON_NULL);
}

static int on_boolean(void *ctx, int v)
{
	return add_member(ctx, v ? "true" : "false", v ? 4 : 5, PB_JSON_BOOL);
}

static int on_number(void *ctx, const char *v, size_t len)
{
	return add_member(ctx, v, len, PB_JSON_NUMBER);
}

/*
 * A string (key or value, at any depth) must be text the database takes: UTF-8 without NUL bytes. yajl is
 * told not to check, so that this check names the member and points at the string's opening quote.
 */
static int text_ok(void *ctx, const unsigned char *v, size_t len, int key)
{
	struct pb_jsonl_state *s = state(ctx);
	const char *why;

	if (pb_text_check((const char *)v, len, NULL, &why) == 0)
		return 1;
	s->text_why = why;
	s->text_col = string_col(s);
	s->text_in_key = key && s->depth == 1;
	return 0;
}

static int on_string(void *ctx, const unsigned char *v, size_t len)
{
	if (!text_ok(ctx, v, len, 0))
		return 0;
	return add_member(ctx, (const char *)v, len, PB_JSON_STRING);
}

static int on_start(void *ctx)
{
	struct pb_jsonl_state *s = state(ctx);

	if (s->depth == 1 && !add_member(ctx, "", 0, PB_JSON_NESTED))
		return 0;
	s->depth++;
	return 1;
}

static int on_start_map(void *ctx)
{
	struct pb_jsonl_state *s = state(ctx);

	if (s->depth == 0) {
		s->nm = 0;
		pb_buf_reset(&s->arena);
	}
	return on_start(ctx);
}

static int on_start_array(void *ctx)
{
	struct pb_jsonl_state *s = state(ctx);

	if (s->depth == 0) {
		s->not_object = 1;
		return 0;
	}
	return on_start(ctx);
}

static uint32_t key_hash(const unsigned char *k, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = k[i];

		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * 16777619u;
	}
	return h;
}

/* A key that came before in the same object (ASCII case-insensitively, as pb_jsonl_get finds keys) stops it. */
static int on_key(void *ctx, const unsigned char *k, size_t len)
{
	struct pb_jsonl_state *s = state(ctx);
	uint32_t h;
	size_t i;

	if (!text_ok(ctx, k, len, 1))
		return 0;
	if (s->depth != 1)
		return 1;
	h = key_hash(k, len);
	for (i = 0; i < s->nm; i++) {
		if (s->m[i].hash == h && s->m[i].key_len == len &&
		    strncasecmp(arena_at(s, s->m[i].key), (const char *)k, len) == 0) {
			s->duplicate = i + 1;
			s->pending_col = string_col(s);
			return 0;
		}
	}
	s->pending_key = s->arena.len;
	s->pending_len = len;
	s->pending_hash = h;
	s->pending_col = string_col(s);
	if (len && pb_buf_add(&s->arena, k, len) < 0) {
		s->nomem = 1;
		return 0;
	}
	return 1;
}

static int on_end(void *ctx)
{
	struct pb_jsonl_state *s = state(ctx);

	if (--s->depth == 0 && s->objects++ == 0)
		s->first_end = yajl_get_bytes_consumed(s->h);
	return 1;
}

/* A scalar at the top level is not a record. */
static int top_scalar(void *ctx)
{
	state(ctx)->not_object = 1;
	return 0;
}

static int on_null_top(void *ctx)
{
	return state(ctx)->depth ? on_null(ctx) : top_scalar(ctx);
}

static int on_boolean_top(void *ctx, int v)
{
	return state(ctx)->depth ? on_boolean(ctx, v) : top_scalar(ctx);
}

static int on_number_top(void *ctx, const char *v, size_t len)
{
	return state(ctx)->depth ? on_number(ctx, v, len) : top_scalar(ctx);
}

static int on_string_top(void *ctx, const unsigned char *v, size_t len)
{
	return state(ctx)->depth ? on_string(ctx, v, len) : top_scalar(ctx);
}

static const yajl_callbacks callbacks = {
	on_null_top,  on_boolean_top, NULL,   NULL,	      on_number_top, on_string_top,
	on_start_map, on_key,	      on_end, on_start_array, on_end,
};

int pb_jsonl_init(struct pb_jsonl *j, pb_read_fn read, void *ctx, size_t max_line)
{
	struct pb_jsonl_state *s;

	memset(j, 0, sizeof(*j));
	pb_buf_init(&j->err, 0);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	j->st = s;
	s->read = read;
	s->ctx = ctx;
	s->max_line = max_line;
	s->next_line = 1;
	pb_buf_init(&s->line, max_line + 1);
	pb_buf_init(&s->arena, 0);
	s->in = malloc(CHUNK);
	s->h = yajl_alloc(&callbacks, NULL, j);
	if (!s->in || !s->h) {
		pb_jsonl_release(j);
		return -1;
	}
	yajl_config(s->h, yajl_allow_multiple_values, 1);
	/* Strings are checked by text_ok, which can say where and in which member. */
	yajl_config(s->h, yajl_dont_validate_strings, 1);
	return 0;
}

static int fail(struct pb_jsonl *j, uint64_t line, uint32_t col, const char *msg)
{
	j->err_line = line;
	j->err_col = col;
	pb_buf_reset(&j->err);
	pb_buf_addstr(&j->err, msg);
	return PB_JSONL_ERR;
}

/* The next line into s->line (without its end of line). 1: a line, 0: end of input, -1: error set. */
static int next_line(struct pb_jsonl *j)
{
	struct pb_jsonl_state *s = j->st;

	pb_buf_reset(&s->line);
	for (;;) {
		char *nl;
		size_t n;

		if (s->in_pos == s->in_len) {
			long r;

			if (s->eof)
				return s->line.len ? 1 : 0;
			r = s->read(s->ctx, s->in, CHUNK, &j->err);
			if (r < 0) {
				j->err_line = 0;
				return -1;
			}
			if (r == 0) {
				s->eof = 1;
				continue;
			}
			s->in_len = (size_t)r;
			s->in_pos = 0;
		}
		n = s->in_len - s->in_pos;
		nl = memchr(s->in + s->in_pos, '\n', n);
		if (nl)
			n = (size_t)(nl - (s->in + s->in_pos));
		if (s->line.len + n > s->max_line) {
			j->err_line = s->next_line;
			j->err_col = 1;
			pb_buf_reset(&j->err);
			pb_buf_addf(&j->err, "a line longer than %zu bytes", s->max_line);
			return -1;
		}
		if (pb_buf_add(&s->line, s->in + s->in_pos, n) < 0) {
			j->err_line = 0;
			pb_buf_reset(&j->err);
			pb_buf_addstr(&j->err, "out of memory");
			return -1;
		}
		s->in_pos += n;
		j->bytes += n;
		if (nl) {
			s->in_pos++;
			j->bytes++;
			return 1;
		}
	}
}

/* yajl's message, on one line, without its excerpt, into msg. */
static void yajl_message(struct pb_jsonl *j, struct pb_buf *msg)
{
	unsigned char *e = yajl_get_error(j->st->h, 0, NULL, 0);
	char *p;

	pb_buf_addf(msg, "bad JSON: %s", e ? (const char *)e : "parse error");
	if (e)
		yajl_free_error(j->st->h, e);
	for (p = msg->ptr; p && *p; p++)
		if (*p == '\n')
			*p = ' ';
	while (msg->len && msg->ptr[msg->len - 1] == ' ')
		msg->ptr[--msg->len] = '\0';
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int d = pb_hex_digit(p[i]);

		if (d < 0)
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/*
 * Escapes yajl decodes into what no database text may hold: \u0000 (a NUL character) and surrogates that
 * are not a high one followed by a low one (yajl would write '?'). A pair, an emoji's, decodes as it should.
 * Returns 0, or the column (from 1) of the bad escape with why set.
 */
static uint32_t bad_escape(const char *p, size_t n, const char **why)
{
	const char *q = p, *end = p + n;

	while ((q = memchr(q, '\\', (size_t)(end - q))) != NULL) {
		unsigned u, lo;

		if (end - q < 2)
			break;
		if (q[1] != 'u' || end - q < 6 || hex4(q + 2, &u) < 0) {
			q += 2;
			continue;
		}
		if (u == 0) {
			*why = "\\u0000 (a NUL character) in a string";
			return (uint32_t)(q - p) + 1;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			if (end - q >= 12 && q[6] == '\\' && q[7] == 'u' && hex4(q + 8, &lo) == 0 && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				q += 12;
				continue;
			}
			*why = "unpaired surrogate escape in a string (a high surrogate without its low one)";
			return (uint32_t)(q - p) + 1;
		}
		if (u >= 0xdc00 && u <= 0xdfff) {
			*why = "unpaired surrogate escape in a string (a low surrogate alone)";
			return (uint32_t)(q - p) + 1;
		}
		q += 6;
	}
	return 0;
}

/* The column of what follows the line's first object, past blanks. */
static uint32_t after_first(const struct pb_jsonl_state *s, const char *p, size_t n)
{
	size_t i = s->first_end;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return (uint32_t)i + 1;
}

/*
 * Why a second value (what: "value" or "object") stands after the line's first object: a carriage return
 * there means the file's lines end in CR alone, and says so.
 */
static const char *more_than_one(const struct pb_jsonl_state *s, const char *p, size_t n, const char *what)
{
	uint32_t col = after_first(s, p, n);

	if (col <= n && p[col - 1] == '\r')
		return "a carriage return after the object: lines that end in CR alone are not read; convert them to "
		       "LF or CR LF";
	return strcmp(what, "value") == 0 ? "more than one value on a line: only one object may stand there"
					  : "more than one object on a line";
}

/* Whether the n bytes at p are all white space to yajl. */
static int blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\v' && p[i] != '\f' && p[i] != '\r')
			return 0;
	return 1;
}

/* The column of the line's first token, past blanks. */
static uint32_t first_token(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return (uint32_t)i + 1;
}

/* Parses one line's bytes as exactly one object. Returns 0, or PB_JSONL_ERR with the error set. */
static int parse_line(struct pb_jsonl *j, uint64_t line, const char *p, size_t n)
{
	struct pb_jsonl_state *s = j->st;
	const char *why = NULL;
	uint32_t col = bad_escape(p, n, &why);
	yajl_status st;
	int rc;

	if (col)
		return fail(j, line, col, why);
	s->objects = 0;
	s->not_object = 0;
	s->duplicate = 0;
	s->text_why = NULL;
	s->cur = p;
	s->cur_len = n;
	st = yajl_parse(s->h, (const unsigned char *)p, n);
	if (st == yajl_status_ok && s->depth != 0)
		return fail(j, line, (uint32_t)n + 1, "the object does not end on its line");
	/*
	 * yajl holds back a token cut at the end of what it was given (a trailing "12", an unterminated string,
	 * "tru"), and completing the parse drops some of them unread: what follows the object must be blank.
	 */
	if (st == yajl_status_ok && s->objects == 0)
		return fail(j, line, first_token(p, n), "a JSON lines record must be an object");
	if (st == yajl_status_ok && s->objects == 1 && !blank(p + s->first_end, n - s->first_end))
		return fail(j, line, after_first(s, p, n), more_than_one(s, p, n, "value"));
	if (st == yajl_status_ok)
		st = yajl_complete_parse(s->h);
	if (st != yajl_status_ok) {
		struct pb_buf msg = PB_BUF_INIT;

		col = column(j);
		if (s->nomem)
			return fail(j, line, col, "out of memory");
		if (s->duplicate) {
			const struct member *m = &s->m[s->duplicate - 1];

			pb_buf_addf(&msg, "duplicate member '%.*s' (first at column %u)", (int)m->key_len,
				    arena_at(s, m->key), m->key_col);
			rc = fail(j, line, s->pending_col, pb_buf_str(&msg));
			pb_buf_release(&msg);
			return rc;
		}
		if (s->text_why) {
			if (s->text_in_key || s->depth == 0)
				pb_buf_addf(&msg, "%s in a member name", s->text_why);
			else
				pb_buf_addf(&msg, "%s in member '%.*s'", s->text_why, (int)s->pending_len,
					    arena_at(s, s->pending_key));
			rc = fail(j, line, s->text_col, pb_buf_str(&msg));
			pb_buf_release(&msg);
			return rc;
		}
		if (s->not_object && s->objects)
			return fail(j, line, after_first(s, p, n), more_than_one(s, p, n, "value"));
		if (s->not_object)
			return fail(j, line, first_token(p, n), "a JSON lines record must be an object");
		yajl_message(j, &msg);
		/* yajl stands past a character it cannot lex at all; other errors it reports where they are. */
		if (strstr(pb_buf_str(&msg), "invalid char in json text") && col > 1)
			col--;
		rc = fail(j, line, col, pb_buf_str(&msg));
		pb_buf_release(&msg);
		return rc;
	}
	if (s->objects != 1)
		return fail(j, line, after_first(s, p, n), more_than_one(s, p, n, "object"));
	return 0;
}

int pb_jsonl_next(struct pb_jsonl *j)
{
	struct pb_jsonl_state *s = j->st;
	const char *base;
	size_t i;
	int rc;

	for (;;) {
		uint64_t line = s->next_line;
		const char *p;
		size_t n;

		rc = next_line(j);
		if (rc < 0)
			return PB_JSONL_ERR;
		if (rc == 0)
			return PB_JSONL_END;
		s->next_line++;
		p = s->line.ptr ? s->line.ptr : "";
		n = s->line.len;
		if (n && p[n - 1] == '\r')
			n--;
		/* A BOM before the first line. */
		if (line == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
			p += 3;
			n -= 3;
		}
		for (i = 0; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		if (i == n)
			continue;
		if (parse_line(j, line, p, n) < 0)
			return PB_JSONL_ERR;
		break;
	}
	/* Offsets to pointers, now that the arena stays put until the next line. */
	if (s->nm > s->fields_cap) {
		struct pb_json_field *f = realloc(j->fields, s->cap * sizeof(*f));

		if (!f)
			return fail(j, s->next_line - 1, 1, "out of memory");
		j->fields = f;
		s->fields_cap = s->cap;
	}
	base = arena_at(s, 0);
	for (i = 0; i < s->nm; i++) {
		struct pb_json_field *f = &j->fields[i];

		f->key = base + s->m[i].key;
		f->key_len = s->m[i].key_len;
		f->val = base + s->m[i].val;
		f->val_len = s->m[i].val_len;
		f->type = s->m[i].type;
		f->col = s->m[i].col;
	}
	j->nfields = s->nm;
	j->line = s->next_line - 1;
	return PB_JSONL_RECORD;
}

const struct pb_json_field *pb_jsonl_get(const struct pb_jsonl *j, const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; i < j->nfields; i++)
		if (j->fields[i].key_len == n && strncasecmp(j->fields[i].key, key, n) == 0)
			return &j->fields[i];
	return NULL;
}

void pb_jsonl_release(struct pb_jsonl *j)
{
	struct pb_jsonl_state *s = j->st;

	if (s) {
		if (s->h)
			yajl_free(s->h);
		free(s->in);
		free(s->m);
		pb_buf_release(&s->line);
		pb_buf_release(&s->arena);
		free(s);
	}
	free(j->fields);
	pb_buf_release(&j->err);
	memset(j, 0, sizeof(*j));
}
