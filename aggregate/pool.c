/*
 * Accounts estimated on worker threads and written in order. The accounts sit in a ring of slots: the caller
 * fills the next free one and hands it over, a worker estimates it (each account's random draws are its own,
 * seeded per series: which thread estimates it changes nothing), and the caller writes the slots at the head
 * of the ring once they are estimated, in the order it handed them over.
 */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"

#include "banned.h"

/* Slots per worker thread: enough for the workers to go on while the caller waits for the next rows. */
#define SLOTS_PER_THREAD 32

enum { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

struct slot {
	struct pb_agg_account acct;
	struct pb_buf err;
	int state, rc;
};

struct pb_agg_pool {
	struct pb_agg_context *ctx;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t *threads;
	int nthreads, started, stop;
	struct slot *slots;
	size_t nslots;
	/* Counts of accounts since the start, slot = count % nslots: written <= taken <= handed. */
	size_t handed, taken; /* under mu */
	size_t written;	      /* the caller's alone */
	int failed;	      /* an account failed: its error was given, nothing more is written */
};

int pb_agg_pool_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

static void *worker(void *arg)
{
	struct pb_agg_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *s;
		int rc;

		while (!p->stop && p->taken == p->handed)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		s = &p->slots[p->taken % p->nslots];
		p->taken++;
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		rc = pb_agg_account_estimate(p->ctx, &s->acct, &s->err);
		pthread_mutex_lock(&p->mu);
		s->rc = rc;
		s->state = SLOT_DONE;
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct pb_agg_pool *pb_agg_pool_new(struct pb_agg_context *ctx, int threads, struct pb_buf *err)
{
	struct pb_agg_pool *p = calloc(1, sizeof(*p));
	size_t i;

	if (!p)
		goto nomem;
	p->ctx = ctx;
	p->nthreads = threads < 1 ? 1 : threads > PB_AGG_POOL_MAX_THREADS ? PB_AGG_POOL_MAX_THREADS : threads;
	p->nslots = p->nthreads == 1 ? 1 : (size_t)p->nthreads * SLOTS_PER_THREAD;
	p->slots = calloc(p->nslots, sizeof(*p->slots));
	if (!p->slots)
		goto nomem;
	for (i = 0; i < p->nslots; i++)
		pb_buf_init(&p->slots[i].err, 0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	if (p->nthreads == 1)
		return p;
	p->threads = calloc((size_t)p->nthreads, sizeof(*p->threads));
	if (!p->threads)
		goto nomem;
	for (; p->started < p->nthreads; p->started++) {
		int rc = pthread_create(&p->threads[p->started], NULL, worker, p);

		if (rc != 0) {
			pb_buf_reset(err);
			pb_buf_addf(err, "cannot start thread %d of the %d that estimate: %s", p->started + 1,
				    p->nthreads, strerror(rc));
			pb_agg_pool_free(p);
			return NULL;
		}
	}
	return p;
nomem:
	pb_agg_pool_free(p);
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return NULL;
}

/*
 * Writes the estimated accounts at the head of the ring, in order; with wait, waits for the head first (but for
 * no account after it). Returns 0, or PB_ERR_DATA with err set when an account written failed.
 */
static int write_head(struct pb_agg_pool *p, int wait, struct pb_buf *err)
{
	while (p->written < p->handed) {
		struct slot *s = &p->slots[p->written % p->nslots];
		int state;

		pthread_mutex_lock(&p->mu);
		while (wait && s->state != SLOT_DONE)
			pthread_cond_wait(&p->done, &p->mu);
		state = s->state;
		pthread_mutex_unlock(&p->mu);
		if (state != SLOT_DONE)
			return 0;
		if (s->rc < 0) {
			p->failed = 1;
			pb_buf_reset(err);
			pb_buf_addstr(err, pb_buf_str(&s->err));
			return s->rc;
		}
		pb_agg_account_write(p->ctx, &s->acct);
		/* Free again: no worker looks at a slot until it is handed over anew. */
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_FREE;
		pthread_mutex_unlock(&p->mu);
		p->written++;
		wait = 0;
	}
	return 0;
}

struct pb_agg_account *pb_agg_pool_next(struct pb_agg_pool *p, struct pb_buf *err)
{
	if (p->failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "internal error: an account of the run failed already");
		return NULL;
	}
	if (p->nthreads == 1)
		return &p->slots[0].acct;
	if (write_head(p, 0, err) < 0)
		return NULL;
	/* Every slot taken: wait for the oldest only, so that the workers never run out of accounts meanwhile. */
	if (p->handed - p->written == p->nslots && write_head(p, 1, err) < 0)
		return NULL;
	return &p->slots[p->handed % p->nslots].acct;
}

int pb_agg_pool_submit(struct pb_agg_pool *p, struct pb_buf *err)
{
	struct slot *s;

	if (p->nthreads == 1) {
		int rc = pb_agg_account_finish(p->ctx, &p->slots[0].acct, err);

		p->failed = rc < 0;
		return rc;
	}
	pthread_mutex_lock(&p->mu);
	s = &p->slots[p->handed % p->nslots];
	s->state = SLOT_READY;
	s->rc = 0;
	p->handed++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int pb_agg_pool_drain(struct pb_agg_pool *p, struct pb_buf *err)
{
	if (p->failed)
		return PB_ERR_DATA;
	while (p->written < p->handed) {
		int rc = write_head(p, 1, err);

		if (rc < 0)
			return rc;
	}
	return 0;
}

void pb_agg_pool_free(struct pb_agg_pool *p)
{
	size_t i;
	int k;

	if (!p)
		return;
	if (p->slots) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
		for (k = 0; k < p->started; k++)
			pthread_join(p->threads[k], NULL);
		pthread_cond_destroy(&p->work);
		pthread_cond_destroy(&p->done);
		pthread_mutex_destroy(&p->mu);
		for (i = 0; i < p->nslots; i++) {
			pb_agg_account_release(&p->slots[i].acct);
			pb_buf_release(&p->slots[i].err);
		}
	}
	free(p->slots);
	free(p->threads);
	free(p);
}
