/*
 * The reduction is an open-addressing hash table keyed by the serialized row key. Keys and strings
 * live in an arena of fixed blocks, so the strings the rows point to never move.
 */
#include "reduce.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define ARENA_BLOCK ((size_t)1 << 20)
#define MAX_TEXT 65535

struct block {
	struct block *next;
	size_t used, size;
	char data[];
};

struct entry {
	uint64_t hash;
	const char *key;
	size_t key_len;
	struct pb_daily row;
};

struct pb_reduce {
	enum pb_reduce_grain grain;
	struct entry *entries;
	size_t n, alloc;
	uint32_t *slots; /* entry index + 1; 0 is empty */
	size_t nslots;
	struct block *arena;
	const struct pb_daily **sorted;
	pb_money list_total, billed_total;
	uint64_t lines;
	char *scratch;
	size_t scratch_len;
};

struct pb_reduce *pb_reduce_new(enum pb_reduce_grain grain)
{
	struct pb_reduce *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->grain = grain;
	r->nslots = 1024;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	r->scratch_len = 8 + 5 * (2 + MAX_TEXT);
	r->scratch = malloc(r->scratch_len);
	if (!r->slots || !r->scratch) {
		pb_reduce_free(r);
		return NULL;
	}
	return r;
}

void pb_reduce_free(struct pb_reduce *r)
{
	struct block *b, *next;

	if (!r)
		return;
	for (b = r->arena; b; b = next) {
		next = b->next;
		free(b);
	}
	free(r->entries);
	free(r->slots);
	free(r->sorted);
	free(r->scratch);
	free(r);
}

