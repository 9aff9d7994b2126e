/*
 * Azure Cost Management exports in Blob Storage: the run folders of a month, their manifest.json, and the
 * newest complete run as one delivery.
 */
#include "azure_export.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "exitcode.h"
#include "format.h"
#include "http.h"
#include "input.h"
#include "testhook.h"
#include "url.h"

#include "banned.h"

#define LISTING_MAX ((size_t)16 << 20)
#define MANIFEST_MAX ((size_t)4 << 20)

/*
 * A month's folder of an export holds its runs' blobs: a run a day of a few blobs and a manifest, a few hundred
 * in all. A listing of more blobs, or of more pages (Blob Storage gives up to 5,000 blobs a page), is a server
 * that never ends (an endless NextMarker chain) or the wrong folder, cut off before it takes all memory.
 */
#define LISTING_MAX_BLOBS 100000
#define LISTING_MAX_PAGES 1000
/* Blob Storage's longest blob name, 1,024 characters of UTF-8 (4 bytes each at most), and a NextMarker far longer. */
#define BLOB_NAME_MAX 4096
#define MARKER_MAX 16384

/* LISTING_MAX_BLOBS and LISTING_MAX_PAGES; a test build (PB_TEST_HOOKS) takes PB_TEST_MAX_LISTING_BLOBS and
 * PB_TEST_MAX_LISTING_PAGES instead, to reach them in a test. */
static size_t listing_max(const char *env, size_t dflt)
{
#ifdef PB_TEST_HOOKS
	const char *v = getenv(env);

	if (v && *v)
		return (size_t)strtoul(v, NULL, 10);
#else
	(void)env;
#endif
	return dflt;
}

struct blob {
	char *name;
	long long size;
	char *etag; /* as HTTP writes it, in quotes (a listing gives it bare), or NULL */
};

struct listing {
	struct blob *v;
	size_t n, cap;
	size_t max; /* blobs at most (listing_max) */
};

static void listing_release(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].etag);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* The text between <tag> and </tag> from *p on, before end, XML entities decoded; NULL when absent. */
static char *xml_text(const char *p, const char *end, const char *tag)
{
	char open[64], close[64];
	const char *a, *b;
	struct pb_buf t = PB_BUF_INIT;
	char *r;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = memmem(p, (size_t)(end - p), open, strlen(open));
	if (!a)
		return NULL;
	a += strlen(open);
	b = memmem(a, (size_t)(end - a), close, strlen(close));
	if (!b)
		return NULL;
	while (a < b) {
		static const struct {
			const char *ent, *ch;
		} ents[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
		size_t k;

		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t n = strlen(ents[k].ent);

			if ((size_t)(b - a) >= n && memcmp(a, ents[k].ent, n) == 0) {
				pb_buf_addstr(&t, ents[k].ch);
				a += n;
				break;
			}
		}
		if (k == sizeof(ents) / sizeof(ents[0]))
			pb_buf_addch(&t, *a++);
	}
	r = t.failed ? NULL : strdup(pb_buf_str(&t));
	pb_buf_release(&t);
	return r;
}

/*
 * Whether s, bare or between its quotes, is an entity tag's opaque part (RFC 9110 8.8.3: no blank, no control byte,
 * no quote), quoted at most PB_FETCH_ETAG_MAX bytes long: an If-Match that names it is one header line, the one sent.
 */
static int etag_sendable(const char *s)
{
	size_t n = strlen(s), i;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	if (n + 2 > PB_FETCH_ETAG_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c == '"' || c == 0x7f)
			return 0;
	}
	return 1;
}

/*
 * The ETag of the <Blob> element between p and end into *out, as a download's answer gives it: Blob Storage lists it
 * bare (0x8DC...), and its GET answers give it in quotes. *out is NULL when there is none (the download is then not
 * bound to it). Returns 0, -1 when memory ran out, -4 when it is no entity tag (a control byte, a blank or a quote
 * inside, or too long): sent in If-Match, it would be another header, or none that compares.
 */
