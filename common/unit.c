/* Units of measure read as a count of a base unit, as pb-ingest prices a line and pb-prices shows a price. */
#include "unit.h"

#include "text.h"

#include "banned.h"

int pb_unit_parse(const char *s, size_t len, uint32_t *count, char *base, size_t cap)
{
	const char *end = s + len;
	uint64_t c = 0;
	size_t o = 0, word = 0;
	int digits = 0, blank = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (s < end && *s >= '0' && *s <= '9' && c <= 1000000000) {
		c = c * 10 + (uint64_t)(*s++ - '0');
		digits++;
	}
	/* In either case: units are compared without case, so "10k hours" is "10K Hours", not 10 of "k hour". */
	if (digits && s < end && (*s == 'K' || *s == 'M' || *s == 'k' || *s == 'm') &&
	    (s + 1 == end || s[1] == ' ' || s[1] == '/')) {
		c *= *s == 'K' || *s == 'k' ? 1000 : 1000000;
		s++;
	}
	if (!digits)
		c = 1;
	if (c < 1 || c > 1000000000)
		return -1;
	*count = (uint32_t)c;
	/* "1/Hour" is "1 Hour". */
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s < end && *s == '/')
		s++;
	for (; s <= end; s++) {
		char ch = s < end ? *s : '\0';

		/* At a word's end: drop the plural 's' of a word of four letters or more ("hours", not "hrs"). */
		if (ch == '\0' || ch == ' ' || ch == '\t' || ch == '/' || ch == '-') {
			if (o - word >= 4 && base[o - 1] == 's' && base[o - 2] != 's')
				o--;
			if (ch == '\0')
				break;
			if (ch == ' ' || ch == '\t') {
				blank = 1;
				word = o;
				continue;
			}
		}
		/* Blanks around a "/" are dropped, whichever side: "1 GB /Month" is "1 GB/Month". */
		if (blank && o > 0 && ch != '/' && base[o - 1] != '/') {
			if (o + 1 >= cap)
				return -1;
			base[o++] = ' ';
		}
		blank = 0;
		if (o + 1 >= cap)
			return -1;
		base[o++] = pb_ascii_lower(ch);
		if (ch == '/' || ch == '-')
			word = o;
	}
	while (o > 0 && base[o - 1] == ' ')
		o--;
	base[o] = '\0';
	return 0;
}
