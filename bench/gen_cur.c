/* gen_cur: writes a deterministic AWS Cost and Usage Report (legacy slash names, or CUR 2.0 snake_case
 * names with --cur2) for billing month 2026-10 to stdout, as benchmark input for pb-ingest.
 * usage: gen_cur ROWS SEED [--accounts N] [--cur2]; the same arguments always give the same bytes. */

#include "gen_common.h"

#define OUT_ROOM 8192u /* A row never needs more than this. */
#define UNITS_PER_DOLLAR 10000000000ULL /* Amounts are integers in units of 1e-10. */
#define QTY_SCALE 10000ULL               /* Quantities are integers in units of 1e-4. */

enum col {
	C_LINEITEMID,
	C_TIMEINTERVAL,
	C_INVOICEID,
	C_BILLINGENTITY,
	C_BILLTYPE,
	C_PAYER,
	C_BPSTART,
	C_BPEND,
	C_USAGEACCT,
	C_LITYPE,
	C_USTART,
	C_UEND,
	C_PRODCODE,
	C_USAGETYPE,
	C_OPERATION,
	C_AZ,
	C_RESOURCE,
	C_UAMOUNT,
	C_CURRENCY,
	C_UNBRATE,
	C_UNBCOST,
	C_BLRATE,
	C_BLCOST,
	C_DESC,
	C_PNAME,
	C_PREGION,
	C_PREGIONCODE,
	C_PITYPE,
	C_PLOCATION,
	C_PODCOST,
	C_PODRATE,
	C_PTERM,
	C_PUNIT,
	C_RARN,
	C_REFFCOST,
	C_SPARN,
	C_SPEFFCOST,
	C_SPRATE,
	C_TAGNAME,
	C_TAGCC,
	C_TAGENV,
	C_TAGS,
	C_COUNT
};

/* Legacy name, CUR 2.0 name; NULL where a naming has no such column. */
static const char *const col_names[C_COUNT][2] = {
	[C_LINEITEMID] = {"identity/LineItemId", "identity_line_item_id"},
	[C_TIMEINTERVAL] = {"identity/TimeInterval", "identity_time_interval"},
	[C_INVOICEID] = {"bill/InvoiceId", "bill_invoice_id"},
	[C_BILLINGENTITY] = {"bill/BillingEntity", "bill_billing_entity"},
	[C_BILLTYPE] = {"bill/BillType", "bill_bill_type"},
	[C_PAYER] = {"bill/PayerAccountId", "bill_payer_account_id"},
	[C_BPSTART] = {"bill/BillingPeriodStartDate", "bill_billing_period_start_date"},
	[C_BPEND] = {"bill/BillingPeriodEndDate", "bill_billing_period_end_date"},
	[C_USAGEACCT] = {"lineItem/UsageAccountId", "line_item_usage_account_id"},
	[C_LITYPE] = {"lineItem/LineItemType", "line_item_line_item_type"},
	[C_USTART] = {"lineItem/UsageStartDate", "line_item_usage_start_date"},
	[C_UEND] = {"lineItem/UsageEndDate", "line_item_usage_end_date"},
	[C_PRODCODE] = {"lineItem/ProductCode", "line_item_product_code"},
	[C_USAGETYPE] = {"lineItem/UsageType", "line_item_usage_type"},
	[C_OPERATION] = {"lineItem/Operation", "line_item_operation"},
	[C_AZ] = {"lineItem/AvailabilityZone", "line_item_availability_zone"},
	[C_RESOURCE] = {"lineItem/ResourceId", "line_item_resource_id"},
	[C_UAMOUNT] = {"lineItem/UsageAmount", "line_item_usage_amount"},
	[C_CURRENCY] = {"lineItem/CurrencyCode", "line_item_currency_code"},
	[C_UNBRATE] = {"lineItem/UnblendedRate", "line_item_unblended_rate"},
	[C_UNBCOST] = {"lineItem/UnblendedCost", "line_item_unblended_cost"},
	[C_BLRATE] = {"lineItem/BlendedRate", "line_item_blended_rate"},
	[C_BLCOST] = {"lineItem/BlendedCost", "line_item_blended_cost"},
	[C_DESC] = {"lineItem/LineItemDescription", "line_item_line_item_description"},
	[C_PNAME] = {"product/ProductName", "product_product_name"},
	[C_PREGION] = {"product/region", "product_region"},
	[C_PREGIONCODE] = {"product/regionCode", "product_region_code"},
	[C_PITYPE] = {"product/instanceType", "product_instance_type"},
	[C_PLOCATION] = {"product/location", "product_location"},
	[C_PODCOST] = {"pricing/publicOnDemandCost", "pricing_public_on_demand_cost"},
	[C_PODRATE] = {"pricing/publicOnDemandRate", "pricing_public_on_demand_rate"},
	[C_PTERM] = {"pricing/term", "pricing_term"},
	[C_PUNIT] = {"pricing/unit", "pricing_unit"},
	[C_RARN] = {"reservation/ReservationARN", "reservation_reservation_a_r_n"},
	[C_REFFCOST] = {"reservation/EffectiveCost", "reservation_effective_cost"},
	[C_SPARN] = {"savingsPlan/SavingsPlanARN", "savings_plan_savings_plan_a_r_n"},
	[C_SPEFFCOST] = {"savingsPlan/SavingsPlanEffectiveCost", "savings_plan_savings_plan_effective_cost"},
	[C_SPRATE] = {"savingsPlan/SavingsPlanRate", "savings_plan_savings_plan_rate"},
	[C_TAGNAME] = {"resourceTags/user:Name", NULL},
	[C_TAGCC] = {"resourceTags/user:CostCenter", NULL},
	[C_TAGENV] = {"resourceTags/user:Environment", NULL},
	[C_TAGS] = {NULL, "resource_tags"},
};

