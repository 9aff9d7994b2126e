/*
 * Unit tests of common/csv.c: every quirk and error of the reader, fed from memory in chunks of every
 * size from one byte up, so that records straddle refills, and a randomized round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"

#include "banned.h"

/* A byte source over a string: at most chunk bytes a call (0: a varying size), failing at fail_at. */
struct memsrc {
	const char *data;
	size_t len;
	size_t pos;
	size_t chunk;
	uint64_t rng;
	size_t fail_at;
	const char *fail_msg;
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: fixed seeds make every run the same. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static long mem_read(void *ctx, char *buf, size_t n, struct pb_buf *err)
{
	struct memsrc *m = ctx;
	size_t k = m->len - m->pos, want = m->chunk;

	if (m->pos >= m->fail_at) {
		pb_buf_reset(err);
		pb_buf_addstr(err, m->fail_msg);
		return -1;
	}
	if (want == 0) {
		uint64_t r = rng_next(&m->rng);

		want = r % 4 == 0 ? 1 : 1 + (size_t)(r >> 8) % 200;
	}
	if (k > want)
		k = want;
	if (k > n)
		k = n;
	if (k > m->fail_at - m->pos)
		k = m->fail_at - m->pos;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return (long)k;
}

static void src_init(struct memsrc *m, const char *data, size_t len, size_t chunk)
{
	memset(m, 0, sizeof(*m));
	m->data = data;
	m->len = len;
	m->chunk = chunk;
	m->rng = 0x9E3779B97F4A7C15ULL ^ chunk;
	m->fail_at = SIZE_MAX;
}

/* Chunk sizes every quirk is read with: single bytes, odd sizes, around the 64-byte scan block, whole. */
static const size_t chunks[] = {1, 2, 3, 5, 7, 16, 63, 64, 65, 1000, (size_t)1 << 20, 0};
#define NCHUNKS (sizeof(chunks) / sizeof(chunks[0]))

/* Appends a field's bytes readably: \n, \r, \\, \[, \] and \xHH for other unprintable bytes. */
static void dump_bytes(struct pb_buf *out, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\n')
			pb_buf_addstr(out, "\\n");
		else if (ch == '\r')
			pb_buf_addstr(out, "\\r");
		else if (ch == '\\' || ch == '[' || ch == ']')
			pb_buf_addf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			pb_buf_addf(out, "\\x%02x", ch);
		else
			pb_buf_addch(out, (char)ch);
	}
}

struct opts {
	size_t max_record;
	/* After the first record, pb_csv_expect_fields(expect). */
	size_t expect;
	/* Show each field's line:column. */
	int pos;
};

/*
 * Reads all of doc and describes what came out, one line a call: "[a][b]" for a record (with " l:c"
 * after each field when asked), "ERR_RECORD l:c message", "FATAL l:c message", "END".
 */
static void dump_csv(const char *doc, size_t len, size_t chunk, const struct opts *o, struct pb_buf *out)
{
	struct memsrc m;
	struct pb_csv c;
	size_t i, nrec = 0;
	int rc;

	src_init(&m, doc, len, chunk);
	assert_int_equal(pb_csv_init(&c, mem_read, &m, o->max_record), 0);
	for (;;) {
		rc = pb_csv_next(&c);
		if (rc == PB_CSV_END) {
			pb_buf_addstr(out, "END\n");
			/* The end stays the end. */
			assert_int_equal(pb_csv_next(&c), PB_CSV_END);
			break;
		}
		if (rc == PB_CSV_ERR_RECORD || rc == PB_CSV_ERR_FATAL) {
			pb_buf_addf(out, "%s %llu:%u %s\n", rc == PB_CSV_ERR_FATAL ? "FATAL" : "ERR_RECORD",
				    (unsigned long long)c.err_line, (unsigned)c.err_col, pb_buf_str(&c.err));
			if (rc == PB_CSV_ERR_FATAL)
				break;
			continue;
		}
		assert_int_equal(rc, PB_CSV_RECORD);
		for (i = 0; i < c.nfields; i++) {
			uint64_t line;
			uint32_t col;

			pb_buf_addch(out, '[');
			dump_bytes(out, c.fields[i].ptr, c.fields[i].len);
			pb_buf_addch(out, ']');
			pb_csv_field_pos(&c, i, &line, &col);
			if (i == 0 && line != c.line)
				pb_buf_addf(out, "(record line %llu)", (unsigned long long)c.line);
			if (o->pos)
				pb_buf_addf(out, "%llu:%u%s", (unsigned long long)line, (unsigned)col,
					    i + 1 < c.nfields ? " " : "");
		}
		pb_buf_addch(out, '\n');
		if (nrec++ == 0 && o->expect)
			pb_csv_expect_fields(&c, o->expect);
	}
	assert_false(out->failed);
	pb_csv_release(&c);
}

/* Reads doc with every chunk size and requires the same description, want, each time. */
static void check_doc_opts(const char *doc, size_t len, const struct opts *o, const char *want)
{
	struct pb_buf got = PB_BUF_INIT;
	size_t k;

	for (k = 0; k < NCHUNKS; k++) {
		pb_buf_reset(&got);
		dump_csv(doc, len, chunks[k], o, &got);
		if (strcmp(pb_buf_str(&got), want) != 0) {
			print_error("chunk size %zu\n--- want:\n%s--- got:\n%s", chunks[k], want, pb_buf_str(&got));
			pb_buf_release(&got);
			fail();
		}
	}
	pb_buf_release(&got);
}

