/*
 * A one-line progress display on a terminal: bytes, rows and throughput, with the share done and the time left
 * when the total of bytes is known. Nothing is drawn for work that ends within a second.
 */
#ifndef PB_PROGRESS_H
#define PB_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct pb_progress {
	FILE *out;	   /* NULL: disabled */
	uint64_t start_ms; /* monotonic */
	uint64_t last_ms;
	uint64_t total;	   /* bytes the work comes to, or 0: unknown */
	uint64_t quiet_ms; /* nothing is drawn before this much time has passed */
	const char *unit;  /* what the rows count, in the singular: "row" unless set */
	int drawn;
};

/* Prepares p to draw on out, or to do nothing when out is NULL. */
void pb_progress_init(struct pb_progress *p, FILE *out);
/* Redraws if enough time has passed: "label: 123.4 MB, 1234567 rows, 456.7 MB/s" ("1 row"). */
void pb_progress_update(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows);
/* Draws the final state and ends the line, if anything was drawn. */
void pb_progress_finish(struct pb_progress *p, const char *label, uint64_t bytes, uint64_t rows);
/* What pb_progress_update's rows count, in the singular ("item"): an "s" is added for any count but 1. */
void pb_progress_set_unit(struct pb_progress *p, const char *unit);
/* The bytes the work comes to, for the share done and the time left; 0: unknown. */
void pb_progress_set_total(struct pb_progress *p, uint64_t total);

/* "12 s", "3 min 4 s" or "2 h 5 min": the time left when done of total took elapsed_ms; "" if unknown. */
void pb_progress_eta(uint64_t done, uint64_t total, uint64_t elapsed_ms, char *out, size_t size);

/* Milliseconds on the monotonic clock. */
uint64_t pb_now_ms(void);

#endif
