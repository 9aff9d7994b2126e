/* The CSV price lists: header found and bound by name, every row converted and streamed into the load. */
#include "csvlist.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "date.h"
#include "exitcode.h"
#include "text.h"

#include "banned.h"

/* The columns read. */
enum {
	C_METER,
	C_REGION,
	C_UNIT,
	C_TIER,
	C_PRICE,
	C_CURRENCY,
	C_START,
	C_END,
	C_KIND,
	C_PRODUCT,
	C_USAGE_TYPE,
	C_OPERATION,
	C_TIER_MAX,
	C_N
};

/* At most this many records of metadata before an offer file's header. */
#define MAX_METADATA 10

struct format {
	const char *what;
	const char *const *names[C_N];
	unsigned required; /* a bit per column */
	const char *keep;  /* the C_KIND value of list prices */
	int metadata;	   /* records before the header whose first field is "SKU" */
};

#define NAMES(...)                \
	(const char *const[])     \
	{                         \
		__VA_ARGS__, NULL \
	}
#define BIT(c) (1u << (c))

static const struct format formats[] = {
	[PB_CSVLIST_AZURE_SHEET] =
		{
			"an Azure price sheet",
			{
				[C_METER] = NAMES("meterId"),
				[C_REGION] = NAMES("meterRegion", "meterLocation"),
				[C_UNIT] = NAMES("unitOfMeasure"),
				[C_TIER] = NAMES("tierMinimumUnits"),
				/* The list price: marketPrice where the sheet has it (EA, MCA), else the unit price. */
				[C_PRICE] = NAMES("marketPrice", "unitPrice", "basePrice"),
				[C_CURRENCY] = NAMES("currency", "currencyCode", "billingCurrency"),
				[C_START] = NAMES("effectiveStartDate"),
				[C_END] = NAMES("effectiveEndDate"),
				[C_KIND] = NAMES("priceType"),
				[C_PRODUCT] = NAMES("product", "productName", "meterName"),
			},
			BIT(C_METER) | BIT(C_UNIT) | BIT(C_PRICE) | BIT(C_CURRENCY) | BIT(C_START),
			"Consumption",
			0,
		},
	[PB_CSVLIST_AWS_OFFER] =
		{
			"an AWS offer file",
			{
				[C_METER] = NAMES("SKU"),
				[C_REGION] = NAMES("Region Code"),
				[C_UNIT] = NAMES("Unit"),
				[C_TIER] = NAMES("StartingRange"),
				[C_PRICE] = NAMES("PricePerUnit"),
				[C_CURRENCY] = NAMES("Currency"),
				[C_START] = NAMES("EffectiveDate"),
				[C_KIND] = NAMES("TermType"),
				[C_PRODUCT] = NAMES("PriceDescription"),
				[C_USAGE_TYPE] = NAMES("usageType"),
				[C_OPERATION] = NAMES("operation"),
				[C_TIER_MAX] = NAMES("EndingRange"),
			},
			BIT(C_METER) | BIT(C_UNIT) | BIT(C_PRICE) | BIT(C_CURRENCY) | BIT(C_START) | BIT(C_KIND),
			"OnDemand",
			1,
		},
};

static const char *const column_names[C_N] = {
	"meter",	 "region",     "unit",	  "tier minimum", "price",     "currency", "effective start",
	"effective end", "price type", "product", "usage type",	  "operation", "tier end",
};

struct list {
	struct pb_price_reader *r;
	const struct format *f;
	struct pb_csv csv;
	const char *name;
	struct pb_buf *err;
	long col[C_N];
	char header_name[C_N][64]; /* each column's name as the header writes it */
};

