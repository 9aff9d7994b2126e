/* One pb-prices load: the source named, the list read page by page or file by file, then committed or failed. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "csvlist.h"
#include "db.h"
#include "exitcode.h"
#include "input.h"
#include "load.h"
#include "log.h"
#include "offer.h"
#include "options.h"
#include "reader.h"
#include "retail.h"
#include "unit.h"
#include "url.h"

#include "banned.h"

/*
 * A chain of NextPageLink is cut off here: the whole Azure retail list is a few thousand pages of 1,000
 * items, so a hundred thousand is a server that never ends.
 */
#define MAX_PAGES 100000

/*
 * The API gives a NextPageLink only when more items follow (its pages before the last are full, 100 or 1,000
 * items): pages without an item that go on giving one are an answer that never ends, cut off here long before
 * MAX_PAGES.
 */
#define MAX_EMPTY_PAGES 10

/* MAX_PAGES; a test build (PB_TEST_HOOKS) takes PB_TEST_MAX_PAGES instead, to reach it in a test. */
static unsigned long max_pages(void)
{
#ifdef PB_TEST_HOOKS
	const char *v = getenv("PB_TEST_MAX_PAGES");

	if (v && *v)
		return strtoul(v, NULL, 10);
#endif
	return MAX_PAGES;
}

/* The pages read of one query, as the first 128 bits of their URL's SHA-256, in an open-addressed set. */
struct seen_pages {
	uint64_t (*slot)[2];
	size_t n, cap;
};

/* Adds url: 1 when it was there already, 0 when added, -1 out of memory. */
static int seen_add(struct seen_pages *s, const char *url)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t key[2];
	size_t i;

	if (EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16)
		return -1;
	memcpy(key, md, sizeof(key));
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64, k;
		uint64_t(*slot)[2] = calloc(cap, sizeof(*slot));

		if (!slot)
			return -1;
		for (k = 0; k < s->cap; k++) {
			if (!s->slot[k][0] && !s->slot[k][1])
				continue;
			for (i = s->slot[k][0] & (cap - 1); slot[i][0] || slot[i][1]; i = (i + 1) & (cap - 1))
				;
			memcpy(slot[i], s->slot[k], sizeof(slot[i]));
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	for (i = key[0] & (s->cap - 1); s->slot[i][0] || s->slot[i][1]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i][0] == key[0] && s->slot[i][1] == key[1])
			return 1;
	memcpy(s->slot[i], key, sizeof(key));
	s->n++;
	return 0;
}

const char *pb_prices_format_name(enum pb_prices_format f)
{
	return f == PB_PRICES_AZURE_RETAIL  ? "azure-retail"
	       : f == PB_PRICES_AZURE_SHEET ? "azure-pricesheet"
					    : "aws-offer";
}

const char *pb_prices_format_vendor(enum pb_prices_format f)
{
	return f == PB_PRICES_AWS_OFFER ? "aws" : "azure";
}

static void add_list(struct pb_buf *b, const char *name, const char *const *v, size_t n)
{
	size_t k;

	if (!n)
		return;
	pb_buf_addf(b, "%s%s=", strchr(pb_buf_str(b), '?') ? "&" : "?", name);
	for (k = 0; k < n; k++)
		pb_buf_addf(b, "%s%s", k ? "," : "", v[k]);
}

/*
 * What a reload replaces: --source; else the folder of the first file (file:// and its absolute path, or the
 * URL's folder); else the API or index URL with the services, regions and currency asked for.
 */
