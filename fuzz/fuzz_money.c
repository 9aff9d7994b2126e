/*
 * libFuzzer target for common/money.c: parsing is compared with a reference that works on the decimal
 * digits as text, and arithmetic, rounding and formatting with wider reference arithmetic.
 *
 * Input: two amounts separated by the first space (the second may be absent); the input's length modulo
 * 19 is the number of places for pb_money_round and pb_money_format.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

#include "check.h"

#include "banned.h"

typedef unsigned __int128 u128;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static u128 pow10u(int n)
{
	u128 p = 1;

	while (n-- > 0)
		p *= 10;
	return p;
}

/* 10^38 - 1 units, the largest magnitude. */
static u128 max_units(void)
{
	return pow10u(38) - 1;
}

/* Writes v in decimal (no sign) into buf, returning the length. */
static int u128_str(u128 v, char *buf)
{
	char tmp[48];
	int n = 0, i;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

static const char *show(pb_money a)
{
	static char buf[4][64];
	static int k;
	u128 m = a.units < 0 ? (u128)0 - (u128)a.units : (u128)a.units;
	char *p = buf[k++ % 4];

	p[0] = a.units < 0 ? '-' : '+';
	u128_str(m, p + 1);
	return p;
}

/* The reference parse: the grammar of money.h, digits kept as text, rounding decided digit by digit. */
struct ref_parse {
	int rc;
	size_t errpos;
	__int128 units;
	int rounded;
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void ref_parse(const char *s, size_t len, struct ref_parse *out)
{
	size_t i = 0, dstart, nd, k, q_digits;
	int neg = 0, any = 0, first, sticky = 0, eneg = 0;
	char *digits = malloc(len + 1);
	long exp10 = 0, e = 0;
	u128 q = 0;

	memset(out, 0, sizeof(*out));
	if (!digits)
		abort();
	nd = 0;
	if (len == 0) {
		out->rc = PB_MONEY_ERR_SYNTAX;
		goto done;
	}
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i++;
	}
	for (; i < len && is_digit(s[i]); i++) {
		any = 1;
		digits[nd++] = s[i];
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && is_digit(s[i]); i++) {
			any = 1;
			digits[nd++] = s[i];
			exp10--;
		}
	}
	if (!any) {
		out->rc = PB_MONEY_ERR_SYNTAX;
		out->errpos = i;
		goto done;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		int edig = 0;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-')) {
			eneg = s[i] == '-';
			i++;
		}
		for (; i < len && is_digit(s[i]); i++) {
			edig = 1;
			/* Past 10^7 the exponent decides alone: the input holds fewer digits than that. */
			if (e < 10000000)
				e = e * 10 + (s[i] - '0');
		}
		if (!edig) {
			out->rc = PB_MONEY_ERR_SYNTAX;
			out->errpos = i;
			goto done;
		}
		exp10 += eneg ? -e : e;
	}
	if (i < len) {
		out->rc = PB_MONEY_ERR_SYNTAX;
		out->errpos = i;
		goto done;
	}
	/* value = digits x 10^exp10, in units: digits x 10^(exp10 + 18). */
	for (dstart = 0; dstart < nd && digits[dstart] == '0'; dstart++)
		;
	if (dstart == nd) {
		out->rc = PB_MONEY_OK;
		goto done;
	}
	exp10 += 18;
	nd -= dstart;
	if (exp10 >= 0) {
		if ((long)nd + exp10 > 38) {
			out->rc = PB_MONEY_ERR_RANGE;
			goto done;
		}
		for (k = 0; k < nd; k++)
			q = q * 10 + (u128)(digits[dstart + k] - '0');
		q *= pow10u((int)exp10);
		first = -1;
	} else {
		size_t drop = (size_t)-exp10;

		q_digits = nd > drop ? nd - drop : 0;
		if (q_digits > 38) {
			out->rc = PB_MONEY_ERR_RANGE;
			goto done;
		}
		for (k = 0; k < q_digits; k++)
			q = q * 10 + (u128)(digits[dstart + k] - '0');
		/* The first dropped digit is a real digit, or a zero in front of them all. */
		first = drop > nd ? 0 : digits[dstart + q_digits] - '0';
		for (k = drop > nd ? 0 : q_digits + 1; k < nd; k++)
			if (digits[dstart + k] != '0')
				sticky = 1;
		out->rounded = first > 0 || sticky;
		if (first > 5 || (first == 5 && (sticky || (q & 1))))
			q++;
	}
	if (q > max_units()) {
		out->rc = PB_MONEY_ERR_RANGE;
		out->rounded = 0;
		goto done;
	}
	out->rc = PB_MONEY_OK;
	out->units = neg ? -(__int128)q : (__int128)q;
