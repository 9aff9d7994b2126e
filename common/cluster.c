/*
 * The local cluster: initdb and pg_ctl from the server packages. PostgreSQL refuses to run as root, so
 * as root they run as the postgres system user, on a folder that user owns.
 */
#include "cluster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db.h"
#include "opts.h"

#include "banned.h"

/* The child's exit status when it cannot open its log as the server user. */
#define CANNOT_REACH 125
/* The child's exit status when it cannot run the program (its errno through the pipe). */
#define CANNOT_EXEC 127

int pb_cluster_bindir(char *out, size_t n, struct pb_buf *err)
{
	const char *env = getenv("PB_PG_BINDIR");
	DIR *d;
	struct dirent *e;
	long best = -1;

	if (env && *env) {
		snprintf(out, n, "%s", env);
		return 0;
	}
	d = opendir("/usr/lib/postgresql");
	if (d) {
		while ((e = readdir(d))) {
			char *end;
			long v = strtol(e->d_name, &end, 10);
			char probe[PATH_MAX];

			if (*end || end == e->d_name || v <= best)
				continue;
			snprintf(probe, sizeof(probe), "/usr/lib/postgresql/%ld/bin/initdb", v);
			if (access(probe, X_OK) == 0)
				best = v;
		}
		closedir(d);
	}
	if (best < 0) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "no PostgreSQL server found in /usr/lib/postgresql (run 'make deps', or set "
				   "PB_PG_BINDIR)");
		return -1;
	}
	snprintf(out, n, "/usr/lib/postgresql/%ld/bin", best);
	return 0;
}

/* The postgres system user when running as root; NULL otherwise. */
static const struct passwd *server_user(struct pb_buf *err, int *failed)
{
	const struct passwd *pw;

	*failed = 0;
	if (geteuid() != 0)
		return NULL;
	pw = getpwnam("postgres");
	if (!pw) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "running as root needs the postgres system user (install the postgresql package)");
		*failed = 1;
	}
	return pw;
}

/*
 * Removes the PG* variables of the environment (in the child about to run a server program): the server
 * would take PGPORT, PGDATESTYLE and PGCLIENTENCODING as its defaults, and pg_ctl PGOPTIONS, so a shell set
 * up for another cluster would start this one on another socket. Its configuration alone decides.
 */
static void drop_pg_environment(void)
{
	extern char **environ;
	size_t i = 0;

	while (environ && environ[i]) {
		const char *eq = strchr(environ[i], '=');
		char name[256];

		if (strncmp(environ[i], "PG", 2) != 0 || !eq || (size_t)(eq - environ[i]) >= sizeof(name)) {
			i++;
			continue;
		}
		memcpy(name, environ[i], (size_t)(eq - environ[i]));
		name[eq - environ[i]] = '\0';
		unsetenv(name); /* environ[i] is now the next variable */
	}
}

/*
 * When the folder of file is not the server's user's (pw; a cluster restored or copied as root or another
 * user), err says whose it is and how to give it back, and 1 is returned; else 0. The server's user was told
 * that the folders above file must be reachable by it, which they were.
 */
static int foreign_folder(const char *file, const struct passwd *pw, struct pb_buf *err)
{
	char dir[PATH_MAX], server[64];
	const char *slash = strrchr(file, '/');
	const struct passwd *owner;
	struct stat st;
	uid_t uid = pw->pw_uid;

	if (!slash || (size_t)(slash - file) >= sizeof(dir) || snprintf(server, sizeof(server), "%s", pw->pw_name) < 0)
		return 0;
	memcpy(dir, file, (size_t)(slash - file));
	dir[slash - file] = '\0';
	if (stat(dir, &st) < 0 || st.st_uid == uid)
		return 0;
	owner = getpwuid(st.st_uid); /* overwrites what pw points to: its name and number were copied */
	pb_buf_reset(err);
	pb_buf_addf(err, "the %s user cannot write '%s': '%s' is ", server, file, dir);
	if (owner)
		pb_buf_addf(err, "user %s's", owner->pw_name);
	else
		pb_buf_addf(err, "user number %lu's", (unsigned long)st.st_uid);
	pb_buf_addf(err, ", not %s's (give it back: chown -R %s '%s')", server, server, dir);
	return 1;
}

/*
 * Runs bindir/prog with argv, as the server user when root, output appended to logfile. Returns the
 * exit status, or -1 with a message.
 */
