/*
 * The reduction. Each text column is interned into a small dictionary, so a row's key is seven
 * integers; the rows live in one array addressed by an open-addressing table whose slots carry a hash
 * fingerprint, so a probe touches the row only when it is very likely the one sought. The working set
 * stays small enough for the caches at a few hundred thousand daily rows.
 */
#include "reduce.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "hash.h"
#include "text.h"
#include "table.h"

#include "banned.h"

#define ARENA_BLOCK ((size_t)1 << 20)
/* The runs merged into one at a time, and so at most this many of each level before the walk (compact). */
#define RUN_FANIN 16
#define MAX_TEXT 65535

enum { COL_ACCOUNT, COL_CATEGORY, COL_CHARGE_TYPE, COL_SERVICE, COL_REGION, COL_CURRENCY, NCOLS };

struct block {
	struct block *next;
	size_t used, size;
	char data[];
};

/* Distinct values of one text column; ids index texts. */
struct dict {
	uint64_t *slots; /* (hash << 32) | (id + 1); 0 is empty */
	size_t nslots;
	struct pb_text *texts;
	uint64_t *hashes;
	size_t n, alloc;
	uint32_t last_id; /* the previous lookup, tried first */
	int have_last;
};

struct key {
	int32_t billing_month, usage_date;
	uint32_t id[NCOLS];
	uint32_t list_source, pad; /* PB_GRAIN_STORE: where the list cost came from (pad stays 0) */
	int64_t price_load;
};

/* The last text checked per column outside the dictionaries (the accounts grain): lines repeat it. */
struct checked {
	char text[64];
	size_t len;
};

struct entry {
	struct key key;
	pb_money list, billed;
	uint64_t lines, list_lines, billed_lines;
};

/*
 * A sorted run spilled to the file: each row a record (struct record, then its six texts, each followed by a
 * NUL), so that a run needs no dictionary to be read back. The part of it read back while walking is in buf,
 * and the record the walk is at decoded in cur.
 */
struct spill_run {
	uint64_t next, end; /* the file's offset of the next byte to read, and of the run's end */
	uint64_t start;	    /* the file's offset of the run's first byte */
	uint64_t records;   /* the rows in it */
	unsigned level;	    /* 0 when spilled from memory; n + 1 when RUN_FANIN runs of level n were merged into it */
	char *buf;
	size_t cap, have, at; /* buf's size, the bytes in it, and where the current record starts */
	size_t size;	      /* the current record's bytes */
	struct pb_daily cur;
};

struct record {
	int32_t billing_month, usage_date;
	uint32_t list_source;
	uint16_t len[NCOLS];
	int64_t price_load;
	pb_money list, billed;
	uint64_t lines, list_lines, billed_lines;
};

/* The walk over the rows in order: the entries in memory, in order, merged with the spilled runs. */
struct walk {
	uint32_t *rank[NCOLS]; /* each column's text ids in bytewise order */
	uint32_t *order;       /* the entries in memory, in order */
	size_t at;
	struct pb_daily mem; /* the entry in memory the walk is at, when there are runs */
	size_t *heap;	     /* sources (runs, then memory as nruns) by their current row */
	size_t nheap;
	int started;
	/* The texts of the rows given, two rows apart: a row stays whole until the next one is asked for. */
	char *text[2];
	size_t text_cap[2];
	int flip;
};

struct pb_reduce {
	enum pb_reduce_grain grain;
	struct dict dicts[NCOLS];
	struct entry *entries;
	size_t n, alloc;
	size_t last;	 /* the entry pb_reduce_add added to last, + 1; 0: none */
	uint64_t *slots; /* (hash << 32) | (entry index + 1) */
	size_t nslots;
	struct block *arena;
	struct pb_daily *rows;
	const struct pb_daily **sorted;
	pb_money list_total, billed_total;
	uint64_t lines;
	struct checked checked[NCOLS];
	/* When cap is set: rows per account (by its id), and the lines left out past the cap. */
	size_t cap;
	uint32_t *per_account;
	size_t per_account_alloc;
	uint64_t capped_lines, capped_rows;
	/* After PB_REDUCE_ERR_TEXT: the bad byte, inside the caller's text, and why. */
	const char *bad_at, *bad_why;
	int merging; /* texts from another reduction were checked there */
	/* When max_entries is set: past it, the entries are sorted and spilled to a temporary file. */
	size_t max_entries;
	char *spill_dir;
	int spill_fd;
	int spill_failed;	/* the temporary file could not be made or written */
	int spill_errno;	/* and why (errno) */
	char *spill_where;	/* the folder of the temporary file, or the first one tried */
	uint64_t spill_records; /* the rows in the runs */
	uint64_t spills;	/* the runs spilled from memory, merged since or not */
	uint64_t spill_bytes;	/* the file's size: the runs, one after another */
	struct spill_run *runs;
	size_t nruns;
	/*
	 * The dictionaries' bytes (texts, arrays and tables) and, when max_entries is set, their bound: past it,
	 * the entries are spilled and the dictionaries start over (not with a cap, whose counts are by account id).
	 */
	size_t dict_bytes, max_dict, arena_block;
	uint64_t dict_resets;
	struct walk walk;
};

