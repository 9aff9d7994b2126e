/* The hash of the in-memory tables (the reduction's rows and texts, the price lists' meters): fast mixing of
 * 64-bit words; not meant to stand up to input chosen to collide. */
#ifndef PB_HASH_H
#define PB_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t pb_hash_mix(uint64_t h)
{
	__uint128_t m = (__uint128_t)h * 0x9E3779B97F4A7C15ULL;

	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static inline uint64_t pb_hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0x2545F4914F6CDD1DULL ^ n, w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = pb_hash_mix(h ^ w);
	}
	if (n) {
		w = 0;
		memcpy(&w, p, n);
		h = pb_hash_mix(h ^ w ^ 0xD6E8FEB86659FD93ULL);
	}
	return pb_hash_mix(h);
}

#endif