static int run(const char *bindir, const char *prog, char *const argv[], const char *logfile, struct pb_buf *err)
{
	char path[PATH_MAX];
	const struct passwd *pw;
	int failed, status, why[2], open_errno = 0;
	pid_t pid;

	pw = server_user(err, &failed);
	if (failed)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", bindir, prog);
	/* The child tells why it could not open the log, or run the program, through this pipe, closed at its exec. */
	if (pipe2(why, O_CLOEXEC) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot start %s: %s", prog, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot start %s: %s", prog, strerror(errno));
		close(why[0]);
		close(why[1]);
		return -1;
	}
	if (pid == 0) {
		int fd;

		close(why[0]);
		if (pw && (setgid(pw->pw_gid) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0))
			_exit(126);
		fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			int e = errno;

			if (write(why[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
				_exit(126);
			_exit(CANNOT_REACH);
		}
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		drop_pg_environment();
		pb_sigxfsz_restore();
		execv(path, argv);
		{
			int e = errno;

			if (write(why[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
				_exit(126);
		}
		_exit(CANNOT_EXEC);
	}
	close(why[1]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			pb_buf_reset(err);
			pb_buf_addf(err, "cannot wait for %s: %s", prog, strerror(errno));
			close(why[0]);
			return -1;
		}
	}
	if (read(why[0], &open_errno, sizeof(open_errno)) != (ssize_t)sizeof(open_errno))
		open_errno = 0;
	close(why[0]);
	if (!WIFEXITED(status)) {
		pb_buf_reset(err);
		pb_buf_addf(err, "%s was killed by signal %d", prog, WTERMSIG(status));
		return -1;
	}
	/*
	 * A PB_PG_BINDIR without the program (mistyped, or the version it named removed): init and start said
	 * "failed (exit 127): see server.log", which was empty, and status and stop took the exit status for a
	 * stopped server, stop saying "is stopped" (exit 0) of one that ran on.
	 */
	if (WEXITSTATUS(status) == CANNOT_EXEC && open_errno) {
		const char *env = getenv("PB_PG_BINDIR");

		pb_buf_reset(err);
		pb_buf_addf(err, "cannot run '%s': %s%s%s%s", path, strerror(open_errno),
			    env && *env ? " (PB_PG_BINDIR is '" : "", env && *env ? env : "",
			    env && *env ? "': set it to the bin folder of a PostgreSQL server, or unset it)" : "");
		return -1;
	}
	if (WEXITSTATUS(status) == CANNOT_REACH && open_errno && open_errno != EACCES) {
		pb_buf_reset(err);
		pb_buf_addf(err, "the %s user cannot write '%s': %s", pw ? pw->pw_name : "current", logfile,
			    strerror(open_errno));
		return -1;
	}
	if (WEXITSTATUS(status) == CANNOT_REACH && pw && foreign_folder(logfile, pw, err))
		return -1;
	if (WEXITSTATUS(status) == CANNOT_REACH) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "the %s user cannot write '%s': the folders above it must be reachable by it (or set "
			    "PB_VAR_DIR to a folder that is)",
			    pw ? pw->pw_name : "current", logfile);
		return -1;
	}
	return WEXITSTATUS(status);
}

/* The size of file, where what a program is about to append to it starts; 0 when it is not there. */
static long log_size(const char *file)
{
	struct stat st;

	return stat(file, &st) == 0 ? (long)st.st_size : 0;
}

/*
 * Appends the first line of file from offset from that says why a server program failed (FATAL:, PANIC:,
 * or initdb's and pg_ctl's "error:"), without the server's time and process prefix; failing that, the first of
 * pg_ctl's own lines ("pg_ctl: could not open PID file ...", written without "error:" and before it starts the
 * server) other than its "could not start server". Returns whether it did.
 */
static int add_log_reason(struct pb_buf *out, const char *file, long from)
{
	static const char generic[] = "pg_ctl: could not start server";
	char line[1024];
	struct pb_buf pg_ctl = PB_BUF_INIT;
	const char *why;
	FILE *f = fopen(file, "r");
	int found = 0;

	if (!f)
		return 0;
	if (fseek(f, from, SEEK_SET) == 0) {
		while (!found && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (!pg_ctl.len && strncmp(line, "pg_ctl: ", 8) == 0 && strcmp(line, generic) != 0)
				pb_buf_addstr(&pg_ctl, line);
			why = strstr(line, "FATAL:");
			if (!why)
				why = strstr(line, "PANIC:");
			if (!why && strstr(line, "error:"))
				why = line;
			if (!why)
				continue;
			pb_buf_addstr(out, why);
			found = 1;
		}
	}
	fclose(f);
	if (!found && pg_ctl.len && !pg_ctl.failed) {
		pb_buf_addstr(out, pb_buf_str(&pg_ctl));
		found = 1;
	}
	pb_buf_release(&pg_ctl);
	return found;
}

/* The cluster's paths under var/pg, absolute. */
struct paths {
	struct pb_buf pg, data, run, log, version;
};

static void paths_release(struct paths *p)
{
	pb_buf_release(&p->pg);
	pb_buf_release(&p->data);
	pb_buf_release(&p->run);
	pb_buf_release(&p->log);
	pb_buf_release(&p->version);
}

#define SOCKET_NAME "/.s.PGSQL.5432"

/*
 * Says that this user cannot read the cluster in pg (errno e), and whose it is: a cluster made as root is the
 * postgres user's, its folders mode 700.
 */
static void unreadable(const char *pg, int e, struct pb_buf *err)
{
	struct stat st;
	const struct passwd *pw = stat(pg, &st) == 0 ? getpwuid(st.st_uid) : NULL;

	pb_buf_reset(err);
	pb_buf_addf(err, "cannot read the local cluster in '%s': %s", pg, strerror(e));
	if (pw)
		pb_buf_addf(err, " (it is user %s's: run pb-db as %s%s)", pw->pw_name,
			    strcmp(pw->pw_name, "postgres") == 0 ? "root or as " : "", pw->pw_name);
}

/* Whether a socket in folder dir, of len bytes, has a path that fits in a socket address, with its NUL. */
static int fits(size_t len)
{
	return len + sizeof(SOCKET_NAME) <= sizeof(((struct sockaddr_un *)0)->sun_path);
}

/* Appends var as given, made absolute: from $PWD when that is the current folder (links kept), else getcwd's. */
static void add_as_given(struct pb_buf *out, const char *var)
{
	const char *pwd = getenv("PWD");
	struct stat here, named;
	char cwd[PATH_MAX];

	if (var[0] == '/')
		pb_buf_addstr(out, var);
	else if (pwd && pwd[0] == '/' && stat(pwd, &named) == 0 && stat(".", &here) == 0 &&
		 named.st_dev == here.st_dev && named.st_ino == here.st_ino)
		pb_buf_addf(out, "%s/%s", pwd, var);
	else if (getcwd(cwd, sizeof(cwd)))
		pb_buf_addf(out, "%s/%s", cwd, var);
}

void pb_cluster_socket_dir(const char *var, const char *abs, struct pb_buf *out)
{
	struct pb_buf given = PB_BUF_INIT;

	if (!fits(strlen(abs) + strlen("/pg/run"))) {
		add_as_given(&given, var);
		pb_buf_addstr(&given, "/pg/run");
	}
	if (given.len && !given.failed && pb_buf_str(&given)[0] == '/' && fits(given.len))
		pb_buf_addstr(out, pb_buf_str(&given));
	else
		pb_buf_addf(out, "%s/pg/run", abs);
	pb_buf_release(&given);
}

/*
 * Fills p from var (created when create is set). Returns 0; -2 when var does not exist; -1 with a message
 * (both).
 */
static int paths_init(struct paths *p, const char *var, int create, struct pb_buf *err)
{
	char abs[PATH_MAX];

	memset(p, 0, sizeof(*p));
	pb_buf_init(&p->pg, 0);
	pb_buf_init(&p->data, 0);
	pb_buf_init(&p->run, 0);
	pb_buf_init(&p->log, 0);
	pb_buf_init(&p->version, 0);
	if (create && mkdir(var, 0755) < 0 && errno != EEXIST) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot create '%s': %s", var, strerror(errno));
		return -1;
	}
	if (!realpath(var, abs)) {
		int e = errno;

		pb_buf_reset(err);
		if (e != ENOENT) {
			pb_buf_addf(err, "cannot reach '%s': %s", var, strerror(e));
			return -1;
		}
		/*
		 * A link to a folder that is not there: mkdir found the link, and init cannot make the cluster; start
		 * sent its user to init.
		 */
		{
			char to[PATH_MAX];
			ssize_t n = readlink(var, to, sizeof(to) - 1);

			if (n >= 0) {
				to[n] = '\0';
				pb_buf_addf(err,
					    "%s'%s' is a link to '%s', which does not exist: make that folder, or set "
					    "PB_VAR_DIR to another",
					    create ? "" : "no local cluster: ", var, to);
				return create ? -1 : -2;
			}
		}
		pb_buf_addf(err, "no local cluster: '%s' does not exist (run 'pb-db init')", var);
		return -2;
	}
	pb_buf_addf(&p->pg, "%s/pg", abs);
	pb_buf_addf(&p->data, "%s/pg/data", abs);
	pb_cluster_socket_dir(var, abs, &p->run);
	pb_buf_addf(&p->log, "%s/pg/server.log", abs);
	pb_buf_addf(&p->version, "%s/pg/data/PG_VERSION", abs);
	if (p->pg.failed || p->data.failed || p->run.failed || p->log.failed || p->version.failed) {
		pb_buf_reset(err);
		pb_buf_addstr(err, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Whether the server's socket, run/.s.PGSQL.5432, fits in a socket address (sun_path, with its NUL), and its
 * folder can be named: a comma splits libpq's host and the server's unix_socket_directories into a list,
 * pg_ctl starts the server through a shell, the folder between quotation marks, and initdb and pg_ctl refuse
 * a path with a line break.
 */
static int socket_fits(const struct paths *p, struct pb_buf *err)
{
	const char *bad = strpbrk(pb_buf_str(&p->run), ",\"$`\\\n\r");

	if (bad) {
		pb_buf_reset(err);
		if (*bad == '\n' || *bad == '\r')
			pb_buf_addf(
				err,
				"the cluster's folder '%s' holds a line break, which initdb and pg_ctl refuse: give "
				"PB_VAR_DIR a folder without one",
				pb_buf_str(&p->pg));
		else if (*bad == ',')
			pb_buf_addf(
				err,
				"the cluster's socket folder '%s' holds a comma, which libpq and the server read as a "
				"list: give PB_VAR_DIR a folder without one",
				pb_buf_str(&p->run));
		else
			pb_buf_addf(err,
				    "the cluster's folder '%s' holds '%c', which pg_ctl's shell would read: give "
				    "PB_VAR_DIR a folder without one",
				    pb_buf_str(&p->pg), *bad);
		return 0;
	}
	if (fits(p->run.len))
		return 1;
	pb_buf_reset(err);
	pb_buf_addf(err,
		    "the cluster's socket '%s" SOCKET_NAME "' would be %zu bytes, more than a socket's %zu: give "
		    "PB_VAR_DIR a shorter folder",
		    pb_buf_str(&p->run), p->run.len + sizeof(SOCKET_NAME) - 1,
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	return 0;
}

static int make_owned_dir(const char *path, const struct passwd *pw, struct pb_buf *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	if (pw && chown(path, pw->pw_uid, pw->pw_gid) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot give '%s' to the postgres user: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Takes an exclusive lock on the folder var (flock, released when the descriptor is closed, or the process
 * ends), so that pb-db init, start and stop run one at a time: two inits would each build the cluster, and
 * of two starts that both found it stopped the second's pg_ctl would fail. Returns the descriptor; -2 when
 * var does not exist (nothing to lock: there is no cluster); -1 with a message.
 */
static int lock_var(const char *var, struct pb_buf *err)
{
	int fd = open(var, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return -2;
	if (fd < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot open '%s': %s", var, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			pb_buf_reset(err);
			pb_buf_addf(err, "cannot lock '%s': %s", var, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

/* Removes the folder path and all it holds, if it is there (what a failed init left). 0, or -1 with a message. */
static int remove_tree(const char *path, struct pb_buf *err)
{
	if (access(path, F_OK) < 0 || nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "cannot remove '%s', left by an init that failed: %s", path, strerror(errno));
	return -1;
}

int pb_cluster_init(const char *var, struct pb_buf *err)
{
	struct paths p;
	struct pb_buf conf = PB_BUF_INIT, fresh = PB_BUF_INIT;
	char bindir[PATH_MAX];
	const struct passwd *pw;
	int failed, rc, had_var, lock = -2, ret = -1;
	long from;
	FILE *f;

	had_var = access(var, F_OK) == 0;
	if (paths_init(&p, var, 1, err) < 0)
		goto out;
	if (!socket_fits(&p, err)) {
		if (!had_var)
			rmdir(var); /* made just now, and empty: nothing left behind */
		goto out;
	}
	if (pb_cluster_bindir(bindir, sizeof(bindir), err) < 0)
		goto out;
	lock = lock_var(var, err);
	if (lock == -1)
		goto out;
	if (access(pb_buf_str(&p.version), F_OK) == 0) {
		ret = 1;
		goto out;
	}
	if (errno != ENOENT) {
		unreadable(pb_buf_str(&p.pg), errno, err);
		goto out;
	}
	pw = server_user(err, &failed);
	if (failed)
		goto out;
	/*
	 * initdb works in data.new, which becomes data once configured: an init that fails or is killed half-way
	 * leaves no data/PG_VERSION, which would pass for a cluster made (one without its socket settings
	 * listens on localhost with trust authentication), and the next init starts over.
	 */
	pb_buf_addf(&fresh, "%s.new", pb_buf_str(&p.data));
	if (make_owned_dir(pb_buf_str(&p.pg), pw, err) < 0 || make_owned_dir(pb_buf_str(&p.run), pw, err) < 0 ||
	    remove_tree(pb_buf_str(&fresh), err) < 0 || make_owned_dir(pb_buf_str(&fresh), pw, err) < 0)
		goto out;
	{
		char *argv[] = {"initdb", "-D",		  (char *)pb_buf_str(&fresh), "-U",
				"pb",	  "--auth=trust", "--encoding=UTF8",	      "--no-locale",
				NULL};

		from = log_size(pb_buf_str(&p.log));
		rc = run(bindir, "initdb", argv, pb_buf_str(&p.log), err);
	}
	if (rc > 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "initdb failed (exit %d): ", rc);
		if (add_log_reason(err, pb_buf_str(&p.log), from))
			pb_buf_addf(err, " (see '%s')", pb_buf_str(&p.log));
		else
			pb_buf_addf(err, "see '%s'%s", pb_buf_str(&p.log),
				    pw ? "; the postgres user must be able to reach that folder" : "");
	}
	if (rc != 0)
		goto out;
	pb_buf_addf(&conf, "%s/postgresql.auto.conf", pb_buf_str(&fresh));
	f = fopen(pb_buf_str(&conf), "a");
	if (!f) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot open '%s': %s", pb_buf_str(&conf), strerror(errno));
		goto out;
	}
	/* No TCP listener: the socket in run/ is the only way in. */
	fputs("listen_addresses = ''\nunix_socket_directories = '", f);
	/* A quote doubled, as the configuration file quotes it (socket_fits refused a backslash). */
	for (const char *c = pb_buf_str(&p.run); *c; c++) {
		if (*c == '\'')
			fputc('\'', f);
		fputc(*c, f);
	}
	fputs("'\n", f);
	/*
	 * No WAL kept for replicas or archives: a table made and filled in one transaction (an import's daily
	 * rows) is then written without WAL and synced at commit, instead of going to disk twice. Crash
	 * recovery is the same; a cluster to replicate is one's own server (PB_DATABASE_URL).
	 */
	fprintf(f, "wal_level = minimal\nmax_wal_senders = 0\n");
	if (fclose(f) != 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot write '%s': %s", pb_buf_str(&conf), strerror(errno));
		goto out;
	}
	if (rename(pb_buf_str(&fresh), pb_buf_str(&p.data)) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot rename '%s' to '%s': %s", pb_buf_str(&fresh), pb_buf_str(&p.data),
			    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (lock >= 0)
		close(lock);
	pb_buf_release(&conf);
	pb_buf_release(&fresh);
	paths_release(&p);
	return ret;
}

/* The process number on the first line of file; 0 when there is none. */
static long pid_in(const char *file)
{
	char line[32] = "", *end;
	FILE *f = fopen(file, "r");
	long pid;

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	pid = strtol(line, &end, 10);
	return end != line && (*end == '\n' || *end == '\0') && pid > 0 ? pid : 0;
}

/*
 * The process the lock file lock (data/postmaster.pid, or the socket's) names when it is alive but not this
 * cluster's server: a server killed (kill -9, a crash of the machine) leaves the file, and its number may since
 * have gone to another process of the server's user, which pg_ctl and the server itself take for a live server.
 * The server's working folder is its data folder. 0 when the file names no such process, or when that cannot
 * be told.
 */
static long stale_pid_in(const struct paths *p, const char *lock)
{
	char file[PATH_MAX], cwd[PATH_MAX], data[PATH_MAX];
	long pid = pid_in(lock);
	ssize_t n;

	if (pid <= 0 || !realpath(pb_buf_str(&p->data), data))
		return 0;
	snprintf(file, sizeof(file), "/proc/%ld/cwd", pid);
	n = readlink(file, cwd, sizeof(cwd) - 1);
	if (n < 0 && errno == ENOENT) {
		/* A process with no folder is a zombie: the server that was killed, not yet reaped. */
		snprintf(file, sizeof(file), "/proc/%ld", pid);
		return access(file, F_OK) == 0 ? pid : 0;
	}
	if (n < 0)
		/* Not root: the server runs as this user, whose processes' folders can be read. */
		return errno == EACCES && geteuid() != 0 ? pid : 0;
	cwd[n] = '\0';
	return strcmp(cwd, data) != 0 ? pid : 0;
}

/* stale_pid_in for data/postmaster.pid. */
static long stale_pid(const struct paths *p)
{
	char file[PATH_MAX];

	if ((size_t)snprintf(file, sizeof(file), "%s/postmaster.pid", pb_buf_str(&p->data)) >= sizeof(file))
		return 0;
	return stale_pid_in(p, file);
}

/*
 * Whether data/postmaster.pid is there without a process number (empty, or cut short): what a machine that
 * crashed while the server was starting can leave, and which pg_ctl and the server refuse ("the PID file is
 * empty") rather than take for stale.
 */
static int pid_file_garbled(const struct paths *p)
{
	char file[PATH_MAX];

	if ((size_t)snprintf(file, sizeof(file), "%s/postmaster.pid", pb_buf_str(&p->data)) >= sizeof(file))
		return 0;
	return access(file, F_OK) == 0 && pid_in(file) == 0;
}

/* Whether process pid is alive and works in the folder data (a zombie works nowhere). */
static int works_in(long pid, const char *data)
{
	char file[64], cwd[PATH_MAX];
	ssize_t n;

	snprintf(file, sizeof(file), "/proc/%ld/cwd", pid);
	n = readlink(file, cwd, sizeof(cwd) - 1);
	if (n < 0)
		return 0;
	cwd[n] = '\0';
	return strcmp(cwd, data) == 0;
}

/* The first line of /proc/PID/what into line (size n, without its line feed): 0, or -1 when it cannot be read. */
static int proc_line(long pid, const char *what, char *line, size_t n)
{
	char file[64];
	FILE *f;

	line[0] = '\0';
	snprintf(file, sizeof(file), "/proc/%ld/%s", pid, what);
	f = fopen(file, "r");
	if (!f)
		return -1;
	if (!fgets(line, (int)n, f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	return 0;
}

/* The parent of process pid (/proc/PID/stat's fourth field, after the name in parentheses); 0 when unknown. */
static long parent_of(long pid)
{
	char line[512], *p, *end;
	long parent;

	if (proc_line(pid, "stat", line, sizeof(line)) < 0)
		return 0;
	p = strrchr(line, ')');
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return 0;
	parent = strtol(p + 4, &end, 10);
	return end != p + 4 && parent > 0 ? parent : 0;
}

/* Whether process pid is a PostgreSQL server process (of any cluster): its name is postgres. */
static int is_server(long pid)
{
	char name[32];

	if (proc_line(pid, "comm", name, sizeof(name)) < 0)
		return 0;
	return strcmp(name, "postgres") == 0 || strcmp(name, "postmaster") == 0;
}

/*
 * A live process working in the folder data: a child of a server that was killed, still attached to its
 * shared memory (the server checks that through postmaster.pid, which is about to go). With server set, the
 * server working there, found through its children (a server always has some: checkpointer, background
 * writer...), which work there too: the children a killed server left are no server's. 0 when there is none.
 */
static long process_in(const char *data, int server)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long found = 0;

	while (d && !found && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10), parent;

		if (*end || end == e->d_name || pid <= 0 || !works_in(pid, data))
			continue;
		if (!server)
			found = pid;
		else if (is_server(pid) && (parent = parent_of(pid)) > 0 && works_in(parent, data) && is_server(parent))
			found = parent;
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * The server that runs in p's data folder while data/postmaster.pid is not there (removed under it, by hand or
 * by a cleaner of old files), which pg_ctl then takes for stopped: the process the socket's lock file names when
 * it is a server working there, else the server process_in finds there. 0 when there is none, or postmaster.pid is
 * there.
 */
static long server_without_pid_file(const struct paths *p)
{
	char file[PATH_MAX], data[PATH_MAX];
	long pid;

	if (!realpath(pb_buf_str(&p->data), data) ||
	    (size_t)snprintf(file, sizeof(file), "%s/postmaster.pid", data) >= sizeof(file) ||
	    access(file, F_OK) == 0 || errno != ENOENT)
		return 0;
	if ((size_t)snprintf(file, sizeof(file), "%s" SOCKET_NAME ".lock", pb_buf_str(&p->run)) < sizeof(file)) {
		pid = pid_in(file);
		if (pid > 0 && is_server(pid) && works_in(pid, data))
			return pid;
	}
	return process_in(data, 1);
}

/* Appends "server process N runs in 'DATA' without its postmaster.pid, ..." for pid, the server of p. */
static void add_no_pid_file(struct pb_buf *out, const struct paths *p, long pid)
{
	pb_buf_addf(out, "server process %ld runs in '%s' without its postmaster.pid, which was removed under it", pid,
		    pb_buf_str(&p->data));
}

void pb_cluster_no_pid_file(const char *var, struct pb_buf *out)
{
	struct paths p;
	struct pb_buf ignore = PB_BUF_INIT;
	long pid;

	if (paths_init(&p, var, 0, &ignore) == 0 && (pid = server_without_pid_file(&p)) > 0)
		add_no_pid_file(out, &p, pid);
	else
		pb_buf_addstr(out, "the server runs without its postmaster.pid, which was removed under it");
	paths_release(&p);
	pb_buf_release(&ignore);
}

/*
 * Removes file when its first line is pid (a lock file of the killed server; 0: one without a process number).
 * 0, or -1 with a message.
 */
static int remove_lock(const char *file, long pid, struct pb_buf *err)
{
	if (pid_in(file) != pid || unlink(file) == 0 || errno == ENOENT)
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "cannot remove '%s', left by a server that was killed: %s", file, strerror(errno));
	return -1;
}

int pb_cluster_status(const char *var, struct pb_buf *err)
{
	struct paths p;
	char bindir[PATH_MAX];
	int rc, ret = PB_CLUSTER_ABSENT;

	rc = paths_init(&p, var, 0, err);
	if (rc == -1)
		ret = -1;
	if (rc < 0)
		goto out;
	if (access(pb_buf_str(&p.version), F_OK) != 0) {
		if (errno != ENOENT) {
			unreadable(pb_buf_str(&p.pg), errno, err);
			ret = -1;
		}
		goto out;
	}
	ret = -1;
	if (pb_cluster_bindir(bindir, sizeof(bindir), err) < 0)
		goto out;
	{
		char *argv[] = {"pg_ctl", "-D", (char *)pb_buf_str(&p.data), "status", NULL};

		rc = run(bindir, "pg_ctl", argv, "/dev/null", err);
	}
	if (rc >= 0)
		ret = rc == 0 ? PB_CLUSTER_RUNNING : PB_CLUSTER_STOPPED;
	if (ret == PB_CLUSTER_RUNNING && stale_pid(&p) > 0)
		ret = PB_CLUSTER_STALE;
	else if (ret == PB_CLUSTER_STOPPED && pid_file_garbled(&p))
		ret = PB_CLUSTER_STALE_EMPTY;
	else if (ret == PB_CLUSTER_STOPPED && server_without_pid_file(&p) > 0)
		ret = PB_CLUSTER_NO_PID_FILE;
out:
	paths_release(&p);
	return ret;
}

static int ensure_database(const char *run_dir, struct pb_buf *err)
{
	const char *keys[] = {"host", "port", "user", "dbname", "options", NULL};
	const char *vals[] = {run_dir, "5432", "pb", "postgres", PB_DB_BATCH_OPTIONS " " PB_DB_QUIET_OPTIONS, NULL};
	PGconn *conn;
	PGresult *res;
	int ret = -1;

	/* The shell's libpq variables (PGHOSTADDR, PGSERVICE, PGTARGETSESSIONATTRS...) are for other servers. */
	drop_pg_environment();
	conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		pb_db_message(err, "cannot connect to the local cluster", PQerrorMessage(conn));
		goto out;
	}
	if (pb_db_session(conn, 1, err) < 0)
		goto out;
	res = PQexec(conn, "SELECT 1 FROM pg_database WHERE datname = 'partnerbill'");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		PQclear(res);
		ret = 0;
		goto out;
	}
	PQclear(res);
	res = PQexec(conn, "CREATE DATABASE partnerbill");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot create the partnerbill database: %s", PQresultErrorMessage(res));
	} else {
		ret = 0;
	}
	PQclear(res);
out:
	PQfinish(conn);
	while (err->len && err->ptr[err->len - 1] == '\n')
		err->ptr[--err->len] = '\0';
	return ret;
}

/* Runs pg_ctl with args after -D DATA; start and stop. */
static int pg_ctl(const struct paths *p, const char *verb, struct pb_buf *err)
{
	char bindir[PATH_MAX];
	long from = log_size(pb_buf_str(&p->log));
	int rc;

	if (pb_cluster_bindir(bindir, sizeof(bindir), err) < 0)
		return -1;
	if (strcmp(verb, "start") == 0) {
		struct pb_buf opts = PB_BUF_INIT;
		char *argv[] = {"pg_ctl",
				"-D",
				(char *)pb_buf_str(&p->data),
				"-l",
				(char *)pb_buf_str(&p->log),
				"-o",
				NULL,
				"-w",
				"-t",
				"60",
				"start",
				NULL};

		/*
		 * The socket folder of var as it is now, whatever the configuration says: a var folder moved or
		 * copied keeps the folder it was made in there, where the server would fail to start, or answer for
		 * the cluster made there since. pg_ctl passes this through a shell, between quotation marks, inside
		 * which socket_fits let nothing a shell reads.
		 */
		pb_buf_addf(&opts, "-k \"%s\"", pb_buf_str(&p->run));
		argv[6] = (char *)pb_buf_str(&opts);
		rc = opts.failed ? -1 : run(bindir, "pg_ctl", argv, pb_buf_str(&p->log), err);
		if (opts.failed) {
			pb_buf_reset(err);
			pb_buf_addstr(err, "out of memory");
		}
		pb_buf_release(&opts);
	} else {
		char *argv[] = {"pg_ctl", "-D", (char *)pb_buf_str(&p->data), "-m", "fast", "-w", "-t", "60",
				"stop",	  NULL};

		rc = run(bindir, "pg_ctl", argv, pb_buf_str(&p->log), err);
	}
	if (rc > 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "the server did not %s (pg_ctl exit %d): ", verb, rc);
		if (add_log_reason(err, pb_buf_str(&p->log), from))
			pb_buf_addf(err, " (see '%s')", pb_buf_str(&p->log));
		else
			pb_buf_addf(err, "see '%s'", pb_buf_str(&p->log));
	}
	return rc == 0 ? 0 : -1;
}

static int start_locked(const char *var, struct pb_buf *err)
{
	struct paths p;
	int rc = pb_cluster_status(var, err), ret = -1;

	if (paths_init(&p, var, 0, err) < 0 || rc < 0 || !socket_fits(&p, err))
		goto out;
	if (rc == PB_CLUSTER_ABSENT) {
		pb_buf_reset(err);
		pb_buf_addf(err, "no local cluster in '%s/pg' (run 'pb-db init')", var);
		goto out;
	}
	/*
	 * pg_ctl took the server for stopped and started a second one on the same data folder, which gave up only
	 * when it found the first one's shared memory in use.
	 */
	if (rc == PB_CLUSTER_NO_PID_FILE) {
		long pid = server_without_pid_file(&p);

		pb_buf_reset(err);
		if (pid > 0)
			add_no_pid_file(err, &p, pid);
		else
			pb_buf_addstr(err, "the server runs without its postmaster.pid, which was removed under it");
		pb_buf_addstr(err, ": no second server is started on its data folder ('pb-db stop' stops it, then run "
				   "'pb-db start' again)");
		goto out;
	}
	if (rc == PB_CLUSTER_STALE || rc == PB_CLUSTER_STALE_EMPTY) {
		long pid = rc == PB_CLUSTER_STALE ? stale_pid(&p) : 0;
		struct pb_buf file = PB_BUF_INIT, sock = PB_BUF_INIT;
		char data[PATH_MAX];
		long child = 0, sock_pid;
		int i;

		/* The children of a server that was killed end within moments of it. */
		for (i = 0; i < 100 && realpath(pb_buf_str(&p.data), data) && (child = process_in(data, 0)) > 0; i++)
			usleep(100000);
		if (child > 0) {
			pb_buf_reset(err);
			pb_buf_addf(
				err,
				"process %ld of a server that was killed still runs in '%s': end it, then run 'pb-db "
				"start' again",
				child, pb_buf_str(&p.data));
			goto out;
		}
		pb_buf_addf(&file, "%s/postmaster.pid", pb_buf_str(&p.data));
		pb_buf_addf(&sock, "%s" SOCKET_NAME ".lock", pb_buf_str(&p.run));
		/* With no number in postmaster.pid, the socket's lock file may still name the killed server. */
		sock_pid = rc == PB_CLUSTER_STALE ? pid : stale_pid_in(&p, pb_buf_str(&sock));
		rc = (pid > 0 || rc == PB_CLUSTER_STALE_EMPTY) && (remove_lock(pb_buf_str(&sock), sock_pid, err) < 0 ||
								   remove_lock(pb_buf_str(&file), pid, err) < 0)
			     ? -1
			     : PB_CLUSTER_STOPPED;
		pb_buf_release(&file);
		pb_buf_release(&sock);
		if (rc < 0)
			goto out;
	}
	/*
	 * postmaster.pid removed by hand after a kill -9 (a common advice) leaves the socket's lock file, whose
	 * number may since have gone to another process: the server refused to start ("lock file ... already
	 * exists"). It is removed as when postmaster.pid names such a process.
	 */
	if (rc == PB_CLUSTER_STOPPED) {
		struct pb_buf sock = PB_BUF_INIT;
		char data[PATH_MAX];
		long sock_pid;

		pb_buf_addf(&sock, "%s" SOCKET_NAME ".lock", pb_buf_str(&p.run));
		sock_pid = sock.failed ? 0 : stale_pid_in(&p, pb_buf_str(&sock));
		/* A server of another cluster started on this socket folder by hand keeps its lock file. */
		if (sock_pid > 0 && !is_server(sock_pid) && realpath(pb_buf_str(&p.data), data) &&
		    process_in(data, 0) == 0 && remove_lock(pb_buf_str(&sock), sock_pid, err) < 0)
			rc = -1;
		pb_buf_release(&sock);
		if (rc < 0)
			goto out;
	}
	/*
	 * The socket's folder removed (by hand, to clear a stale socket, or by a cleaner of old files; a var
	 * restored from a copy without empty folders): the server refused to start ("could not create lock file
	 * ...run/.s.PGSQL.5432.lock: No such file or directory"). It is made again, as init made it.
	 */
	if (rc == PB_CLUSTER_STOPPED && access(pb_buf_str(&p.run), F_OK) < 0 && errno == ENOENT) {
		int failed;
		const struct passwd *pw = server_user(err, &failed);

		if (failed || make_owned_dir(pb_buf_str(&p.run), pw, err) < 0)
			goto out;
	}
	if (rc == PB_CLUSTER_STOPPED && pg_ctl(&p, "start", err) < 0)
		goto out;
	ret = ensure_database(pb_buf_str(&p.run), err);
out:
	paths_release(&p);
	return ret;
}

/*
 * Stops the server that runs without its postmaster.pid, which pg_ctl cannot stop (it finds the process there): a
 * fast shutdown, as pg_ctl's (SIGINT to the server), and a wait of a minute at most for it to end. 0, or -1.
 */
static int stop_without_pid_file(const struct paths *p, struct pb_buf *err)
{
	char data[PATH_MAX];
	long pid = server_without_pid_file(p);
	int i;

	if (pid <= 0 || !realpath(pb_buf_str(&p->data), data))
		return 0; /* gone meanwhile */
	if (kill((pid_t)pid, SIGINT) < 0 && errno != ESRCH) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot stop server process %ld: %s", pid, strerror(errno));
		return -1;
	}
	for (i = 0; i < 600 && works_in(pid, data); i++)
		usleep(100000);
	if (!works_in(pid, data))
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(
		err,
		"server process %ld, which runs without its postmaster.pid, did not stop within a minute (see '%s')",
		pid, pb_buf_str(&p->log));
	return -1;
}

static int stop_locked(const char *var, struct pb_buf *err)
{
	struct paths p;
	int rc = pb_cluster_status(var, err), ret = -1;

	if (rc < 0)
		return -1;
	/*
	 * Run in another folder than the clone's, or with a PB_VAR_DIR mistyped, stop said "is stopped" (exit 0)
	 * while the cluster it was meant for ran on.
	 */
	if (rc == PB_CLUSTER_ABSENT) {
		pb_buf_reset(err);
		pb_buf_addf(err,
			    "no local cluster in '%s/pg': nothing stopped (set PB_VAR_DIR to the folder of the one to "
			    "stop)",
			    var);
		return -1;
	}
	if (rc != PB_CLUSTER_RUNNING && rc != PB_CLUSTER_NO_PID_FILE)
		return 0;
	if (paths_init(&p, var, 0, err) == 0)
		ret = rc == PB_CLUSTER_RUNNING ? pg_ctl(&p, "stop", err) : stop_without_pid_file(&p, err);
	paths_release(&p);
	return ret;
}

int pb_cluster_start(const char *var, struct pb_buf *err)
{
	int lock = lock_var(var, err), ret;

	if (lock == -1)
		return -1;
	ret = start_locked(var, err);
	if (lock >= 0)
		close(lock);
	return ret;
}

int pb_cluster_stop(const char *var, struct pb_buf *err)
{
	int lock = lock_var(var, err), ret;

	if (lock == -1)
		return -1;
	ret = stop_locked(var, err);
	if (lock >= 0)
		close(lock);
	return ret;
}
