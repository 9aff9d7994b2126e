/* The estimator's own command-line face: pb-aggregate estimate --as-of DAY FILE.csv. */
#ifndef PB_ESTIMATE_CLI_H
#define PB_ESTIMATE_CLI_H

/* Runs "estimate [options] FILE" (argv[0] is "estimate"). Returns the exit status. */
int pb_estimate_cli(int argc, char **argv);

#endif
