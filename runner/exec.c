/*
 * Steps as child processes. A step runs in a process group of its own, so that its timeout or pb-run's
 * SIGTERM reaches every process it started; pb-run reaps its orphans (PR_SET_CHILD_SUBREAPER), so that it
 * can tell when the last of them is gone.
 */
#include "exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "progress.h"

#include "banned.h"

/* How long a step's group may take to vanish after the step exited before its leftovers are ended. */
#define SETTLE_MS 100
#define LINE_MAX_BYTES 4096

/* The signal handler's state: the first signal received, and a pipe that wakes poll. */
static volatile sig_atomic_t got_signal;
static int wake_fd[2] = {-1, -1};
static const int caught[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};

/*
 * The write end of the pipe to the guard (-1: none), a process that outlives a pb-run killed outright (by
 * SIGKILL, which no handler sees) to end the running step's whole group as pb-run would have: a step's
 * own PR_SET_PDEATHSIG reaches the step alone, not the processes it started. It holds the socket of the
 * connection that holds the run's lock, so that the lock outlives a killed pb-run until the step's group is
 * gone: no other run of the month starts beside a step that is still being ended.
 */
static int guard_fd = -1;
static pid_t guard_pid = -1;

/* What pb-run tells the guard as each step starts and once its group is gone (pgid 0). */
struct guard_note {
	pid_t pgid;
	int grace_ms;
};

static void (*signal_hook)(int sig);

void pb_exec_on_signal(void (*hook)(int sig))
{
	signal_hook = hook;
}

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	ssize_t n;

	if (sig != SIGCHLD && !got_signal)
		got_signal = sig;
	if (sig != SIGCHLD && signal_hook)
		signal_hook(sig);
	n = write(wake_fd[1], &c, 1);
	(void)n;
	errno = saved;
}

/*
 * Whether a process of group pgid lives: 1 or 0, as /proc says, where one that has ended but is not reaped yet
 * (a zombie, its parent pb-run gone, until init reaps it) does not count; -1 without /proc.
 */
static int group_lives(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	if (!d)
		return -1;
	while (!found && (e = readdir(d))) {
		char path[300], buf[512], *p, state;
		long group;
		int fd;
		ssize_t n;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "PID (COMM) STATE PPID PGRP ...", COMM holding any byte, ')' too. */
		p = strrchr(buf, ')');
		if (!p || p[1] != ' ' || !p[2])
			continue;
		state = p[2];
		strtol(p + 3, &p, 10);
		group = strtol(p, NULL, 10);
		if (group == pgid && state != 'Z' && state != 'X')
			found = 1;
	}
	closedir(d);
	return found;
}

/* Whether a process of group pgid is left, for up to ms; 0 as soon as none is. */
static int group_left(pid_t pgid, int ms)
{
	const struct timespec tick = {0, 20L * 1000000};
	uint64_t end = pb_now_ms() + (ms > 0 ? (uint64_t)ms : 0);

	for (;;) {
		if ((kill(-pgid, 0) < 0 && errno == ESRCH) || group_lives(pgid) == 0)
			return 0;
		if (pb_now_ms() >= end)
			return 1;
		nanosleep(&tick, NULL);
	}
}

/*
 * The guard's life: notes from fd until pb-run is gone, then SIGTERM to the last group noted, SIGKILL after
 * its grace; it ends (and the lock with lock_fd, its copy of the lock's socket) once that group is gone.
 */
static void guard(int fd, int lock_fd)
{
	struct guard_note note = {0, 0}, got;
	int null_fd = open("/dev/null", O_RDWR);
	ssize_t n;

	/* Nothing else of pb-run's is held: its other database session ends with it, its output too. */
	if (null_fd >= 0) {
		dup2(null_fd, 1);
		dup2(null_fd, 2);
	}
	if (dup2(fd, 0) < 0)
		_exit(0);
	if (lock_fd >= 0 && lock_fd != 3 && dup2(lock_fd, 3) < 0)
		lock_fd = -1;
	close_range(lock_fd >= 0 ? 4 : 3, ~0U, 0);
	/* Out of pb-run's process group, which a kill of the whole group (kill -9 -PGID) would end it with. */
	setpgid(0, 0);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (;;) {
		n = read(0, &got, sizeof(got));
		if (n == (ssize_t)sizeof(got))
			note = got;
		else if (n >= 0 || errno != EINTR)
			break;
	}
	if (note.pgid <= 0 || kill(-note.pgid, SIGTERM) < 0 || !group_left(note.pgid, note.grace_ms))
		_exit(0);
	kill(-note.pgid, SIGKILL);
	group_left(note.pgid, note.grace_ms);
	_exit(0);
}

