/* pb-api's requests: routing, authentication, the checks of each endpoint, and the cached answers. */
#ifndef PB_API_ROUTES_H
#define PB_API_ROUTES_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>

#include "buf.h"
#include "cache.h"
#include "conns.h"
#include "lastuse.h"
#include "listen.h"
#include "metrics.h"
#include "pool.h"
#include "ratelimit.h"

/*
 * The request target and the header fields (each counted as its line, "Name: value" and CRLF) may take
 * this many bytes each: past that, 414 and 431. libmicrohttpd's memory per connection (see server.c) holds
 * both, and the records of some 2,000 query parameters and header fields besides.
 */
#define PB_API_MAX_TARGET 32768
#define PB_API_MAX_HEADERS 32768
/*
 * The pieces of a query string (between &s) served at most: past that, the /v1 endpoints answer 400
 * bad_parameter, naming the limit, before anything else is checked, and /healthz and /metrics ignore them,
 * as they ignore any.
 */
#define PB_API_MAX_PARAMETERS 2000

/* The fixed answers: one object each, shared by every request that gets it, so they are alike to the byte. */
enum pb_api_fixed {
	PB_API_FIX_NOT_FOUND,
	PB_API_FIX_UNAUTHORIZED,
	PB_API_FIX_FORBIDDEN,
	PB_API_FIX_BAD_MONTH,
	PB_API_FIX_MONTH_RANGE,
	PB_API_FIX_BAD_CURSOR,
	PB_API_FIX_BAD_LIMIT,
	PB_API_FIX_UNKNOWN_PARAMETER,
	PB_API_FIX_PARAMETER_TWICE,
	PB_API_FIX_TOO_MANY_PARAMETERS,
	PB_API_FIX_URI_TOO_LONG,
	PB_API_FIX_HEADERS_TOO_LARGE,
	PB_API_FIX_NUL,
	PB_API_FIX_HOST,
	PB_API_FIX_HOST_VALUE,
	PB_API_FIX_TWO_AUTHORIZATIONS,
	PB_API_FIX_FIELD_NAME,
	PB_API_FIX_FIELD_TOKEN,
	PB_API_FIX_HEAD,
	PB_API_FIX_LENGTH,
	PB_API_FIX_FRAMING,
	PB_API_FIX_METHOD,
	PB_API_FIX_UNKNOWN_METHOD,
	PB_API_FIX_PRECONDITION,
	PB_API_FIX_UNAVAILABLE,
	PB_API_FIX_INTERNAL,
	PB_API_FIX_HEALTHY,
	PB_API_NFIXED
};

/*
 * What answering needs. The server makes the parts and owns them; pb_api_routes_init makes the fixed
 * answers and the caches, pb_api_routes_release frees what init made.
 */
struct pb_api_routes {
	struct pb_api_pool *pool;
	struct pb_api_ratelimit *limit;
	struct pb_api_metrics *metrics;
	struct pb_api_listener *listener;
	struct pb_api_lastuse *lastuse; /* the tokens that authenticate requests, and when */
	struct pb_api_conns *conns;	/* the connections: a request's head in, a request ended */
	struct pb_api_cache *tokens, *runs, *answers;
	struct pb_api_cache *no_runs; /* the months and run ids looked up and not found, apart from the runs */
	struct MHD_Response *fixed[PB_API_NFIXED];
	/*
	 * The server is stopping (SIGTERM): every answer closes its connection. A request begins when its
	 * target is read (pb_api_routes_uri) and ends when it completes: a stop waits for those in progress,
	 * and for the connections that make one, not for keep-alive connections that make none.
	 */
	atomic_int stopping;
	atomic_uint_fast64_t begun, ended;
};

/* Makes the fixed answers and the caches (answers: at most max_answers). 0, or -1 with err. */
int pb_api_routes_init(struct pb_api_routes *r, size_t max_answers, struct pb_buf *err);
void pb_api_routes_release(struct pb_api_routes *r);

/*
 * libmicrohttpd's URI log callback (MHD_OPTION_URI_LOG_CALLBACK), called with the request target as sent,
 * before it is unescaped (a query string of more than PB_API_MAX_PARAMETERS pieces is cut from it, so that
 * libmicrohttpd does not split it): it makes the request's context (*con_cls), which pb_api_routes_completed frees
 * (MHD_OPTION_NOTIFY_COMPLETED), and counts the request in progress until then. cls is the struct
 * pb_api_routes for both.
 */
void *pb_api_routes_uri(void *cls, const char *uri, struct MHD_Connection *conn);
void pb_api_routes_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			     enum MHD_RequestTerminationCode why);

/* libmicrohttpd's access handler; cls is the struct pb_api_routes. */
enum MHD_Result pb_api_routes_answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				     const char *version, const char *upload_data, size_t *upload_data_size,
				     void **con_cls);

#endif
