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

/* The first line of PB_TEST_TODAY_FILE into buf, without its newline; "" when it cannot be read. */
static const char *today_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f && !fgets(buf, (int)size, f))
		buf[0] = '\0';
	if (f)
		fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

int pb_test_today(int32_t *day)
{
	const char *set = getenv("PB_TEST_TODAY"), *file = getenv("PB_TEST_TODAY_FILE");
	char buf[64];

	if (file && *file)
		set = today_file(file, buf, sizeof(buf));
	if (!set || !*set)
		return 0;
	if (pb_date_parse_day(set, day) == 0)
		return 1;
	pb_warning("PB_TEST_TODAY '%s' is not a date YYYY-MM-DD: today is taken from the clock", set);
	return 0;
}
#else
void pb_test_pause(const char *where)
{
	(void)where;
}

int pb_test_today(int32_t *day)
{
	(void)day;
	return 0;
}
#endif
