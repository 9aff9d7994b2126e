/* The open connections in a list under one mutex, and a thread that shuts down those whose head is late. */
#include "conns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"

#include "banned.h"

#define TICK_MAX_MS 250 /* how late after its deadline a connection may be shut down, at most */
#define TICK_MIN_MS 20

struct pb_api_conn {
	struct pb_api_conn *prev, *next;
	int fd;
	int counted;
	int waiting;	/* its request's head is awaited */
	int shut;	/* shut down already: said once */
	uint64_t since; /* when the head began to be awaited (pb_now_ms) */
	char peer[64];	/* "ADDR:PORT" or "[ADDR]:PORT" */
};

struct pb_api_conns {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct pb_api_conn *head;
	unsigned head_ms, tick_ms;
	int stop;
	pb_api_conns_say_fn say;
	void *say_cls;
};

static void name_peer(const struct sockaddr *addr, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	snprintf(out, size, "an unknown address");
	if (addr && addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)addr;

		if (inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip)))
			snprintf(out, size, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
	} else if (addr && addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;

		if (inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip)))
			snprintf(out, size, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
	}
}

/* Shuts down the connections past their deadline; what to say is added to said, a line each. Lock held. */
static void shut_late(struct pb_api_conns *c, struct pb_buf *said)
{
	uint64_t now = pb_now_ms();
	struct pb_api_conn *e;

	for (e = c->head; e; e = e->next) {
		if (!e->waiting || e->shut || now - e->since < c->head_ms)
			continue;
		/* The socket stays open until libmicrohttpd closes it, after pb_api_conns_close: fd is still ours. */
		shutdown(e->fd, SHUT_RDWR);
		e->shut = 1;
		pb_buf_addf(said,
			    "closed the connection of %s: its request line and header fields were not all in within "
			    "%u s (--header-timeout)\n",
			    e->peer, c->head_ms / 1000);
	}
}

static void *watch(void *arg)
{
	struct pb_api_conns *c = arg;
	struct pb_buf said = PB_BUF_INIT;
	struct timespec until;
	char *line, *nl;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		shut_late(c, &said);
		if (said.len) {
			pthread_mutex_unlock(&c->lock);
			for (line = said.ptr; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
				*nl = '\0';
				c->say(c->say_cls, line);
			}
			pb_buf_reset(&said);
			pthread_mutex_lock(&c->lock);
			if (c->stop)
				break;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)c->tick_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&c->wake, &c->lock, &until);
	}
	pthread_mutex_unlock(&c->lock);
	pb_buf_release(&said);
	return NULL;
}

struct pb_api_conns *pb_api_conns_start(unsigned head_ms, pb_api_conns_say_fn say, void *say_cls, struct pb_buf *err)
{
	struct pb_api_conns *c = calloc(1, sizeof(*c));
	pthread_condattr_t attr;
	int cond = -1;

	if (!c) {
		pb_buf_addstr(err, "out of memory");
		return NULL;
	}
	c->head_ms = head_ms;
	c->tick_ms = head_ms / 4 > TICK_MAX_MS ? TICK_MAX_MS : head_ms / 4 < TICK_MIN_MS ? TICK_MIN_MS : head_ms / 4;
	c->say = say;
	c->say_cls = say_cls;
	if (pthread_condattr_init(&attr) == 0) {
		if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0)
			cond = pthread_cond_init(&c->wake, &attr);
		pthread_condattr_destroy(&attr);
	}
	if (cond != 0) {
		free(c);
		pb_buf_addstr(err, "cannot make a condition variable");
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	if (pthread_create(&c->thread, NULL, watch, c) != 0) {
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		free(c);
		pb_buf_addstr(err, "cannot start the thread that watches the connections");
		return NULL;
	}
	return c;
}

void pb_api_conns_stop(struct pb_api_conns *c)
{
	struct pb_api_conn *e, *next;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	for (e = c->head; e; e = next) {
		next = e->next;
		free(e);
	}
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct pb_api_conn *pb_api_conns_open(struct pb_api_conns *c, int fd, const struct sockaddr *addr, int counted)
{
	struct pb_api_conn *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->fd = fd;
	e->counted = counted;
	e->waiting = 1;
	name_peer(addr, e->peer, sizeof(e->peer));
	pthread_mutex_lock(&c->lock);
	e->since = pb_now_ms();
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	pthread_mutex_unlock(&c->lock);
	return e;
}

int pb_api_conns_counted(const struct pb_api_conn *conn)
{
	return conn->counted;
}

const char *pb_api_conns_peer(const struct pb_api_conn *conn)
{
	return conn->peer;
}

void pb_api_conns_say(struct pb_api_conns *c, const char *msg)
{
	c->say(c->say_cls, msg);
}

void pb_api_conns_head_in(struct pb_api_conns *c, struct pb_api_conn *conn)
{
	pthread_mutex_lock(&c->lock);
	conn->waiting = 0;
	pthread_mutex_unlock(&c->lock);
}

void pb_api_conns_request_done(struct pb_api_conns *c, struct pb_api_conn *conn)
{
	pthread_mutex_lock(&c->lock);
	conn->waiting = 1;
	conn->since = pb_now_ms();
	pthread_mutex_unlock(&c->lock);
}

void pb_api_conns_close(struct pb_api_conns *c, struct pb_api_conn *conn)
{
	if (!conn)
		return;
	pthread_mutex_lock(&c->lock);
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		c->head = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	pthread_mutex_unlock(&c->lock);
	free(conn);
}
