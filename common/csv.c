/*
 * The CSV reader. Records are found with a bitmask of the bytes that matter (quote, comma, line feed),
 * 64 bytes at a time, so ordinary text is skipped without looking at each byte.
 */
#include "csv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "banned.h"

#define PAD 64
#define READ_CHUNK ((size_t)1 << 20)
#define MAX_FIELDS 100000
#define MAX_RECORD ((size_t)1 << 30)

enum { SCAN_MORE = 0, SCAN_SLOW = 2 };

static uint64_t special_mask(const char *p)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n');
	uint64_t m = 0;
	int i;

	for (i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
		__m128i x = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, comma)),
					 _mm_cmpeq_epi8(v, lf));

		m |= (uint64_t)(uint32_t)_mm_movemask_epi8(x) << (16 * i);
	}
	return m;
#else
	uint64_t m = 0;
	int i;

	for (i = 0; i < 64; i++)
		if (p[i] == '"' || p[i] == ',' || p[i] == '\n')
			m |= (uint64_t)1 << i;
	return m;
#endif
}

/* The scanner's view of the buffer: positions of special bytes at or after a point. */
struct scan {
	const char *buf;
	size_t len;
	size_t blk;
	uint64_t m;
};

static uint64_t block_mask(const struct scan *s, size_t blk)
{
	uint64_t m = special_mask(s->buf + blk);

	if (s->len - blk < 64)
		m &= ((uint64_t)1 << (s->len - blk)) - 1;
	return m;
}

/* Position of the first special byte at or after pos, or len when there is none. */
static inline __attribute__((always_inline)) size_t next_special(struct scan *s, size_t pos)
{
	if (pos >= s->len)
		return s->len;
	if (pos < s->blk || pos - s->blk >= 64) {
		s->blk = pos;
		s->m = block_mask(s, pos);
	} else {
		s->m &= ~(((uint64_t)1 << (pos - s->blk)) - 1);
	}
	while (!s->m) {
		s->blk += 64;
		if (s->blk >= s->len)
			return s->len;
		s->m = block_mask(s, s->blk);
	}
	return s->blk + (size_t)__builtin_ctzll(s->m);
}

int pb_csv_init(struct pb_csv *c, pb_read_fn fn, void *ctx, size_t max_record)
{
	memset(c, 0, sizeof(*c));
	pb_buf_init(&c->err, 4096);
	c->read = fn;
	c->ctx = ctx;
	c->max_record = max_record ? max_record : PB_CSV_DEFAULT_MAX_RECORD;
	if (c->max_record > MAX_RECORD)
		c->max_record = MAX_RECORD;
	/* Room for one whole record plus a read; small caps (tests, fuzzing) get small buffers. */
	c->alloc = c->max_record + (c->max_record < READ_CHUNK ? c->max_record : READ_CHUNK);
	c->buf = malloc(c->alloc + PAD);
	c->fields_alloc = 64;
	c->fields = malloc(c->fields_alloc * sizeof(*c->fields));
	c->next_line = 1;
	if (!c->buf || !c->fields) {
		pb_csv_release(c);
		return -1;
	}
	/* The block scanners read up to 64 bytes past the data; those bits are masked off. */
	memset(c->buf, 0, PAD);
	memset(c->buf + c->alloc, 0, PAD);
	return 0;
}

void pb_csv_release(struct pb_csv *c)
{
	if (!c)
		return;
	free(c->buf);
	free(c->fields);
	free(c->ml_pos);
	c->ml_pos = NULL;
	free(c->want);
	free(c->want_before);
	c->want = NULL;
	c->want_before = NULL;
	c->nwant = 0;
	pb_buf_release(&c->err);
	c->buf = NULL;
	c->fields = NULL;
	c->nfields = 0;
}

