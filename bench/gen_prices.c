/* gen_prices: deterministic price lists and an export priced by them, as benchmark input for pb-prices and for
 * the list prices pb-ingest fills in.
 *
 *   gen_prices azure-pages ITEMS SEED DIR        the Azure Retail Prices API's pages (1000 items each, as JSON,
 *                                                DIR/page-00001.json, ...), Consumption prices of ITEMS items
 *   gen_prices aws-offer ROWS SEED               an AWS offer file (CSV: five metadata lines, the header, ROWS
 *                                                rows: per SKU one OnDemand row and three Reserved ones)
 *   gen_prices azure-usage LINES SEED ITEMS [--no-list]
 *                                                an Azure cost details export of LINES usage lines of the
 *                                                meters of azure-pages ITEMS SEED for billing month 2026-10,
 *                                                with PayGPrice the list's own price, or empty (--no-list)
 *
 * The same arguments always give the same bytes. Meter i's price is a whole number of millionths, so that
 * PayGPrice x Quantity equals what pb-ingest computes from the price list to the last digit: the list total
 * of the two exports is the same. Items i with i % 50 == 49 are a second tier (from 100 units) of meter i - 1;
 * the usage lines use single-tier meters only. */

#include "gen_common.h"

#include <sys/stat.h>

#define PAGE 1000
#define ROOM 4096u
#define MICRO 1000000ULL

static const char *const regions[8][2] = {
	{"eastus", "US East"},	     {"eastus2", "US East 2"},	{"westus", "US West"},
	{"westeurope", "EU West"},   {"northeurope", "EU North"}, {"southeastasia", "AP Southeast"},
	{"centralus", "US Central"}, {"uksouth", "UK South"},
};

static const char *const services[4] = {"Virtual Machines", "Storage", "SQL Database", "Azure App Service"};

static uint64_t seed_g;

/* Meter i's id, a lowercase GUID. */
static void put_meter(struct sink *s, uint64_t i)
{
	uint64_t a = mix64(i ^ seed_g), b = mix64(a);
	char buf[40];

	snprintf(buf, sizeof(buf), "%08llx-%04llx-4%03llx-8%03llx-%012llx", (unsigned long long)(a >> 32),
		 (unsigned long long)(a >> 16 & 0xffff), (unsigned long long)(a & 0xfff),
		 (unsigned long long)(b >> 52 & 0xfff), (unsigned long long)(b & 0xffffffffffffULL));
	put_str(s, buf);
}

/* Meter i's price in millionths (0.000001 to 9.999999) and its unit. */
static uint64_t price_of(uint64_t i)
{
	return 1 + mix64(i * 7 + seed_g) % (10 * MICRO - 1);
}

static const char *unit_of(uint64_t i)
{
	return i % 10 == 0 ? "100 Hours" : i % 10 == 1 ? "1 GB/Month" : "1 Hour";
}

static void azure_item(struct sink *s, uint64_t k)
{
	uint64_t m = k % 50 == 49 ? k - 1 : k, price = k % 50 == 49 ? price_of(m) / 2 + 1 : price_of(m);

	put_str(s, "{\"currencyCode\": \"USD\", \"tierMinimumUnits\": ");
	put_str(s, k % 50 == 49 ? "100.0" : "0.0");
	put_str(s, ", \"retailPrice\": ");
	put_num(s, (__int128)price, 6, NUM_DOTNET);
	put_str(s, ", \"unitPrice\": ");
	put_num(s, (__int128)price, 6, NUM_DOTNET);
	put_str(s, ", \"armRegionName\": \"");
	put_str(s, regions[m % 8][0]);
	put_str(s, "\", \"location\": \"");
	put_str(s, regions[m % 8][1]);
	put_str(s, "\", \"effectiveStartDate\": \"2026-01-01T00:00:00Z\", \"meterId\": \"");
	put_meter(s, m);
	put_str(s, "\", \"meterName\": \"Meter ");
	put_u64(s, m, 0);
	put_str(s, "\", \"productId\": \"DZH318Z0");
	put_u64(s, m % 10000, 4);
	put_str(s, "\", \"skuId\": \"DZH318Z0");
	put_u64(s, m % 10000, 4);
	put_str(s, "/00");
	put_u64(s, m % 100, 2);
	put_str(s, "\", \"availabilityId\": null, \"productName\": \"Product ");
	put_u64(s, m % 10000, 0);
	put_str(s, "\", \"skuName\": \"Sku ");
	put_u64(s, m % 100, 0);
	put_str(s, "\", \"serviceName\": \"");
	put_str(s, services[m % 4]);
	put_str(s, "\", \"serviceId\": \"DZH313Z7MMC8\", \"serviceFamily\": \"Compute\", \"unitOfMeasure\": \"");
	put_str(s, unit_of(m));
	put_str(s, "\", \"type\": \"Consumption\", \"isPrimaryMeterRegion\": true, \"armSkuName\": \"Standard_");
	put_u64(s, m % 1000, 0);
	put_str(s, "\"}");
}

