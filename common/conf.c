/* Splitting a config line into fields. */
#include "conf.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/*
 * The installed copy of config file NAME, PREFIX/share/partnerbill/NAME for a program in PREFIX/bin, into
 * path. 0, or -1 when the program's own path cannot be read.
 */
static int installed_copy(const char *name, struct pb_buf *path)
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

/*
 * Whether the program runs from an installed layout: the folder of its installed copies (the folder of
 * copy) is there, or cannot be looked at for a reason other than its absence.
 */
static int installed_layout(const char *copy)
{
	char *dir = strdup(copy);
	struct stat st;
	int there;

	if (!dir)
		return 1; /* out of memory: the safe side, which never reads the current folder */
	there = lstat(dirname(dir), &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
	free(dir);
	return there;
}

int pb_conf_find(const char *option, const char *env, const char *name, const char *missing, struct pb_buf *path,
		 struct pb_buf *err)
{
	const char *value = getenv(env);
	struct pb_buf installed = PB_BUF_INIT;
	int have_installed, ret = 0;

	pb_buf_reset(path);
	if (option) {
		pb_buf_addstr(path, option);
		goto out;
	}
	if (value && *value) {
		pb_buf_addstr(path, value);
		goto out;
	}
	have_installed = installed_copy(name, &installed) == 0;
	if (have_installed && installed_layout(pb_buf_str(&installed))) {
		/* Installed: its own copy or nothing, whatever the current folder holds. */
		if (access(pb_buf_str(&installed), R_OK) != 0) {
			int e = errno;

			pb_buf_reset(err);
			pb_buf_addf(err,
				    "%s (cannot read the installed copy '%s': %s; an installed program does not read "
				    "config/ in the current folder)",
				    missing, pb_buf_str(&installed), strerror(e));
			ret = -1;
			goto out;
		}
		pb_buf_addstr(path, pb_buf_str(&installed));
		goto out;
	}
	pb_buf_addf(path, "config/%s", name);
	if (access(pb_buf_str(path), F_OK) == 0)
		goto out;
	pb_buf_reset(err);
	pb_buf_addf(err, "%s (looked for %s%sconfig/%s)", missing, have_installed ? pb_buf_str(&installed) : "",
		    have_installed ? " and " : "", name);
	ret = -1;
out:
	pb_buf_release(&installed);
	if (ret == 0 && path->failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = -1;
	}
	return ret;
}
