/* Temporary file, fsync, rename, fsync of the folder: the sequence that survives a crash at any point. */
#include "atomicfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static int fail(struct pb_buf *err, const char *path, int e)
{
	pb_buf_reset(err);
	pb_buf_addf(err, "cannot write '%s': %s", path, strerror(e));
	return -1;
}

/*
 * What is at path already must be a regular file: the rename would put a new file in place of a device, a
 * FIFO, a link (/dev/stdout, /dev/full) or a folder's entry, whatever it was.
 */
static int check_target(const char *path, struct pb_buf *err)
{
	struct stat st;

	if (lstat(path, &st) != 0 || S_ISREG(st.st_mode))
		return 0;
	pb_buf_reset(err);
	pb_buf_addf(err, "cannot write '%s': not a regular file", path);
	return -1;
}

/*
 * The temporary files that exist now, for the signal handler to remove: a slot's path is written before it
 * is marked used, and it is unmarked only once the file is renamed or removed. More files at once than slots
 * are simply not removed on a signal.
 */
enum { TEMP_SLOTS = 8 };
static char temp_path[TEMP_SLOTS][PATH_MAX];
static volatile sig_atomic_t temp_used[TEMP_SLOTS];

static void remember_temp(const char *tmp)
{
	size_t n = strlen(tmp);
	int i;

	if (n >= PATH_MAX)
		return;
	for (i = 0; i < TEMP_SLOTS; i++)
		if (!temp_used[i]) {
			memcpy(temp_path[i], tmp, n + 1);
			atomic_signal_fence(memory_order_seq_cst);
			temp_used[i] = 1;
			return;
		}
}

static void forget_temp(const char *tmp)
{
	int i;

	for (i = 0; i < TEMP_SLOTS; i++)
		if (temp_used[i] && strcmp(temp_path[i], tmp) == 0) {
			temp_used[i] = 0;
			return;
		}
}

/*
 * The folder pb_atomic_mkdir made, for the signal handler to remove when it is still empty and still the one made
 * (its device and inode): its path is written before it is marked used.
 */
static char made_path[PATH_MAX];
static dev_t made_dev;
static ino_t made_ino;
static volatile sig_atomic_t made_used;

/* rmdir of the folder made, if it is still that folder: only ever an empty folder this program made. */
static void remove_made_dir(void)
{
	struct stat st;

	if (made_used && lstat(made_path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == made_dev &&
	    st.st_ino == made_ino)
		rmdir(made_path);
}

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void remove_temps_and_die(int sig)
{
	size_t i;

	for (i = 0; i < TEMP_SLOTS; i++)
		if (temp_used[i])
			unlink(temp_path[i]);
	/* After the files: the folder goes only when nothing is left in it. */
	remove_made_dir();
	/* Another stop signal that came meanwhile (blocked, pending) is dropped: the program ends by the first. */
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		if (stop_signals[i] != sig)
			signal(stop_signals[i], SIG_IGN);
	signal(sig, SIG_DFL);
	raise(sig); /* delivered when the handler returns: the program ends by the signal */
}

void pb_atomic_remove_on_signal(void)
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = remove_temps_and_die;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(&sa.sa_mask, stop_signals[i]);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
		if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue; /* nohup, or a background job's SIGINT: keep ignoring it */
		sigaction(stop_signals[i], &sa, NULL);
	}
}

/* The stop signals blocked (before: the mask to set back), so that what is made and what is noted agree. */
static void block_stop(sigset_t *before)
{
	sigset_t stop;
	size_t i;

	sigemptyset(&stop);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(&stop, stop_signals[i]);
	pthread_sigmask(SIG_BLOCK, &stop, before);
}

void pb_atomic_stop_hold(sigset_t *before)
{
	block_stop(before);
}

void pb_atomic_stop_release(const sigset_t *before)
{
	pthread_sigmask(SIG_SETMASK, before, NULL);
}

int pb_atomic_mkdir(const char *path, mode_t mode)
{
	sigset_t before;
	struct stat st;
	size_t n = strlen(path);
	int rc, e;

	block_stop(&before);
	rc = mkdir(path, mode);
	e = errno;
	if (rc == 0 && n < PATH_MAX && !made_used && lstat(path, &st) == 0) {
		memcpy(made_path, path, n + 1);
		made_dev = st.st_dev;
		made_ino = st.st_ino;
		atomic_signal_fence(memory_order_seq_cst);
		made_used = 1;
	}
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	errno = e;
	return rc;
}

void pb_atomic_mkdir_end(int remove)
{
	sigset_t before;

	block_stop(&before);
	if (remove)
		remove_made_dir();
	made_used = 0;
	pthread_sigmask(SIG_SETMASK, &before, NULL);
}

/* Removes the temporary file tmp and forgets it. */
static void drop_temp(const char *tmp)
{
	unlink(tmp);
	forget_temp(tmp);
}

/*
 * A new temporary file beside path, PATH.tmp.XXXXXX: made by mkostemp (O_EXCL, a name no one can guess, so a
 * link planted in a shared folder is never followed), then given the mode a plain create would have.
 * Returns the descriptor, or -1 with errno set (tmp then holds no name).
 */