done:
	if (out->rc != PB_MONEY_OK)
		out->rounded = 0;
	free(digits);
}

/* The canonical text of a, built independently: sign, integer digits, trimmed fraction. */
static void ref_canonical(pb_money a, char *buf)
{
	u128 m = a.units < 0 ? (u128)0 - (u128)a.units : (u128)a.units;
	u128 ip = m / pow10u(18), fp = m % pow10u(18);
	char frac[24];
	int n = 0, k;

	if (a.units < 0)
		buf[n++] = '-';
	n += u128_str(ip, buf + n);
	for (k = 17; k >= 0; k--) {
		frac[k] = (char)('0' + (int)(fp % 10));
		fp /= 10;
	}
	k = 18;
	while (k > 0 && frac[k - 1] == '0')
		k--;
	if (k) {
		buf[n++] = '.';
		memcpy(buf + n, frac, (size_t)k);
		n += k;
	}
	buf[n] = '\0';
}

/* |a| x |b| / 10^18 in base-10^9 limbs, rounded half to even; 0, or -1 out of range. */
static int ref_mul(pb_money a, pb_money b, pb_money *out, int *rounded)
{
	const uint64_t base = 1000000000u;
	u128 x = a.units < 0 ? (u128)0 - (u128)a.units : (u128)a.units;
	u128 y = b.units < 0 ? (u128)0 - (u128)b.units : (u128)b.units;
	uint64_t xl[5] = {0}, yl[5] = {0}, p[11] = {0}, rem;
	u128 q = 0;
	int i, j, up;

	for (i = 0; i < 5; i++) {
		xl[i] = (uint64_t)(x % base);
		x /= base;
		yl[i] = (uint64_t)(y % base);
		y /= base;
	}
	for (i = 0; i < 5; i++) {
		uint64_t carry = 0;

		for (j = 0; j < 5; j++) {
			uint64_t t = p[i + j] + xl[i] * yl[j] + carry;

			p[i + j] = t % base;
			carry = t / base;
		}
		for (j = i + 5; carry; j++) {
			uint64_t t = p[j] + carry;

			p[j] = t % base;
			carry = t / base;
		}
	}
	/* Dividing by 10^18 drops the two lowest limbs. */
	rem = p[1] * base + p[0];
	for (i = 10; i >= 2; i--) {
		/* Past this, multiplying by the base alone leaves the range (and 128 bits). */
		if (q > max_units() / base)
			return -1;
		q = q * base + p[i];
	}
	up = rem > 500000000000000000u || (rem == 500000000000000000u && (q & 1));
	q += (u128)up;
	if (q > max_units())
		return -1;
	*rounded = rem != 0;
	out->units = (a.units < 0) != (b.units < 0) ? -(__int128)q : (__int128)q;
	return 0;
}

/* Formats v canonically into a buffer of exactly PB_MONEY_STRMAX bytes and checks it both ways. */
static void check_canonical(pb_money v)
{
	char *buf = malloc(PB_MONEY_STRMAX), want[64];
	struct pb_money_parse_info info;
	pb_money back;
	int n, rc;

	if (!buf)
		abort();
	n = pb_money_format_canonical(v, buf);
	ref_canonical(v, want);
	CHECK(n > 0 && n < PB_MONEY_STRMAX && (size_t)n == strlen(buf), "length %d", n);
	CHECK(strcmp(buf, want) == 0, "canonical '%s', reference '%s'", buf, want);
	rc = pb_money_parse(buf, (size_t)n, &back, &info);
	CHECK(rc == PB_MONEY_OK && back.units == v.units && !info.rounded, "'%s' parses back to %d %s", buf, rc,
	      show(back));
	free(buf);
}

