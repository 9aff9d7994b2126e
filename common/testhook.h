/* The test hook of the crash tests: a run stops at a named point, to be killed there for real. */
#ifndef PB_TESTHOOK_H
#define PB_TESTHOOK_H

#include <stdint.h>

/*
 * Waits (PB_TEST_PAUSE_SECONDS, default 600, or until a signal asks the program to stop, or until the file
 * PB_TEST_RESUME_FILE names exists) when the environment's PB_TEST_PAUSE names this point, after saying
 * "PROG: test pause at POINT" on stderr. Compiled in only
 * when PB_TEST_HOOKS is defined (the development and test build); in a release build (make install) it does nothing, so
 * no environment variable can stall a job.
 */
void pb_test_pause(const char *where);

/*
 * In the development and test build (PB_TEST_HOOKS), PB_TEST_TODAY set to a date YYYY-MM-DD stands for today (UTC,
 * see pb_db_today), so that a test of what depends on today sets it itself: 1 with that day in day, else 0. When
 * PB_TEST_TODAY_FILE names a file, its first line stands for PB_TEST_TODAY, read at each call, so that a test may
 * turn the day over while a run is paused (an empty or missing file: the clock). A release build always returns 0.
 */
int pb_test_today(int32_t *day);

#endif
