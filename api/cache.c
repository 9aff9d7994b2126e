/* A chained hash map under a readers-writer lock: lookups share the lock, puts and clears take it alone. */
#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct entry {
	struct entry *next;
	uint64_t hash;
	void *value;
	size_t size; /* the value's bytes and the key's */
	size_t klen;
	unsigned char key[];
};

struct pb_api_cache {
	pthread_rwlock_t lock;
	struct entry **buckets;
	size_t nbuckets, entries, max_entries, bytes, max_bytes;
	uint64_t generation;
	int enabled;
	void (*free_value)(void *);
	atomic_uint_fast64_t hits, misses, clears;
};

/* FNV-1a: keys are short, and the ones a client chooses are checked before they get here. */
static uint64_t hash_of(const unsigned char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Equal keys in a time that depends on the length only: a token's digest is one of them. */
static int same_key(const struct entry *e, const unsigned char *key, size_t len)
{
	unsigned char diff = 0;
	size_t i;

	if (e->klen != len)
		return 0;
	for (i = 0; i < len; i++)
		diff |= (unsigned char)(e->key[i] ^ key[i]);
	return diff == 0;
}

struct pb_api_cache *pb_api_cache_new(size_t max_entries, size_t max_bytes, void (*free_value)(void *value))
{
	struct pb_api_cache *c = calloc(1, sizeof(*c));
	size_t n = 64;

	if (!c)
		return NULL;
	while (n < max_entries && n < ((size_t)1 << 24))
		n <<= 1;
	c->buckets = calloc(n, sizeof(*c->buckets));
	if (!c->buckets || pthread_rwlock_init(&c->lock, NULL) != 0) {
		free(c->buckets);
		free(c);
		return NULL;
	}
	c->nbuckets = n;
	c->max_entries = max_entries ? max_entries : 1;
	c->max_bytes = max_bytes;
	c->free_value = free_value;
	atomic_init(&c->hits, 0);
	atomic_init(&c->misses, 0);
	atomic_init(&c->clears, 0);
	return c;
}

/* Drops every entry; the write lock is held. */
static void drop_all(struct pb_api_cache *c)
{
	size_t i;

	for (i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			if (c->free_value)
				c->free_value(e->value);
			free(e);
		}
		c->buckets[i] = NULL;
	}
	c->entries = 0;
	c->bytes = 0;
	c->generation++;
}

void pb_api_cache_free(struct pb_api_cache *c)
{
	if (!c)
		return;
	drop_all(c);
	pthread_rwlock_destroy(&c->lock);
	free(c->buckets);
	free(c);
}

int pb_api_cache_use(struct pb_api_cache *c, const void *key, size_t klen, int (*use)(void *value, void *arg),
		     void *arg, int *result)
{
	uint64_t h = hash_of(key, klen);
	struct entry *e;
	int found = 0, rc = 0;

	pthread_rwlock_rdlock(&c->lock);
	for (e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->next) {
		if (e->hash == h && same_key(e, key, klen)) {
			found = 1;
			rc = use ? use(e->value, arg) : 0;
			break;
		}
	}
	pthread_rwlock_unlock(&c->lock);
	atomic_fetch_add_explicit(found ? &c->hits : &c->misses, 1, memory_order_relaxed);
	if (found && result)
		*result = rc;
	return found;
}

uint64_t pb_api_cache_generation(struct pb_api_cache *c)
{
	uint64_t g;

	pthread_rwlock_rdlock(&c->lock);
	g = c->generation;
	pthread_rwlock_unlock(&c->lock);
	return g;
}

/* Puts e in its bucket in place of an entry with the same key; the write lock is held. */
static void insert(struct pb_api_cache *c, struct entry *e)
{
	struct entry **p = &c->buckets[e->hash & (c->nbuckets - 1)];

	for (; *p; p = &(*p)->next) {
		struct entry *old = *p;

		if (old->hash == e->hash && same_key(old, e->key, e->klen)) {
			e->next = old->next;
			*p = e;
			c->bytes = c->bytes - old->size + e->size;
			if (c->free_value)
				c->free_value(old->value);
			free(old);
			return;
		}
	}
	e->next = NULL;
	*p = e;
	c->entries++;
	c->bytes += e->size;
}

int pb_api_cache_put(struct pb_api_cache *c, const void *key, size_t klen, void *value, size_t size,
		     uint64_t generation)
{
	struct entry *e = malloc(sizeof(*e) + klen);
	int stored = 0;

	if (!e) {
		if (c->free_value)
			c->free_value(value);
		return -1;
	}
	e->hash = hash_of(key, klen);
	e->value = value;
	e->size = size + klen;
	e->klen = klen;
	memcpy(e->key, key, klen);
	pthread_rwlock_wrlock(&c->lock);
	if (c->enabled && c->generation == generation) {
		/*
		 * Full, in entries or bytes: start afresh. A value computed before this clear still holds, so it
		 * is stored.
		 */
		if (c->entries >= c->max_entries || (c->max_bytes && c->bytes + e->size > c->max_bytes)) {
			drop_all(c);
			atomic_fetch_add_explicit(&c->clears, 1, memory_order_relaxed);
		}
		insert(c, e);
		stored = 1;
	}
	pthread_rwlock_unlock(&c->lock);
	if (!stored) {
		if (c->free_value)
			c->free_value(value);
		free(e);
	}
	return stored;
}

void pb_api_cache_clear(struct pb_api_cache *c)
{
	pthread_rwlock_wrlock(&c->lock);
	drop_all(c);
	pthread_rwlock_unlock(&c->lock);
	atomic_fetch_add_explicit(&c->clears, 1, memory_order_relaxed);
}

void pb_api_cache_enable(struct pb_api_cache *c, int on)
{
	pthread_rwlock_wrlock(&c->lock);
	drop_all(c);
	c->enabled = on;
	pthread_rwlock_unlock(&c->lock);
	atomic_fetch_add_explicit(&c->clears, 1, memory_order_relaxed);
}

void pb_api_cache_stats(struct pb_api_cache *c, struct pb_api_cache_stats *out)
{
	out->hits = atomic_load_explicit(&c->hits, memory_order_relaxed);
	out->misses = atomic_load_explicit(&c->misses, memory_order_relaxed);
	out->clears = atomic_load_explicit(&c->clears, memory_order_relaxed);
	pthread_rwlock_rdlock(&c->lock);
	out->entries = c->entries;
	out->bytes = c->bytes;
	out->enabled = c->enabled;
	pthread_rwlock_unlock(&c->lock);
}
