/* What pb-ingest was asked to do: the options main.c parses and the modules read. */
#ifndef PB_INGEST_OPTIONS_H
#define PB_INGEST_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"
#include "parser.h"

enum pb_summary_kind { PB_SUMMARY_NONE, PB_SUMMARY_ACCOUNTS, PB_SUMMARY_DAILY };

/* Plain files are split between up to PB_INGEST_MAX_THREADS threads. */
#define PB_INGEST_MAX_THREADS 16

struct pb_ingest_options {
	enum pb_format_kind kind;
	const char *source;   /* --source, or NULL */
	const char *endpoint; /* --endpoint for s3:// URLs, or NULL */
	struct pb_fetch_opts fetch;
	int32_t month; /* day number of --month's first day, or 0 */
	enum pb_summary_kind summary;
	unsigned long max_errors;
	size_t threads;
	int progress;	      /* draw progress on stderr */
	int allow_empty;      /* an import without line items may replace one that had some */
	int allow_not_final;  /* a delivery that is not final may replace a final import */
	int final;	      /* --final: the delivery is the month's final data */
	const char *tag_keys; /* --tag-keys, or NULL: the keys of the mapping rules */
	const char *rules;    /* the mapping rules file whose tag keys are recorded */
	/* The Partner Center export (partner-center without files). */
	const char *invoice, *currency, *billing_period;
	long poll_timeout;
	/* The files named on the command line (none: a delivery read from --source or the export). */
	const char *const *files;
	size_t nfiles;
};

#endif
