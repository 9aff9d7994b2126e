/*
 * The run's price table. The rows come from the database in no order (a sort there would hold the first row
 * back until the last is read); they are grouped here by meter, newest load first, then latest effective
 * start first, so that a meter's prices are one run of the entry array. Meters are found through an
 * open-addressing table of their names whose slots carry the upper half of the name's hash, so that a probe
 * reads a meter only on a likely match; AWS SKUs are also found by usage type, operation and region. The
 * price in force on a day comes from the newest load that has one in force that day: a reload decides the
 * days it covers, and the loads it superseded still price the days before.
 */
#include "listprice.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "date.h"
#include "db.h"
#include "hash.h"
#include "interrupt.h"
#include "money.h"
#include "table.h"
#include "testhook.h"
#include "text.h"
#include "unit.h"

#include "banned.h"

#define MAX_TIERS PB_PRICE_MAX_TIERS
#define OPEN_END INT32_MAX
#define NFIELDS 11
#define NO_BASE UINT32_MAX
#define UNIT_TEXT 0x80000000U /* a ledger's unit that is a unit's text, not a base */
/* A region's key, its NUL included: 127 letters and digits, a price's and a line's alike (pb.region_fold too). */
#define REGION_KEY 128
#define HASH_TAG 0xFFFFFFFF00000000ULL

/* A decimal kept small: mant x 10^exp; a value that does not fit (mant < 0) is big[exp]. */
struct dec {
	int64_t mant;
	int32_t exp;
};

struct entry {
	struct dec price, tier;
	int32_t start, end; /* end: the first day not in force, or OPEN_END */
	uint32_t load;	    /* index into loads */
	uint32_t unit, region, currency;
	uint32_t unit_count, unit_base; /* the unit read by pb_unit_parse; unit_count 0: it cannot be read */
};

/* A price row as read, before the rows are grouped by meter (in place: the entries take their memory). */
struct row {
	struct entry e;
	uint32_t meter, usage_type, operation;
	uint32_t seq; /* the order it came in */
};

/* A meter: one cache line, with the head of its name, so that a lookup reads the rest only on a match. */
#define NAME_HEAD 44
struct meter {
	uint32_t first, n;	 /* its entries */
	uint32_t nregions;	 /* distinct regions among them */
	uint32_t name, name_len; /* a name longer than NAME_HEAD: where it is in names */
	char head[NAME_HEAD];	 /* the name's first bytes */
};

/*
 * A slot of the meter table: the upper half of the name's hash, the meter index + 1 (0: empty), and where
 * its entries start, so that they are asked for while the meter is read to check the name.
 */
struct meter_slot {
	uint32_t tag, meter, first, unused;
};

/* AWS: a meter's (usage type, operation, region), of its first entry, and the next meter that shares them + 1. */
struct alt {
	uint32_t usage_type, operation, region;
	uint32_t next_alt;
};

/* Interned texts: ids index offs; a slot holds the upper half of the text's hash and its id + 1. */
struct strs {
	char *arena;
	size_t len, alloc;
	uint32_t *off, *slen;
	uint64_t *hash;
	size_t n, cap;
	uint64_t *slots;
	size_t nslots;
};

/* A unit of measure's count and base (pb_unit_parse), per unit id; ok 0: not parsed yet, -1: unparseable. */
struct unit_info {
	uint32_t count, base;
	int ok;
};

/*
 * One partner account's cumulative quantity of a tiered meter this month, in its unit's base (the text of a unit
 * that cannot be read as a count of a base, with UNIT_TEXT).
 */
struct ledger {
	uint32_t account, meter, unit; /* account: an id in accounts */
	pb_money cum;
};

struct pb_listprice {
	PGconn *conn;
	char vendor[8];
	int32_t first, last;
	int loaded, failed;
	struct pb_buf error;
	struct row *rows; /* while loading */
	size_t nrows, rows_alloc;
	struct entry *entries;
	size_t nentries;
	struct meter *meters;
	size_t nmeters, meters_alloc;
	struct alt *alts; /* AWS, per meter */
	uint8_t *tiered;  /* per meter: 1 when some price of it has a tier above 0 */
	struct meter_slot *meter_slots;
	size_t nmeter_slots;
	uint32_t last_meter; /* the meter the last line named, + 1: lines of a meter often come together */
	char last_unit[64];  /* and its unit of measure (when it fits), read as: */
	size_t last_unit_len;
	uint32_t last_unit_count, last_unit_base;
	uint32_t *alt_slots; /* AWS: first meter of a (usage type, operation, region) + 1 */
	size_t nalt_slots;
	struct pb_decimal *big;
	size_t nbig, big_alloc;
	char *names; /* the names longer than NAME_HEAD */
	size_t names_len, names_alloc;
	struct strs texts, accounts;
	struct strs aliases; /* Azure: the programmatic region names a price list paired with a display name */
	uint32_t *alias_to;  /* per alias: the display name's key, an id in texts */
	size_t alias_alloc;
	struct unit_info *units;
	size_t units_alloc;
	int64_t *loads;
	uint64_t *priced; /* per load */
	size_t nloads, loads_alloc;
	uint64_t missed[PB_NMISS];
	struct ledger *ledger;
	size_t nledger, ledger_alloc;
	uint32_t *ledger_slots;
	size_t nledger_slots;
};

/* Grows *arr (of *alloc items of size sz) to hold n + 1. 0, or -1 when memory cannot be had. */
static int grow(void *arr, size_t *alloc, size_t n, size_t sz)
{
	void **a = arr, *na;
	size_t k;

	if (n < *alloc)
		return 0;
	k = *alloc ? *alloc * 2 : 64;
	na = pb_table_realloc(*a, *alloc * sz, k * sz);
	if (!na)
		return -1;
	*a = na;
	*alloc = k;
	return 0;
}