int pb_csv_project(struct pb_csv *c, const size_t *cols, size_t n)
{
	size_t i, max = 0;
	unsigned char *w;

	free(c->want);
	free(c->want_before);
	c->want = NULL;
	c->want_before = NULL;
	c->nwant = 0;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (cols[i] + 1 > max)
			max = cols[i] + 1;
	w = calloc(max, 1);
	c->want_before = calloc(max + 1, sizeof(*c->want_before));
	if (!w || !c->want_before) {
		free(w);
		return -1;
	}
	for (i = 0; i < n; i++)
		w[cols[i]] = 1;
	for (i = 0; i < max; i++)
		c->want_before[i + 1] = c->want_before[i] + w[i];
	c->want = w;
	c->nwant = max;
	return 0;
}

/* 1 when field i of the current record was filled in. */
static int wanted(const struct pb_csv *c, size_t i)
{
	return !c->nwant || (i < c->nwant && c->want[i]);
}

void pb_csv_expect_fields(struct pb_csv *c, size_t n)
{
	c->expect_fields = n;
}

static int set_error(struct pb_csv *c, uint64_t line, uint32_t col, int code, const char *msg)
{
	c->err_line = line;
	c->err_col = col;
	pb_buf_reset(&c->err);
	pb_buf_addstr(&c->err, msg);
	return code;
}

static inline int add_field(struct pb_csv *c, size_t nf, char *ptr, size_t len, size_t off)
{
	struct pb_csv_field *f;

	if (__builtin_expect(nf >= c->fields_alloc, 0)) {
		size_t n = c->fields_alloc * 2;

		/* The fast scanner stores only wanted fields, at their own index: one doubling may not reach it. */
		while (n <= nf)
			n *= 2;
		if (n > MAX_FIELDS)
			return -1;
		f = realloc(c->fields, n * sizeof(*f));
		if (!f)
			return -1;
		c->fields = f;
		c->fields_alloc = n;
	}
	f = &c->fields[nf];
	f->ptr = ptr;
	f->len = (uint32_t)len;
	f->off = (uint32_t)off;
	return 0;
}

/* A line that ends in CR CR LF (a CR LF file whose line ends were converted once more, or written twice). */
#define STRAY_CR "a stray carriage return at the end of the line (CR CR LF): lines end in LF or CR LF"

/* A problem found inside a record that does not stop the scan: the first one is kept. */
struct rec_error {
	const char *msg;
	uint32_t line_delta;
	uint32_t col;
};

static void note_error(struct rec_error *e, const char *msg, uint32_t line_delta, uint32_t col)
{
	if (!e->msg) {
		e->msg = msg;
		e->line_delta = line_delta;
		e->col = col;
	}
}

/* What scan_record() learned about the record besides its fields. */
struct rec_info {
	size_t end;   /* past the terminator */
	uint32_t nl;  /* line feeds inside quoted fields */
	int ended_lf; /* ends with a line feed, not at the end of input */
	int doubled;  /* some quoted field holds doubled quotes still to collapse */
	struct rec_error err;
};

/*
 * Scans one record starting at c->pos without changing the buffer, so that it can be scanned again
 * after more input arrives. Returns PB_CSV_RECORD, SCAN_MORE when the buffer ends first and more
 * input may come, or a fatal error.
 */
