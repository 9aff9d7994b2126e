/* PB_TEST_PAUSE: only in builds made with PB_TEST_HOOKS. */
#include "testhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "date.h"
#include "interrupt.h"
#include "log.h"

#include "banned.h"

#ifdef PB_TEST_HOOKS
void pb_test_pause(const char *where)
{
	const char *want = getenv("PB_TEST_PAUSE"), *secs = getenv("PB_TEST_PAUSE_SECONDS");
	const char *resume = getenv("PB_TEST_RESUME_FILE");
	const struct timespec tenth = {0, 100L * 1000000};
	long i, n = (secs && *secs ? strtol(secs, NULL, 10) : 600) * 10;

	if (!want || strcmp(want, where) != 0)
		return;
	fprintf(stderr, "%s: test pause at %s\n", pb_log_program(), where);
	fflush(stderr);
	for (i = 0; i < n && !pb_interrupted() && !(resume && *resume && access(resume, F_OK) == 0); i++)
		nanosleep(&tenth, NULL);
}

int32_t pb_test_today(void)
{
	const char *set = getenv("PB_TEST_TODAY");
	int32_t day;

	if (set && *set) {
		if (pb_date_parse_day(set, &day) == 0)
			return day;
		pb_warning("PB_TEST_TODAY '%s' is not a date YYYY-MM-DD: the clock's day is taken", set);
	}
	return (int32_t)(time(NULL) / 86400);
}
#else
void pb_test_pause(const char *where)
{
	(void)where;
}

int32_t pb_test_today(void)
{
	return (int32_t)(time(NULL) / 86400);
}
#endif
