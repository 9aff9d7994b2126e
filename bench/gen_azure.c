/* gen_azure: writes a deterministic Azure cost details CSV (a Cost Management export, version 2023-12-01-preview
 * columns: Enterprise Agreement, or Microsoft Customer Agreement with --mca) for billing month 2026-10 to stdout,
 * as benchmark input for pb-ingest --format azure-cost.
 * usage: gen_azure ROWS SEED [--subscriptions N] [--mca]; the same arguments always give the same bytes.
 *
 * As in Microsoft's cost details, Quantity counts units of the line's UnitOfMeasure and PayGPrice,
 * UnitPrice and EffectivePrice are per such unit: 24 hours of a "100 Hours" meter is Quantity 0.24. So every
 * cost is its price x Quantity (x exchangeRatePricingToBilling for MCA): paygCostInBillingCurrency is
 * PayGPrice x Quantity x rate and costInBillingCurrency EffectivePrice x Quantity x rate, each rounded once,
 * half-to-even, to 18 places; paygCostInUsd and costInPricingCurrency are the exact products. Every amount is
 * thus exact at 18 decimal places or fewer, and every list cost that pb-ingest computes (PayGPrice x Quantity,
 * x exchangeRatePricingToBilling for MCA) has factors of at most 6, 6 and 12 places, so that a DECIMAL(38, s)
 * reference (bench/duckdb_azure_sum.mjs) reads every value exactly. */

#include "gen_common.h"

#define OUT_ROOM 16384u /* A row never needs more than this. */
#define MICRO 1000000LL            /* Prices and quantities are integers in units of 1e-6. */
#define RATE_ONE 1000000000000LL    /* The exchange rate is an integer in units of 1e-12. */
#define RATE 912345678901LL         /* USD to EUR, 0.912345678901. */
#define MONEY_PLACES 18             /* Costs are integers in units of 1e-18. */

typedef __int128 i128;

/* Every column of either schema; EA and MCA each list theirs in their own order and spelling. */
enum col {
	F_INVOICE_ID,
	F_PREV_INVOICE_ID,
	F_BA_ID,
	F_BA_NAME,
	F_BP_ID,
	F_BP_NAME,
	F_IS_ID,
	F_IS_NAME,
	F_RESELLER_NAME,
	F_RESELLER_MPN,
	F_ACCOUNT_NAME,
	F_ACCOUNT_OWNER,
	F_COST_CENTER,
	F_BP_END,
	F_BP_START,
	F_SP_END,
	F_SP_START,
	F_DATE,
	F_SERVICE_FAMILY,
	F_PO_ID,
	F_PO_NAME,
	F_CONSUMED,
	F_METER_ID,
	F_METER_NAME,
	F_METER_CAT,
	F_METER_SUB,
	F_METER_REGION,
	F_PRODUCT_ID,
	F_PRODUCT_NAME,
	F_SUB_ID,
	F_SUB_NAME,
	F_PUB_TYPE,
	F_PUB_ID,
	F_PUB_NAME,
	F_RG,
	F_RESOURCE_ID,
	F_RES_LOCATION,
	F_LOCATION,
	F_EFF_PRICE,
	F_QTY,
	F_UOM,
	F_CHARGE_TYPE,
	F_BILL_CUR,
	F_PRICING_CUR,
	F_COST_BILL,
	F_COST_PRICING,
	F_COST_USD,
	F_PAYG_COST_BILL,
	F_PAYG_COST_USD,
	F_RATE,
	F_RATE_DATE,
	F_CREDIT_ELIGIBLE,
	F_SI1,
	F_SI2,
	F_ADDINFO,
	F_TAGS,
	F_PAYG_PRICE,
	F_FREQ,
	F_TERM,
	F_RESV_ID,
	F_RESV_NAME,
	F_PRICING_MODEL,
	F_UNIT_PRICE,
	F_CAR_NAME,
	F_BENEFIT_ID,
	F_BENEFIT_NAME,
	F_PROVIDER,
	F_OFFER_ID,
	F_RESOURCE_NAME,
	F_AZ,
	F_PART_NUMBER,
	F_PLAN_NAME,
};

struct colname {
	enum col col;
	const char *name;
};

static const struct colname ea_cols[] = {
	{F_IS_NAME, "InvoiceSectionName"},
	{F_ACCOUNT_NAME, "AccountName"},
	{F_ACCOUNT_OWNER, "AccountOwnerId"},
	{F_SUB_ID, "SubscriptionId"},
	{F_SUB_NAME, "SubscriptionName"},
	{F_RG, "ResourceGroup"},
	{F_RES_LOCATION, "ResourceLocation"},
	{F_DATE, "Date"},
	{F_PRODUCT_NAME, "ProductName"},
	{F_METER_CAT, "MeterCategory"},
	{F_METER_SUB, "MeterSubCategory"},
	{F_METER_ID, "MeterId"},
	{F_METER_NAME, "MeterName"},
	{F_METER_REGION, "MeterRegion"},
	{F_UOM, "UnitOfMeasure"},
	{F_QTY, "Quantity"},
	{F_EFF_PRICE, "EffectivePrice"},
	{F_COST_BILL, "CostInBillingCurrency"},
	{F_COST_CENTER, "CostCenter"},
	{F_CONSUMED, "ConsumedService"},
	{F_RESOURCE_ID, "ResourceId"},
	{F_TAGS, "Tags"},
	{F_OFFER_ID, "OfferId"},
	{F_ADDINFO, "AdditionalInfo"},
	{F_SI1, "ServiceInfo1"},
	{F_SI2, "ServiceInfo2"},
	{F_RESOURCE_NAME, "ResourceName"},
	{F_RESV_ID, "ReservationId"},
	{F_RESV_NAME, "ReservationName"},
	{F_UNIT_PRICE, "UnitPrice"},
	{F_PO_ID, "ProductOrderId"},
	{F_PO_NAME, "ProductOrderName"},
	{F_TERM, "Term"},
	{F_PUB_TYPE, "PublisherType"},
	{F_PUB_NAME, "PublisherName"},
	{F_CHARGE_TYPE, "ChargeType"},
	{F_FREQ, "Frequency"},
	{F_PRICING_MODEL, "PricingModel"},
	{F_AZ, "AvailabilityZone"},
	{F_BA_ID, "BillingAccountId"},
	{F_BA_NAME, "BillingAccountName"},
	{F_BILL_CUR, "BillingCurrencyCode"},
	{F_BP_START, "BillingPeriodStartDate"},
	{F_BP_END, "BillingPeriodEndDate"},
	{F_BP_ID, "BillingProfileId"},
	{F_BP_NAME, "BillingProfileName"},
	{F_IS_ID, "InvoiceSectionId"},
	{F_CREDIT_ELIGIBLE, "IsAzureCreditEligible"},
	{F_PART_NUMBER, "PartNumber"},
	{F_PAYG_PRICE, "PayGPrice"},
	{F_PLAN_NAME, "PlanName"},
	{F_SERVICE_FAMILY, "ServiceFamily"},
	{F_CAR_NAME, "CostAllocationRuleName"},
	{F_BENEFIT_ID, "benefitId"},
	{F_BENEFIT_NAME, "benefitName"},
};

