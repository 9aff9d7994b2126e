/*
 * Reading report manifests with jansson: strings, and the whole numbers they declare of their parts
 * (never money).
 */
#include "manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "format.h"
#include "input.h"
#include "text.h"
#include "url.h"

#include "banned.h"

#define MANIFEST_MAX ((size_t)16 << 20)

char *pb_manifest_url(const char *source, int32_t month, int cur2)
{
	struct pb_buf b = PB_BUF_INIT;
	const char *name;
	size_t n = strlen(source);
	char start[11], end[11];
	int y, m, d;
	char *out;

	while (n && source[n - 1] == '/')
		n--;
	if (n >= 13 && strncmp(source + n - 13, "Manifest.json", 13) == 0)
		return strndup(source, n);
	name = source + n;
	while (name > source && name[-1] != '/')
		name--;
	pb_date_to_ymd(month, &y, &m, &d);
	pb_date_format(month, start);
	pb_date_format(m == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, m + 1, 1), end);
	if (cur2)
		pb_buf_addf(&b, "%.*s/metadata/BILLING_PERIOD=%.7s/%.*s-Manifest.json", (int)n, source, start,
			    (int)(source + n - name), name);
	else
		pb_buf_addf(&b, "%.*s/%.4s%.2s%.2s-%.4s%.2s%.2s/%.*s-Manifest.json", (int)n, source, start, start + 5,
			    start + 8, end, end + 5, end + 8, (int)(source + n - name), name);
	out = b.failed ? NULL : strdup(pb_buf_str(&b));
	pb_buf_release(&b);
	return out;
}

/* The bucket of an s3:// URL, as "s3://bucket/". */
static char *bucket_root(const char *url)
{
	const char *slash = strncmp(url, "s3://", 5) == 0 ? strchr(url + 5, '/') : NULL;

	return slash ? strndup(url, (size_t)(slash - url + 1)) : NULL;
}

/*
 * Where the keys of a manifest that is not in S3 are: for https://, the server's root (and the bucket
 * named in the manifest, path-style); for file://, the nearest folder above the manifest that holds
 * the first key.
 */
static char *other_root(const char *url, const char *bucket, const char *first_key)
{
	struct pb_buf b = PB_BUF_INIT;
	char *out = NULL;

	if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0) {
		const char *host = strstr(url, "://") + 3, *slash = strchr(host, '/');

		pb_buf_add(&b, url, slash ? (size_t)(slash - url) : strlen(url));
		pb_buf_addch(&b, '/');
		if (bucket && *bucket)
			pb_buf_addf(&b, "%s/", bucket);
	} else if (strncmp(url, "file://", 7) == 0 && first_key) {
		char *dir = pb_url_file_path(url, &b), *cut;

		pb_buf_reset(&b);
		while (dir && (cut = strrchr(dir, '/'))) {
			*cut = '\0';
			pb_buf_reset(&b);
			pb_buf_addf(&b, "%s/%s", dir, first_key);
			if (access(pb_buf_str(&b), R_OK) == 0) {
				pb_buf_reset(&b);
				pb_url_add_file(&b, dir);
				pb_buf_addch(&b, '/');
				break;
			}
			pb_buf_reset(&b);
		}
		free(dir);
	}
	if (b.len && !b.failed)
		out = strdup(pb_buf_str(&b));
	pb_buf_release(&b);
	return out;
}

static int add_part(struct pb_manifest *m, const char *root, const char *key)
{
	char **parts = realloc(m->parts, (m->nparts + 1) * sizeof(*parts));
	char *url;

	if (!parts)
		return -1;
	m->parts = parts;
	if (strncmp(key, "s3://", 5) == 0) {
		url = strdup(key);
	} else {
		url = malloc(strlen(root) + strlen(key) + 1);
		if (url) {
			memcpy(url, root, strlen(root));
			memcpy(url + strlen(root), key, strlen(key) + 1);
		}
	}
	if (!url)
		return -1;
	m->parts[m->nparts++] = url;
	return 0;
}