static int azure_pages(uint64_t items, const char *dir)
{
	static char buf[OUT_SIZE];
	uint64_t k, page = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "gen_prices: cannot make %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (k = 0; k < items; page++) {
		char path[4096];
		uint64_t n = items - k < PAGE ? items - k : PAGE, j;
		struct sink s = {buf, 0};
		FILE *f;

		snprintf(path, sizeof(path), "%s/page-%05llu.json", dir, (unsigned long long)page + 1);
		f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "gen_prices: cannot write %s: %s\n", path, strerror(errno));
			return 1;
		}
		put_str(&s, "{\n  \"BillingCurrency\": \"USD\",\n  \"CustomerEntityId\": \"Default\",\n"
			    "  \"CustomerEntityType\": \"Retail\",\n  \"Items\": [\n");
		for (j = 0; j < n; j++, k++) {
			put_str(&s, "    ");
			azure_item(&s, k);
			put_str(&s, j + 1 < n ? ",\n" : "\n");
			if (s.n > OUT_SIZE - ROOM) {
				fwrite(s.p, 1, s.n, f);
				s.n = 0;
			}
		}
		put_str(&s, "  ],\n  \"NextPageLink\": ");
		if (k < items) {
			put_str(&s, "\"https://prices.azure.com/api/retail/prices?$skip=");
			put_u64(&s, k, 0);
			put_str(&s, "\"");
		} else {
			put_str(&s, "null");
		}
		put_str(&s, ",\n  \"Count\": ");
		put_u64(&s, n, 0);
		put_str(&s, "\n}\n");
		if (fwrite(s.p, 1, s.n, f) != s.n || fclose(f) != 0) {
			fprintf(stderr, "gen_prices: cannot write %s\n", path);
			return 1;
		}
	}
	return 0;
}

/* ---- AWS ---- */

static const char *const aws_regions[6][2] = {
	{"us-east-1", "US East (N. Virginia)"}, {"us-west-2", "US West (Oregon)"},   {"eu-west-1", "EU (Ireland)"},
	{"eu-central-1", "EU (Frankfurt)"},     {"ap-south-1", "Asia Pacific (Mumbai)"}, {"us-east-2", "US East (Ohio)"},
};

static void put_sku(struct sink *s, uint64_t i)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	uint64_t h = mix64(i ^ seed_g ^ 0x5ca1ab1eULL);
	int k;

	for (k = 0; k < 16; k++, h >>= 5)
		put_ch(s, alphabet[h & 31]);
}

/* One row of SKU i: term 0 is OnDemand (tier 0; tier 1 from 10240 for SKUs with tiers), 1 to 3 Reserved. */
static void aws_row(struct sink *s, uint64_t i, int term, int tier)
{
	static const char *const terms[4] = {"JRTCKXETXF", "4NA7Y494T4", "6QCMYABX3D", "HU7G6KETJZ"};
	uint64_t price = (1 + mix64(i * 13 + seed_g) % 5000000) * (tier ? 9 : 10) / 10;

	put_ch(s, '"');
	put_sku(s, i);
	put_str(s, "\",\"");
	put_str(s, terms[term]);
	put_str(s, "\",\"");
	put_sku(s, i);
	put_ch(s, '.');
	put_str(s, terms[term]);
	put_str(s, tier ? ".N9EW5UVVPA" : ".6YS6EN2CT7");
	put_str(s, "\",\"");
	put_str(s, term ? "Reserved" : "OnDemand");
	put_str(s, "\",\"$");
	put_num(s, (__int128)price, 7, NUM_SHORT);
	put_str(s, " per On Demand Linux m5.large Instance Hour\",\"2026-10-01\",\"");
	put_str(s, tier ? "10240" : "0");
	put_str(s, "\",\"");
	put_str(s, tier || i % 20 != 0 ? "Inf" : "10240");
	put_str(s, "\",\"Hrs\",\"");
	put_num(s, (__int128)price, 10, NUM_FIXED);
	put_str(s, "\",\"USD\",\"\",\"");
	put_str(s, term ? "1yr" : "");
	put_str(s, "\",\"");
	put_str(s, term == 1 ? "No Upfront" : term == 2 ? "Partial Upfront" : term == 3 ? "All Upfront" : "");
	put_str(s, "\",\"");
	put_str(s, term ? "standard" : "");
	put_str(s, "\",\"Compute Instance\",\"AmazonEC2\",\"");
	put_str(s, aws_regions[i % 6][1]);
	put_str(s, "\",\"AWS Region\",\"m5.large\",\"Yes\",\"General purpose\",\"2\",\"Intel Xeon Platinum 8175\","
		   "\"8 GiB\",\"EBS only\",\"Up to 10 Gigabit\",\"64-bit\",\"Shared\",\"Linux\",\"No License required\","
		   "\"BoxUsage:m5.");
	put_u64(s, i, 0);
	put_str(s, "\",\"RunInstances\",\"NA\",\"Used\",\"");
	put_str(s, aws_regions[i % 6][0]);
	put_ch(s, '"');
}