static void check_doc(const char *doc, const char *want)
{
	struct opts o = {0, 0, 0};

	check_doc_opts(doc, strlen(doc), &o, want);
}

static void check_doc_pos(const char *doc, const char *want)
{
	struct opts o = {0, 0, 1};

	check_doc_opts(doc, strlen(doc), &o, want);
}

static void test_plain_records(void **state)
{
	(void)state;
	check_doc("a,b,c\n1,2,3\n", "[a][b][c]\n[1][2][3]\nEND\n");
	check_doc("one\n", "[one]\nEND\n");
	check_doc("", "END\n");
	check_doc("x y , z\t\n", "[x y ][ z\\x09]\nEND\n");
}

static void test_quoted_fields(void **state)
{
	(void)state;
	check_doc("\"a\",\"b c\",d\n", "[a][b c][d]\nEND\n");
	check_doc("x,\"y\"\n\"z\"\n", "[x][y]\n[z]\nEND\n");
}

static void test_doubled_quotes(void **state)
{
	(void)state;
	check_doc("\"he said \"\"hi\"\"\",x\n", "[he said \"hi\"][x]\nEND\n");
	check_doc("\"\"\"\"\n", "[\"]\nEND\n");
	check_doc("\"\"\"\"\"\",\"a\"\"\"\n", "[\"\"][a\"]\nEND\n");
	check_doc("\"\"\"a\"\"b\"\"\"\"c\"\"\"\n", "[\"a\"b\"\"c\"]\nEND\n");
}

static void test_specials_inside_quotes(void **state)
{
	(void)state;
	check_doc_pos("\"a,b\",\"l1\nl2\",\"c1\r\nc2\"\nnext\n",
		      "[a,b]1:1 [l1\\nl2]1:7 [c1\\r\\nc2]2:5\n[next]4:1\nEND\n");
	check_doc("\",\",\"\n\",\"\r\"\n", "[,][\\n][\\r]\nEND\n");
	check_doc("\"a\"\"\nb\"\n", "[a\"\\nb]\nEND\n");
}

static void test_record_ends(void **state)
{
	(void)state;
	check_doc_pos("a,b\r\nc,d\ne,f\r\n\"g\"\r\nh\n",
		      "[a]1:1 [b]1:3\n[c]2:1 [d]2:3\n[e]3:1 [f]3:3\n[g]4:1\n[h]5:1\nEND\n");
	check_doc("a,\r\n,\r\n", "[a][]\n[][]\nEND\n");
}

#define STRAY "a stray carriage return at the end of the line (CR CR LF): lines end in LF or CR LF"

static void test_lone_cr_is_data(void **state)
{
	(void)state;
	check_doc_pos("a\rb,c\rd\r\nd\n", "[a\\rb]1:1 [c\\rd]1:5\n[d]2:1\nEND\n");
	/* But not at a line's end: CR CR LF is a line ending gone wrong, said where its stray CR is. */
	check_doc("a\rb,c\r\r\nd\n", "ERR_RECORD 1:6 " STRAY "\n[d]\nEND\n");
	check_doc("\r,\r\r\r\n", "ERR_RECORD 1:3 " STRAY "\nEND\n");
	check_doc("a,\"b\"\r\r\nc\n", "ERR_RECORD 1:6 " STRAY "\n[c]\nEND\n");
	check_doc("a,b\r\r", "ERR_RECORD 1:4 " STRAY "\nEND\n");
	/* After a closing quote a lone CR is data where only a separator may stand. */
	check_doc("\"a\"\rb\nx\n", "ERR_RECORD 1:4 unexpected character after closing quote\n[x]\nEND\n");
}

static void test_no_final_newline(void **state)
{
	(void)state;
	check_doc("a,b\nc,d", "[a][b]\n[c][d]\nEND\n");
	check_doc("a,\"b\"", "[a][b]\nEND\n");
	check_doc("a,\"b\nc\"", "[a][b\\nc]\nEND\n");
	check_doc("x,", "[x][]\nEND\n");
	check_doc("\"\"", "[]\nEND\n");
	check_doc("x,\"\"", "[x][]\nEND\n");
	check_doc("a\nb\r\nc", "[a]\n[b]\n[c]\nEND\n");
}

static void test_bom(void **state)
{
	(void)state;
	check_doc_pos("\xEF\xBB\xBFid,name\n1,2\n", "[id]1:1 [name]1:4\n[1]2:1 [2]2:3\nEND\n");
	check_doc("\xEF\xBB\xBF\"q\",x\n", "[q][x]\nEND\n");
	check_doc("\xEF\xBB\xBF", "END\n");
	check_doc("\xEF\xBB\xBF\n\na\n", "[a]\nEND\n");
	/* Only at the very start: elsewhere, and cut short, it is data. */
	check_doc("a\n\xEF\xBB\xBF\n", "[a]\n[\\xef\\xbb\\xbf]\nEND\n");
	check_doc("\xEF\xBB", "[\\xef\\xbb]\nEND\n");
	check_doc("\xEF\xBB\xBF\xEF\xBB\xBF\n", "[\\xef\\xbb\\xbf]\nEND\n");
}

