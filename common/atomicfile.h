/* Writing a whole file so that readers see the old bytes or the new ones, never a part. */
#ifndef PB_ATOMICFILE_H
#define PB_ATOMICFILE_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "buf.h"

/*
 * What pb_atomic_open returns when what is at the path is not a regular file: a
 * mistake in the name given (the caller's usage error), not a failure that passes, as the others (-1) may.
 */
#define PB_ATOMIC_NOT_REGULAR (-2)

/* A file written in pieces, made visible whole by pb_atomic_commit. */
struct pb_atomic {
	FILE *f;
	struct pb_buf tmp, path;
};

/*
 * Opens a temporary file beside path (PATH.tmp.XXXXXX in the same folder, made exclusively under a name no one
 * can guess) to write into a->f. A path that is there must be a regular file (not a link, a device, a FIFO or a
 * folder). 0, or -1 with err set (PB_ATOMIC_NOT_REGULAR when what is at path is not a regular file).
 */
int pb_atomic_open(struct pb_atomic *a, const char *path, struct pb_buf *err);

/*
 * Flushes, fsyncs and closes a->f, checking each, then renames it over the path and fsyncs the folder.
 * On any failure (also one of an earlier write) the temporary file is removed and the path untouched.
 * Returns 0, or -1 with err set. a is released either way.
 */
int pb_atomic_commit(struct pb_atomic *a, struct pb_buf *err);

/*
 * pb_atomic_commit in two steps, for files that must all be on disk before what they follow from commits:
 * stage flushes, fsyncs and closes (on failure the temporary file is removed and a released: -1 with err
 * set); publish renames over the path and fsyncs the folder (a released either way). pb_atomic_abort
 * removes a staged file that is not to be published.
 */
int pb_atomic_stage(struct pb_atomic *a, struct pb_buf *err);
int pb_atomic_publish(struct pb_atomic *a, struct pb_buf *err);

/* Gives up: removes the temporary file (open or staged). Accepts an a never opened or released. */
void pb_atomic_abort(struct pb_atomic *a);

/*
 * Removes the temporary files of path that a run killed outright (SIGKILL, a crash) left beside it: the
 * regular files PATH.tmp.XXXXXX of pb_atomic_open, which may hold a part of a file
 * never put in place. The caller makes sure no other run is writing path meanwhile (a lock of its own).
 * Returns how many were removed.
 */
int pb_atomic_remove_leftovers(const char *path);

/*
 * For programs that do not stop on a signal the cooperative way (interrupt.h): on SIGINT, SIGTERM or SIGHUP
 * (those not ignored at the call), removes the temporary files of this module that exist at that moment
 * (open or staged; up to 8 at once), then ends the program by the
 * signal. A file already renamed into place stays. Meant for one thread writing files.
 */
void pb_atomic_remove_on_signal(void);

/*
 * Holds the stop signals of pb_atomic_remove_on_signal back, from before a commit that makes staged files the
 * record of what it stored until they are published (before: the mask pb_atomic_stop_release sets back). A stop
 * that comes meanwhile ends the program when the mask is set back, the files in place, never half of them.
 */
void pb_atomic_stop_hold(sigset_t *before);
void pb_atomic_stop_release(const sigset_t *before);

/*
 * mkdir(path, mode), the folder noted when this call made it: the handler of pb_atomic_remove_on_signal removes it
 * (after the temporary files) when it is still empty and still the folder made, so that a run stopped by a signal
 * leaves no folder it made for files it never wrote. One folder at a time (another is made, not noted). Returns 0
 * when made, or -1 with errno set (EEXIST: it was there).
 */
int pb_atomic_mkdir(const char *path, mode_t mode);

/* Forgets the folder pb_atomic_mkdir noted; with remove, first removes it when it is still empty and the one made. */
void pb_atomic_mkdir_end(int remove);

/* The folder temporary files go to: TMPDIR when it is set and not empty, else /tmp. */
const char *pb_tmpdir(void);

/*
 * An anonymous temporary file in pb_tmpdir(), open for reading and writing (mode 0600), removed from its folder
 * at once: it is gone once closed. Unlike glibc's tmpfile(3), which always uses /tmp, it honours TMPDIR.
 * Returns it, or NULL with errno set.
 */
FILE *pb_tmpfile(void);

#endif
