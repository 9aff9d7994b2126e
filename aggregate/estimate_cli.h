/* pb-aggregate estimate: the month-end estimator's command-line face, over a CSV file of daily amounts. */
#ifndef PB_ESTIMATE_CLI_H
#define PB_ESTIMATE_CLI_H

/*
 * Runs `estimate --as-of YYYY-MM-DD [--final] [--minor-unit N] FILE` (argv[0] is "estimate"): reads FILE
 * ("-": stdin), a CSV file with the columns series, date, charge_category and amount, and writes one line of
 * figures per series to stdout, sorted by series (stdout_closed: the program was started with stdout closed,
 * a usage error). Messages go through pb_log (the caller sets it up). Returns the exit status
 * (common/exitcode.h).
 */
int pb_estimate_cli(int argc, char **argv, int stdout_closed);

#endif
