/* Mapping rules compiled with PCRE2 and matched under limits, so that no pattern can hang a run. */
#include "rules.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "account.h"
#include "eligibility.h"
#include "exitcode.h"
#include "conf.h"

#include "banned.h"

#define MAX_RULES_BYTES ((size_t)1 << 20)

struct rule {
	pcre2_code *code;
	pcre2_match_data *md;
	uint32_t group; /* the number of the group named alias */
	int vendor;	/* -1: every vendor */
	size_t line;
};

struct pb_rules {
	char *name;
	struct rule *rules;
	size_t n, alloc;
	pcre2_match_context *mctx;
};

const char *pb_rules_name(const struct pb_rules *r)
{
	return r->name;
}

void pb_rules_free(struct pb_rules *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		pcre2_match_data_free(r->rules[i].md);
		pcre2_code_free(r->rules[i].code);
	}
	free(r->rules);
	pcre2_match_context_free(r->mctx);
	free(r->name);
	free(r);
}

static int out_of_memory(struct pb_buf *err)
{
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return PB_ERR_DEPENDENCY;
}

/* The vendor prefix of a rule ("aws:" or "azure:" and the blanks after it): its length, and the vendor. */
static size_t vendor_prefix(const char *s, size_t len, int *vendor)
{
	size_t i, k;

	*vendor = -1;
	for (i = 0; i < PB_NVENDORS; i++) {
		k = strlen(pb_vendor_names[i]);
		if (len > k && memcmp(s, pb_vendor_names[i], k) == 0 && s[k] == ':') {
			*vendor = (int)i;
			k++;
			while (k < len && (s[k] == ' ' || s[k] == '\t'))
				k++;
			return k;
		}
	}
	return 0;
}

/* Whether the n bytes at s are an alias in any case: 2 to 6 ASCII letters and digits. */
static int is_alias(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || n > 6)
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= 'a' && s[i] <= 'z'))
			return 0;
	return 1;
}

/*
 * Refuses a vendor prefix in another case or after blanks ("AWS:", "  aws:"): taken as the start of the pattern,
 * it would match no name, and the rule would propose nothing, silently. Returns 0, or PB_ERR_DATA.
 */
static int check_prefix(const struct pb_rules *r, const char *s, size_t len, size_t line, struct pb_buf *err)
{
	size_t b = 0, i, k;
	int v;

	while (b < len && (s[b] == ' ' || s[b] == '\t'))
		b++;
	for (v = 0; v < PB_NVENDORS; v++) {
		const char *name = pb_vendor_names[v];

		k = strlen(name);
		if (len - b <= k || s[b + k] != ':' || (b == 0 && memcmp(s, name, k) == 0))
			continue;
		for (i = 0; i < k && tolower((unsigned char)s[b + i]) == name[i]; i++)
			;
		if (i < k)
			continue;
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "%s:%zu:%zu: '%.*s:' is not a vendor prefix: write aws: or azure:, in lowercase, first on "
			    "the line (%.*s\\: to match the text)",
			    r->name, line, b + 1, (int)k, s + b, (int)k, s + b);
		return PB_ERR_DATA;
	}
	return 0;
}

static int add_rule(struct pb_rules *r, const char *s, size_t len, size_t line, struct pb_buf *err)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroffset;
	struct rule *ru;
	size_t skip;
	int vendor, errcode, group;

	if (check_prefix(r, s, len, line, err) < 0)
		return PB_ERR_DATA;
	skip = vendor_prefix(s, len, &vendor);
	if (r->n == r->alloc) {
		size_t n = r->alloc ? r->alloc * 2 : 16;
		struct rule *p = realloc(r->rules, n * sizeof(*p));

		if (!p)
			return out_of_memory(err);
		r->rules = p;
		r->alloc = n;
	}
	ru = &r->rules[r->n];
	memset(ru, 0, sizeof(*ru));
	ru->vendor = vendor;
	ru->line = line;
	if (skip == len) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s:%zu:%zu: no pattern after the vendor", r->name, line, skip + 1);
		return PB_ERR_DATA;
	}
	ru->code = pcre2_compile((PCRE2_SPTR)(s + skip), len - skip, PCRE2_UTF, &errcode, &erroffset, NULL);
	if (!ru->code) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		pb_buf_reset(err);
		pb_buf_addf(err, "%s:%zu:%zu: bad pattern: %s", r->name, line, skip + erroffset + 1, (const char *)msg);
		return PB_ERR_DATA;
	}
	r->n++;
	group = pcre2_substring_number_from_name(ru->code, (PCRE2_SPTR) "alias");
	if (group < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s:%zu:%zu: the pattern has no group named 'alias', such as (?<alias>[A-Z0-9]{2,6})",
			    r->name, line, skip + 1);
		return PB_ERR_DATA;
	}
	ru->group = (uint32_t)group;
	ru->md = pcre2_match_data_create_from_pattern(ru->code, NULL);
	if (!ru->md)
		return out_of_memory(err);
	return 0;
}

