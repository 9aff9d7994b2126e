/* Exact money: a signed count of 10^-18 units, parsed from text, never through floating point. */
#ifndef PB_MONEY_H
#define PB_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define PB_MONEY_SCALE 18

/*
 * An amount in units of 10^-18. The range is symmetric:
 * |amount| <= 99999999999999999999.999999999999999999 (10^38 - 1 units),
 * so 20 integer digits; anything larger is out of range everywhere.
 */
typedef struct {
	__int128 units;
} pb_money;

#define PB_MONEY_ZERO ((pb_money){0})

enum {
	PB_MONEY_OK = 0,
	PB_MONEY_ERR_SYNTAX = -1,
	PB_MONEY_ERR_RANGE = -2,
};

/* What pb_money_parse() saw beyond the value itself. */
struct pb_money_parse_info {
	/* 1 when digits beyond the 18th decimal place were not all zero and the value was rounded half-to-even. */
	int rounded;
	/* On error: the byte offset in the text that is wrong, and why. */
	size_t errpos;
	char reason[64];
};

/*
 * Parses len bytes of text (no NUL needed): [+-]digits[.digits][(e|E)[+-]digits], where either the
 * integer or the fraction digits may be empty but not both. Returns PB_MONEY_OK, or a negative code with
 * info->reason set ("empty", "unexpected character ','", "out of range", ...). info may be NULL.
 */
int pb_money_parse(const char *s, size_t len, pb_money *out, struct pb_money_parse_info *info);

/* a + b and a - b; PB_MONEY_ERR_RANGE (out untouched) when the result leaves the range. */
int pb_money_add(pb_money a, pb_money b, pb_money *out);
int pb_money_sub(pb_money a, pb_money b, pb_money *out);

/* a x b (a price times a quantity), rounded half-to-even to 18 places, once. */
int pb_money_mul(pb_money a, pb_money b, pb_money *out, int *rounded);

#define PB_MONEY_ONE ((pb_money){(__int128)1000000000000000000LL})

/*
 * A factor read exactly from its text: mant x 10^exp, up to 38 significant digits whatever the scale
 * (a unit price of 22 significant digits below 1 has more than 18 decimal places).
 */
struct pb_decimal {
	unsigned __int128 mant;
	int exp;
	int neg;
};

/*
 * Parses the same text as pb_money_parse; more than 38 significant digits, or a power of ten beyond INT_MAX / 8 either
 * way (a text of hundreds of megabytes), is PB_MONEY_ERR_RANGE.
 */
int pb_decimal_parse(const char *s, size_t len, struct pb_decimal *out, struct pb_money_parse_info *info);
struct pb_decimal pb_decimal_from_money(pb_money m);

/*
 * The product of nf factors divided by div, computed exactly and rounded half-to-even to 18 places once.
 * Returns 0, or PB_MONEY_ERR_RANGE. *rounded (may be NULL) is set to 1 when digits were dropped.
 */
int pb_decimal_product(const struct pb_decimal *f, size_t nf, uint32_t div, pb_money *out, int *rounded);

/*
 * a rounded to digits decimal places (0..18), half away from zero: the customer-facing rounding.
 * Returns 0, or PB_MONEY_ERR_RANGE when rounding up leaves the range or digits is not 0..18.
 */
int pb_money_round(pb_money a, int digits, pb_money *out);

/* Compares: negative, 0 or positive as a < b, a == b, a > b. */
int pb_money_cmp(pb_money a, pb_money b);
int pb_money_is_zero(pb_money a);

/* Longest text the format functions write, with the NUL. */
#define PB_MONEY_STRMAX 48

/*
 * Writes a with exactly scale decimal places (0..18) into buf (PB_MONEY_STRMAX bytes) and returns the
 * length, or PB_MONEY_ERR_RANGE when a is not exact at that scale (round it first).
 */
int pb_money_format(pb_money a, int scale, char *buf);
/* Writes a exactly, trailing fractional zeros and a bare '.' removed: "0", "12.5", "-0.000000306". */
int pb_money_format_canonical(pb_money a, char *buf);

#endif