static void test_empty_fields(void **state)
{
	(void)state;
	check_doc_pos(",,\na,,b\na,\n,a\n",
		      "[]1:1 []1:2 []1:3\n[a]2:1 []2:3 [b]2:4\n[a]3:1 []3:3\n[]4:1 [a]4:2\nEND\n");
}

static void test_empty_quoted_field(void **state)
{
	(void)state;
	/* A lone "" is a record of one empty field, not a blank line. */
	check_doc_pos("\"\"\n\"\",\"\"\r\n\"\"\r\nx\n", "[]1:1\n[]2:1 []2:4\n[]3:1\n[x]4:1\nEND\n");
}

static void test_blank_lines_skipped(void **state)
{
	struct opts o = {0, 2, 1};
	const char *doc = "h1,h2\n\n\r\n1,2\n\n";

	(void)state;
	check_doc_pos("\n\na\n\r\n\nb\n\n", "[a]3:1\n[b]6:1\nEND\n");
	check_doc("\n\r\n\n", "END\n");
	check_doc("\r\n", "END\n");
	check_doc_pos("\r\n\r\n\n\r\na\r\n\r\n\r\nb\r\n\r\n", "[a]5:1\n[b]8:1\nEND\n");
	/* A blank line is no record, so it is no record of the wrong width either. */
	check_doc_opts(doc, strlen(doc), &o, "[h1]1:1 [h2]1:4\n[1]4:1 [2]4:3\nEND\n");
}

static void read_one(struct pb_csv *c, struct memsrc *m, const char *doc)
{
	src_init(m, doc, strlen(doc), 3);
	assert_int_equal(pb_csv_init(c, mem_read, m, 0), 0);
	assert_int_equal(pb_csv_next(c), PB_CSV_RECORD);
}

static void test_find(void **state)
{
	struct memsrc m;
	struct pb_csv c;

	(void)state;
	read_one(&c, &m, "Id,lineItem/UsageAmount,NAME,\"quoted\",,name\n");
	assert_int_equal(pb_csv_find(&c, "Id", 0), 0);
	assert_int_equal(pb_csv_find(&c, "id", 0), -1);
	assert_int_equal(pb_csv_find(&c, "id", 1), 0);
	assert_int_equal(pb_csv_find(&c, "ID", 1), 0);
	assert_int_equal(pb_csv_find(&c, "lineItem/UsageAmount", 0), 1);
	assert_int_equal(pb_csv_find(&c, "LINEITEM/USAGEAMOUNT", 1), 1);
	assert_int_equal(pb_csv_find(&c, "lineitem/usageamount", 0), -1);
	/* The first match wins; exact lookup sees case. */
	assert_int_equal(pb_csv_find(&c, "name", 1), 2);
	assert_int_equal(pb_csv_find(&c, "name", 0), 5);
	assert_int_equal(pb_csv_find(&c, "NAME", 0), 2);
	assert_int_equal(pb_csv_find(&c, "quoted", 0), 3);
	assert_int_equal(pb_csv_find(&c, "", 0), 4);
	/* Whole fields only: no prefixes, no longer names. */
	assert_int_equal(pb_csv_find(&c, "line", 1), -1);
	assert_int_equal(pb_csv_find(&c, "Idx", 1), -1);
	assert_int_equal(pb_csv_find(&c, "missing", 1), -1);
	pb_csv_release(&c);
}

static void test_field_pos(void **state)
{
	(void)state;
	check_doc_pos("a,bb,\"c\",d\n  x ,\"y\"\"z\",\n",
		      "[a]1:1 [bb]1:3 [c]1:6 [d]1:10\n[  x ]2:1 [y\"z]2:6 []2:13\nEND\n");
}

static void test_field_pos_multiline(void **state)
{
	(void)state;
	check_doc_pos("id,\"l1\nl2\nl3\",y,\"z\"\r\nnext,\"a\nb\",c\n",
		      "[id]1:1 [l1\\nl2\\nl3]1:4 [y]3:5 [z]3:7\n[next]4:1 [a\\nb]4:6 [c]5:4\nEND\n");
	/* CRLF inside quotes counts as one line break; the CR stays in the value. */
	check_doc_pos("\"a\r\nb\",c\nd\n", "[a\\r\\nb]1:1 [c]2:4\n[d]3:1\nEND\n");
	/* A record on one line after one that spanned several. */
	check_doc_pos("\"x\ny\",z\nq,r\n", "[x\\ny]1:1 [z]2:4\n[q]3:1 [r]3:3\nEND\n");
}

static void test_record_cap(void **state)
{
	struct opts o = {16, 0, 0};
	const char *ok = "short\n0123456789abcdef\nafter\n";
	const char *over = "short\n0123456789abcdefg\nafter\n";
	const char *over_quoted = "a\n\"0123456\n89abcdefghij\"\n";

	(void)state;
	check_doc_opts(ok, strlen(ok), &o, "[short]\n[0123456789abcdef]\n[after]\nEND\n");
	/* The cap holds whatever the sizes of the reads that brought the record in. */
	check_doc_opts(over, strlen(over), &o, "[short]\nFATAL 2:1 record longer than 16 bytes\n");
	check_doc_opts(over_quoted, strlen(over_quoted), &o, "[a]\nFATAL 2:1 record longer than 16 bytes\n");
}