static const struct colname mca_cols[] = {
	{F_INVOICE_ID, "invoiceId"},
	{F_PREV_INVOICE_ID, "previousInvoiceId"},
	{F_BA_ID, "billingAccountId"},
	{F_BA_NAME, "billingAccountName"},
	{F_BP_ID, "billingProfileId"},
	{F_BP_NAME, "billingProfileName"},
	{F_IS_ID, "invoiceSectionId"},
	{F_IS_NAME, "invoiceSectionName"},
	{F_RESELLER_NAME, "resellerName"},
	{F_RESELLER_MPN, "resellerMpnId"},
	{F_COST_CENTER, "costCenter"},
	{F_BP_END, "billingPeriodEndDate"},
	{F_BP_START, "billingPeriodStartDate"},
	{F_SP_END, "servicePeriodEndDate"},
	{F_SP_START, "servicePeriodStartDate"},
	{F_DATE, "date"},
	{F_SERVICE_FAMILY, "serviceFamily"},
	{F_PO_ID, "productOrderId"},
	{F_PO_NAME, "productOrderName"},
	{F_CONSUMED, "consumedService"},
	{F_METER_ID, "meterId"},
	{F_METER_NAME, "meterName"},
	{F_METER_CAT, "meterCategory"},
	{F_METER_SUB, "meterSubCategory"},
	{F_METER_REGION, "meterRegion"},
	{F_PRODUCT_ID, "ProductId"},
	{F_PRODUCT_NAME, "ProductName"},
	{F_SUB_ID, "SubscriptionId"},
	{F_SUB_NAME, "subscriptionName"},
	{F_PUB_TYPE, "publisherType"},
	{F_PUB_ID, "publisherId"},
	{F_PUB_NAME, "publisherName"},
	{F_RG, "resourceGroupName"},
	{F_RESOURCE_ID, "ResourceId"},
	{F_RES_LOCATION, "resourceLocation"},
	{F_LOCATION, "location"},
	{F_EFF_PRICE, "effectivePrice"},
	{F_QTY, "quantity"},
	{F_UOM, "unitOfMeasure"},
	{F_CHARGE_TYPE, "chargeType"},
	{F_BILL_CUR, "billingCurrency"},
	{F_PRICING_CUR, "pricingCurrency"},
	{F_COST_BILL, "costInBillingCurrency"},
	{F_COST_PRICING, "costInPricingCurrency"},
	{F_COST_USD, "costInUsd"},
	{F_PAYG_COST_BILL, "paygCostInBillingCurrency"},
	{F_PAYG_COST_USD, "paygCostInUsd"},
	{F_RATE, "exchangeRatePricingToBilling"},
	{F_RATE_DATE, "exchangeRateDate"},
	{F_CREDIT_ELIGIBLE, "isAzureCreditEligible"},
	{F_SI1, "serviceInfo1"},
	{F_SI2, "serviceInfo2"},
	{F_ADDINFO, "additionalInfo"},
	{F_TAGS, "tags"},
	{F_PAYG_PRICE, "PayGPrice"},
	{F_FREQ, "frequency"},
	{F_TERM, "term"},
	{F_RESV_ID, "reservationId"},
	{F_RESV_NAME, "reservationName"},
	{F_PRICING_MODEL, "pricingModel"},
	{F_UNIT_PRICE, "unitPrice"},
	{F_CAR_NAME, "costAllocationRuleName"},
	{F_BENEFIT_ID, "benefitId"},
	{F_BENEFIT_NAME, "benefitName"},
	{F_PROVIDER, "provider"},
};

#define N_EA (sizeof(ea_cols) / sizeof(ea_cols[0]))
#define N_MCA (sizeof(mca_cols) / sizeof(mca_cols[0]))

struct region {
	const char *code;    /* ResourceLocation */
	const char *display; /* Location (MCA) */
	const char *meter;   /* MeterRegion */
	unsigned factor;     /* Price level in per mille of US East. */
};

static const struct region regions[] = {
	{"westeurope", "EU West", "EU West", 1080},
	{"northeurope", "EU North", "EU North", 1050},
	{"germanywestcentral", "DE West Central", "DE West Central", 1120},
	{"uksouth", "UK South", "UK South", 1090},
	{"francecentral", "FR Central", "FR Central", 1110},
	{"eastus", "US East", "US East", 1000},
	{"eastus2", "US East 2", "US East 2", 1000},
	{"westus2", "US West 2", "US West 2", 1000},
	{"southeastasia", "AP Southeast", "AP Southeast", 1150},
	{"australiaeast", "AU East", "AU East", 1240},
};
#define N_REGIONS (sizeof(regions) / sizeof(regions[0]))

enum qkind { Q_HOURS, Q_STORAGE_MONTH, Q_OPS, Q_GB, Q_MONTH, Q_RU, Q_GBSEC };
enum info { I_NONE, I_VM, I_STORAGE, I_SQL };

struct meter {
	const char *category;
	const char *sub;
	const char *name;
	const char *unit;
	unsigned block; /* The leading number of unit, with K as 1000: base quantities / block = Quantity. */
	int64_t price;  /* PayGPrice in US East, USD, in 1e-6 units, per unit (100 hours of "100 Hours"). */
	const char *consumed;
	const char *family;
	const char *product; /* ProductName before " - <meter> - <region>". */
	const char *rp;      /* Resource provider and type. */
	const char *prefix;  /* Resource name prefix. */
	const char *vm_size;
	unsigned vcpus;
	enum qkind q;
	enum info info;
	unsigned weight;
};

