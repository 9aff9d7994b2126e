/*
 * The Azure Retail Prices API (https://prices.azure.com/api/retail/prices): pages of JSON, {"Items": [...],
 * "NextPageLink": ..., "Count": N}, read with yajl so that every price keeps the exact text of its number.
 */
#ifndef PB_PRICES_RETAIL_H
#define PB_PRICES_RETAIL_H

#include <stdint.h>

#include "buf.h"
#include "reader.h"

#define PB_RETAIL_URL "https://prices.azure.com/api/retail/prices"

/*
 * The first page's URL for one service and one region (either may be NULL: all) in currency (NULL: the API's
 * default, USD): base with currencyCode='CUR' and a $filter on serviceName, armRegionName and the
 * Consumption price type, percent-encoded. Returns a string to free, or NULL when memory cannot be had.
 */
char *pb_retail_url(const char *base, const char *service, const char *region, const char *currency);

/*
 * Reads one page, a URL or a saved copy, into the load: each item of type Consumption is a price (meterId,
 * armRegionName or else location, unitOfMeasure, tierMinimumUnits, retailPrice, currencyCode,
 * effectiveStartDate, effectiveEndDate), the others are counted as skipped. *next gets the page's
 * NextPageLink (to free) or NULL, and digest (unless NULL) the sum of its items' digests, the same for the same
 * items in any order (0 for none). Returns 0, PB_ERR_DATA with "NAME:LINE:COL: what" in err, or
 * PB_ERR_DEPENDENCY when the download failed after its retries (err names the URL).
 */
int pb_retail_page(struct pb_price_reader *r, const char *path, char **next, uint64_t digest[2], struct pb_buf *err);

#endif