struct region {
	const char *code;
	const char *location;
	const char *prefix; /* Usage type prefix; us-east-1 has none. */
	unsigned factor;    /* Price level in per mille of us-east-1. */
};

static const struct region regions[] = {
	{"us-east-1", "US East (N. Virginia)", "", 1000},
	{"us-east-2", "US East (Ohio)", "USE2-", 1000},
	{"us-west-2", "US West (Oregon)", "USW2-", 1000},
	{"eu-west-1", "EU (Ireland)", "EU-", 1120},
	{"eu-central-1", "EU (Frankfurt)", "EUC1-", 1160},
	{"ap-southeast-2", "Asia Pacific (Sydney)", "APS2-", 1250},
	{"ap-northeast-1", "Asia Pacific (Tokyo)", "APN1-", 1290},
	{"ca-central-1", "Canada (Central)", "CAN1-", 1110},
	{"sa-east-1", "South America (Sao Paulo)", "SAE1-", 1590},
};
#define N_REGIONS (sizeof(regions) / sizeof(regions[0]))

struct itype {
	const char *name;
	uint64_t rate; /* On-demand dollars per hour in us-east-1, in 1e-10 units. */
};

static const struct itype itypes[] = {
	{"t3.micro", 104000000},    {"t3.medium", 416000000},    {"m5.large", 960000000},
	{"m5.xlarge", 1920000000},  {"c5.2xlarge", 3400000000},  {"r5.4xlarge", 10080000000},
	{"m6i.8xlarge", 15360000000}, {"g5.xlarge", 10060000000},
};
#define N_ITYPES (sizeof(itypes) / sizeof(itypes[0]))

enum kind { K_EC2, K_EBS, K_S3, K_RDS, K_LAMBDA, K_XFER, K_CDN, K_DDB, K_CW, K_NAT, K_EKS };
#define N_KINDS (K_EKS + 1)