static int listed_etag(const char *p, const char *end, char **out)
{
	char *e = xml_text(p, end, "Etag"), *q;
	const char *tag;

	*out = NULL;
	if (!e || !*e) {
		free(e);
		return 0;
	}
	tag = strncmp(e, "W/", 2) == 0 ? e + 2 : e;
	if (!etag_sendable(tag) || (tag != e && tag[0] != '"')) {
		free(e);
		return -4;
	}
	if (e[0] == '"' || tag != e) {
		*out = e; /* in quotes already, or weak (which binds nothing) */
		return 0;
	}
	if (asprintf(&q, "\"%s\"", e) < 0)
		q = NULL;
	free(e);
	*out = q;
	return q ? 0 : -1;
}

/*
 * A blob's Content-Length as the listing gives it, into *size: -1 when there is none. Returns 0, or -5 when it is no
 * number of bytes (anything but 1 to 18 digits).
 */
static int listed_size(const char *s, long long *size)
{
	size_t n = s ? strspn(s, "0123456789") : 0;

	*size = -1;
	if (!s)
		return 0;
	if (n == 0 || n > 18 || s[n])
		return -5;
	*size = strtoll(s, NULL, 10); /* 18 digits: below 2^63 */
	return 0;
}

/*
 * Adds the blobs of one List Blobs page; *marker gets its NextMarker (NULL when it is the last). Returns 0, -1 when
 * it is no listing (or memory ran out), -2 when the listing would hold more than l->max blobs, -3 when a blob name
 * is longer than BLOB_NAME_MAX bytes or the NextMarker than MARKER_MAX, -4 when a blob's ETag is no entity tag, -5
 * when its Content-Length is no number of bytes.
 */
static int parse_listing(const struct pb_buf *xml, struct listing *l, char **marker)
{
	const char *p = xml->ptr ? xml->ptr : "", *end = p + xml->len;

	*marker = NULL;
	for (;;) {
		const char *a = memmem(p, (size_t)(end - p), "<Blob>", 6), *b;
		char *size;
		struct blob *v;
		int erc, src;

		if (!a)
			break;
		b = memmem(a, (size_t)(end - a), "</Blob>", 7);
		if (!b)
			return -1;
		if (l->n >= l->max)
			return -2;
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 64;

			v = realloc(l->v, cap * sizeof(*v));
			if (!v)
				return -1;
			l->v = v;
			l->cap = cap;
		}
		v = &l->v[l->n];
		v->name = xml_text(a, b, "Name");
		size = xml_text(a, b, "Content-Length");
		src = listed_size(size, &v->size);
		free(size);
		erc = listed_etag(a, b, &v->etag);
		if (!v->name || erc < 0 || src < 0) {
			/* Decided before the frees: a pointer freed is no value to test. */
			erc = !v->name ? -1 : erc < 0 ? erc : src;
			free(v->name);
			free(v->etag);
			return erc;
		}
		if (strlen(v->name) > BLOB_NAME_MAX) {
			free(v->name);
			free(v->etag);
			return -3;
		}
		l->n++;
		p = b + 7;
	}
	*marker = xml_text(xml->ptr ? xml->ptr : "", end, "NextMarker");
	if (*marker && strlen(*marker) > MARKER_MAX) {
		free(*marker);
		*marker = NULL;
		return -3;
	}
	if (*marker && !**marker) {
		free(*marker);
		*marker = NULL;
	}
	return 0;
}

/* The source split: the container's URL, the export folder inside it (ending in '/'), and the SAS. */
struct where {
	char *container; /* scheme://host[/account]/container */
	char *prefix;	 /* path/export/ */
	char *sas;	 /* the query without '?', or NULL */
	char *shown;	 /* the source without its query, as pb_url_redact shows it, for messages */
};

static void where_release(struct where *w)
{
	free(w->container);
	free(w->prefix);
	free(w->sas);
	free(w->shown);
}

/*
 * https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH: the container is the first path segment. Any other
 * host (the emulator, path-style: http://127.0.0.1:10000/ACCOUNT/CONTAINER/PATH) has the account first.
 */
