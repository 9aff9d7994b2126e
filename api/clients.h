/* The connections open per client, an IPv6 client's /64 counted as one, for --max-connections-per-client. */
#ifndef PB_API_CLIENTS_H
#define PB_API_CLIENTS_H

#include <sys/socket.h>

/*
 * A count of open connections per client: an IPv4 address, or an IPv6 /64 (the block one host usually has,
 * as pb_api_ratelimit counts it; an IPv4-mapped address counts as its IPv4 one). Thread-safe.
 */
struct pb_api_clients;

/* The bytes of a client's key: its family (4 or 6), then its IPv4 address or its IPv6 /64. */
#define PB_API_CLIENT_KEY 9

/*
 * The key of addr's client, which --max-connections-per-client and --auth-failures count by: an IPv4 address
 * (an IPv4-mapped IPv6 one as its IPv4), or an IPv6 /64. 0, or -1 for an address that is not counted (NULL,
 * another family).
 */
int pb_api_client_key(const struct sockaddr *addr, unsigned char key[PB_API_CLIENT_KEY]);

/* A hash of a client's key (FNV-1a). */
unsigned pb_api_client_key_hash(const unsigned char key[PB_API_CLIENT_KEY]);

/* Each client may hold max connections at once. Returns NULL when out of memory. */
struct pb_api_clients *pb_api_clients_new(unsigned max);
void pb_api_clients_free(struct pb_api_clients *c);

/* 1 when addr's client holds fewer than max connections (addr NULL, or of another family: 1), else 0. */
int pb_api_clients_may_open(struct pb_api_clients *c, const struct sockaddr *addr);

/*
 * Counts a connection of addr's client opened (delta 1) or closed (-1). 0, or -1 when addr is not counted
 * (NULL, another family, or out of memory): then it must not be counted closed either.
 */
int pb_api_clients_count(struct pb_api_clients *c, const struct sockaddr *addr, int delta);

#endif