struct service {
	const char *code;
	const char *name;
	const char *usage; /* Usage type after the region prefix. */
	const char *operation;
	const char *unit;
	uint64_t rate; /* Dollars per unit in 1e-10 units (0 for instance types). */
	unsigned weight;
};

static const struct service services[N_KINDS] = {
	[K_EC2] = {"AmazonEC2", "Amazon Elastic Compute Cloud", "BoxUsage:", "RunInstances", "Hrs", 0, 30},
	[K_EBS] = {"AmazonEC2", "Amazon Elastic Compute Cloud", "EBS:VolumeUsage.gp3", "CreateVolume-Gp3",
	           "GB-Mo", 800000000, 15},
	[K_S3] = {"AmazonS3", "Amazon Simple Storage Service", "TimedStorage-ByteHrs", "StandardStorage", "GB-Mo",
	          230000000, 12},
	[K_RDS] = {"AmazonRDS", "Amazon Relational Database Service", "InstanceUsage:db.", "CreateDBInstance:0014",
	           "Hrs", 0, 8},
	[K_LAMBDA] = {"AWSLambda", "AWS Lambda", "Lambda-GB-Second", "Invoke", "Lambda-GB-Second", 166667, 8},
	[K_XFER] = {"AWSDataTransfer", "AWS Data Transfer", "DataTransfer-Out-Bytes", "", "GB", 900000000, 8},
	[K_CDN] = {"AmazonCloudFront", "Amazon CloudFront", "US-DataTransfer-Out-Bytes", "GET", "GB", 850000000,
	           4},
	[K_DDB] = {"AmazonDynamoDB", "Amazon DynamoDB", "ReadRequestUnits", "GetItem", "ReadRequestUnits", 2500,
	           5},
	[K_CW] = {"AmazonCloudWatch", "AmazonCloudWatch", "CW:MetricMonitorUsage", "MetricStorage", "Metrics",
	          3000000000, 5},
	[K_NAT] = {"AmazonVPC", "Amazon Virtual Private Cloud", "NatGateway-Hours", "NatGateway", "Hrs", 450000000,
	           3},
	[K_EKS] = {"AmazonEKS", "Amazon Elastic Container Service for Kubernetes", "AmazonEKS-Hours:perCluster",
	           "CreateOperation", "Hrs", 1000000000, 2},
};

/* A usage line's description after its rate: the text, or the text before and after the instance type. */
static const char *const rate_desc[N_KINDS][2] = {
	[K_EC2] = {" per On Demand Linux ", " Instance Hour"},
	[K_EBS] = {" per GB-month of gp3 storage", NULL},
	[K_S3] = {" per GB - first 50 TB / month, Standard", NULL},
	[K_RDS] = {" per RDS db.", " hour, PostgreSQL"},
	[K_LAMBDA] = {" per GB-second, Total Compute", NULL},
	[K_XFER] = {" per GB - first 10 TB / month data transfer out", NULL},
	[K_CDN] = {" per GB, \"United States\" edge", NULL},
	[K_DDB] = {" per read request unit", NULL},
	[K_CW] = {" per metric-month - first 10,000 metrics", NULL},
	[K_NAT] = {" per NAT Gateway Hour", NULL},
	[K_EKS] = {" per EKS cluster hour", NULL},
};

enum litype { T_USAGE, T_DISCOUNTED, T_SPCOVERED, T_TAX, T_CREDIT, T_FEE };

static const char *const litype_names[] = {
	[T_USAGE] = "Usage", [T_DISCOUNTED] = "DiscountedUsage", [T_SPCOVERED] = "SavingsPlanCoveredUsage",
	[T_TAX] = "Tax",     [T_CREDIT] = "Credit",              [T_FEE] = "Fee",
};

