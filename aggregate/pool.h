/*
 * The accounts of a run finished side by side: their estimates made on worker threads while the next rows are
 * read, their rows written in account order, as if each were finished in turn.
 */
#ifndef PB_AGGREGATE_POOL_H
#define PB_AGGREGATE_POOL_H

#include "account.h"
#include "buf.h"

/* The most worker threads a pool runs. */
#define PB_AGG_POOL_MAX_THREADS 64

struct pb_agg_pool;

/*
 * The worker threads a run uses when not told: one per online processor, at most 8 (each account's estimates
 * are a few milliseconds of one thread's time; the threads leave the server its share of the processors).
 */
int pb_agg_pool_default_threads(void);

/*
 * A pool that finishes the accounts of ctx (pb_agg_account_estimate, then pb_agg_account_write) on threads
 * worker threads, 1 to PB_AGG_POOL_MAX_THREADS; with 1, each account is finished on the caller's thread as it
 * is handed over. ctx must outlive the pool; its files are written by the caller's thread only. Returns the
 * pool (free it with pb_agg_pool_free), or NULL with err set.
 */
struct pb_agg_pool *pb_agg_pool_new(struct pb_agg_context *ctx, int threads, struct pb_buf *err);

/*
 * The pool's account to fill next (the caller starts it with pb_agg_account_start and adds its rows), waiting
 * while every one is taken by accounts not yet written; the accounts estimated meanwhile are written, in order.
 * The account is the caller's until pb_agg_pool_submit. NULL when an account handed over before failed: err
 * then says why (the first that failed, in order).
 */
struct pb_agg_account *pb_agg_pool_next(struct pb_agg_pool *p, struct pb_buf *err);

/*
 * Hands over the account pb_agg_pool_next gave, to be estimated and written. Returns 0, or (one thread only:
 * the account is finished here) PB_ERR_DATA with err set.
 */
int pb_agg_pool_submit(struct pb_agg_pool *p, struct pb_buf *err);

/*
 * Waits for every account handed over and writes each in order. Returns 0, or PB_ERR_DATA: with err set, the
 * first account, in order, whose estimate failed (the accounts after it are not written); with err as it was,
 * when the pool gave that failure already (pb_agg_pool_next or pb_agg_pool_submit).
 */
int pb_agg_pool_drain(struct pb_agg_pool *p, struct pb_buf *err);

/* Stops the threads (accounts not yet estimated are dropped) and frees the pool. NULL is fine. */
void pb_agg_pool_free(struct pb_agg_pool *p);

#endif