static int field_fail(struct list *l, int c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "NAME:LINE:COL: what" at column c of the current record. */
static int field_fail(struct list *l, int c, const char *fmt, ...)
{
	uint64_t line = l->csv.line ? l->csv.line : 1; /* an empty file has no line, but is read at 1:1 */
	uint32_t col = 1;
	va_list ap;

	if (c >= 0 && l->col[c] >= 0)
		pb_csv_field_pos(&l->csv, (size_t)l->col[c], &line, &col);
	pb_buf_reset(l->err);
	pb_buf_addf(l->err, "%s:%llu:%u: ", l->name, (unsigned long long)line, col);
	va_start(ap, fmt);
	pb_buf_vaddf(l->err, fmt, ap);
	va_end(ap);
	return PB_ERR_DATA;
}

static struct pb_price_text text(const struct list *l, int c)
{
	struct pb_price_text t = {"", 0};

	if (l->col[c] >= 0) {
		t.ptr = l->csv.fields[l->col[c]].ptr;
		t.len = l->csv.fields[l->col[c]].len;
	}
	return t;
}

/* After pb_csv_next failed: the reader's message, at its position unless the source itself failed. */
static int csv_fail(struct list *l, const struct pb_input *in)
{
	pb_buf_reset(l->err);
	if (pb_input_remote_failed(in)) {
		pb_buf_addstr(l->err, pb_buf_str(&l->csv.err));
		return PB_ERR_DEPENDENCY;
	}
	if (l->csv.err_line) {
		pb_buf_addf(l->err, "%s:%llu:%u: ", l->name, (unsigned long long)l->csv.err_line, l->csv.err_col);
		pb_buf_addstr(l->err, pb_buf_str(&l->csv.err));
		return PB_ERR_DATA;
	}
	/* The file itself is damaged (a gzip stream): where, is the line the lines before it were read up to. */
	pb_buf_addstr(l->err, pb_buf_str(&l->csv.err));
	pb_price_at_line(l->err, l->name, l->csv.next_line ? l->csv.next_line : 1, pb_buf_str(l->err));
	return PB_ERR_DATA;
}

/* "NAME:LINE:COL: duplicate column" at header field again, a second column of the name of field first. */
static int duplicate(struct list *l, long again, long first)
{
	const struct pb_csv_field *f = &l->csv.fields[again];
	char shown[PB_PRICE_EXCERPT];
	uint64_t line;
	uint32_t col;

	pb_csv_field_pos(&l->csv, (size_t)again, &line, &col);
	pb_buf_reset(l->err);
	pb_buf_addf(l->err, "%s:%llu:%u: duplicate column '%s' (also column %ld of the header)", l->name,
		    (unsigned long long)line, col, pb_price_excerpt(f->ptr, f->len, shown), first + 1);
	return PB_ERR_DATA;
}

/* The header: the first record, or for an offer file the first whose first field is SKU. 0, or an error. */
static int header(struct list *l, const struct pb_input *in)
{
	int rc, k, n = 0;

	for (;;) {
		rc = pb_csv_next(&l->csv);
		if (rc == PB_CSV_END)
			return field_fail(l, -1, "no header: not %s", l->f->what);
		if (rc < 0)
			return csv_fail(l, in);
		/* UTF-16 (Excel's "Unicode text") reads as fields full of NUL bytes: say so, not "missing column". */
		if (n == 0 && l->csv.nfields && l->csv.fields[0].len >= 2 &&
		    (memcmp(l->csv.fields[0].ptr, "\xFF\xFE", 2) == 0 ||
		     memcmp(l->csv.fields[0].ptr, "\xFE\xFF", 2) == 0))
			return field_fail(l, -1, "a UTF-16 byte order mark: a price list is read as UTF-8 text");
		if (!l->f->metadata ||
		    (l->csv.nfields && l->csv.fields[0].len == 3 && strncasecmp(l->csv.fields[0].ptr, "SKU", 3) == 0))
			break;
		if (++n > MAX_METADATA)
			return field_fail(l, -1, "no header with SKU in the first %d lines: not %s", MAX_METADATA,
					  l->f->what);
	}
	for (k = 0; k < C_N; k++) {
		l->col[k] = l->f->names[k] ? pb_price_column(&l->csv, l->f->names[k]) : -1;
		if (l->col[k] < 0 && (l->f->required & BIT(k)))
			return field_fail(l, -1, "missing required column '%s' (the %s): not %s?", l->f->names[k][0],
					  column_names[k], l->f->what);
		if (l->col[k] >= 0) {
			const struct pb_csv_field *h = &l->csv.fields[l->col[k]];
			long again = pb_price_column_again(&l->csv, l->f->names[k], l->col[k]);

			snprintf(l->header_name[k], sizeof(l->header_name[k]), "%.*s", h->len > 63 ? 63 : (int)h->len,
				 h->ptr);
			/* Two columns of one name: which one holds the price is anyone's guess. */
			if (again >= 0)
				return duplicate(l, again, l->col[k]);
		}
	}
	pb_csv_expect_fields(&l->csv, l->csv.nfields);
	{
		size_t cols[C_N], nc = 0;

		for (k = 0; k < C_N; k++)
			if (l->col[k] >= 0)
				cols[nc++] = (size_t)l->col[k];
		if (pb_csv_project(&l->csv, cols, nc) < 0)
			return field_fail(l, -1, "out of memory");
	}
	return 0;
}

static int decimal(struct list *l, int c, struct pb_decimal *out)
{
	struct pb_price_text t = text(l, c);
	struct pb_money_parse_info info;
	char shown[PB_PRICE_EXCERPT];

	int rc = pb_decimal_parse(t.ptr, t.len, out, &info);

	if (rc < 0 && rc != PB_MONEY_ERR_RANGE)
		return field_fail(l, c, "bad %s \"%s\" in column '%s': %s", column_names[c],
				  pb_price_excerpt(t.ptr, t.len, shown), l->header_name[c], info.reason);
	if (rc == 0 && out->neg && out->mant)
		return field_fail(l, c, "negative %s \"%s\" in column '%s'", column_names[c],
				  pb_price_excerpt(t.ptr, t.len, shown), l->header_name[c]);
	if (rc < 0 || !pb_price_decimal_ok(out))
		return field_fail(l, c, "%s \"%s\" in column '%s' is " PB_PRICE_RANGE, column_names[c],
				  pb_price_excerpt(t.ptr, t.len, shown), l->header_name[c]);
	out->neg = 0;
	return 0;
}

static int date(struct list *l, int c, int32_t *day, int end)
{
	struct pb_price_text t = text(l, c);
	enum pb_date_case dc = pb_date_read_any(t.ptr, t.len, day);
	char shown[PB_PRICE_EXCERPT];

	/* A date of year 0000 is written as any other: out of range, not malformed; so is one a zone moves past 9999.
	 */
	if (dc == PB_DATE_BEFORE_FIRST || dc == PB_DATE_PAST_CALENDAR)
		return field_fail(l, c, "%s date \"%s\" in column '%s' is out of range: %s", column_names[c],
				  pb_price_excerpt(t.ptr, t.len, shown), l->header_name[c], pb_date_bound(dc));
	if (dc == PB_DATE_MALFORMED || (end && pb_price_end_day(t.ptr, t.len, day) < 0))
		return field_fail(l, c, "bad %s date \"%s\" in column '%s'", column_names[c],
				  pb_price_excerpt(t.ptr, t.len, shown), l->header_name[c]);
	return 0;
}

/* A text a price needs: not empty, and text the database takes. */
static int needed(struct list *l, int c, struct pb_price_text *t)
{
	*t = text(l, c);
	if (t->len == 0 && (l->f->required & BIT(c)))
		return field_fail(l, c, "empty %s in column '%s'", column_names[c], l->header_name[c]);
	if (pb_text_check(t->ptr, t->len, NULL, NULL) < 0)
		return field_fail(l, c, "the %s in column '%s' is not text (invalid UTF-8 or a NUL byte)",
				  column_names[c], l->header_name[c]);
	return 0;
}

/* The current record: a price, or skipped. */
static int row(struct list *l)
{
	struct pb_price_item it;
	struct pb_price_text kind = text(l, C_KIND);
	char shown[PB_PRICE_EXCERPT];
	int c, rc = 0;

	l->r->file_items++;
	if (l->col[C_KIND] >= 0 &&
	    !(kind.len == strlen(l->f->keep) && strncasecmp(kind.ptr, l->f->keep, kind.len) == 0)) {
		pb_price_load_skip(l->r->load, 1);
		return 0;
	}
	memset(&it, 0, sizeof(it));
	{
		static const int texts[] = {C_METER,   C_REGION,     C_UNIT,	 C_CURRENCY,
					    C_PRODUCT, C_USAGE_TYPE, C_OPERATION};
		struct pb_price_text *to[] = {&it.meter,   &it.region,	   &it.unit,	 &it.currency,
					      &it.product, &it.usage_type, &it.operation};

		for (c = 0; c < (int)(sizeof(texts) / sizeof(texts[0])) && rc == 0; c++)
			rc = needed(l, texts[c], to[c]);
	}
	if (rc)
		return rc;
	if (!pb_price_currency_ok(it.currency.ptr, it.currency.len))
		return field_fail(l, C_CURRENCY, "bad currency \"%s\" in column '%s'",
				  pb_price_excerpt(it.currency.ptr, it.currency.len, shown),
				  l->header_name[C_CURRENCY]);
	if (decimal(l, C_PRICE, &it.price) < 0)
		return PB_ERR_DATA;
	if (text(l, C_TIER).len && decimal(l, C_TIER, &it.tier_min) < 0)
		return PB_ERR_DATA;
	/* Where the tier ends: "Inf" for the last; a sheet without the column says nothing of it. */
	if (text(l, C_TIER_MAX).len) {
		struct pb_price_text m = text(l, C_TIER_MAX);

		it.has_tier_max = 1;
		it.tier_inf = m.len == 3 && strncasecmp(m.ptr, "Inf", 3) == 0;
		if (!it.tier_inf && decimal(l, C_TIER_MAX, &it.tier_max) < 0)
			return PB_ERR_DATA;
	}
	if (date(l, C_START, &it.start, 0) < 0)
		return PB_ERR_DATA;
	if (text(l, C_END).len && date(l, C_END, &it.end, 1) < 0)
		return PB_ERR_DATA;
	if (it.end && it.end <= it.start)
		return field_fail(l, C_END, "the effective end is not after the effective start");
	it.file = l->name;
	pb_csv_field_pos(&l->csv, (size_t)l->col[C_UNIT], &it.line, &it.col);
	if (l->col[C_TIER_MAX] >= 0)
		pb_csv_field_pos(&l->csv, (size_t)l->col[C_TIER_MAX], &it.max_line, &it.max_col);
	return pb_price_load_add(l->r->load, &it, l->err);
}

int pb_csvlist_read(struct pb_price_reader *r, enum pb_csvlist_kind kind, const char *path, struct pb_buf *err)
{
	struct list l;
	struct pb_input *in = NULL;
	int rc, ready = 0;
	uint64_t rows = 0;

	memset(&l, 0, sizeof(l));
	l.r = r;
	l.f = &formats[kind];
	l.err = err;
	rc = pb_price_reader_open(r, path, &in, err);
	if (rc)
		return rc;
	l.name = pb_input_name(in);
	if (pb_csv_init(&l.csv, pb_input_read, in, 0) < 0) {
		rc = field_fail(&l, -1, "out of memory");
		goto out;
	}
	ready = 1;
	rc = header(&l, in);
	while (rc == 0) {
		int k = pb_csv_next(&l.csv);

		if (k == PB_CSV_END)
			break;
		if (k < 0) {
			rc = csv_fail(&l, in);
			break;
		}
		rc = row(&l);
		if ((++rows & 0x3fff) == 0)
			pb_price_reader_progress(r, in);
	}
	if (rc == 0) {
		rc = pb_price_reader_done(r, path, in, err);
		in = NULL;
	}
out:
	if (ready)
		pb_csv_release(&l.csv);
	pb_input_free(in);
	return rc;
}
