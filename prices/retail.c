/*
 * A page of the Azure Retail Prices API, streamed through yajl's callbacks: the members of each item of
 * Items are kept as text (numbers as yajl's number callback hands them over, never through floating point), and
 * each item is stored as it ends. Positions are counted as the bytes go by, so that a message names the
 * page's line and column.
 */
#include "retail.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <yajl/yajl_parse.h>

#include "date.h"
#include "exitcode.h"
#include "text.h"

#include "banned.h"

#define CHUNK 65536
#define VALUE_MAX 256
/* The longest string or number a page may hold (a page of 1,000 items is about a megabyte). */
#define TOKEN_MAX ((size_t)1 << 20)

/* The members of an item that are read. */
enum {
	F_METER,
	F_ARM_REGION,
	F_LOCATION,
	F_UNIT,
	F_CURRENCY,
	F_RETAIL_PRICE,
	F_UNIT_PRICE,
	F_TIER,
	F_START,
	F_END,
	F_TYPE,
	F_PRODUCT,
	F_SKU,
	F_METER_NAME,
	NF
};

static const char *const member_names[NF] = {
	[F_METER] = "meterId",
	[F_ARM_REGION] = "armRegionName",
	[F_LOCATION] = "location",
	[F_UNIT] = "unitOfMeasure",
	[F_CURRENCY] = "currencyCode",
	[F_RETAIL_PRICE] = "retailPrice",
	[F_UNIT_PRICE] = "unitPrice",
	[F_TIER] = "tierMinimumUnits",
	[F_START] = "effectiveStartDate",
	[F_END] = "effectiveEndDate",
	[F_TYPE] = "type",
	[F_PRODUCT] = "productName",
	[F_SKU] = "skuName",
	[F_METER_NAME] = "meterName",
};

struct value {
	char text[VALUE_MAX];
	size_t len;
	int set, too_long;
	uint64_t line;
	uint32_t col;
};

enum top_key { TOP_OTHER, TOP_ITEMS, TOP_NEXT, TOP_COUNT };

static const char *const top_names[] = {"", "Items", "NextPageLink", "Count"};

struct page {
	struct pb_price_reader *r;
	const char *name;
	struct pb_buf *err;
	int rc; /* the error class once something failed */
	yajl_handle h;
	int depth, in_items, seen_items;
	enum top_key top;
	unsigned seen_top; /* a bit per top_key met */
	int field;	   /* the item member whose value comes next, or -1 */
	struct value v[NF];
	uint64_t item_line, items;
	uint32_t item_col;
	uint64_t digest[2]; /* the sum of the items' digests (pb_retail_page) */
	struct pb_buf next;
	int has_next, has_count;
	long long count;
	/* Where the bytes are: the chunk being parsed, and the line and column reached in it. */
	const char *chunk;
	size_t scanned; /* bytes of the chunk counted into line and col */
	uint64_t line;
	uint32_t col;
	/* The string or number being read, for TOKEN_MAX, and where it starts; scan_* where the scan is. */
	int in_string, escaped, in_bare;
	size_t token_len;
	uint64_t token_line, scan_line;
	uint32_t token_col, scan_col;
};

/* Moves the line and column on to the byte at pos of the current chunk. */
static void advance(struct page *pg, size_t pos)
{
	while (pg->scanned < pos) {
		const char *nl = memchr(pg->chunk + pg->scanned, '\n', pos - pg->scanned);

		if (!nl) {
			pg->col += (uint32_t)(pos - pg->scanned);
			pg->scanned = pos;
			break;
		}
		pg->line++;
		pg->col = 1;
		pg->scanned = (size_t)(nl - pg->chunk) + 1;
	}
}

/* The position just before what yajl consumed last, back by back bytes (the value's own length). */
static void here(struct page *pg, size_t back, uint64_t *line, uint32_t *col)
{
	size_t pos = yajl_get_bytes_consumed(pg->h);

	advance(pg, pos > back ? pos - back : 0);
	*line = pg->line;
	*col = pg->col;
}

static int fail(struct page *pg, uint64_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct page *pg, uint64_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	if (pg->rc)
		return 0;
	pb_buf_reset(pg->err);
	pb_buf_addf(pg->err, "%s:%llu:%u: ", pg->name, (unsigned long long)line, col);
	va_start(ap, fmt);
	pb_buf_vaddf(pg->err, fmt, ap);
	va_end(ap);
	pg->rc = PB_ERR_DATA;
	return 0;
}

