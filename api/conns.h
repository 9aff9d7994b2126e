/* The open connections, each given a deadline for its request's line and header fields (--header-timeout). */
#ifndef PB_API_CONNS_H
#define PB_API_CONNS_H

#include <sys/socket.h>

#include "buf.h"

/*
 * libmicrohttpd's idle timeout starts again at each byte received, so that a client sending its request's
 * head a byte at a time holds its connection (and, with a thread per connection, a thread) for as long as it
 * likes. Here each connection has head_ms from its start, or from the end of its previous request, to send a
 * request's whole head; past that a thread of its own shuts the connection's socket down (libmicrohttpd then
 * reads its end and closes it) and says so once through say. Thread-safe.
 */
struct pb_api_conns;
/* One connection, from pb_api_conns_open to pb_api_conns_close. */
struct pb_api_conn;

/* How a connection shut down is said: msg names the client and the deadline. */
typedef void (*pb_api_conns_say_fn)(void *cls, const char *msg);

/* Starts the watching thread. NULL, with err, when memory or a thread cannot be had. */
struct pb_api_conns *pb_api_conns_start(unsigned head_ms, pb_api_conns_say_fn say, void *say_cls, struct pb_buf *err);

/* Stops the thread and frees c (NULL: nothing); every connection must be closed (pb_api_conns_close) first. */
void pb_api_conns_stop(struct pb_api_conns *c);

/*
 * A connection of socket fd from addr (NULL: unknown) opened: its request's head is awaited from now. Returns
 * it, to give back to the calls below, or NULL when out of memory (the caller must not serve the socket).
 * counted is kept with it for the caller (pb_api_conns_counted).
 */
struct pb_api_conn *pb_api_conns_open(struct pb_api_conns *c, int fd, const struct sockaddr *addr, int counted);

/* The caller's mark given to pb_api_conns_open. */
int pb_api_conns_counted(const struct pb_api_conn *conn);

/* The connection's client, "ADDR:PORT" or "[ADDR]:PORT", for messages; owned by conn. */
const char *pb_api_conns_peer(const struct pb_api_conn *conn);

/* Says msg about a connection, as the connections shut down are said (through say). */
void pb_api_conns_say(struct pb_api_conns *c, const char *msg);

/* The connection's request has its whole head: no deadline until it ends. */
void pb_api_conns_head_in(struct pb_api_conns *c, struct pb_api_conn *conn);

/* The connection's request ended (answered): the next one's head is awaited from now. */
void pb_api_conns_request_done(struct pb_api_conns *c, struct pb_api_conn *conn);

/* The connection is closing, its socket still open: forgotten and freed. conn NULL: nothing. */
void pb_api_conns_close(struct pb_api_conns *c, struct pb_api_conn *conn);

#endif