static const char *const tag_names[] = {"web", "api", "batch", "db", "cache", "etl", "ml-train", "frontend"};
static const char *const tag_envs[] = {"prod", "staging", "dev", "", "prod", "qa"};
static const char *const b32 = "abcdefghijklmnopqrstuvwxyz234567";
static const char *const hex = "0123456789abcdef";

struct row {
	uint64_t account;  /* Index of the usage account. */
	uint64_t id_hash;  /* Seeds the line item id. */
	enum litype type;
	enum kind kind;
	const struct region *region;
	const struct itype *itype;
	unsigned day;      /* 1..31 */
	unsigned hour;     /* 0..23 */
	unsigned az;       /* 0..2 */
	unsigned resource; /* Index in the account's pool of resources. */
	uint64_t qty;      /* Usage amount in 1e-4 units. */
	uint64_t rate;     /* Public on-demand rate in 1e-10 units. */
	int64_t cost;      /* Unblended cost in 1e-10 units. */
	int64_t list;      /* Public on-demand cost in 1e-10 units; valid only when has_list. */
	int has_list;
	unsigned tag_name;
	unsigned tag_env;
	unsigned tag_odd; /* 1: name holds a comma, 2: name holds quotes. */
};

struct gen {
	uint64_t state;
	uint64_t seed;
	uint64_t accounts;
	int cur2;
};

/* Writes v (in 1e-10 units) the way cost exports do: NUM_FIXED (10 places), NUM_POINT (shortest with at least
 * one place) or NUM_JAVA (NUM_POINT, or Java's Double.toString form "3.06E-7" for magnitudes below 0.001). */
static void put_amount(struct sink *s, int64_t v, enum num_style style)
{
	put_num(s, v, 10, style);
}

/* Writes a quantity in 1e-4 units, shortest form. */
static void put_qty(struct sink *s, uint64_t q)
{
	put_num(s, q, 4, NUM_POINT);
}

/* Writes day/hour of October 2026 (day 32 is November 1st) as an ISO timestamp. */
static void put_ts(struct sink *s, unsigned day, unsigned hour, int millis)
{
	if (day > 31)
		put_str(s, "2026-11-01");
	else {
		put_str(s, "2026-10-");
		put_u64(s, day, 2);
	}
	put_ch(s, 'T');
	put_u64(s, hour, 2);
	put_str(s, millis ? ":00:00.000Z" : ":00:00Z");
}

/* Account ids are a bijection of the index onto 12 digits, so they never collide. */
static uint64_t account_id(uint64_t idx)
{
	return (uint64_t)(((unsigned __int128)idx * 604462909807ULL + 31415926535ULL) % 1000000000000ULL);
}

/* Fifty usage accounts share one payer. */
static uint64_t payer_id(uint64_t idx)
{
	return (uint64_t)(((unsigned __int128)(idx / 50) * 137438953447ULL + 271828182845ULL) % 1000000000000ULL);
}

/* Cost of q (1e-4 units) at rate r (1e-10 units per unit), truncated to 1e-10. */
static int64_t cost_of(uint64_t r, uint64_t q)
{
	return (int64_t)(r / QTY_SCALE * q + r % QTY_SCALE * q / QTY_SCALE);
}

/* Service by percentile, from the weights in services[]. */
static enum kind kind_by_percent[100];

static void init_kinds(void)
{
	int p = 0;

	for (int k = 0; k < N_KINDS; k++)
		for (unsigned i = 0; i < services[k].weight && p < 100; i++)
			kind_by_percent[p++] = (enum kind)k;
	while (p < 100)
		kind_by_percent[p++] = K_EC2;
}

static uint64_t pick_qty(struct gen *g, enum kind k)
{
	if (k == K_EBS)
		return (20 + below(&g->state, 2000)) * QTY_SCALE / 744;
	if (k == K_S3)
		return below(&g->state, 50000000);
	if (k == K_LAMBDA)
		return below(&g->state, 500000000);
	if (k == K_XFER || k == K_CDN)
		return below(&g->state, 2000000);
	if (k == K_DDB)
		return below(&g->state, 400000) * QTY_SCALE;
	if (k == K_CW)
		return (1 + below(&g->state, 50)) * QTY_SCALE / 744;
	/* Hourly resources: mostly full hours. */
	return below(&g->state, 8) == 0 ? 1 + below(&g->state, QTY_SCALE - 1) : QTY_SCALE;
}

