/* Splitting a config line into fields. */
#include "conf.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcode.h"
#include "input.h"
#include "url.h"

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

/* The next component of the path at p that counts (not empty, not "."), its length in *len; NULL at the end. */
static const char *next_component(const char *p, size_t *len)
{
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return NULL;
		*len = strcspn(p, "/");
		if (!(*len == 1 && p[0] == '.'))
			return p;
		p += *len;
	}
}

/*
 * The installed copy of config file NAME for a program at prog, PREFIX/share/partnerbill/NAME for prog in
 * PREFIX/bin, into path. PREFIX is taken from the text of prog, so that a link on the way is not resolved;
 * empty and "." components do not count ("bin//x", "bin/./x"), and "x" or "./x" has ".." as its PREFIX.
 * 0, or -1 when out of memory.
 */
static int installed_copy(const char *prog, const char *name, struct pb_buf *path)
{
	size_t n = 0, k = 0, m;
	const char *p;

	for (p = prog; (p = next_component(p, &m)); p += m)
		n++;
	pb_buf_reset(path);
	if (prog[0] == '/')
		pb_buf_addch(path, '/');
	/* The last component is the program, the one before it its bin folder, the ones before PREFIX. */
	for (p = prog; k + 2 < n && (p = next_component(p, &m)); p += m, k++)
		pb_buf_addf(path, "%.*s/", (int)m, p);
	if (n < 2 && prog[0] != '/')
		pb_buf_addstr(path, "../");
	else if (n == 2 && prog[0] != '/')
		pb_buf_addstr(path, "./");
	pb_buf_addf(path, "share/partnerbill/%s", name);
	return path->failed ? -1 : 0;
}

/*
 * The installed copies of NAME for the program as the links to it resolve (/proc/self/exe, or without /proc
 * the path it was run as, resolved) and as it was run (AT_EXECFN: for a bin folder that is a link to another
 * depth). The resolved one is first, with or without /proc. Returns how many, 0 to 2.
 */
static int installed_copies(const char *name, struct pb_buf copies[2])
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *run = (const char *)getauxval(AT_EXECFN);
	int k = 0;

	if (n > 0)
		exe[n] = '\0';
	if ((n > 0 || (run && realpath(run, exe))) && installed_copy(exe, name, &copies[k]) == 0)
		k++;
	if (run && installed_copy(run, name, &copies[k]) == 0)
		k++;
	return k;
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
	struct pb_buf copies[2] = {PB_BUF_INIT, PB_BUF_INIT};
	int ncopies = 0, i, ret = 0;

	pb_buf_reset(path);
	if (option) {
		pb_buf_addstr(path, option);
		goto out;
	}
	if (value && *value) {
		pb_buf_addstr(path, value);
		goto out;
	}
	ncopies = installed_copies(name, copies);
	for (i = 0; i < ncopies; i++) {
		const char *copy = pb_buf_str(&copies[i]);

		if (!installed_layout(copy))
			continue;
		/* Installed: its own copy or nothing, whatever the current folder holds. */
		if (access(copy, R_OK) != 0) {
			int e = errno;

			pb_buf_reset(err);
			pb_buf_addf(err,
				    "%s (cannot read the installed copy '%s': %s; an installed program does not read "
				    "config/ in the current folder)",
				    missing, copy, strerror(e));
			ret = -1;
			goto out;
		}
		pb_buf_addstr(path, copy);
		goto out;
	}
	pb_buf_addf(path, "config/%s", name);
	if (access(pb_buf_str(path), F_OK) == 0)
		goto out;
	pb_buf_reset(err);
	pb_buf_addf(err, "%s (looked for %s%sconfig/%s)", missing, ncopies ? pb_buf_str(&copies[0]) : "",
		    ncopies ? " and " : "", name);
	ret = -1;
out:
	pb_buf_release(&copies[0]);
	pb_buf_release(&copies[1]);
	if (ret == 0 && path->failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		ret = -1;
	}
	return ret;
}

/*
 * The local file a config path names, to free, or NULL for an address (file:// names a local file, its path
 * percent-decoded; NULL too for one that names none: opening it says why).
 */
static char *local_file(const char *path)
{
	struct pb_buf why = PB_BUF_INIT;
	char *file = NULL;

	if (strncmp(path, "file://", 7) == 0)
		file = pb_url_file_path(path, &why);
	else if (!strstr(path, "://"))
		file = strdup(path);
	pb_buf_release(&why);
	return file;
}

int pb_conf_read(const char *path, size_t max, struct pb_buf *text, struct pb_buf *shown, struct pb_buf *err)
{
	struct pb_input *in = NULL;
	char *file = local_file(path);
	struct stat st;
	int rc;

	pb_buf_reset(text);
	pb_buf_reset(shown);
	pb_url_add(shown, path);
	/* Standard input, a FIFO or a device would be read as the config, or wait for ever: named wrong. */
	if (strcmp(path, "-") == 0 || (file && stat(file, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
		pb_buf_reset(err);
		pb_buf_addf(err, "'%s' is not a file: a config is a regular file or an address", pb_buf_str(shown));
		free(file);
		return PB_ERR_USAGE;
	}
	rc = pb_input_open_ex(path, 0, NULL, &in, err);
	/*
	 * Named wrong: a file that cannot be opened, an address the server does not have, a scheme or a store
	 * that is not set up. A download that failed after its retries is the network's failure; a local file
	 * that is there and readable but cannot be opened as what it says it is (a bad zip) is bad data.
	 */
	if (rc < 0) {
		if (pb_input_not_there(err))
			rc = PB_ERR_USAGE;
		else if (rc == PB_INPUT_ERR_REMOTE)
			rc = PB_ERR_DEPENDENCY;
		else
			rc = file && access(file, R_OK) == 0 && stat(file, &st) == 0 && S_ISREG(st.st_mode)
				     ? PB_ERR_DATA
				     : PB_ERR_USAGE;
		free(file);
		return rc;
	}
	free(file);
	rc = 0;
	if (pb_input_read_all(in, max, text, err) < 0)
		rc = pb_input_remote_failed(in) ? PB_ERR_DEPENDENCY : PB_ERR_DATA;
	pb_input_free(in);
	return rc;
}