static void test_record_cap_default(void **state)
{
	struct opts o = {0, 0, 0};
	size_t n = 2 * PB_CSV_DEFAULT_MAX_RECORD, k;
	char *doc = malloc(n + 1);
	struct memsrc m;
	struct pb_csv c;

	(void)state;
	assert_non_null(doc);
	memset(doc, 'x', n);
	doc[n] = '\n';
	src_init(&m, doc, n + 1, 65536);
	assert_int_equal(pb_csv_init(&c, mem_read, &m, o.max_record), 0);
	assert_int_equal(pb_csv_next(&c), PB_CSV_ERR_FATAL);
	assert_string_equal(pb_buf_str(&c.err), "record longer than 1048576 bytes");
	assert_int_equal(c.err_line, 1);
	assert_int_equal(c.err_col, 1);
	pb_csv_release(&c);

	/* At the cap is fine. */
	for (k = 0; k < 2; k++) {
		n = PB_CSV_DEFAULT_MAX_RECORD;
		memset(doc, 'y', n);
		doc[n] = '\n';
		src_init(&m, doc, n + 1, k ? 4096 : (size_t)1 << 20);
		assert_int_equal(pb_csv_init(&c, mem_read, &m, 0), 0);
		assert_int_equal(pb_csv_next(&c), PB_CSV_RECORD);
		assert_int_equal(c.nfields, 1);
		assert_int_equal(c.fields[0].len, n);
		assert_int_equal(pb_csv_next(&c), PB_CSV_END);
		pb_csv_release(&c);
	}
	free(doc);
}

static void test_unterminated_quote(void **state)
{
	(void)state;
	check_doc("a,b\nc,\"unterminated\nmore\n", "[a][b]\nFATAL 2:3 unterminated quoted field\n");
	check_doc("\"", "FATAL 1:1 unterminated quoted field\n");
	check_doc("\"x\ny\",z\nq,\"open\n", "[x\\ny][z]\nFATAL 3:3 unterminated quoted field\n");
	/* The quote that opens on the record's second line. */
	check_doc("a,\"b\nc\",\"d\n", "FATAL 2:4 unterminated quoted field\n");
	/* Doubled quotes at the very end do not close it. */
	check_doc("x,\"ab\"\"", "FATAL 1:3 unterminated quoted field\n");
}

static void test_stray_quote(void **state)
{
	(void)state;
	check_doc("a,b\"c,d\ne,f\n", "ERR_RECORD 1:4 unexpected '\"' in unquoted field\n[e][f]\nEND\n");
	check_doc("a\"\n", "ERR_RECORD 1:2 unexpected '\"' in unquoted field\nEND\n");
	check_doc("\"m\nn\",x\"y\nok\n", "ERR_RECORD 2:5 unexpected '\"' in unquoted field\n[ok]\nEND\n");
	/* Only the first problem of a record is reported. */
	check_doc("a\"b,c\"d\nz", "ERR_RECORD 1:2 unexpected '\"' in unquoted field\n[z]\nEND\n");
}

static void test_char_after_quote(void **state)
{
	(void)state;
	check_doc("\"ab\"x,c\nnext\n", "ERR_RECORD 1:5 unexpected character after closing quote\n[next]\nEND\n");
	check_doc("a,\"b\" ,c\n", "ERR_RECORD 1:6 unexpected character after closing quote\nEND\n");
	check_doc("\"a\nb\"x\ny\n", "ERR_RECORD 2:3 unexpected character after closing quote\n[y]\nEND\n");
	check_doc("\"a\"\"b\"c", "ERR_RECORD 1:7 unexpected character after closing quote\nEND\n");
}

static void test_wrong_field_count(void **state)
{
	struct opts o = {0, 3, 0};
	const char *doc = "a,b,c\n1,2\n4,5,6\n7,8,9,10\n\"\"\n\"x\ny\",2\nz,\"\",\n";

	(void)state;
	check_doc_opts(doc, strlen(doc), &o,
		       "[a][b][c]\n"
		       "ERR_RECORD 2:1 expected 3 fields, found 2\n"
		       "[4][5][6]\n"
		       "ERR_RECORD 4:1 expected 3 fields, found 4\n"
		       "ERR_RECORD 5:1 expected 3 fields, found 1\n"
		       "ERR_RECORD 6:1 expected 3 fields, found 2\n"
		       "[z][][]\n"
		       "END\n");
}

static void test_expect_fields_off(void **state)
{
	struct memsrc m;
	struct pb_csv c;

	(void)state;
	src_init(&m, "a,b\nc\nd,e,f\n", 12, 1);
	assert_int_equal(pb_csv_init(&c, mem_read, &m, 0), 0);
	pb_csv_expect_fields(&c, 2);
	assert_int_equal(pb_csv_next(&c), PB_CSV_RECORD);
	assert_int_equal(pb_csv_next(&c), PB_CSV_ERR_RECORD);
	assert_string_equal(pb_buf_str(&c.err), "expected 2 fields, found 1");
	pb_csv_expect_fields(&c, 0);
	assert_int_equal(pb_csv_next(&c), PB_CSV_RECORD);
	assert_int_equal(c.nfields, 3);
	assert_int_equal(pb_csv_next(&c), PB_CSV_END);
	pb_csv_release(&c);
}