static void make_row(struct gen *g, struct row *r)
{
	uint64_t t = below(&g->state, 1000);
	uint64_t a = pick_skewed(&g->state, g->accounts);

	r->account = a;
	r->id_hash = next(&g->state);
	r->type = t < 820 ? T_USAGE : t < 870 ? T_DISCOUNTED : t < 940 ? T_SPCOVERED : t < 970 ? T_TAX
	          : t < 990 ? T_CREDIT : T_FEE;
	r->kind = kind_by_percent[below(&g->state, 100)];
	if (r->type == T_DISCOUNTED || r->type == T_SPCOVERED)
		r->kind = below(&g->state, 4) == 0 ? K_RDS : K_EC2;
	r->region = below(&g->state, 5) == 0 ? &regions[below(&g->state, N_REGIONS)] : &regions[a % N_REGIONS];
	r->itype = &itypes[below(&g->state, N_ITYPES)];
	r->day = 1 + (unsigned)below(&g->state, 31);
	r->hour = (unsigned)below(&g->state, 24);
	r->az = (unsigned)below(&g->state, 3);
	r->resource = (unsigned)below(&g->state, 24);
	r->tag_name = (unsigned)below(&g->state, 2 * (sizeof(tag_names) / sizeof(tag_names[0])));
	r->tag_env = (unsigned)below(&g->state, sizeof(tag_envs) / sizeof(tag_envs[0]));
	t = below(&g->state, 1000);
	r->tag_odd = t == 0 ? 2 : t < 4 ? 1 : 0;
	r->qty = pick_qty(g, r->kind);
	r->rate = services[r->kind].rate != 0 ? services[r->kind].rate : r->itype->rate;
	if (r->kind == K_RDS)
		r->rate = r->rate * 3 / 2;
	r->rate = scale(r->rate, r->region->factor);
	r->list = cost_of(r->rate, r->qty);
	r->has_list = 1;
	switch (r->type) {
	case T_USAGE:
	case T_SPCOVERED:
		r->cost = r->list;
		break;
	case T_DISCOUNTED:
		r->cost = 0;
		break;
	case T_TAX:
		r->cost = (int64_t)below(&g->state, 200 * UNITS_PER_DOLLAR);
		r->has_list = 0;
		break;
	case T_CREDIT:
		r->cost = -(int64_t)(below(&g->state, 5000000) * 100000);
		r->has_list = 0;
		break;
	case T_FEE:
		r->cost = (int64_t)((1 + below(&g->state, 400)) * UNITS_PER_DOLLAR / 4);
		r->list = r->cost;
		break;
	}
}

static enum num_style pick_style(struct gen *g)
{
	uint64_t t = below(&g->state, 100);

	return t < 30 ? NUM_FIXED : t < 97 ? NUM_POINT : NUM_JAVA;
}

static int is_usage(const struct row *r)
{
	return r->type == T_USAGE || r->type == T_DISCOUNTED || r->type == T_SPCOVERED;
}

static void put_usage_type(struct sink *s, const struct row *r)
{
	if (r->kind == K_CDN) {
		put_str(s, services[r->kind].usage);
		return;
	}
	put_str(s, r->region->prefix);
	put_str(s, services[r->kind].usage);
	if (r->kind == K_EC2 || r->kind == K_RDS)
		put_str(s, r->itype->name);
}

/* Writes h as 16 hex digits, the lowest first. */
static void put_hex16(struct sink *s, uint64_t h)
{
	for (int i = 0; i < 16; i++)
		put_ch(s, hex[(h >> (4 * i)) & 15]);
}