static int scan_record(struct pb_csv *c, struct rec_info *ri)
{
	char *buf = c->buf;
	struct scan s = {buf, c->len, (size_t)-1 / 2, 0};
	size_t len = c->len, i = c->pos, fs, sp, fe, cr, line_start = c->pos, nf = 0;
	uint32_t nl = 0;
	int eof = c->eof;

	for (;;) {
		fs = i;
		if (i < len && buf[i] == '"') {
			size_t j = i + 1, after, open_line_start = line_start;
			uint32_t open_nl = nl;
			int dq = 0;

			for (;;) {
				sp = next_special(&s, j);
				if (sp >= len) {
					if (!eof)
						return SCAN_MORE;
					return set_error(c, c->next_line + open_nl,
							 (uint32_t)(fs - open_line_start + 1), PB_CSV_ERR_FATAL,
							 "unterminated quoted field");
				}
				if (buf[sp] == '"') {
					if (sp + 1 >= len && !eof)
						return SCAN_MORE;
					if (sp + 1 < len && buf[sp + 1] == '"') {
						dq = 1;
						j = sp + 2;
						continue;
					}
					break;
				}
				if (buf[sp] == '\n') {
					nl++;
					line_start = sp + 1;
				}
				j = sp + 1;
			}
			after = sp + 1;
			if (after < len && buf[after] == '\r') {
				if (after + 1 >= len && !eof)
					return SCAN_MORE;
				if (after + 1 < len && buf[after + 1] == '\n')
					after++;
			}
			if (after >= len || buf[after] == ',' || buf[after] == '\n') {
				ri->doubled |= dq;
				if (add_field(c, nf++, buf + fs + 1, sp - fs - 1, fs - c->pos) < 0)
					goto too_many;
				if (after >= len || buf[after] == '\n') {
					ri->end = after >= len ? len : after + 1;
					ri->ended_lf = after < len;
					break;
				}
				i = after + 1;
				continue;
			}
			/* CR CR LF after a closing quote: said as after an unquoted field (known once the CRs end). */
			for (cr = after; cr < len && buf[cr] == '\r'; cr++)
				;
			if (cr >= len && !eof)
				return SCAN_MORE;
			/* Keep the raw text of the field and read on to its end as if unquoted. */
			note_error(&ri->err,
				   cr - after >= 2 && cr < len && buf[cr] == '\n'
					   ? STRAY_CR
					   : "unexpected character after closing quote",
				   nl, (uint32_t)(after - line_start + 1));
			i = after;
		}
		for (;;) {
			sp = next_special(&s, i);
			if (sp >= len) {
				if (!eof)
					return SCAN_MORE;
				break;
			}
			if (buf[sp] != '"')
				break;
			note_error(&ri->err, "unexpected '\"' in unquoted field", nl, (uint32_t)(sp - line_start + 1));
			i = sp + 1;
		}
		fe = sp;
		if (fe > fs && buf[fe - 1] == '\r' && (sp >= len || buf[sp] == '\n')) {
			cr = --fe;

			/* CR CR LF: the line's end holds a carriage return more, kept out of the field. */
			while (cr > fs && buf[cr - 1] == '\r')
				cr--;
			if (cr < fe)
				note_error(&ri->err, STRAY_CR, nl, (uint32_t)(cr - line_start + 1));
		}
		if (add_field(c, nf++, buf + fs, fe - fs, fs - c->pos) < 0)
			goto too_many;
		if (sp >= len || buf[sp] == '\n') {
			ri->end = sp >= len ? len : sp + 1;
			ri->ended_lf = sp < len;
			break;
		}
		i = sp + 1;
	}
	ri->nl = nl;
	c->nfields = nf;
	return PB_CSV_RECORD;
too_many:
	return set_error(c, c->next_line, 1, PB_CSV_ERR_FATAL, "too many fields in one record");
}

/* Set bits in x; portable, since the baseline x86-64 has no popcnt instruction. */
static inline unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
	return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

/* Bit i set when an odd number of bits at or below i are set: which bytes lie inside quotes. */
static inline uint64_t prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

#ifdef __SSE2__
static inline __attribute__((always_inline)) uint64_t eq_mask(__m128i a, __m128i b, __m128i c, __m128i d, __m128i x)
{
	uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a, x));
	uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, x));
	uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(c, x));
	uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(d, x));

	return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}
#endif

static inline __attribute__((always_inline)) void block_masks(const char *p, uint64_t *q, uint64_t *comma, uint64_t *lf,
							      uint64_t *cr)
{
#ifdef __SSE2__
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
	__m128i d = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));

	*q = eq_mask(a, b, c, d, _mm_set1_epi8('"'));
	*comma = eq_mask(a, b, c, d, _mm_set1_epi8(','));
	*lf = eq_mask(a, b, c, d, _mm_set1_epi8('\n'));
	*cr = eq_mask(a, b, c, d, _mm_set1_epi8('\r'));