static void strs_release(struct strs *s)
{
	free(s->arena);
	free(s->off);
	free(s->slen);
	free(s->hash);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

static int strs_rehash(struct strs *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 256, i, j;
	uint64_t *slots = pb_table_alloc(n * sizeof(*slots));

	if (!slots)
		return -1;
	memset(slots, 0, n * sizeof(*slots));
	for (i = 0; i < s->n; i++) {
		for (j = s->hash[i] & (n - 1); slots[j]; j = (j + 1) & (n - 1))
			;
		slots[j] = (s->hash[i] & HASH_TAG) | ((uint64_t)i + 1);
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return 0;
}

static const char *strs_text(const struct strs *s, uint32_t id)
{
	return s->arena + s->off[id];
}

/* The slot of the len bytes at t (hash h): the one that holds them, or the empty one where they would go. */
static size_t strs_slot(const struct strs *s, const char *t, size_t len, uint64_t h)
{
	size_t j;

	for (j = h & (s->nslots - 1); s->slots[j]; j = (j + 1) & (s->nslots - 1)) {
		uint32_t id = (uint32_t)(s->slots[j] & 0xFFFFFFFFu) - 1;

		if ((s->slots[j] & HASH_TAG) == (h & HASH_TAG) && s->slen[id] == len &&
		    memcmp(s->arena + s->off[id], t, len) == 0)
			break;
	}
	return j;
}

/* The id of the len bytes at t, or -1 when they are not among the texts. */
static long strs_find(const struct strs *s, const char *t, size_t len)
{
	size_t j;

	if (!s->nslots)
		return -1;
	j = strs_slot(s, t, len, pb_hash_bytes(t, len));
	return s->slots[j] ? (long)(s->slots[j] & 0xFFFFFFFFu) - 1 : -1;
}

/* The id of the len bytes at t, added when new; -1 when memory cannot be had. */
static long strs_intern(struct strs *s, const char *t, size_t len)
{
	uint64_t h = pb_hash_bytes(t, len);
	size_t j;

	if ((s->n + 1) * 2 > s->nslots && strs_rehash(s) < 0)
		return -1;
	j = strs_slot(s, t, len, h);
	if (s->slots[j])
		return (long)(s->slots[j] & 0xFFFFFFFFu) - 1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint32_t *off = pb_table_realloc(s->off, s->cap * sizeof(*off), cap * sizeof(*off)), *slen;
		uint64_t *hash;

		if (!off)
			return -1;
		s->off = off;
		slen = pb_table_realloc(s->slen, s->cap * sizeof(*slen), cap * sizeof(*slen));
		if (!slen)
			return -1;
		s->slen = slen;
		hash = pb_table_realloc(s->hash, s->cap * sizeof(*hash), cap * sizeof(*hash));
		if (!hash)
			return -1;
		s->hash = hash;
		s->cap = cap;
	}
	while (s->len + len + 1 > s->alloc) {
		size_t a = s->alloc ? s->alloc * 2 : 4096;
		char *na = pb_table_realloc(s->arena, s->alloc, a);

		if (!na)
			return -1;
		s->arena = na;
		s->alloc = a;
	}
	memcpy(s->arena + s->len, t, len);
	s->arena[s->len + len] = '\0';
	s->off[s->n] = (uint32_t)s->len;
	s->slen[s->n] = (uint32_t)len;
	s->hash[s->n] = h;
	s->len += len + 1;
	s->slots[j] = (h & HASH_TAG) | ((uint64_t)s->n + 1);
	return (long)s->n++;
}

struct pb_listprice *pb_listprice_new(PGconn *conn, const char *vendor, int32_t first, int32_t last)
{
	struct pb_listprice *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->conn = conn;
	snprintf(p->vendor, sizeof(p->vendor), "%s", vendor);
	p->first = first;
	p->last = last;
	pb_buf_init(&p->error, 4096);
	return p;
}

void pb_listprice_free(struct pb_listprice *p)
{
	if (!p)
		return;
	free(p->rows);
	free(p->entries);
	free(p->meters);
	free(p->alts);
	free(p->tiered);
	free(p->meter_slots);
	free(p->alt_slots);
	free(p->big);
	free(p->names);
	strs_release(&p->texts);
	strs_release(&p->accounts);
	strs_release(&p->aliases);
	free(p->alias_to);
	free(p->units);
	free(p->loads);
	free(p->priced);
	free(p->ledger);
	free(p->ledger_slots);
	pb_buf_release(&p->error);
	free(p);
}

/* ---- reading the prices ------------------------------------------------------------------------------- */

/* Decodes a COPY text field in place (\\, \t, \n, \r and the like); returns its new length. */
static size_t copy_unescape(char *s, size_t n)
{
	size_t i, o = 0;

	if (!memchr(s, '\\', n))
		return n;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '\\' && i + 1 < n) {
			ch = s[++i];
			ch = ch == 't'	 ? '\t'
			     : ch == 'n' ? '\n'
			     : ch == 'r' ? '\r'
			     : ch == 'b' ? '\b'
			     : ch == 'f' ? '\f'
					 : ch;
		}
		s[o++] = ch;
	}
	return o;
}

static int to_dec(struct pb_listprice *p, const char *s, size_t n, struct dec *out)
{
	struct pb_decimal d;

	if (pb_decimal_parse(s, n, &d, NULL) < 0 || d.neg)
		return -1;
	if (d.mant <= (unsigned __int128)INT64_MAX) {
		out->mant = (int64_t)d.mant;
		out->exp = d.exp;
		return 0;
	}
	if (grow(&p->big, &p->big_alloc, p->nbig, sizeof(*p->big)) < 0)
		return -1;
	p->big[p->nbig] = d;
	out->mant = -1;
	out->exp = (int32_t)p->nbig++;
	return 0;
}

static struct pb_decimal from_dec(const struct pb_listprice *p, struct dec d)
{
	struct pb_decimal r;

	if (d.mant < 0)
		return p->big[d.exp];
	r.mant = (unsigned __int128)d.mant;
	r.exp = d.exp;
	r.neg = 0;
	return r;
}

static int dec_equal(const struct pb_listprice *p, struct dec a, struct dec b)
{
	pb_money x, y;
	struct pb_decimal one = {1, 0, 0}, f[2];

	if (a.mant >= 0 && b.mant >= 0 && a.mant == b.mant && a.exp == b.exp)
		return 1;
	f[0] = from_dec(p, a);
	f[1] = one;
	if (pb_decimal_product(f, 2, 1, &x, NULL) < 0)
		return 0;
	f[0] = from_dec(p, b);
	if (pb_decimal_product(f, 2, 1, &y, NULL) < 0)
		return 0;
	return pb_money_cmp(x, y) == 0;
}

/* a against b as amounts: < 0, 0 or > 0; those past the range of amounts are alike, and greater than any other. */
static int dec_cmp(const struct pb_listprice *p, struct dec a, struct dec b)
{
	struct pb_decimal f[2] = {from_dec(p, a), {1, 0, 0}};
	pb_money x, y;
	int xa, ya;

	xa = pb_decimal_product(f, 2, 1, &x, NULL) == 0;
	f[0] = from_dec(p, b);
	ya = pb_decimal_product(f, 2, 1, &y, NULL) == 0;
	if (!xa || !ya)
		return xa == ya ? 0 : xa ? -1 : 1;
	return pb_money_cmp(x, y);
}

/* The count of decimal digits of m (1 for 0). */
static int digits_of(unsigned __int128 m)
{
	int n = 1;

	while (m >= 10) {
		m /= 10;
		n++;
	}
	return n;
}

/*
 * a against b exactly, to the last of their digits (at most 38 significant: without its trailing zeros, one
 * scaled to the other's digits still fits): what tells apart two prices or tiers that dec_cmp finds alike.
 */
static int dec_cmp_exact(const struct pb_listprice *p, struct dec a, struct dec b)
{
	struct pb_decimal x = from_dec(p, a), y = from_dec(p, b);
	int nx, ny;

	if (x.mant == 0 || y.mant == 0)
		return (x.mant != 0) - (y.mant != 0);
	for (; x.mant % 10 == 0; x.exp++)
		x.mant /= 10;
	for (; y.mant % 10 == 0; y.exp++)
		y.mant /= 10;
	nx = digits_of(x.mant);
	ny = digits_of(y.mant);
	/* The place of the leading digit first, then the digits, the shorter one scaled to the longer one's length. */
	if (nx + x.exp != ny + y.exp)
		return nx + x.exp < ny + y.exp ? -1 : 1;
	for (; nx < ny; nx++)
		x.mant *= 10;
	for (; ny < nx; ny++)
		y.mant *= 10;
	return x.mant == y.mant ? 0 : x.mant < y.mant ? -1 : 1;
}

/* Lowercase letters and digits only: "US East" and "useast", "East US 2" and "eastus2" compare alike. */
static size_t region_key(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < cap; i++) {
		char ch = s[i];

		if (ch >= 'A' && ch <= 'Z')
			out[o++] = (char)(ch - 'A' + 'a');
		else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			out[o++] = ch;
	}
	out[o] = '\0';
	return o;
}

/*
 * The key of a region: region_key, or where it is a programmatic name ("eastus") that the price lists pair with a
 * display name ("US East"), the display name's: the two are one region.
 */
static size_t region_canon(const struct pb_listprice *p, const char *s, size_t n, char *out, size_t cap)
{
	size_t k = region_key(s, n, out, cap);
	long a = p->aliases.n ? strs_find(&p->aliases, out, k) : -1;
	uint32_t to;

	if (a < 0)
		return k;
	to = p->alias_to[a];
	if (p->texts.slen[to] >= cap)
		return k;
	memcpy(out, strs_text(&p->texts, to), p->texts.slen[to] + 1);
	return p->texts.slen[to];
}

static long load_index(struct pb_listprice *p, int64_t id)
{
	size_t i;

	for (i = p->nloads; i > 0; i--)
		if (p->loads[i - 1] == id)
			return (long)(i - 1);
	if (p->nloads == p->loads_alloc) {
		size_t n = p->loads_alloc ? p->loads_alloc * 2 : 16;
		int64_t *loads = realloc(p->loads, n * sizeof(*loads));
		uint64_t *priced;

		if (!loads)
			return -1;
		p->loads = loads;
		priced = realloc(p->priced, n * sizeof(*priced));
		if (!priced)
			return -1;
		p->priced = priced;
		p->loads_alloc = n;
	}
	p->loads[p->nloads] = id;
	p->priced[p->nloads] = 0;
	return (long)p->nloads++;
}

static int unit_of(struct pb_listprice *p, uint32_t id, uint32_t *count, uint32_t *base);

