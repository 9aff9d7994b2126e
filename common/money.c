/* Exact decimal money: parsing from export text, exact sums, one rounding where the design says. */
#include "money.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

typedef unsigned __int128 u128;

#define MAX_DIGITS 38
/* An exponent beyond this and the text's length puts any value out of range or below a unit: it stops there. */
#define EXP_LIMIT 100000L
/* The largest exponent a pb_decimal holds: a few of them still add up in a long. */
#define DECIMAL_EXP_MAX (INT_MAX / 8)

static u128 pow10_u128(int n)
{
	u128 p = 1;

	while (n-- > 0)
		p *= 10;
	return p;
}

/* 10^38 - 1, the largest magnitude in range. */
static u128 money_max(void)
{
	static u128 max;

	if (!max)
		max = pow10_u128(MAX_DIGITS) - 1;
	return max;
}

static const u128 POW10_18 = (u128)1000000000000000000ULL;

static int bad(struct pb_money_parse_info *info, size_t pos, const char *s, size_t len, int code, const char *why)
{
	if (!info)
		return code;
	info->errpos = pos;
	if (why) {
		snprintf(info->reason, sizeof(info->reason), "%s", why);
	} else {
		unsigned char c = (unsigned char)s[pos];

		if (pos >= len)
			snprintf(info->reason, sizeof(info->reason), "unexpected end");
		else if (c >= 0x20 && c < 0x7f)
			snprintf(info->reason, sizeof(info->reason), "unexpected character '%c'", c);
		else
			snprintf(info->reason, sizeof(info->reason), "unexpected byte 0x%02x", c);
	}
	return code;
}

/* The digits after the mantissa's last kept digit, enough to round correctly. */
struct tail {
	int first;  /* first dropped digit, -1 if none */
	int sticky; /* any nonzero dropped digit after the first */
};

static void tail_add(struct tail *t, int digit)
{
	if (t->first < 0)
		t->first = digit;
	else if (digit)
		t->sticky = 1;
}

static int tail_nonzero(const struct tail *t)
{
	return t->first > 0 || t->sticky;
}

/*
 * Turns mantissa d x 10^shift (with the dropped digits t below d's last digit) into units,
 * rounding half-to-even. Returns 0, or PB_MONEY_ERR_RANGE.
 */
static int scale_units(u128 d, long shift, const struct tail *t, u128 *out, int *rounded)
{
	u128 q, r, half, p;
	int up = 0;

	*rounded = 0;
	if (shift >= 0 && shift <= 19 && t->first < 0 && (d >> 64) == 0) {
		/* d < 2^64, so d x 10^shift fits 128 bits and stays below 10^38 for shift <= 18. */
		static const uint64_t p10[20] = {1ULL,
						 10ULL,
						 100ULL,
						 1000ULL,
						 10000ULL,
						 100000ULL,
						 1000000ULL,
						 10000000ULL,
						 100000000ULL,
						 1000000000ULL,
						 10000000000ULL,
						 100000000000ULL,
						 1000000000000ULL,
						 10000000000000ULL,
						 100000000000000ULL,
						 1000000000000000ULL,
						 10000000000000000ULL,
						 100000000000000000ULL,
						 1000000000000000000ULL,
						 10000000000000000000ULL};
		u128 v = (u128)(uint64_t)d * p10[shift];

		if (shift == 19 && v > money_max())
			return PB_MONEY_ERR_RANGE;
		*out = v;
		return 0;
	}
	if (shift > 0) {
		if (t->first >= 0 || shift > MAX_DIGITS)
			return d || tail_nonzero(t) ? PB_MONEY_ERR_RANGE : 0;
		p = pow10_u128((int)shift);
		if (d > money_max() / p)
			return PB_MONEY_ERR_RANGE;
		*out = d * p;
		return 0;
	}
	if (shift == 0) {
		q = d;
		if (t->first > 5 || (t->first == 5 && (t->sticky || (q & 1))))
			up = 1;
		*rounded = tail_nonzero(t);
	} else if (-shift > MAX_DIGITS) {
		/* d < 10^38, so the value is below a tenth of a unit. */
		q = 0;
		*rounded = d != 0 || tail_nonzero(t);
	} else {
		p = pow10_u128((int)-shift);
		q = d / p;
		r = d % p;
		half = p / 2;
		if (r > half || (r == half && (tail_nonzero(t) || (q & 1))))
			up = 1;
		*rounded = r != 0 || tail_nonzero(t);
	}
	q += (u128)up;
	if (q > money_max())
		return PB_MONEY_ERR_RANGE;
	*out = q;
	return 0;
}

