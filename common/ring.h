/*
 * A ring of fixed-size chunks between one producer thread and one consumer: the producer fills a chunk and
 * puts it, the consumer reads bytes out of the chunks in order; an error of the producer reaches the
 * consumer after the bytes put before it, and either side may stop early.
 */
#ifndef PB_RING_H
#define PB_RING_H

#include <pthread.h>
#include <stddef.h>

#include "buf.h"

#define PB_RING_MAX_SLOTS 8

struct pb_ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *slot[PB_RING_MAX_SLOTS];
	size_t len[PB_RING_MAX_SLOTS];
	size_t nslots, chunk;
	size_t head, count; /* the oldest chunk put and not yet read, and how many are put */
	int done, failed, stop;
	struct pb_buf err; /* the producer's error, when failed */
	/* The consumer's own: the bytes of the head chunk it has read (no lock needed until it is all read). */
	size_t consumed;
	int ready;
};

/*
 * Prepares r with nslots (at most PB_RING_MAX_SLOTS) chunks of chunk bytes each. Returns 0, or -1 when
 * memory cannot be had (r then holds nothing). Free with pb_ring_release once neither side uses it.
 */
int pb_ring_init(struct pb_ring *r, size_t nslots, size_t chunk);

/*
 * The producer: the memory of the next free chunk (chunk bytes), waiting while every chunk is full. NULL
 * when the ring was stopped. The chunk is the producer's until pb_ring_put; asking again before then gives
 * the same chunk.
 */
char *pb_ring_slot(struct pb_ring *r);

/* The producer: puts the chunk pb_ring_slot gave, holding len bytes (0: nothing is put; the chunk stays free). */
void pb_ring_put(struct pb_ring *r, size_t len);

/*
 * The producer: no more chunks. With why NULL the data ends there; else the consumer gets why as its error
 * once it has read what was put.
 */
void pb_ring_close(struct pb_ring *r, const char *why);

/*
 * The consumer: copies up to n bytes into buf, waiting for a chunk. Returns the count, 0 at the end, or -1
 * with the producer's error in err ("stopped" when the ring was stopped).
 */
long pb_ring_get(struct pb_ring *r, char *buf, size_t n, struct pb_buf *err);

/* Either side: stop without waiting. A producer waiting for a chunk and a consumer waiting for data return. */
void pb_ring_stop(struct pb_ring *r);

/* 1 when the ring was stopped. */
int pb_ring_stopped(struct pb_ring *r);

/* Frees the chunks; r must have no thread using it. Accepts a ring that init left empty or never saw (zeroed). */
void pb_ring_release(struct pb_ring *r);

#endif
