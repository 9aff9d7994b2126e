/*
 * libFuzzer target for the config files a person writes: the pricing rules (aggregate/pricing.c), the
 * eligibility config (common/eligconf.c) and the mapping rules (accounts/rules.c, PCRE2 patterns). The
 * first byte picks the parser, the rest is the file. Any bytes give either rules or an error that names the
 * file, and the line and column where the fault is in one ("fuzz.conf:LINE:COL: what" for the pricing and
 * eligibility configs, "fuzz.conf:LINE" at least for the mapping rules), never a crash or a read past the text; parsed
 * rules then match a few charges and names without a crash (a pattern that backtracks is stopped by the match limits).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "eligconf.h"
#include "pricing.h"
#include "rules.h"

#include "banned.h"

#define NAME "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless err says "NAME:LINE:" then more, with a column too when col is set. */
static void check_error(const struct pb_buf *err, int col, const char *what)
{
	const char *p = err->ptr ? err->ptr : "";
	size_t n = strlen(NAME);
	int digits = 0;

	if (strncmp(p, NAME ":", n + 1) != 0)
		goto bad;
	/* What is wrong with the file as a whole ("fuzz.conf: no line for vendor aws") has no place in it. */
	if (p[n + 1] == ' ')
		return;
	for (p += n + 1; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (!digits || *p != ':')
		goto bad;
	if (col) {
		for (digits = 0, p++; *p >= '0' && *p <= '9'; p++)
			digits++;
		if (!digits || *p != ':')
			goto bad;
	}
	return;
bad:
	fprintf(stderr, "fuzz_conf: %s error without its place: %s\n", what, err->ptr ? err->ptr : "(none)");
	abort();
}

static void pricing(const char *text, size_t len)
{
	static const char *const charges[][3] = {
		{"aws", "Usage", "Usage"}, {"azure", "Credit", "Refund/Reservation"}, {"aws", "Tax", ""}, {"", "", ""}};
	struct pb_pricing p;
	struct pb_buf err = PB_BUF_INIT;
	size_t i;

	memset(&p, 0, sizeof(p));
	if (pb_pricing_parse(&p, NAME, text, len, &err) == 0) {
		for (i = 0; i < sizeof(charges) / sizeof(charges[0]); i++)
			(void)pb_pricing_match(&p, charges[i][0], charges[i][1], charges[i][2]);
		for (i = 0; i < p.n; i++)
			if (!memchr(p.rules[i].vendor, '\0', sizeof(p.rules[i].vendor)) ||
			    !memchr(p.rules[i].charge_type, '\0', sizeof(p.rules[i].charge_type)))
				abort();
	} else {
		check_error(&err, 1, "pricing");
	}
	pb_pricing_release(&p);
	pb_buf_release(&err);
}

static void eligibility(const char *text, size_t len)
{
	struct pb_eligibility *e = calloc(1, sizeof(*e));
	struct pb_buf err = PB_BUF_INIT;

	if (!e)
		return;
	if (pb_eligibility_parse(e, NAME, text, len, &err) != 0)
		check_error(&err, 1, "eligibility");
	free(e);
	pb_buf_release(&err);
}

static void mapping(const char *text, size_t len)
{
	static const char *const names[] = {"clc-ACME1-prod", "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
					    "\xc3\xa9t\xc3\xa9"};
	struct pb_rules *r = NULL;
	struct pb_buf err = PB_BUF_INIT, alias = PB_BUF_INIT;
	size_t i, line;

	if (pb_rules_parse(NAME, text, len, &r, &err) == 0) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			(void)pb_rules_match(r, i % 2 ? PB_VENDOR_AWS : PB_VENDOR_AZURE, names[i], &alias, &line, &err);
	} else {
		check_error(&err, 0, "mapping rules");
	}
	pb_rules_free(r);
	pb_buf_release(&err);
	pb_buf_release(&alias);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;

	if (size < 1)
		return 0;
	/* A copy of exactly the file's bytes, so that ASan sees any read past the end. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		pricing(copy, size - 1);
		break;
	case 1:
		eligibility(copy, size - 1);
		break;
	default:
		mapping(copy, size - 1);
		break;
	}
	free(copy);
	return 0;
}
