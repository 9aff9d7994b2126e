/*
 * libFuzzer target for common/csv.c: the input is read as CSV through a memory source handing out chunks
 * of a size chosen by the input, and every call is compared with a plain byte-at-a-time reference reader.
 *
 * Input: byte 0 picks the chunk size (0: all at once; 1..191: that many bytes; 192..255: sizes that vary),
 * byte 1 holds flags (bit 0: expect the first record's field count from then on; bit 1: a record cap of
 * 2 + (byte 1 >> 2) bytes), the rest is the CSV text.
 *
 * With PB_FUZZ_STRICT_CAP=1 in the environment the cap must hold exactly (a record longer than the cap is
 * always refused) and may be 1 byte; without it, a refusal must only be justified. Both are known to fail
 * at the time of writing: the cap is only checked when a partial record must be kept over a refill, and
 * a 1-byte cap refuses a 1-byte record while the reader looks for a BOM.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"

#include "check.h"

#include "banned.h"

/* Fields per record the reader can hold: its array doubles from 64 while it stays within 100000. */
#define REF_MAX_FIELDS 65536

static int strict_cap;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *s = getenv("PB_FUZZ_STRICT_CAP");

	(void)argc;
	(void)argv;
	strict_cap = s && s[0] == '1';
	return 0;
}

struct memsrc {
	const char *data;
	size_t len, pos, chunk;
	uint32_t rng;
};

static long mem_read(void *ctx, char *buf, size_t n, struct pb_buf *err)
{
	struct memsrc *m = ctx;
	size_t k = m->len - m->pos, want = m->chunk;

	(void)err;
	if (want == 0) {
		m->rng = m->rng * 1103515245u + 12345u;
		want = (m->rng >> 16) % 4 == 0 ? 1 : 1 + (m->rng >> 18) % 97;
	}
	if (k > want)
		k = want;
	if (k > n)
		k = n;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return (long)k;
}

struct ref_field {
	size_t voff, vlen;
	uint64_t line;
	uint32_t col;
};

/* The reference reader: the rules of csv.h, one byte at a time, over the whole input at once. */
struct ref {
	const char *s;
	size_t n, pos, expect, cap;
	int started;
	uint64_t line, bytes;
	/* The current record. */
	struct ref_field *f;
	size_t nf;
	char *vals;
	size_t vlen;
	uint64_t rec_line;
	size_t raw_len;
	/* The current error. */
	const char *msg;
	char msgbuf[64];
	uint64_t err_line;
	uint32_t err_col;
};

static int ref_error(struct ref *r, int code, const char *msg, uint64_t line, uint32_t col)
{
	r->msg = msg;
	r->err_line = line;
	r->err_col = col;
	return code;
}

#define STRAY_CR "a stray carriage return at the end of the line (CR CR LF): lines end in LF or CR LF"