static const char *meter_name(const struct pb_listprice *p, const struct meter *m)
{
	return m->name_len <= NAME_HEAD ? m->head : p->names + m->name;
}

static int meter_is(const struct pb_listprice *p, uint32_t mi, const char *name, size_t len)
{
	const struct meter *m = &p->meters[mi];

	if (m->name_len != len || memcmp(m->head, name, len < NAME_HEAD ? len : NAME_HEAD) != 0)
		return 0;
	return len <= NAME_HEAD || memcmp(p->names + m->name + NAME_HEAD, name + NAME_HEAD, len - NAME_HEAD) == 0;
}

/* The meter table made or grown to at least twice want slots, its meters placed again. 0, or -1: no memory. */
static int meter_rehash(struct pb_listprice *p, size_t want)
{
	size_t n = p->nmeter_slots ? p->nmeter_slots : 256, i, j;
	struct meter_slot *slots;

	while (n < want * 2)
		n *= 2;
	slots = pb_table_alloc(n * sizeof(*slots));
	if (!slots)
		return -1;
	memset(slots, 0, n * sizeof(*slots));
	for (i = 0; i < p->nmeters; i++) {
		const struct meter *m = &p->meters[i];
		uint64_t h = pb_hash_bytes(meter_name(p, m), m->name_len);

		for (j = h & (n - 1); slots[j].meter; j = (j + 1) & (n - 1))
			;
		slots[j].tag = (uint32_t)(h >> 32);
		slots[j].meter = (uint32_t)i + 1;
	}
	free(p->meter_slots);
	p->meter_slots = slots;
	p->nmeter_slots = n;
	return 0;
}

/* The index of the meter named by the len bytes at name, made when new; -1 when memory cannot be had. */
static long meter_intern(struct pb_listprice *p, const char *name, size_t len)
{
	uint64_t h = pb_hash_bytes(name, len);
	uint32_t want = (uint32_t)(h >> 32);
	struct meter *m;
	size_t j;

	if ((p->nmeters + 1) * 2 > p->nmeter_slots && meter_rehash(p, p->nmeters + 1) < 0)
		return -1;
	for (j = h & (p->nmeter_slots - 1); p->meter_slots[j].meter; j = (j + 1) & (p->nmeter_slots - 1))
		if (p->meter_slots[j].tag == want && meter_is(p, p->meter_slots[j].meter - 1, name, len))
			return (long)p->meter_slots[j].meter - 1;
	if (len > UINT32_MAX || grow(&p->meters, &p->meters_alloc, p->nmeters, sizeof(*m)) < 0)
		return -1;
	m = &p->meters[p->nmeters];
	memset(m, 0, sizeof(*m));
	m->name_len = (uint32_t)len;
	memcpy(m->head, name, len < NAME_HEAD ? len : NAME_HEAD);
	if (len > NAME_HEAD) {
		while (p->names_len + len > p->names_alloc) {
			size_t a = p->names_alloc ? p->names_alloc * 2 : 4096;
			char *na = realloc(p->names, a);

			if (!na)
				return -1;
			p->names = na;
			p->names_alloc = a;
		}
		if (p->names_len > UINT32_MAX - len)
			return -1;
		memcpy(p->names + p->names_len, name, len);
		m->name = (uint32_t)p->names_len;
		p->names_len += len;
	}
	p->meter_slots[j].tag = want;
	p->meter_slots[j].meter = (uint32_t)p->nmeters + 1;
	return (long)p->nmeters++;
}

/* One row of the COPY: meter, region, unit, tier_min, start, end, price, currency, load, usage type, operation. */
static int add_row(struct pb_listprice *p, char *row, size_t len)
{
	char *f[NFIELDS], *s = row, *end = row + len, region[REGION_KEY];
	size_t n[NFIELDS], k;
	struct row *r;
	long id, load, ut, op;
	char *stop;

	if (len && row[len - 1] == '\n')
		end--;
	for (k = 0; k < NFIELDS; k++) {
		char *tab = memchr(s, '\t', (size_t)(end - s));

		if (!tab && k + 1 < NFIELDS)
			return -1;
		f[k] = s;
		n[k] = copy_unescape(s, (size_t)((tab ? tab : end) - s));
		s = tab ? tab + 1 : end;
	}
	if (grow(&p->rows, &p->rows_alloc, p->nrows, sizeof(*r)) < 0)
		return -1;
	r = &p->rows[p->nrows];
	memset(r, 0, sizeof(*r));
	r->seq = (uint32_t)p->nrows;
	if (to_dec(p, f[3], n[3], &r->e.tier) < 0 || to_dec(p, f[6], n[6], &r->e.price) < 0 ||
	    pb_date_parse_iso(f[4], n[4], &r->e.start) < 0)
		return -1;
	r->e.end = OPEN_END;
	if (n[5] && pb_date_parse_iso(f[5], n[5], &r->e.end) < 0)
		return -1;
	f[8][n[8]] = '\0';
	load = load_index(p, strtoll(f[8], &stop, 10));
	id = strs_intern(&p->texts, f[2], n[2]);
	if (load < 0 || id < 0)
		return -1;
	r->e.load = (uint32_t)load;
	r->e.unit = (uint32_t)id;
	id = strs_intern(&p->texts, region, region_canon(p, f[1], n[1], region, sizeof(region)));
	if (id < 0)
		return -1;
	r->e.region = (uint32_t)id;
	id = strs_intern(&p->texts, f[7], n[7]);
	ut = strs_intern(&p->texts, f[9], n[9]);
	op = strs_intern(&p->texts, f[10], n[10]);
	if (id < 0 || ut < 0 || op < 0)
		return -1;
	r->e.currency = (uint32_t)id;
	r->usage_type = (uint32_t)ut;
	r->operation = (uint32_t)op;
	id = meter_intern(p, f[0], n[0]);
	if (id < 0)
		return -1;
	r->meter = (uint32_t)id;
	p->meters[id].n++;
	p->nrows++;
	return 0;
}

static int text_cmp(const struct pb_listprice *p, uint32_t a, uint32_t b)
{
	return a == b ? 0 : strcmp(strs_text(&p->texts, a), strs_text(&p->texts, b));
}

/*
 * A meter's order of rows: newest load first, then latest effective start, then lowest tier (the order
 * choose relies on); rows alike in those by region, unit, currency, price, usage type and operation, so that the
 * order does not depend on the order the database sent them in.
 */
static int row_cmp(const struct pb_listprice *p, const struct row *a, const struct row *b)
{
	int64_t la = p->loads[a->e.load], lb = p->loads[b->e.load];
	int c;

	if (la != lb)
		return la > lb ? -1 : 1;
	if (a->e.start != b->e.start)
		return a->e.start > b->e.start ? -1 : 1;
	c = dec_cmp(p, a->e.tier, b->e.tier);
	if (c)
		return c;
	c = text_cmp(p, a->e.region, b->e.region);
	if (!c)
		c = text_cmp(p, a->e.unit, b->e.unit);
	if (!c)
		c = text_cmp(p, a->e.currency, b->e.currency);
	if (!c)
		c = dec_cmp(p, a->e.price, b->e.price);
	/* Prices or tiers alike to 18 places (or both past the range) that the database keeps apart. */
	if (!c)
		c = dec_cmp_exact(p, a->e.tier, b->e.tier);
	if (!c)
		c = dec_cmp_exact(p, a->e.price, b->e.price);
	/* The first row gives the meter the usage type and operation it is found by without a SKU. */
	if (!c)
		c = text_cmp(p, a->usage_type, b->usage_type);
	if (!c)
		c = text_cmp(p, a->operation, b->operation);
	return c;
}