static int aws_offer(uint64_t rows)
{
	static char buf[OUT_SIZE];
	struct sink s = {buf, 0};
	uint64_t r = 0, i = 0;
	int term, tier;

	put_str(&s, "\"FormatVersion\",\"v1.0\"\n\"Disclaimer\",\"This pricing list is for informational purposes only.\"\n"
		    "\"Publication Date\",\"2026-10-01T00:00:00Z\"\n\"Version\",\"20261001000000\"\n"
		    "\"OfferCode\",\"AmazonEC2\"\n");
	put_str(&s, "\"SKU\",\"OfferTermCode\",\"RateCode\",\"TermType\",\"PriceDescription\",\"EffectiveDate\","
		    "\"StartingRange\",\"EndingRange\",\"Unit\",\"PricePerUnit\",\"Currency\",\"RelatedTo\","
		    "\"LeaseContractLength\",\"PurchaseOption\",\"OfferingClass\",\"Product Family\",\"serviceCode\","
		    "\"Location\",\"Location Type\",\"Instance Type\",\"Current Generation\",\"Instance Family\",\"vCPU\","
		    "\"Physical Processor\",\"Memory\",\"Storage\",\"Network Performance\",\"Processor Architecture\","
		    "\"Tenancy\",\"Operating System\",\"License Model\",\"usageType\",\"operation\",\"Pre Installed S/W\","
		    "\"CapacityStatus\",\"Region Code\"\n");
	for (i = 0; r < rows; i++) {
		for (term = 0; term < 4 && r < rows; term++) {
			for (tier = 0; tier < (term == 0 && i % 20 == 0 ? 2 : 1) && r < rows; tier++, r++) {
				aws_row(&s, i, term, tier);
				if (end_line(&s, ROOM) < 0)
					return finish(&s, "gen_prices");
			}
		}
	}
	return finish(&s, "gen_prices");
}

/* ---- the export ---- */

static int azure_usage(uint64_t lines, uint64_t items, int no_list)
{
	static char buf[OUT_SIZE];
	struct sink s = {buf, 0};
	uint64_t state = seed_g ^ 0xa5a5a5a5ULL, n, singles = items / 50 * 48 + (items % 50 < 48 ? items % 50 : 48);

	if (singles == 0) {
		fprintf(stderr, "gen_prices: no single-tier meter among %llu items\n", (unsigned long long)items);
		return 2;
	}
	put_str(&s, "SubscriptionId,Date,ChargeType,PricingModel,BillingCurrency,CostInBillingCurrency,PayGPrice,"
		    "Quantity,MeterCategory,MeterId,UnitOfMeasure,MeterRegion,ResourceLocation\n");
	for (n = 0; n < lines; n++) {
		uint64_t j = below(&state, singles), m = j / 48 * 50 + j % 48, sub = pick_skewed(&state, 2000);
		uint64_t qty = 1 + below(&state, 24 * MICRO), day = 1 + below(&state, 31), price = price_of(m);
		char guid[40];

		snprintf(guid, sizeof(guid), "%08llx-1111-4222-8333-%012llx", (unsigned long long)(mix64(sub) >> 32),
			 (unsigned long long)sub);
		put_str(&s, guid);
		put_str(&s, day < 10 ? ",10/0" : ",10/");
		put_u64(&s, day, 0);
		put_str(&s, "/2026,Usage,OnDemand,USD,");
		put_num(&s, (__int128)(qty * price / MICRO), 6, NUM_SHORT);
		put_ch(&s, ',');
		if (!no_list)
			put_num(&s, (__int128)price, 6, NUM_SHORT);
		put_ch(&s, ',');
		put_num(&s, (__int128)qty, 6, NUM_SHORT);
		put_ch(&s, ',');
		put_str(&s, services[m % 4]);
		put_ch(&s, ',');
		put_meter(&s, m);
		put_ch(&s, ',');
		put_str(&s, unit_of(m));
		put_ch(&s, ',');
		put_str(&s, regions[m % 8][1]);
		put_ch(&s, ',');
		put_str(&s, regions[m % 8][0]);
		if (end_line(&s, ROOM) < 0)
			break;
	}
	return finish(&s, "gen_prices");
}

int main(int argc, char **argv)
{
	uint64_t n, items = 0;

	if (argc >= 4 && parse_u64(argv[2], &n) == 0 && parse_u64(argv[3], &seed_g) == 0) {
		if (strcmp(argv[1], "azure-pages") == 0 && argc == 5)
			return azure_pages(n, argv[4]);
		if (strcmp(argv[1], "aws-offer") == 0 && argc == 4)
			return aws_offer(n);
		if (strcmp(argv[1], "azure-usage") == 0 && (argc == 5 || argc == 6) && parse_u64(argv[4], &items) == 0 &&
		    (argc == 5 || strcmp(argv[5], "--no-list") == 0))
			return azure_usage(n, items, argc == 6);
	}
	fprintf(stderr, "usage: gen_prices azure-pages ITEMS SEED DIR | aws-offer ROWS SEED |\n"
			"       azure-usage LINES SEED ITEMS [--no-list]\n");
	return 2;
}
