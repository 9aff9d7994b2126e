/* The offer index and the region indexes, read with jansson (they hold URLs and codes, never a price). */
#include "offer.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "input.h"
#include "url.h"

#include "banned.h"

#define MAX_INDEX ((size_t)64 << 20)

/* Reads the JSON document at url. 0 and *doc, or an error class with err set. */
static int fetch_json(const char *url, const struct pb_fetch_opts *fo, json_t **doc, struct pb_buf *err)
{
	struct pb_buf text = PB_BUF_INIT;
	json_error_t je;
	int rc = pb_input_slurp(url, fo, MAX_INDEX, &text, err);

	*doc = NULL;
	if (rc == 1) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: HTTP 404: no such document", url);
		rc = PB_ERR_DATA;
	} else if (rc == PB_INPUT_ERR_REMOTE) {
		rc = PB_ERR_DEPENDENCY;
	} else if (rc < 0) {
		rc = PB_ERR_DATA;
	} else {
		/* A member given twice (two versions of a region's offer) is refused, not read as the last one. */
		*doc = json_loadb(text.ptr ? text.ptr : "", text.len, JSON_REJECT_DUPLICATES, &je);
		if (!*doc || !json_is_object(*doc)) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s:%d:%d: %s", url, je.line > 0 ? je.line : 1, je.column > 0 ? je.column : 1,
				    *doc ? "not an object" : je.text);
			json_decref(*doc);
			*doc = NULL;
			rc = PB_ERR_DATA;
		}
	}
	pb_buf_release(&text);
	return rc;
}

/*
 * The URL of a path an index gives ("/offers/v1.0/aws/AmazonEC2/current/index.json"): at the index's origin
 * when it starts with '/', beside the index otherwise; its ".json" becomes ext. NULL: not a .json path, or no
 * memory.
 */
static char *resolve(const char *index_url, const char *path, const char *ext)
{
	const char *host = strstr(index_url, "://"), *slash;
	size_t n = strlen(path), keep;
	char *out = NULL;

	if (n < 5 || strcmp(path + n - 5, ".json") != 0)
		return NULL;
	n -= 5;
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
		keep = 0;
	} else if (path[0] == '/') {
		slash = host ? strchr(host + 3, '/') : NULL;
		keep = slash ? (size_t)(slash - index_url) : strlen(index_url);
	} else {
		slash = strrchr(index_url, '/');
		keep = slash ? (size_t)(slash - index_url) + 1 : 0;
	}
	if (asprintf(&out, "%.*s%.*s%s", (int)keep, index_url, (int)n, path, ext) < 0)
		return NULL;
	return out;
}

/* 1 when path, a URL an index gives, names another scheme, host or port than the index's own. */
static int foreign(const char *index_url, const char *path)
{
	struct pb_url_origin a, b;

	if (strncmp(path, "http://", 7) != 0 && strncmp(path, "https://", 8) != 0)
		return 0;
	return pb_url_origin(index_url, &a) < 0 || pb_url_origin(path, &b) < 0 || !pb_url_same_origin(&a, &b);
}

static int add_url(char ***urls, size_t *n, char *url, struct pb_buf *err)
{
	char **u = url ? realloc(*urls, (*n + 1) * sizeof(*u)) : NULL;

	if (!u) {
		free(url);
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return PB_ERR_DATA;
	}
	*urls = u;
	u[(*n)++] = url;
	return 0;
}

/* A member's string, or NULL. */
static const char *string_at(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The offer files of one service: its current version, or each region's. */
static int service_urls(const char *index_url, json_t *offer, const char *service, const char *const *regions,
			size_t nregions, const struct pb_fetch_opts *fo, char ***urls, size_t *n, struct pb_buf *err)
{
	const char *key = nregions ? "currentRegionIndexUrl" : "currentVersionUrl", *path = string_at(offer, key);
	json_t *rindex = NULL, *list;
	char *url;
	size_t k;
	int rc = 0;

	if (path && foreign(index_url, path)) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: offer %s: %s '%s' is not on the index's server", index_url, service, key, path);
		return PB_ERR_DATA;
	}
	if (!path || !(url = resolve(index_url, path, nregions ? ".json" : ".csv"))) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: offer %s has no %s ending in .json", index_url, service,
			    nregions ? "currentRegionIndexUrl" : "currentVersionUrl");
		return PB_ERR_DATA;
	}
	if (!nregions)
		return add_url(urls, n, url, err);
	rc = fetch_json(url, fo, &rindex, err);
	list = rindex ? json_object_get(rindex, "regions") : NULL;
	for (k = 0; rc == 0 && k < nregions; k++) {
		const char *p = string_at(json_object_get(list, regions[k]), "currentVersionUrl");
		char *csv = p && !foreign(url, p) ? resolve(url, p, ".csv") : NULL;

		if (p && foreign(url, p)) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: region %s: currentVersionUrl '%s' is not on the index's server", url,
				    regions[k], p);
			rc = PB_ERR_DATA;
		} else if (!csv) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: no region %s with a currentVersionUrl ending in .json", url, regions[k]);
			rc = PB_ERR_DATA;
		} else {
			rc = add_url(urls, n, csv, err);
		}
	}
	free(url);
	json_decref(rindex);
	return rc;
}

int pb_offer_urls(const char *index_url, const char *const *services, size_t nservices, const char *const *regions,
		  size_t nregions, const struct pb_fetch_opts *fo, char ***urls, size_t *n, struct pb_buf *err)
{
	json_t *index = NULL, *offers;
	size_t k;
	int rc;

	*urls = NULL;
	*n = 0;
	rc = fetch_json(index_url, fo, &index, err);
	offers = index ? json_object_get(index, "offers") : NULL;
	if (rc == 0 && !json_is_object(offers)) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s: no offers object: not an AWS Price List offer index", index_url);
		rc = PB_ERR_DATA;
	}
	for (k = 0; rc == 0 && k < nservices; k++) {
		json_t *offer = json_object_get(offers, services[k]);

		if (!json_is_object(offer)) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: no offer %s in the index", index_url, services[k]);
			rc = PB_ERR_DATA;
		} else {
			rc = service_urls(index_url, offer, services[k], regions, nregions, fo, urls, n, err);
		}
	}
	json_decref(index);
	if (rc) {
		for (k = 0; k < *n; k++)
			free((*urls)[k]);
		free(*urls);
		*urls = NULL;
		*n = 0;
	}
	return rc;
}
