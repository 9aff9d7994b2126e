/* The officially assigned ISO 3166-1 alpha-2 codes (the same list as the database's pb.iso3166_alpha2). */
#include "country.h"

#include <string.h>

#include "banned.h"

/* Every assigned code, in order, each followed by a blank. */
static const char assigned[] = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ "
			       "BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
			       "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ "
			       "DE DJ DK DM DO DZ "
			       "EC EE EG EH ER ES ET "
			       "FI FJ FK FM FO FR "
			       "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY "
			       "HK HM HN HR HT HU "
			       "ID IE IL IM IN IO IQ IR IS IT "
			       "JE JM JO JP "
			       "KE KG KH KI KM KN KP KR KW KY KZ "
			       "LA LB LC LI LK LR LS LT LU LV LY "
			       "MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ "
			       "NA NC NE NF NG NI NL NO NP NR NU NZ "
			       "OM "
			       "PA PE PF PG PH PK PL PM PN PR PS PT PW PY "
			       "QA "
			       "RE RO RS RU RW "
			       "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ "
			       "TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ "
			       "UA UG UM US UY UZ "
			       "VA VC VE VG VI VN VU "
			       "WF WS "
			       "YE YT "
			       "ZA ZM ZW ";

int pb_country_valid(const char *code, size_t len)
{
	size_t i;

	if (len != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z')
		return 0;
	for (i = 0; i + 2 < sizeof(assigned); i += 3)
		if (assigned[i] == code[0] && assigned[i + 1] == code[1])
			return 1;
	return 0;
}

const char *pb_country_meant(const char *code, size_t len)
{
	/* Exceptionally reserved: the United Kingdom's and Greece's codes in some other standards. */
	static const char *const meant[][2] = {{"UK", "GB"}, {"EL", "GR"}};
	size_t i;

	if (len != 2)
		return NULL;
	for (i = 0; i < sizeof(meant) / sizeof(meant[0]); i++)
		if (memcmp(code, meant[i][0], 2) == 0)
			return meant[i][1];
	return NULL;
}