/* Format at a scale: exact values only, and what is written parses back. */
static void check_format(pb_money v, int scale)
{
	char *buf = malloc(PB_MONEY_STRMAX);
	u128 m = v.units < 0 ? (u128)0 - (u128)v.units : (u128)v.units;
	int exact = m % pow10u(18 - scale) == 0, n;
	pb_money back;

	if (!buf)
		abort();
	n = pb_money_format(v, scale, buf);
	if (!exact) {
		CHECK(n == PB_MONEY_ERR_RANGE, "%s at %d places: %d, not exact", show(v), scale, n);
	} else {
		const char *dot;

		CHECK(n > 0 && n < PB_MONEY_STRMAX && (size_t)n == strlen(buf), "%s at %d places: %d", show(v), scale,
		      n);
		dot = strchr(buf, '.');
		CHECK(scale == 0 ? dot == NULL : dot != NULL && (int)strlen(dot + 1) == scale, "'%s' at %d places", buf,
		      scale);
		CHECK(pb_money_parse(buf, (size_t)n, &back, NULL) == PB_MONEY_OK && back.units == v.units,
		      "'%s' parses back to %s, want %s", buf, show(back), show(v));
	}
	free(buf);
}

static void check_round(pb_money v, int digits)
{
	u128 m = v.units < 0 ? (u128)0 - (u128)v.units : (u128)v.units, p = pow10u(18 - digits), q, r;
	pb_money out = {0};
	int rc = pb_money_round(v, digits, &out);

	/* Half away from zero. */
	q = m / p;
	r = m % p;
	if (r * 2 >= p && r)
		q++;
	if (q * p > max_units()) {
		CHECK(rc == PB_MONEY_ERR_RANGE, "round(%s, %d) = %d", show(v), digits, rc);
		return;
	}
	CHECK(rc == 0, "round(%s, %d) failed", show(v), digits);
	CHECK(out.units == (v.units < 0 ? -(__int128)(q * p) : (__int128)(q * p)), "round(%s, %d) = %s", show(v),
	      digits, show(out));
	check_format(out, digits);
	check_canonical(out);
}

static void check_parse(const char *s, size_t len, pb_money *v, int *ok)
{
	struct pb_money_parse_info info;
	struct ref_parse want;
	int rc;

	memset(&info, 0x5a, sizeof(info));
	rc = pb_money_parse(s, len, v, &info);
	ref_parse(s, len, &want);
	CHECK(rc == want.rc, "parse '%.*s': %d, reference %d (%s)", (int)len, s, rc, want.rc, rc ? info.reason : "");
	if (rc == PB_MONEY_OK) {
		CHECK(v->units == want.units, "parse '%.*s': %s, reference %s", (int)len, s, show(*v),
		      show((pb_money){want.units}));
		CHECK(info.rounded == want.rounded, "parse '%.*s': rounded %d, reference %d", (int)len, s, info.rounded,
		      want.rounded);
		check_canonical(*v);
	} else {
		CHECK(info.reason[0] != '\0' && memchr(info.reason, '\0', sizeof(info.reason)),
		      "parse '%.*s': no reason", (int)len, s);
		if (rc == PB_MONEY_ERR_SYNTAX)
			CHECK(info.errpos == want.errpos, "parse '%.*s': error at %zu, reference %zu (%s)", (int)len, s,
			      info.errpos, want.errpos, info.reason);
		else
			CHECK(strcmp(info.reason, "out of range") == 0, "parse '%.*s': %s", (int)len, s, info.reason);
	}
	*ok = rc == PB_MONEY_OK;
	/* info may be NULL, with the same answer. */
	{
		pb_money v2 = {0};

		CHECK(pb_money_parse(s, len, &v2, NULL) == rc && (rc != PB_MONEY_OK || v2.units == v->units),
		      "parse '%.*s' without info differs", (int)len, s);
	}
}

/* a + b and a - b exactly, in 129 bits' worth of care: -1 when out of range. */
static int ref_addsub(pb_money a, pb_money b, int sub, pb_money *out)
{
	__int128 r;

	if (sub ? __builtin_sub_overflow(a.units, b.units, &r) : __builtin_add_overflow(a.units, b.units, &r))
		return -1;
	if (r > (__int128)max_units() || r < -(__int128)max_units())
		return -1;
	out->units = r;
	return 0;
}

