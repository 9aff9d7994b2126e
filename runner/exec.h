/* The steps of a job as child processes: fork and exec, a process group each, stderr by lines, timeouts, signals. */
#ifndef PB_EXEC_H
#define PB_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* How much of the end of a step's stderr is kept. */
#define PB_EXEC_TAIL_MAX 4096

struct pb_exec_opts {
	uint64_t timeout_ms; /* then SIGTERM to the step's process group */
	uint64_t grace_ms;   /* from SIGTERM to SIGKILL */
	/* Called with each line the step writes on stderr, without its line end (len bytes, then a NUL). */
	void (*line)(void *arg, const char *line, size_t len);
	void *arg;
	const char *name; /* the program as messages name it (NULL: argv[0]) */
};

struct pb_exec_result {
	int exited;	 /* 1: the step exited, with status; 0: a signal ended it */
	int status;	 /* its exit status */
	int signal;	 /* the signal that ended it */
	int timed_out;	 /* pb-run ended it at its timeout */
	int interrupted; /* the signal pb-run received while the step ran (then passed on as SIGTERM); 0: none */
	int leftovers;	 /* processes of its group outlived it, and were ended */
	int stuck;	 /* processes of its group outlived SIGKILL for a grace period: pb-run went on without them */
	uint64_t ms;	 /* wall-clock duration */
	struct pb_buf tail; /* the end of its stderr, up to PB_EXEC_TAIL_MAX bytes, from a line start if it can */
};

/*
 * Prepares the process for running steps, once: pb-run becomes the reaper of its steps' orphans, and
 * SIGTERM, SIGINT and SIGHUP (the last two unless they were ignored when pb-run started, as under nohup)
 * are caught and recorded for pb_exec_signal; SIGPIPE is ignored. This is the process-wide state a signal
 * handler needs. It also starts a process that ends the running step's group should pb-run be killed
 * outright (pb_exec_end ends it), and that holds a copy of lock_fd (the socket of the connection that holds
 * the run's lock; -1: none) until that group is gone. Returns 0, or -1 with a message in err.
 */
int pb_exec_setup(int lock_fd, struct pb_buf *err);

/* Once the steps are done: ends the process pb_exec_setup started to end a step should pb-run be killed. */
void pb_exec_end(void);

/* Has hook called (in the signal handler: it must be safe there) on each SIGTERM, SIGINT or SIGHUP. */
void pb_exec_on_signal(void (*hook)(int sig));

/* The first of SIGTERM, SIGINT or SIGHUP received since pb_exec_setup, or 0. */
int pb_exec_signal(void);

/* "SIGTERM" for SIGTERM: the name of signal sig into buf (size bytes). */
void pb_exec_signal_name(int sig, char *buf, size_t size);

/* Waits ms, or less when one of those signals comes. Returns pb_exec_signal(). */
int pb_exec_sleep(uint64_t ms);

/*
 * The file to run for a step's program name: a name with a '/' as it is; any other in the folder of the
 * running executable (/proc/self/exe, or without /proc the path it was run as), then in the folders of PATH.
 * Sets path; returns 0, or -1 with "cannot find 'SHOWN' in 'FOLDER' or on PATH" (or why a path cannot be
 * run) in err, shown being how messages name the program (its ${env:NAME} as written).
 */
int pb_exec_find(const char *name, const char *shown, struct pb_buf *path, struct pb_buf *err);

/*
 * Runs argv (argv[0] the file to run, as pb_exec_find gives it; NULL-terminated) with standard input from
 * /dev/null, standard output shared with pb-run's, and standard error read through a pipe, in a process
 * group of its own; waits for it and every process of its group. At its timeout, or when pb-run receives
 * SIGTERM, SIGINT or SIGHUP, the group gets SIGTERM, and SIGKILL grace_ms later. Fills r (pb_buf_init its
 * tail first; the caller releases it). Returns 0 when the step ran, whatever its end, or -1 with a message
 * in err when it could not be started (r->tail may then hold what was read): PB_EXEC_SCARCE when what was
 * missing was a resource of the system (descriptors, processes or memory: EMFILE, ENFILE, EAGAIN, ENOMEM),
 * which may pass, unlike a program that cannot be run.
 */
#define PB_EXEC_SCARCE (-2)
int pb_exec_run(char *const argv[], const struct pb_exec_opts *o, struct pb_exec_result *r, struct pb_buf *err);

#endif