/*
 * Reads the text's value as d x 10^shift, where d holds the first 38 significant digits and t the rest.
 * Returns PB_MONEY_OK or a syntax error (info set).
 */
static int scan_decimal(const char *s, size_t len, int *negp, u128 *dp, long *shiftp, struct tail *tp,
			struct pb_money_parse_info *info)
{
	size_t i = 0;
	int neg = 0, nd = 0, seen_digit = 0, in_frac = 0;
	uint64_t acc = 0;
	u128 d = 0;
	long shift = 0, e = 0;
	struct tail t = {-1, 0};

	if (info) {
		info->rounded = 0;
		info->errpos = 0;
		info->reason[0] = '\0';
	}
	if (len == 0)
		return bad(info, 0, s, len, PB_MONEY_ERR_SYNTAX, "empty");
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		i++;
	}
	/* Up to 19 digits fit a uint64_t: the common case stays out of 128-bit arithmetic. */
	for (; i < len; i++) {
		int dig;

		if (s[i] == '.' && !in_frac) {
			in_frac = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			break;
		seen_digit = 1;
		dig = s[i] - '0';
		if (nd == 0 && dig == 0) {
			shift -= in_frac;
			continue;
		}
		if (nd < 19) {
			acc = acc * 10 + (uint64_t)dig;
			nd++;
			shift -= in_frac;
		} else if (nd < MAX_DIGITS) {
			if (nd == 19)
				d = acc;
			d = d * 10 + (u128)dig;
			nd++;
			shift -= in_frac;
		} else {
			tail_add(&t, dig);
			shift += !in_frac;
		}
	}
	if (nd <= 19)
		d = acc;
	if (!seen_digit)
		return bad(info, i, s, len, PB_MONEY_ERR_SYNTAX, i < len ? NULL : "no digits");
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		/*
		 * The mantissa's own shift is at most the text's length, so an exponent capped past it plus the range
		 * gives the same value as every digit of it would: 0 (rounded) or out of range.
		 */
		long cap = EXP_LIMIT + (len < (size_t)(LONG_MAX / 4) ? (long)len : LONG_MAX / 4);
		int eneg = 0, edigits = 0;

		i++;
		if (i < len && (s[i] == '-' || s[i] == '+')) {
			eneg = s[i] == '-';
			i++;
		}
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			edigits = 1;
			if (e <= cap) {
				e = e * 10 + (s[i] - '0');
				if (e > cap)
					e = cap + 1;
			}
		}
		if (!edigits)
			return bad(info, i, s, len, PB_MONEY_ERR_SYNTAX, i < len ? NULL : "exponent has no digits");
		shift += eneg ? -e : e;
	}
	if (i < len)
		return bad(info, i, s, len, PB_MONEY_ERR_SYNTAX, NULL);
	*negp = neg;
	*dp = d;
	*shiftp = shift;
	*tp = t;
	return PB_MONEY_OK;
}

int pb_money_parse(const char *s, size_t len, pb_money *out, struct pb_money_parse_info *info)
{
	int neg, rounded = 0, rc;
	u128 d;
	long shift;
	struct tail t;

	rc = scan_decimal(s, len, &neg, &d, &shift, &t, info);
	if (rc < 0)
		return rc;
	if (d == 0 && !tail_nonzero(&t)) {
		out->units = 0;
		return PB_MONEY_OK;
	}
	rc = scale_units(d, shift + PB_MONEY_SCALE, &t, &d, &rounded);
	if (rc < 0)
		return bad(info, 0, s, len, rc, "out of range");
	if (info)
		info->rounded = rounded;
	out->units = neg ? -(__int128)d : (__int128)d;
	return PB_MONEY_OK;
}

