/* Splitting a config line into fields. */
#include "conf.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

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

int pb_conf_installed(const char *name, struct pb_buf *path)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	slash[1] = '\0';
	pb_buf_reset(path);
	pb_buf_addf(path, "%sshare/partnerbill/%s", exe, name);
	return path->failed ? -1 : 0;
}
