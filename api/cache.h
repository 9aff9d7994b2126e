/* pb-api's answer caches: concurrent maps from byte keys to values, cleared at once when the database says so. */
#ifndef PB_API_CACHE_H
#define PB_API_CACHE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A map from keys (bytes) to values (the caller's objects), read by many threads at once. A generation
 * number moves on with every clear, so that a value computed from the database before a clear is never
 * stored after it: take pb_api_cache_generation before reading the database and hand it to put. A
 * disabled cache (pb_api_cache_enable with 0: the server cannot hear the database's notifications) holds
 * nothing and stores nothing. It starts disabled.
 */
struct pb_api_cache;

/*
 * A cache of at most max_entries values, and of max_bytes bytes of them (0: no limit; each value's size is
 * given to put): a put beyond either clears it first. free_value frees a value the cache drops (may be NULL).
 * Returns NULL when out of memory. Free with pb_api_cache_free.
 */
struct pb_api_cache *pb_api_cache_new(size_t max_entries, size_t max_bytes, void (*free_value)(void *value));
void pb_api_cache_free(struct pb_api_cache *c);

/*
 * Looks key up; when it is there, calls use(value, arg) while the value cannot be dropped and returns 1
 * (use's result in *result when result is not NULL); returns 0 when it is not there. Keys are compared in
 * constant time for their length.
 */
int pb_api_cache_use(struct pb_api_cache *c, const void *key, size_t klen, int (*use)(void *value, void *arg),
		     void *arg, int *result);

/* The current generation: taken before the database is read for a value to put. */
uint64_t pb_api_cache_generation(struct pb_api_cache *c);

/*
 * Stores value, which holds size bytes, under key (a copy of the key is kept, counted with size), replacing
 * what was there, unless the cache is disabled or was cleared since generation: then value is freed
 * (free_value) at once. Either way the cache owns value afterwards. Returns 1 stored, 0 not stored, -1 out
 * of memory (value freed).
 */
int pb_api_cache_put(struct pb_api_cache *c, const void *key, size_t klen, void *value, size_t size,
		     uint64_t generation);

/* Drops every value and moves the generation on. */
void pb_api_cache_clear(struct pb_api_cache *c);

/* Enables (1) or disables (0) the cache; either way it is cleared. */
void pb_api_cache_enable(struct pb_api_cache *c, int on);

struct pb_api_cache_stats {
	uint64_t hits, misses, clears;
	size_t entries, bytes;
	int enabled;
};
void pb_api_cache_stats(struct pb_api_cache *c, struct pb_api_cache_stats *out);

#endif