static int split_source(const char *source, struct where *w, struct pb_buf *err)
{
	const char *q = strchr(source, '?'), *host, *path, *seg;
	size_t n = q ? (size_t)(q - source) : strlen(source);
	char *bare;
	int skip;

	memset(w, 0, sizeof(*w));
	while (n && source[n - 1] == '/')
		n--;
	bare = strndup(source, n);
	w->shown = bare ? pb_url_redact(bare) : NULL;
	free(bare);
	if (q && q[1])
		w->sas = strdup(q + 1);
	host = strstr(source, "://");
	if (!w->shown || (q && q[1] && !w->sas))
		goto nomem;
	if (!host || (strncmp(source, "https://", 8) != 0 && strncmp(source, "http://", 7) != 0))
		goto bad;
	host += 3;
	path = memchr(host, '/', n - (size_t)(host - source));
	if (!path)
		goto bad;
	skip = memmem(host, (size_t)(path - host), ".blob.", 6) ? 0 : 1;
	seg = path + 1;
	for (; skip >= 0; skip--) {
		seg = memchr(seg, '/', n - (size_t)(seg - source));
		if (!seg)
			goto bad;
		seg++;
	}
	w->container = strndup(source, (size_t)(seg - 1 - source));
	if (asprintf(&w->prefix, "%.*s/", (int)(n - (size_t)(seg - source)), seg) < 0)
		w->prefix = NULL;
	if (!w->container || !w->prefix)
		goto nomem;
	return 0;
bad:
	pb_buf_reset(err);
	pb_buf_addf(err,
		    "%s: not an export folder URL (https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH, or "
		    "http://HOST:PORT/ACCOUNT/CONTAINER/PATH for an emulator)",
		    w->shown ? w->shown : "the source");
	where_release(w);
	return -1;
nomem:
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	where_release(w);
	return -1;
}

/* container + "/" + blob name (encoded) + "?" + SAS; NULL when memory cannot be had. */
static char *blob_url(const struct where *w, const char *name)
{
	struct pb_buf b = PB_BUF_INIT;
	char *r;

	pb_buf_addstr(&b, w->container);
	pb_buf_addch(&b, '/');
	pb_http_add_path(&b, name);
	if (w->sas)
		pb_buf_addf(&b, "?%s", w->sas);
	r = b.failed ? NULL : strdup(pb_buf_str(&b));
	pb_buf_release(&b);
	return r;
}

/* The URL of blob name as messages show it: without the SAS signature. NULL: no memory. */
static char *shown_blob(const struct where *w, const char *name)
{
	char *url = blob_url(w, name), *shown = url ? pb_url_redact(url) : NULL;

	free(url);
	return shown;
}

/* Every blob under folder, following NextMarker. Returns 0, or an input error code with err set. */
static int list_blobs(const struct where *w, const char *folder, const struct pb_fetch_opts *fo, struct listing *l,
		      struct pb_buf *err)
{
	struct pb_buf url = PB_BUF_INIT, xml = PB_BUF_INIT;
	char *marker = NULL, **asked = NULL; /* every marker asked for, to see a circle of any length */
	size_t nasked = 0, i, most_pages = listing_max("PB_TEST_MAX_LISTING_PAGES", LISTING_MAX_PAGES);
	int rc = 0, prc;

