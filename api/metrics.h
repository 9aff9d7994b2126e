/* pb-api's counters: requests by endpoint and status, a latency histogram, and the Prometheus text of them. */
#ifndef PB_API_METRICS_H
#define PB_API_METRICS_H

#include <stdint.h>

#include "buf.h"

enum pb_api_endpoint {
	PB_API_EP_ACCOUNT, /* GET /v1/accounts/{alias}/partner-usage */
	PB_API_EP_DAILY,   /* GET /v1/accounts/{alias}/partner-usage/daily */
	PB_API_EP_LIST,	   /* GET /v1/partner-usage */
	PB_API_EP_HEALTH,
	PB_API_EP_METRICS,
	PB_API_EP_OTHER,
	PB_API_NENDPOINTS
};

/* The counters; zeroed memory is a valid, empty set. Every function may be called from any thread. */
struct pb_api_metrics;

struct pb_api_metrics *pb_api_metrics_new(void);
void pb_api_metrics_free(struct pb_api_metrics *m);

/* One answered request: its endpoint, HTTP status and the microseconds it took to answer. */
void pb_api_metrics_request(struct pb_api_metrics *m, enum pb_api_endpoint ep, unsigned status, uint64_t usec);

/* Other events, each counted once per call. */
enum pb_api_event {
	PB_API_EV_AUTH_FAILURE, /* a missing or unknown token */
	PB_API_EV_RATE_LIMITED, /* answered 429 */
	PB_API_EV_DB_ERROR,	/* a query failed */
	PB_API_EV_NOTIFY_RUN,	/* a new aggregate run became current */
	PB_API_EV_NOTIFY_TOKEN, /* a token was revoked */
	PB_API_EV_POOL_TIMEOUT, /* no pool connection came free in time */
	PB_API_NEVENTS
};
void pb_api_metrics_event(struct pb_api_metrics *m, enum pb_api_event ev);

/* Appends the counters in the Prometheus text exposition format (version 0.0.4). */
void pb_api_metrics_render(struct pb_api_metrics *m, struct pb_buf *out);

#endif