/*
 * billingPeriod.start, read whole, to a day number, and which case its day is (pb_date_read_iso): a legacy manifest
 * writes it in the basic form, "20261001T000000.000Z", read as the extended one a CUR 2.0 manifest writes,
 * "2026-10-01T00:00:00.000Z"; either manifest may write either form. A day of year 0000 is written as any other.
 */
static enum pb_date_case period_day(const char *s, int32_t *day)
{
	/* Room for any real timestamp: a start longer than this is no billing period. */
	char iso[64];
	size_t n = strlen(s);

	if (n > 4 && s[4] == '-')
		return pb_date_read_iso(s, n, day);
	if (n < 8 || (n > 8 && (n < 15 || s[8] != 'T')) || n + 4 > sizeof(iso))
		return PB_DATE_MALFORMED;
	/* YYYYMMDD[THHMMSS...] to YYYY-MM-DD[THH:MM:SS...]; pb_date_read_iso checks every character. */
	memcpy(iso, s, 4);
	iso[4] = '-';
	memcpy(iso + 5, s + 4, 2);
	iso[7] = '-';
	memcpy(iso + 8, s + 6, 2);
	if (n == 8)
		return pb_date_read_iso(iso, 10, day);
	iso[10] = 'T';
	memcpy(iso + 11, s + 9, 2);
	iso[13] = ':';
	memcpy(iso + 14, s + 11, 2);
	iso[16] = ':';
	memcpy(iso + 17, s + 13, n - 13);
	return pb_date_read_iso(iso, n + 4, day);
}

int pb_manifest_figure(const json_t *o, const char *name, unsigned flag, struct pb_part_decl *d)
{
	json_t *v = json_object_get(o, name);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	d->bytes = flag == PB_DECL_BYTES ? (uint64_t)json_integer_value(v) : d->bytes;
	d->rows = flag == PB_DECL_ROWS ? (uint64_t)json_integer_value(v) : d->rows;
	d->declared |= flag;
	return 0;
}

/*
 * The header a legacy manifest declares: columns[] of {category, name}, each the header's "category/name".
 * An empty or absent list declares nothing. Returns 0, or -1 with err set.
 */
static int read_columns(struct pb_manifest *m, json_t *cols, const char *url, struct pb_buf *err)
{
	json_t *v;
	size_t i;

	if (!cols || (json_is_array(cols) && json_array_size(cols) == 0))
		return 0;
	if (!json_is_array(cols)) {
		pb_url_message(err, url);
		pb_buf_addstr(err, "columns is not a list");
		return -1;
	}
	m->columns = calloc(json_array_size(cols), sizeof(*m->columns));
	if (!m->columns)
		goto nomem;
	json_array_foreach(cols, i, v)
	{
		const char *cat = json_string_value(json_object_get(v, "category"));
		const char *name = json_string_value(json_object_get(v, "name"));

		if (!cat || !*cat || !name || !*name) {
			pb_url_message(err, url);
			pb_buf_addf(err, "column %zu has no category and name", i + 1);
			return -1;
		}
		if (asprintf(&m->columns[i], "%s/%s", cat, name) < 0) {
			m->columns[i] = NULL;
			goto nomem;
		}
		m->ncolumns++;
	}
	return 0;
nomem:
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return -1;
}

/* The segment of key (a '/'-separated path) that starts with or is like pattern: '#' a digit, else itself. */
static const char *find_segment(const char *key, const char *pattern, int prefix_only, size_t *len)
{
	const char *seg = key, *end;
	size_t n = strlen(pattern), i;

	for (; (end = strchr(seg, '/')) != NULL; seg = end + 1) {
		if ((size_t)(end - seg) < n || (!prefix_only && (size_t)(end - seg) != n))
			continue;
		for (i = 0; i < n; i++)
			if (pattern[i] == '#' ? seg[i] < '0' || seg[i] > '9' : seg[i] != pattern[i])
				break;
		if (i == n) {
			*len = (size_t)(end - seg);
			return seg;
		}
	}
	return NULL;
}

