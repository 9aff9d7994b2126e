/* The pricing rules file: read, checked with positions, matched first-rule-wins. */
#include "pricing.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "exitcode.h"
#include "sha256.h"
#include "text.h"

#include "banned.h"

#define CONFIG_ENV "PB_PRICING_CONFIG"
#define MAX_CONFIG_BYTES ((size_t)1 << 20)
#define MAX_FIELDS 6

static const char *const price_names[] = {"list", "list-or-billed", "billed", "exclude"};

const char *pb_pricing_name(enum pb_price price)
{
	return price_names[price];
}

static int line_error(struct pb_buf *err, const char *name, unsigned line, unsigned col, const char *what)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "%s:%u:%u: %s", name, line, col, what);
	return -1;
}

static int copy_field(char *dst, size_t cap, const struct pb_conf_field *f)
{
	if (f->n == 0 || f->n >= cap)
		return -1;
	memcpy(dst, f->p, f->n);
	dst[f->n] = '\0';
	return 0;
}

/* One rule line into r. Returns 0, 1 for a blank or comment line, or -1 with err set. */
static int parse_rule(struct pb_pricing_rule *r, const char *name, unsigned line, const char *s, size_t n,
		      struct pb_buf *err)
{
	struct pb_conf_field f[MAX_FIELDS];
	unsigned bad = 1;
	int k = pb_conf_split(s, n, f, MAX_FIELDS, &bad), i;

	if (k == PB_CONF_OPEN_QUOTE)
		return line_error(err, name, line, bad, "a quoted field does not end on its line");
	if (k == 0)
		return 1;
	if (k < 4 || k > 5)
		return line_error(err, name, line,
				  k < 0	  ? bad
				  : k > 5 ? f[5].col
					  : 1,
				  "a rule is VENDOR CATEGORY CHARGE_TYPE PRICE [REASON]");
	memset(r, 0, sizeof(*r));
	r->line = line;
	if (copy_field(r->vendor, sizeof(r->vendor), &f[0]) < 0 ||
	    copy_field(r->category, sizeof(r->category), &f[1]) < 0 ||
	    copy_field(r->charge_type, sizeof(r->charge_type), &f[2]) < 0)
		return line_error(err, name, line, f[0].col, "a field is empty or too long");
	if (strcmp(r->vendor, "aws") != 0 && strcmp(r->vendor, "azure") != 0 && strcmp(r->vendor, "*") != 0)
		return line_error(err, name, line, f[0].col, "the vendor is aws, azure or *");
	for (i = 0; i < 4; i++)
		if (f[3].n == strlen(price_names[i]) && memcmp(f[3].p, price_names[i], f[3].n) == 0)
			break;
	if (i == 4)
		return line_error(err, name, line, f[3].col, "the price is list, list-or-billed, billed or exclude");
	r->price = (enum pb_price)i;
	if ((r->price == PB_PRICE_EXCLUDE) != (k == 5))
		return line_error(err, name, line, k == 5 ? f[4].col : f[3].col,
				  r->price == PB_PRICE_EXCLUDE ? "exclude takes a reason (tax, earned-discount, ...)"
							       : "only exclude takes a reason");
	if (k == 5 && copy_field(r->reason, sizeof(r->reason), &f[4]) < 0)
		return line_error(err, name, line, f[4].col, "the reason is too long");
	return 0;
}

int pb_pricing_parse(struct pb_pricing *p, const char *name, const char *text, size_t len, struct pb_buf *err)
{
	const char *s = text, *end = text + len;
	unsigned line = 0;

	memset(p, 0, sizeof(*p));
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s), bad;
		struct pb_pricing_rule r;
		const char *why;
		int rc;

		/* The patterns and reasons go to the database: text it takes, or the line's own error. */
		if (pb_text_check(s, n, &bad, &why) < 0)
			rc = line_error(err, name, ++line, (unsigned)bad + 1, why);
		else
			rc = parse_rule(&r, name, ++line, s, n, err);

		if (rc < 0) {
			pb_pricing_release(p);
			return -1;
		}
		if (rc == 0) {
			struct pb_pricing_rule *rules = realloc(p->rules, (p->n + 1) * sizeof(*rules));

			if (!rules) {
				pb_pricing_release(p);
				pb_buf_reset(err);
				pb_buf_addstr(err, "out of memory");
				return -1;
			}
			p->rules = rules;
			p->rules[p->n++] = r;
		}
		s += n + (nl ? 1 : 0);
	}
	if (!p->n)
		return line_error(err, name, line ? line : 1, 1, "no pricing rule");
	return 0;
}

int pb_pricing_load(struct pb_pricing *p, const char *option, struct pb_buf *err)
{
	struct pb_buf path = PB_BUF_INIT, text = PB_BUF_INIT, shown = PB_BUF_INIT;
	int ret = PB_ERR_USAGE;

	memset(p, 0, sizeof(*p));
	if (pb_conf_find(option, CONFIG_ENV, "pricing.conf", "no pricing rules: give --pricing FILE or set " CONFIG_ENV,
			 &path, err) < 0)
		goto out;
	ret = pb_conf_read(pb_buf_str(&path), MAX_CONFIG_BYTES, &text, &shown, err);
	if (ret < 0)
		goto out;
	ret = PB_ERR_DATA;
	if (pb_pricing_parse(p, pb_buf_str(&shown), text.ptr ? text.ptr : "", text.len, err) < 0)
		goto out;
	p->file = strdup(pb_buf_str(&shown));
	if (!p->file || pb_sha256_hex(text.ptr ? text.ptr : "", text.len, p->sha256) < 0) {
		pb_pricing_release(p);
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	ret = 0;
out:
	pb_buf_release(&path);
	pb_buf_release(&text);
	pb_buf_release(&shown);
	return ret;
}

const struct pb_pricing_rule *pb_pricing_match(const struct pb_pricing *p, const char *vendor, const char *category,
					       const char *charge_type)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct pb_pricing_rule *r = &p->rules[i];

		if ((strcmp(r->vendor, "*") == 0 || strcmp(r->vendor, vendor) == 0) &&
		    fnmatch(r->category, category, FNM_CASEFOLD) == 0 &&
		    fnmatch(r->charge_type, charge_type, FNM_CASEFOLD) == 0)
			return r;
	}
	return NULL;
}

void pb_pricing_release(struct pb_pricing *p)
{
	free(p->rules);
	free(p->file);
	memset(p, 0, sizeof(*p));
}