	l->max = listing_max("PB_TEST_MAX_LISTING_BLOBS", LISTING_MAX_BLOBS);
	do {
		if (marker && nasked + 2 > most_pages) {
			/* The page asked for next (nasked + 2: the first had no marker) would be one too many. */
			pb_buf_reset(err);
			pb_url_add(err, w->container);
			pb_buf_addf(err, ": the listing of %s goes on past %zu pages (NextMarker ", folder, most_pages);
			pb_url_add_text(err, marker);
			pb_buf_addstr(err, "): no export's month has that many blobs");
			rc = PB_INPUT_ERR_REMOTE;
			break;
		}
		pb_buf_reset(&url);
		pb_buf_addf(&url, "%s?restype=container&comp=list&prefix=", w->container);
		pb_http_add_path(&url, folder);
		if (marker) {
			char **v = realloc(asked, (nasked + 1) * sizeof(*v));

			if (!v) {
				rc = -1;
				pb_buf_reset(err);
				pb_buf_addstr(err, "out of memory");
				break;
			}
			asked = v;
			asked[nasked++] = marker;
			pb_buf_addstr(&url, "&marker=");
			pb_http_add_path(&url, marker);
			marker = NULL;
		}
		if (w->sas)
			pb_buf_addf(&url, "&%s", w->sas);
		if (url.failed) {
			rc = -1;
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
			break;
		}
		rc = pb_input_slurp(pb_buf_str(&url), fo, LISTING_MAX, &xml, err);
		if (rc == 1) {
			pb_buf_reset(err);
			pb_url_add(err, w->container);
			pb_buf_addstr(err, ": no such container");
			rc = PB_INPUT_ERR_REMOTE;
		}
		if (rc != 0)
			break;
		prc = parse_listing(&xml, l, &marker);
		if (prc == -2) {
			pb_buf_reset(err);
			pb_url_add(err, w->container);
			pb_buf_addf(err,
				    ": the listing of %s holds more than %zu blobs: no export's month has that many",
				    folder, l->max);
			rc = PB_INPUT_ERR_REMOTE;
			break;
		}
		if (prc < 0) {
			pb_buf_reset(err);
			pb_url_add(err, w->container);
			pb_buf_addstr(err, ": not a blob listing");
			if (prc == -3)
				pb_buf_addf(err,
					    ": it names a blob of more than %d bytes or a NextMarker of more than %d",
					    BLOB_NAME_MAX, MARKER_MAX);
			else if (prc == -4)
				pb_buf_addf(
					err,
					": it gives a blob an ETag that is no entity tag (a blank, a control byte or a "
					"quote inside, or more than %d bytes)",
					PB_FETCH_ETAG_MAX);
			else if (prc == -5)
				pb_buf_addstr(err, ": it gives a blob a Content-Length that is no number of bytes");
			rc = -1;
			break;
		}
		/* A server paging in a circle would be asked for ever, the listing growing each time. */
		for (i = 0; marker && i < nasked && strcmp(marker, asked[i]) != 0; i++)
			;
		if (marker && i < nasked) {
			pb_buf_reset(err);
			pb_url_add(err, w->container);
			pb_buf_addstr(err, ": the listing's NextMarker (");
			pb_url_add_text(err, marker);
			pb_buf_addstr(err, ") was asked for already: it pages in a circle");
			rc = PB_INPUT_ERR_REMOTE;
			break;
		}
	} while (marker);
	for (i = 0; i < nasked; i++)
		free(asked[i]);
	free(asked);
	free(marker);
	pb_buf_release(&url);
	pb_buf_release(&xml);
	return rc;
}