/*
 * A part's key or address with its percent escapes decoded (%2D a '-', %2E%2E a "..", %2F a '/'), as a file:// address
 * is decoded to its path and an https:// server decodes its path: what it names is compared and checked, not how it is
 * written. NULL when memory ran out.
 */
static char *decoded_key(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		int hi = s[0] == '%' ? pb_hex_digit(s[1]) : -1, lo = hi >= 0 ? pb_hex_digit(s[2]) : -1;

		if (lo >= 0) {
			*o++ = (char)(hi * 16 + lo);
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

int pb_manifest_same_part(const char *a, const char *b)
{
	for (;;) {
		if (*a == '/' && *b == '/') {
			while (a[1] == '/')
				a++;
			while (b[1] == '/')
				b++;
		}
		if (*a != *b)
			return 0;
		if (!*a)
			return 1;
		a++;
		b++;
	}
}

/*
 * Checks that the parts a manifest lists are each listed once, and lie in its billing period's folder
 * (legacy REPORT/yyyymmdd-yyyymmdd/, CUR 2.0 data/BILLING_PERIOD=yyyy-mm/) and, for a legacy report, in its
 * assembly's (REPORT/PERIOD/ASSEMBLYID/) when the key has a folder there. Returns 0, or -1 with err set.
 */
static int check_parts(const struct pb_manifest *m, json_t *keys, const char *url, int legacy, struct pb_buf *err)
{
	const char *what = legacy ? "report key" : "data file";
	size_t skip = legacy ? 0 : strlen("BILLING_PERIOD="); /* what messages leave out of a folder's name */
	char period[32], start[11], end[11];
	int y, mo, d;
	size_t i, j, n;
	char **dec = calloc(m->nparts + 1, sizeof(*dec));
	int ret = -1;

	for (i = 0; dec && i < m->nparts; i++)
		if (!(dec[i] = decoded_key(m->parts[i])))
			break;
	if (!dec || i < m->nparts) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		goto out;
	}
	pb_date_to_ymd(m->period_start, &y, &mo, &d);
	pb_date_format(m->period_start, start);
	pb_date_format(mo == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, mo + 1, 1), end);
	if (legacy)
		snprintf(period, sizeof(period), "%.4s%.2s%.2s-%.4s%.2s%.2s", start, start + 5, start + 8, end, end + 5,
			 end + 8);
	else
		snprintf(period, sizeof(period), "BILLING_PERIOD=%.7s", start);
	for (i = 0; i < m->nparts; i++) {
		const char *key = json_string_value(json_array_get(keys, i)), *seg, *asm_end;

		for (j = 0; j < i && !pb_manifest_same_part(dec[j], dec[i]); j++)
			;
		pb_url_message(err, url);
		pb_buf_addf(err, "%s %zu (", what, i + 1);
		pb_url_add(err, key);
		pb_buf_addstr(err, ") ");
		if (j < i) {
			pb_buf_addf(err, "is %s %zu again: its lines would count twice", what, j + 1);
			goto out;
		}
		seg = find_segment(key, legacy ? "########-########" : "BILLING_PERIOD=", !legacy, &n);
		if (seg && (n != strlen(period) || memcmp(seg, period, n) != 0)) {
			pb_buf_addf(err, "is in the folder of billing period %.*s, not of the manifest's %s",
				    (int)(n - skip), seg + skip, period + skip);
			goto out;
		}
		asm_end = seg && legacy ? strchr(seg + n + 1, '/') : NULL;
		if (asm_end && ((size_t)(asm_end - seg - n - 1) != strlen(m->assembly_id) ||
				memcmp(seg + n + 1, m->assembly_id, strlen(m->assembly_id)) != 0)) {
			pb_buf_addf(err, "is in the folder of assembly %.*s, not of the manifest's %s",
				    (int)(asm_end - seg - n - 1), seg + n + 1, m->assembly_id);
			goto out;
		}
	}
	pb_buf_reset(err);
	ret = 0;
out:
	for (i = 0; dec && i < m->nparts; i++)
		free(dec[i]);
	free(dec);
	return ret;
}

