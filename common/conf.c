/* Splitting a config line into fields. */
#include "conf.h"

#include <string.h>

#include "banned.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int pb_conf_split(const char *s, size_t n, struct pb_conf_field *f, int max, unsigned *bad_col)
{
	size_t i = 0;
	int k = 0;

	for (;;) {
		while (i < n && blank(s[i]))
			i++;
		if (i >= n || s[i] == '#')
			return k;
		if (k == max) {
			*bad_col = (unsigned)i + 1;
			return PB_CONF_TOO_MANY;
		}
		f[k].col = (unsigned)i + 1;
		if (s[i] == '"') {
			const char *q = memchr(s + i + 1, '"', n - i - 1);

			if (!q) {
				*bad_col = (unsigned)i + 1;
				return PB_CONF_OPEN_QUOTE;
			}
			f[k].p = s + i + 1;
			f[k].n = (size_t)(q - (s + i + 1));
			i = (size_t)(q - s) + 1;
		} else {
			f[k].p = s + i;
			while (i < n && !blank(s[i]) && s[i] != '#')
				i++;
			f[k].n = (size_t)(s + i - f[k].p);
		}
		k++;
	}
}