static const struct blob *find_blob(const struct listing *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* One run's manifest, read. */
struct run_info {
	char *run_id, *submitted, *manifest;
	char **blobs;
	struct pb_part_decl *decl; /* what the manifest declares of each blob */
	struct pb_part_decl total; /* and of the whole run */
	size_t nblobs;
};

static void run_release(struct run_info *r)
{
	size_t i;

	free(r->run_id);
	free(r->submitted);
	free(r->manifest);
	for (i = 0; i < r->nblobs; i++)
		free(r->blobs[i]);
	free(r->blobs);
	free(r->decl);
	memset(r, 0, sizeof(*r));
}

/*
 * Compares two ISO 8601 UTC times as Azure writes them, with any number of fractional digits
 * ("...06:01:02Z" is before "...06:01:02.1234567Z"): negative, 0 or positive.
 */
static int time_cmp(const char *a, const char *b)
{
	size_t i = 0, j = 0;

	/* Up to the seconds the forms are fixed; then the fraction compares digit by digit, missing as 0. */
	while (a[i] && b[j] && a[i] != '.' && b[j] != '.' && a[i] != 'Z' && b[j] != 'Z') {
		if (a[i] != b[j])
			return (unsigned char)a[i] - (unsigned char)b[j];
		i++;
		j++;
	}
	if (a[i] == '.')
		i++;
	if (b[j] == '.')
		j++;
	for (;;) {
		int da = a[i] >= '0' && a[i] <= '9' ? a[i] - '0' : -1,
		    db = b[j] >= '0' && b[j] <= '9' ? b[j] - '0' : -1;

		if (da < 0 && db < 0)
			return 0;
		if ((da < 0 ? 0 : da) != (db < 0 ? 0 : db))
			return (da < 0 ? 0 : da) - (db < 0 ? 0 : db);
		i += da >= 0;
		j += db >= 0;
	}
}

static const char *jstr(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/*
 * Parses a run's manifest: root gets the document (release it) when it has blobs[], runInfo.runId and
 * runInfo.submittedTime. Returns 0, or -1 with err naming the manifest (shown).
 */
static int parse_manifest(const struct pb_buf *body, const char *shown, json_t **root, struct pb_buf *err)
{
	json_error_t jerr;
	const char *id;

	*root = json_loadb(body->ptr ? body->ptr : "", body->len, JSON_REJECT_DUPLICATES, &jerr);
	id = jstr(*root, "runInfo", "runId");
	if (*root && json_is_array(json_object_get(*root, "blobs")) && id && *id &&
	    jstr(*root, "runInfo", "submittedTime"))
		return 0;
	pb_buf_reset(err);
	if (!*root)
		pb_buf_addf(err, "%s:%d:%d: not an export manifest: %s", shown, jerr.line, jerr.column, jerr.text);
	else
		pb_buf_addf(err,
			    "%s: not an export manifest: it needs blobs[], runInfo.runId and runInfo.submittedTime",
			    shown);
	json_decref(*root);
	*root = NULL;
	return -1;
}

/*
 * A blob a manifest lists: in the run's folder (the manifest's, folder_len bytes of name) and listed once (also as a
 * name that differs only in runs of '/', a//b and a/b: pb_manifest_same_part), else -1 with err set.
 */
static int check_blob_place(const struct run_info *r, const char *bn, size_t i, const char *shown, const char *name,
			    size_t folder_len, struct pb_buf *err)
{
	size_t j;

	for (j = 0; j < r->nblobs && !pb_manifest_same_part(r->blobs[j], bn); j++)
		;
	if (j == r->nblobs && strncmp(bn, name, folder_len) == 0)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "%s: blobs[%zu] (%s) ", shown, i, bn);
	if (j < r->nblobs)
		pb_buf_addf(err, "is blobs[%zu] again: its lines would count twice", j);
	else
		pb_buf_addf(err, "is not in the run's folder %.*s", (int)folder_len, name);
	return -1;
}

/*
 * Checks the manifest's blobs (of the manifest blob name) against the listing and keeps their names in r.
 * Returns 0, 1 when the run is incomplete (why says why), or -1 with err set.
 */
static int check_blobs(json_t *blobs, const char *shown, const char *name, const char *id, const struct listing *l,
		       struct run_info *r, struct pb_buf *why, struct pb_buf *err)
{
	const char *slash = strrchr(name, '/');
	size_t folder_len = slash ? (size_t)(slash - name + 1) : 0;
	json_t *v;
	size_t i;

	r->blobs = calloc(json_array_size(blobs) + 1, sizeof(*r->blobs));
	r->decl = calloc(json_array_size(blobs) + 1, sizeof(*r->decl));
	if (!r->blobs || !r->decl)
		goto nomem;
	json_array_foreach(blobs, i, v)
	{
		const char *bn = jstr(v, "blobName", NULL);
		struct pb_part_decl *d = &r->decl[i];
		const struct blob *b;

		if (!bn || !*bn) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: blobs[%zu] has no blobName", shown, i);
			return -1;
		}
		if (pb_manifest_figure(v, "byteCount", PB_DECL_BYTES, d) < 0 ||
		    pb_manifest_figure(v, "dataRowCount", PB_DECL_ROWS, d) < 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: blobs[%zu] (%s): byteCount and dataRowCount must be whole numbers", shown,
				    i, bn);
			return -1;
		}
		if (check_blob_place(r, bn, i, shown, name, folder_len, err) < 0)
			return -1;
		b = find_blob(l, bn);
		if (!b || ((d->declared & PB_DECL_BYTES) && (b->size < 0 || d->bytes != (uint64_t)b->size))) {
			pb_buf_addf(why, "%s: run %s is incomplete: %s is %s", shown, id, bn,
				    b ? "not the size the manifest gives" : "missing");
			return 1;
		}
		r->blobs[r->nblobs] = strdup(bn);
		if (!r->blobs[r->nblobs])
			goto nomem;
		r->nblobs++;
	}
	return 0;