#else
	int i;

	*q = *comma = *lf = *cr = 0;
	for (i = 0; i < 64; i++) {
		*q |= (uint64_t)(p[i] == '"') << i;
		*comma |= (uint64_t)(p[i] == ',') << i;
		*lf |= (uint64_t)(p[i] == '\n') << i;
		*cr |= (uint64_t)(p[i] == '\r') << i;
	}
#endif
}

/*
 * The fast path for a well-formed record that ends inside the buffer. Quote parity (a prefix XOR of the
 * quote bits) tells which commas and line feeds are structure, 64 bytes at a time, and the placement of
 * every quote is checked with bit operations: an opening quote must follow a delimiter, the record's
 * start or a closing quote (a doubled quote), and a closing quote must precede a delimiter, CR LF or an
 * opening quote. Anything else, or the buffer's end, returns SCAN_SLOW and the exact byte-wise scanner
 * takes the record, with its precise error. Only wanted fields are stored.
 */
static int scan_record_fast(struct pb_csv *c, struct rec_info *ri)
{
	char *buf = c->buf;
	const unsigned char *want = c->want;
	size_t len = c->len, start = c->pos, blk, fs = start, idx = 0, nwant = c->nwant;
	uint64_t carry = 0, prev_delim = 1, prev_close = 0, pending_close = 0;
	uint32_t nl = 0;

	for (blk = start; blk < len; blk += 64) {
		uint64_t q, comma, lf, cr, inside, st, stlf, open, close, after, limit = ~(uint64_t)0;

		block_masks(buf + blk, &q, &comma, &lf, &cr);
		if (len - blk < 64) {
			uint64_t valid = ((uint64_t)1 << (len - blk)) - 1;

			q &= valid;
			comma &= valid;
			lf &= valid;
			cr &= valid;
		}
		inside = prefix_xor(q) ^ carry;
		carry = (uint64_t)0 - (inside >> 63);
		st = (comma | lf) & ~inside;
		stlf = lf & ~inside;
		if (stlf) {
			unsigned endbit = (unsigned)__builtin_ctzll(stlf);

			limit = endbit == 63 ? ~(uint64_t)0 : ((uint64_t)1 << (endbit + 1)) - 1;
			st &= limit;
		}
		open = q & inside & limit;
		close = q & ~inside & limit;
		after = st | open | (cr & (stlf >> 1));
		if (pending_close && !(after & 1))
			return SCAN_SLOW;
		if (open & ~((st << 1) | prev_delim | (close << 1) | prev_close))
			return SCAN_SLOW;
		if (close & ~(after >> 1) & ~((uint64_t)1 << 63))
			return SCAN_SLOW;
		if (open & ((close << 1) | prev_close))
			ri->doubled = 1;
		pending_close = close >> 63;
		prev_delim = st >> 63;
		prev_close = close >> 63;
		if (!stlf && st && nwant) {
			/* No field here is wanted and the record goes on: count the fields and move on. */
			size_t n = (size_t)popcount64(st);

			if (idx >= nwant || c->want_before[idx + n < nwant ? idx + n : nwant] == c->want_before[idx]) {
				idx += n;
				fs = blk + 64 - (size_t)__builtin_clzll(st);
				st = 0;
			}
		}
		while (st) {
			unsigned b = (unsigned)__builtin_ctzll(st);
			size_t e = blk + b;

			st &= st - 1;
			if (!nwant || (idx < nwant && want[idx])) {
				size_t end = e;

				if (end > fs && buf[end - 1] == '\r' && buf[e] == '\n')
					end--;
				if (buf[fs] == '"') {
					if (add_field(c, idx, buf + fs + 1, end - fs - 2, fs - start) < 0)
						return SCAN_SLOW;
				} else if (add_field(c, idx, buf + fs, end - fs, fs - start) < 0) {
					return SCAN_SLOW;
				}
			}
			idx++;
			if (buf[e] == '\n') {
				/* CR CR LF: the slow scan says where. */
				if (e >= fs + 2 && buf[e - 1] == '\r' && buf[e - 2] == '\r')
					return SCAN_SLOW;
				ri->end = e + 1;
				ri->ended_lf = 1;
				ri->nl = nl + (uint32_t)popcount64(lf & inside & (((uint64_t)1 << b) - 1));
				c->nfields = idx;
				return PB_CSV_RECORD;
			}
			fs = e + 1;
		}
		if (lf & inside)
			nl += (uint32_t)popcount64(lf & inside);
	}
	return SCAN_SLOW;
}