/* Scans one record at r->pos; returns PB_CSV_RECORD with *end set, or a fatal error. */
static int ref_scan(struct ref *r, size_t *end, uint32_t *nl_out, int *ended_lf, const char **emsg, uint64_t *eline,
		    uint32_t *ecol)
{
	const char *s = r->s;
	size_t n = r->n, i = r->pos, line_start = r->pos, fs, j, after, fe;
	uint32_t nl = 0;

	*emsg = NULL;
	r->nf = 0;
	r->vlen = 0;
	for (;;) {
		struct ref_field *f;
		int bad = 0;

		fs = i;
		if (r->nf >= REF_MAX_FIELDS)
			return ref_error(r, PB_CSV_ERR_FATAL, "too many fields in one record", r->line, 1);
		f = &r->f[r->nf];
		f->voff = r->vlen;
		f->line = r->line + nl;
		f->col = (uint32_t)(fs - line_start + 1);
		if (i < n && s[i] == '"') {
			size_t open_line_start = line_start;
			uint32_t open_nl = nl;

			for (j = i + 1;; j++) {
				if (j >= n) {
					r->raw_len = n - r->pos;
					return ref_error(r, PB_CSV_ERR_FATAL, "unterminated quoted field",
							 r->line + open_nl, (uint32_t)(fs - open_line_start + 1));
				}
				if (s[j] == '"') {
					if (j + 1 < n && s[j + 1] == '"') {
						r->vals[r->vlen++] = '"';
						j++;
						continue;
					}
					break;
				}
				if (s[j] == '\n') {
					nl++;
					line_start = j + 1;
				}
				r->vals[r->vlen++] = s[j];
			}
			after = j + 1;
			if (after + 1 < n && s[after] == '\r' && s[after + 1] == '\n')
				after++;
			if (after >= n || s[after] == ',' || s[after] == '\n') {
				f->vlen = r->vlen - f->voff;
				r->nf++;
				if (after >= n || s[after] == '\n') {
					*end = after < n ? after + 1 : n;
					*ended_lf = after < n;
					break;
				}
				i = after + 1;
				continue;
			}
			if (!*emsg) {
				size_t cr = after;

				while (cr < n && s[cr] == '\r')
					cr++;
				*emsg = cr - after >= 2 && cr < n && s[cr] == '\n'
						? STRAY_CR
						: "unexpected character after closing quote";
				*eline = r->line + nl;
				*ecol = (uint32_t)(after - line_start + 1);
			}
			i = after;
			bad = 1;
		}
		for (; i < n && s[i] != ',' && s[i] != '\n'; i++) {
			if (s[i] == '"' && !*emsg) {
				*emsg = "unexpected '\"' in unquoted field";
				*eline = r->line + nl;
				*ecol = (uint32_t)(i - line_start + 1);
			}
		}
		fe = i;
		if (fe > fs && s[fe - 1] == '\r' && (i >= n || s[i] == '\n')) {
			size_t cr = --fe;

			/* CR CR LF: a stray carriage return, said where the run of them starts. */
			while (cr > fs && s[cr - 1] == '\r')
				cr--;
			if (cr < fe && !*emsg) {
				*emsg = STRAY_CR;
				*eline = r->line + nl;
				*ecol = (uint32_t)(cr - line_start + 1);
			}
		}
		/* A field that went wrong belongs to a record that is refused: its value is not compared. */
		r->vlen = f->voff;
		if (!bad) {
			memcpy(r->vals + r->vlen, s + fs, fe - fs);
			r->vlen += fe - fs;
		}
		f->vlen = r->vlen - f->voff;
		r->nf++;
		if (i >= n || s[i] == '\n') {
			*end = i < n ? i + 1 : n;
			*ended_lf = i < n;
			break;
		}
		i++;
	}
	*nl_out = nl;
	r->raw_len = *end - r->pos - (size_t)*ended_lf;
	return PB_CSV_RECORD;
}

static int ref_next(struct ref *r)
{
	const char *emsg;
	uint64_t eline = 0;
	uint32_t ecol = 0, nl;
	size_t end, start;
	int ended_lf, rc;

	if (!r->started) {
		r->started = 1;
		if (r->n >= 3 && memcmp(r->s, "\xEF\xBB\xBF", 3) == 0) {
			r->pos = 3;
			r->bytes = 3;
		}
	}
	for (;;) {
		if (r->pos >= r->n)
			return PB_CSV_END;
		start = r->pos;
		r->rec_line = r->line;
		rc = ref_scan(r, &end, &nl, &ended_lf, &emsg, &eline, &ecol);
		if (r->cap && r->raw_len > r->cap && strict_cap) {
			snprintf(r->msgbuf, sizeof(r->msgbuf), "record longer than %zu bytes", r->cap);
			return ref_error(r, PB_CSV_ERR_FATAL, r->msgbuf, r->line, 1);
		}
		if (rc != PB_CSV_RECORD)
			return rc;
		r->pos = end;
		r->line += nl + (uint64_t)ended_lf;
		r->bytes += end - start;
		if (emsg)
			return ref_error(r, PB_CSV_ERR_RECORD, emsg, eline, ecol);
		if (r->nf == 1 && r->f[0].vlen == 0 && r->s[start] != '"')
			continue;
		if (r->expect && r->nf != r->expect) {
			snprintf(r->msgbuf, sizeof(r->msgbuf), "expected %zu fields, found %zu", r->expect, r->nf);
			return ref_error(r, PB_CSV_ERR_RECORD, r->msgbuf, r->rec_line, 1);
		}
		return PB_CSV_RECORD;
	}
}

/* Invariants of a record whatever the reference says: fields inside the buffer, positions sane. */
static void check_record_shape(const struct pb_csv *c)
{
	size_t i;

	CHECK(c->nfields >= 1, "no fields");
	CHECK(c->line >= 1, "line %llu", (unsigned long long)c->line);
	for (i = 0; i < c->nfields; i++) {
		const struct pb_csv_field *f = &c->fields[i];
		uint64_t line;
		uint32_t col;

		CHECK(f->ptr >= c->buf && f->ptr + f->len <= c->buf + c->len, "field %zu outside the buffer", i);
		pb_csv_field_pos(c, i, &line, &col);
		CHECK(line >= c->line && col >= 1, "field %zu at %llu:%u", i, (unsigned long long)line, col);
	}
}