static const struct meter meters[] = {
	{"Virtual Machines", "Dsv5 Series", "D2s v5", "1 Hour", 1, 96000, "Microsoft.Compute", "Compute",
	 "Virtual Machines Dsv5 Series", "Microsoft.Compute/virtualMachines", "vm-", "Standard_D2s_v5", 2, Q_HOURS,
	 I_VM, 14},
	{"Virtual Machines", "Dsv5 Series", "D4s v5", "1 Hour", 1, 192000, "Microsoft.Compute", "Compute",
	 "Virtual Machines Dsv5 Series", "Microsoft.Compute/virtualMachines", "vm-", "Standard_D4s_v5", 4, Q_HOURS,
	 I_VM, 10},
	{"Virtual Machines", "Esv5 Series", "E8s v5", "1 Hour", 1, 504000, "Microsoft.Compute", "Compute",
	 "Virtual Machines Esv5 Series", "Microsoft.Compute/virtualMachines", "vm-", "Standard_E8s_v5", 8, Q_HOURS,
	 I_VM, 4},
	{"Virtual Machines", "BS Series", "B2s", "100 Hours", 100, 4160000, "Microsoft.Compute", "Compute",
	 "Virtual Machines BS Series", "Microsoft.Compute/virtualMachines", "vm-", "Standard_B2s", 2, Q_HOURS, I_VM,
	 6},
	{"Storage", "Premium SSD Managed Disks", "P10 LRS Disk", "1/Month", 1, 19710000, "Microsoft.Compute", "Storage",
	 "Premium SSD Managed Disks", "Microsoft.Compute/disks", "disk-", NULL, 0, Q_MONTH, I_NONE, 8},
	{"Storage", "Blob Storage", "Hot LRS Data Stored", "1 GB/Month", 1, 20800, "Microsoft.Storage", "Storage",
	 "Blob Storage", "Microsoft.Storage/storageAccounts", "st", NULL, 0, Q_STORAGE_MONTH, I_STORAGE, 8},
	{"Storage", "Blob Storage", "Hot LRS Write Operations", "10K", 10000, 55000, "Microsoft.Storage", "Storage",
	 "Blob Storage", "Microsoft.Storage/storageAccounts", "st", NULL, 0, Q_OPS, I_STORAGE, 6},
	{"Storage", "Tables", "Batch Write Operations", "10K", 10000, 4300, "Microsoft.Storage", "Storage",
	 "Tables", "Microsoft.Storage/storageAccounts", "st", NULL, 0, Q_OPS, I_STORAGE, 2},
	{"Storage", "Standard Page Blob", "LRS Data Stored", "10 GB", 10, 450000, "Microsoft.Storage", "Storage",
	 "Standard Page Blob", "Microsoft.Storage/storageAccounts", "st", NULL, 0, Q_STORAGE_MONTH, I_STORAGE, 2},
	{"Bandwidth", "Rtn Preference: MGN", "Standard Data Transfer Out", "1 GB", 1, 87000, "Microsoft.Network",
	 "Networking", "Rtn Preference: MGN", "Microsoft.Network/publicIPAddresses", "pip-", NULL, 0, Q_GB, I_NONE,
	 6},
	{"SQL Database", "Single General Purpose - Compute Gen5", "vCore", "1 Hour", 1, 252200, "Microsoft.Sql",
	 "Databases", "SQL Database Single General Purpose - Compute Gen5", "Microsoft.Sql/servers", "sql-", NULL, 0,
	 Q_HOURS, I_SQL, 5},
	{"Azure App Service", "Premium v3 Plan", "P1 v3 App", "1 Hour", 1, 250000, "Microsoft.Web", "Compute",
	 "Azure App Service Premium v3 Plan", "Microsoft.Web/serverFarms", "asp-", NULL, 0, Q_HOURS, I_NONE, 5},
	{"Log Analytics", "Analytics Logs", "Analytics Logs Data Ingestion", "1 GB", 1, 2760000,
	 "Microsoft.OperationalInsights", "Management and Governance", "Log Analytics",
	 "Microsoft.OperationalInsights/workspaces", "log-", NULL, 0, Q_GB, I_NONE, 4},
	{"Azure Cosmos DB", "Azure Cosmos DB", "100 RU/s", "100/Hour", 100, 8000, "Microsoft.DocumentDB",
	 "Databases", "Azure Cosmos DB", "Microsoft.DocumentDB/databaseAccounts", "cosmos-", NULL, 0, Q_RU, I_NONE,
	 3},
	{"Key Vault", "Standard", "Operations", "10K", 10000, 30000, "Microsoft.KeyVault", "Security",
	 "Key Vault Standard", "Microsoft.KeyVault/vaults", "kv-", NULL, 0, Q_OPS, I_NONE, 3},
	{"Azure Kubernetes Service", "Standard", "Standard Uptime SLA", "1 Hour", 1, 100000,
	 "Microsoft.ContainerService", "Compute", "Azure Kubernetes Service Standard",
	 "Microsoft.ContainerService/managedClusters", "aks-", NULL, 0, Q_HOURS, I_NONE, 3},
	{"Azure Firewall", "", "Standard Deployment", "1 Hour", 1, 1250000, "Microsoft.Network", "Networking",
	 "Azure Firewall Standard", "Microsoft.Network/azureFirewalls", "afw-", NULL, 0, Q_HOURS, I_NONE, 2},
	{"Microsoft Defender for Cloud", "Standard", "Standard Node", "1 Hour", 1, 20000, "Microsoft.Security",
	 "Security", "Microsoft Defender for Servers", "Microsoft.Compute/virtualMachines", "vm-", NULL, 0, Q_HOURS,
	 I_NONE, 3},
	{"Azure DNS", "", "Public Zone", "1/Month", 1, 500000, "Microsoft.Network", "Networking", "Azure DNS",
	 "Microsoft.Network/dnszones", "zone-", NULL, 0, Q_MONTH, I_NONE, 2},
	{"Functions", "", "Standard Execution Time", "10 GB Seconds", 10, 160, "Microsoft.Web", "Compute",
	 "Functions", "Microsoft.Web/sites", "func-", NULL, 0, Q_GBSEC, I_NONE, 3},
};
#define N_METERS (sizeof(meters) / sizeof(meters[0]))

