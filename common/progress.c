/* Progress on stderr, in integer arithmetic: tenths of a megabyte and of MB/s. */
#include "progress.h"

#include <time.h>

#include "banned.h"

#define REDRAW_MS 200

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
	p->drawn = 0;
}

static void draw(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows, uint64_t now)
{
	uint64_t ms = now - p->start_ms, mb10 = bytes / 100000, rate10 = 0;

	if (ms)
		rate10 = bytes / ms / 100;
	fprintf(p->out, "\r%s: %llu.%llu MB, %llu rows, %llu.%llu MB/s\033[K", label, (unsigned long long)(mb10 / 10),
		(unsigned long long)(mb10 % 10), (unsigned long long)rows, (unsigned long long)(rate10 / 10),
		(unsigned long long)(rate10 % 10));
	fflush(p->out);
	p->drawn = 1;
}

void pb_progress_update(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows)
{
	uint64_t now;

	if (!p->out)
		return;
	now = pb_now_ms();
	if (now - p->last_ms < REDRAW_MS)
		return;
	p->last_ms = now;
	draw(p, label, bytes, rows, now);
}

void pb_progress_finish(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows)
{
	if (!p->out)
		return;
	draw(p, label, bytes, rows, pb_now_ms());
	fputc('\n', p->out);
	fflush(p->out);
}