static int row_cmp_r(const void *a, const void *b, void *p)
{
	const struct row *x = a, *y = b;
	int c = row_cmp(p, x, y);

	/* Rows alike in everything: in the order read, which is then of no consequence. */
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the n rows at v by row_cmp: by insertion when few, as nearly all meters' are. */
static void sort_rows(struct pb_listprice *p, struct row *v, size_t n)
{
	size_t i, k;

	if (n > 16) {
		qsort_r(v, n, sizeof(*v), row_cmp_r, p);
		return;
	}
	for (i = 1; i < n; i++) {
		struct row x = v[i];

		for (k = i; k > 0 && row_cmp(p, &v[k - 1], &x) > 0; k--)
			v[k] = v[k - 1];
		v[k] = x;
	}
}

/* Orders the meters of a (usage type, operation, region) by name, the greatest first, as they were chained. */
static int name_less(const struct pb_listprice *p, uint32_t a, uint32_t b)
{
	const struct meter *x = &p->meters[a], *y = &p->meters[b];
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(meter_name(p, x), meter_name(p, y), n);

	return c ? c < 0 : x->name_len < y->name_len;
}

static int build_alt(struct pb_listprice *p)
{
	uint32_t *chain = NULL;
	size_t nchain = 0, chain_alloc = 0, i, j, k;

	p->nalt_slots = p->nmeter_slots;
	p->alt_slots = calloc(p->nalt_slots, sizeof(*p->alt_slots));
	if (!p->alt_slots)
		return -1;
	for (i = 0; i < p->nmeters; i++) {
		struct alt *m = &p->alts[i];
		uint64_t h = pb_hash_mix(pb_hash_mix(m->usage_type) ^ ((uint64_t)m->operation << 32) ^ m->region);

		if (!p->texts.slen[m->usage_type])
			continue;
		for (j = h & (p->nalt_slots - 1); p->alt_slots[j]; j = (j + 1) & (p->nalt_slots - 1)) {
			struct alt *o = &p->alts[p->alt_slots[j] - 1];

			if (o->usage_type == m->usage_type && o->operation == m->operation && o->region == m->region)
				break;
		}
		m->next_alt = p->alt_slots[j];
		p->alt_slots[j] = (uint32_t)i + 1;
	}
	/* Each chain from the greatest name to the least, as when the meters came sorted by name. */
	for (j = 0; j < p->nalt_slots; j++) {
		uint32_t mi;

		nchain = 0;
		for (mi = p->alt_slots[j]; mi; mi = p->alts[mi - 1].next_alt) {
			if (grow(&chain, &chain_alloc, nchain, sizeof(*chain)) < 0) {
				free(chain);
				return -1;
			}
			chain[nchain++] = mi - 1;
		}
		if (nchain < 2)
			continue;
		for (i = 1; i < nchain; i++) {
			uint32_t x = chain[i];

			for (k = i; k > 0 && name_less(p, chain[k - 1], x); k--)
				chain[k] = chain[k - 1];
			chain[k] = x;
		}
		p->alt_slots[j] = chain[0] + 1;
		for (i = 0; i < nchain; i++)
			p->alts[chain[i]].next_alt = i + 1 < nchain ? chain[i + 1] + 1 : 0;
	}
	free(chain);
	return 0;
}

/* Moves each row to place dest[i] (where nothing is left to move, dest[i] == i), following each cycle once. */
static void place_rows(struct row *rows, uint32_t *dest, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		while (dest[i] != i) {
			uint32_t d = dest[i];
			struct row t = rows[d];

			rows[d] = rows[i];
			rows[i] = t;
			dest[i] = dest[d];
			dest[d] = d;
		}
	}
}

/*
 * Groups the rows read by meter, in place, and makes them the entries: an entry is smaller than a row, so
 * entry i overwrites only rows up to i, read already. Then makes the tables the lookups use.
 */
static int build_index(struct pb_listprice *p)
{
	uint32_t *dest = malloc((p->nrows ? p->nrows : 1) * sizeof(*dest));
	struct entry *entries = (struct entry *)p->rows;
	size_t i, j, k, at = 0;
	int ret = -1;

	p->tiered = calloc(p->nmeters ? p->nmeters : 1, sizeof(*p->tiered));
	if (!dest || !p->tiered || (!p->nmeter_slots && meter_rehash(p, 1) < 0))
		goto out;
	if (strcmp(p->vendor, "aws") == 0) {
		p->alts = calloc(p->nmeters ? p->nmeters : 1, sizeof(*p->alts));
		if (!p->alts)
			goto out;
	}
	for (i = 0; i < p->nmeters; i++) {
		p->meters[i].first = (uint32_t)at;
		at += p->meters[i].n;
		p->meters[i].n = 0;
	}
	for (i = 0; i < p->nrows; i++) {
		struct meter *m = &p->meters[p->rows[i].meter];

		dest[i] = m->first + m->n++;
	}
	place_rows(p->rows, dest, p->nrows);
	for (i = 0; i < p->nmeters; i++) {
		struct meter *m = &p->meters[i];

		sort_rows(p, p->rows + m->first, m->n);
		if (p->alts) {
			p->alts[i].usage_type = p->rows[m->first].usage_type;
			p->alts[i].operation = p->rows[m->first].operation;
			p->alts[i].region = p->rows[m->first].e.region;
		}
		for (j = 0; j < m->n; j++) {
			struct entry e = p->rows[m->first + j].e;

			for (k = 0; k < j && entries[m->first + k].region != e.region; k++)
				;
			if (k == j)
				m->nregions++;
			if (e.tier.mant != 0)
				p->tiered[i] = 1;
			if (unit_of(p, e.unit, &e.unit_count, &e.unit_base) < 0) {
				e.unit_count = 0;
				e.unit_base = NO_BASE;
			}
			entries[m->first + j] = e;
		}
	}
	for (j = 0; j < p->nmeter_slots; j++)
		if (p->meter_slots[j].meter)
			p->meter_slots[j].first = p->meters[p->meter_slots[j].meter - 1].first;
	p->entries = entries;
	p->nentries = p->nrows;
	p->rows = NULL;
	p->nrows = p->rows_alloc = 0;
	if (strcmp(p->vendor, "aws") == 0 && build_alt(p) < 0)
		goto out;
	ret = 0;
out:
	free(dest);
	return ret;
}

static int db_error(struct pb_listprice *p, const char *what)
{
	pb_buf_reset(&p->error);
	pb_buf_addf(&p->error, "database: cannot read the price lists: %s", what);
	for (size_t k = 0; k < p->error.len; k++)
		if (p->error.ptr[k] == '\n')
			p->error.ptr[k] = ' ';
	p->failed = 1;
	return -1;
}

/* The rows read, grouped and indexed; the error of load when they cannot be. */
static int finish_load(struct pb_listprice *p, int bad)
{
	if (bad || build_index(p) < 0)
		return db_error(p, "out of memory, or a price the database gave could not be read");
	p->loaded = 1;
	return 0;
}

/*
 * Makes room for about n rows and meters at once, so that the tables are not copied as they grow: best
 * effort, a table that cannot be had now grows as the rows come.
 */
static void reserve(struct pb_listprice *p, size_t n)
{
	struct row *rows;
	struct meter *meters;

	if (n < 1024 || n > ((size_t)1 << 28) || p->rows_alloc || p->meters_alloc)
		return;
	rows = pb_table_alloc(n * sizeof(*rows));
	meters = pb_table_alloc(n * sizeof(*meters));
	if (!rows || !meters) {
		free(rows);
		free(meters);
		return;
	}
	p->rows = rows;
	p->rows_alloc = n;
	p->meters = meters;
	p->meters_alloc = n;
	/* Without it, the meter table grows as the meters come. */
	(void)meter_rehash(p, n);
}

/*
 * p->error after a statement failed with err ("database: why"): the signal's reason alone when a signal came (it
 * cancels the statement), else "database: cannot read the price lists: why". -1.
 */
static int query_error(struct pb_listprice *p, const struct pb_buf *err)
{
	const char *why = pb_buf_str(err);

	if (pb_interrupt_check(&p->error) < 0) {
		p->failed = 1;
		return -1;
	}
	return db_error(p, strncmp(why, "database: ", 10) == 0 ? why + 10 : why);
}

/* The prices the current loads of the vendor kept when they were made: about the rows the load will read. */
static size_t rows_expected(struct pb_listprice *p)
{
	const char *params[1] = {p->vendor};
	struct pb_buf err = PB_BUF_INIT;
	PGresult *res = pb_db_query(p->conn,
				    "SELECT coalesce(sum(row_count), 0) FROM pb.price_load WHERE vendor = $1 AND "
				    "status = 'committed'",
				    1, params, &err);
	unsigned long long n = 0;
	char *end;

	if (res && PQntuples(res) == 1)
		n = strtoull(PQgetvalue(res, 0, 0), &end, 10);
	PQclear(res);
	pb_buf_release(&err);
	return (size_t)n;
}