static int set_value(struct page *pg, const char *s, size_t len, size_t back)
{
	struct value *v;

	if (pg->field < 0)
		return 1;
	v = &pg->v[pg->field];
	if (v->set) {
		uint64_t line;
		uint32_t col;

		here(pg, back, &line, &col);
		return fail(pg, line, col, "item %llu: %s is given twice", (unsigned long long)pg->items + 1,
			    member_names[pg->field]);
	}
	pg->field = -1;
	v->set = 1;
	v->too_long = len >= VALUE_MAX;
	v->len = v->too_long ? VALUE_MAX - 1 : len;
	memcpy(v->text, s, v->len);
	v->text[v->len] = '\0';
	here(pg, back, &v->line, &v->col);
	return 1;
}

/* A scalar at the page's top level: NextPageLink's or Count's value, or one not read. */
static int top_value(struct page *pg, const char *s, size_t len, int is_null, int is_number)
{
	uint64_t line;
	uint32_t col;
	char digits[24], *end;

	if (pg->top == TOP_NEXT) {
		pg->has_next = !is_null && len > 0;
		if (pg->has_next && pb_buf_add(&pg->next, s, len) < 0)
			return fail(pg, pg->line, pg->col, "out of memory");
	} else if (pg->top == TOP_COUNT && !is_null) {
		here(pg, len, &line, &col);
		if (!is_number)
			return fail(pg, line, col, "Count is not a number");
		/* yajl's text is not NUL-terminated, and 1e3 or 2.0 would stop strtoll short. */
		if (len == 0 || len >= sizeof(digits) || strspn(s, "0123456789") < len)
			return fail(pg, line, col, "Count is not a whole number");
		memcpy(digits, s, len);
		digits[len] = '\0';
		errno = 0;
		pg->count = strtoll(digits, &end, 10);
		if (errno)
			return fail(pg, line, col, "Count is not a whole number");
		pg->has_count = 1;
	} else if (pg->top == TOP_ITEMS) {
		here(pg, len, &line, &col);
		return fail(pg, line, col, "Items is not an array");
	}
	pg->top = TOP_OTHER;
	return 1;
}

/* Something other than an object directly in Items: refused, not passed over (an item in it would be lost). */
static int not_item(struct page *pg, const char *what, size_t back)
{
	uint64_t line;
	uint32_t col;

	here(pg, back, &line, &col);
	return fail(pg, line, col, "Items holds %s, not an item", what);
}

/* A member an item is read by, given as an object or array: taken as absent, a type of ["Reservation"] was none. */
static int not_value(struct page *pg, const char *what)
{
	uint64_t line;
	uint32_t col;

	here(pg, 1, &line, &col);
	return fail(pg, line, col, "item %llu: %s is %s, not a value", (unsigned long long)pg->items + 1,
		    member_names[pg->field], what);
}

static int on_null(void *ctx)
{
	struct page *pg = ctx;

	if (pg->depth == 2 && pg->in_items)
		return not_item(pg, "null", 4);
	/* Absent, the type is Consumption's; null says nothing of it (a reservation's price is no list price). */
	if (pg->depth == 3 && pg->in_items && pg->field == F_TYPE) {
		uint64_t line;
		uint32_t col;

		here(pg, 4, &line, &col);
		return fail(pg, line, col, "item %llu: type is null: not a type of price",
			    (unsigned long long)pg->items + 1);
	}

	if (pg->depth == 1)
		return top_value(pg, "", 0, 1, 0);
	if (pg->depth == 3)
		pg->field = -1;
	return 1;
}

static int on_boolean(void *ctx, int b)
{
	struct page *pg = ctx;

	if (pg->depth == 2 && pg->in_items)
		return not_item(pg, "a boolean", b ? 4 : 5);
	if (pg->depth == 3 && pg->in_items && pg->field >= 0) {
		uint64_t line;
		uint32_t col;

		here(pg, b ? 4 : 5, &line, &col);
		return fail(pg, line, col, "item %llu: %s is %s, not a value", (unsigned long long)pg->items + 1,
			    member_names[pg->field], b ? "true" : "false");
	}
	if (pg->depth == 1)
		return top_value(pg, b ? "true" : "false", b ? 4 : 5, 0, 0);
	if (pg->depth == 3)
		pg->field = -1;
	return 1;
}

