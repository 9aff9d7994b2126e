/* Lock-free counters (relaxed atomics): a request costs a few additions, the scrape reads them all. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "banned.h"

static const unsigned statuses[] = {200, 304, 400, 401, 403, 404, 405, 412, 414, 429, 431, 500, 501, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

/* Upper bounds of the latency buckets, in microseconds; +Inf follows. */
static const uint64_t bounds[] = {100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static const char *const endpoint_names[PB_API_NENDPOINTS] = {
	"account", "account_daily", "accounts", "healthz", "metrics", "other",
};

static const char *const event_names[PB_API_NEVENTS][2] = {
	{"pb_api_auth_failures_total", "Requests refused for a missing or unknown token."},
	{"pb_api_rate_limited_total", "Requests answered 429 after too many failed authentications."},
	{"pb_api_db_errors_total", "Database queries that failed."},
	{"pb_api_run_notifications_total", "Notifications that a new aggregate run is current."},
	{"pb_api_token_notifications_total", "Notifications that a token was revoked."},
	{"pb_api_pool_timeouts_total", "Requests that waited in vain for a pool connection."},
};

struct pb_api_metrics {
	atomic_uint_fast64_t requests[PB_API_NENDPOINTS][NSTATUS + 1]; /* the last: any other status */
	atomic_uint_fast64_t buckets[PB_API_NENDPOINTS][NBOUNDS + 1];
	atomic_uint_fast64_t usec_sum[PB_API_NENDPOINTS];
	atomic_uint_fast64_t events[PB_API_NEVENTS];
};

struct pb_api_metrics *pb_api_metrics_new(void)
{
	/* Zeroed memory is the atomics' zero on every platform this builds on. */
	return calloc(1, sizeof(struct pb_api_metrics));
}

void pb_api_metrics_free(struct pb_api_metrics *m)
{
	free(m);
}

static size_t status_index(unsigned status)
{
	size_t i;

	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS;
}

void pb_api_metrics_request(struct pb_api_metrics *m, enum pb_api_endpoint ep, unsigned status, uint64_t usec)
{
	size_t b = 0;

	while (b < NBOUNDS && usec > bounds[b])
		b++;
	atomic_fetch_add_explicit(&m->requests[ep][status_index(status)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->buckets[ep][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->usec_sum[ep], usec, memory_order_relaxed);
}

void pb_api_metrics_event(struct pb_api_metrics *m, enum pb_api_event ev)
{
	atomic_fetch_add_explicit(&m->events[ev], 1, memory_order_relaxed);
}

static uint64_t get(atomic_uint_fast64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

static void render_requests(struct pb_api_metrics *m, struct pb_buf *out)
{
	size_t e, s;

	pb_buf_addstr(out, "# HELP pb_api_requests_total Requests answered, by endpoint and HTTP status.\n"
			   "# TYPE pb_api_requests_total counter\n");
	for (e = 0; e < PB_API_NENDPOINTS; e++) {
		for (s = 0; s <= NSTATUS; s++) {
			uint64_t n = get(&m->requests[e][s]);

			if (!n)
				continue;
			if (s < NSTATUS)
				pb_buf_addf(out, "pb_api_requests_total{endpoint=\"%s\",status=\"%u\"} %llu\n",
					    endpoint_names[e], statuses[s], (unsigned long long)n);
			else
				pb_buf_addf(out, "pb_api_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
					    endpoint_names[e], (unsigned long long)n);
		}
	}
}

static void render_histogram(struct pb_api_metrics *m, struct pb_buf *out)
{
	size_t e, b;

	pb_buf_addstr(out, "# HELP pb_api_request_duration_seconds Time from a request's headers to its answer.\n"
			   "# TYPE pb_api_request_duration_seconds histogram\n");
	for (e = 0; e < PB_API_NENDPOINTS; e++) {
		uint64_t cum = 0, sum = get(&m->usec_sum[e]);

		for (b = 0; b <= NBOUNDS; b++) {
			cum += get(&m->buckets[e][b]);
			if (b < NBOUNDS)
				pb_buf_addf(
					out,
					"pb_api_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%llu.%06llu\"} "
					"%llu\n",
					endpoint_names[e], (unsigned long long)(bounds[b] / 1000000),
					(unsigned long long)(bounds[b] % 1000000), (unsigned long long)cum);
			else
				pb_buf_addf(
					out,
					"pb_api_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
					endpoint_names[e], (unsigned long long)cum);
		}
		pb_buf_addf(out, "pb_api_request_duration_seconds_sum{endpoint=\"%s\"} %llu.%06llu\n",
			    endpoint_names[e], (unsigned long long)(sum / 1000000),
			    (unsigned long long)(sum % 1000000));
		pb_buf_addf(out, "pb_api_request_duration_seconds_count{endpoint=\"%s\"} %llu\n", endpoint_names[e],
			    (unsigned long long)cum);
	}
}

void pb_api_metrics_render(struct pb_api_metrics *m, struct pb_buf *out)
{
	size_t i;

	render_requests(m, out);
	render_histogram(m, out);
	for (i = 0; i < PB_API_NEVENTS; i++)
		pb_buf_addf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", event_names[i][0], event_names[i][1],
			    event_names[i][0], event_names[i][0], (unsigned long long)get(&m->events[i]));
}