static void check_arith(pb_money a, pb_money b, int digits)
{
	pb_money got = {0}, want = {0};
	int rc, wrc, rounded = -1, wrounded = -1, c;

	rc = pb_money_add(a, b, &got);
	wrc = ref_addsub(a, b, 0, &want);
	CHECK((rc == 0) == (wrc == 0) && (rc == 0 || rc == PB_MONEY_ERR_RANGE), "%s + %s: %d", show(a), show(b), rc);
	if (rc == 0) {
		CHECK(got.units == want.units, "%s + %s = %s, want %s", show(a), show(b), show(got), show(want));
		check_canonical(got);
	}
	rc = pb_money_sub(a, b, &got);
	wrc = ref_addsub(a, b, 1, &want);
	CHECK((rc == 0) == (wrc == 0) && (rc == 0 || rc == PB_MONEY_ERR_RANGE), "%s - %s: %d", show(a), show(b), rc);
	if (rc == 0) {
		CHECK(got.units == want.units, "%s - %s = %s, want %s", show(a), show(b), show(got), show(want));
		check_canonical(got);
	}
	rc = pb_money_mul(a, b, &got, &rounded);
	wrc = ref_mul(a, b, &want, &wrounded);
	CHECK((rc == 0) == (wrc == 0) && (rc == 0 || rc == PB_MONEY_ERR_RANGE), "%s x %s: %d", show(a), show(b), rc);
	if (rc == 0) {
		CHECK(got.units == want.units && rounded == wrounded, "%s x %s = %s (rounded %d), want %s (%d)",
		      show(a), show(b), show(got), rounded, show(want), wrounded);
		check_canonical(got);
		CHECK(pb_money_mul(a, b, &got, NULL) == 0 && got.units == want.units, "mul without rounded");
	}
	/* The exact product of decimals agrees with the 256-bit product, and dividing by 1 changes nothing. */
	{
		struct pb_decimal f[3] = {pb_decimal_from_money(a), pb_decimal_from_money(b),
					  pb_decimal_from_money(PB_MONEY_ONE)};
		pb_money p2, p3;
		int r2 = -1, r3 = -1;

		rc = pb_decimal_product(f, 2, 1, &p2, &r2);
		CHECK((rc == 0) == (wrc == 0), "decimal product %s x %s: %d", show(a), show(b), rc);
		if (rc == 0) {
			CHECK(p2.units == want.units && r2 == wrounded, "decimal %s x %s = %s (%d), want %s (%d)",
			      show(a), show(b), show(p2), r2, show(want), wrounded);
			CHECK(pb_decimal_product(f, 3, 1, &p3, &r3) == 0 && p3.units == p2.units && r3 == r2,
			      "x 1 changed %s x %s", show(a), show(b));
		}
		/* x 2 / 2 takes the general (multi-limb) path: it must agree with the 128-bit one. */
		f[2].mant = 2;
		f[2].exp = 0;
		f[2].neg = 0;
		r3 = -1;
		rc = pb_decimal_product(f, 3, 2, &p3, &r3);
		CHECK((rc == 0) == (wrc == 0), "x 2 / 2 of %s x %s: %d", show(a), show(b), rc);
		if (rc == 0)
			CHECK(p3.units == want.units && r3 == wrounded, "x 2 / 2: %s x %s = %s, want %s", show(a),
			      show(b), show(p3), show(want));
	}
	c = pb_money_cmp(a, b);
	CHECK((c < 0) == (a.units < b.units) && (c > 0) == (a.units > b.units), "cmp(%s, %s) = %d", show(a), show(b),
	      c);
	CHECK(pb_money_is_zero(b) == (b.units == 0), "is_zero(%s)", show(b));
	check_round(b, digits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *sp;
	size_t alen, blen;
	pb_money a = {0}, b = {0};
	int aok = 0, bok = 0, digits = (int)(size % 19);

	/* More digits than the parser's exponent clamp (100000) could matter for; real amounts are short. */
	if (size > 8192)
		return 0;
	sp = memchr(s, ' ', size);
	alen = sp ? (size_t)(sp - s) : size;
	blen = sp ? size - alen - 1 : 0;
	check_parse(s, alen, &a, &aok);
	if (aok) {
		check_round(a, digits);
		check_format(a, digits);
		check_format(a, 18);
	}
	if (!sp)
		return 0;
	check_parse(sp + 1, blen, &b, &bok);
	if (aok && bok)
		check_arith(a, b, digits);
	return 0;
}