static int on_number(void *ctx, const char *s, size_t len)
{
	struct page *pg = ctx;

	if (pg->depth == 2 && pg->in_items)
		return not_item(pg, "a number", len);
	if (pg->depth == 1)
		return top_value(pg, s, len, 0, 1);
	return pg->depth == 3 ? set_value(pg, s, len, len) : 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct page *pg = ctx;

	if (pg->depth == 2 && pg->in_items)
		return not_item(pg, "a string", len + 2);
	if (pg->depth == 1)
		return top_value(pg, (const char *)s, len, 0, 0);
	return pg->depth == 3 ? set_value(pg, (const char *)s, len, len + 1) : 1;
}

static int on_key(void *ctx, const unsigned char *k, size_t len)
{
	struct page *pg = ctx;
	int f;

	if (pg->depth == 1) {
		pg->top = len == 5 && strncasecmp((const char *)k, "Items", 5) == 0	       ? TOP_ITEMS
			  : len == 12 && strncasecmp((const char *)k, "NextPageLink", 12) == 0 ? TOP_NEXT
			  : len == 5 && strncasecmp((const char *)k, "Count", 5) == 0	       ? TOP_COUNT
											       : TOP_OTHER;
		/* Which of two values is meant cannot be told: a second NextPageLink of null ended the chain. */
		if (pg->top != TOP_OTHER && (pg->seen_top & (1u << pg->top))) {
			uint64_t line;
			uint32_t col;

			here(pg, len + 2, &line, &col);
			return fail(pg, line, col, "%s is given twice", top_names[pg->top]);
		}
		pg->seen_top |= 1u << pg->top;
		return 1;
	}
	pg->field = -1;
	if (pg->depth != 3)
		return 1;
	for (f = 0; f < NF; f++) {
		if (strlen(member_names[f]) == len && strncasecmp(member_names[f], (const char *)k, len) == 0) {
			pg->field = f;
			break;
		}
	}
	return 1;
}

static int on_start_map(void *ctx)
{
	struct page *pg = ctx;

	if (pg->depth == 1 && pg->top == TOP_ITEMS) {
		uint64_t line;
		uint32_t col;

		here(pg, 1, &line, &col);
		return fail(pg, line, col, "Items is not an array");
	}
	if (pg->depth == 2 && pg->in_items) {
		memset(pg->v, 0, sizeof(pg->v));
		here(pg, 1, &pg->item_line, &pg->item_col);
	}
	if (pg->depth == 3 && pg->in_items && pg->field >= 0)
		return not_value(pg, "an object");
	if (pg->depth == 3)
		pg->field = -1;
	pg->depth++;
	return 1;
}

static int on_start_array(void *ctx)
{
	struct page *pg = ctx;

	if (pg->depth == 0) {
		uint64_t line;
		uint32_t col;

		here(pg, 1, &line, &col);
		return fail(pg, line, col, "not a Retail Prices API page: an array, not an object");
	}
	if (pg->depth == 2 && pg->in_items)
		return not_item(pg, "an array", 1);
	if (pg->depth == 1 && pg->top == TOP_ITEMS) {
		pg->in_items = pg->seen_items = 1;
		pg->top = TOP_OTHER;
	} else if (pg->depth == 1) {
		pg->top = TOP_OTHER;
	}
	if (pg->depth == 3 && pg->in_items && pg->field >= 0)
		return not_value(pg, "an array");
	if (pg->depth == 3)
		pg->field = -1;
	pg->depth++;
	return 1;
}

/* A value read as an exact decimal (a number's text or a string), at least zero; 0, or -1 after failing. */
static int decimal_of(struct page *pg, int f, struct pb_decimal *out)
{
	struct pb_money_parse_info info;
	const struct value *v = &pg->v[f];
	char shown[PB_PRICE_EXCERPT];

	int rc = v->too_long ? PB_MONEY_ERR_SYNTAX : pb_decimal_parse(v->text, v->len, out, &info);

	if (rc < 0 && rc != PB_MONEY_ERR_RANGE) {
		fail(pg, v->line, v->col, "item %llu: bad %s \"%s\": %s", (unsigned long long)pg->items,
		     member_names[f], pb_price_excerpt(v->text, v->len, shown), v->too_long ? "too long" : info.reason);
		return -1;
	}
	if (rc == 0 && out->neg && out->mant) {
		fail(pg, v->line, v->col, "item %llu: %s %s is negative", (unsigned long long)pg->items,
		     member_names[f], v->text);
		return -1;
	}
	if (rc < 0 || !pb_price_decimal_ok(out)) {
		fail(pg, v->line, v->col, "item %llu: %s \"%s\" is " PB_PRICE_RANGE, (unsigned long long)pg->items,
		     member_names[f], pb_price_excerpt(v->text, v->len, shown));
		return -1;
	}
	out->neg = 0;
	return 0;
}