/* Moves the unread tail to the front and reads more. Returns 1 if bytes came, 0 at the end, or an error. */
static int fill(struct pb_csv *c)
{
	size_t keep = c->len - c->pos;
	long n;

	if (keep > c->max_record) {
		pb_buf_reset(&c->err);
		pb_buf_addf(&c->err, "record longer than %zu bytes", c->max_record);
		c->err_line = c->next_line;
		c->err_col = 1;
		return PB_CSV_ERR_FATAL;
	}
	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, keep);
		c->len = keep;
		c->pos = 0;
	}
	n = c->read(c->ctx, c->buf + c->len, c->alloc - c->len, &c->err);
	if (n < 0) {
		c->err_line = 0;
		c->err_col = 0;
		return PB_CSV_ERR_FATAL;
	}
	if (n == 0) {
		c->eof = 1;
		return 0;
	}
	c->len += (size_t)n;
	return 1;
}

/* Records the line delta and column of each field of a record that spans several lines. */
static int place_fields_multiline(struct pb_csv *c, size_t start)
{
	size_t i, line_start = start, at = start;
	uint32_t nl = 0;

	if (c->ml_alloc < 2 * c->nfields) {
		uint32_t *p = realloc(c->ml_pos, 2 * c->nfields * sizeof(*p));

		if (!p)
			return -1;
		c->ml_pos = p;
		c->ml_alloc = 2 * c->nfields;
	}
	for (i = 0; i < c->nfields; i++) {
		size_t fstart;

		if (!wanted(c, i))
			continue;
		fstart = start + c->fields[i].off;

		for (; at < fstart; at++) {
			if (c->buf[at] == '\n') {
				nl++;
				line_start = at + 1;
			}
		}
		c->ml_pos[2 * i] = nl;
		c->ml_pos[2 * i + 1] = (uint32_t)(fstart - line_start + 1);
	}
	return 0;
}

/* Positions first, while the raw text is intact; then doubled quotes are collapsed. */
static int finish_record(struct pb_csv *c, size_t start, const struct rec_info *ri)
{
	size_t i, k, o;

	c->multiline = ri->nl > 0;
	if (c->multiline && place_fields_multiline(c, start) < 0)
		return -1;
	if (!ri->doubled)
		return 0;
	for (i = 0; i < c->nfields; i++) {
		struct pb_csv_field *f = &c->fields[i];

		if (!wanted(c, i) || c->buf[start + f->off] != '"')
			continue;
		for (k = 0, o = 0; k < f->len; k++) {
			f->ptr[o++] = f->ptr[k];
			if (f->ptr[k] == '"')
				k++;
		}
		f->len = (uint32_t)o;
	}
	return 0;
}

/* An empty line (LF or CR LF alone) is one empty unquoted field, and is skipped. */
static int blank_line(const struct pb_csv *c, size_t start, const struct rec_info *ri)
{
	size_t raw = ri->end - start - (size_t)ri->ended_lf;

	if (raw && c->buf[start + raw - 1] == '\r')
		raw--;
	return raw == 0;
}

/*
 * Skips the blank lines (LF or CRLF) at c->pos in the buffer, counting their lines and bytes: what a blank line
 * read as a record of one empty field would do, without its cost (40 ns a line: a gzip member of a few MB
 * inflating to GBs of line feeds, a decompression bomb, took minutes). A CR at the buffer's end is left for the
 * record scan, which sees what follows it.
 */