/* Starts the guard, with a copy of lock_fd (-1: none). Returns 0, or -1 with errno. */
static int start_guard(int lock_fd)
{
	int fd[2];
	pid_t pid;

	if (pipe2(fd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		guard(fd[0], lock_fd);
	close(fd[0]);
	if (pid < 0) {
		close(fd[1]);
		return -1;
	}
	guard_fd = fd[1];
	guard_pid = pid;
	return 0;
}

void pb_exec_end(void)
{
	if (guard_fd < 0)
		return;
	close(guard_fd);
	guard_fd = -1;
	/* No step runs: the guard exits at once, reaped here rather than left to whoever inherits it. */
	while (waitpid(guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
	guard_pid = -1;
}

/* Tells the guard which group to end should pb-run die now (0: none). */
static void tell_guard(pid_t pgid, uint64_t grace_ms)
{
	struct guard_note note = {pgid, grace_ms > INT_MAX ? INT_MAX : (int)grace_ms};
	ssize_t n;

	if (guard_fd < 0)
		return;
	do
		n = write(guard_fd, &note, sizeof(note));
	while (n < 0 && errno == EINTR);
}

int pb_exec_setup(int lock_fd, struct pb_buf *err)
{
	struct sigaction sa, old;
	size_t i;

	if (pipe2(wake_fd, O_CLOEXEC | O_NONBLOCK) < 0 || start_guard(lock_fd) < 0) {
		pb_buf_reset(err);
		pb_buf_addf(err, "cannot make a pipe or a process: %s", strerror(errno));
		return -1;
	}
	/* Without it (an old kernel) orphans go to init, and the group's end is still seen, only later. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++) {
		if ((caught[i] == SIGINT || caught[i] == SIGHUP) && sigaction(caught[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(caught[i], &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int pb_exec_signal(void)
{
	return got_signal;
}

void pb_exec_signal_name(int sig, char *buf, size_t size)
{
	const char *name = sigabbrev_np(sig);

	if (name)
		snprintf(buf, size, "SIG%s", name);
	else
		snprintf(buf, size, "signal %d", sig);
}

static void drain_wake(void)
{
	char buf[64];

	while (read(wake_fd[0], buf, sizeof(buf)) > 0)
		;
}

int pb_exec_sleep(uint64_t ms)
{
	uint64_t end = pb_now_ms() + ms, now;
	struct pollfd pfd = {wake_fd[0], POLLIN, 0};

	while (!got_signal && (now = pb_now_ms()) < end) {
		uint64_t left = end - now;

		poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		drain_wake();
	}
	return got_signal;
}

static int is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Sets path to folder/name when that is an executable file. Returns 1 when it is, else 0. */
static int try_folder(const char *folder, size_t len, const char *name, struct pb_buf *path)
{
	pb_buf_reset(path);
	if (len)
		pb_buf_add(path, folder, len);
	else
		pb_buf_addch(path, '.');
	pb_buf_addf(path, "/%s", name);
	return !path->failed && is_executable(pb_buf_str(path));
}

/*
 * pb-run's own file, its links resolved, into self (PATH_MAX bytes): /proc/self/exe, or without /proc (a
 * chroot, a sandbox) the path it was run as. Returns 0, or -1 when neither can be read.
 */
static int own_file(char *self)
{
	ssize_t n = readlink("/proc/self/exe", self, PATH_MAX - 1);
	const char *run = (const char *)getauxval(AT_EXECFN);

	if (n > 0) {
		self[n] = '\0';
		return 0;
	}
	return run && realpath(run, self) ? 0 : -1;
}

int pb_exec_find(const char *name, const char *shown, struct pb_buf *path, struct pb_buf *err)
{
	char self[PATH_MAX];
	const char *dirs = getenv("PATH"), *p, *slash = NULL;

	pb_buf_reset(err);
	if (strchr(name, '/')) {
		pb_buf_reset(path);
		pb_buf_addstr(path, name);
		if (is_executable(name))
			return 0;
		pb_buf_addf(err, "cannot run '%s': %s", shown, access(name, X_OK) < 0 ? strerror(errno) : "not a file");
		return -1;
	}
	if (own_file(self) == 0)
		slash = strrchr(self, '/');
	if (slash && try_folder(self, (size_t)(slash - self), name, path))
		return 0;
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (p = dirs;; p++) {
		size_t len = strcspn(p, ":");

		if (try_folder(p, len, name, path))
			return 0;
		p += len;
		if (!*p)
			break;
	}
	pb_buf_addf(err, "cannot find '%s' in '%.*s' or on PATH", shown, slash ? (int)(slash - self) : 1,
		    slash ? self : "?");
	return -1;
}

/* In the child, between fork and exec: only calls that are safe there. Reports a failed exec's errno. */
static void child(char *const argv[], int err_fd, int report_fd, int go_fd, pid_t parent)
{
	int null_fd, e;
	size_t i;
	char go;
	ssize_t n;

	setpgid(0, 0);
	/* A pb-run killed outright takes its step along rather than leave it running without a lock. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() != parent)
		_exit(127);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++) {
		struct sigaction old;

		if (sigaction(caught[i], NULL, &old) == 0 && old.sa_handler == on_signal)
			signal(caught[i], SIG_DFL);
	}
	signal(SIGPIPE, SIG_DFL);
	pb_sigxfsz_restore(); /* a step's program gets the disposition pb-run was started with */
	null_fd = open("/dev/null", O_RDONLY);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(err_fd, 2) < 0)
		goto fail;
	/*
	 * Nothing runs before pb-run has told the guard of this group: a pb-run killed in between would leave a
	 * step that no guard ends and no lock covers. A pb-run gone meanwhile closes the pipe: no step then.
	 */
	do
		n = read(go_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127);
	/* Nothing of pb-run's (its database connections above all) is to outlive the exec. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execv(argv[0], argv);
fail:
	e = errno;
	if (write(report_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* What pb_exec_run watches while a step runs. */
struct watch {
	pid_t pid; /* the step's process, and its process group */
	int fd;	   /* the read end of its stderr, -1 after its end */
	int done;  /* pid was reaped */
	int term_sent, kill_sent;
	int tail_cut;	  /* the tail lost its beginning */
	int tail_at_line; /* and what it kept starts a line */
	int cr;		  /* the last byte was a carriage return: line holds what came before it */
	uint64_t deadline, done_at, kill_at, give_up_at;
	struct pb_buf line;
	const struct pb_exec_opts *o;
	struct pb_exec_result *r;
};

/* Keeps the last PB_EXEC_TAIL_MAX bytes of the tail, noting whether they start a line. */
static void cut_tail(struct watch *w)
{
	struct pb_buf *t = &w->r->tail;
	size_t cut = t->len - PB_EXEC_TAIL_MAX;

	w->tail_cut = 1;
	w->tail_at_line = t->ptr[cut - 1] == '\n';
	memmove(t->ptr, t->ptr + cut, PB_EXEC_TAIL_MAX);
	t->len = PB_EXEC_TAIL_MAX;
	t->ptr[t->len] = '\0';
}

/*
 * Passes on the line held, and adds it to the tail as it is shown (a line feed after it when one ended it, ended
 * 1): the tail holds each line's last redraw, not every redraw of a progress bar, which would push out the text
 * before it.
 */
static void emit_line(struct watch *w, int ended)
{
	struct pb_buf *t = &w->r->tail;
	size_t n = w->line.len;

	if (!w->line.failed) {
		pb_buf_add(t, w->line.ptr, n);
		if (ended)
			pb_buf_add(t, "\n", 1);
		if (t->len > 2 * PB_EXEC_TAIL_MAX)
			cut_tail(w);
	}
	if (w->o->line && !w->line.failed) {
		w->line.ptr[n] = '\0';
		w->o->line(w->o->arg, w->line.ptr, n);
	}
	pb_buf_reset(&w->line);
}

/* How many bytes at the end of the n at s start a UTF-8 character that they do not finish (0 to 3). */
static size_t unfinished_char(const char *s, size_t n)
{
	size_t k;

	for (k = 1; k <= 3 && k <= n; k++) {
		unsigned char c = (unsigned char)s[n - k];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue;
		need = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc0 && c < 0xe0 ? 2 : 1;
		return need > k ? k : 0;
	}
	return 0;
}

/*
 * Passes on the line held; one cut at LINE_MAX_BYTES (cut) is cut before a character it would split, whose
 * first bytes start the next line.
 */
static void emit_held(struct watch *w, int cut)
{
	char carry[4];
	size_t keep = 0;

	if (cut && !w->line.failed && w->line.len)
		keep = unfinished_char(w->line.ptr, w->line.len);
	if (keep == w->line.len)
		keep = 0;
	if (keep) {
		memcpy(carry, w->line.ptr + w->line.len - keep, keep);
		w->line.len -= keep;
	}
	emit_line(w, !cut);
	if (keep)
		pb_buf_add(&w->line, carry, keep);
}

/*
 * Takes n bytes the step wrote on stderr: lines for the caller, the end of them kept as the tail. A line feed ends
 * a line, with the carriage return before it if any. A carriage return alone ends a redraw of the line (a progress
 * bar drawing over itself), which the text after it replaces: a line is passed on as its last redraw, when a
 * line feed or the step's end comes. Carriage returns in a row are one.
 */
static void take(struct watch *w, const char *buf, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (buf[i] != '\n' && buf[i] != '\r' && !w->cr && w->line.len + (i - start) < LINE_MAX_BYTES)
			continue;
		pb_buf_add(&w->line, buf + start, i - start);
		start = i + 1;
		if (buf[i] == '\n') {
			w->cr = 0;
			emit_held(w, 0);
		} else if (buf[i] == '\r') {
			w->cr = 1;
		} else if (w->cr) {
			/* A redraw starts at buf[i]: the one held is replaced. */
			w->cr = 0;
			pb_buf_reset(&w->line);
			start = i;
		} else {
			emit_held(w, 1);
			start = i;
		}
	}
	pb_buf_add(&w->line, buf + start, n - start);
}

/* Reads what the pipe holds; closes it at its end. Returns the count of bytes read (0 at the end, -1 on error). */
static ssize_t read_stderr(struct watch *w)
{
	char buf[8192];
	ssize_t n = read(w->fd, buf, sizeof(buf));

	if (n > 0) {
		take(w, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(w->fd);
		w->fd = -1;
	}
	return n;
}

/* Reaps every child that ended: the step, and orphans handed to pb-run as their reaper. */
static void reap(struct watch *w, uint64_t now)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != w->pid)
			continue;
		w->done = 1;
		w->done_at = now;
		w->r->exited = WIFEXITED(st);
		w->r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
		w->r->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	}
}

static int group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

static void signal_group(struct watch *w, int sig)
{
	if (kill(-w->pid, sig) < 0 && !w->done)
		kill(w->pid, sig); /* it left its group */
}

static void terminate(struct watch *w, uint64_t now)
{
	signal_group(w, SIGTERM);
	w->term_sent = 1;
	w->kill_at = now + w->o->grace_ms;
}

/* Acts on the clock and on pb-run's signals: SIGTERM to the group, then SIGKILL. */
static void enforce(struct watch *w, uint64_t now)
{
	/* A signal while the group is already being ended (at its timeout) interrupts the run all the same. */
	if (got_signal && !w->done && w->term_sent && !w->r->interrupted)
		w->r->interrupted = got_signal;
	if (!w->term_sent) {
		if (got_signal && !w->done) {
			w->r->interrupted = got_signal;
			terminate(w, now);
		} else if (now >= w->deadline && !w->done) {
			w->r->timed_out = 1;
			terminate(w, now);
		} else if (w->done && now >= w->done_at + SETTLE_MS && group_alive(w->pid)) {
			w->r->leftovers = 1;
			terminate(w, now);
		}
	} else if (!w->kill_sent && now >= w->kill_at) {
		signal_group(w, SIGKILL);
		w->kill_sent = 1;
		w->give_up_at = now + w->o->grace_ms;
	}
}

/* Milliseconds until the next thing enforce may do, for poll; short ticks while the group is ending. */
static int next_wait(const struct watch *w, uint64_t now)
{
	uint64_t at;

	if (w->done || w->kill_sent)
		at = now + 20;
	else if (w->term_sent)
		at = w->kill_at;
	else
		at = w->deadline;
	if (at <= now)
		return 0;
	return at - now > 60000 ? 60000 : (int)(at - now);
}

/* Runs until the step and its whole group are gone (or survive SIGKILL past the grace). */
static void watch(struct watch *w)
{
	for (;;) {
		struct pollfd pfd[2] = {{wake_fd[0], POLLIN, 0}, {w->fd, POLLIN, 0}};
		uint64_t now = pb_now_ms();

		reap(w, now);
		enforce(w, now);
		if (w->done && !group_alive(w->pid))
			break;
		if (w->kill_sent && now >= w->give_up_at) {
			w->r->stuck = 1;
			break;
		}
		if (poll(pfd, w->fd >= 0 ? 2 : 1, next_wait(w, now)) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			drain_wake();
		if (w->fd >= 0 && pfd[1].revents)
			read_stderr(w);
	}
	/*
	 * What the step wrote last may still be in the pipe. A process that left the group can hold its write
	 * end open: what the pipe holds now is taken, and its end is not waited for.
	 */
	if (w->fd >= 0) {
		fcntl(w->fd, F_SETFL, O_NONBLOCK);
		while (w->fd >= 0) {
			ssize_t n = read_stderr(w);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
		}
		if (w->fd >= 0) {
			close(w->fd);
			w->fd = -1;
		}
	}
	if (w->line.len)
		emit_line(w, 0);
}

/* Leaves the last PB_EXEC_TAIL_MAX bytes of the tail, from a line's start when one begins in them. */
static void trim_tail(struct watch *w)
{
	struct pb_buf *t = &w->r->tail;
	const char *nl;
	size_t skip;

	if (t->len > PB_EXEC_TAIL_MAX)
		cut_tail(w);
	if (!w->tail_cut || w->tail_at_line || !t->len)
		return;
	nl = memchr(t->ptr, '\n', t->len);
	if (!nl || (size_t)(nl - t->ptr) + 1 == t->len)
		return;
	skip = (size_t)(nl - t->ptr) + 1;
	memmove(t->ptr, t->ptr + skip, t->len - skip);
	t->len -= skip;
	t->ptr[t->len] = '\0';
}

/* Whether errno e says the system lacked a resource for the moment: descriptors, processes, memory. */
static int scarce(int e)
{
	return e == EMFILE || e == ENFILE || e == EAGAIN || e == ENOMEM;
}

/*
 * Forks the step. Returns its pid, or -1 with err set (and *short_of set when it was for want of a resource);
 * *fd is the read end of its stderr.
 */
static pid_t start(char *const argv[], const char *shown, uint64_t grace_ms, int *fd, int *short_of, struct pb_buf *err)
{
	int pipe_fd[2] = {-1, -1}, report[2] = {-1, -1}, go[2] = {-1, -1}, e = 0, i;
	pid_t pid = -1, parent;
	ssize_t n;

	*short_of = 0;
	if (pipe2(pipe_fd, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		*short_of = scarce(errno);
		pb_buf_addf(err, "cannot make a pipe: %s", strerror(errno));
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	parent = getpid();
	pid = fork();
	if (pid == 0)
		child(argv, pipe_fd[1], report[1], go[0], parent);
	if (pid < 0) {
		*short_of = scarce(errno);
		pb_buf_addf(err, "cannot start '%s': %s", shown, strerror(errno));
		goto out;
	}
	setpgid(pid, pid); /* also here, so that the group exists before any signal is sent to it */
	/* The guard knows the group before the step runs (child waits for the byte). */
	tell_guard(pid, grace_ms);
	do
		n = write(go[1], "g", 1);
	while (n < 0 && errno == EINTR);
	close(report[1]);
	report[1] = -1;
	do
		n = read(report[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		tell_guard(0, 0);
		*short_of = scarce(e);
		pb_buf_addf(err, "cannot run '%s': %s", shown, strerror(e));
		pid = -1;
		goto out;
	}
	*fd = pipe_fd[0];
	pipe_fd[0] = -1;
out:
	for (i = 0; i < 2; i++) {
		if (pipe_fd[i] >= 0)
			close(pipe_fd[i]);
		if (report[i] >= 0)
			close(report[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	return pid;
}

int pb_exec_run(char *const argv[], const struct pb_exec_opts *o, struct pb_exec_result *r, struct pb_buf *err)
{
	struct watch w;
	uint64_t t0 = pb_now_ms();
	int short_of;

	pb_buf_reset(err);
	pb_buf_reset(&r->tail);
	r->exited = r->status = r->signal = r->timed_out = r->interrupted = r->leftovers = r->stuck = 0;
	r->ms = 0;
	memset(&w, 0, sizeof(w));
	pb_buf_init(&w.line, 0);
	w.o = o;
	w.r = r;
	w.fd = -1;
	w.deadline = t0 + o->timeout_ms;
	w.pid = start(argv, o->name ? o->name : argv[0], o->grace_ms, &w.fd, &short_of, err);
	if (w.pid < 0)
		return short_of ? PB_EXEC_SCARCE : -1;
	watch(&w);
	tell_guard(0, 0);
	r->ms = pb_now_ms() - t0;
	trim_tail(&w);
	pb_buf_release(&w.line);
	return 0;
}
