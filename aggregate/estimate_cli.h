/* pb-aggregate estimate: the month-end estimator's command-line face, over a CSV file of daily amounts. */
#ifndef PB_ESTIMATE_CLI_H
#define PB_ESTIMATE_CLI_H

#include <stdint.h>

struct pb_buf;

/*
 * Runs `estimate --as-of YYYY-MM-DD [--final] [--minor-unit N] FILE` (argv[0] is "estimate"): reads FILE
 * ("-": stdin), a CSV file with the columns series, date, charge_category and amount, and writes one line of
 * figures per series to stdout, sorted by series (refused, EXIT_DEPENDENCY, when the program was started with
 * stdout closed: pb_opts_stdout_closed). Messages go through pb_log (the caller sets it up). Returns the exit
 * status (common/exitcode.h).
 */
int pb_estimate_cli(int argc, char **argv);

/*
 * Whether the month that day falls in is one pb-aggregate takes: one whose 90 days of history (the estimate's) are
 * all dates, 0001-04 to 9999-11 (the last month every program takes). 0, or -1 with why saying "OPT VALUE is out of
 * range: ..." (value: as given on the command line).
 */
int pb_estimate_month_taken(const char *opt, const char *value, int32_t day, struct pb_buf *why);

#endif
