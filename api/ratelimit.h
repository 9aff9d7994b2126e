/* Failed authentications per client address: a token bucket each, so that guessing tokens is slow. */
#ifndef PB_API_RATELIMIT_H
#define PB_API_RATELIMIT_H

#include <stdint.h>
#include <sys/socket.h>

/*
 * Each client address may fail to authenticate burst times at once, and once more every refill_ms after
 * that. IPv6 clients are counted per /64, the block one host usually has (pb_api_client_key). The table is fixed in
 * size; when it is full, the address that has waited longest is forgotten. Thread-safe.
 */
struct pb_api_ratelimit;

/* Returns NULL when out of memory. */
struct pb_api_ratelimit *pb_api_ratelimit_new(unsigned burst, uint64_t refill_ms);
void pb_api_ratelimit_free(struct pb_api_ratelimit *r);

/*
 * 0 when addr may try to authenticate now; else the seconds until it may (at least 1), for Retry-After.
 * addr NULL (unknown) is never limited.
 */
unsigned pb_api_ratelimit_wait(struct pb_api_ratelimit *r, const struct sockaddr *addr);

/* Counts one failed authentication of addr. */
void pb_api_ratelimit_fail(struct pb_api_ratelimit *r, const struct sockaddr *addr);

#endif