/* A text member that a price needs: present, not empty, not cut, text the database takes. */
static int text_of(struct page *pg, int f, struct pb_price_text *out)
{
	const struct value *v = &pg->v[f];

	if (!v->set || v->len == 0) {
		fail(pg, pg->item_line, pg->item_col, "item %llu: no %s", (unsigned long long)pg->items,
		     member_names[f]);
		return -1;
	}
	if (v->too_long || pb_text_check(v->text, v->len, NULL, NULL) < 0) {
		fail(pg, v->line, v->col, "item %llu: %s is %s", (unsigned long long)pg->items, member_names[f],
		     v->too_long ? "too long" : "not text (invalid UTF-8 or a NUL character)");
		return -1;
	}
	out->ptr = v->text;
	out->len = v->len;
	return 0;
}

/* A name for show: product, SKU and meter, as far as they fit. */
static void product_of(struct page *pg, char *buf, size_t cap, struct pb_price_text *out)
{
	static const int parts[3] = {F_PRODUCT, F_SKU, F_METER_NAME};
	size_t n = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < 3; k++) {
		const struct value *v = &pg->v[parts[k]];
		int w;

		if (!v->set || !v->len || pb_text_check(v->text, v->len, NULL, NULL) < 0 || v->too_long)
			continue;
		w = snprintf(buf + n, cap - n, "%s%s", n ? " / " : "", v->text);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	out->ptr = buf;
	out->len = n;
}

/*
 * Adds the item's digest (the first 128 bits of the SHA-256 of its members read, each with its length) to the
 * page's: a sum, so that the same items in another order are the same page. 0, or -1 when it cannot be had.
 */