enum ctype {
	CT_USAGE,        /* on demand */
	CT_USAGE_RI,     /* covered by a reservation: effective price 0 */
	CT_USAGE_SP,     /* covered by a savings plan */
	CT_MARKETPLACE,  /* third-party software usage: PayGPrice 0 */
	CT_PURCHASE_RI,  /* reservation purchase: PayGPrice 0 */
	CT_PURCHASE_SP,  /* savings plan purchase: PayGPrice 0 */
	CT_PURCHASE_MP,  /* marketplace SaaS purchase: PayGPrice 0 */
	CT_UNUSED_RI,    /* PayGPrice 0, list 0 */
	CT_UNUSED_SP,    /* PayGPrice 0, list 0 */
	CT_REFUND_RI,    /* negative, PayGPrice 0 */
	CT_ROUNDING,     /* tiny, no meter */
};

static const char *const apps[] = {"shop", "api", "batch", "etl", "crm", "erp", "web", "ml", "search", "auth",
				   "billing", "portal"};
static const char *const envs[] = {"prod", "dev", "test", "staging"};
static const char *const depts[] = {"Engineering", "Data Platform", "Retail", "Finance IT", "Operations",
				    "Research", "Marketing Tech", "Security"};
static const char *const hex = "0123456789abcdef";
static const char *const upper36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

struct row {
	uint64_t sub;
	unsigned day;
	const struct meter *meter;
	const struct region *region;
	enum ctype type;
	unsigned resource; /* Index in the subscription's pool of resources. */
	unsigned tags;     /* 0: none; 1..: a tag set; odd ones hold a comma or quotes. */
	int64_t qty;       /* units of UnitOfMeasure, 1e-6; negative on refunds */
	int64_t payg;      /* PayGPrice, pricing currency, 1e-6 units */
	int64_t unit;      /* UnitPrice */
	int64_t eff;       /* EffectivePrice */
	i128 cost;         /* billing currency, 1e-18 units */
	i128 cost_pricing; /* pricing currency (USD), 1e-18 units */
	i128 payg_cost;    /* MCA paygCostInBillingCurrency, 1e-18 units */
	i128 payg_usd;
	int payg_cost_shown; /* 0: empty, 1: the value */
	int tiny_style;      /* amounts below 1e-4 written as 1.2E-05 */
};

struct gen {
	uint64_t state;
	uint64_t seed;
	uint64_t subs;
	int mca;
};

/* Writes v * 10^-places in its shortest form ("24", "0.096", "-350.5"); with tiny set, a magnitude below 1e-4
 * as .NET writes it ("1.204E-05"). */
static void put_scaled(struct sink *s, i128 v, int places, int tiny)
{
	put_num(s, v, places, tiny ? NUM_DOTNET : NUM_SHORT);
}

/* A GUID made from h: 8-4-4-4-12 lower-case hex, version 4. */
static void put_guid(struct sink *s, uint64_t h)
{
	uint64_t a = mix64(h), b = mix64(h ^ 0x5bd1e9955bd1e995ULL);

	for (int i = 0; i < 32; i++) {
		uint64_t w = i < 16 ? a : b;
		int nib = (int)((w >> (4 * (i % 16))) & 15);

		if (i == 8 || i == 12 || i == 16 || i == 20)
			put_ch(s, '-');
		if (i == 12)
			nib = 4;
		else if (i == 16)
			nib = 8 + (nib & 3);
		put_ch(s, hex[nib]);
	}
}

/* Day of October 2026 as MM/DD/YYYY (EA) or YYYY-MM-DD (MCA). */
static void put_date(struct sink *s, unsigned day, int iso)
{
	if (iso) {
		put_str(s, "2026-10-");
		put_u64(s, day, 2);
	} else {
		put_str(s, "10/");
		put_u64(s, day, 2);
		put_str(s, "/2026");
	}
}

static uint64_t sub_hash(uint64_t sub)
{
	return mix64(sub * 0x9e3779b97f4a7c15ULL + 0xa2e5);
}

static const struct region *home_region(uint64_t sub)
{
	/* Most subscriptions live in Europe: a European partner. */
	uint64_t h = sub_hash(sub) % 100;

	return &regions[h < 70 ? h % 5 : 5 + h % (N_REGIONS - 5)];
}

static unsigned discount_per_mille(uint64_t sub)
{
	static const unsigned d[] = {0, 50, 100, 150};

	return d[sub_hash(sub) >> 60 & 3];
}

static void put_sub_name(struct sink *s, uint64_t sub)
{
	uint64_t h = sub_hash(sub);

	put_str(s, apps[h % (sizeof(apps) / sizeof(apps[0]))]);
	put_ch(s, '-');
	put_str(s, envs[(h >> 8) % (sizeof(envs) / sizeof(envs[0]))]);
	put_ch(s, '-');
	put_u64(s, sub, 4);
}

static void put_rg(struct sink *s, const struct row *r)
{
	uint64_t h = sub_hash(r->sub) + r->resource / 4;

	put_str(s, "rg-");
	put_str(s, apps[h % (sizeof(apps) / sizeof(apps[0]))]);
	put_ch(s, '-');
	put_str(s, envs[(sub_hash(r->sub) >> 8) % (sizeof(envs) / sizeof(envs[0]))]);
}

static void put_resource_name(struct sink *s, const struct row *r)
{
	uint64_t h = sub_hash(r->sub) + r->resource;

	put_str(s, r->meter->prefix);
	put_str(s, apps[h % (sizeof(apps) / sizeof(apps[0]))]);
	if (r->meter->prefix[0] != 's' || r->meter->prefix[1] != 't')
		put_ch(s, '-');
	put_u64(s, r->resource, 2);
}

static int has_resource(const struct row *r)
{
	return r->type == CT_USAGE || r->type == CT_USAGE_RI || r->type == CT_USAGE_SP || r->type == CT_MARKETPLACE;
}

/* Meter by permille, from the weights in meters[]. */
static const struct meter *meter_by_permille[1000];

static void init_meters(void)
{
	unsigned total = 0, p = 0;

	for (size_t k = 0; k < N_METERS; k++)
		total += meters[k].weight;
	for (size_t k = 0; k < N_METERS; k++)
		for (unsigned i = 0; i < meters[k].weight * 1000 / total && p < 1000; i++)
			meter_by_permille[p++] = &meters[k];
	while (p < 1000)
		meter_by_permille[p++] = &meters[0];
}