/*
 * The folder every part of the manifest at url lies in, to free: the manifest's own (legacy REPORT/PERIOD/), or for
 * CUR 2.0 the data folder beside its metadata folder (REPORT/data/BILLING_PERIOD=YYYY-MM/ for
 * REPORT/metadata/BILLING_PERIOD=YYYY-MM/). NULL when a CUR 2.0 manifest is not in a metadata folder (or no memory).
 */
static char *parts_folder(const char *url, int legacy)
{
	size_t n = strcspn(url, strncmp(url, "file://", 7) == 0 ? "" : "?#");
	const char *slash = memrchr(url, '/', n), *meta;
	char *out;

	if (!slash)
		return NULL;
	n = (size_t)(slash - url) + 1;
	if (legacy)
		return strndup(url, n);
	/* ".../metadata/BILLING_PERIOD=YYYY-MM/" */
	if (n < 33 || memcmp(url + n - 33, "/metadata/BILLING_PERIOD=", 25) != 0)
		return NULL;
	meta = url + n - 32;
	if (asprintf(&out, "%.*sdata/%.*s", (int)(meta - url), url, 23, meta + 9) < 0)
		return NULL;
	return out;
}

/* Whether part lies in folder: the same path below it (two file:// addresses compared by the paths they name). */
static int in_folder(const char *part, const char *folder)
{
	struct pb_buf ignore = PB_BUF_INIT;
	char *a, *b;
	int in;

	if (strncmp(part, "file://", 7) != 0 || strncmp(folder, "file://", 7) != 0)
		return strncmp(part, folder, strlen(folder)) == 0;
	a = pb_url_file_path(part, &ignore);
	b = pb_url_file_path(folder, &ignore);
	in = a && b && strncmp(a, b, strlen(b)) == 0;
	free(a);
	free(b);
	pb_buf_release(&ignore);
	return in;
}

/*
 * Checks that each part lies in the report's folder (parts_folder) and that no key has a "." or ".." segment, written
 * as such or percent-encoded (%2E%2E), which a file:// or https:// address resolves to another folder's object (AWS
 * writes none). Returns 0, or -1 with err
 * set. Run after check_parts, which names the period or assembly of a part that is another's.
 */
static int check_folder(const struct pb_manifest *m, json_t *keys, const char *url, int legacy, struct pb_buf *err)
{
	const char *what = legacy ? "report key" : "data file";
	char *folder = parts_folder(url, legacy);
	size_t i;

	for (i = 0; i < m->nparts; i++) {
		const char *key = json_string_value(json_array_get(keys, i)), *seg;
		char *plain = decoded_key(key);
		int dots = 0;

		if (!plain) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			free(folder);
			return -1;
		}
		for (seg = plain; seg && !dots; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL)
			dots = strncmp(seg, "./", 2) == 0 || strncmp(seg, "../", 3) == 0 || strcmp(seg, ".") == 0 ||
			       strcmp(seg, "..") == 0;
		free(plain);
		if (!dots && (!folder || in_folder(m->parts[i], folder)))
			continue;
		pb_url_message(err, url);
		pb_buf_addf(err, "%s %zu (", what, i + 1);
		pb_url_add(err, key);
		if (dots) {
			pb_buf_addstr(err, ") has a '.' or '..' segment: no part of a report is named so");
		} else {
			pb_buf_addstr(err, ") is not in the manifest's folder ");
			pb_url_add(err, folder);
		}
		free(folder);
		return -1;
	}
	free(folder);
	return 0;
}