static int item_digest(struct page *pg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t half[2];
	int f, ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	for (f = 0; ok && f < NF; f++) {
		const struct value *v = &pg->v[f];
		uint64_t len = v->set ? (uint64_t)v->len + 1 : 0;

		ok = EVP_DigestUpdate(ctx, &len, sizeof(len)) == 1 &&
		     EVP_DigestUpdate(ctx, v->text, v->set ? v->len : 0) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= sizeof(half);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	memcpy(half, md, sizeof(half));
	pg->digest[0] += half[0];
	pg->digest[1] += half[1];
	return 0;
}

/* The item just ended: a price, or skipped when it is not a pay-as-you-go (Consumption) one. */
static int item(struct page *pg)
{
	struct pb_price_item it;
	struct pb_price_text start;
	const struct value *t = &pg->v[F_TYPE];
	int price = pg->v[F_RETAIL_PRICE].set ? F_RETAIL_PRICE : F_UNIT_PRICE;
	char product[VALUE_MAX * 3], shown[PB_PRICE_EXCERPT];
	enum pb_date_case dc;
	int rc;

	pg->items++;
	pg->r->file_items++;
	if (item_digest(pg) < 0)
		return fail(pg, pg->item_line, pg->item_col, "out of memory");
	if (t->set && !(t->len == 11 && strncasecmp(t->text, "Consumption", 11) == 0)) {
		pb_price_load_skip(pg->r->load, 1);
		return 1;
	}
	memset(&it, 0, sizeof(it));
	if (text_of(pg, F_METER, &it.meter) < 0 || text_of(pg, F_UNIT, &it.unit) < 0 ||
	    text_of(pg, F_CURRENCY, &it.currency) < 0 || text_of(pg, F_START, &start) < 0)
		return 0;
	if (!pb_price_currency_ok(it.currency.ptr, it.currency.len))
		return fail(pg, pg->v[F_CURRENCY].line, pg->v[F_CURRENCY].col, "item %llu: bad currencyCode \"%s\"",
			    (unsigned long long)pg->items, pb_price_excerpt(it.currency.ptr, it.currency.len, shown));
	/* The API answering another currency than the one asked for: its prices are not the query's. */
	if (pg->r->currency && (it.currency.len != 3 || memcmp(it.currency.ptr, pg->r->currency, 3) != 0))
		return fail(pg, pg->v[F_CURRENCY].line, pg->v[F_CURRENCY].col,
			    "item %llu: currencyCode \"%s\", not the %s that --currency asked for",
			    (unsigned long long)pg->items, pb_price_excerpt(it.currency.ptr, it.currency.len, shown),
			    pg->r->currency);
	if (!pg->v[price].set)
		return fail(pg, pg->item_line, pg->item_col, "item %llu: no retailPrice",
			    (unsigned long long)pg->items);
	if (decimal_of(pg, price, &it.price) < 0)
		return 0;
	if (pg->v[F_TIER].set && decimal_of(pg, F_TIER, &it.tier_min) < 0)
		return 0;
	dc = pb_date_read_iso(start.ptr, start.len, &it.start);
	/* A date of year 0000 is written as any other: out of range, not malformed; so is one a zone moves past 9999.
	 */
	if (dc == PB_DATE_BEFORE_FIRST || dc == PB_DATE_PAST_CALENDAR)
		return fail(pg, pg->v[F_START].line, pg->v[F_START].col,
			    "item %llu: effectiveStartDate \"%s\" is out of range: %s", (unsigned long long)pg->items,
			    pb_price_excerpt(start.ptr, start.len, shown), pb_date_bound(dc));
	if (dc == PB_DATE_MALFORMED)
		return fail(pg, pg->v[F_START].line, pg->v[F_START].col, "item %llu: bad effectiveStartDate \"%s\"",
			    (unsigned long long)pg->items, pb_price_excerpt(start.ptr, start.len, shown));
	if (pg->v[F_END].set && pg->v[F_END].len) {
		if (pb_price_end_day(pg->v[F_END].text, pg->v[F_END].len, &it.end) < 0 ||
		    (it.end && it.end <= it.start))
			return fail(pg, pg->v[F_END].line, pg->v[F_END].col,
				    "item %llu: bad effectiveEndDate \"%s\" (not a date after the start)",
				    (unsigned long long)pg->items,
				    pb_price_excerpt(pg->v[F_END].text, pg->v[F_END].len, shown));
	}
	it.region.ptr = "";
	it.region.len = 0;
	if (pg->v[F_ARM_REGION].set && pg->v[F_ARM_REGION].len) {
		const struct value *loc = &pg->v[F_LOCATION];

		rc = text_of(pg, F_ARM_REGION, &it.region);
		/* Its display name too: the load records the pair, so that "eastus" and "US East" are one region. */
		if (loc->set && loc->len && !loc->too_long && pb_text_check(loc->text, loc->len, NULL, NULL) == 0) {
			it.location.ptr = loc->text;
			it.location.len = loc->len;
		}
	} else if (pg->v[F_LOCATION].set && pg->v[F_LOCATION].len)
		rc = text_of(pg, F_LOCATION, &it.region);
	else
		rc = 0;
	if (rc < 0)
		return 0;
	product_of(pg, product, sizeof(product), &it.product);
	it.usage_type.ptr = it.operation.ptr = "";
	it.file = pg->name;
	it.line = pg->v[F_UNIT].line;
	it.col = pg->v[F_UNIT].col;
	rc = pb_price_load_add(pg->r->load, &it, pg->err);
	if (rc < 0) {
		pg->rc = rc;
		return 0;
	}
	return 1;
}

static int on_end_map(void *ctx)
{
	struct page *pg = ctx;

	pg->depth--;
	if (pg->depth == 2 && pg->in_items)
		return item(pg);
	return 1;
}

static int on_end_array(void *ctx)
{
	struct page *pg = ctx;

	pg->depth--;
	if (pg->depth == 1)
		pg->in_items = 0;
	return 1;
}

static const yajl_callbacks callbacks = {
	on_null,      on_boolean, NULL,	      NULL,	      on_number,    on_string,
	on_start_map, on_key,	  on_end_map, on_start_array, on_end_array,
};

/* yajl's own complaint, at the byte it stopped at. */
static int yajl_failed(struct page *pg, size_t len)
{
	unsigned char *e = yajl_get_error(pg->h, 0, NULL, 0);
	char msg[256], *p;

	snprintf(msg, sizeof(msg), "%s", e ? (const char *)e : "parse error");
	if (e)
		yajl_free_error(pg->h, e);
	for (p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	while (p > msg && p[-1] == ' ')
		*--p = '\0';
	advance(pg, yajl_get_bytes_consumed(pg->h) < len ? yajl_get_bytes_consumed(pg->h) : len);
	return fail(pg, pg->line, pg->col, "bad JSON: %s", msg);
}

/*
 * Refuses a string or number longer than TOKEN_MAX before yajl sees it: yajl holds a token that goes on past the
 * end of a chunk and reads it again from its start with each chunk, so that a string of 300 MB (a gzip file of
 * 1.3 MB) took minutes of work, and its memory. 0, or -1 after failing.
 */
static int scan(struct page *pg, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = buf[i];

		if (pg->in_string) {
			if (pg->escaped)
				pg->escaped = 0;
			else if (c == '\\')
				pg->escaped = 1;
			else if (c == '"')
				pg->in_string = 0;
		} else if (c == '"' || (!pg->in_bare && !strchr(" \t\r\n,:[]{}", c))) {
			pg->in_string = c == '"';
			pg->in_bare = c != '"';
			pg->token_len = 0;
			pg->token_line = pg->scan_line;
			pg->token_col = pg->scan_col;
		} else if (strchr(" \t\r\n,:[]{}", c)) {
			pg->in_bare = 0;
		}
		if ((pg->in_string || pg->in_bare) && ++pg->token_len > TOKEN_MAX) {
			fail(pg, pg->token_line, pg->token_col, "a %s longer than %zu bytes",
			     pg->in_string ? "string" : "value", TOKEN_MAX);
			return -1;
		}
		if (c == '\n') {
			pg->scan_line++;
			pg->scan_col = 1;
		} else {
			pg->scan_col++;
		}
	}
	return 0;
}

#define UTF8_BOM "\xEF\xBB\xBF"

/*
 * The first bytes of the page into buf, the three of a UTF-8 byte order mark and one more unless the answer
 * ends first: a mark that comes in pieces is still one. The count read, or -1 after failing (an empty answer too).
 */
static long first_bytes(struct page *pg, struct pb_input *in, char *buf)
{
	long n = 0, r;

	do {
		r = pb_input_read(in, buf + n, CHUNK - (size_t)n, pg->err);
		if (r < 0) {
			pg->rc = pb_price_reader_failed(in);
			if (pg->rc == PB_ERR_DATA)
				pb_price_at_line(pg->err, pg->name, 1, pb_buf_str(pg->err));
			return -1;
		}
		n += r;
	} while (r > 0 && n <= 3 && memcmp(buf, UTF8_BOM, n < 3 ? (size_t)n : 3) == 0);
	if (n == 0) {
		fail(pg, 1, 1, "the answer is empty: not a Retail Prices API page");
		return -1;
	}
	/* One or two bytes of the mark and nothing else: say so, not "invalid char" past the answer's end. */
	if (n > 0 && n < 3 && memcmp(buf, UTF8_BOM, (size_t)n) == 0) {
		fail(pg, 1, 1,
		     "the answer is %ld byte%s (%s): a byte order mark cut short, not a Retail Prices API page", n,
		     n == 1 ? "" : "s", n == 1 ? "EF" : "EF BB");
		return -1;
	}
	if (n == 3 && memcmp(buf, UTF8_BOM, 3) == 0) {
		fail(pg, 1, 1, "the answer is a byte order mark and nothing else: not a Retail Prices API page");
		return -1;
	}
	return n;
}

/* Feeds the page's bytes to yajl. */
static void parse(struct page *pg, struct pb_input *in, char *buf)
{
	long n = first_bytes(pg, in, buf);
	int first = 1;

	if (n < 0)
		return;
	for (; !pg->rc && n != 0; n = pb_input_read(in, buf, CHUNK, pg->err)) {
		char *p = buf;

		if (n < 0) {
			pg->rc = pb_price_reader_failed(in);
			/* The page itself is damaged (a gzip stream): where, is the line its bytes were read up to. */
			if (pg->rc == PB_ERR_DATA)
				pb_price_at_line(pg->err, pg->name, pg->scan_line, pb_buf_str(pg->err));
			return;
		}
		/*
		 * A copy saved by Windows tools may start with a byte order mark: UTF-8's is passed over (RFC 8259 lets
		 * a parser do so), UTF-16's named, not reported as an invalid character.
		 */
		if (first && n >= 2 && (memcmp(p, "\xFF\xFE", 2) == 0 || memcmp(p, "\xFE\xFF", 2) == 0)) {
			fail(pg, 1, 1, "a UTF-16 byte order mark: a page is read as UTF-8 text");
			return;
		}
		if (first && n >= 3 && memcmp(p, UTF8_BOM, 3) == 0) {
			p += 3;
			n -= 3;
		}
		first = 0;
		if (scan(pg, p, (size_t)n) < 0)
			return;
		pg->chunk = p;
		pg->scanned = 0;
		if (yajl_parse(pg->h, (const unsigned char *)p, (size_t)n) != yajl_status_ok && !pg->rc)
			yajl_failed(pg, (size_t)n);
		advance(pg, (size_t)n);
		pb_price_reader_progress(pg->r, in);
	}
	if (pg->rc)
		return;
	pg->chunk = "";
	pg->scanned = 0;
	if (yajl_complete_parse(pg->h) != yajl_status_ok && !pg->rc)
		yajl_failed(pg, 0);
	if (!pg->rc && !pg->seen_items)
		fail(pg, pg->line, pg->col, "not a Retail Prices API page: no Items array");
	if (!pg->rc && pg->has_count && pg->count != (long long)pg->items)
		fail(pg, pg->line, pg->col, "the page's Count is %lld, but it holds %llu items", pg->count,
		     (unsigned long long)pg->items);
}

int pb_retail_page(struct pb_price_reader *r, const char *path, char **next, uint64_t digest[2], struct pb_buf *err)
{
	struct page pg;
	struct pb_input *in = NULL;
	char *buf = malloc(CHUNK);
	int rc;

	*next = NULL;
	memset(&pg, 0, sizeof(pg));
	pg.r = r;
	pg.err = err;
	pg.field = -1;
	pg.line = pg.scan_line = 1;
	pg.col = pg.scan_col = 1;
	pb_buf_init(&pg.next, 1 << 20);
	rc = buf ? pb_price_reader_open(r, path, &in, err) : PB_ERR_DATA;
	if (!buf) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
	}
	if (rc)
		goto out;
	pg.name = pb_input_name(in);
	pg.h = yajl_alloc(&callbacks, NULL, &pg);
	if (!pg.h) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		rc = PB_ERR_DATA;
		goto out;
	}
	parse(&pg, in, buf);
	rc = pg.rc;
	if (digest)
		memcpy(digest, pg.digest, sizeof(pg.digest));
	if (rc == 0 && pg.has_next) {
		*next = strdup(pb_buf_str(&pg.next));
		if (!*next || pg.next.failed) {
			pb_buf_reset(err);
			pb_buf_addf(err, "%s: out of memory", pg.name);
			rc = PB_ERR_DATA;
		}
	}
	if (rc == 0) {
		rc = pb_price_reader_done(r, path, in, err);
		in = NULL;
	}
