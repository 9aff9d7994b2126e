/* What pb-prices load was asked to do: the options main.c parses and the load reads. */
#ifndef PB_PRICES_OPTIONS_H
#define PB_PRICES_OPTIONS_H

#include <stddef.h>

#include "fetch.h"

enum pb_prices_format { PB_PRICES_AZURE_RETAIL, PB_PRICES_AZURE_SHEET, PB_PRICES_AWS_OFFER };

struct pb_prices_options {
	enum pb_prices_format format;
	const char *url; /* azure-retail: the API (PB_RETAIL_URL); aws-offer: the offer index (PB_OFFER_INDEX_URL) */
	const char *const *services; /* Azure serviceName or AWS offer codes */
	size_t nservices;
	const char *const *regions; /* Azure armRegionName or AWS region codes */
	size_t nregions;
	const char *currency;	  /* azure-retail: currencyCode, or NULL */
	const char *source;	  /* --source: what a reload replaces, or NULL for the default */
	const char *const *files; /* saved copies or URLs of the list itself; none: from url */
	size_t nfiles;
	struct pb_fetch_opts fetch;
	int progress;
};

/* The format's name as --format and pb.price_load.format spell it, and its vendor. */
const char *pb_prices_format_name(enum pb_prices_format f);
const char *pb_prices_format_vendor(enum pb_prices_format f);

/*
 * Reads the price list o names and stores it as one load of its source (see load.h), saying on stdout what
 * it committed or that nothing changed. Messages go to stderr. Returns 0 or a PB_ERR_* class (exitcode.h).
 */
int pb_prices_load(const struct pb_prices_options *o);

#endif