static char *arena_alloc(struct pb_reduce *r, size_t n)
{
	struct block *b = r->arena;

	if (!b || b->size - b->used < n) {
		size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = r->arena;
		b->used = 0;
		b->size = size;
		r->arena = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

static inline uint64_t load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* A multiply-and-fold hash over 8-byte words; keys are short and mostly ASCII. */
static uint64_t hash_bytes(const char *p, size_t n)
{
	const uint64_t k = 0x9E3779B97F4A7C15ULL;
	uint64_t h = 0x2545F4914F6CDD1DULL ^ (n * k);
	__uint128_t m;

	for (; n >= 8; n -= 8, p += 8) {
		m = (__uint128_t)(h ^ load64(p)) * k;
		h = (uint64_t)m ^ (uint64_t)(m >> 64);
	}
	if (n) {
		uint64_t t = 0;

		memcpy(&t, p, n);
		m = (__uint128_t)(h ^ t) * 0xD6E8FEB86659FD93ULL;
		h = (uint64_t)m ^ (uint64_t)(m >> 64);
	}
	m = (__uint128_t)h * k;
	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static size_t put_text(char *dst, const struct pb_text *t)
{
	dst[0] = (char)(t->len & 0xff);
	dst[1] = (char)(t->len >> 8);
	memcpy(dst + 2, t->ptr, t->len);
	return 2 + t->len;
}

static size_t serialize(char *dst, const struct pb_usage *u, enum pb_reduce_grain grain)
{
	static const struct pb_text none = {"", 0};
	int32_t zero = 0;
	size_t n = 0;

	if (grain == PB_GRAIN_ACCOUNT) {
		memcpy(dst, &zero, 4);
		memcpy(dst + 4, &zero, 4);
		n = 8;
		n += put_text(dst + n, &u->account);
		n += put_text(dst + n, &none);
		n += put_text(dst + n, &none);
		n += put_text(dst + n, &none);
		n += put_text(dst + n, &u->currency);
		return n;
	}
	memcpy(dst, &u->billing_month, 4);
	memcpy(dst + 4, &u->usage_date, 4);
	n = 8;
	n += put_text(dst + n, &u->account);
	n += put_text(dst + n, &u->category);
	n += put_text(dst + n, &u->service);
	n += put_text(dst + n, &u->region);
	n += put_text(dst + n, &u->currency);
	return n;
}

static int grow_slots(struct pb_reduce *r)
{
	size_t nslots = r->nslots * 2, i, j;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -1;
	for (i = 0; i < r->n; i++) {
		j = r->entries[i].hash & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = (uint32_t)(i + 1);
	}
	free(r->slots);
	r->slots = slots;
	r->nslots = nslots;
	return 0;
}

/* Points the row's strings at their copies inside the stored key. */
static void bind_row_text(struct entry *e)
{
	const char *p = e->key + 8;
	struct pb_text *t[5] = {&e->row.account, &e->row.category, &e->row.service, &e->row.region, &e->row.currency};
	int i;

	for (i = 0; i < 5; i++) {
		size_t len = (size_t)(unsigned char)p[0] | (size_t)(unsigned char)p[1] << 8;

		t[i]->ptr = p + 2;
		t[i]->len = len;
		p += 2 + len;
	}
}

/* Finds or creates the entry for key; NULL when memory cannot be had. */
static struct entry *lookup(struct pb_reduce *r, const char *key, size_t key_len)
{
	uint64_t h = hash_bytes(key, key_len);
	size_t j = h & (r->nslots - 1);
	struct entry *e;
	char *copy;

	while (r->slots[j]) {
		e = &r->entries[r->slots[j] - 1];
		if (e->hash == h && e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
			return e;
		j = (j + 1) & (r->nslots - 1);
	}
	if (r->n == r->alloc) {
		size_t alloc = r->alloc ? r->alloc * 2 : 256;
		struct entry *ne = realloc(r->entries, alloc * sizeof(*ne));

		if (!ne)
			return NULL;
		r->entries = ne;
		r->alloc = alloc;
	}
	copy = arena_alloc(r, key_len);
	if (!copy)
		return NULL;
	memcpy(copy, key, key_len);
	e = &r->entries[r->n];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->key = copy;
	e->key_len = key_len;
	memcpy(&e->row.billing_month, key, 4);
	memcpy(&e->row.usage_date, key + 4, 4);
	bind_row_text(e);
	r->slots[j] = (uint32_t)(r->n + 1);
	r->n++;
	if (r->n * 2 > r->nslots && grow_slots(r) < 0)
		return NULL;
	return &r->entries[r->n - 1];
}

static int add_amounts(struct pb_daily *row, const struct pb_daily *add)
{
	pb_money list = row->list_cost, billed = row->billed_cost;

	if (pb_money_add(list, add->list_cost, &list) < 0 || pb_money_add(billed, add->billed_cost, &billed) < 0)
		return PB_MONEY_ERR_RANGE;
	row->list_cost = list;
	row->billed_cost = billed;
	row->line_count += add->line_count;
	row->list_lines += add->list_lines;
	row->billed_lines += add->billed_lines;
	return 0;
}

static int add_row(struct pb_reduce *r, const char *key, size_t key_len, const struct pb_daily *add)
{
	struct entry *e;
	pb_money lt = r->list_total, bt = r->billed_total;

	if (pb_money_add(lt, add->list_cost, &lt) < 0 || pb_money_add(bt, add->billed_cost, &bt) < 0)
		return PB_MONEY_ERR_RANGE;
	e = lookup(r, key, key_len);
	if (!e)
		return PB_REDUCE_ERR_NOMEM;
	if (add_amounts(&e->row, add) < 0)
		return PB_MONEY_ERR_RANGE;
	r->list_total = lt;
	r->billed_total = bt;
	r->lines += add->line_count;
	free(r->sorted);
	r->sorted = NULL;
	return 0;
}

int pb_reduce_add(struct pb_reduce *r, const struct pb_usage *u)
{
	struct pb_daily add;
	size_t key_len;

	if (u->account.len > MAX_TEXT || u->category.len > MAX_TEXT || u->service.len > MAX_TEXT ||
	    u->region.len > MAX_TEXT || u->currency.len > MAX_TEXT)
		return PB_REDUCE_ERR_TOOLONG;
	key_len = serialize(r->scratch, u, r->grain);
	memset(&add, 0, sizeof(add));
	add.line_count = 1;
	if (u->has_list) {
		add.list_cost = u->list_cost;
		add.list_lines = 1;
	}
	if (u->has_billed) {
		add.billed_cost = u->billed_cost;
		add.billed_lines = 1;
	}
	return add_row(r, r->scratch, key_len, &add);
}

int pb_reduce_merge(struct pb_reduce *dst, const struct pb_reduce *src)
{
	size_t i;
	int rc;

	for (i = 0; i < src->n; i++) {
		const struct entry *e = &src->entries[i];

		rc = add_row(dst, e->key, e->key_len, &e->row);
		if (rc < 0)
			return rc;
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
	return 0;
}

const struct pb_daily *const *pb_reduce_sorted(struct pb_reduce *r, size_t *n)
{
	size_t i;

	*n = r->n;
	if (!r->sorted) {
		r->sorted = malloc((r->n ? r->n : 1) * sizeof(*r->sorted));
		if (!r->sorted)
			return NULL;
		for (i = 0; i < r->n; i++)
			r->sorted[i] = &r->entries[i].row;
		qsort(r->sorted, r->n, sizeof(*r->sorted), cmp_daily);
	}
	return r->sorted;
}

void pb_reduce_totals(const struct pb_reduce *r, pb_money *list, pb_money *billed, uint64_t *lines)
{
	*list = r->list_total;
	*billed = r->billed_total;
	*lines = r->lines;
}
