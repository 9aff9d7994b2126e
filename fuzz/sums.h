/*
 * What the ingest targets check of a reduction: its rows' texts are text the database takes, and its rows add up
 * exactly to what the file's lines, read again by the target, add up to.
 */
#ifndef PB_FUZZ_SUMS_H
#define PB_FUZZ_SUMS_H

#include <string.h>

#include "money.h"
#include "reduce.h"
#include "text.h"

#include "check.h"

/* Money, lines, and the lines with a list and with a billed cost: of the rows walked, or of the lines read. */
struct sums {
	pb_money list, billed;
	uint64_t lines, list_lines, billed_lines;
};

static inline void add(pb_money *sum, pb_money v)
{
	CHECK(pb_money_add(*sum, v, sum) == 0, "a sum the reduction took is out of range here");
}

/* A line read again: its costs into s. */
static inline void add_line(struct sums *s, const struct pb_usage *u)
{
	s->lines++;
	if (u->has_list) {
		add(&s->list, u->list_cost);
		s->list_lines++;
	}
	if (u->has_billed) {
		add(&s->billed, u->billed_cost);
		s->billed_lines++;
	}
}

static inline void check_text(struct pb_text t, const char *what)
{
	CHECK(t.len <= 65535 && (t.len == 0 || pb_text_check(t.ptr, t.len, NULL, NULL) == 0),
	      "a row's %s is no text the database takes", what);
}

/* Walks the rows of r: their texts, and what they add up to. */
static inline void walk(struct pb_reduce *r, struct sums *s)
{
	struct pb_daily d;
	int rc;

	memset(s, 0, sizeof(*s));
	CHECK(pb_reduce_walk_start(r) == 0, "the walk does not start");
	while ((rc = pb_reduce_walk_next(r, &d)) == 1) {
		check_text(d.account, "account");
		check_text(d.category, "category");
		check_text(d.charge_type, "charge type");
		check_text(d.service, "service");
		check_text(d.region, "region");
		check_text(d.currency, "currency");
		CHECK(d.line_count >= 1 && d.list_lines <= d.line_count && d.billed_lines <= d.line_count,
		      "a row of %llu lines, %llu with a list cost, %llu with a billed cost",
		      (unsigned long long)d.line_count, (unsigned long long)d.list_lines,
		      (unsigned long long)d.billed_lines);
		add(&s->list, d.list_cost);
		add(&s->billed, d.billed_cost);
		s->lines += d.line_count;
		s->list_lines += d.list_lines;
		s->billed_lines += d.billed_lines;
	}
	CHECK(rc == 0, "the walk failed: %d", rc);
}

/* a (the rows) and b (the lines) are the same money and lines. */
static inline void same(const struct sums *a, const struct sums *b, const char *what)
{
	char al[64], bl[64], ab[64], bb[64];

	pb_money_format_canonical(a->list, al);
	pb_money_format_canonical(b->list, bl);
	pb_money_format_canonical(a->billed, ab);
	pb_money_format_canonical(b->billed, bb);
	CHECK(pb_money_cmp(a->list, b->list) == 0 && pb_money_cmp(a->billed, b->billed) == 0 && a->lines == b->lines,
	      "%s: list %s billed %s lines %llu, the lines' %s, %s and %llu", what, al, ab,
	      (unsigned long long)a->lines, bl, bb, (unsigned long long)b->lines);
}

#endif
