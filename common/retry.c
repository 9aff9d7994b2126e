/* The one retry schedule of downloads and API calls: backoff doubling to a cap, jitter, Retry-After. */
#include "retry.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

static uint64_t jitter_state;

/* xorshift64, seeded once from the clock and the pid: jitter need not be strong, only unlike other processes'. */
static uint64_t next_random(void)
{
	uint64_t x = __atomic_load_n(&jitter_state, __ATOMIC_RELAXED);

	if (!x)
		x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	__atomic_store_n(&jitter_state, x, __ATOMIC_RELAXED);
	return x;
}

void pb_retry_init(struct pb_retry *r, const struct pb_retry_policy *policy)
{
	r->policy = policy;
	r->attempt = 0;
	r->delay_ms = policy->first_ms;
}

int pb_retry_begin(struct pb_retry *r)
{
	if (r->attempt >= r->policy->attempts)
		return 0;
	r->attempt++;
	return 1;
}

int pb_retry_left(const struct pb_retry *r)
{
	return r->attempt < r->policy->attempts;
}

long pb_retry_wait_ms(struct pb_retry *r, long retry_after_ms)
{
	const struct pb_retry_policy *p = r->policy;
	long wait = r->delay_ms, ra = retry_after_ms;

	if (p->jitter)
		wait = wait / 2 + (long)(next_random() % (uint64_t)(wait / 2 + 1));
	if (ra > p->retry_after_cap_ms)
		ra = p->retry_after_cap_ms;
	if (p->retry_after_at_least ? retry_after_ms > 0 && ra > wait : retry_after_ms >= 0)
		wait = ra;
	r->delay_ms = r->delay_ms <= p->cap_ms - r->delay_ms ? r->delay_ms * 2 : p->cap_ms;
	return wait;
}

long pb_retry_after_ms(long seconds)
{
	if (seconds < 0)
		return -1;
	return (seconds > 86400 ? 86400 : seconds) * 1000;
}

void pb_retry_sleep_ms(long ms, int (*stop)(void *arg), void *arg)
{
	while (ms > 0 && !(stop && stop(arg))) {
		long step = stop && ms > 50 ? 50 : ms;
		struct timespec ts = {step / 1000, (step % 1000) * 1000000L};

		while (nanosleep(&ts, &ts) != 0)
			;
		ms -= step;
	}
}
