/* Unit tests of common/ring.c: bytes in order across threads, a producer's error, and either side stopping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "ring.h"

#include "banned.h"

#define CHUNK 64

/* What the producers write: byte i of the stream is i * 7 mod 251. */
static char byte_at(uint64_t i)
{
	return (char)(i * 7 % 251);
}

struct job {
	struct pb_ring *ring;
	uint64_t total;	 /* bytes to write, in pieces of varying size */
	const char *why; /* the error to close with, or NULL */
	int endless;	 /* write until stopped */
	uint64_t written;
};

static void *producer(void *arg)
{
	struct job *j = arg;
	uint64_t piece = 1;
	char *slot;

	while (j->endless || j->written < j->total) {
		size_t n = (size_t)(piece++ % CHUNK) + 1, i;

		if (!j->endless && n > j->total - j->written)
			n = (size_t)(j->total - j->written);
		slot = pb_ring_slot(j->ring);
		if (!slot)
			return NULL;
		for (i = 0; i < n; i++)
			slot[i] = byte_at(j->written + i);
		pb_ring_put(j->ring, n);
		j->written += n;
	}
	pb_ring_close(j->ring, j->why);
	return NULL;
}

/* Reads the ring to its end in reads of at most step bytes, checking every byte. Returns the last result. */
static long drain(struct pb_ring *r, size_t step, uint64_t *got, struct pb_buf *err)
{
	char buf[CHUNK * 3];
	long n;
	size_t i;

	*got = 0;
	while ((n = pb_ring_get(r, buf, step, err)) > 0) {
		assert_true((size_t)n <= step);
		for (i = 0; i < (size_t)n; i++)
			assert_int_equal(buf[i], byte_at(*got + i));
		*got += (uint64_t)n;
	}
	return n;
}

static void test_in_order(void **state)
{
	static const size_t steps[] = {1, 7, CHUNK, CHUNK * 3};
	struct pb_buf err = PB_BUF_INIT;
	size_t s;

	(void)state;
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		struct pb_ring r;
		struct job j = {&r, 100000, NULL, 0, 0};
		pthread_t t;
		uint64_t got;
		char one;

		assert_int_equal(pb_ring_init(&r, 3, CHUNK), 0);
		assert_int_equal(pthread_create(&t, NULL, producer, &j), 0);
		assert_int_equal(drain(&r, steps[s], &got, &err), 0);
		assert_int_equal(got, 100000);
		/* The end stays the end. */
		assert_int_equal(pb_ring_get(&r, &one, 1, &err), 0);
		pthread_join(t, NULL);
		pb_ring_release(&r);
	}
	pb_buf_release(&err);
}

static void test_producer_error(void **state)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_ring r;
	struct job j = {&r, 5000, "x.gz: truncated gzip stream", 0, 0};
	pthread_t t;
	uint64_t got;
	char one;

	(void)state;
	assert_int_equal(pb_ring_init(&r, 2, CHUNK), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &j), 0);
	/* Every byte put before the error arrives first, then the error, and again on the next read. */
	assert_int_equal(drain(&r, 10, &got, &err), -1);
	assert_int_equal(got, 5000);
	assert_string_equal(pb_buf_str(&err), "x.gz: truncated gzip stream");
	pb_buf_reset(&err);
	assert_int_equal(pb_ring_get(&r, &one, 1, &err), -1);
	assert_string_equal(pb_buf_str(&err), "x.gz: truncated gzip stream");
	pthread_join(t, NULL);
	pb_ring_release(&r);
	pb_buf_release(&err);
}

static void test_error_before_any_data(void **state)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_ring r;
	char buf[8];

	(void)state;
	assert_int_equal(pb_ring_init(&r, 2, CHUNK), 0);
	pb_ring_close(&r, "https://h/x: HTTP 403 (AccessDenied), not retried");
	assert_int_equal(pb_ring_get(&r, buf, sizeof(buf), &err), -1);
	assert_string_equal(pb_buf_str(&err), "https://h/x: HTTP 403 (AccessDenied), not retried");
	pb_ring_release(&r);
	pb_buf_release(&err);
}

static void test_consumer_stops_early(void **state)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_ring r;
	struct job j = {&r, 0, NULL, 1, 0};
	pthread_t t;
	char buf[10];
	int i;

	(void)state;
	assert_int_equal(pb_ring_init(&r, 2, CHUNK), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &j), 0);
	for (i = 0; i < 5; i++)
		assert_true(pb_ring_get(&r, buf, sizeof(buf), &err) > 0);
	/* The producer waits for a free chunk of a full ring: a stop releases it. */
	pb_ring_stop(&r);
	assert_int_equal(pb_ring_stopped(&r), 1);
	pthread_join(t, NULL);
	assert_null(pb_ring_slot(&r));
	pb_ring_release(&r);
	pb_buf_release(&err);
}

static void *stop_later(void *arg)
{
	struct pb_ring *r = arg;
	struct timespec ts = {0, 20 * 1000000L};

	nanosleep(&ts, NULL);
	pb_ring_stop(r);
	return NULL;
}

static void test_stop_wakes_a_waiting_consumer(void **state)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_ring r;
	pthread_t t;
	char buf[4];

	(void)state;
	assert_int_equal(pb_ring_init(&r, 2, CHUNK), 0);
	assert_int_equal(pthread_create(&t, NULL, stop_later, &r), 0);
	assert_int_equal(pb_ring_get(&r, buf, sizeof(buf), &err), -1);
	assert_string_equal(pb_buf_str(&err), "stopped");
	pthread_join(t, NULL);
	pb_ring_release(&r);
	pb_buf_release(&err);
}

static void test_slots(void **state)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_ring r;
	char *a, *b, buf[CHUNK];

	(void)state;
	assert_int_equal(pb_ring_init(&r, 0, CHUNK), -1);
	assert_int_equal(pb_ring_init(&r, PB_RING_MAX_SLOTS + 1, CHUNK), -1);
	pb_ring_release(&r);
	assert_int_equal(pb_ring_init(&r, 2, CHUNK), 0);
	/* Asking again before a put gives the same chunk; an empty put puts nothing. */
	a = pb_ring_slot(&r);
	assert_ptr_equal(pb_ring_slot(&r), a);
	pb_ring_put(&r, 0);
	assert_ptr_equal(pb_ring_slot(&r), a);
	memcpy(a, "abc", 3);
	pb_ring_put(&r, 3);
	b = pb_ring_slot(&r);
	assert_ptr_not_equal(a, b);
	memcpy(b, "de", 2);
	pb_ring_put(&r, 2);
	pb_ring_close(&r, NULL);
	assert_int_equal(pb_ring_get(&r, buf, 2, &err), 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(pb_ring_get(&r, buf, sizeof(buf), &err), 1);
	assert_int_equal(pb_ring_get(&r, buf, sizeof(buf), &err), 2);
	assert_memory_equal(buf, "de", 2);
	assert_int_equal(pb_ring_get(&r, buf, sizeof(buf), &err), 0);
	pb_ring_release(&r);
	pb_ring_release(&r);
	pb_buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_producer_error),
		cmocka_unit_test(test_error_before_any_data),
		cmocka_unit_test(test_consumer_stops_early),
		cmocka_unit_test(test_stop_wakes_a_waiting_consumer),
		cmocka_unit_test(test_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