nomem:
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return -1;
}

/*
 * The figures a manifest declares of the whole run: byteCount and dataRowCount (checked against what is
 * read), blobCount (against its blobs[]). Returns 0, or -1 with err set.
 */
static int check_totals(json_t *root, const char *shown, struct run_info *r, struct pb_buf *err)
{
	json_t *bc = json_object_get(root, "blobCount");

	if (pb_manifest_figure(root, "byteCount", PB_DECL_BYTES, &r->total) < 0 ||
	    pb_manifest_figure(root, "dataRowCount", PB_DECL_ROWS, &r->total) < 0 ||
	    (bc && (!json_is_integer(bc) || json_integer_value(bc) < 0))) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: byteCount, dataRowCount and blobCount must be whole numbers", shown);
		return -1;
	}
	if (bc && (uint64_t)json_integer_value(bc) != r->nblobs) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: the manifest declares %lld blobs (blobCount) but lists %zu", shown,
			    (long long)json_integer_value(bc), r->nblobs);
		return -1;
	}
	return 0;
}

/*
 * Reads the manifest of a run and checks it against the listing. Returns 0 (complete: *r filled), 1
 * (incomplete or for another month: skipped, *why says why), or an input error code with err set.
 */
static int read_run(const struct where *w, const char *name, int32_t month, const struct listing *l,
		    const struct pb_fetch_opts *fo, struct run_info *r, struct pb_buf *why, struct pb_buf *err)
{
	struct pb_buf body = PB_BUF_INIT;
	struct pb_fetch_opts bound;
	const struct blob *listed;
	json_t *root = NULL;
	char *url = blob_url(w, name), *shown = NULL;
	const char *start;
	enum pb_date_case dc;
	int32_t day;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!url || !(shown = shown_blob(w, name)))
		goto nomem;
	/* The manifest read is the one listed: a run rewritten since is read again by a retry, which lists again. */
	bound = *fo;
	listed = find_blob(l, name);
	bound.if_match = listed ? listed->etag : NULL;
	rc = pb_input_slurp(url, &bound, MANIFEST_MAX, &body, err);
	if (rc == 1)
		pb_buf_addf(why, "%s: gone while it was read", shown);
	if (rc != 0 || (rc = parse_manifest(&body, shown, &root, err)) < 0)
		goto out;
	start = jstr(root, "runInfo", "startDate");
	dc = start ? pb_date_read_iso(start, strlen(start), &day) : PB_DATE_MALFORMED;
	if (dc == PB_DATE_BEFORE_FIRST || dc == PB_DATE_PAST_CALENDAR) {
		rc = -1;
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: ", shown);
		pb_date_range_add(err, dc, "timestamp", start, strlen(start), "member", "runInfo.startDate");
		goto out;
	}
	/* A date given but not read says nothing of the run's month: it is not taken for the folder's. */
	if (start && dc == PB_DATE_MALFORMED) {
		rc = -1;
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: ", shown);
		pb_bad_value_add(err, "timestamp", start, strlen(start), "member", "runInfo.startDate");
		goto out;
	}
	if (dc != PB_DATE_MALFORMED && pb_date_month_start(day) != month) {
		rc = 1;
		pb_buf_addf(why, "%s: the run starts %.10s, outside the month", shown, start);
		goto out;
	}
	r->run_id = strdup(jstr(root, "runInfo", "runId"));
	r->submitted = strdup(jstr(root, "runInfo", "submittedTime"));
	if (!r->run_id || !r->submitted)
		goto nomem;
	rc = check_blobs(json_object_get(root, "blobs"), shown, name, r->run_id, l, r, why, err);
	if (rc != 0 || (rc = check_totals(root, shown, r, err)) != 0)
		goto out;
	r->manifest = strdup(shown);
	if (r->manifest)
		goto out;