/* Quantity in units of the meter's UnitOfMeasure, 1e-6: the hours, GB or operations used, over the block
 * ("100 Hours": 24 hours is 0.24), to 6 places as exports write it. */
static int64_t pick_qty(struct gen *g, const struct meter *m)
{
	int64_t b = m->block;

	switch (m->q) {
	case Q_HOURS:
		/* Mostly a full day; now and then part of one, to the second. */
		return below(&g->state, 6) == 0 ? (int64_t)(1 + below(&g->state, 86400)) * MICRO / (3600 * b) : 24 * MICRO / b;
	case Q_STORAGE_MONTH:
		return (int64_t)(1 + below(&g->state, 20000)) * MICRO / (31 * b);
	case Q_OPS:
		/* Now and then a handful of operations: costs below 1e-4, which exports write as 1.2E-05. */
		return (int64_t)(1 + (below(&g->state, 4) == 0 ? below(&g->state, 200) : below(&g->state, 2000000))) * MICRO / b;
	case Q_GB:
		return (int64_t)below(&g->state, 500 * MICRO) / b;
	case Q_MONTH:
		return MICRO / (31 * b);
	case Q_RU:
		return (int64_t)(4 + below(&g->state, 100)) * 100 * 24 * MICRO / b;
	case Q_GBSEC:
		return (int64_t)below(&g->state, 400000) * MICRO / b;
	}
	return MICRO;
}

/* qty x price (both 1e-6), times rate (1e-12) when rate != 0, in 1e-18 units: exact without a rate, else
 * rounded once, half-to-even, as Microsoft rounds its costs. */
static i128 cost_of(int64_t qty, int64_t price, int64_t rate)
{
	const i128 unit = 1000000;  /* 1e-24 to 1e-18 */
	i128 v = (i128)qty * price; /* 1e-12 */
	i128 q, r;

	if (rate == 0)
		return v * unit;
	v *= rate; /* 1e-24 */
	q = v / unit;
	r = v % unit; /* the sign of v */
	if (r < 0) {
		r = -r;
		if (r * 2 > unit || (r * 2 == unit && (q & 1)))
			q--;
	} else if (r * 2 > unit || (r * 2 == unit && (q & 1))) {
		q++;
	}
	return q;
}

static void make_row(struct gen *g, struct row *r)
{
	uint64_t t = below(&g->state, 1000);
	uint64_t sub = pick_skewed(&g->state, g->subs);
	int64_t rate = g->mca ? RATE : 0;
	const struct meter *m;

	memset(r, 0, sizeof(*r));
	r->sub = sub;
	r->day = 1 + (unsigned)below(&g->state, 31);
	r->type = t < 880 ? CT_USAGE
		  : t < 920 ? CT_USAGE_RI
		  : t < 940 ? CT_USAGE_SP
		  : t < 960 ? CT_MARKETPLACE
		  : t < 970 ? CT_PURCHASE_RI
		  : t < 975 ? CT_PURCHASE_SP
		  : t < 980 ? CT_PURCHASE_MP
		  : t < 987 ? CT_UNUSED_RI
		  : t < 990 ? CT_UNUSED_SP
		  : t < 995 ? CT_REFUND_RI
			    : CT_ROUNDING;
	m = meter_by_permille[below(&g->state, 1000)];
	if (r->type != CT_USAGE && r->type != CT_USAGE_SP)
		m = &meters[below(&g->state, 3)]; /* reservations, marketplace images: virtual machines, "1 Hour" */
	r->meter = m;
	r->region = below(&g->state, 5) == 0 ? &regions[below(&g->state, N_REGIONS)] : home_region(sub);
	r->resource = (unsigned)below(&g->state, 40);
	r->tags = below(&g->state, 4) == 0 ? 0 : 1 + (unsigned)below(&g->state, 40);
	r->tiny_style = below(&g->state, 3) == 0;
	r->qty = pick_qty(g, m);
	r->payg = (int64_t)scale((uint64_t)m->price, r->region->factor); /* Prices are positive. */
	r->unit = (int64_t)scale((uint64_t)r->payg, 1000 - discount_per_mille(sub));
	r->eff = r->unit;
	switch (r->type) {
	case CT_USAGE:
		break;
	case CT_USAGE_RI:
		r->eff = 0;
		break;
	case CT_USAGE_SP:
		r->eff = r->unit * 7 / 10;
		break;
	case CT_MARKETPLACE:
		r->payg = 0;
		r->unit = r->eff = (int64_t)(1 + below(&g->state, 40)) * 10000;
		break;
	case CT_PURCHASE_RI:
	case CT_PURCHASE_SP:
	case CT_PURCHASE_MP:
		r->payg = 0;
		r->qty = MICRO;
		r->unit = r->eff = (int64_t)(20 + below(&g->state, 5000)) * MICRO / 4;
		break;
	case CT_REFUND_RI:
		r->payg = 0;
		r->qty = -MICRO;
		r->unit = r->eff = (int64_t)(20 + below(&g->state, 3000)) * MICRO / 4;
		break;
	case CT_UNUSED_RI:
	case CT_UNUSED_SP:
		r->payg = 0;
		r->qty = (int64_t)(1 + below(&g->state, 24)) * MICRO;
		break;
	case CT_ROUNDING:
		r->payg = 0;
		r->qty = 0;
		r->unit = r->eff = 0;
		r->day = 31;
		break;
	}
	r->cost_pricing = cost_of(r->qty, r->eff, 0);
	r->cost = cost_of(r->qty, r->eff, rate);
	if (r->type == CT_ROUNDING) {
		r->cost = (i128)((int64_t)below(&g->state, 2000) - 1000) * 10000000000000LL; /* within +-0.01 */
		r->cost_pricing = r->cost;
	}
	if (g->mca) {
		r->payg_cost = cost_of(r->qty, r->payg, rate);
		r->payg_usd = cost_of(r->qty, r->payg, 0);
		/* Most lines carry their pay-as-you-go cost; some leave pb-ingest to compute it; a reservation
		 * purchase now and then says 0. */
		if (r->payg != 0)
			r->payg_cost_shown = below(&g->state, 100) < 85;
		else
			r->payg_cost_shown = r->type == CT_PURCHASE_RI ? below(&g->state, 10) < 3 : r->type == CT_ROUNDING;
	}
}

