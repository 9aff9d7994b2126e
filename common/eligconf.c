/* The eligibility config: the billing countries each vendor may be offered to (config/eligibility.conf). */
#include "eligconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "country.h"
#include "exitcode.h"
#include "input.h"

#include "conf.h"

#include "banned.h"

#define CONFIG_ENV "PB_ELIGIBILITY_CONFIG"
#define MAX_CONFIG_BYTES ((size_t)1 << 20)

const char *const pb_vendor_names[PB_NVENDORS] = {"aws", "azure"};

int pb_vendor_index(const char *name)
{
	int i;

	for (i = 0; i < PB_NVENDORS; i++)
		if (strcmp(name, pb_vendor_names[i]) == 0)
			return i;
	return -1;
}

int pb_eligibility_find(const char *option, struct pb_buf *path, struct pb_buf *err)
{
	return pb_conf_find(option, CONFIG_ENV, "eligibility.conf",
			    "no eligibility config: give --config FILE or set " CONFIG_ENV, path, err) < 0
		       ? PB_ERR_USAGE
		       : 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Starts the message "NAME:LINE:COL: " in err; the caller appends what is wrong. */
static int config_error(struct pb_buf *err, const char *name, size_t line, size_t col)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "%s:%zu:%zu: ", name, line, col);
	return PB_ERR_DATA;
}

/* Adds the country of len bytes at s, column col of line lineno, to vendor v's list. */
static int add_country(struct pb_eligibility *e, int v, const char *name, size_t lineno, const char *s, size_t len,
		       size_t col, struct pb_buf *err)
{
	size_t k;

	if (len != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z') {
		config_error(err, name, lineno, col);
		pb_buf_addf(err, "bad country '%.*s': a two-letter ISO 3166 code in capitals, such as US", (int)len, s);
		return PB_ERR_DATA;
	}
	if (!pb_country_valid(s, 2)) {
		config_error(err, name, lineno, col);
		pb_buf_addf(err, "bad country '%.2s': not an ISO 3166-1 country code", s);
		if (pb_country_meant(s, 2))
			pb_buf_addf(err, " (did you mean %s?)", pb_country_meant(s, 2));
		return PB_ERR_DATA;
	}
	for (k = 0; k < e->ncountries[v]; k++) {
		if (memcmp(e->countries[v][k], s, 2) == 0) {
			config_error(err, name, lineno, col);
			pb_buf_addf(err, "country %.2s is listed twice", s);
			return PB_ERR_DATA;
		}
	}
	if (e->ncountries[v] == PB_ELIGIBILITY_MAX_COUNTRIES) {
		config_error(err, name, lineno, col);
		pb_buf_addstr(err, "too many countries");
		return PB_ERR_DATA;
	}
	memcpy(e->countries[v][e->ncountries[v]], s, 2);
	e->countries[v][e->ncountries[v]][2] = '\0';
	e->ncountries[v]++;
	return 0;
}

/* One line "VENDOR = CC CC ..." of len bytes at s. */
static int parse_line(struct pb_eligibility *e, int *seen, const char *name, size_t lineno, const char *s, size_t len,
		      struct pb_buf *err)
{
	size_t i = 0, start, k;
	int v;

	while (i < len && is_blank(s[i]))
		i++;
	if (i == len || s[i] == '#')
		return 0;
	start = i;
	while (i < len && !is_blank(s[i]) && s[i] != '=')
		i++;
	v = -1;
	for (k = 0; k < PB_NVENDORS; k++)
		if (i - start == strlen(pb_vendor_names[k]) && memcmp(s + start, pb_vendor_names[k], i - start) == 0)
			v = (int)k;
	if (v < 0) {
		config_error(err, name, lineno, start + 1);
		pb_buf_addf(err, "unknown vendor '%.*s' (aws or azure)", (int)(i - start), s + start);
		return PB_ERR_DATA;
	}
	if (seen[v]) {
		config_error(err, name, lineno, start + 1);
		pb_buf_addf(err, "vendor %s is listed twice", pb_vendor_names[v]);
		return PB_ERR_DATA;
	}
	seen[v] = 1;
	while (i < len && is_blank(s[i]))
		i++;
	if (i == len || s[i] != '=') {
		config_error(err, name, lineno, i + 1);
		pb_buf_addstr(err, "expected '=' after the vendor");
		return PB_ERR_DATA;
	}
	i++;
	for (;;) {
		while (i < len && is_blank(s[i]))
			i++;
		if (i == len || s[i] == '#')
			break;
		start = i;
		while (i < len && !is_blank(s[i]) && s[i] != '#')
			i++;
		if (add_country(e, v, name, lineno, s + start, i - start, start + 1, err) < 0)
			return PB_ERR_DATA;
	}
	return 0;
}

int pb_eligibility_parse(struct pb_eligibility *e, const char *name, const char *text, size_t len, struct pb_buf *err)
{
	int seen[PB_NVENDORS] = {0};
	size_t pos = 0, lineno = 0;
	int v;

	memset(e, 0, sizeof(*e));
	/* A UTF-8 byte order mark (some editors write one) is no part of the first line, as an import skips it. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (memchr(text + pos, '\0', n)) {
			config_error(err, name, lineno, 1);
			pb_buf_addstr(err, "the line holds a NUL byte");
			return PB_ERR_DATA;
		}
		if (parse_line(e, seen, name, lineno, text + pos, n, err) < 0)
			return PB_ERR_DATA;
		pos += n + 1;
	}
	for (v = 0; v < PB_NVENDORS; v++) {
		if (!seen[v]) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: no line for vendor %s (write '%s =' to allow no country)", name,
				    pb_vendor_names[v], pb_vendor_names[v]);
			return PB_ERR_DATA;
		}
	}
	return 0;
}

int pb_eligibility_load(struct pb_eligibility *e, const char *path, struct pb_buf *err)
{
	struct pb_buf text = PB_BUF_INIT, shown = PB_BUF_INIT;
	int ret = pb_conf_read(path, MAX_CONFIG_BYTES, &text, &shown, err);

	if (ret == 0)
		ret = pb_eligibility_parse(e, pb_buf_str(&shown), pb_buf_str(&text), text.len, err);
	pb_buf_release(&text);
	pb_buf_release(&shown);
	return ret;
}