nomem:
	rc = -1;
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
out:
	/* A run of the month skipped as incomplete keeps its runId and submittedTime: see pb_azure_export_load. */
	if (rc < 0 || (rc == 1 && !r->run_id))
		run_release(r);
	json_decref(root);
	pb_buf_release(&body);
	free(url);
	free(shown);
	return rc;
}

struct run_seen {
	char *manifest; /* its blob name */
	char *run_id;
};

struct runs_seen {
	struct run_seen *v;
	size_t n;
};

static void runs_release(struct runs_seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].manifest);
		free(s->v[i].run_id);
	}
	free(s->v);
}

/*
 * Notes that the manifest name gives run_id. The run id is what an import records and what "committed already"
 * compares, so two manifests of one run are bad data, whichever is complete. Returns 0, or PB_ERR_DATA with err
 * naming both (or saying that memory ran out).
 */
static int same_run(const struct where *w, struct runs_seen *s, const char *name, const char *run_id,
		    struct pb_buf *err)
{
	struct run_seen *v;
	char *a, *b;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].run_id, run_id) != 0)
			continue;
		a = shown_blob(w, name);
		b = shown_blob(w, s->v[i].manifest);
		pb_buf_reset(err);
		if (a && b)
			pb_buf_addf(err, "%s: runId %s is the run of %s too: one run cannot have two manifests", a,
				    run_id, b);
		else
			pb_buf_addstr(err, "out of memory");
		free(a);
		free(b);
		return PB_ERR_DATA;
	}
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		goto nomem;
	s->v = v;
	v[s->n].manifest = strdup(name);
	v[s->n].run_id = strdup(run_id);
	if (!v[s->n].manifest || !v[s->n].run_id) {
		free(v[s->n].manifest);
		free(v[s->n].run_id);
		goto nomem;
	}
	s->n++;
	return 0;
nomem:
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return PB_ERR_DATA;
}

/* Keeps the runId and submittedTime of a run of the month skipped as incomplete (moved out of r). -1: no memory. */
static int keep_skipped(struct pb_manifest *m, struct run_info *r)
{
	char **ids = realloc(m->newer_runs, (m->nnewer + 1) * sizeof(*ids)), **times;

	if (!ids)
		return -1;
	m->newer_runs = ids;
	times = realloc(m->newer_submitted, (m->nnewer + 1) * sizeof(*times));
	if (!times)
		return -1;
	m->newer_submitted = times;
	ids[m->nnewer] = r->run_id;
	times[m->nnewer] = r->submitted;
	r->run_id = r->submitted = NULL;
	m->nnewer++;
	return 0;
}

/* Of the runs skipped, keeps those submitted after the run chosen (submitted then), which it must not replace. */
static void keep_newer(struct pb_manifest *m, const char *submitted)
{
	size_t i, k = 0;

	for (i = 0; i < m->nnewer; i++) {
		if (time_cmp(m->newer_submitted[i], submitted) > 0) {
			m->newer_runs[k] = m->newer_runs[i];
			m->newer_submitted[k++] = m->newer_submitted[i];
		} else {
			free(m->newer_runs[i]);
			free(m->newer_submitted[i]);
		}
	}
	m->nnewer = k;
}

