/* The AWS Price List bulk API: from the offer index to each service's current offer file, in CSV. */
#ifndef PB_PRICES_OFFER_H
#define PB_PRICES_OFFER_H

#include <stddef.h>

#include "buf.h"
#include "fetch.h"

#define PB_OFFER_INDEX_URL "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/index.json"

/*
 * The CSV offer files of the services (offer codes such as AmazonEC2) of the offer index at index_url (an
 * http(s) URL): each service's current version, or with regions (region codes such as us-east-1) the
 * current version of each of them, from the service's region index. Returns 0 with *urls (*n strings; free
 * each and the array), PB_ERR_DATA (a document that is not an index, a service or region it does not list:
 * err names the URL), or PB_ERR_DEPENDENCY (a download failed after its retries).
 */
int pb_offer_urls(const char *index_url, const char *const *services, size_t nservices, const char *const *regions,
		  size_t nregions, const struct pb_fetch_opts *fo, char ***urls, size_t *n, struct pb_buf *err);

#endif