static void put_resource(struct sink *s, const struct row *r)
{
	uint64_t h = mix64(account_id(r->account) * 131 + r->resource * 7 + (uint64_t)r->kind);

	switch (r->kind) {
	case K_EC2:
		put_str(s, "i-0");
		put_hex16(s, h);
		break;
	case K_EBS:
		put_str(s, "vol-0");
		put_hex16(s, h);
		break;
	case K_S3:
		put_str(s, "partner-data-");
		put_u64(s, h % 100000, 5);
		break;
	case K_RDS:
	case K_LAMBDA:
	case K_DDB:
		put_str(s, "arn:aws:");
		put_str(s, r->kind == K_RDS ? "rds:" : r->kind == K_LAMBDA ? "lambda:" : "dynamodb:");
		put_str(s, r->region->code);
		put_ch(s, ':');
		put_u64(s, account_id(r->account), 12);
		put_str(s, r->kind == K_RDS ? ":db:orders-" : r->kind == K_LAMBDA ? ":function:handler-" : ":table/t");
		put_u64(s, h % 1000, 3);
		break;
	case K_NAT:
		put_str(s, "arn:aws:ec2:");
		put_str(s, r->region->code);
		put_ch(s, ':');
		put_u64(s, account_id(r->account), 12);
		put_str(s, ":natgateway/nat-0");
		put_hex16(s, h);
		break;
	case K_XFER:
	case K_CDN:
	case K_CW:
	case K_EKS:
		break;
	}
}

static void put_rate_text(struct sink *s, uint64_t rate)
{
	put_ch(s, '$');
	put_amount(s, (int64_t)rate, NUM_POINT);
}

static void make_desc(struct sink *s, const struct row *r)
{
	switch (r->type) {
	case T_TAX:
		put_str(s, "Tax for product code ");
		put_str(s, services[r->kind].code);
		return;
	case T_CREDIT:
		put_str(s, (r->id_hash & 3) == 0 ? "AWS Credits, promotional (code \"ACTIVATE-2026\")"
		                                  : "Service credit, case 1234-5678");
		return;
	case T_FEE:
		put_str(s, "AWS Support (Business), monthly fee");
		return;
	case T_DISCOUNTED:
		put_str(s, r->kind == K_RDS ? "PostgreSQL, db." : "Linux/UNIX (Amazon VPC), ");
		put_str(s, r->itype->name);
		put_str(s, " reserved instance applied");
		return;
	case T_SPCOVERED:
		put_qty(s, r->qty);
		put_str(s, " hours of ");
		put_str(s, r->itype->name);
		put_str(s, " covered by Savings Plan, Compute");
		return;
	case T_USAGE:
		break;
	}
	put_rate_text(s, r->rate);
	put_str(s, rate_desc[r->kind][0]);
	if (rate_desc[r->kind][1] != NULL) {
		put_str(s, r->itype->name);
		put_str(s, rate_desc[r->kind][1]);
	}
}

static void put_tag_name(struct sink *s, const struct row *r)
{
	size_t n_names = sizeof(tag_names) / sizeof(tag_names[0]);

	if (r->tag_name >= n_names)
		return;
	put_str(s, tag_names[r->tag_name]);
	put_ch(s, '-');
	put_u64(s, r->resource, 2);
	if (r->tag_odd == 1)
		put_str(s, ", nightly");
	else if (r->tag_odd == 2)
		put_str(s, " \"blue\"");
}

static void put_cur2_tags(struct sink *s, const struct row *r)
{
	put_str(s, "{\"user_name\":\"");
	put_tag_name(s, r);
	put_str(s, "\",\"user_cost_center\":\"cc-");
	put_u64(s, 1000 + r->account % 40, 4);
	put_str(s, "\",\"user_environment\":\"");
	put_str(s, tag_envs[r->tag_env]);
	put_str(s, "\"}");
}