static void put_tags(struct sink *s, const struct row *r)
{
	uint64_t h = sub_hash(r->sub);

	if (r->tags == 0 || !has_resource(r))
		return;
	put_str(s, "{\"env\":\"");
	put_str(s, envs[(h >> 8) % (sizeof(envs) / sizeof(envs[0]))]);
	put_str(s, "\",\"app\":\"");
	put_str(s, apps[(h + r->resource) % (sizeof(apps) / sizeof(apps[0]))]);
	put_str(s, "\",\"costcenter\":\"CC-");
	put_u64(s, 1000 + (h >> 16) % 400, 4);
	if (r->tags % 13 == 0)
		put_str(s, "\",\"owner\":\"data, analytics");
	else if (r->tags % 17 == 0)
		put_str(s, "\",\"note\":\"migrated from \\\"legacy\\\"");
	put_str(s, "\"}");
}

static void put_addinfo(struct sink *s, const struct row *r)
{
	const struct meter *m = r->meter;

	if (!has_resource(r))
		return;
	switch (m->info) {
	case I_VM:
		put_str(s, "{\"UsageType\":\"ComputeHR\",\"ImageType\":\"");
		put_str(s, r->type == CT_MARKETPLACE ? "Contoso NGFW" : (r->resource & 1) ? "Canonical" : "Windows Server BYOL");
		put_str(s, "\",\"ServiceType\":\"");
		put_str(s, m->vm_size);
		put_str(s, "\",\"VMName\":null,\"VMProperties\":null,\"VCPUs\":");
		put_u64(s, m->vcpus, 0);
		put_str(s, ",\"CPUs\":0}");
		break;
	case I_STORAGE:
		put_str(s, (r->resource & 3) ? "{\"StorageAccountType\":\"Standard_LRS\"}" : "{\"StorageAccountType\":\"Standard_ZRS\"}");
		break;
	case I_SQL:
		put_str(s, "{\"vCores\":");
		put_u64(s, 2u << (r->resource & 3), 0);
		put_ch(s, '}');
		break;
	case I_NONE:
		break;
	}
}

static void put_resource_id(struct sink *s, const struct row *r)
{
	if (!has_resource(r))
		return;
	put_str(s, "/subscriptions/");
	put_guid(s, sub_hash(r->sub));
	put_str(s, "/resourceGroups/");
	put_rg(s, r);
	put_str(s, "/providers/");
	put_str(s, r->meter->rp);
	put_ch(s, '/');
	put_resource_name(s, r);
}

static void put_product_name(struct sink *s, const struct row *r)
{
	const struct meter *m = r->meter;

	switch (r->type) {
	case CT_MARKETPLACE:
		put_str(s, "Contoso NGFW - PAYG");
		return;
	case CT_PURCHASE_MP:
		put_str(s, "Northwind Insights - Business");
		return;
	case CT_PURCHASE_SP:
	case CT_UNUSED_SP:
		put_str(s, "Compute Savings Plan, 1 Year, Monthly");
		return;
	case CT_PURCHASE_RI:
	case CT_REFUND_RI:
	case CT_UNUSED_RI:
		put_str(s, "Reserved VM Instance, ");
		put_str(s, m->vm_size ? m->vm_size : m->name);
		put_str(s, ", ");
		put_str(s, r->region->meter);
		put_str(s, ", 1 Year");
		return;
	case CT_ROUNDING:
		return;
	case CT_USAGE:
	case CT_USAGE_RI:
	case CT_USAGE_SP:
		break;
	}
	put_str(s, m->product);
	put_str(s, " - ");
	put_str(s, m->name);
	put_str(s, " - ");
	put_str(s, r->region->meter);
}

static const char *charge_type(const struct row *r)
{
	switch (r->type) {
	case CT_USAGE:
	case CT_USAGE_RI:
	case CT_USAGE_SP:
	case CT_MARKETPLACE:
		return "Usage";
	case CT_PURCHASE_RI:
	case CT_PURCHASE_SP:
	case CT_PURCHASE_MP:
		return "Purchase";
	case CT_UNUSED_RI:
		return "UnusedReservation";
	case CT_UNUSED_SP:
		return "UnusedSavingsPlan";
	case CT_REFUND_RI:
		return "Refund";
	case CT_ROUNDING:
		return "RoundingAdjustment";
	}
	return "Usage";
}

static const char *pricing_model(const struct row *r)
{
	switch (r->type) {
	case CT_USAGE_RI:
	case CT_PURCHASE_RI:
	case CT_UNUSED_RI:
	case CT_REFUND_RI:
		return "Reservation";
	case CT_USAGE_SP:
	case CT_PURCHASE_SP:
	case CT_UNUSED_SP:
		return "SavingsPlan";
	case CT_ROUNDING:
		return "";
	case CT_USAGE:
	case CT_MARKETPLACE:
	case CT_PURCHASE_MP:
		break;
	}
	return "OnDemand";
}

static int metered(const struct row *r)
{
	return r->type != CT_ROUNDING && r->type != CT_PURCHASE_MP && r->type != CT_PURCHASE_SP &&
	       r->type != CT_UNUSED_SP;
}

static void put_meter_category(struct sink *s, const struct row *r)
{
	if (r->type == CT_MARKETPLACE)
		put_str(s, "Virtual Machine Licenses");
	else if (r->type == CT_PURCHASE_MP)
		put_str(s, "SaaS");
	else if (r->type == CT_PURCHASE_SP || r->type == CT_UNUSED_SP)
		put_str(s, "Savings Plan");
	else if (r->type != CT_ROUNDING)
		put_str(s, r->meter->category);
}