static void test_source_error(void **state)
{
	const char *doc = "a,b\nc,d\ne,f\n";
	struct memsrc m;
	struct pb_csv c;
	size_t k;

	(void)state;
	for (k = 0; k < NCHUNKS; k++) {
		src_init(&m, doc, strlen(doc), chunks[k]);
		m.fail_at = 6;
		m.fail_msg = "mem.csv: read failed";
		assert_int_equal(pb_csv_init(&c, mem_read, &m, 0), 0);
		assert_int_equal(pb_csv_next(&c), PB_CSV_RECORD);
		assert_int_equal(c.nfields, 2);
		assert_memory_equal(c.fields[1].ptr, "b", 1);
		assert_int_equal(pb_csv_next(&c), PB_CSV_ERR_FATAL);
		assert_string_equal(pb_buf_str(&c.err), "mem.csv: read failed");
		pb_csv_release(&c);

		/* The very first read fails. */
		src_init(&m, doc, strlen(doc), chunks[k]);
		m.fail_at = 0;
		m.fail_msg = "cannot read 'x': Input/output error";
		assert_int_equal(pb_csv_init(&c, mem_read, &m, 0), 0);
		assert_int_equal(pb_csv_next(&c), PB_CSV_ERR_FATAL);
		assert_string_equal(pb_buf_str(&c.err), "cannot read 'x': Input/output error");
		pb_csv_release(&c);
	}
}

static void test_source_error_after_record_error(void **state)
{
	const char *doc = "a\"b\nc,d\ne";
	struct memsrc m;
	struct pb_csv c;

	(void)state;
	/* A bad record's message must not leak into the source's. */
	src_init(&m, doc, strlen(doc), 1);
	m.fail_at = 8;
	m.fail_msg = "mem.csv: read failed";
	assert_int_equal(pb_csv_init(&c, mem_read, &m, 0), 0);
	assert_int_equal(pb_csv_next(&c), PB_CSV_ERR_RECORD);
	assert_int_equal(pb_csv_next(&c), PB_CSV_RECORD);
	assert_int_equal(pb_csv_next(&c), PB_CSV_ERR_FATAL);
	assert_string_equal(pb_buf_str(&c.err), "mem.csv: read failed");
	pb_csv_release(&c);
}

static void test_long_record(void **state)
{
	struct pb_buf doc = PB_BUF_INIT, want = PB_BUF_INIT, val = PB_BUF_INIT;
	struct opts o = {0, 0, 1};
	size_t line_start = 0, start, j;
	unsigned line = 1, i;

	(void)state;
	/* 300 fields, some quoted with commas, quotes and a line break: far more than one scan block. */
	for (i = 0; i < 300; i++) {
		pb_buf_reset(&val);
		pb_buf_addf(&val, "f%u", i);
		if (i % 7 == 3)
			pb_buf_addstr(&val, ",\"q\"");
		if (i == 150)
			pb_buf_addstr(&val, "\nnext line");
		if (i)
			pb_buf_addch(&doc, ',');
		start = doc.len;
		pb_buf_add_csv_field(&doc, val.ptr, val.len);
		pb_buf_addch(&want, '[');
		dump_bytes(&want, val.ptr, val.len);
		pb_buf_addf(&want, "]%u:%zu%s", line, start - line_start + 1, i + 1 < 300 ? " " : "");
		for (j = start; j < doc.len; j++) {
			if (doc.ptr[j] == '\n') {
				line++;
				line_start = j + 1;
			}
		}
	}
	pb_buf_addstr(&doc, "\r\n");
	pb_buf_addstr(&want, "\n");
	/* And one 5000-byte field. */
	for (i = 0; i < 5000; i++)
		pb_buf_addch(&doc, (char)('a' + i % 26));
	pb_buf_addstr(&want, "[");
	dump_bytes(&want, doc.ptr + doc.len - 5000, 5000);
	pb_buf_addf(&want, "]%u:1\nEND\n", line + 1);
	assert_false(doc.failed);
	assert_false(want.failed);
	assert_true(doc.len > 64 * 50);
	check_doc_opts(doc.ptr, doc.len, &o, want.ptr);
	pb_buf_release(&doc);
	pb_buf_release(&want);
	pb_buf_release(&val);
}

static void test_line_and_bytes(void **state)
{
	const char *doc = "\xEF\xBB\xBF"
			  "a\n\nb,\"c\nd\"\r\ne";
	struct memsrc m;
	struct pb_csv c;
	size_t k;

	(void)state;
	for (k = 0; k < NCHUNKS; k++) {
		src_init(&m, doc, strlen(doc), chunks[k]);
		assert_int_equal(pb_csv_init(&c, mem_read, &m, 0), 0);
		assert_int_equal(pb_csv_next(&c), PB_CSV_RECORD);
		assert_int_equal(c.line, 1);
		assert_int_equal(c.bytes, 5);
		assert_int_equal(pb_csv_next(&c), PB_CSV_RECORD);
		assert_int_equal(c.line, 3);
		assert_int_equal(c.bytes, 15);
		assert_int_equal(pb_csv_next(&c), PB_CSV_RECORD);
		assert_int_equal(c.line, 5);
		assert_int_equal(c.bytes, 16);
		assert_int_equal(pb_csv_next(&c), PB_CSV_END);
		assert_int_equal(c.bytes, strlen(doc));
		pb_csv_release(&c);
	}
}

/* What the round trip expects of one field. */
struct want_field {
	size_t off, len;
	uint64_t line;
	uint32_t col;
};

struct want_rec {
	size_t first, nfields;
	uint64_t line, bytes;
};