int pb_rules_parse(const char *name, const char *text, size_t len, struct pb_rules **out, struct pb_buf *err)
{
	struct pb_rules *r;
	size_t pos = 0, line = 0;
	int ret = PB_ERR_DEPENDENCY;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return out_of_memory(err);
	r->name = strdup(name);
	r->mctx = pcre2_match_context_create(NULL);
	if (!r->name || !r->mctx) {
		out_of_memory(err);
		goto out;
	}
	pcre2_set_match_limit(r->mctx, PB_RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, PB_RULES_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mctx, PB_RULES_HEAP_LIMIT);
	/* A UTF-8 byte order mark (some editors write one) is no part of the first rule, as import skips it. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos, i;

		line++;
		pos += n + 1;
		if (n && s[n - 1] == '\r')
			n--;
		for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
			;
		if (i == n || s[i] == '#')
			continue;
		ret = add_rule(r, s, n, line, err);
		if (ret < 0)
			goto out;
	}
	/* Rules that match nothing would propose nothing, silently: an empty file is a mistake. */
	if (!r->n) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: no rule", name);
		ret = PB_ERR_DATA;
		goto out;
	}
	*out = r;
	r = NULL;
	ret = 0;
out:
	pb_rules_free(r);
	return ret;
}

int pb_rules_load(const char *path, struct pb_rules **out, struct pb_buf *err)
{
	struct pb_buf text = PB_BUF_INIT, shown = PB_BUF_INIT;
	int ret;

	*out = NULL;
	ret = pb_conf_read(path, MAX_RULES_BYTES, &text, &shown, err);
	if (ret == 0)
		ret = pb_rules_parse(pb_buf_str(&shown), pb_buf_str(&text), text.len, out, err);
	pb_buf_release(&text);
	pb_buf_release(&shown);
	return ret;
}

int pb_rules_match(struct pb_rules *r, int vendor, const char *name, struct pb_buf *alias, size_t *line,
		   struct pb_buf *err)
{
	size_t i, k;

	for (i = 0; i < r->n; i++) {
		struct rule *ru = &r->rules[i];
		PCRE2_SIZE *ov;
		int rc;

		if (ru->vendor >= 0 && ru->vendor != vendor)
			continue;
		rc = pcre2_match(ru->code, (PCRE2_SPTR)name, strlen(name), 0, 0, ru->md, r->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0) {
			PCRE2_UCHAR msg[256];

			pb_buf_reset(err);
			/* The name is the customer's text: shown escaped, so that the message stays one line. */
			if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
			    rc == PCRE2_ERROR_HEAPLIMIT) {
				pb_buf_addf(err, "%s:%zu: pattern exceeded the match limit on '", r->name, ru->line);
				pb_account_quote(err, name, strlen(name));
				pb_buf_addch(err, '\'');
			} else {
				pcre2_get_error_message(rc, msg, sizeof(msg));
				pb_buf_addf(err, "%s:%zu: matching failed on '", r->name, ru->line);
				pb_account_quote(err, name, strlen(name));
				pb_buf_addf(err, "': %s", (const char *)msg);
			}
			return PB_ERR_DATA;
		}
		ov = pcre2_get_ovector_pointer(ru->md);
		/* A group left out of the match (in an alternative not taken) proposes nothing. */
		if (ru->group >= (uint32_t)rc || ov[2 * ru->group] == PCRE2_UNSET ||
		    ov[2 * ru->group] == ov[2 * ru->group + 1])
			continue;
		/*
		 * Nor does a text that is no alias (2 to 6 letters and digits): the name is the customer's, and one
		 * too long or with a look-alike letter would otherwise stop the run at the proposals' check.
		 */
		if (!is_alias(name + ov[2 * ru->group], ov[2 * ru->group + 1] - ov[2 * ru->group]))
			continue;
		pb_buf_reset(alias);
		for (k = ov[2 * ru->group]; k < ov[2 * ru->group + 1]; k++)
			pb_buf_addch(alias, (char)toupper((unsigned char)name[k]));
		*line = ru->line;
		return alias->failed ? out_of_memory(err) : 1;
	}
	return 0;
}