static void put_col(struct gen *g, struct sink *s, enum col c, const struct row *r)
{
	int usage = is_usage(r);
	unsigned end_day = r->hour == 23 ? r->day + 1 : r->day;
	unsigned end_hour = (r->hour + 1) % 24;

	switch (c) {
	case C_LINEITEMID:
		for (int w = 0; w < 4; w++) {
			uint64_t h = mix64(r->id_hash + (uint64_t)w);
			for (int i = 0; i < 13; i++)
				put_ch(s, b32[(h >> (5 * i)) & 31]);
		}
		break;
	case C_TIMEINTERVAL:
		if (usage) {
			put_ts(s, r->day, r->hour, 0);
			put_ch(s, '/');
			put_ts(s, end_day, end_hour, 0);
		} else
			put_str(s, "2026-10-01T00:00:00Z/2026-11-01T00:00:00Z");
		break;
	case C_INVOICEID:
		put_u64(s, 2000000000 + payer_id(r->account) % 100000000, 0);
		break;
	case C_BILLINGENTITY:
		put_str(s, r->type == T_FEE && (r->id_hash & 1) ? "AWS Marketplace" : "AWS");
		break;
	case C_BILLTYPE:
		put_str(s, r->type == T_FEE ? "Purchase" : "Anniversary");
		break;
	case C_PAYER:
		put_u64(s, payer_id(r->account), 12);
		break;
	case C_BPSTART:
		put_str(s, g->cur2 ? "2026-10-01T00:00:00.000Z" : "2026-10-01T00:00:00Z");
		break;
	case C_BPEND:
		put_str(s, g->cur2 ? "2026-11-01T00:00:00.000Z" : "2026-11-01T00:00:00Z");
		break;
	case C_USAGEACCT:
		put_u64(s, account_id(r->account), 12);
		break;
	case C_LITYPE:
		put_str(s, litype_names[r->type]);
		break;
	case C_USTART:
		put_ts(s, usage ? r->day : 1, usage ? r->hour : 0, g->cur2);
		break;
	case C_UEND:
		put_ts(s, usage ? end_day : 32, usage ? end_hour : 0, g->cur2);
		break;
	case C_PRODCODE:
		put_str(s, services[r->kind].code);
		break;
	case C_USAGETYPE:
		if (usage)
			put_usage_type(s, r);
		break;
	case C_OPERATION:
		if (usage)
			put_str(s, services[r->kind].operation);
		break;
	case C_AZ:
		if (usage && (r->kind == K_EC2 || r->kind == K_EBS || r->kind == K_RDS)) {
			put_str(s, r->region->code);
			put_ch(s, (char)('a' + r->az));
		}
		break;
	case C_RESOURCE:
		if (usage)
			put_resource(s, r);
		break;
	case C_UAMOUNT:
		if (usage)
			put_qty(s, r->qty);
		else
			put_str(s, "1.0");
		break;
	case C_CURRENCY:
		put_str(s, "USD");
		break;
	case C_UNBRATE:
	case C_BLRATE:
	case C_PODRATE:
		if (usage)
			put_amount(s, r->type == T_DISCOUNTED && c != C_PODRATE ? 0 : (int64_t)r->rate, pick_style(g));
		break;
	case C_UNBCOST:
		put_amount(s, r->cost, pick_style(g));
		break;
	case C_BLCOST:
		put_amount(s, r->cost, pick_style(g));
		break;
	case C_DESC:
		put_quoted(s, make_desc, r);
		break;
	case C_PNAME:
		put_str(s, services[r->kind].name);
		break;
	case C_PREGION:
	case C_PREGIONCODE:
		if (r->kind != K_CDN && (usage || r->type == T_TAX))
			put_str(s, r->region->code);
		break;
	case C_PITYPE:
		if (usage && r->kind == K_EC2)
			put_str(s, r->itype->name);
		else if (usage && r->kind == K_RDS) {
			put_str(s, "db.");
			put_str(s, r->itype->name);
		}
		break;
	case C_PLOCATION:
		if (r->kind == K_CDN)
			put_str(s, "United States");
		else if (usage)
			put_field(s, r->region->location, strlen(r->region->location));
		break;
	case C_PODCOST:
		if (r->has_list)
			put_amount(s, r->list, pick_style(g));
		break;
	case C_PTERM:
		if (r->type == T_DISCOUNTED)
			put_str(s, "Reserved");
		else if (usage)
			put_str(s, "OnDemand");
		break;
	case C_PUNIT:
		if (usage)
			put_str(s, services[r->kind].unit);
		break;
	case C_RARN:
		if (r->type == T_DISCOUNTED) {
			put_str(s, "arn:aws:ec2:");
			put_str(s, r->region->code);
			put_ch(s, ':');
			put_u64(s, payer_id(r->account), 12);
			put_str(s, ":reserved-instances/");
			put_u64(s, mix64(r->account) % 100000000, 8);
		}
		break;
	case C_REFFCOST:
		if (r->type == T_DISCOUNTED)
			put_amount(s, r->list * 3 / 5, pick_style(g));
		break;
	case C_SPARN:
		if (r->type == T_SPCOVERED) {
			put_str(s, "arn:aws:savingsplans::");
			put_u64(s, payer_id(r->account), 12);
			put_str(s, ":savingsplan/");
			put_u64(s, mix64(r->account + 17) % 100000000, 8);
		}
		break;
	case C_SPEFFCOST:
		if (r->type == T_SPCOVERED)
			put_amount(s, r->list * 18 / 25, pick_style(g));
		break;
	case C_SPRATE:
		if (r->type == T_SPCOVERED)
			put_amount(s, (int64_t)(r->rate * 18 / 25), pick_style(g));
		break;
	case C_TAGNAME:
		if (usage)
			put_quoted(s, put_tag_name, r);
		break;
	case C_TAGCC:
		if (usage) {
			put_str(s, "cc-");
			put_u64(s, 1000 + r->account % 40, 4);
		}
		break;
	case C_TAGENV:
		if (usage)
			put_str(s, tag_envs[r->tag_env]);
		break;
	case C_TAGS:
		if (usage)
			put_quoted(s, put_cur2_tags, r);
		break;
	case C_COUNT:
		break;
	}
}