/* Appends a random field value to v: ordinary text, CSV's special bytes, and any byte at all. */
static void random_value(uint64_t *rng, struct pb_buf *v)
{
	uint64_t r = rng_next(rng);
	size_t n, i;

	n = r % 5 == 0 ? 0 : r % 17 == 1 ? (size_t)(r >> 20) % 300 : (size_t)(r >> 20) % 24;
	for (i = 0; i < n; i++) {
		uint64_t x = rng_next(rng);
		static const char special[] = "\",\n\r";

		if (x % 10 < 3)
			pb_buf_addch(v, special[(x >> 8) % 4]);
		else if (x % 10 == 3)
			pb_buf_addch(v, (char)(x >> 16));
		else
			pb_buf_addch(v, (char)('a' + (x >> 16) % 26));
	}
}

/*
 * Builds a random document of nrec records, encoded per RFC 4180 (quoting where needed and sometimes
 * where not, LF or CRLF, maybe a BOM, maybe no final line break), with the values and positions to expect.
 */
static size_t build_doc(uint64_t *rng, size_t nrec, struct pb_buf *doc, struct pb_buf *vals, struct want_rec *recs,
			struct want_field **fields, size_t *nf_alloc)
{
	struct pb_buf v = PB_BUF_INIT;
	uint64_t line = 1;
	size_t line_start = 0, r, f, nf = 0, j;

	if (rng_next(rng) % 2) {
		pb_buf_addstr(doc, "\xEF\xBB\xBF");
		line_start = 3;
	}
	for (r = 0; r < nrec; r++) {
		uint64_t x = rng_next(rng);
		size_t n = x % 9 == 0 ? 20 + (size_t)(x >> 8) % 60 : 1 + (size_t)(x >> 8) % 8;

		recs[r].first = nf;
		recs[r].nfields = n;
		recs[r].line = line;
		for (f = 0; f < n; f++) {
			struct want_field *wf;
			int quote = 0;
			size_t start;

			if (nf == *nf_alloc) {
				*nf_alloc *= 2;
				*fields = realloc(*fields, *nf_alloc * sizeof(**fields));
				assert_non_null(*fields);
			}
			pb_buf_reset(&v);
			random_value(rng, &v);
			for (j = 0; j < v.len; j++)
				if (v.ptr[j] == '"' || v.ptr[j] == ',' || v.ptr[j] == '\n' || v.ptr[j] == '\r')
					quote = 1;
			/* A lone empty field must be quoted to differ from a blank line; a leading BOM too. */
			if (n == 1 && v.len == 0)
				quote = 1;
			if (doc->len == 0 && v.len > 0 && (unsigned char)v.ptr[0] == 0xEF)
				quote = 1;
			if (rng_next(rng) % 4 == 0)
				quote = 1;
			if (f)
				pb_buf_addch(doc, ',');
			start = doc->len;
			wf = &(*fields)[nf++];
			wf->off = vals->len;
			wf->len = v.len;
			wf->line = line;
			wf->col = (uint32_t)(start - line_start + 1);
			pb_buf_add(vals, v.ptr, v.len);
			if (quote) {
				pb_buf_addch(doc, '"');
				for (j = 0; j < v.len; j++) {
					if (v.ptr[j] == '"')
						pb_buf_addch(doc, '"');
					pb_buf_addch(doc, v.ptr[j]);
				}
				pb_buf_addch(doc, '"');
			} else {
				pb_buf_add(doc, v.ptr, v.len);
			}
			for (j = start; j < doc->len; j++) {
				if (doc->ptr[j] == '\n') {
					line++;
					line_start = j + 1;
				}
			}
		}
		if (r + 1 < nrec || rng_next(rng) % 2) {
			pb_buf_addstr(doc, rng_next(rng) % 3 == 0 ? "\r\n" : "\n");
			line++;
			line_start = doc->len;
		}
		recs[r].bytes = doc->len;
	}
	assert_false(doc->failed);
	assert_false(vals->failed);
	pb_buf_release(&v);
	return nf;
}

static void check_roundtrip(const struct pb_buf *doc, const struct pb_buf *vals, const struct want_rec *recs,
			    size_t nrec, const struct want_field *fields, size_t chunk, uint64_t seed)
{
	struct memsrc m;
	struct pb_csv c;
	size_t r, f;

	src_init(&m, doc->ptr, doc->len, chunk);
	m.rng ^= seed;
	assert_int_equal(pb_csv_init(&c, mem_read, &m, 0), 0);
	for (r = 0; r < nrec; r++) {
		int rc = pb_csv_next(&c);

		if (rc != PB_CSV_RECORD)
			fail_msg("chunk %zu, record %zu: rc %d, %llu:%u %s", chunk, r, rc,
				 (unsigned long long)c.err_line, (unsigned)c.err_col, pb_buf_str(&c.err));
		if (c.nfields != recs[r].nfields || c.line != recs[r].line || c.bytes != recs[r].bytes)
			fail_msg("chunk %zu, record %zu: %zu fields at line %llu, %llu bytes; want %zu, %llu, %llu",
				 chunk, r, c.nfields, (unsigned long long)c.line, (unsigned long long)c.bytes,
				 recs[r].nfields, (unsigned long long)recs[r].line, (unsigned long long)recs[r].bytes);
		for (f = 0; f < c.nfields; f++) {
			const struct want_field *w = &fields[recs[r].first + f];
			uint64_t line;
			uint32_t col;

			pb_csv_field_pos(&c, f, &line, &col);
			if (c.fields[f].len != w->len || memcmp(c.fields[f].ptr, vals->ptr + w->off, w->len) != 0)
				fail_msg("chunk %zu, record %zu, field %zu: value differs", chunk, r, f);
			if (line != w->line || col != w->col)
				fail_msg("chunk %zu, record %zu, field %zu: at %llu:%u, want %llu:%u", chunk, r, f,
					 (unsigned long long)line, (unsigned)col, (unsigned long long)w->line,
					 (unsigned)w->col);
		}
	}
	assert_int_equal(pb_csv_next(&c), PB_CSV_END);
	assert_int_equal(c.bytes, doc->len);
	pb_csv_release(&c);
}