/* a + b, or PB_MONEY_ERR_RANGE; checked before adding, since the sum of two maxima leaves __int128. */
static int add_checked(__int128 a, __int128 b, pb_money *out)
{
	const __int128 max = (__int128)money_max();

	if ((b > 0 && a > max - b) || (b < 0 && a < -max - b))
		return PB_MONEY_ERR_RANGE;
	out->units = a + b;
	return 0;
}

int pb_money_add(pb_money a, pb_money b, pb_money *out)
{
	return add_checked(a.units, b.units, out);
}

int pb_money_sub(pb_money a, pb_money b, pb_money *out)
{
	/* -b is in range because the range is symmetric. */
	return add_checked(a.units, -b.units, out);
}

static u128 magnitude(__int128 v)
{
	return v < 0 ? (u128)0 - (u128)v : (u128)v;
}

int pb_money_mul(pb_money a, pb_money b, pb_money *out, int *rounded)
{
	u128 x = magnitude(a.units), y = magnitude(b.units);
	uint64_t x0 = (uint64_t)x, x1 = (uint64_t)(x >> 64);
	uint64_t y0 = (uint64_t)y, y1 = (uint64_t)(y >> 64);
	uint64_t limb[4], q[4];
	const uint64_t div = 1000000000000000000ULL;
	u128 p00, p01, p10, p11, mid, cur, rem = 0, res;
	int i, neg = (a.units < 0) != (b.units < 0);

	/* The 256-bit product, in four 64-bit limbs, least significant first. */
	p00 = (u128)x0 * y0;
	p01 = (u128)x0 * y1;
	p10 = (u128)x1 * y0;
	p11 = (u128)x1 * y1;
	limb[0] = (uint64_t)p00;
	mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
	limb[1] = (uint64_t)mid;
	mid = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + (uint64_t)p11;
	limb[2] = (uint64_t)mid;
	limb[3] = (uint64_t)((mid >> 64) + (p11 >> 64));
	for (i = 3; i >= 0; i--) {
		cur = (rem << 64) | limb[i];
		q[i] = (uint64_t)(cur / div);
		rem = cur % div;
	}
	if (q[3] || q[2])
		return PB_MONEY_ERR_RANGE;
	res = ((u128)q[1] << 64) | q[0];
	/* Checked before rounding up too, since 2^128 - 1 + 1 would wrap. */
	if (res > money_max())
		return PB_MONEY_ERR_RANGE;
	if (rem > div / 2 || (rem == div / 2 && (res & 1)))
		res++;
	if (res > money_max())
		return PB_MONEY_ERR_RANGE;
	if (rounded)
		*rounded = rem != 0;
	out->units = neg ? -(__int128)res : (__int128)res;
	return 0;
}

int pb_decimal_parse(const char *s, size_t len, struct pb_decimal *out, struct pb_money_parse_info *info)
{
	int neg, rc;
	u128 d;
	long shift;
	struct tail t;

	rc = scan_decimal(s, len, &neg, &d, &shift, &t, info);
	if (rc < 0)
		return rc;
	if (tail_nonzero(&t))
		return bad(info, 0, s, len, PB_MONEY_ERR_RANGE, "more than 38 significant digits");
	if (d != 0 && (shift > DECIMAL_EXP_MAX || shift < -DECIMAL_EXP_MAX))
		return bad(info, 0, s, len, PB_MONEY_ERR_RANGE, "out of range");
	out->neg = neg && d != 0;
	out->mant = d;
	out->exp = d == 0 ? 0 : (int)shift;
	return PB_MONEY_OK;
}

struct pb_decimal pb_decimal_from_money(pb_money m)
{
	struct pb_decimal d = {magnitude(m.units), -PB_MONEY_SCALE, m.units < 0};

	return d;
}

/* A magnitude of up to 512 bits in 32-bit limbs, least significant first. */
#define BIG_LIMBS 16