int pb_manifest_load(struct pb_manifest *m, const char *url, const struct pb_fetch_opts *fo, struct pb_buf *err)
{
	struct pb_buf body = PB_BUF_INIT;
	json_t *root = NULL, *keys, *v, *period;
	json_error_t jerr;
	char *bucket = NULL;
	const char *id, *start;
	enum pb_date_case dc;
	size_t i;
	int ret = -1, rc, legacy;

	memset(m, 0, sizeof(*m));
	m->url = pb_url_redact(url);
	if (strncmp(url, "file://", 7) == 0) {
		/* A manifest that is not there is looked for elsewhere; an address that names none fails below. */
		char *local = pb_url_file_path(url, err);
		int absent = local && access(local, F_OK) != 0;

		free(local);
		if (absent)
			return 1;
	}
	rc = pb_input_slurp(url, fo, MANIFEST_MAX, &body, err);
	if (rc != 0) {
		ret = rc;
		goto out;
	}
	root = json_loadb(body.ptr ? body.ptr : "", body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		pb_buf_reset(err);
		pb_url_add(err, url);
		pb_buf_addf(err, ":%d:%d: not a manifest: %s", jerr.line, jerr.column,
			    root ? "not a JSON object" : jerr.text);
		goto out;
	}
	id = json_string_value(json_object_get(root, "assemblyId"));
	if (!id)
		id = json_string_value(json_object_get(root, "executionId"));
	keys = json_object_get(root, "reportKeys");
	legacy = keys != NULL;
	if (!keys)
		keys = json_object_get(root, "dataFiles");
	period = json_object_get(root, "billingPeriod");
	start = json_string_value(json_object_get(period, "start"));
	if (!id || !*id || !json_is_array(keys) || !json_is_object(period) || !start) {
		pb_url_message(err, url);
		pb_buf_addstr(err, "not a report manifest: it needs assemblyId (or executionId), reportKeys (or "
				   "dataFiles) and billingPeriod.start");
		goto out;
	}
	dc = period_day(start, &m->period_start);
	if (dc == PB_DATE_MALFORMED) {
		pb_url_message(err, url);
		pb_bad_value_add(err, "timestamp", start, strlen(start), "member", "billingPeriod.start");
		goto out;
	}
	if (dc == PB_DATE_BEFORE_FIRST || dc == PB_DATE_PAST_CALENDAR) {
		pb_url_message(err, url);
		pb_date_range_add(err, dc, "timestamp", start, strlen(start), "member", "billingPeriod.start");
		goto out;
	}
	m->assembly_id = strdup(id);
	bucket = bucket_root(url);
	if (!bucket)
		bucket = other_root(url, json_string_value(json_object_get(root, "bucket")),
				    json_string_value(json_array_get(keys, 0)));
	json_array_foreach(keys, i, v)
	{
		const char *key = json_string_value(v);

		if (!key || !*key || (!bucket && strncmp(key, "s3://", 5) != 0) ||
		    add_part(m, bucket ? bucket : "", key) < 0) {
			pb_url_message(err, url);
			pb_buf_addf(err, "report key %zu is not a string naming an object", i + 1);
			goto out;
		}
	}
	if (check_parts(m, keys, url, legacy, err) < 0)
		goto out;
	/* CUR 2.0 lists columns too, but no document says in which order its files hold them. */
	if (legacy && read_columns(m, json_object_get(root, "columns"), url, err) < 0)
		goto out;
	if (check_folder(m, keys, url, legacy, err) < 0)
		goto out;
	ret = 0;
out:
	json_decref(root);
	free(bucket);
	pb_buf_release(&body);
	if (ret != 0) {
		char *keep = m->url;

		m->url = NULL;
		pb_manifest_release(m);
		m->url = keep;
	}
	return ret;
}

void pb_manifest_release(struct pb_manifest *m)
{
	size_t i;

	for (i = 0; i < m->nparts; i++) {
		free(m->parts[i]);
		if (m->etags)
			free(m->etags[i]);
	}
	free(m->parts);
	free(m->etags);
	free(m->decl);
	for (i = 0; i < m->ncolumns; i++)
		free(m->columns[i]);
	free(m->columns);
	free(m->assembly_id);
	free(m->url);
	free(m->submitted);
	for (i = 0; i < m->nnewer; i++) {
		free(m->newer_runs[i]);
		free(m->newer_submitted[i]);
	}
	free(m->newer_runs);
	free(m->newer_submitted);
	memset(m, 0, sizeof(*m));
}
