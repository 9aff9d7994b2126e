/*
 * One producer, one consumer, a few large chunks: the lock is taken once per chunk on each side, not per
 * read, so that a decompressing or downloading thread and a parser keep both cores busy.
 */
#include "ring.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

int pb_ring_init(struct pb_ring *r, size_t nslots, size_t chunk)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	if (nslots == 0 || nslots > PB_RING_MAX_SLOTS || chunk == 0)
		return -1;
	for (i = 0; i < nslots; i++) {
		r->slot[i] = malloc(chunk);
		if (!r->slot[i]) {
			while (i--)
				free(r->slot[i]);
			memset(r, 0, sizeof(*r));
			return -1;
		}
	}
	r->nslots = nslots;
	r->chunk = chunk;
	pb_buf_init(&r->err, 4096);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return 0;
}

char *pb_ring_slot(struct pb_ring *r)
{
	char *p = NULL;

	pthread_mutex_lock(&r->mu);
	while (r->count == r->nslots && !r->stop)
		pthread_cond_wait(&r->cv, &r->mu);
	/* The chunk after the last one put is the producer's until count covers it. */
	if (!r->stop)
		p = r->slot[(r->head + r->count) % r->nslots];
	pthread_mutex_unlock(&r->mu);
	return p;
}

void pb_ring_put(struct pb_ring *r, size_t len)
{
	if (len == 0)
		return;
	pthread_mutex_lock(&r->mu);
	r->len[(r->head + r->count) % r->nslots] = len;
	r->count++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void pb_ring_close(struct pb_ring *r, const char *why)
{
	pthread_mutex_lock(&r->mu);
	if (why) {
		pb_buf_reset(&r->err);
		pb_buf_addstr(&r->err, why);
		r->failed = 1;
	}
	r->done = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Waits for the head chunk. Returns 1 when the consumer holds it, 0 at the end, -1 on an error (err set). */
static int take_head(struct pb_ring *r, struct pb_buf *err)
{
	int ret = 1;

	pthread_mutex_lock(&r->mu);
	while (r->count == 0 && !r->done && !r->stop)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->stop) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "stopped");
		ret = -1;
	} else if (r->count == 0) {
		ret = r->failed ? -1 : 0;
		if (r->failed) {
			pb_buf_reset(err);
			pb_buf_addstr(err, pb_buf_str(&r->err));
		}
	}
	pthread_mutex_unlock(&r->mu);
	return ret;
}

long pb_ring_get(struct pb_ring *r, char *buf, size_t n, struct pb_buf *err)
{
	size_t k;

	if (!r->ready) {
		int rc = take_head(r, err);

		if (rc <= 0)
			return rc;
		r->ready = 1;
	}
	/* The head chunk is the consumer's until count drops: no lock to read it. */
	k = r->len[r->head] - r->consumed;
	if (k > n)
		k = n;
	memcpy(buf, r->slot[r->head] + r->consumed, k);
	r->consumed += k;
	if (r->consumed == r->len[r->head]) {
		pthread_mutex_lock(&r->mu);
		r->consumed = 0;
		r->ready = 0;
		r->head = (r->head + 1) % r->nslots;
		r->count--;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return (long)k;
}

void pb_ring_stop(struct pb_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

int pb_ring_stopped(struct pb_ring *r)
{
	int stop;

	pthread_mutex_lock(&r->mu);
	stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

void pb_ring_release(struct pb_ring *r)
{
	size_t i;

	if (!r->nslots)
		return;
	for (i = 0; i < r->nslots; i++)
		free(r->slot[i]);
	pb_buf_release(&r->err);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	memset(r, 0, sizeof(*r));
}