/* A shell word: as it is when every character is read as itself, else in single quotes; empty text is ''. */
static void test_shell_word(void **state)
{
	struct pb_buf b = PB_BUF_INIT;

	(void)state;
	pb_buf_add_shell_word(&b, "jane@clc.example", 16);
	pb_buf_addch(&b, ' ');
	pb_buf_add_shell_word(&b, "", 0);
	pb_buf_addch(&b, ' ');
	pb_buf_add_shell_word(&b, "O'Brien & Co", 12);
	pb_buf_addch(&b, ' ');
	pb_buf_add_shell_word(&b, "$HOME", 5);
	pb_buf_addch(&b, ' ');
	pb_buf_add_shell_word(&b, "a\0b", 3);
	pb_buf_addch(&b, ' ');
	/* zsh reads a word that begins with '=' as the path of a command ("=ls": /usr/bin/ls); '=' elsewhere is itself.
	 */
	pb_buf_add_shell_word(&b, "=ls", 3);
	pb_buf_addch(&b, ' ');
	pb_buf_add_shell_word(&b, "==x", 3);
	pb_buf_addch(&b, ' ');
	pb_buf_add_shell_word(&b, "--markup=12.5", 13);
	assert_false(b.failed);
	assert_string_equal(b.ptr,
			    "jane@clc.example '' 'O'\\''Brien & Co' '$HOME' $'a\\000b' '=ls' '==x' --markup=12.5");
	pb_buf_release(&b);
}

/*
 * A shell word with a character a terminal acts on (an escape sequence, C1, a bidirectional override, the Arabic
 * letter mark, a byte that is not UTF-8): in $'...', each of its bytes in octal; a tab, a line feed, accents and
 * CJK as they are.
 */
static void test_shell_word_shown(void **state)
{
	struct pb_buf b = PB_BUF_INIT;

	(void)state;
	pb_buf_add_shell_word(&b, "it's a\033[2J\\", strlen("it's a\033[2J\\"));
	pb_buf_addch(&b, ' ');
	pb_buf_add_shell_word(&b, "caf\xc3\xa9 \xe6\x9d\xb1\t\n\xc2\x9b\xe2\x80\xae\xd8\x9c\x7f\xe9", 20);
	pb_buf_addch(&b, ' ');
	pb_buf_add_shell_word(&b, "caf\xc3\xa9\t\xe6\x9d\xb1\n", 10);
	assert_false(b.failed);
	assert_string_equal(b.ptr, "$'it\\'s a\\033[2J\\\\' "
				   "$'caf\xc3\xa9 \xe6\x9d\xb1\t\n\\302\\233\\342\\200\\256\\330\\234\\177\\351' "
				   "'caf\xc3\xa9\t\xe6\x9d\xb1\n'");
	pb_buf_release(&b);
}

/* Text a spreadsheet would run as a formula gets a quote first; other text, and empty text, as it is. */
static void test_csv_text(void **state)
{
	struct pb_buf b = PB_BUF_INIT;

	(void)state;
	pb_buf_add_csv_text(&b, "=1+1", 4);
	pb_buf_addch(&b, ',');
	pb_buf_add_csv_text(&b, "@SUM(A1,A2)", 11);
	pb_buf_addch(&b, ',');
	pb_buf_add_csv_text(&b, "-5", 2);
	pb_buf_addch(&b, ',');
	pb_buf_add_csv_text(&b, "\tx", 2);
	pb_buf_addch(&b, ',');
	pb_buf_add_csv_text(&b, "", 0);
	pb_buf_addch(&b, ',');
	pb_buf_add_csv_text(&b, "Acme = \"best\"", 13);
	pb_buf_addch(&b, ',');
	pb_buf_add_csv_text(&b, "+1 555", 6);
	assert_false(b.failed);
	assert_string_equal(b.ptr, "'=1+1,\"'@SUM(A1,A2)\",'-5,'\tx,,\"Acme = \"\"best\"\"\",'+1 555");
	pb_buf_release(&b);
	/* A format character as \uHHHH, with a formula's quote too; U+202F (not one) as it is. */
	pb_buf_add_csv_text(&b,
			    "Evil\xe2\x80\xae"
			    "cod.exe",
			    14);
	pb_buf_addch(&b, ',');
	pb_buf_add_csv_text(&b,
			    "=A\xe2\x80\xa8"
			    "B\xef\xbb\xbf",
			    9);
	pb_buf_addch(&b, ',');
	pb_buf_add_csv_text(&b,
			    "1\xe2\x80\xaf"
			    "000",
			    7);
	pb_buf_addch(&b, ',');
	/* The Arabic letter mark (two bytes), last too; U+061B and U+061D (not ones) as they are. */
	pb_buf_add_csv_text(&b, "\xd8\x9b\xd8\x9c\xd8\x9d\xd8\x9c", 8);
	assert_false(b.failed);
	assert_string_equal(b.ptr, "Evil\\u202ecod.exe,'=A\\u2028B\\ufeff,1\xe2\x80\xaf"
				   "000,\xd8\x9b\\u061c\xd8\x9d\\u061c");
	pb_buf_release(&b);
}