static void put_col(struct gen *g, struct sink *s, enum col c, const struct row *r)
{
	const struct meter *m = r->meter;
	int mca = g->mca;
	int tiny = r->tiny_style;

	switch (c) {
	case F_INVOICE_ID:
	case F_PREV_INVOICE_ID:
	case F_RESELLER_NAME:
	case F_RESELLER_MPN:
	case F_SI1:
	case F_AZ:
	case F_CAR_NAME:
		break;
	case F_SI2:
		if (has_resource(r) && m->info == I_VM && !(r->resource & 7))
			put_str(s, "Windows Server BYOL");
		break;
	case F_BA_ID:
		put_str(s, mca ? "a1b2c3d4-0000-5000-8000-111122223333:44445555-6666-7777-8888-999900001111_2019-05-31"
			       : "71234567");
		break;
	case F_BA_NAME:
		put_str(s, mca ? "Northwind Traders GmbH" : "Fabrikam Partners Enrollment");
		break;
	case F_BP_ID:
		put_str(s, mca ? "ABCD-EF12-BG7-PGB" : "71234567");
		break;
	case F_BP_NAME:
		put_str(s, mca ? "Northwind EUR" : "Fabrikam Partners Enrollment");
		break;
	case F_IS_ID:
		if (mca) {
			put_str(s, "WXYZ-");
			put_u64(s, 1000 + r->sub / 100 % 8, 4);
			put_str(s, "-PJA-PGB");
		} else {
			put_u64(s, 254321 + r->sub / 100 % 8, 0);
		}
		break;
	case F_IS_NAME:
		put_str(s, depts[r->sub / 100 % (sizeof(depts) / sizeof(depts[0]))]);
		break;
	case F_ACCOUNT_NAME:
		put_str(s, "Account ");
		put_str(s, depts[r->sub / 100 % (sizeof(depts) / sizeof(depts[0]))]);
		break;
	case F_ACCOUNT_OWNER:
		put_str(s, "owner");
		put_u64(s, r->sub / 100 % 8, 0);
		put_str(s, "@fabrikam-partners.example");
		break;
	case F_COST_CENTER:
		put_str(s, "CC-");
		put_u64(s, 1000 + (sub_hash(r->sub) >> 16) % 400, 4);
		break;
	case F_BP_START:
	case F_SP_START:
	case F_RATE_DATE:
		put_date(s, 1, mca);
		break;
	case F_BP_END:
	case F_SP_END:
		put_date(s, 31, mca);
		break;
	case F_DATE:
		put_date(s, r->day, mca);
		break;
	case F_SERVICE_FAMILY:
		put_str(s, r->type == CT_ROUNDING ? "" : r->type == CT_PURCHASE_MP ? "Marketplace" : m->family);
		break;
	case F_PO_ID:
		if (r->type == CT_PURCHASE_RI || r->type == CT_REFUND_RI || r->type == CT_UNUSED_RI)
			put_guid(s, sub_hash(r->sub) ^ 0x1234);
		else if (mca && r->type != CT_ROUNDING)
			put_guid(s, 0x77);
		break;
	case F_PO_NAME:
		if (r->type == CT_PURCHASE_RI || r->type == CT_REFUND_RI || r->type == CT_UNUSED_RI)
			put_quoted(s, put_product_name, r);
		else if (mca && r->type != CT_ROUNDING)
			put_str(s, "Azure plan");
		break;
	case F_CONSUMED:
		if (r->type == CT_PURCHASE_RI || r->type == CT_REFUND_RI || r->type == CT_UNUSED_RI)
			put_str(s, "Microsoft.Capacity");
		else if (r->type == CT_PURCHASE_SP || r->type == CT_UNUSED_SP)
			put_str(s, "Microsoft.BillingBenefits");
		else if (r->type != CT_ROUNDING && r->type != CT_PURCHASE_MP)
			put_str(s, m->consumed);
		break;
	case F_METER_ID:
		if (metered(r))
			put_guid(s, (uint64_t)(m - meters) * 1000003 + (uint64_t)(r->region - regions) * 7919 + 11);
		break;
	case F_METER_NAME:
		if (r->type == CT_MARKETPLACE)
			put_str(s, "Software License");
		else if (r->type == CT_PURCHASE_RI || r->type == CT_REFUND_RI || r->type == CT_UNUSED_RI)
			put_str(s, "Reservation-Base VM");
		else if (r->type == CT_PURCHASE_SP || r->type == CT_UNUSED_SP)
			put_str(s, "Compute Savings Plan");
		else if (r->type == CT_PURCHASE_MP)
			put_str(s, "Business Plan");
		else if (r->type != CT_ROUNDING)
			put_str(s, m->name);
		break;
	case F_METER_CAT:
		put_meter_category(s, r);
		break;
	case F_METER_SUB:
		if (r->type == CT_MARKETPLACE)
			put_str(s, "Contoso NGFW - PAYG");
		else if (r->type == CT_PURCHASE_RI || r->type == CT_REFUND_RI || r->type == CT_UNUSED_RI)
			put_str(s, "Reservation-Base VM");
		else if (r->type == CT_USAGE || r->type == CT_USAGE_RI || r->type == CT_USAGE_SP)
			put_field(s, m->sub, strlen(m->sub));
		break;
	case F_METER_REGION:
		if (has_resource(r) && r->type != CT_MARKETPLACE)
			put_str(s, r->region->meter);
		break;
	case F_PRODUCT_ID:
		if (r->type != CT_ROUNDING) {
			uint64_t h = mix64((uint64_t)(m - meters) * 31 + (uint64_t)r->type);

			put_str(s, "DZH318Z0");
			for (int i = 0; i < 4; i++)
				put_ch(s, upper36[(h >> (6 * i)) % 36]);
			put_ch(s, '/');
			for (int i = 4; i < 8; i++)
				put_ch(s, upper36[(h >> (6 * i)) % 36]);
		}
		break;
	case F_PRODUCT_NAME:
		put_quoted(s, put_product_name, r);
		break;
	case F_SUB_ID:
		put_guid(s, sub_hash(r->sub));
		break;
	case F_SUB_NAME:
		put_sub_name(s, r->sub);
		break;
	case F_PUB_TYPE:
		put_str(s, r->type == CT_MARKETPLACE || r->type == CT_PURCHASE_MP ? "Marketplace"
			   : mca                                                 ? "Microsoft"
										 : "Azure");
		break;
	case F_PUB_ID:
		if (r->type == CT_MARKETPLACE || r->type == CT_PURCHASE_MP)
			put_str(s, r->type == CT_MARKETPLACE ? "contoso-security" : "northwind-analytics");
		break;
	case F_PUB_NAME:
		put_str(s, r->type == CT_MARKETPLACE ? "Contoso Security Ltd"
			   : r->type == CT_PURCHASE_MP ? "Northwind Analytics"
						       : "Microsoft");
		break;
	case F_RG:
		if (has_resource(r))
			put_rg(s, r);
		break;
	case F_RESOURCE_ID:
		put_resource_id(s, r);
		break;
	case F_RESOURCE_NAME:
		if (has_resource(r))
			put_resource_name(s, r);
		break;
	case F_RES_LOCATION:
		if (has_resource(r))
			put_str(s, r->region->code);
		break;
	case F_LOCATION:
		if (has_resource(r))
			put_str(s, r->region->display);
		break;
	case F_EFF_PRICE:
		put_scaled(s, r->eff, 6, 0);
		break;
	case F_UNIT_PRICE:
		put_scaled(s, r->unit, 6, 0);
		break;
	case F_PAYG_PRICE:
		put_scaled(s, r->payg, 6, 0);
		break;
	case F_QTY:
		put_scaled(s, r->qty, 6, 0);
		break;
	case F_UOM:
		if (r->type == CT_PURCHASE_MP)
			put_str(s, "1/Month");
		else if (r->type != CT_ROUNDING)
			put_str(s, m->unit);
		break;
	case F_CHARGE_TYPE:
		put_str(s, charge_type(r));
		break;
	case F_BILL_CUR:
		put_str(s, mca ? "EUR" : "USD");
		break;
	case F_PRICING_CUR:
		put_str(s, "USD");
		break;
	case F_COST_BILL:
		put_scaled(s, r->cost, MONEY_PLACES, tiny);
		break;
	case F_COST_PRICING:
	case F_COST_USD:
		put_scaled(s, r->cost_pricing, MONEY_PLACES, tiny);
		break;
	case F_PAYG_COST_BILL:
		if (r->payg_cost_shown)
			put_scaled(s, r->payg_cost, MONEY_PLACES, tiny);
		break;
	case F_PAYG_COST_USD:
		if (r->payg_cost_shown)
			put_scaled(s, r->payg_usd, MONEY_PLACES, tiny);
		break;
	case F_RATE:
		put_scaled(s, RATE, 12, 0);
		break;
	case F_CREDIT_ELIGIBLE:
		put_str(s, r->type == CT_MARKETPLACE || r->type == CT_PURCHASE_MP ? "False" : "True");
		break;
	case F_ADDINFO:
		put_quoted(s, put_addinfo, r);
		break;
	case F_TAGS:
		put_quoted(s, put_tags, r);
		break;
	case F_FREQ:
		put_str(s, r->type == CT_PURCHASE_RI || r->type == CT_REFUND_RI || r->type == CT_ROUNDING ? "OneTime"
			   : r->type == CT_PURCHASE_SP || r->type == CT_PURCHASE_MP                   ? "Recurring"
											       : "UsageBased");
		break;
	case F_TERM:
		if (r->type == CT_PURCHASE_MP)
			put_str(s, "1");
		else if (!has_resource(r) && r->type != CT_ROUNDING)
			put_str(s, "12");
		break;
	case F_RESV_ID:
		if (r->type == CT_USAGE_RI || r->type == CT_PURCHASE_RI || r->type == CT_UNUSED_RI ||
		    r->type == CT_REFUND_RI)
			put_guid(s, sub_hash(r->sub) ^ 0xbeef);
		break;
	case F_RESV_NAME:
		if (r->type == CT_USAGE_RI || r->type == CT_PURCHASE_RI || r->type == CT_UNUSED_RI ||
		    r->type == CT_REFUND_RI) {
			put_str(s, "VM_RI_");
			put_u64(s, 1 + r->sub % 12, 2);
			put_str(s, "-15-2026_");
			put_u64(s, r->sub % 24, 2);
			put_str(s, "-00");
		}
		break;
	case F_PRICING_MODEL:
		put_str(s, pricing_model(r));
		break;
	case F_BENEFIT_ID:
		if (r->type == CT_USAGE_SP || r->type == CT_PURCHASE_SP || r->type == CT_UNUSED_SP) {
			put_str(s, "/providers/Microsoft.BillingBenefits/savingsPlans/");
			put_guid(s, sub_hash(r->sub / 50) ^ 0xcafe);
		}
		break;
	case F_BENEFIT_NAME:
		if (r->type == CT_USAGE_SP || r->type == CT_PURCHASE_SP || r->type == CT_UNUSED_SP) {
			put_str(s, "SP_Compute_1Y_");
			put_u64(s, r->sub / 50, 3);
		}
		break;
	case F_PROVIDER:
		put_str(s, r->type == CT_MARKETPLACE || r->type == CT_PURCHASE_MP ? "Marketplace" : "Azure");
		break;
	case F_OFFER_ID:
		put_str(s, "MS-AZR-0017P");
		break;
	case F_PART_NUMBER:
		if (metered(r)) {
			uint64_t h = mix64((uint64_t)(m - meters) + 99);

			put_ch(s, 'A');
			put_ch(s, upper36[10 + h % 26]);
			put_ch(s, upper36[10 + (h >> 8) % 26]);
			put_ch(s, '-');
			put_u64(s, (h >> 16) % 100000, 5);
		}
		break;
	case F_PLAN_NAME:
		if (r->type == CT_MARKETPLACE)
			put_str(s, "ngfw-payg");
		else if (r->type == CT_PURCHASE_MP)
			put_str(s, "business");
		break;
	}
}