/* Reads the pairs of region names the price lists gave (pb.region_alias): each alias stands for its region. */
static int load_aliases(struct pb_listprice *p)
{
	const char *params[1] = {p->vendor};
	struct pb_buf err = PB_BUF_INIT;
	PGresult *res =
		pb_db_query(p->conn, "SELECT alias, region FROM pb.region_alias WHERE vendor = $1", 1, params, &err);
	int i, rc = 0;

	if (!res) {
		rc = query_error(p, &err);
		pb_buf_release(&err);
		return rc;
	}
	pb_buf_release(&err);
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		long a = strs_intern(&p->aliases, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0));
		long r = strs_intern(&p->texts, PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1));

		if (a < 0 || r < 0 || grow(&p->alias_to, &p->alias_alloc, (size_t)a, sizeof(*p->alias_to)) < 0)
			rc = db_error(p, "out of memory");
		else
			p->alias_to[a] = (uint32_t)r;
	}
	PQclear(res);
	return rc;
}

/* What load_rows' COPY gives each row to: the row read into p, unless one could not be (then none is). */
struct rows_read {
	struct pb_listprice *p;
	int bad;
};

static void take_row(void *arg, char *data, size_t len)
{
	struct rows_read *r = arg;

	if (!r->bad && add_row(r->p, data, len) < 0)
		r->bad = 1;
}

/*
 * Reads the prices of the vendor in force on some day of the run's range, from committed or superseded loads. A
 * signal cancels the reading (it may wait for a lock on the prices): the error is then the signal's reason.
 */
static int load_rows(struct pb_listprice *p)
{
	char sql[1024], from[11], to[11];
	struct rows_read r = {p, 0};

	if (load_aliases(p) < 0)
		return -1;
	pb_test_pause("listprice-pairs");
	reserve(p, rows_expected(p));
	pb_date_format(p->first, from);
	pb_date_format(p->last, to);
	/* The vendor and dates are the run's own: nothing from the data goes into the text. */
	snprintf(sql, sizeof(sql),
		 "COPY (SELECT p.meter, p.region, p.unit, p.tier_min, p.effective_start, "
		 "coalesce(p.effective_end::text, ''), p.unit_price, p.currency, p.load_id, p.usage_type, p.operation "
		 "FROM pb.price p JOIN pb.price_load l ON l.id = p.load_id AND l.status IN ('committed', 'superseded') "
		 "WHERE p.vendor = '%s' AND p.effective_start <= '%s' AND (p.effective_end IS NULL OR "
		 "p.effective_end > '%s')) TO STDOUT",
		 p->vendor, to, from);
	if (pb_interrupt_check(&p->error) < 0 ||
	    pb_db_copy_out(p->conn, sql, "database: cannot read the price lists", take_row, &r, &p->error) < 0) {
		p->failed = 1;
		return -1;
	}
	return finish_load(p, r.bad);
}

/*
 * load_rows in one snapshot of the database: a price load that commits between the reading of the pairs of region
 * names and of the prices would give the run its prices without the pair they were dropped by (a line of the region
 * priced by neither), or its pair without its prices.
 */