static void compare_record(const struct pb_csv *c, const struct ref *r)
{
	size_t i;

	CHECK(c->nfields == r->nf, "%zu fields, reference %zu", c->nfields, r->nf);
	CHECK(c->line == r->rec_line, "line %llu, reference %llu", (unsigned long long)c->line,
	      (unsigned long long)r->rec_line);
	CHECK(c->bytes == r->bytes, "bytes %llu, reference %llu", (unsigned long long)c->bytes,
	      (unsigned long long)r->bytes);
	for (i = 0; i < c->nfields; i++) {
		const struct ref_field *f = &r->f[i];
		uint64_t line;
		uint32_t col;

		CHECK(c->fields[i].len == f->vlen && memcmp(c->fields[i].ptr, r->vals + f->voff, f->vlen) == 0,
		      "field %zu differs", i);
		pb_csv_field_pos(c, i, &line, &col);
		CHECK(line == f->line && col == f->col, "field %zu at %llu:%u, reference %llu:%u", i,
		      (unsigned long long)line, col, (unsigned long long)f->line, f->col);
	}
}

static int is_cap_error(const struct pb_csv *c, int rc, size_t cap)
{
	char want[64];

	snprintf(want, sizeof(want), "record longer than %zu bytes", cap);
	return rc == PB_CSV_ERR_FATAL && strcmp(pb_buf_str(&c->err), want) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memsrc m;
	struct pb_csv c;
	struct ref r;
	size_t cap = 0, nrec = 0, n;
	int flags, rc, want;

	if (size < 2 || size > ((size_t)1 << 18))
		return 0;
	flags = data[1];
	if (flags & 2)
		cap = (strict_cap ? 1 : 2) + ((size_t)flags >> 2);
	n = size - 2;

	memset(&m, 0, sizeof(m));
	m.data = (const char *)data + 2;
	m.len = n;
	m.chunk = data[0] == 0 ? n + 1 : data[0] < 192 ? data[0] : 0;
	m.rng = data[0];

	memset(&r, 0, sizeof(r));
	r.s = (const char *)data + 2;
	r.n = n;
	r.cap = cap;
	r.line = 1;
	r.f = malloc((n + 1) * sizeof(*r.f));
	r.vals = malloc(n + 1);
	if (!r.f || !r.vals || pb_csv_init(&c, mem_read, &m, cap) != 0) {
		free(r.f);
		free(r.vals);
		return 0;
	}
	for (;;) {
		rc = pb_csv_next(&c);
		want = ref_next(&r);
		if (cap && !strict_cap && is_cap_error(&c, rc, cap) && want != PB_CSV_END) {
			/* Refusing a record is fine when it is longer than the cap. */
			CHECK(r.raw_len > cap, "record of %zu bytes refused with a cap of %zu", r.raw_len, cap);
			CHECK(c.err_line == r.rec_line && c.err_col == 1, "cap error at %llu:%u, record at %llu",
			      (unsigned long long)c.err_line, c.err_col, (unsigned long long)r.rec_line);
			break;
		}
		CHECK(rc == want, "pb_csv_next %d, reference %d (%s; reference %s)", rc, want, pb_buf_str(&c.err),
		      r.msg ? r.msg : "");
		if (rc == PB_CSV_END) {
			CHECK(pb_csv_next(&c) == PB_CSV_END, "the end did not stay");
			CHECK(c.bytes == n, "bytes %llu at the end of %zu", (unsigned long long)c.bytes, n);
			break;
		}
		if (rc < 0) {
			CHECK(strcmp(pb_buf_str(&c.err), r.msg) == 0, "message '%s', reference '%s'",
			      pb_buf_str(&c.err), r.msg);
			CHECK(c.err_line >= 1 && c.err_col >= 1, "error at %llu:%u", (unsigned long long)c.err_line,
			      c.err_col);
			CHECK(c.err_line == r.err_line && c.err_col == r.err_col, "%s at %llu:%u, reference %llu:%u",
			      r.msg, (unsigned long long)c.err_line, c.err_col, (unsigned long long)r.err_line,
			      r.err_col);
			if (rc == PB_CSV_ERR_FATAL)
				break;
			continue;
		}
		check_record_shape(&c);
		compare_record(&c, &r);
		if (nrec++ == 0 && (flags & 1)) {
			pb_csv_expect_fields(&c, c.nfields);
			r.expect = r.nf;
		}
	}
	pb_csv_release(&c);
	free(r.f);
	free(r.vals);
	return 0;
}