static const struct gen_usage cmdline = {"gen_cur", "--accounts", 1000000000, "--cur2"};

int main(int argc, char **argv)
{
	static char outbuf[OUT_SIZE];
	struct sink s = {outbuf, 0};
	struct gen g = {0, 0, 200, 0};
	enum col cols[C_COUNT]; /* The columns of the naming, in order. */
	int ncols = 0;
	uint64_t rows = 0;
	int status = parse_args(&cmdline, argc, argv, &rows, &g.seed, &g.accounts, &g.cur2);

	if (status != 0)
		return status;
	g.state = mix64(g.seed ^ 0x5042435552ULL);
	init_kinds();

	for (int c = 0; c < C_COUNT; c++)
		if (col_names[c][g.cur2] != NULL)
			cols[ncols++] = (enum col)c;
	for (int c = 0; c < ncols; c++) {
		if (c)
			put_ch(&s, ',');
		put_str(&s, col_names[cols[c]][g.cur2]);
	}
	end_line(&s, OUT_ROOM);

	for (uint64_t i = 0; i < rows; i++) {
		struct row r;

		make_row(&g, &r);
		for (int c = 0; c < ncols; c++) {
			if (c)
				put_ch(&s, ',');
			put_col(&g, &s, cols[c], &r);
		}
		if (end_line(&s, OUT_ROOM) < 0)
			break;
	}
	return finish(&s, "gen_cur");
}
