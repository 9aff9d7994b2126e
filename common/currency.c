/* The ISO 4217 list of active currency codes and their minor units (the standard's list one, 2024 edition). */
#include "currency.h"

#include <string.h>

#include "banned.h"

/* Codes whose minor unit is not 2. */
static const struct {
	char code[4];
	int minor;
} other[] = {
	{"BHD", 3}, {"BIF", 0}, {"CLF", 4}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"IQD", 3}, {"ISK", 0}, {"JOD", 3},
	{"JPY", 0}, {"KMF", 0}, {"KRW", 0}, {"KWD", 3}, {"LYD", 3}, {"OMR", 3}, {"PYG", 0}, {"RWF", 0}, {"TND", 3},
	{"UGX", 0}, {"UYI", 0}, {"UYW", 4}, {"VND", 0}, {"VUV", 0}, {"XAF", 0}, {"XOF", 0}, {"XPF", 0},
};

/* Active codes with two decimals. */
static const char two[] = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN "
			  "BZD CAD CDF CHE CHF CHW COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP "
			  "GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
			  "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN "
			  "NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE "
			  "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES "
			  "WST XCD XCG YER ZAR ZMW ZWG ";

int pb_currency_minor_unit(const char *code, size_t len)
{
	size_t i;

	if (len != 3)
		return -1;
	for (i = 0; i < 3; i++)
		if (code[i] < 'A' || code[i] > 'Z')
			return -1;
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (memcmp(other[i].code, code, 3) == 0)
			return other[i].minor;
	for (i = 0; i + 3 < sizeof(two); i += 4)
		if (memcmp(two + i, code, 3) == 0)
			return 2;
	return -1;
}
