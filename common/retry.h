/*
 * When to try again: attempts counted, exponential backoff (with jitter where asked), and a server's
 * Retry-After honoured up to a cap. One loop's state; the caller makes the attempts and judges them.
 */
#ifndef PB_RETRY_H
#define PB_RETRY_H

/* How patiently. */
struct pb_retry_policy {
	int attempts;		 /* in all, the first one included */
	long first_ms;		 /* the delay after the first attempt, before jitter */
	long cap_ms;		 /* delays grow twofold up to this (first_ms should not exceed it) */
	long retry_after_cap_ms; /* a Retry-After is honoured up to this */
	int jitter;		 /* 1: each delay is drawn from [d/2, d] */
	/*
	 * 1: a Retry-After only lengthens the delay (the backoff stands when the server asks for less);
	 * 0: it replaces the delay, shorter or longer.
	 */
	int retry_after_at_least;
};

struct pb_retry {
	const struct pb_retry_policy *policy;
	int attempt;   /* attempts begun */
	long delay_ms; /* the next delay, before jitter */
};

/* Prepares r for a first attempt under policy (which must outlive r). */
void pb_retry_init(struct pb_retry *r, const struct pb_retry_policy *policy);

/* Begins an attempt: 1 (counted) when the policy allows one more, else 0. */
int pb_retry_begin(struct pb_retry *r);

/* 1 when another attempt may follow the one begun. */
int pb_retry_left(const struct pb_retry *r);

/*
 * The wait in milliseconds before the next attempt, given the last answer's Retry-After in milliseconds
 * (negative: none); moves the backoff on.
 */
long pb_retry_wait_ms(struct pb_retry *r, long retry_after_ms);

/* A Retry-After in seconds as milliseconds for pb_retry_wait_ms (a day at most; negative stays -1: none). */
long pb_retry_after_ms(long seconds);

/* Sleeps ms milliseconds, in short steps when stop is given, returning early once stop(arg) says 1. */
void pb_retry_sleep_ms(long ms, int (*stop)(void *arg), void *arg);

#endif