static int open_temp(const char *path, struct pb_buf *tmp)
{
	mode_t mask = umask(0);
	sigset_t before;
	int fd, e;

	umask(mask);
	pb_buf_addf(tmp, "%s.tmp.XXXXXX", path);
	if (tmp->failed) {
		errno = ENOMEM;
		return -1;
	}
	/* No stop signal between the file's making and its noting: the handler would not know to remove it. */
	block_stop(&before);
	fd = mkostemp(tmp->ptr, O_CLOEXEC);
	e = errno;
	if (fd >= 0)
		remember_temp(tmp->ptr);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	errno = e;
	if (fd < 0 || fchmod(fd, 0644 & ~mask) != 0) {
		e = errno;
		if (fd >= 0) {
			close(fd);
			drop_temp(tmp->ptr);
		}
		pb_buf_reset(tmp);
		errno = e;
		return -1;
	}
	return fd;
}

/* fsync of the folder holding path, so that the rename itself is on disk. */
static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int pb_atomic_remove_leftovers(const char *path)
{
	char *dir = strdup(path), *base = strdup(path);
	struct pb_buf prefix = PB_BUF_INIT, leftover = PB_BUF_INIT;
	const char *folder;
	struct dirent *e;
	struct stat st;
	DIR *d = NULL;
	int n = 0;

	if (!dir || !base)
		goto out;
	folder = dirname(dir);
	pb_buf_addf(&prefix, "%s.tmp.", basename(base));
	d = prefix.failed ? NULL : opendir(folder);
	if (!d)
		goto out;
	while ((e = readdir(d))) {
		/* mkostemp's six characters, and nothing else: not a file of another name that begins the same. */
		if (strncmp(e->d_name, prefix.ptr, prefix.len) != 0 || strlen(e->d_name + prefix.len) != 6)
			continue;
		pb_buf_reset(&leftover);
		pb_buf_addf(&leftover, "%s/%s", folder, e->d_name);
		if (!leftover.failed && lstat(leftover.ptr, &st) == 0 && S_ISREG(st.st_mode) &&
		    unlink(leftover.ptr) == 0)
			n++;
	}
out:
	if (d)
		closedir(d);
	pb_buf_release(&prefix);
	pb_buf_release(&leftover);
	free(dir);
	free(base);
	return n;
}

int pb_atomic_open(struct pb_atomic *a, const char *path, struct pb_buf *err)
{
	int fd;

	memset(a, 0, sizeof(*a));
	pb_buf_init(&a->tmp, 0);
	pb_buf_init(&a->path, 0);
	if (check_target(path, err) < 0)
		return PB_ATOMIC_NOT_REGULAR;
	pb_buf_addstr(&a->path, path);
	if (a->path.failed)
		return fail(err, path, ENOMEM);
	fd = open_temp(path, &a->tmp);
	if (fd < 0 || !(a->f = fdopen(fd, "w"))) {
		int e = errno;

		if (fd >= 0) {
			close(fd);
			drop_temp(pb_buf_str(&a->tmp));
		}
		pb_buf_release(&a->tmp);
		pb_buf_release(&a->path);
		return fail(err, path, e);
	}
	return 0;
}

void pb_atomic_abort(struct pb_atomic *a)
{
	if (a->f)
		fclose(a->f);
	if (a->tmp.len)
		drop_temp(pb_buf_str(&a->tmp));
	pb_buf_release(&a->tmp);
	pb_buf_release(&a->path);
	a->f = NULL;
}

int pb_atomic_stage(struct pb_atomic *a, struct pb_buf *err)
{
	int e = 0;

	if (fflush(a->f) != 0 || ferror(a->f))
		e = errno ? errno : EIO;
	if (e == 0 && fsync(fileno(a->f)) != 0)
		e = errno;
	if (fclose(a->f) != 0 && e == 0)
		e = errno;
	a->f = NULL;
	if (e) {
		fail(err, pb_buf_str(&a->path), e);
		pb_atomic_abort(a);
		return -1;
	}
	return 0;
}

int pb_atomic_publish(struct pb_atomic *a, struct pb_buf *err)
{
	int e = 0;

	if (rename(pb_buf_str(&a->tmp), pb_buf_str(&a->path)) != 0) {
		e = errno;
		unlink(pb_buf_str(&a->tmp));
	}
	forget_temp(pb_buf_str(&a->tmp));
	if (e == 0 && sync_dir(pb_buf_str(&a->path)) != 0)
		e = errno;
	if (e)
		fail(err, pb_buf_str(&a->path), e);
	pb_buf_release(&a->tmp);
	pb_buf_release(&a->path);
	return e ? -1 : 0;
}

int pb_atomic_commit(struct pb_atomic *a, struct pb_buf *err)
{
	if (pb_atomic_stage(a, err) < 0)
		return -1;
	return pb_atomic_publish(a, err);
}

const char *pb_tmpdir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d ? d : "/tmp";
}

FILE *pb_tmpfile(void)
{
	char path[PATH_MAX];
	FILE *f;
	int fd, saved;

	if ((size_t)snprintf(path, sizeof(path), "%s/pb-XXXXXX", pb_tmpdir()) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	unlink(path);
	f = fdopen(fd, "w+");
	if (!f) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return f;
}