static char *source_of(const struct pb_prices_options *o)
{
	struct pb_buf b = PB_BUF_INIT;
	char abs[PATH_MAX], *s;

	if (o->source)
		return strdup(o->source);
	if (o->nfiles) {
		const char *f = o->files[0], *slash;

		/* A file:// address is a URL's folder too: without its signature, never the file itself. */
		if (pb_fetch_is_url(f) || strncmp(f, "file://", 7) == 0) {
			char *plain = pb_url_redact(f);

			slash = plain ? strrchr(plain, '/') : NULL;
			if (slash)
				plain[slash - plain] = '\0';
			return plain;
		}
		if (!realpath(f, abs))
			return pb_url_redact(f);
		s = strrchr(abs, '/');
		if (s && s != abs)
			*s = '\0';
		/* A folder saved under a URL may hold a SAS: recorded as a URL is. */
		return pb_url_file_uri(abs);
	} else {
		pb_buf_addstr(&b, o->url);
		add_list(&b, "services", o->services, o->nservices);
		add_list(&b, "regions", o->regions, o->nregions);
		if (o->currency)
			add_list(&b, "currency", &o->currency, 1);
	}
	s = b.failed ? NULL : strdup(pb_buf_str(&b));
	pb_buf_release(&b);
	return s;
}

/*
 * A next page is read from where the query went: an http(s) URL of the same scheme, host and port, never a
 * local file, s3:// (signed with the AWS credentials) or another server.
 */
static int same_api(const char *url, const char *next)
{
	struct pb_url_origin a, b;

	return pb_url_origin(url, &a) == 0 && pb_url_origin(next, &b) == 0 && pb_url_same_origin(&a, &b);
}

/*
 * The pages of a query that hold items, watched for a chain that repeats them under new links (the same items
 * as a page read before it, forever): Brent's way, in constant memory, one page's digest kept and compared
 * with each page after it, the page kept taken anew at the 1st, 2nd, 4th, 8th ... page after it. A chain that
 * comes back to the items of a page every L pages is found within twice as many pages as it took to get there
 * and L more.
 */
struct page_cycle {
	uint64_t digest[2]; /* of the page kept */
	char *url;	    /* of the page kept, or NULL before the first */
	uint64_t items;	    /* of the page kept */
	unsigned long power, lam;
};

/* Notes a page of items: 1 when it holds the items of the page kept, 0 when not, -1 out of memory. */
static int cycle_page(struct page_cycle *c, const char *url, const uint64_t digest[2], uint64_t items)
{
	if (c->url && c->items == items && memcmp(c->digest, digest, sizeof(c->digest)) == 0)
		return 1;
	if (c->url && ++c->lam < c->power)
		return 0;
	free(c->url);
	c->url = strdup(url);
	if (!c->url)
		return -1;
	memcpy(c->digest, digest, sizeof(c->digest));
	c->items = items;
	c->power = c->power ? 2 * c->power : 1;
	c->lam = 0;
	return 0;
}

/* Every page of one query of the Retail Prices API, following NextPageLink. */
static int retail_query(struct pb_price_reader *r, const char *first, struct pb_buf *err)
{
	struct seen_pages seen = {NULL, 0, 0};
	struct page_cycle cycle = {{0, 0}, NULL, 0, 0, 0};
	char *url = strdup(first), *next = NULL;
	unsigned long most = max_pages(), empty = 0;
	uint64_t before, digest[2];
	int rc = 0, again = 0;

	if (!url || seen_add(&seen, url) < 0)
		goto oom;
	for (;;) {
		before = r->items;
		rc = pb_retail_page(r, url, &next, digest, err);
		if (rc || !next)
			break;
		empty = r->items == before ? empty + 1 : 0;
		if (!same_api(url, next)) {
			pb_url_message(err, url);
			pb_buf_addstr(err, "NextPageLink '");
			pb_url_add(err, next);
			pb_buf_addstr(err, "' is not a page of the same API (its scheme, host and port)");
			rc = PB_ERR_DATA;
			break;
		}
		again = seen_add(&seen, next);
		if (again < 0)
			goto oom;
		if (again || seen.n > most || empty >= MAX_EMPTY_PAGES) {
			pb_url_message(err, url);
			pb_buf_addstr(err, "NextPageLink '");
			pb_url_add(err, next);
			if (again)
				pb_buf_addstr(err, "' comes back to a page read already");
			else if (empty >= MAX_EMPTY_PAGES)
				pb_buf_addf(
					err,
					"': %d pages in a row hold no item and give a next page: an answer of the API "
					"that does not end",
					MAX_EMPTY_PAGES);
			else
				pb_buf_addf(err, "': more than %lu pages", most);
			rc = PB_ERR_DATA;
			break;
		}
		again = r->items == before ? 0 : cycle_page(&cycle, url, digest, r->items - before);
		if (again < 0)
			goto oom;
		if (again) {
			pb_url_message(err, url);
			pb_buf_addf(err, "the page holds the same %llu item%s as '",
				    (unsigned long long)(r->items - before), r->items - before == 1 ? "" : "s");
			pb_url_add(err, cycle.url);
			pb_buf_addstr(err,
				      "', read before it, and gives a next page: an answer of the API that repeats "
				      "its pages would not end");
			rc = PB_ERR_DATA;
			break;
		}
		free(url);
		url = next;
		next = NULL;
	}
	free(url);
	free(next);
	free(seen.slot);
	free(cycle.url);
	return rc;
oom:
	free(url);
	free(next);
	free(seen.slot);
	free(cycle.url);
	pb_buf_reset(err);
	pb_buf_addstr(err, "out of memory");
	return PB_ERR_DATA;
}