static char *arena_alloc(struct pb_reduce *r, size_t n)
{
	struct block *b = r->arena;

	if (!b || b->size - b->used < n) {
		size_t block = r->arena_block ? r->arena_block : ARENA_BLOCK, size = n > block ? n : block;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		r->dict_bytes += sizeof(*b) + size;
		b->next = r->arena;
		b->used = 0;
		b->size = size;
		r->arena = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

static int dict_grow(struct pb_reduce *r, struct dict *d)
{
	size_t nslots = d->nslots ? d->nslots * 2 : 64, i, j;
	uint64_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -1;
	r->dict_bytes += (nslots - d->nslots) * sizeof(*slots);
	for (i = 0; i < d->n; i++) {
		j = d->hashes[i] & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = (d->hashes[i] >> 32 << 32) | (uint64_t)(i + 1);
	}
	free(d->slots);
	d->slots = slots;
	d->nslots = nslots;
	return 0;
}

/* 1 when t is not text the database takes (see text.h), with where and why kept in r. */
static int text_bad(struct pb_reduce *r, const struct pb_text *t)
{
	size_t at;
	const char *why;

	if (pb_text_check(t->ptr, t->len, &at, &why) == 0)
		return 0;
	r->bad_at = t->ptr + at;
	r->bad_why = why;
	return 1;
}

/* The id of t (whose hash is h) in d, or -1 with *slot set to the empty slot where it would go. */
static long probe(const struct dict *d, const struct pb_text *t, uint64_t h, size_t *slot)
{
	uint64_t want = h >> 32 << 32;
	size_t j;

	for (j = h & (d->nslots - 1); d->slots[j]; j = (j + 1) & (d->nslots - 1)) {
		if ((d->slots[j] & 0xFFFFFFFF00000000ULL) == want) {
			uint32_t id = (uint32_t)(d->slots[j] & 0xFFFFFFFFu) - 1;
			const struct pb_text *x = &d->texts[id];

			/* An empty text may come without a pointer: memcmp wants one. */
			if (x->len == t->len && (!t->len || memcmp(x->ptr, t->ptr, t->len) == 0))
				return id;
		}
	}
	*slot = j;
	return -1;
}

/* The id of t in d, or -1 when d does not hold it; nothing is added. */
static long dict_find(const struct dict *d, const struct pb_text *t)
{
	size_t slot;

	if (!d->nslots)
		return -1;
	return probe(d, t, pb_hash_bytes(t->ptr, t->len), &slot);
}

/*
 * The id of t in d, adding it (copied into the arena) when new; PB_REDUCE_ERR_NOMEM, or
 * PB_REDUCE_ERR_TEXT for a new text that is not valid UTF-8 or holds a NUL byte.
 */
static long intern(struct pb_reduce *r, struct dict *d, const struct pb_text *t)
{
	static const struct pb_text empty = {"", 0};
	uint64_t h, want;
	size_t j;
	long id;
	char *copy;

	/* An empty text may come without a pointer; memcmp and memcpy want one. */
	if (!t->ptr)
		t = &empty;
	if (d->have_last) {
		const struct pb_text *l = &d->texts[d->last_id];

		if (l->len == t->len && memcmp(l->ptr, t->ptr, t->len) == 0)
			return d->last_id;
	}
	if ((d->n + 1) * 2 > d->nslots && dict_grow(r, d) < 0)
		return PB_REDUCE_ERR_NOMEM;
	h = pb_hash_bytes(t->ptr, t->len);
	want = h >> 32 << 32;
	id = probe(d, t, h, &j);
	if (id >= 0) {
		d->last_id = (uint32_t)id;
		d->have_last = 1;
		return id;
	}
	if (!r->merging && text_bad(r, t))
		return PB_REDUCE_ERR_TEXT;
	if (d->n == d->alloc) {
		size_t alloc = d->alloc ? d->alloc * 2 : 64;
		struct pb_text *texts = realloc(d->texts, alloc * sizeof(*texts));
		uint64_t *hashes;

		if (!texts)
			return PB_REDUCE_ERR_NOMEM;
		d->texts = texts;
		hashes = realloc(d->hashes, alloc * sizeof(*hashes));
		if (!hashes)
			return PB_REDUCE_ERR_NOMEM;
		d->hashes = hashes;
		r->dict_bytes += (alloc - d->alloc) * (sizeof(*texts) + sizeof(*hashes));
		d->alloc = alloc;
	}
	copy = arena_alloc(r, t->len + 1);
	if (!copy)
		return PB_REDUCE_ERR_NOMEM;
	memcpy(copy, t->ptr, t->len);
	copy[t->len] = '\0';
	d->texts[d->n].ptr = copy;
	d->texts[d->n].len = t->len;
	d->hashes[d->n] = h;
	d->slots[j] = want | (uint64_t)(d->n + 1);
	d->last_id = (uint32_t)d->n;
	d->have_last = 1;
	return (long)d->n++;
}

struct pb_reduce *pb_reduce_new(enum pb_reduce_grain grain)
{
	struct pb_reduce *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->grain = grain;
	r->spill_fd = -1;
	r->nslots = 1024;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	if (!r->slots) {
		pb_reduce_free(r);
		return NULL;
	}
	return r;
}

/* Frees the dictionaries and their texts, and starts them over empty. */
static void dicts_release(struct pb_reduce *r)
{
	struct block *b, *next;
	int i;

	for (b = r->arena; b; b = next) {
		next = b->next;
		free(b);
	}
	r->arena = NULL;
	for (i = 0; i < NCOLS; i++) {
		free(r->dicts[i].slots);
		free(r->dicts[i].texts);
		free(r->dicts[i].hashes);
	}
	memset(r->dicts, 0, sizeof(r->dicts));
	r->dict_bytes = 0;
}

void pb_reduce_free(struct pb_reduce *r)
{
	int i;

	if (!r)
		return;
	dicts_release(r);
	for (i = 0; i < NCOLS; i++)
		free(r->walk.rank[i]);
	free(r->walk.order);
	free(r->walk.heap);
	free(r->walk.text[0]);
	free(r->walk.text[1]);
	for (size_t k = 0; k < r->nruns; k++)
		free(r->runs[k].buf);
	free(r->runs);
	free(r->spill_dir);
	free(r->spill_where);
	if (r->spill_fd >= 0)
		close(r->spill_fd);
	free(r->entries);
	free(r->per_account);
	free(r->slots);
	free(r->rows);
	free(r->sorted);
	free(r);
}

static uint64_t hash_key(const struct key *k)
{
	uint64_t a, b, c, d, e;

	memcpy(&a, &k->billing_month, 8);
	memcpy(&b, &k->id[0], 8);
	memcpy(&c, &k->id[2], 8);
	memcpy(&d, &k->id[4], 8);
	e = (uint64_t)k->list_source ^ ((uint64_t)k->price_load << 2);
	return pb_hash_mix(pb_hash_mix(pb_hash_mix(pb_hash_mix(pb_hash_mix(a) ^ b) ^ c) ^ d) ^ e);
}

static int grow_slots(struct pb_reduce *r)
{
	size_t nslots = r->nslots * 2, i, j;
	uint64_t *slots = pb_table_calloc(nslots, sizeof(*slots));

	if (!slots)
		return -1;
	for (i = 0; i < r->n; i++) {
		uint64_t h = hash_key(&r->entries[i].key);

		j = h & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = (h >> 32 << 32) | (uint64_t)(i + 1);
	}
	free(r->slots);
	r->slots = slots;
	r->nslots = nslots;
	return 0;
}

/* Each column's text ids ranked in bytewise order, so that entries compare as their texts do. */
static int cmp_text_ids(const void *pa, const void *pb, void *arg)
{
	const struct dict *d = arg;
	const struct pb_text *a = &d->texts[*(const uint32_t *)pa], *b = &d->texts[*(const uint32_t *)pb];
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->ptr, b->ptr, n) : 0;

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int rank_texts(struct pb_reduce *r)
{
	uint32_t *ids = NULL;
	int i;

	for (i = 0; i < NCOLS; i++) {
		const struct dict *d = &r->dicts[i];
		uint32_t *rank = realloc(r->walk.rank[i], (d->n ? d->n : 1) * sizeof(*rank));
		size_t k;

		if (!rank)
			goto fail;
		r->walk.rank[i] = rank;
		ids = malloc((d->n ? d->n : 1) * sizeof(*ids));
		if (!ids)
			goto fail;
		for (k = 0; k < d->n; k++)
			ids[k] = (uint32_t)k;
		qsort_r(ids, d->n, sizeof(*ids), cmp_text_ids, (void *)d);
		for (k = 0; k < d->n; k++)
			rank[ids[k]] = (uint32_t)k;
		free(ids);
		ids = NULL;
	}
	return 0;
fail:
	free(ids);
	return -1;
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

/* The order of pb_reduce_sorted, by the ranks of the texts (rank_texts). */
static int cmp_entry(const struct pb_reduce *r, const struct entry *a, const struct entry *b)
{
	static const int cols[] = {COL_CATEGORY, COL_CHARGE_TYPE, COL_SERVICE, COL_REGION, COL_CURRENCY};
	uint32_t *const *rank = r->walk.rank;
	int c = cmp_u32(rank[COL_ACCOUNT][a->key.id[COL_ACCOUNT]], rank[COL_ACCOUNT][b->key.id[COL_ACCOUNT]]);
	size_t i;

	if (c)
		return c;
	if (a->key.usage_date != b->key.usage_date)
		return a->key.usage_date < b->key.usage_date ? -1 : 1;
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		c = cmp_u32(rank[cols[i]][a->key.id[cols[i]]], rank[cols[i]][b->key.id[cols[i]]]);
		if (c)
			return c;
	}
	if (a->key.billing_month != b->key.billing_month)
		return a->key.billing_month < b->key.billing_month ? -1 : 1;
	if (a->key.list_source != b->key.list_source)
		return a->key.list_source < b->key.list_source ? -1 : 1;
	if (a->key.price_load != b->key.price_load)
		return a->key.price_load < b->key.price_load ? -1 : 1;
	return 0;
}

static int cmp_order(const void *pa, const void *pb, void *arg)
{
	const struct pb_reduce *r = arg;

	return cmp_entry(r, &r->entries[*(const uint32_t *)pa], &r->entries[*(const uint32_t *)pb]);
}

/* The bits that hold the values 0 .. n-1. */
static int bits_for(uint64_t n)
{
	int b = 0;

	while (b < 64 && n > ((uint64_t)1 << b))
		b++;
	return b;
}

static int cmp_u128(const void *pa, const void *pb)
{
	unsigned __int128 a, b;

	memcpy(&a, pa, sizeof(a));
	memcpy(&b, pb, sizeof(b));
	return a < b ? -1 : a > b;
}

/*
 * The order of the entries in memory as one 128-bit number each: the fields of cmp_entry in its order, each
 * in as few bits as its values in the table need (ranks, dates less the least one), then the entry's index.
 * Sorting these numbers sorts the entries as cmp_entry would, without reading the entries again. 0 when
 * they do not fit (then cmp_order sorts), 1 when order is filled, -1 when memory cannot be had.
 */
static int order_packed(struct pb_reduce *r, uint32_t *order)
{
	static const int cols[] = {COL_CATEGORY, COL_CHARGE_TYPE, COL_SERVICE, COL_REGION, COL_CURRENCY};
	int32_t dmin = INT32_MAX, dmax = INT32_MIN, mmin = INT32_MAX, mmax = INT32_MIN;
	int64_t pmin = INT64_MAX, pmax = INT64_MIN;
	uint32_t smax = 0;
	int w[NCOLS], wd, wm, ws, wp, wi, total, c;
	unsigned __int128 *keys;
	size_t i, k;

	if (!r->n)
		return 1;
	for (i = 0; i < r->n; i++) {
		const struct key *e = &r->entries[i].key;

		dmin = e->usage_date < dmin ? e->usage_date : dmin;
		dmax = e->usage_date > dmax ? e->usage_date : dmax;
		mmin = e->billing_month < mmin ? e->billing_month : mmin;
		mmax = e->billing_month > mmax ? e->billing_month : mmax;
		pmin = e->price_load < pmin ? e->price_load : pmin;
		pmax = e->price_load > pmax ? e->price_load : pmax;
		smax = e->list_source > smax ? e->list_source : smax;
	}
	for (c = 0; c < NCOLS; c++)
		w[c] = bits_for(r->dicts[c].n);
	wd = bits_for((uint64_t)((int64_t)dmax - dmin) + 1);
	wm = bits_for((uint64_t)((int64_t)mmax - mmin) + 1);
	ws = bits_for((uint64_t)smax + 1);
	if ((uint64_t)pmax - (uint64_t)pmin == UINT64_MAX)
		return 0;
	wp = bits_for((uint64_t)pmax - (uint64_t)pmin + 1);
	wi = bits_for(r->n);
	total = wd + wm + ws + wp + wi;
	for (c = 0; c < NCOLS; c++)
		total += w[c];
	if (total > 128)
		return 0;
	keys = malloc(r->n * sizeof(*keys));
	if (!keys)
		return -1;
	for (i = 0; i < r->n; i++) {
		const struct key *e = &r->entries[i].key;
		unsigned __int128 x = r->walk.rank[COL_ACCOUNT][e->id[COL_ACCOUNT]];

		x = (x << wd) | (uint32_t)((int64_t)e->usage_date - dmin);
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			x = (x << w[cols[k]]) | r->walk.rank[cols[k]][e->id[cols[k]]];
		x = (x << wm) | (uint32_t)((int64_t)e->billing_month - mmin);
		x = (x << ws) | e->list_source;
		x = (x << wp) | ((uint64_t)e->price_load - (uint64_t)pmin);
		keys[i] = (x << wi) | i;
	}
	qsort(keys, r->n, sizeof(*keys), cmp_u128);
	for (i = 0; i < r->n; i++)
		order[i] = (uint32_t)(keys[i] & (((unsigned __int128)1 << wi) - 1));
	free(keys);
	return 1;
}

/* The entries in memory, in order, in r->walk.order. */
static int order_entries(struct pb_reduce *r)
{
	uint32_t *order;
	size_t i;
	int rc;

	if (rank_texts(r) < 0)
		return -1;
	order = realloc(r->walk.order, (r->n ? r->n : 1) * sizeof(*order));
	if (!order)
		return -1;
	r->walk.order = order;
	rc = order_packed(r, order);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		for (i = 0; i < r->n; i++)
			order[i] = (uint32_t)i;
		qsort_r(order, r->n, sizeof(*order), cmp_order, r);
	}
	return 0;
}

/* Notes a failure of the temporary file, with the errno of the call that failed (the first one kept). -1. */
static int spill_fail(struct pb_reduce *r, int err)
{
	if (!r->spill_errno)
		r->spill_errno = err ? err : EIO;
	r->spill_failed = 1;
	return -1;
}

/* The temporary file of the spilled runs: made in spill_dir (else $TMPDIR, else /tmp), unlinked at once. */
static int spill_open(struct pb_reduce *r)
{
	const char *tmp = getenv("TMPDIR");
	const char *dirs[3] = {r->spill_dir, tmp && *tmp ? tmp : "/tmp", "/tmp"};
	char path[4096];
	int i, first = 0;

	for (i = 0; i < 3 && r->spill_fd < 0; i++) {
		if (!dirs[i])
			continue;
		if (i == 0)
			mkdir(dirs[i], 0700);
		if (snprintf(path, sizeof(path), "%s/pb-ingest-spill-XXXXXX", dirs[i]) >= (int)sizeof(path))
			continue;
		r->spill_fd = mkostemp(path, O_CLOEXEC);
		if (r->spill_fd >= 0) {
			unlink(path);
			free(r->spill_where);
			r->spill_where = strdup(dirs[i]);
		} else if (!first++) {
			free(r->spill_where);
			r->spill_where = strdup(dirs[i]);
			r->spill_errno = errno;
		}
	}
	if (r->spill_fd < 0)
		return spill_fail(r, r->spill_errno);
	r->spill_errno = 0;
	return 0;
}

static int write_all(int fd, const void *p, size_t n, uint64_t off)
{
	const char *c = p;

	while (n) {
		ssize_t w = pwrite(fd, c, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		c += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* d's texts, in the order of the key's columns. */
static void daily_texts(const struct pb_daily *d, const struct pb_text *t[NCOLS])
{
	t[COL_ACCOUNT] = &d->account;
	t[COL_CATEGORY] = &d->category;
	t[COL_CHARGE_TYPE] = &d->charge_type;
	t[COL_SERVICE] = &d->service;
	t[COL_REGION] = &d->region;
	t[COL_CURRENCY] = &d->currency;
}

/* The bytes of d's record in a run: the record, then each text and a NUL. */
static size_t record_size(const struct pb_daily *d)
{
	const struct pb_text *t[NCOLS];
	size_t n = sizeof(struct record);
	int c;

	daily_texts(d, t);
	for (c = 0; c < NCOLS; c++)
		n += t[c]->len + 1;
	return n;
}

/* Writes d's record at p (record_size bytes). */
static void record_put(const struct pb_daily *d, char *p)
{
	const struct pb_text *t[NCOLS];
	struct record h;
	int c;

	daily_texts(d, t);
	memset(&h, 0, sizeof(h));
	h.billing_month = d->billing_month;
	h.usage_date = d->usage_date;
	h.list_source = (uint32_t)d->list_source;
	h.price_load = d->price_load;
	h.list = d->list_cost;
	h.billed = d->billed_cost;
	h.lines = d->line_count;
	h.list_lines = d->list_lines;
	h.billed_lines = d->billed_lines;
	for (c = 0; c < NCOLS; c++)
		h.len[c] = (uint16_t)t[c]->len;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (c = 0; c < NCOLS; c++) {
		if (t[c]->len)
			memcpy(p, t[c]->ptr, t[c]->len);
		p[t[c]->len] = '\0';
		p += t[c]->len + 1;
	}
}

/* A run being written at the end of the spill file, through a buffer. */
struct run_writer {
	char *buf;
	size_t used;
	uint64_t start, off, records;
};

enum { WRITER_CHUNK = 1 << 20 };

static int writer_start(struct pb_reduce *r, struct run_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->start = w->off = r->spill_bytes;
	w->buf = malloc(WRITER_CHUNK);
	return w->buf ? 0 : -1;
}

static int writer_put(struct pb_reduce *r, struct run_writer *w, const struct pb_daily *d)
{
	size_t size = record_size(d);

	w->records++;
	if (w->used + size > WRITER_CHUNK) {
		if (write_all(r->spill_fd, w->buf, w->used, w->off) < 0)
			return spill_fail(r, errno);
		w->off += w->used;
		w->used = 0;
	}
	if (size > WRITER_CHUNK) {
		char *big = malloc(size);
		int rc;

		if (!big)
			return -1;
		record_put(d, big);
		rc = write_all(r->spill_fd, big, size, w->off);
		if (rc < 0)
			spill_fail(r, errno);
		free(big);
		w->off += size;
		return rc;
	}
	record_put(d, w->buf + w->used);
	w->used += size;
	return 0;
}

/* Writes what is left in the buffer; the run is then [start, off) and the file's end is off. */
static int writer_end(struct pb_reduce *r, struct run_writer *w)
{
	int rc = 0;

	if (w->used && (rc = write_all(r->spill_fd, w->buf, w->used, w->off)) == 0)
		w->off += w->used;
	else if (rc < 0)
		spill_fail(r, errno);
	w->used = 0;
	free(w->buf);
	w->buf = NULL;
	if (rc == 0)
		r->spill_bytes = w->off;
	return rc;
}

static void key_daily(const struct pb_reduce *r, const struct entry *e, struct pb_daily *d);
static int compact(struct pb_reduce *r);

/*
 * Writes the entries in memory, in order, as a run at the end of the spill file, and empties the table.
 * The records carry their texts, so the dictionaries may start over after it (dicts_reset).
 */
static int spill(struct pb_reduce *r)
{
	struct spill_run *runs;
	struct run_writer w = {0};
	struct pb_daily d;
	size_t i;
	int ret = -1;

	if ((r->spill_fd < 0 && spill_open(r) < 0) || order_entries(r) < 0)
		goto out;
	runs = realloc(r->runs, (r->nruns + 1) * sizeof(*runs));
	if (!runs)
		goto out;
	r->runs = runs;
	if (writer_start(r, &w) < 0)
		goto out;
	for (i = 0; i < r->n; i++) {
		key_daily(r, &r->entries[r->walk.order[i]], &d);
		if (writer_put(r, &w, &d) < 0)
			goto out;
	}
	if (writer_end(r, &w) < 0)
		goto out;
	memset(&r->runs[r->nruns], 0, sizeof(r->runs[0]));
	r->runs[r->nruns].start = r->runs[r->nruns].next = w.start;
	r->runs[r->nruns].end = w.off;
	r->runs[r->nruns].records = w.records;
	r->nruns++;
	r->spills++;
	r->spill_records += r->n;
	r->n = 0;
	r->last = 0;
	memset(r->slots, 0, r->nslots * sizeof(*r->slots));
	free(r->walk.order);
	r->walk.order = NULL;
	ret = compact(r);
out:
	free(w.buf);
	if (ret < 0)
		spill_fail(r, errno);
	return ret;
}

/*
 * When the dictionaries have outgrown their bound: the entries spilled, and the dictionaries started over,
 * so that however many distinct texts an export holds, they take about max_dict bytes. 0, or -1 when the run
 * could not be written.
 */
static int dicts_bound(struct pb_reduce *r)
{
	if (!r->max_dict || r->dict_bytes <= r->max_dict || r->cap)
		return 0;
	if (r->n && spill(r) < 0)
		return -1;
	dicts_release(r);
	r->dict_resets++;
	return 0;
}

/* 1 when k would be a new row of an account that has cap rows already; counts it. -1: no memory. */
static int over_cap(struct pb_reduce *r, const struct key *k)
{
	uint32_t a = k->id[COL_ACCOUNT];

	if (a >= r->per_account_alloc) {
		size_t n = r->per_account_alloc ? r->per_account_alloc : 64;
		uint32_t *p;

		while (n <= a)
			n *= 2;
		p = realloc(r->per_account, n * sizeof(*p));
		if (!p)
			return -1;
		memset(p + r->per_account_alloc, 0, (n - r->per_account_alloc) * sizeof(*p));
		r->per_account = p;
		r->per_account_alloc = n;
	}
	if (r->per_account[a] >= r->cap)
		return 1;
	r->per_account[a]++;
	return 0;
}

/*
 * Finds or creates the entry of k. NULL when memory cannot be had, or (*capped set) when k would be a
 * row past the cap of its account.
 */
/* The entry of k (whose hash is h), or NULL with *slot set to the empty slot where it would go. */
static struct entry *find_entry(const struct pb_reduce *r, const struct key *k, uint64_t h, size_t *slot)
{
	uint64_t want = h >> 32 << 32;
	size_t j;
	struct entry *e;

	for (j = h & (r->nslots - 1); r->slots[j]; j = (j + 1) & (r->nslots - 1)) {
		if ((r->slots[j] & 0xFFFFFFFF00000000ULL) == want) {
			e = &r->entries[(r->slots[j] & 0xFFFFFFFFu) - 1];
			if (memcmp(&e->key, k, sizeof(*k)) == 0)
				return e;
		}
	}
	*slot = j;
	return NULL;
}

static struct entry *lookup(struct pb_reduce *r, const struct key *k, int *capped)
{
	uint64_t h = hash_key(k), want = h >> 32 << 32;
	size_t j;
	struct entry *e = find_entry(r, k, h, &j);

	if (e)
		return e;
	if (r->cap) {
		int over = over_cap(r, k);

		if (over)
			*capped = over > 0;
		if (over)
			return NULL;
	}
	if (r->max_entries && r->n >= r->max_entries) {
		if (spill(r) < 0)
			return NULL;
		find_entry(r, k, h, &j); /* the table is empty now: the slot to fill */
	}
	if (r->n == r->alloc) {
		size_t alloc = r->alloc ? r->alloc * 2 : 256;
		struct entry *ne;

		if (r->max_entries && alloc > r->max_entries)
			alloc = r->max_entries > r->n ? r->max_entries : r->n + 1;
		ne = pb_table_realloc(r->entries, r->n * sizeof(*ne), alloc * sizeof(*ne));
		if (!ne)
			return NULL;
		r->entries = ne;
		r->alloc = alloc;
	}
	e = &r->entries[r->n];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	r->slots[j] = want | (uint64_t)(r->n + 1);
	r->n++;
	if (r->n * 2 > r->nslots && grow_slots(r) < 0)
		return NULL;
	return &r->entries[r->n - 1];
}

/* Adds amounts into e and the run's totals, all or nothing. */
static int add_amounts(struct pb_reduce *r, struct entry *e, pb_money list, pb_money billed, uint64_t lines,
		       uint64_t list_lines, uint64_t billed_lines)
{
	pb_money el, eb, tl, tb;

	if (pb_money_add(e->list, list, &el) < 0 || pb_money_add(e->billed, billed, &eb) < 0 ||
	    pb_money_add(r->list_total, list, &tl) < 0 || pb_money_add(r->billed_total, billed, &tb) < 0)
		return PB_MONEY_ERR_RANGE;
	e->list = el;
	e->billed = eb;
	e->lines += lines;
	e->list_lines += list_lines;
	e->billed_lines += billed_lines;
	r->list_total = tl;
	r->billed_total = tb;
	r->lines += lines;
	if (r->sorted) {
		free(r->sorted);
		r->sorted = NULL;
	}
	return 0;
}

/*
 * A text the accounts grain leaves out of its key is still checked, so that a summary refuses what the
 * store would: the check is skipped when the text repeats the last one checked.
 */
static int check_unkeyed(struct pb_reduce *r, int col, const struct pb_text *t)
{
	struct checked *c = &r->checked[col];

	if (t->len == c->len && memcmp(t->ptr, c->text, t->len) == 0)
		return 0;
	if (text_bad(r, t))
		return PB_REDUCE_ERR_TEXT;
	if (t->len <= sizeof(c->text)) {
		memcpy(c->text, t->ptr, t->len);
		c->len = t->len;
	}
	return 0;
}

/* The texts (t) and dates (in k) of u's key at the reduction's grain; texts the key leaves out are checked. */
static int key_texts(struct pb_reduce *r, const struct pb_usage *u, const struct pb_text *t[NCOLS], struct key *k)
{
	static const struct pb_text none = {"", 0};
	int i;

	memset(k, 0, sizeof(*k));
	t[COL_ACCOUNT] = &u->account;
	t[COL_CATEGORY] = &u->category;
	t[COL_CHARGE_TYPE] = &u->charge_type;
	t[COL_SERVICE] = &u->service;
	t[COL_REGION] = &u->region;
	t[COL_CURRENCY] = &u->currency;
	for (i = 0; i < NCOLS; i++)
		if (t[i]->len > MAX_TEXT)
			return PB_REDUCE_ERR_TOOLONG;
	if (r->grain == PB_GRAIN_ACCOUNT) {
		for (i = COL_CATEGORY; i <= COL_REGION; i++) {
			int rc = check_unkeyed(r, i, t[i]);

			if (rc < 0)
				return rc;
			t[i] = &none;
		}
	} else {
		k->billing_month = u->billing_month;
		k->usage_date = u->usage_date;
	}
	if (r->grain == PB_GRAIN_STORE) {
		k->list_source = (uint32_t)pb_usage_list_source(u);
		k->price_load = u->price_load;
	}
	return 0;
}

/* The ids of the texts t into k, interned. */
static int intern_key(struct pb_reduce *r, const struct pb_text *const t[NCOLS], struct key *k)
{
	int i;

	for (i = 0; i < NCOLS; i++) {
		long id = intern(r, &r->dicts[i], t[i]);

		if (id < 0)
			return (int)id;
		k->id[i] = (uint32_t)id;
	}
	return 0;
}

/*
 * 1 when the row of the texts t (and k's dates) would be a new one of an account that has its cap of
 * rows already, found without interning anything: values past the cap take no memory, however many
 * distinct ones an export holds. Their texts are still checked (unless merging: they were, where they came
 * from), so that the store refuses what a summary refuses. 0 otherwise; PB_REDUCE_ERR_TEXT.
 */
static int past_cap(struct pb_reduce *r, const struct pb_text *const t[NCOLS], const struct key *k)
{
	struct key found = *k;
	long a;
	int i, is_new = 0;
	size_t slot;

	/* Without a cap (the store's rows) there is nothing to find. */
	if (!r->cap)
		return 0;
	a = dict_find(&r->dicts[COL_ACCOUNT], t[COL_ACCOUNT]);
	if (a < 0 || (size_t)a >= r->per_account_alloc || r->per_account[a] < r->cap)
		return 0;
	for (i = 0; i < NCOLS; i++) {
		long id = dict_find(&r->dicts[i], t[i]);

		if (id < 0 && !r->merging && text_bad(r, t[i]))
			return PB_REDUCE_ERR_TEXT;
		is_new |= id < 0;
		found.id[i] = id < 0 ? 0 : (uint32_t)id;
	}
	return is_new || !find_entry(r, &found, hash_key(&found), &slot);
}

enum pb_list_source pb_usage_list_source(const struct pb_usage *u)
{
	if (!u->has_list)
		return PB_LIST_NONE;
	return u->price_load ? PB_LIST_PRICE : PB_LIST_EXPORT;
}

void pb_reduce_bad_text(const struct pb_reduce *r, const char **at, const char **why)
{
	*at = r->bad_at;
	*why = r->bad_why;
}

/* Whether e is the row of the texts t and the rest of k (its text ids not yet set). */
static int same_row(const struct pb_reduce *r, const struct entry *e, const struct pb_text *const t[NCOLS],
		    const struct key *k)
{
	int i;

	if (e->key.usage_date != k->usage_date || e->key.billing_month != k->billing_month ||
	    e->key.list_source != k->list_source || e->key.price_load != k->price_load)
		return 0;
	for (i = 0; i < NCOLS; i++) {
		const struct pb_text *x = &r->dicts[i].texts[e->key.id[i]];

		if (x->len != t[i]->len || (x->len && memcmp(x->ptr, t[i]->ptr, x->len) != 0))
			return 0;
	}
	return 1;
}

int pb_reduce_add(struct pb_reduce *r, const struct pb_usage *u)
{
	const struct pb_text *t[NCOLS];
	struct key k;
	struct entry *e;
	int rc = key_texts(r, u, t, &k), capped = 0;

	if (rc < 0)
		return rc;
	if (r->dict_bytes > r->max_dict && r->max_dict && dicts_bound(r) < 0)
		return PB_REDUCE_ERR_SPILL;
	/* Lines often repeat the row of the line before: then nothing is looked up. */
	if (r->last && same_row(r, &r->entries[r->last - 1], t, &k))
		return add_amounts(r, &r->entries[r->last - 1], u->has_list ? u->list_cost : PB_MONEY_ZERO,
				   u->has_billed ? u->billed_cost : PB_MONEY_ZERO, 1, (uint64_t)(u->has_list != 0),
				   (uint64_t)(u->has_billed != 0));
	rc = past_cap(r, t, &k);
	if (rc == 1) {
		r->capped_lines++;
		r->capped_rows++;
		return 0;
	}
	if (rc == 0)
		rc = intern_key(r, t, &k);
	if (rc < 0)
		return rc;
	e = lookup(r, &k, &capped);
	if (!e && capped) {
		r->capped_lines++;
		r->capped_rows++;
		return 0;
	}
	if (!e)
		return r->spill_failed ? PB_REDUCE_ERR_SPILL : PB_REDUCE_ERR_NOMEM;
	r->last = (size_t)(e - r->entries) + 1;
	return add_amounts(r, e, u->has_list ? u->list_cost : PB_MONEY_ZERO,
			   u->has_billed ? u->billed_cost : PB_MONEY_ZERO, 1, (uint64_t)(u->has_list != 0),
			   (uint64_t)(u->has_billed != 0));
}

int pb_reduce_merge(struct pb_reduce *dst, const struct pb_reduce *src)
{
	size_t i;
	int c, capped = 0;

	if (src->nruns)
		return PB_REDUCE_ERR_NOMEM; /* a reduction that spilled is walked, never merged */
	dst->capped_lines += src->capped_lines;
	dst->capped_rows += src->capped_rows;
	for (i = 0; i < src->n; i++) {
		const struct entry *s = &src->entries[i];
		const struct pb_text *t[NCOLS];
		struct key k = s->key;
		struct entry *e;

		for (c = 0; c < NCOLS; c++)
			t[c] = &src->dicts[c].texts[s->key.id[c]];
		if (dicts_bound(dst) < 0)
			return PB_REDUCE_ERR_SPILL;
		dst->merging = 1;
		c = past_cap(dst, t, &k);
		if (c == 0)
			c = intern_key(dst, t, &k);
		dst->merging = 0;
		if (c == 1) {
			dst->capped_lines += s->lines;
			dst->capped_rows++;
			continue;
		}
		if (c < 0)
			return c;
		e = lookup(dst, &k, &capped);
		if (!e && capped) {
			dst->capped_lines += s->lines;
			dst->capped_rows++;
			continue;
		}
		if (!e)
			return dst->spill_failed ? PB_REDUCE_ERR_SPILL : PB_REDUCE_ERR_NOMEM;
		if (add_amounts(dst, e, s->list, s->billed, s->lines, s->list_lines, s->billed_lines) < 0)
			return PB_MONEY_ERR_RANGE;
	}
	return 0;
}

static int cmp_text(const struct pb_text *a, const struct pb_text *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->ptr, b->ptr, n) : 0;

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int cmp_daily(const void *pa, const void *pb)
{
	const struct pb_daily *a = *(const struct pb_daily *const *)pa;
	const struct pb_daily *b = *(const struct pb_daily *const *)pb;
	int c;

	c = cmp_text(&a->account, &b->account);
	if (c)
		return c;
	if (a->usage_date != b->usage_date)
		return a->usage_date < b->usage_date ? -1 : 1;
	c = cmp_text(&a->category, &b->category);
	if (c)
		return c;
	c = cmp_text(&a->charge_type, &b->charge_type);
	if (c)
		return c;
	c = cmp_text(&a->service, &b->service);
	if (c)
		return c;
	c = cmp_text(&a->region, &b->region);
	if (c)
		return c;
	c = cmp_text(&a->currency, &b->currency);
	if (c)
		return c;
	if (a->billing_month != b->billing_month)
		return a->billing_month < b->billing_month ? -1 : 1;
	if (a->list_source != b->list_source)
		return a->list_source < b->list_source ? -1 : 1;
	if (a->price_load != b->price_load)
		return a->price_load < b->price_load ? -1 : 1;
	return 0;
}

static int cmp_daily_rows(const struct pb_daily *a, const struct pb_daily *b)
{
	return cmp_daily(&a, &b);
}

static void fill_daily(const struct pb_reduce *r, const struct entry *e, struct pb_daily *d)
{
	d->billing_month = e->key.billing_month;
	d->usage_date = e->key.usage_date;
	d->account = r->dicts[COL_ACCOUNT].texts[e->key.id[COL_ACCOUNT]];
	d->category = r->dicts[COL_CATEGORY].texts[e->key.id[COL_CATEGORY]];
	d->charge_type = r->dicts[COL_CHARGE_TYPE].texts[e->key.id[COL_CHARGE_TYPE]];
	d->service = r->dicts[COL_SERVICE].texts[e->key.id[COL_SERVICE]];
	d->region = r->dicts[COL_REGION].texts[e->key.id[COL_REGION]];
	d->currency = r->dicts[COL_CURRENCY].texts[e->key.id[COL_CURRENCY]];
	d->list_cost = e->list;
	d->billed_cost = e->billed;
	d->line_count = e->lines;
	d->list_lines = e->list_lines;
	d->billed_lines = e->billed_lines;
	d->list_source = r->grain == PB_GRAIN_STORE ? (enum pb_list_source)e->key.list_source
			 : e->list_lines	    ? PB_LIST_EXPORT
						    : PB_LIST_NONE;
	d->price_load = e->key.price_load;
}

const struct pb_daily *const *pb_reduce_sorted(struct pb_reduce *r, size_t *n)
{
	size_t i;

	*n = r->n;
	if (r->nruns)
		return NULL; /* spilled: see pb_reduce_walk */
	if (r->sorted)
		return r->sorted;
	free(r->rows);
	r->rows = malloc((r->n ? r->n : 1) * sizeof(*r->rows));
	r->sorted = malloc((r->n ? r->n : 1) * sizeof(*r->sorted));
	if (!r->rows || !r->sorted) {
		free(r->sorted);
		r->sorted = NULL;
		return NULL;
	}
	for (i = 0; i < r->n; i++) {
		fill_daily(r, &r->entries[i], &r->rows[i]);
		r->sorted[i] = &r->rows[i];
	}
	qsort(r->sorted, r->n, sizeof(*r->sorted), cmp_daily);
	return r->sorted;
}

void pb_reduce_totals(const struct pb_reduce *r, pb_money *list, pb_money *billed, uint64_t *lines)
{
	*list = r->list_total;
	*billed = r->billed_total;
	*lines = r->lines;
}

int pb_reduce_sum_rows(const struct pb_daily *const *rows, size_t n, pb_money *list, pb_money *billed, uint64_t *lines)
{
	size_t i;

	*list = *billed = PB_MONEY_ZERO;
	*lines = 0;
	for (i = 0; i < n; i++) {
		if (pb_money_add(*list, rows[i]->list_cost, list) < 0 ||
		    pb_money_add(*billed, rows[i]->billed_cost, billed) < 0)
			return PB_MONEY_ERR_RANGE;
		*lines += rows[i]->line_count;
	}
	return 0;
}

void pb_reduce_set_cap(struct pb_reduce *r, size_t cap)
{
	r->cap = cap;
}

void pb_reduce_capped(const struct pb_reduce *r, uint64_t *rows, uint64_t *lines)
{
	*rows = r->capped_rows;
	*lines = r->capped_lines;
}

void pb_reduce_set_memory(struct pb_reduce *r, size_t bytes, const char *spill_dir)
{
	size_t per = sizeof(struct entry) + sizeof(uint32_t), slots = 128, table;

	/*
	 * An eighth for the dictionaries (at least 64 kB; their texts in blocks of an eighth of that), the rest
	 * for the largest table that fits: its slots (a power of two, at most half full), its entries and their
	 * order.
	 */
	r->max_dict = bytes / 8 > ((size_t)64 << 10) ? bytes / 8 : (size_t)64 << 10;
	r->arena_block = r->max_dict / 8 < ARENA_BLOCK ? r->max_dict / 8 : ARENA_BLOCK;
	table = bytes > r->max_dict ? bytes - r->max_dict : 0;
	while (slots * 2 * sizeof(uint64_t) + slots * per <= table)
		slots *= 2;
	/* slots / 2 entries fit in slots slots; past them the slots grow twofold, and as many more as the bytes left
	 * hold. */
	r->max_entries = slots / 2;
	if (table > slots * 2 * sizeof(uint64_t) && (table - slots * 2 * sizeof(uint64_t)) / per > slots / 2)
		r->max_entries = (table - slots * 2 * sizeof(uint64_t)) / per;
	free(r->spill_dir);
	r->spill_dir = spill_dir ? strdup(spill_dir) : NULL;
}

int pb_reduce_spill_message(const struct pb_reduce *r, struct pb_buf *out)
{
	if (!r || !r->spill_failed)
		return 0;
	pb_buf_addf(out, "cannot write or read back the temporary file of the daily rows in %s: %s",
		    r->spill_where ? r->spill_where : "the temporary folder",
		    strerror(r->spill_errno ? r->spill_errno : EIO));
	return 1;
}

uint64_t pb_reduce_dict_resets(const struct pb_reduce *r)
{
	return r->dict_resets;
}

uint64_t pb_reduce_spilled(const struct pb_reduce *r)
{
	return r->spills;
}

uint64_t pb_reduce_count(const struct pb_reduce *r)
{
	return r->n + r->spill_records;
}

/* The row of entry e, its list source its key's (what the walk compares and adds up by). */
static void key_daily(const struct pb_reduce *r, const struct entry *e, struct pb_daily *d)
{
	fill_daily(r, e, d);
	d->list_source = (enum pb_list_source)e->key.list_source;
}

/* The row source s is at: a run's, or (s == nruns) the next entry in memory. */
static const struct pb_daily *current(const struct pb_reduce *r, size_t s)
{
	return s == r->nruns ? &r->walk.mem : &r->runs[s].cur;
}

/*
 * Moves the bytes of run not yet walked to the start of its buffer, and reads after them until the buffer
 * is full or the run ends, with the buffer grown first to hold at least need bytes. 0, or -1.
 */
static int refill(struct pb_reduce *r, struct spill_run *run, size_t need)
{
	size_t want;

	if (run->at) {
		memmove(run->buf, run->buf + run->at, run->have - run->at);
		run->have -= run->at;
		run->at = 0;
	}
	if (need > run->cap) {
		char *p = realloc(run->buf, need);

		if (!p)
			return -1;
		run->buf = p;
		run->cap = need;
	}
	want = run->end - run->next < run->cap - run->have ? (size_t)(run->end - run->next) : run->cap - run->have;
	while (want) {
		ssize_t n = pread(r->spill_fd, run->buf + run->have, want, (off_t)run->next);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return spill_fail(r, n < 0 ? errno : EIO);
		run->have += (size_t)n;
		run->next += (uint64_t)n;
		want -= (size_t)n;
	}
	return 0;
}

/* Decodes the record at the run's position into run->cur. 1, 0 at the run's end, or -1 (unreadable). */
static int decode(struct pb_reduce *r, struct spill_run *run)
{
	struct record h;
	size_t size = sizeof(h);
	const char *p;
	int c;

	if (run->have - run->at < sizeof(h)) {
		if (run->have == run->at && run->next == run->end)
			return 0;
		if (refill(r, run, sizeof(h)) < 0 || run->have - run->at < sizeof(h))
			return -1;
	}
	memcpy(&h, run->buf + run->at, sizeof(h));
	for (c = 0; c < NCOLS; c++)
		size += (size_t)h.len[c] + 1;
	if (run->have - run->at < size && (refill(r, run, size) < 0 || run->have - run->at < size))
		return -1;
	p = run->buf + run->at + sizeof(h);
	run->cur.billing_month = h.billing_month;
	run->cur.usage_date = h.usage_date;
	run->cur.list_source = (enum pb_list_source)h.list_source;
	run->cur.price_load = h.price_load;
	run->cur.list_cost = h.list;
	run->cur.billed_cost = h.billed;
	run->cur.line_count = h.lines;
	run->cur.list_lines = h.list_lines;
	run->cur.billed_lines = h.billed_lines;
	for (c = 0; c < NCOLS; c++) {
		struct pb_text t = {p, h.len[c]};

		if (p[h.len[c]] != '\0')
			return -1;
		switch (c) {
		case COL_ACCOUNT:
			run->cur.account = t;
			break;
		case COL_CATEGORY:
			run->cur.category = t;
			break;
		case COL_CHARGE_TYPE:
			run->cur.charge_type = t;
			break;
		case COL_SERVICE:
			run->cur.service = t;
			break;
		case COL_REGION:
			run->cur.region = t;
			break;
		default:
			run->cur.currency = t;
			break;
		}
		p += h.len[c] + 1;
	}
	run->size = size;
	return 1;
}

/* Moves source s on; 1 when it has a row, 0 when it has none left, -1 on a read error. */
static int advance(struct pb_reduce *r, size_t s)
{
	struct spill_run *run;

	if (s == r->nruns) {
		if (++r->walk.at >= r->n)
			return 0;
		key_daily(r, &r->entries[r->walk.order[r->walk.at]], &r->walk.mem);
		return 1;
	}
	run = &r->runs[s];
	run->at += run->size;
	run->size = 0;
	return decode(r, run);
}

static int heap_less(const struct pb_reduce *r, size_t a, size_t b)
{
	int c = cmp_daily_rows(current(r, a), current(r, b));

	return c < 0 || (c == 0 && a < b);
}

static void sift_down(struct pb_reduce *r, size_t i)
{
	size_t *h = r->walk.heap, n = r->walk.nheap;

	for (;;) {
		size_t l = 2 * i + 1, m = i, t;

		if (l < n && heap_less(r, h[l], h[m]))
			m = l;
		if (l + 1 < n && heap_less(r, h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Moves the source on top of the heap on. Returns 0, or -1 on a read error. */
static int advance_top(struct pb_reduce *r)
{
	int rc = advance(r, r->walk.heap[0]);

	if (rc < 0)
		return -1;
	if (rc == 0)
		r->walk.heap[0] = r->walk.heap[--r->walk.nheap];
	if (r->walk.nheap)
		sift_down(r, 0);
	return 0;
}

int pb_reduce_walk_start(struct pb_reduce *r)
{
	/* About 4 MB of buffers for the runs together, at least 64 kB each (a longer record grows its own). */
	size_t k, cap = ((size_t)4 << 20) / (r->nruns ? r->nruns : 1);

	cap = cap < ((size_t)64 << 10) ? (size_t)64 << 10 : cap;
	if (order_entries(r) < 0)
		return PB_REDUCE_ERR_NOMEM;
	r->walk.at = 0;
	r->walk.nheap = 0;
	r->walk.started = 1;
	free(r->walk.heap);
	r->walk.heap = malloc((r->nruns + 1) * sizeof(*r->walk.heap));
	if (!r->walk.heap)
		return PB_REDUCE_ERR_NOMEM;
	for (k = 0; k < r->nruns; k++) {
		struct spill_run *run = &r->runs[k];
		int got;

		free(run->buf);
		run->buf = malloc(cap);
		if (!run->buf)
			return PB_REDUCE_ERR_NOMEM;
		run->cap = cap;
		run->have = run->at = run->size = 0;
		got = decode(r, run);
		if (got < 0)
			return PB_REDUCE_ERR_SPILL;
		if (got > 0)
			r->walk.heap[r->walk.nheap++] = k;
	}
	if (r->n) {
		if (r->nruns)
			key_daily(r, &r->entries[r->walk.order[0]], &r->walk.mem);
		r->walk.heap[r->walk.nheap++] = r->nruns;
	}
	for (k = r->walk.nheap; k-- > 0;)
		sift_down(r, k);
	return 0;
}

/* Copies d's texts into the walk's buffer of this turn, so that they outlive the runs' buffers. */
static int keep_texts(struct pb_reduce *r, struct pb_daily *d)
{
	struct pb_text *t[NCOLS] = {&d->account, &d->category, &d->charge_type, &d->service, &d->region, &d->currency};
	int f = r->walk.flip, c;
	size_t need = 0;
	char *p;

	for (c = 0; c < NCOLS; c++)
		need += t[c]->len + 1;
	if (need > r->walk.text_cap[f]) {
		p = realloc(r->walk.text[f], need);
		if (!p)
			return -1;
		r->walk.text[f] = p;
		r->walk.text_cap[f] = need;
	}
	p = r->walk.text[f];
	for (c = 0; c < NCOLS; c++) {
		if (t[c]->len)
			memcpy(p, t[c]->ptr, t[c]->len);
		p[t[c]->len] = '\0';
		t[c]->ptr = p;
		p += t[c]->len + 1;
	}
	r->walk.flip = !f;
	return 0;
}

/* The next row of a walk over spilled runs, its list source its key's. 1, 0 at the end, or an error. */
static int walk_row(struct pb_reduce *r, struct pb_daily *d)
{
	struct pb_daily acc;

	if (!r->walk.nheap)
		return 0;
	acc = *current(r, r->walk.heap[0]);
	if (keep_texts(r, &acc) < 0)
		return PB_REDUCE_ERR_NOMEM;
	if (advance_top(r) < 0)
		return PB_REDUCE_ERR_SPILL;
	/* A key spilled more than once: its runs' parts add up. */
	while (r->walk.nheap && cmp_daily_rows(current(r, r->walk.heap[0]), &acc) == 0) {
		const struct pb_daily *e = current(r, r->walk.heap[0]);

		if (pb_money_add(acc.list_cost, e->list_cost, &acc.list_cost) < 0 ||
		    pb_money_add(acc.billed_cost, e->billed_cost, &acc.billed_cost) < 0) {
			*d = acc; /* its key, for the message */
			return PB_MONEY_ERR_RANGE;
		}
		acc.line_count += e->line_count;
		acc.list_lines += e->list_lines;
		acc.billed_lines += e->billed_lines;
		if (advance_top(r) < 0)
			return PB_REDUCE_ERR_SPILL;
	}
	*d = acc;
	return 1;
}

int pb_reduce_walk_next(struct pb_reduce *r, struct pb_daily *d)
{
	int rc;

	if (!r->walk.started)
		return 0;
	/* Nothing spilled: the entries in memory, in order, each key once. */
	if (!r->nruns) {
		if (r->walk.at >= r->n)
			return 0;
		fill_daily(r, &r->entries[r->walk.order[r->walk.at++]], d);
		return 1;
	}
	rc = walk_row(r, d);
	if (rc == 1 && r->grain != PB_GRAIN_STORE)
		d->list_source = d->list_lines ? PB_LIST_EXPORT : PB_LIST_NONE;
	return rc;
}

/*
 * Keeps the runs few, so that the walk's buffers stay bounded however much is spilled: whenever the last
 * RUN_FANIN runs are of one level (the runs' levels never increase along the file), they are merged into
 * one run of the next level, written at the file's end, and the disk they took is given back. Each row is
 * so rewritten once per level: log base RUN_FANIN of the number of runs spilled from memory. Called with
 * the table empty, between spills. 0, or -1.
 */
static int compact(struct pb_reduce *r)
{
	while (r->nruns >= RUN_FANIN && r->runs[r->nruns - RUN_FANIN].level == r->runs[r->nruns - 1].level) {
		struct spill_run *all = r->runs, merged;
		size_t nall = r->nruns, base = nall - RUN_FANIN, k;
		struct run_writer w = {0};
		struct pb_daily d;
		int rc;

		/* The walk, over the last RUN_FANIN runs only. */
		r->runs = all + base;
		r->nruns = RUN_FANIN;
		rc = pb_reduce_walk_start(r) == 0 && writer_start(r, &w) == 0 ? 1 : -1;
		while (rc == 1 && (rc = walk_row(r, &d)) == 1)
			if (writer_put(r, &w, &d) < 0)
				rc = -1;
		if (rc == 0 && writer_end(r, &w) < 0)
			rc = -1;
		free(w.buf);
		r->walk.started = 0;
		r->walk.nheap = 0;
		r->runs = all;
		r->nruns = nall;
		if (rc < 0)
			return -1;
		memset(&merged, 0, sizeof(merged));
		merged.start = merged.next = w.start;
		merged.end = w.off;
		merged.records = w.records;
		merged.level = all[base].level + 1;
#ifdef FALLOC_FL_PUNCH_HOLE
		/* The merged runs' bytes are not read again; a file system that cannot free them keeps them. */
		(void)fallocate(r->spill_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)all[base].start,
				(off_t)(all[nall - 1].end - all[base].start));
#endif
		for (k = base; k < nall; k++) {
			r->spill_records -= all[k].records;
			free(all[k].buf);
		}
		r->spill_records += merged.records;
		all[base] = merged;
		r->nruns = base + 1;
	}
	return 0;
}

int pb_reduce_walks_start(struct pb_reduce_walks *w, struct pb_reduce *const *r, size_t n)
{
	size_t i;
	int rc;

	memset(w, 0, sizeof(*w));
	w->r = malloc((n ? n : 1) * sizeof(*w->r));
	w->head = malloc((n ? n : 1) * sizeof(*w->head));
	w->has = calloc(n ? n : 1, sizeof(*w->has));
	if (!w->r || !w->head || !w->has)
		return PB_REDUCE_ERR_NOMEM;
	w->n = n;
	for (i = 0; i < n; i++) {
		w->r[i] = r[i];
		rc = pb_reduce_walk_start(r[i]);
		if (rc == 0)
			rc = pb_reduce_walk_next(r[i], &w->head[i]);
		/* A first row out of range is said by the first next, naming its key, as any later one. */
		if (rc == PB_MONEY_ERR_RANGE) {
			w->range_at = i + 1;
			return 0;
		}
		if (rc < 0)
			return rc;
		w->has[i] = rc;
	}
	return 0;
}

/* Takes the next row of walk i into its head. 0, or an error of pb_reduce_walk_next. */
static int walks_advance(struct pb_reduce_walks *w, size_t i)
{
	int rc = pb_reduce_walk_next(w->r[i], &w->head[i]);

	w->has[i] = rc == 1;
	return rc < 0 ? rc : 0;
}

int pb_reduce_walks_next(struct pb_reduce_walks *w, struct pb_daily *d)
{
	size_t i, first = w->n;
	int rc;

	if (w->range_at) {
		*d = w->head[w->range_at - 1];
		return PB_MONEY_ERR_RANGE;
	}
	for (i = 0; i < w->n; i++) {
		if (!w->has[i])
			continue;
		if (first == w->n || cmp_daily_rows(&w->head[i], &w->head[first]) < 0)
			first = i;
	}
	if (first == w->n)
		return 0;
	*d = w->head[first];
	rc = walks_advance(w, first);
	if (rc == PB_MONEY_ERR_RANGE) {
		*d = w->head[first]; /* the key whose sum left the range, not the row before it */
		return rc;
	}
	/* The same key in the other walks (each walk gives a key once): added up. */
	for (i = first + 1; rc == 0 && i < w->n; i++) {
		if (!w->has[i] || cmp_daily_rows(&w->head[i], d) != 0)
			continue;
		if (pb_money_add(d->list_cost, w->head[i].list_cost, &d->list_cost) < 0 ||
		    pb_money_add(d->billed_cost, w->head[i].billed_cost, &d->billed_cost) < 0)
			return PB_MONEY_ERR_RANGE;
		d->line_count += w->head[i].line_count;
		d->list_lines += w->head[i].list_lines;
		d->billed_lines += w->head[i].billed_lines;
		rc = walks_advance(w, i);
		if (rc == PB_MONEY_ERR_RANGE)
			*d = w->head[i];
	}
	return rc < 0 ? rc : 1;
}

void pb_reduce_walks_release(struct pb_reduce_walks *w)
{
	free(w->r);
	free(w->head);
	free(w->has);
	memset(w, 0, sizeof(*w));
}

int pb_reduce_absorb(struct pb_reduce *dst, struct pb_reduce *src)
{
	struct pb_daily d;
	int rc = pb_reduce_walk_start(src), capped = 0;

	dst->capped_lines += src->capped_lines;
	dst->capped_rows += src->capped_rows;
	while (rc == 0 && (rc = pb_reduce_walk_next(src, &d)) == 1) {
		const struct pb_text *t[NCOLS] = {&d.account, &d.category, &d.charge_type,
						  &d.service, &d.region,   &d.currency};
		struct key k;
		struct entry *e;

		memset(&k, 0, sizeof(k));
		k.billing_month = d.billing_month;
		k.usage_date = d.usage_date;
		if (dst->grain == PB_GRAIN_STORE) {
			k.list_source = (uint32_t)d.list_source;
			k.price_load = d.price_load;
		}
		if (dicts_bound(dst) < 0)
			return PB_REDUCE_ERR_SPILL;
		dst->merging = 1;
		rc = intern_key(dst, t, &k);
		dst->merging = 0;
		if (rc < 0)
			return rc;
		e = lookup(dst, &k, &capped);
		if (!e)
			return dst->spill_failed ? PB_REDUCE_ERR_SPILL : PB_REDUCE_ERR_NOMEM;
		rc = add_amounts(dst, e, d.list_cost, d.billed_cost, d.line_count, d.list_lines, d.billed_lines);
	}
	return rc;
}
