/* A chained hash map of clients to their open connections under one mutex: touched at connects and closes. */
#include "clients.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define BUCKETS 4096 /* a power of 2 */

struct client {
	struct client *next;
	unsigned char key[PB_API_CLIENT_KEY]; /* family, then the address (IPv6: its /64) */
	unsigned open;
};

struct pb_api_clients {
	pthread_mutex_t lock;
	unsigned max;
	struct client *buckets[BUCKETS];
};

struct pb_api_clients *pb_api_clients_new(unsigned max)
{
	struct pb_api_clients *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->max = max ? max : 1;
	return c;
}

void pb_api_clients_free(struct pb_api_clients *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < BUCKETS; i++) {
		struct client *e = c->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int pb_api_client_key(const struct sockaddr *addr, unsigned char key[PB_API_CLIENT_KEY])
{
	memset(key, 0, PB_API_CLIENT_KEY);
	if (!addr)
		return -1;
	if (addr->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)addr)->sin_addr, 4);
		return 0;
	}
	if (addr->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)addr)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			key[0] = 4;
			memcpy(key + 1, a->s6_addr + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a->s6_addr, 8);
		}
		return 0;
	}
	return -1;
}

unsigned pb_api_client_key_hash(const unsigned char key[PB_API_CLIENT_KEY])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < PB_API_CLIENT_KEY; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

/* Where the client of key is, or would be linked; the lock is held. */
static struct client **find(struct pb_api_clients *c, const unsigned char key[PB_API_CLIENT_KEY])
{
	struct client **p = &c->buckets[pb_api_client_key_hash(key) & (BUCKETS - 1)];

	while (*p && memcmp((*p)->key, key, PB_API_CLIENT_KEY) != 0)
		p = &(*p)->next;
	return p;
}

int pb_api_clients_may_open(struct pb_api_clients *c, const struct sockaddr *addr)
{
	unsigned char key[PB_API_CLIENT_KEY];
	struct client **p;
	int may;

	if (pb_api_client_key(addr, key) < 0)
		return 1;
	pthread_mutex_lock(&c->lock);
	p = find(c, key);
	may = !*p || (*p)->open < c->max;
	pthread_mutex_unlock(&c->lock);
	return may;
}

int pb_api_clients_count(struct pb_api_clients *c, const struct sockaddr *addr, int delta)
{
	unsigned char key[PB_API_CLIENT_KEY];
	struct client **p, *e;
	int rc = 0;

	if (pb_api_client_key(addr, key) < 0)
		return -1;
	pthread_mutex_lock(&c->lock);
	p = find(c, key);
	e = *p;
	if (delta > 0) {
		if (!e) {
			e = calloc(1, sizeof(*e));
			if (e) {
				memcpy(e->key, key, PB_API_CLIENT_KEY);
				*p = e;
			}
		}
		if (e)
			e->open++;
		else
			rc = -1;
	} else if (e && e->open > 0 && --e->open == 0) {
		*p = e->next;
		free(e);
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}
