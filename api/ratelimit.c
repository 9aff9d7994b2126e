/* Token buckets in an open-addressed table under one mutex: only failures and limited clients reach it often. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clients.h"

#include "banned.h"

#define SLOTS 4096 /* a power of 2 */
#define PROBES 8

struct slot {
	unsigned char key[PB_API_CLIENT_KEY]; /* family, then the address (IPv6: its /64) */
	int used;
	uint64_t level_ms; /* the bucket, in ms of refill: full at burst * refill_ms */
	uint64_t at_ms;	   /* when level_ms was computed */
};

struct pb_api_ratelimit {
	pthread_mutex_t lock;
	unsigned burst;
	uint64_t refill_ms;
	struct slot slots[SLOTS];
};

struct pb_api_ratelimit *pb_api_ratelimit_new(unsigned burst, uint64_t refill_ms)
{
	struct pb_api_ratelimit *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r);
		return NULL;
	}
	r->burst = burst ? burst : 1;
	r->refill_ms = refill_ms ? refill_ms : 1;
	return r;
}

void pb_api_ratelimit_free(struct pb_api_ratelimit *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The bucket's level now: refilled for the time passed, up to full. */
static uint64_t level_now(const struct pb_api_ratelimit *r, const struct slot *s, uint64_t now)
{
	uint64_t full = (uint64_t)r->burst * r->refill_ms, level = s->level_ms + (now - s->at_ms);

	return level > full ? full : level;
}

/* The slot of key (made, full, when create is set); NULL when it has none. The lock is held. */
static struct slot *find(struct pb_api_ratelimit *r, const unsigned char key[PB_API_CLIENT_KEY], int create,
			 uint64_t now)
{
	uint32_t h = pb_api_client_key_hash(key);
	struct slot *victim = NULL;
	int i;

	for (i = 0; i < PROBES; i++) {
		struct slot *s = &r->slots[(h + (uint32_t)i) & (SLOTS - 1)];

		if (s->used && memcmp(s->key, key, PB_API_CLIENT_KEY) == 0)
			return s;
		if (!victim || !s->used || (victim->used && s->at_ms < victim->at_ms))
			victim = s;
	}
	if (!create)
		return NULL;
	memcpy(victim->key, key, PB_API_CLIENT_KEY);
	victim->used = 1;
	victim->level_ms = (uint64_t)r->burst * r->refill_ms;
	victim->at_ms = now;
	return victim;
}

unsigned pb_api_ratelimit_wait(struct pb_api_ratelimit *r, const struct sockaddr *addr)
{
	unsigned char key[PB_API_CLIENT_KEY];
	uint64_t now = now_ms(), level;
	unsigned wait = 0;
	struct slot *s;

	if (!addr || pb_api_client_key(addr, key) < 0)
		return 0;
	pthread_mutex_lock(&r->lock);
	s = find(r, key, 0, now);
	if (s) {
		level = level_now(r, s, now);
		if (level < r->refill_ms)
			wait = (unsigned)((r->refill_ms - level + 999) / 1000);
	}
	pthread_mutex_unlock(&r->lock);
	return wait;
}

void pb_api_ratelimit_fail(struct pb_api_ratelimit *r, const struct sockaddr *addr)
{
	unsigned char key[PB_API_CLIENT_KEY];
	uint64_t now = now_ms(), level;
	struct slot *s;

	if (!addr || pb_api_client_key(addr, key) < 0)
		return;
	pthread_mutex_lock(&r->lock);
	s = find(r, key, 1, now);
	level = level_now(r, s, now);
	s->level_ms = level >= r->refill_ms ? level - r->refill_ms : 0;
	s->at_ms = now;
	pthread_mutex_unlock(&r->lock);
}