static void skip_blank_lines(struct pb_csv *c)
{
	const char *b = c->buf;
	size_t p = c->pos, len = c->len;
	uint64_t lines = 0;

	for (;;) {
		if (p < len && b[p] == '\n')
			p++;
		else if (p + 1 < len && b[p] == '\r' && b[p + 1] == '\n')
			p += 2;
		else
			break;
		lines++;
	}
	c->next_line += lines;
	c->bytes += p - c->pos;
	c->pos = p;
}

int pb_csv_next(struct pb_csv *c)
{
	struct rec_info ri;
	size_t start;
	int rc;

again:
	for (;;) {
		memset(&ri, 0, sizeof(ri));
		if (!c->started) {
			if (c->len < 3 && !c->eof) {
				rc = fill(c);
				if (rc < 0)
					return rc;
				continue;
			}
			c->started = 1;
			if (c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0) {
				c->pos = 3;
				c->bytes = 3;
			}
		}
		if (c->pos >= c->len) {
			if (c->eof)
				return PB_CSV_END;
			rc = fill(c);
			if (rc < 0)
				return rc;
			continue;
		}
		skip_blank_lines(c);
		if (c->pos >= c->len)
			continue;
		rc = c->exact_only ? SCAN_SLOW : scan_record_fast(c, &ri);
		if (rc == SCAN_SLOW) {
			memset(&ri, 0, sizeof(ri));
			rc = scan_record(c, &ri);
		}
		if (rc == SCAN_MORE) {
			rc = fill(c);
			if (rc < 0)
				return rc;
			continue;
		}
		if (rc < 0)
			return rc;
		break;
	}
	start = c->pos;
	if (ri.end - start - (size_t)ri.ended_lf > c->max_record) {
		pb_buf_reset(&c->err);
		pb_buf_addf(&c->err, "record longer than %zu bytes", c->max_record);
		c->err_line = c->next_line;
		c->err_col = 1;
		return PB_CSV_ERR_FATAL;
	}
	c->line = c->next_line;
	c->next_line += ri.nl + (uint64_t)ri.ended_lf;
	c->bytes += ri.end - start;
	c->pos = ri.end;
	if (finish_record(c, start, &ri) < 0)
		return set_error(c, c->line, 1, PB_CSV_ERR_FATAL, "out of memory");
	if (ri.err.msg)
		return set_error(c, c->line + ri.err.line_delta, ri.err.col, PB_CSV_ERR_RECORD, ri.err.msg);
	if (c->nfields == 1 && blank_line(c, start, &ri))
		goto again;
	if (c->expect_fields && c->nfields != c->expect_fields) {
		pb_buf_reset(&c->err);
		pb_buf_addf(&c->err, "expected %zu fields, found %zu", c->expect_fields, c->nfields);
		c->err_line = c->line;
		c->err_col = 1;
		return PB_CSV_ERR_RECORD;
	}
	return PB_CSV_RECORD;
}

long pb_csv_find(const struct pb_csv *c, const char *name, int ci)
{
	size_t i, n = strlen(name);

	for (i = 0; i < c->nfields; i++) {
		if (c->fields[i].len != n)
			continue;
		if (ci ? strncasecmp(c->fields[i].ptr, name, n) == 0 : memcmp(c->fields[i].ptr, name, n) == 0)
			return (long)i;
	}
	return -1;
}

void pb_csv_field_pos(const struct pb_csv *c, size_t i, uint64_t *line, uint32_t *col)
{
	if (c->multiline) {
		*line = c->line + c->ml_pos[2 * i];
		*col = c->ml_pos[2 * i + 1];
	} else {
		*line = c->line;
		*col = c->fields[i].off + 1;
	}
}

void pb_csv_no_header(const struct pb_csv *c, const char *name, struct pb_buf *out)
{
	if (c->next_line > 1)
		pb_buf_addf(out, "%s: no header line: the file holds only blank lines (%llu)", name,
			    (unsigned long long)(c->next_line - 1));
	else
		pb_buf_addf(out, "%s: empty file: no header line", name);
}
