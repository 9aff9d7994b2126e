/* What the price list readers share: the load they feed, the downloads, the progress, and each file's audit. */
#ifndef PB_PRICES_READER_H
#define PB_PRICES_READER_H

#include <stdint.h>

#include "buf.h"
#include "csv.h"
#include "fetch.h"
#include "input.h"
#include "load.h"
#include "progress.h"

struct pb_price_reader {
	struct pb_price_load *load;
	const struct pb_fetch_opts *fetch;
	struct pb_progress progress;
	const char *label;     /* what the progress line calls the work */
	const char *currency;  /* azure-retail: the currency --currency asked the API for, or NULL */
	uint64_t bytes, items; /* of the files done */
	uint64_t file_items;   /* of the file being read */
	size_t files;
};

/*
 * Opens a file or URL of the list (downloads retried and resumed by pb_fetch), hashing its bytes. Returns 0
 * and *in, PB_ERR_DEPENDENCY when a download failed (err names the URL), or PB_ERR_DATA.
 */
int pb_price_reader_open(struct pb_price_reader *r, const char *path, struct pb_input **in, struct pb_buf *err);

/*
 * After an error while reading in: PB_ERR_DEPENDENCY when the download failed after its retries (err says so),
 * else PB_ERR_DATA.
 */
int pb_price_reader_failed(const struct pb_input *in);

/* Redraws the progress with the bytes of in read so far. */
void pb_price_reader_progress(struct pb_price_reader *r, const struct pb_input *in);

/*
 * Records the file read to its end into the load's audit (URI, bytes, SHA-256, ETag, items) and frees in.
 * Returns 0, or PB_ERR_DATA.
 */
int pb_price_reader_done(struct pb_price_reader *r, const char *path, struct pb_input *in, struct pb_buf *err);

/*
 * The field of the header record c named one of names (NULL-terminated), compared without case, blanks and
 * underscores ("Unit of Measure" is "unitOfMeasure"), the first name found winning; -1 when none is there.
 */
long pb_price_column(const struct pb_csv *c, const char *const *names);

/* Another field of the header record c of the name pb_price_column found at field found, or -1. */
long pb_price_column_again(const struct pb_csv *c, const char *const *names, long found);

/*
 * 1 when d, a price or a tier minimum, is one pb-ingest can compute with: below 10^20 (the range of amounts)
 * and no digit past the 38th decimal place; else 0. (pb_decimal_parse refuses more than 38 digits in all.)
 */
int pb_price_decimal_ok(const struct pb_decimal *d);

/* What a price or tier that pb_price_decimal_ok or pb_decimal_parse's range refuses is, for a message. */
#define PB_PRICE_RANGE "out of range (more than 20 digits before the point, 38 after it, or 38 in all)"

/* The bytes of a value shown in a message at most, and the size of the buffer pb_price_excerpt writes. */
#define PB_PRICE_EXCERPT_MAX 60
#define PB_PRICE_EXCERPT (PB_PRICE_EXCERPT_MAX * 4 + 4)

/*
 * The n bytes at s as a message quotes them: control characters and bytes that are not UTF-8 as \xHH (a message
 * is one line of UTF-8 text, never drives the terminal, and is what a failed load records), and past
 * PB_PRICE_EXCERPT_MAX bytes cut with "..." (never shown as another value).
 * Writes buf (PB_PRICE_EXCERPT bytes) and returns it.
 */
const char *pb_price_excerpt(const char *s, size_t n, char *buf);

/*
 * "NAME:LINE: what" into err, for damage found in the file NAME (its input's message msg, "NAME: what") while the
 * reader was at line: the lines before it were read whole. Leaves err alone when msg is not about NAME's bytes.
 * msg may be err's own text.
 */
void pb_price_at_line(struct pb_buf *err, const char *name, uint64_t line, const char *msg);

/* An ISO 4217 code: three capital letters. */
int pb_price_currency_ok(const char *p, size_t n);

/*
 * An effective end date as a price list writes it into the first day no longer in force: a day itself
 * ("2026-03-31") is the last day in force, a timestamp at midnight UTC ("2026-04-01T00:00:00Z",
 * "2026-04-01T00:00:00.0000000Z", "2026-04-01T01:00:00+01:00") the first day after. A price in force
 * through 9999-12-31 has no end: *day 0. Returns 0, or -1 when the text is no date.
 */
int pb_price_end_day(const char *s, size_t n, int32_t *day);

#endif
