/* PostgreSQL's binary COPY format (see pgcopy.h): every integer big-endian, as the server's protocol has it. */
#include "pgcopy.h"

#include <string.h>

#include "banned.h"

/* Days from 1970-01-01 to 2000-01-01, the server's epoch for dates. */
#define PG_EPOCH_DAYS 10957

/* The numeric's sign words. */
#define NUMERIC_POS 0x0000
#define NUMERIC_NEG 0x4000

typedef unsigned __int128 u128;

static unsigned char *put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return p + 2;
}

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

void pb_pgcopy_header(struct pb_buf *b)
{
	/* The signature, then a flags word and a header extension length, both 0. */
	static const unsigned char head[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0};

	pb_buf_add(b, head, sizeof(head));
}

void pb_pgcopy_trailer(struct pb_buf *b)
{
	pb_buf_add(b, "\xFF\xFF", 2);
}

void pb_pgcopy_tuple(struct pb_buf *b, int n)
{
	unsigned char w[2];

	put16(w, (uint16_t)n);
	pb_buf_add(b, w, 2);
}

void pb_pgcopy_null(struct pb_buf *b)
{
	pb_buf_add(b, "\xFF\xFF\xFF\xFF", 4);
}

void pb_pgcopy_int8(struct pb_buf *b, int64_t v)
{
	unsigned char w[12];

	put32(w, 8);
	put32(w + 4, (uint32_t)((uint64_t)v >> 32));
	put32(w + 8, (uint32_t)v);
	pb_buf_add(b, w, sizeof(w));
}

void pb_pgcopy_date(struct pb_buf *b, int32_t days)
{
	unsigned char w[8];

	put32(w, 4);
	put32(w + 4, (uint32_t)(days - PG_EPOCH_DAYS));
	pb_buf_add(b, w, sizeof(w));
}

void pb_pgcopy_text(struct pb_buf *b, const char *s, size_t len)
{
	unsigned char w[4];

	put32(w, (uint32_t)len);
	pb_buf_add(b, w, 4);
	if (len)
		pb_buf_add(b, s, len);
}

/*
 * The numeric's wire form: ndigits, weight, sign, dscale, then ndigits base-10000 digits, the first of which
 * is worth 10000^weight. An amount has at most 20 integer digits (5 groups) and 18 decimals (5 groups, the
 * last padded with two zeros); zero groups at either end are left out, as the server would store them.
 */
size_t pb_pgcopy_numeric_field(pb_money m, unsigned char *out)
{
	uint16_t groups[10];
	u128 mag = m.units < 0 ? (u128)0 - (u128)m.units : (u128)m.units;
	u128 ip = mag / (u128)1000000000000000000ULL;
	uint64_t fp = (uint64_t)(mag % (u128)1000000000000000000ULL), t;
	int nint = 0, first, last, dscale = 0, i;
	u128 f;
	unsigned char *p = out + 4;

	/* The decimals of the canonical text: 18 less the trailing zeros. */
	if (fp) {
		dscale = 18;
		for (t = fp; t % 10 == 0; t /= 10)
			dscale--;
	}
	for (f = ip; f; f /= 10000)
		nint++;
	for (i = nint - 1; i >= 0; i--) {
		groups[i] = (uint16_t)(ip % 10000);
		ip /= 10000;
	}
	f = (u128)fp * 100; /* 20 decimal digits: five groups */
	for (i = 4; i >= 0; i--) {
		groups[nint + i] = (uint16_t)(f % 10000);
		f /= 10000;
	}
	first = 0;
	last = nint + 5;
	while (first < last && groups[first] == 0)
		first++;
	while (last > first && groups[last - 1] == 0)
		last--;
	if (first == last) {
		/* Zero: no digits, weight 0, positive, no decimals. */
		p = put16(p, 0);
		p = put16(p, 0);
		p = put16(p, NUMERIC_POS);
		p = put16(p, 0);
	} else {
		p = put16(p, (uint16_t)(last - first));
		p = put16(p, (uint16_t)(int16_t)(nint - 1 - first));
		p = put16(p, m.units < 0 ? NUMERIC_NEG : NUMERIC_POS);
		p = put16(p, (uint16_t)dscale);
		for (i = first; i < last; i++)
			p = put16(p, groups[i]);
	}
	put32(out, (uint32_t)(p - out - 4));
	return (size_t)(p - out);
}

void pb_pgcopy_numeric(struct pb_buf *b, pb_money m)
{
	unsigned char w[PB_PGCOPY_NUMERIC_MAX];

	pb_buf_add(b, w, pb_pgcopy_numeric_field(m, w));
}