static const struct gen_usage cmdline = {"gen_azure", "--subscriptions", 10000000, "--mca"};

int main(int argc, char **argv)
{
	static char outbuf[OUT_SIZE];
	struct sink s = {outbuf, 0};
	struct gen g = {0, 0, 3000, 0};
	const struct colname *cols;
	size_t ncols;
	uint64_t rows = 0;
	int status = parse_args(&cmdline, argc, argv, &rows, &g.seed, &g.subs, &g.mca);

	if (status != 0)
		return status;
	g.state = mix64(g.seed ^ 0x417a757265ULL);
	init_meters();
	cols = g.mca ? mca_cols : ea_cols;
	ncols = g.mca ? N_MCA : N_EA;

	for (size_t c = 0; c < ncols; c++) {
		if (c)
			put_ch(&s, ',');
		put_str(&s, cols[c].name);
	}
	end_line(&s, OUT_ROOM);

	for (uint64_t i = 0; i < rows; i++) {
		struct row r;

		make_row(&g, &r);
		for (size_t c = 0; c < ncols; c++) {
			if (c)
				put_ch(&s, ',');
			put_col(&g, &s, cols[c].col, &r);
		}
		if (end_line(&s, OUT_ROOM) < 0)
			break;
	}
	return finish(&s, "gen_azure");
}