static int load(struct pb_listprice *p)
{
	int own = PQtransactionStatus(p->conn) == PQTRANS_IDLE, rc;
	PGresult *res;

	/* A signal that came before: the read, which may wait for a lock on the prices, is not begun. */
	if (pb_interrupt_check(&p->error) < 0) {
		p->failed = 1;
		return -1;
	}
	if (own) {
		res = PQexec(p->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
		rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : db_error(p, PQresultErrorMessage(res));
		PQclear(res);
		if (rc < 0)
			return rc;
	}
	rc = load_rows(p);
	if (own) {
		res = PQexec(p->conn, rc == 0 ? "COMMIT" : "ROLLBACK");
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = db_error(p, PQresultErrorMessage(res));
		PQclear(res);
	}
	return rc;
}

int pb_listprice_load_rows(struct pb_listprice *p, const char *rows, size_t len)
{
	char *copy = malloc(len + 1), *s, *end;
	int bad = 0;

	if (p->loaded || p->failed || !copy) {
		free(copy);
		return -1;
	}
	memcpy(copy, rows, len);
	copy[len] = '\0';
	for (s = copy; s < copy + len && !bad; s = end + 1) {
		end = memchr(s, '\n', (size_t)(copy + len - s));
		if (!end)
			end = copy + len;
		if (end > s && add_row(p, s, (size_t)(end - s)) < 0)
			bad = 1;
	}
	free(copy);
	return finish_load(p, bad);
}

/* ---- units -------------------------------------------------------------------------------------------- */

/* The count and base of unit id (from the texts). 0, or -1 when the unit cannot be read as one. */
static int unit_of(struct pb_listprice *p, uint32_t id, uint32_t *count, uint32_t *base)
{
	struct unit_info *u;
	char b[PB_UNIT_BASE_MAX];

	while (p->units_alloc <= id) {
		size_t n = p->units_alloc ? p->units_alloc * 2 : 64;
		struct unit_info *nu = realloc(p->units, n * sizeof(*nu));

		if (!nu)
			return -1;
		memset(nu + p->units_alloc, 0, (n - p->units_alloc) * sizeof(*nu));
		p->units = nu;
		p->units_alloc = n;
	}
	u = &p->units[id];
	if (!u->ok) {
		long bid = -1;

		if (pb_unit_parse(strs_text(&p->texts, id), p->texts.slen[id], &u->count, b, sizeof(b)) == 0)
			bid = strs_intern(&p->texts, b, strlen(b));
		u = &p->units[id]; /* the texts may have grown, not the units */
		u->ok = bid < 0 ? -1 : 1;
		u->base = bid < 0 ? 0 : (uint32_t)bid;
	}
	*count = u->count;
	*base = u->base;
	return u->ok > 0 ? 0 : -1;
}

/* ---- the lookup --------------------------------------------------------------------------------------- */

/* What a line is priced with: the tiers of one unit of one load, lowest first. */
struct choice {
	const struct entry *tier[MAX_TIERS];
	size_t n;
	uint32_t meter;
};

/* The line's side of a lookup: its usage date, normalized regions and unit, and the usage line itself. */
struct line {
	int32_t day;
	char region[REGION_KEY], region2[REGION_KEY];
	int has_unit;
	uint32_t unit_count, unit_base;
	struct pb_text unit;
	const struct pb_usage *u;
};

/* The meter named by the len bytes at name, or -1. A slot whose hash half differs is passed unread. */
static long find_meter(const struct pb_listprice *p, const char *name, size_t len)
{
	const struct meter_slot *sl;
	uint64_t h;
	uint32_t want;
	size_t j;

	if (!p->nmeter_slots)
		return -1;
	h = pb_hash_bytes(name, len);
	want = (uint32_t)(h >> 32);
	for (j = h & (p->nmeter_slots - 1); p->meter_slots[j].meter; j = (j + 1) & (p->nmeter_slots - 1)) {
		sl = &p->meter_slots[j];
		if (sl->tag != want)
			continue;
		__builtin_prefetch(&p->entries[sl->first]);
		if (meter_is(p, sl->meter - 1, name, len))
			return (long)sl->meter - 1;
	}
	return -1;
}

/*
 * Whether e is of the line's region, for a meter priced in several: its MeterRegion, or unless the price chosen is
 * in that region (own: 1), its ResourceLocation.
 */
static int region_ok(const struct pb_listprice *p, const struct meter *m, const struct entry *e, const struct line *l,
		     int own)
{
	const char *r = strs_text(&p->texts, e->region);

	return m->nregions < 2 || (l->region[0] && strcmp(r, l->region) == 0) ||
	       (!own && l->region2[0] && strcmp(r, l->region2) == 0);
}

/* 1 when e is in the line's MeterRegion, of a meter priced in several regions. */
static int own_region(const struct pb_listprice *p, const struct meter *m, const struct entry *e, const struct line *l)
{
	return m->nregions >= 2 && l->region[0] && strcmp(strs_text(&p->texts, e->region), l->region) == 0;
}

static int unit_ok(const struct entry *e, const struct line *l)
{
	return !l->has_unit || (e->unit_count && e->unit_base == l->unit_base);
}

/* The line gives a rate from its pricing currency to its billing currency above 0 (0 makes a list cost of 0). */
static int usable_rate(const struct pb_usage *u)
{
	return u->ref.has_rate && u->ref.rate.mant != 0 && !u->ref.rate.neg;
}

/* The price is in the line's own (billing) currency. */
static int own_currency(const struct pb_listprice *p, const struct entry *e, const struct line *l)
{
	return l->u->currency.len == p->texts.slen[e->currency] &&
	       memcmp(l->u->currency.ptr, strs_text(&p->texts, e->currency), l->u->currency.len) == 0;
}

/* The price is in the line's currency, or in its pricing currency when the line gives the rate to it. */
static int currency_ok(const struct pb_listprice *p, const struct entry *e, const struct line *l)
{
	const struct pb_usage *u = l->u;
	const char *cur = strs_text(&p->texts, e->currency);
	size_t n = p->texts.slen[e->currency];

	return (u->currency.len == n && memcmp(u->currency.ptr, cur, n) == 0) ||
	       (usable_rate(u) && u->ref.pricing_currency.len == n &&
		strncasecmp(u->ref.pricing_currency.ptr, cur, n) == 0);
}

static int tier_less(const struct pb_listprice *p, const struct entry *a, const struct entry *b)
{
	return dec_cmp(p, a->tier, b->tier) < 0;
}

/*
 * The prices of meter mi for the line: of the newest load with one in force on its day (for its region
 * where the meter has several, for its unit's base), the latest in force per tier. 0, or a miss.
 */
static int choose(struct pb_listprice *p, uint32_t mi, const struct line *l, struct choice *c)
{
	const struct meter *m = &p->meters[mi];
	const struct entry *e, *pick = NULL;
	int region_seen = 0, unit_seen = 0, currency_seen = 0, own;
	size_t i, k;

	c->n = 0;
	c->meter = mi;
	/*
	 * The newest load with a price in force in either of the line's regions decides: one load may name the
	 * region "US East" (a price sheet) and a newer one "eastus" (the Retail Prices API).
	 */
	for (i = 0; i < m->n && !pick; i++) {
		e = &p->entries[m->first + i];
		if (!region_ok(p, m, e, l, 0))
			continue;
		region_seen = 1;
		if (!unit_ok(e, l))
			continue;
		unit_seen = 1;
		/* A load in another currency the line cannot convert to does not hide one in its own. */
		if (!currency_ok(p, e, l))
			continue;
		currency_seen = 1;
		if (e->start <= l->day && l->day < e->end)
			pick = e;
	}
	if (!pick)
		return !region_seen && !l->region[0] && !l->region2[0] ? PB_MISS_NO_REGION
		       : !region_seen				       ? PB_MISS_REGION
		       : !unit_seen				       ? PB_MISS_UNIT
		       : !currency_seen				       ? PB_MISS_CURRENCY
								       : PB_MISS_DATE;
	/* Within that load, the MeterRegion's price when it has one in force: the meter's own region decides. */
	for (i = 0; i < m->n && !own_region(p, m, pick, l); i++) {
		e = &p->entries[m->first + i];
		if (e->load == pick->load && own_region(p, m, e, l) && unit_ok(e, l) && currency_ok(p, e, l) &&
		    e->start <= l->day && l->day < e->end)
			pick = e;
	}
	own = own_region(p, m, pick, l);
	/*
	 * A load that prices the meter in the line's own currency and in its pricing currency: the line's own, the
	 * list's price in that currency, not another converted at the line's rate (whichever sorted first).
	 */
	for (i = 0; i < m->n && !own_currency(p, pick, l); i++) {
		e = &p->entries[m->first + i];
		if (e->load == pick->load && own_currency(p, e, l) && region_ok(p, m, e, l, own) && unit_ok(e, l) &&
		    e->start <= l->day && l->day < e->end)
			pick = e;
	}
	/*
	 * A line without a unit counts its quantity in the price's unit only when that is one of its base ("1 Hour",
	 * "Hrs"): of a price per "100 Hours" or "10K" it could as well count the base, a cost 100 times off; of a
	 * meter the load prices in two bases ("1 Hour", "1 GB"), either. The load may price the meter per one of the
	 * base beside another count (the same price for each, or pb-prices refuses the load), in a unit that sorted
	 * after ("Hrs" after "100 Hrs").
	 */
	for (i = 0; i < m->n && !l->has_unit; i++) {
		e = &p->entries[m->first + i];
		if (e->load != pick->load || e->currency != pick->currency || e->region != pick->region ||
		    e->start > l->day || l->day >= e->end)
			continue;
		if (!e->unit_count || e->unit_base != pick->unit_base)
			return PB_MISS_NO_UNIT;
		if (e->unit_count == 1)
			pick = e;
	}
	if (!l->has_unit && pick->unit_count != 1)
		return PB_MISS_NO_UNIT;
	/* Within the load, the line's own unit text when it has it, else the first one found. */
	for (i = 0; i < m->n && l->has_unit; i++) {
		e = &p->entries[m->first + i];
		if (e->load == pick->load && e->currency == pick->currency && e->region == pick->region &&
		    e->start <= l->day && l->day < e->end && p->texts.slen[e->unit] == l->unit.len &&
		    strncasecmp(strs_text(&p->texts, e->unit), l->unit.ptr, l->unit.len) == 0) {
			pick = e;
			break;
		}
	}
	for (i = 0; i < m->n; i++) {
		e = &p->entries[m->first + i];
		/* One region's tiers: a line that names two regions is not priced by a mix of both. */
		if (e->load != pick->load || e->unit != pick->unit || e->currency != pick->currency ||
		    e->region != pick->region || e->start > l->day || l->day >= e->end)
			continue;
		for (k = 0; k < c->n && !dec_equal(p, c->tier[k]->tier, e->tier); k++)
			;
		if (k < c->n)
			continue; /* a later start of this tier came first */
		/* Left out, the tiers past the last held would be priced at its price. */
		if (c->n == MAX_TIERS)
			return PB_MISS_TIERS;
		/* Insert in tier order. */
		for (k = c->n; k > 0 && tier_less(p, e, c->tier[k - 1]); k--)
			c->tier[k] = c->tier[k - 1];
		c->tier[k] = e;
		c->n++;
	}
	return 0;
}

static long account_id(struct pb_listprice *p, const struct pb_text *a)
{
	return strs_intern(&p->accounts, a->ptr, a->len);
}

/* The cumulative quantity of (account, meter, unit) this run, made when new. NULL: no memory. */
static pb_money *ledger_of(struct pb_listprice *p, uint32_t account, uint32_t meter, uint32_t unit)
{
	uint64_t h = pb_hash_mix(((uint64_t)account << 32) ^ meter ^ ((uint64_t)unit << 48));
	size_t j, i;

	if ((p->nledger + 1) * 2 > p->nledger_slots) {
		size_t n = p->nledger_slots ? p->nledger_slots * 2 : 64;
		uint32_t *slots = calloc(n, sizeof(*slots));

		if (!slots)
			return NULL;
		for (i = 0; i < p->nledger; i++) {
			const struct ledger *g = &p->ledger[i];
			uint64_t gh = pb_hash_mix(((uint64_t)g->account << 32) ^ g->meter ^ ((uint64_t)g->unit << 48));

			for (j = gh & (n - 1); slots[j]; j = (j + 1) & (n - 1))
				;
			slots[j] = (uint32_t)i + 1;
		}
		free(p->ledger_slots);
		p->ledger_slots = slots;
		p->nledger_slots = n;
	}
	for (j = h & (p->nledger_slots - 1); p->ledger_slots[j]; j = (j + 1) & (p->nledger_slots - 1)) {
		struct ledger *g = &p->ledger[p->ledger_slots[j] - 1];

		if (g->account == account && g->meter == meter && g->unit == unit)
			return &g->cum;
	}
	if (grow(&p->ledger, &p->ledger_alloc, p->nledger, sizeof(*p->ledger)) < 0)
		return NULL;
	p->ledger[p->nledger].account = account;
	p->ledger[p->nledger].meter = meter;
	p->ledger[p->nledger].unit = unit;
	p->ledger[p->nledger].cum = PB_MONEY_ZERO;
	p->ledger_slots[j] = (uint32_t)p->nledger + 1;
	return &p->ledger[p->nledger++].cum;
}

/* d x count as money: 0, or -1 past its range. */
static int money_of_dec(const struct pb_listprice *p, struct dec d, uint32_t count, pb_money *out)
{
	struct pb_decimal f[2] = {from_dec(p, d), {count, 0, 0}};

	*out = PB_MONEY_ZERO;
	return pb_decimal_product(f, 2, 1, out, NULL) < 0 ? -1 : 0;
}

/*
 * The cost of [lo, hi) units of the base unit over the graduated tiers, whose unit is count of them: each tier's
 * part price x quantity (x rate) / count, rounded once per part. 0, PB_MISS_TIER when some of it lies below a
 * lowest tier above 0 (no price is known there), or PB_MISS_RANGE.
 */
static int graduated(const struct pb_listprice *p, const struct choice *c, pb_money lo, pb_money hi, uint32_t count,
		     const struct pb_decimal *rate, pb_money *out)
{
	pb_money first;
	size_t k;

	*out = PB_MONEY_ZERO;
	if (money_of_dec(p, c->tier[0]->tier, count, &first) < 0)
		return PB_MISS_RANGE;
	/* A lowest tier from 0 also prices below 0 (a correction read before the usage it corrects). */
	if (c->tier[0]->tier.mant != 0 && pb_money_cmp(lo, hi) < 0 && pb_money_cmp(lo, first) < 0)
		return PB_MISS_TIER;
	for (k = 0; k < c->n; k++) {
		pb_money from, part, a, b;
		struct pb_decimal f[3];

		if (money_of_dec(p, c->tier[k]->tier, count, &from) < 0)
			return PB_MISS_RANGE;
		a = k == 0 || pb_money_cmp(lo, from) > 0 ? lo : from;
		b = hi;
		if (k + 1 < c->n) {
			pb_money next;

			if (money_of_dec(p, c->tier[k + 1]->tier, count, &next) < 0)
				return PB_MISS_RANGE;
			b = pb_money_cmp(hi, next) < 0 ? hi : next;
		}
		if (pb_money_cmp(a, b) >= 0)
			continue;
		f[0] = from_dec(p, c->tier[k]->price);
		if (pb_money_sub(b, a, &part) < 0)
			return PB_MISS_RANGE;
		f[1] = pb_decimal_from_money(part);
		if (rate)
			f[2] = *rate;
		if (pb_decimal_product(f, rate ? 3 : 2, count, &part, NULL) < 0 || pb_money_add(*out, part, out) < 0)
			return PB_MISS_RANGE;
	}
	return 0;
}

/* The list cost of the line with the prices chosen. 0, or a miss. */
static int cost(struct pb_listprice *p, const struct choice *c, const struct pb_usage *u, const struct line *l,
		pb_money *out)
{
	const struct entry *e = c->tier[0];
	const char *cur = strs_text(&p->texts, e->currency);
	const struct pb_decimal *rate = NULL;
	struct pb_decimal f[4];
	uint32_t count, pcount;
	size_t n = 0;
	pb_money q, *cum;
	long account;

	if (!(u->currency.len == p->texts.slen[e->currency] && memcmp(u->currency.ptr, cur, u->currency.len) == 0)) {
		/* A price in the pricing currency, with the line's rate to its billing currency. */
		if (!usable_rate(u) || u->ref.pricing_currency.len != p->texts.slen[e->currency] ||
		    strncasecmp(u->ref.pricing_currency.ptr, cur, u->ref.pricing_currency.len) != 0)
			return PB_MISS_CURRENCY;
		rate = &u->ref.rate;
	}
	count = e->unit_count ? e->unit_count : 1;
	/* The quantity in the price's unit: line units x their count / the price unit's count. */
	f[n++] = u->ref.quantity;
	if (l->has_unit && l->unit_count != 1)
		f[n++] = (struct pb_decimal){l->unit_count, 0, 0};
	if (!l->has_unit)
		count = 1;
	/* A meter in tiers on other days counts this quantity towards them too: graduated, as one tier. */
	if (c->n == 1 && e->tier.mant == 0 && !p->tiered[c->meter]) {
		f[n++] = from_dec(p, e->price);
		if (rate)
			f[n++] = *rate;
		return pb_decimal_product(f, n, count, out, NULL) < 0 ? PB_MISS_RANGE : 0;
	}
	/*
	 * The month's quantity is counted in the unit's base, whatever count of it and whichever case a load writes
	 * (a load from mid-month that prices per "1 gb" or "10 GB" goes on from the tier the days before reached).
	 */
	pcount = e->unit_count ? e->unit_count : 1;
	if (!l->has_unit && pcount != 1)
		f[n++] = (struct pb_decimal){pcount, 0, 0};
	if (pb_decimal_product(f, n, 1, &q, NULL) < 0)
		return PB_MISS_RANGE;
	account = account_id(p, &u->account);
	cum = account < 0
		      ? NULL
		      : ledger_of(p, (uint32_t)account, c->meter, e->unit_count ? e->unit_base : e->unit | UNIT_TEXT);
	if (!cum)
		return PB_MISS_RANGE;
	{
		pb_money lo = *cum, hi;
		int neg = q.units < 0, rc;

		if (pb_money_add(*cum, q, &hi) < 0)
			return PB_MISS_RANGE;
		rc = graduated(p, c, neg ? hi : lo, neg ? lo : hi, pcount, rate, out);
		/* Priced or not, the quantity was used: the lines after it fall in the tiers above. */
		if (rc == PB_MISS_TIER)
			*cum = hi;
		if (rc)
			return rc;
		if (neg)
			out->units = -out->units;
		*cum = hi;
	}
	return 0;
}

/* Two choices price alike: the same single price, unit, currency and load. */
static int same_price(const struct pb_listprice *p, const struct choice *a, const struct choice *b)
{
	const struct entry *x = a->tier[0], *y = b->tier[0];

	return a->n == 1 && b->n == 1 && x->unit == y->unit && x->currency == y->currency && x->load == y->load &&
	       dec_equal(p, x->price, y->price);
}

/* AWS without product/sku: every SKU of the line's usage type, operation and region must price it alike. */
static int choose_alt(struct pb_listprice *p, const struct pb_usage *u, const struct line *l, struct choice *c)
{
	long ut = -1, op = -1, rg = -1;
	char region[REGION_KEY];
	size_t j, nr = region_canon(p, u->ref.region.ptr, u->ref.region.len, region, sizeof(region));
	uint32_t mi;
	int found = 0, rc = PB_MISS_METER;
	struct choice other;

	/* No row read (no price in force in the run's days): the table of texts is not even made. */
	if (!p->nalt_slots || !p->texts.nslots)
		return PB_MISS_METER;
	/* Looked up without adding: a text never interned has no SKU. */
	{
		uint64_t h;
		size_t k;
		const struct pb_text t[3] = {u->ref.usage_type, u->ref.operation, {region, nr}};
		long *ids[3] = {&ut, &op, &rg};

		for (k = 0; k < 3; k++) {
			h = pb_hash_bytes(t[k].ptr, t[k].len);
			for (j = h & (p->texts.nslots - 1); p->texts.slots[j]; j = (j + 1) & (p->texts.nslots - 1)) {
				uint32_t id = p->texts.slots[j] - 1;

				if (p->texts.hash[id] == h && p->texts.slen[id] == t[k].len &&
				    memcmp(strs_text(&p->texts, id), t[k].ptr, t[k].len) == 0) {
					*ids[k] = id;
					break;
				}
			}
			if (*ids[k] < 0)
				return PB_MISS_METER;
		}
	}
	{
		uint64_t h = pb_hash_mix(pb_hash_mix((uint64_t)ut) ^ ((uint64_t)op << 32) ^ (uint64_t)rg);

		for (j = h & (p->nalt_slots - 1); p->alt_slots[j]; j = (j + 1) & (p->nalt_slots - 1)) {
			const struct alt *o = &p->alts[p->alt_slots[j] - 1];

			if (o->usage_type == (uint32_t)ut && o->operation == (uint32_t)op && o->region == (uint32_t)rg)
				break;
		}
		mi = p->alt_slots[j];
	}
	for (; mi; mi = p->alts[mi - 1].next_alt) {
		int r = choose(p, mi - 1, l, found ? &other : c);

		if (r) {
			rc = found ? rc : r;
			continue;
		}
		if (found && !same_price(p, c, &other))
			return PB_MISS_AMBIGUOUS;
		if (!found && c->n != 1 && p->alts[mi - 1].next_alt)
			return PB_MISS_AMBIGUOUS;
		found = 1;
		rc = 0;
	}
	return rc;
}

/* The line's side: its day, regions and unit. 0, or PB_MISS_UNIT for a unit that cannot be read. */
static int line_of(struct pb_listprice *p, const struct pb_usage *u, struct line *l)
{
	char base[PB_UNIT_BASE_MAX];
	long id;

	l->u = u;
	l->day = u->usage_date;
	l->region[0] = l->region2[0] = '\0'; /* read only for a meter priced in several regions: line_regions */
	l->unit = u->ref.unit;
	l->has_unit = u->ref.unit.len > 0;
	if (!l->has_unit)
		return 0;
	/* Lines in a row mostly give the same unit: it is read once. */
	if (p->last_unit_len && u->ref.unit.len == p->last_unit_len &&
	    memcmp(u->ref.unit.ptr, p->last_unit, p->last_unit_len) == 0) {
		l->unit_count = p->last_unit_count;
		l->unit_base = p->last_unit_base;
		return 0;
	}
	if (pb_unit_parse(u->ref.unit.ptr, u->ref.unit.len, &l->unit_count, base, sizeof(base)) < 0)
		return PB_MISS_UNIT;
	/* A base no price's unit has matches none: it need not be added. */
	id = strs_find(&p->texts, base, strlen(base));
	l->unit_base = id < 0 ? NO_BASE : (uint32_t)id;
	p->last_unit_len = 0;
	if (u->ref.unit.len < sizeof(p->last_unit)) {
		memcpy(p->last_unit, u->ref.unit.ptr, u->ref.unit.len);
		p->last_unit_len = u->ref.unit.len;
		p->last_unit_count = l->unit_count;
		p->last_unit_base = l->unit_base;
	}
	return 0;
}

static void line_regions(const struct pb_listprice *p, struct line *l)
{
	const struct pb_usage *u = l->u;

	region_canon(p, u->ref.region.ptr, u->ref.region.len, l->region, sizeof(l->region));
	region_canon(p, u->ref.region2.ptr, u->ref.region2.len, l->region2, sizeof(l->region2));
}

/* An Azure meter id in lowercase, as the price lists keep it. */
static struct pb_text meter_key(const struct pb_listprice *p, struct pb_text t, char *buf, size_t cap)
{
	size_t i;

	if (strcmp(p->vendor, "azure") != 0 || t.len >= cap)
		return t;
	for (i = 0; i < t.len && !(t.ptr[i] >= 'A' && t.ptr[i] <= 'Z'); i++)
		;
	if (i == t.len)
		return t;
	for (i = 0; i < t.len; i++)
		buf[i] = pb_ascii_lower(t.ptr[i]);
	t.ptr = buf;
	return t;
}

static int lookup(struct pb_listprice *p, struct pb_usage *u)
{
	struct choice c;
	struct line l;
	char buf[64];
	pb_money out;
	long mi;
	int rc;

	if (!u->ref.meter.len && !(u->ref.usage_type.len && strcmp(p->vendor, "aws") == 0))
		return PB_MISS_KEY;
	if (!u->ref.has_quantity)
		return PB_MISS_QUANTITY;
	rc = line_of(p, u, &l);
	if (rc)
		return rc;
	if (u->ref.meter.len) {
		/* A meter id too long for buf is put in lowercase too, as pb-prices keeps it. */
		char *big = u->ref.meter.len >= sizeof(buf) && strcmp(p->vendor, "azure") == 0
				    ? malloc(u->ref.meter.len + 1)
				    : NULL;
		struct pb_text k =
			meter_key(p, u->ref.meter, big ? big : buf, big ? u->ref.meter.len + 1 : sizeof(buf));

		if (p->last_meter && meter_is(p, p->last_meter - 1, k.ptr, k.len))
			mi = p->last_meter - 1;
		else
			mi = find_meter(p, k.ptr, k.len);
		free(big);
		if (mi >= 0)
			p->last_meter = (uint32_t)mi + 1;
		if (mi >= 0 && p->meters[mi].nregions > 1)
			line_regions(p, &l);
		rc = mi < 0 ? PB_MISS_METER : choose(p, (uint32_t)mi, &l, &c);
	} else {
		line_regions(p, &l);
		rc = choose_alt(p, u, &l, &c);
	}
	if (rc == 0)
		rc = cost(p, &c, u, &l, &out);
	if (rc)
		return rc;
	u->list_cost = out;
	u->has_list = 1;
	u->price_load = p->loads[c.tier[0]->load];
	p->priced[c.tier[0]->load]++;
	return 0;
}

int pb_listprice_fill(struct pb_listprice *p, struct pb_usage *u, struct pb_buf *err)
{
	int rc;

	if (p->failed || (!p->loaded && load(p) < 0)) {
		pb_buf_reset(err);
		pb_buf_addstr(err, pb_buf_str(&p->error));
		return -1;
	}
	rc = lookup(p, u);
	if (rc) {
		p->missed[rc]++;
		return 0;
	}
	return 1;
}

uint64_t pb_listprice_priced(const struct pb_listprice *p)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; p && i < p->nloads; i++)
		n += p->priced[i];
	return n;
}