/* Says that the query at url gave no item: the service or region asked for is not one the API knows. */
static void warn_empty(const char *url, const char *service, const char *region)
{
	struct pb_buf b = PB_BUF_INIT;

	pb_url_message(&b, url);
	pb_buf_addstr(&b, "no item: the API has no price of ");
	if (service)
		pb_buf_addf(&b, "service '%s'%s", service, region ? " in " : "");
	if (region)
		pb_buf_addf(&b, "region '%s'", region);
	pb_buf_addstr(&b, " (it compares names with their case");
	/* Not an armRegionName's letters: a display name no load has paired with one (--region asks for it so). */
	if (region && region[strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789")])
		pb_buf_addf(&b,
			    "; a region is its armRegionName, such as eastus, or a display name a Retail Prices load "
			    "has paired with one, and no load has paired '%s'",
			    region);
	pb_buf_addch(&b, ')');
	pb_warning("%s", b.failed ? "a query of the API gives no item" : pb_buf_str(&b));
	pb_buf_release(&b);
}

/* The Retail Prices API: one paged query per service and region asked for (none: all of them). */
static int read_retail(const struct pb_prices_options *o, struct pb_price_reader *r, struct pb_buf *err)
{
	size_t s, g, ns = o->nservices ? o->nservices : 1, ng = o->nregions ? o->nregions : 1;
	uint64_t before;
	int rc = 0;

	for (s = 0; s < ns && rc == 0; s++) {
		for (g = 0; g < ng && rc == 0; g++) {
			char *url = pb_retail_url(o->url, o->nservices ? o->services[s] : NULL,
						  o->nregions ? o->regions[g] : NULL, o->currency);

			if (!url) {
				pb_buf_reset(err);
				pb_buf_addstr(err, "out of memory");
				return PB_ERR_DATA;
			}
			before = r->items;
			rc = retail_query(r, url, err);
			/* A name the API does not know (it compares them with their case) gives an empty answer. */
			if (rc == 0 && r->items == before && (o->nservices || o->nregions))
				warn_empty(url, o->nservices ? o->services[s] : NULL,
					   o->nregions ? o->regions[g] : NULL);
			free(url);
		}
	}
	return rc;
}

/* Appends before, the files read (the one, or "the N files, FIRST to LAST"; a URL without its signature), after. */
static void add_files(struct pb_buf *b, const struct pb_prices_options *o, const char *before, const char *after)
{
	char *first = pb_url_redact(o->files[0]), *last = pb_url_redact(o->files[o->nfiles - 1]);

	if (o->nfiles == 1)
		pb_buf_addf(b, "%s%s%s", before, first ? first : "?", after);
	else
		pb_buf_addf(b, "%sthe %zu files, %s to %s%s", before, o->nfiles, first ? first : "?", last ? last : "?",
			    after);
	free(first);
	free(last);
}

/* The files named, or the URLs the source gives; each read whole. */
static int read_all(const struct pb_prices_options *o, struct pb_price_reader *r, struct pb_buf *err)
{
	char **urls = NULL, *next = NULL;
	size_t n = 0, k;
	int rc = 0;

	if (o->format == PB_PRICES_AZURE_RETAIL && !o->nfiles)
		return read_retail(o, r, err);
	if (o->format == PB_PRICES_AWS_OFFER && !o->nfiles)
		rc = pb_offer_urls(o->url, o->services, o->nservices, o->regions, o->nregions, &o->fetch, &urls, &n,
				   err);
	for (k = 0; rc == 0 && k < (urls ? n : o->nfiles); k++) {
		const char *path = urls ? urls[k] : o->files[k];

		if (o->format == PB_PRICES_AZURE_RETAIL) {
			/* A saved copy is one page: its NextPageLink points at the API, not at the next file. */
			rc = pb_retail_page(r, path, &next, NULL, err);
			free(next);
		} else {
			rc = pb_csvlist_read(
				r, o->format == PB_PRICES_AWS_OFFER ? PB_CSVLIST_AWS_OFFER : PB_CSVLIST_AZURE_SHEET,
				path, err);
		}
	}
	for (k = 0; k < n; k++)
		free(urls[k]);
	free(urls);
	return rc;
}

static void print_result(const struct pb_prices_options *o, const char *source, const struct pb_price_load_result *res)
{
	const char *vendor = pb_prices_format_vendor(o->format), *format = pb_prices_format_name(o->format);

	if (res->unchanged) {
		printf("prices of %s %s from %s unchanged: load %lld is current with the same %llu price%s: nothing to "
		       "do\n",
		       vendor, format, source, res->unchanged, (unsigned long long)res->stored,
		       res->stored == 1 ? "" : "s");
		return;
	}
	printf("price load %lld committed: %s %s from %s: %zu file%s, %llu item%s, %llu price%s stored, %llu not list "
	       "price%s skipped",
	       res->id, vendor, format, source, res->files, res->files == 1 ? "" : "s", (unsigned long long)res->items,
	       res->items == 1 ? "" : "s", (unsigned long long)res->stored, res->stored == 1 ? "" : "s",
	       (unsigned long long)res->skipped, res->skipped == 1 ? "" : "s");
	if (res->superseded)
		printf(", load %lld superseded", res->superseded);
	if (res->pruned)
		printf(", %llu older price%s it covers dropped", (unsigned long long)res->pruned,
		       res->pruned == 1 ? "" : "s");
	printf("\n");
	if (res->conflicts) {
		char torn[96] = "";

		if (res->torn)
			snprintf(torn, sizeof(torn), ", nor %llu other tier%s of their meters from the same day",
				 (unsigned long long)res->torn, res->torn == 1 ? "" : "s");
		pb_warning(
			"%s: %llu price%s (meter, region, unit, currency, tier and start) appear%s with different "
			"prices in "
			"the list (the first: %s): not stored%s, so lines of them are priced by an older load, or not "
			"at all",
			source, (unsigned long long)res->conflicts, res->conflicts == 1 ? "" : "s",
			res->conflicts == 1 ? "s" : "", res->conflict, torn);
	}
	if (res->many_tiers)
		pb_warning(
			"%s: %llu meter%s priced in more than %d tiers from one day (the first: %s): pb-ingest gives "
			"none of their lines a price",
			source, (unsigned long long)res->many_tiers, res->many_tiers == 1 ? "" : "s",
			PB_PRICE_MAX_TIERS, res->many);
	if (res->gapped)
		pb_warning("%s: %llu price%s in tiers that leave a gap or overlap, or whose last one ends (the first: "
			   "%s): not stored, so lines of them are priced by an older load, or not at all",
			   source, (unsigned long long)res->gapped, res->gapped == 1 ? "" : "s", res->gap);
}

/*
 * The Retail Prices API's queries take an armRegionName: each --region that is a display name a load paired with
 * one ("US East") is asked for as that armRegionName ("eastus"), into *owned (n of them, each freed by the caller;
 * NULL where the name stays as given) and regions. 0, or PB_ERR_DEPENDENCY.
 */
static int arm_regions(PGconn *conn, const struct pb_prices_options *o, const char **regions, char **owned,
		       struct pb_buf *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < o->nregions; i++) {
		owned[i] = NULL;
		if (rc == 0)
			rc = pb_price_region_arm(conn, o->regions[i], &owned[i], err);
		regions[i] = owned[i] ? owned[i] : o->regions[i];
	}
	return rc;
}

int pb_prices_load(const struct pb_prices_options *o)
{
	struct pb_buf err = PB_BUF_INIT;
	struct pb_price_reader r;
	struct pb_price_load_result res;
	struct pb_prices_options ro = *o;
	const char **regions = calloc(o->nregions + 1, sizeof(*regions));
	char **owned = calloc(o->nregions + 1, sizeof(*owned));
	char *source = NULL;
	PGconn *conn = NULL;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	if (!regions || !owned) {
		free(regions);
		free(owned);
		pb_error("out of memory");
		return PB_ERR_DATA;
	}
	/* A local file that cannot be opened is bad input whether the database is there or not. */
	rc = 0;
	for (i = 0; i < o->nfiles && rc == 0; i++)
		if (pb_input_check(o->files[i], &err) < 0)
			rc = PB_ERR_DATA;
	if (rc == 0) {
		conn = pb_db_connect("pb-prices", &err);
		rc = !conn || pb_db_check_schema(conn, &err) < 0 ? PB_ERR_DEPENDENCY : 0;
	}
	if (rc == 0 && o->format == PB_PRICES_AZURE_RETAIL && !o->nfiles) {
		rc = arm_regions(conn, o, regions, owned, &err);
		ro.regions = regions;
	}
	o = &ro;
	if (rc == 0) {
		/* The source names the regions as they are asked for: "US East" and "eastus" are one load's. */
		source = source_of(o);
		if (!source) {
			pb_buf_reset(&err);
			pb_buf_addstr(&err, "out of memory");
			rc = PB_ERR_DATA;
		}
	}
	if (rc == 0)
		rc = pb_price_load_begin(conn, pb_prices_format_vendor(o->format), pb_prices_format_name(o->format),
					 source, &r.load, &err);
	if (rc == 0) {
		r.fetch = &o->fetch;
		r.label = "prices";
		r.currency = o->currency;
		pb_progress_init(&r.progress, o->progress ? stderr : NULL);
		pb_progress_set_unit(&r.progress, "item");
		rc = read_all(o, &r, &err);
		pb_progress_finish(&r.progress, r.label, r.bytes, r.items);
	}
	if (rc == 0 && pb_price_load_kept(r.load) == 0) {
		pb_buf_reset(&err);
		pb_buf_addf(&err, "no list price read from %s: nothing stored ", source);
		/* Items of other terms alone, or none at all: files name no service or region to check. */
		if (r.items) {
			pb_buf_addf(&err, "(%llu item%s read", (unsigned long long)r.items, r.items == 1 ? "" : "s");
			if (o->nfiles)
				add_files(&err, o, " in ", "");
			pb_buf_addstr(&err,
				      ", none a list price: reservations, savings plans and other terms are skipped)");
		} else if (o->nfiles) {
			add_files(&err, o, o->nfiles == 1 ? "(" : "(none of ",
				  o->nfiles == 1 ? " holds no item)" : ", holds an item)");
		} else {
			pb_buf_addstr(&err, "(are the services and regions right?)");
		}
		rc = PB_ERR_DATA;
	}
	if (rc == 0)
		rc = pb_price_load_commit(r.load, &res, &err);
	if (rc == 0)
		print_result(o, source, &res);
	if (rc < 0 && r.load)
		pb_price_load_fail(r.load, pb_buf_str(&err));
	if (rc < 0)
		pb_error("%s", pb_buf_str(&err));
	pb_price_load_free(r.load);
	PQfinish(conn);
	free(source);
	for (i = 0; i < o->nregions; i++)
		free(owned[i]);
	free(owned);
	free(regions);
	pb_buf_release(&err);
	return rc;
}
