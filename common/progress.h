/* A one-line progress display on a terminal: bytes, rows and throughput, redrawn at most a few times a second. */
#ifndef PB_PROGRESS_H
#define PB_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct pb_progress {
	FILE *out;	   /* NULL: disabled */
	uint64_t start_ms; /* monotonic */
	uint64_t last_ms;
	int drawn;
};

/* Prepares p to draw on out, or to do nothing when out is NULL. */
void pb_progress_init(struct pb_progress *p, FILE *out);
/* Redraws if enough time has passed: "label: 123.4 MB, 1234567 rows, 456.7 MB/s". */
void pb_progress_update(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows);
/* Draws the final state and ends the line. */
void pb_progress_finish(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows);

/* Milliseconds on the monotonic clock. */
uint64_t pb_now_ms(void);

#endif