uint64_t pb_listprice_missed(const struct pb_listprice *p, enum pb_listprice_miss why)
{
	return p ? p->missed[why] : 0;
}

void pb_listprice_report(const struct pb_listprice *p, const char *prog, FILE *out)
{
	static const char *const why[PB_NMISS] = {
		[PB_MISS_KEY] = "the line names no meter or SKU",
		[PB_MISS_QUANTITY] = "the line has no quantity",
		[PB_MISS_METER] = "no price list holds its meter or SKU",
		[PB_MISS_DATE] = "no price of it is in force on its usage date",
		[PB_MISS_REGION] = "its meter is priced in other regions only",
		[PB_MISS_NO_REGION] = "its meter is priced in several regions, and the line names none",
		[PB_MISS_UNIT] = "its meter is priced per another unit of measure only",
		[PB_MISS_NO_UNIT] = "the line gives no unit of measure, and its meter is priced per more than "
				    "one of its unit (say \"100 Hours\") or in several units",
		[PB_MISS_CURRENCY] =
			"its price is in another currency, and the line gives no exchange rate (above 0) to it",
		[PB_MISS_AMBIGUOUS] = "SKUs of different prices share its usage type, operation and region",
		[PB_MISS_RANGE] = "its list cost leaves the range of amounts",
		[PB_MISS_TIER] = "its quantity falls below the lowest tier of its price (the tiers do not start at 0)",
		[PB_MISS_TIERS] = "its price has more than 32 tiers",
	};
	size_t i;

	if (!p)
		return;
	if (p->loaded && !p->nmeters) {
		uint64_t n = 0;

		/* Lines that name no meter or SKU could not be priced by any list: the files' warnings count them. */
		for (i = PB_MISS_QUANTITY; i < PB_NMISS; i++)
			n += p->missed[i];
		if (!n)
			return;
		/* None loaded, or none with a price in force on the run's days (a month before the first load). */
		fprintf(out,
			"%s: warning: %llu usage line%s without a list price in the export: no %s price list loaded "
			"has "
			"a price in force on %s usage days (pb-prices load)\n",
			prog, (unsigned long long)n, n == 1 ? "" : "s", p->vendor, n == 1 ? "its" : "their");
		return;
	}
	for (i = 0; i < PB_NMISS; i++)
		if (p->missed[i])
			fprintf(out,
				"%s: warning: %llu usage line%s without a list price in the export got none from the "
				"price "
				"lists: %s\n",
				prog, (unsigned long long)p->missed[i], p->missed[i] == 1 ? "" : "s", why[i]);
}