/* n *= m; returns -1 when the product does not fit. */
static int big_mul_u128(uint32_t *n, u128 m)
{
	uint32_t ml[4] = {(uint32_t)m, (uint32_t)(m >> 32), (uint32_t)(m >> 64), (uint32_t)(m >> 96)};
	uint32_t r[BIG_LIMBS] = {0};
	int i, j;

	for (i = 0; i < BIG_LIMBS; i++) {
		uint64_t carry = 0;

		if (!n[i])
			continue;
		for (j = 0; j < 4; j++) {
			uint64_t t;

			if (i + j >= BIG_LIMBS) {
				if (ml[j] || carry)
					return -1;
				continue;
			}
			t = (uint64_t)n[i] * ml[j] + r[i + j] + carry;
			r[i + j] = (uint32_t)t;
			carry = t >> 32;
		}
		for (j = i + 4; carry; j++) {
			uint64_t t;

			if (j >= BIG_LIMBS)
				return -1;
			t = (uint64_t)r[j] + carry;
			r[j] = (uint32_t)t;
			carry = t >> 32;
		}
	}
	memcpy(n, r, sizeof(r));
	return 0;
}

/* n /= d in place; returns the remainder. */
static uint32_t big_div_u32(uint32_t *n, uint32_t d)
{
	uint64_t rem = 0;
	int i;

	for (i = BIG_LIMBS - 1; i >= 0; i--) {
		uint64_t cur = (rem << 32) | n[i];

		n[i] = (uint32_t)(cur / d);
		rem = cur % d;
	}
	return (uint32_t)rem;
}

static int big_is_zero(const uint32_t *n)
{
	int i;

	for (i = 0; i < BIG_LIMBS; i++)
		if (n[i])
			return 0;
	return 1;
}

/* n = floor(n x 10^p / div), for p of either sign. Returns 1 when a remainder was dropped, -1 on overflow. */
static int big_scale(uint32_t *n, long p, uint32_t div)
{
	int inexact = 0;

	while (p > 0) {
		int step = p < 9 ? (int)p : 9;

		if (big_mul_u128(n, pow10_u128(step)) < 0)
			return -1;
		p -= step;
	}
	while (p < 0 && !big_is_zero(n)) {
		int step = p > -9 ? (int)-p : 9;

		inexact |= big_div_u32(n, (uint32_t)pow10_u128(step)) != 0;
		p += step;
	}
	if (p < 0)
		return 1; /* nothing left: the value was below one unit, and not zero */
	inexact |= big_div_u32(n, div) != 0;
	return inexact;
}

/*
 * The common case in 128 bits: the mantissas' product fits, and the scale is a power of ten either way.
 * Returns 1 when it applied (result in *out), 0 when the general path must decide.
 */
static int product_u128(const struct pb_decimal *f, size_t nf, pb_money *out, int *rounded)
{
	u128 prod = 1, q, r, d;
	long p = PB_MONEY_SCALE;
	size_t k;
	int neg = 0;

	for (k = 0; k < nf; k++) {
		if (f[k].mant == 0 || __builtin_mul_overflow(prod, f[k].mant, &prod))
			return 0;
		p += f[k].exp;
		neg ^= f[k].neg;
	}
	if (p >= 0) {
		if (p > MAX_DIGITS || __builtin_mul_overflow(prod, pow10_u128((int)p), &q))
			return 0;
		r = 0;
	} else {
		if (p < -MAX_DIGITS)
			return 0;
		d = pow10_u128((int)-p);
		q = prod / d;
		r = prod % d;
		/* Half-to-even, comparing r with d - r so that nothing overflows. */
		if (r > d - r || (r == d - r && (q & 1)))
			q++;
	}
	if (q > money_max())
		return 0;
	if (rounded)
		*rounded = r != 0;
	out->units = neg ? -(__int128)q : (__int128)q;
	return 1;
}