/* A field of COPY's text format: backslash, tab, line feed and carriage return escaped, the rest as it is. */
static void test_copy_text(void **state)
{
	struct pb_buf b = PB_BUF_INIT;

	(void)state;
	pb_buf_add_copy_text(&b, "C:\\exports\tcur\n\r\\", 17);
	pb_buf_addch(&b, '|');
	pb_buf_add_copy_text(&b, "", 0);
	pb_buf_addch(&b, '|');
	pb_buf_add_copy_text(&b, "plain \"text\", \xc3\xa9", 16);
	pb_buf_addch(&b, '|');
	pb_buf_add_copy_text(&b, "a\\tb", 2);
	assert_false(b.failed);
	assert_string_equal(b.ptr, "C:\\\\exports\\tcur\\n\\r\\\\|"
				   "|plain \"text\", \xc3\xa9|a\\\\");
	pb_buf_release(&b);
}

static void test_roundtrip_random(void **state)
{
	uint64_t rng = 20261031;
	size_t nf_alloc = 1024, d, total = 0;
	struct want_field *fields = malloc(nf_alloc * sizeof(*fields));
	struct want_rec recs[200];

	(void)state;
	assert_non_null(fields);
	for (d = 0; d < 30; d++) {
		struct pb_buf doc = PB_BUF_INIT, vals = PB_BUF_INIT;
		size_t nrec = 1 + (size_t)(rng_next(&rng) % 200);

		build_doc(&rng, nrec, &doc, &vals, recs, &fields, &nf_alloc);
		check_roundtrip(&doc, &vals, recs, nrec, fields, 1, d);
		check_roundtrip(&doc, &vals, recs, nrec, fields, 0, d);
		check_roundtrip(&doc, &vals, recs, nrec, fields, 1 + (size_t)(rng_next(&rng) % 300), d);
		check_roundtrip(&doc, &vals, recs, nrec, fields, (size_t)1 << 20, d);
		total += nrec;
		pb_buf_release(&doc);
		pb_buf_release(&vals);
	}
	assert_true(total > 2000);
	free(fields);
}

/*
 * A projected reader that starts on a later part of a file has never seen the header: wanted fields far
 * beyond its first field slots (index 300 of 301, past any single doubling) must still be stored safely.
 */
static void test_projection_wide_first_record(void **state)
{
	struct pb_buf doc = PB_BUF_INIT;
	struct memsrc m;
	struct pb_csv c;
	size_t cols[] = {0, 3, 130, 299, 300};
	int i, rec;

	(void)state;
	for (rec = 0; rec < 3; rec++) {
		for (i = 0; i <= 300; i++)
			pb_buf_addf(&doc, "%s%d", i ? "," : "", rec * 1000 + i);
		pb_buf_addch(&doc, '\n');
	}
	/* One read brings every record: the fast scanner takes the first record before anything grew. */
	src_init(&m, doc.ptr, doc.len, (size_t)1 << 20);
	assert_int_equal(pb_csv_init(&c, mem_read, &m, 0), 0);
	assert_int_equal(pb_csv_project(&c, cols, 5), 0);
	for (rec = 0; rec < 3; rec++) {
		char want[16];

		assert_int_equal(pb_csv_next(&c), PB_CSV_RECORD);
		assert_int_equal(c.nfields, 301);
		for (i = 0; i < 5; i++) {
			snprintf(want, sizeof(want), "%zu", (size_t)rec * 1000 + cols[i]);
			assert_int_equal(c.fields[cols[i]].len, strlen(want));
			assert_memory_equal(c.fields[cols[i]].ptr, want, strlen(want));
		}
	}
	assert_int_equal(pb_csv_next(&c), PB_CSV_END);
	pb_csv_release(&c);
	pb_buf_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_records),
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_doubled_quotes),
		cmocka_unit_test(test_specials_inside_quotes),
		cmocka_unit_test(test_record_ends),
		cmocka_unit_test(test_lone_cr_is_data),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_empty_quoted_field),
		cmocka_unit_test(test_blank_lines_skipped),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_field_pos),
		cmocka_unit_test(test_field_pos_multiline),
		cmocka_unit_test(test_record_cap),
		cmocka_unit_test(test_record_cap_default),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_stray_quote),
		cmocka_unit_test(test_char_after_quote),
		cmocka_unit_test(test_wrong_field_count),
		cmocka_unit_test(test_expect_fields_off),
		cmocka_unit_test(test_source_error),
		cmocka_unit_test(test_source_error_after_record_error),
		cmocka_unit_test(test_long_record),
		cmocka_unit_test(test_line_and_bytes),
		cmocka_unit_test(test_csv_text),
		cmocka_unit_test(test_copy_text),
		cmocka_unit_test(test_shell_word),
		cmocka_unit_test(test_shell_word_shown),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_projection_wide_first_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
