/* Progress on stderr, in integer arithmetic: tenths of a megabyte and of MB/s. */
#include "progress.h"

#include <stdlib.h>
#include <time.h>

#include "banned.h"

#define REDRAW_MS 200
#define FIRST_DRAW_MS 1000

uint64_t pb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void pb_progress_init(struct pb_progress *p, FILE *out)
{
	p->out = out;
	p->start_ms = pb_now_ms();
	p->last_ms = p->start_ms;
	p->total = 0;
	p->drawn = 0;
	p->unit = "row";
	p->quiet_ms = FIRST_DRAW_MS;
#ifdef PB_TEST_HOOKS
	/*
	 * The tests of what progress shows: drawn from the start (the first update too, however soon it comes), in
	 * the development and test build only.
	 */
	if (getenv("PB_TEST_PROGRESS_NOW")) {
		p->quiet_ms = 0;
		p->last_ms = p->start_ms > REDRAW_MS ? p->start_ms - REDRAW_MS : 0;
	}
#endif
}

void pb_progress_set_unit(struct pb_progress *p, const char *unit)
{
	p->unit = unit;
}

/* "s" unless count is 1. */
static const char *plural(uint64_t count)
{
	return count == 1 ? "" : "s";
}

void pb_progress_set_total(struct pb_progress *p, uint64_t total)
{
	p->total = total;
}

void pb_progress_eta(uint64_t done, uint64_t total, uint64_t elapsed_ms, char *out, size_t size)
{
	uint64_t s;

	out[0] = 0;
	if (!done || done > total || !elapsed_ms || done > UINT64_MAX / 1000)
		return;
	/* elapsed * (total - done) / done, rounded up to seconds: the counts scaled to 32 bits keep the product
	 * within 64 (the ratio is what matters); elapsed above 2^31 ms (24 days) does not happen. */
	while (total > UINT32_MAX) {
		total >>= 1;
		done >>= 1;
	}
	if (!done || elapsed_ms > INT32_MAX)
		return;
	s = (elapsed_ms * (total - done) + done * 1000 - 1) / (done * 1000);
	if (s < 60)
		snprintf(out, size, "%llu s", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, size, "%llu min %llu s", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else
		snprintf(out, size, "%llu h %llu min", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
}

/* ", 42%, 12 s left" when the total is known and done is within it. */
static void share(const struct pb_progress *p, uint64_t done, uint64_t now)
{
	uint64_t pct;
	char eta[32];

	if (!p->total || done > p->total)
		return;
	pct = p->total > UINT64_MAX / 100 ? done / (p->total / 100) : done * 100 / p->total;
	fprintf(p->out, ", %llu%%", (unsigned long long)pct);
	pb_progress_eta(done, p->total, now - p->start_ms, eta, sizeof(eta));
	if (eta[0] && done < p->total)
		fprintf(p->out, ", %s left", eta);
}

/* Ends a line drawn: the share of the total done, the rest of the old line cleared, and out flushed. */
static void drawn(struct pb_progress *p, uint64_t done, uint64_t now)
{
	share(p, done, now);
	fputs("\033[K", p->out);
	fflush(p->out);
	p->drawn = 1;
}

/* 1 (with the time in *now) when a line is to be drawn: shown at all, past the quiet start, REDRAW_MS apart. */
static int due(struct pb_progress *p, uint64_t *now)
{
	if (!p->out)
		return 0;
	*now = pb_now_ms();
	if (*now - p->last_ms < REDRAW_MS || *now - p->start_ms < p->quiet_ms)
		return 0;
	p->last_ms = *now;
	return 1;
}

static void draw(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows, uint64_t now)
{
	uint64_t ms = now - p->start_ms, mb10 = bytes / 100000, rate10 = 0;

	if (ms) /* bytes per ms is kB/s; tenths of MB/s, rounded to the nearest */
		rate10 = (bytes / ms + 50) / 100;
	fprintf(p->out, "\r%s: %llu.%llu MB, %llu %s%s, %llu.%llu MB/s", label, (unsigned long long)(mb10 / 10),
		(unsigned long long)(mb10 % 10), (unsigned long long)rows, p->unit, plural(rows),
		(unsigned long long)(rate10 / 10), (unsigned long long)(rate10 % 10));
	drawn(p, bytes, now);
}

void pb_progress_update(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows)
{
	uint64_t now;

	if (due(p, &now))
		draw(p, label, bytes, rows, now);
}

void pb_progress_finish(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows)
{
	if (!p->out || !p->drawn)
		return;
	draw(p, label, bytes, rows, pb_now_ms());
	fputc('\n', p->out);
	fflush(p->out);
}