int pb_azure_export_load(struct pb_manifest *m, const char *source, int32_t month, const struct pb_fetch_opts *fo,
			 FILE *notes, struct pb_buf *err)
{
	struct where w;
	struct listing l = {NULL, 0, 0, 0};
	struct run_info best, cur;
	struct pb_buf folder = PB_BUF_INIT, why = PB_BUF_INIT;
	struct runs_seen seen = {NULL, 0}; /* the manifests of the month read, with their runId */
	char first[11], last[11];
	int y, mo, d, rc;
	size_t i, k;

	memset(m, 0, sizeof(*m));
	memset(&best, 0, sizeof(best));
	if (split_source(source, &w, err) < 0)
		return -2;
	pb_date_to_ymd(month, &y, &mo, &d);
	pb_date_format(month, first);
	pb_date_format((mo == 12 ? pb_date_from_ymd(y + 1, 1, 1) : pb_date_from_ymd(y, mo + 1, 1)) - 1, last);
	pb_buf_addf(&folder, "%s%.4s%.2s%.2s-%.4s%.2s%.2s/", w.prefix, first, first + 5, first + 8, last, last + 5,
		    last + 8);
	rc = list_blobs(&w, pb_buf_str(&folder), fo, &l, err);
	if (rc != 0)
		goto out;
	pb_test_pause("listed");
	for (i = 0; i < l.n; i++) {
		const char *rel = l.v[i].name + folder.len;

		/* FOLDER/<runId>/manifest.json */
		if (strncmp(l.v[i].name, pb_buf_str(&folder), folder.len) != 0 || strchr(rel, '/') == NULL ||
		    strcmp(strchr(rel, '/'), "/manifest.json") != 0)
			continue;
		pb_buf_reset(&why);
		rc = read_run(&w, l.v[i].name, month, &l, fo, &cur, &why, err);
		if (rc < 0)
			goto out;
		if (cur.run_id && same_run(&w, &seen, l.v[i].name, cur.run_id, err) != 0) {
			run_release(&cur);
			rc = PB_ERR_DATA;
			goto out;
		}
		if (rc == 1) {
			if (notes)
				fprintf(notes, "pb-ingest: %s (skipped)\n", pb_buf_str(&why));
			rc = cur.run_id ? keep_skipped(m, &cur) : 0;
			run_release(&cur);
			if (rc < 0)
				goto nomem;
			continue;
		}
		if (!best.run_id || time_cmp(cur.submitted, best.submitted) > 0) {
			run_release(&best);
			best = cur;
		} else {
			run_release(&cur);
		}
	}
	if (!best.run_id) {
		rc = 1;
		pb_buf_reset(err);
		pb_buf_addf(err, "no complete export run for %.7s at %s/%.*s", first, w.shown,
			    (int)(folder.len - strlen(w.prefix) - 1), pb_buf_str(&folder) + strlen(w.prefix));
		goto out;
	}
	keep_newer(m, best.submitted);
	m->url = best.manifest;
	m->assembly_id = best.run_id;
	m->submitted = best.submitted;
	best.manifest = best.run_id = best.submitted = NULL;
	m->period_start = month;
	m->decl = best.decl;
	m->total = best.total;
	best.decl = NULL;
	m->parts = calloc(best.nblobs + 1, sizeof(*m->parts));
	m->etags = calloc(best.nblobs + 1, sizeof(*m->etags));
	if (!m->parts || !m->etags)
		goto nomem;
	for (k = 0; k < best.nblobs; k++) {
		const struct blob *b = find_blob(&l, best.blobs[k]);

		m->parts[k] = blob_url(&w, best.blobs[k]);
		m->etags[k] = b && b->etag ? strdup(b->etag) : NULL;
		if (!m->parts[k] || (b && b->etag && !m->etags[k])) {
			free(m->parts[k]);
			free(m->etags[k]);
			goto nomem;
		}
		m->nparts++;
	}
	rc = 0;
	goto out;
nomem:
	rc = -1;
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
out:
	if (rc != 0)
		pb_manifest_release(m);
	run_release(&best);
	listing_release(&l);
	runs_release(&seen);
	where_release(&w);
	pb_buf_release(&folder);
	pb_buf_release(&why);
	return rc;
}

char *pb_azure_export_source(const char *source)
{
	size_t n = strcspn(source, "?");

	while (n && source[n - 1] == '/')
		n--;
	return strndup(source, n);
}