out:
	if (pg.h)
		yajl_free(pg.h);
	pb_input_free(in);
	pb_buf_release(&pg.next);
	free(buf);
	if (rc) {
		free(*next);
		*next = NULL;
	}
	return rc;
}

/* Appends s percent-encoded for a query (unreserved characters kept), quotes doubled as OData wants. */
static void add_encoded(struct pb_buf *b, const char *s, int odata)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || c == '~')
			pb_buf_addch(b, (char)c);
		else
			pb_buf_addf(b, "%%%02X", c);
		if (odata && c == '\'')
			pb_buf_addstr(b, "%27");
	}
}

char *pb_retail_url(const char *base, const char *service, const char *region, const char *currency)
{
	struct pb_buf b = PB_BUF_INIT;
	char *url;

	pb_buf_addf(&b, "%s%c", base, strchr(base, '?') ? '&' : '?');
	if (currency)
		pb_buf_addf(&b, "currencyCode=%%27%s%%27&", currency);
	pb_buf_addstr(&b, "$filter=");
	if (service) {
		add_encoded(&b, "serviceName eq '", 0);
		add_encoded(&b, service, 1);
		add_encoded(&b, "' and ", 0);
	}
	if (region) {
		add_encoded(&b, "armRegionName eq '", 0);
		add_encoded(&b, region, 1);
		add_encoded(&b, "' and ", 0);
	}
	add_encoded(&b, "priceType eq 'Consumption'", 0);
	url = b.failed ? NULL : strdup(pb_buf_str(&b));
	pb_buf_release(&b);
	return url;
}