int pb_decimal_product(const struct pb_decimal *f, size_t nf, uint32_t div, pb_money *out, int *rounded)
{
	uint32_t n[BIG_LIMBS] = {0}, twice[BIG_LIMBS];
	u128 q, q2;
	long p = PB_MONEY_SCALE;
	size_t k;
	int i, neg = 0, inexact, inexact2;

	if (div == 0)
		return PB_MONEY_ERR_RANGE;
	if (div == 1 && product_u128(f, nf, out, rounded))
		return 0;
	n[0] = 1;
	for (k = 0; k < nf; k++) {
		if (f[k].mant == 0) {
			out->units = 0;
			if (rounded)
				*rounded = 0;
			return 0;
		}
		neg ^= f[k].neg;
		p += f[k].exp;
		if (big_mul_u128(n, f[k].mant) < 0)
			return PB_MONEY_ERR_RANGE;
	}
	/* q = floor(N / D) and q2 = floor(2N / D): q2 - 2q says whether the remainder reaches half of D. */
	memcpy(twice, n, sizeof(n));
	if (big_mul_u128(twice, 2) < 0 || p > 2 * MAX_DIGITS)
		return PB_MONEY_ERR_RANGE;
	inexact = big_scale(n, p, div);
	inexact2 = big_scale(twice, p, div);
	if (inexact < 0 || inexact2 < 0)
		return PB_MONEY_ERR_RANGE;
	for (i = 4; i < BIG_LIMBS; i++)
		if (n[i] || twice[i])
			return PB_MONEY_ERR_RANGE;
	q = (u128)n[0] | (u128)n[1] << 32 | (u128)n[2] << 64 | (u128)n[3] << 96;
	q2 = (u128)twice[0] | (u128)twice[1] << 32 | (u128)twice[2] << 64 | (u128)twice[3] << 96;
	if (q > money_max())
		return PB_MONEY_ERR_RANGE;
	/* Above half: 2N/D has a fraction past 2q + 1; exactly half: 2N/D is the odd 2q + 1, to even. */
	if (q2 != 2 * q && (inexact2 || (q & 1)))
		q++;
	if (q > money_max())
		return PB_MONEY_ERR_RANGE;
	if (rounded)
		*rounded = inexact;
	out->units = neg ? -(__int128)q : (__int128)q;
	return 0;
}

int pb_money_round(pb_money a, int digits, pb_money *out)
{
	u128 m = magnitude(a.units), p, q, r;

	if (digits < 0 || digits > PB_MONEY_SCALE)
		return PB_MONEY_ERR_RANGE;
	p = pow10_u128(PB_MONEY_SCALE - digits);
	q = m / p;
	r = m % p;
	if (r && r >= p - r)
		q++;
	if (q > money_max() / p)
		return PB_MONEY_ERR_RANGE;
	out->units = a.units < 0 ? -(__int128)(q * p) : (__int128)(q * p);
	return 0;
}

int pb_money_cmp(pb_money a, pb_money b)
{
	return a.units < b.units ? -1 : a.units > b.units;
}

int pb_money_is_zero(pb_money a)
{
	return a.units == 0;
}

/* Writes the integer part of m (< 10^20 here) into buf, returning its length. */
static int format_int(u128 ip, char *buf)
{
	char tmp[48];
	int n = 0, i;

	do {
		tmp[n++] = (char)('0' + (int)(ip % 10));
		ip /= 10;
	} while (ip);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static int format_digits(pb_money a, int scale, int trim, char *buf)
{
	u128 m = magnitude(a.units);
	uint64_t frac = (uint64_t)(m % POW10_18);
	char fd[PB_MONEY_SCALE];
	int n = 0, i, keep;

	if (a.units < 0)
		buf[n++] = '-';
	n += format_int(m / POW10_18, buf + n);
	for (i = PB_MONEY_SCALE - 1; i >= 0; i--) {
		fd[i] = (char)('0' + (int)(frac % 10));
		frac /= 10;
	}
	keep = scale;
	if (trim) {
		keep = PB_MONEY_SCALE;
		while (keep > 0 && fd[keep - 1] == '0')
			keep--;
	}
	if (keep > 0) {
		buf[n++] = '.';
		memcpy(buf + n, fd, (size_t)keep);
		n += keep;
	}
	buf[n] = '\0';
	return n;
}

int pb_money_format(pb_money a, int scale, char *buf)
{
	pb_money r;

	if (pb_money_round(a, scale, &r) < 0 || pb_money_cmp(r, a) != 0)
		return PB_MONEY_ERR_RANGE;
	return format_digits(a, scale, 0, buf);
}

int pb_money_format_canonical(pb_money a, char *buf)
{
	return format_digits(a, 0, 1, buf);
}
