/* The exit codes every partnerbill executable uses (shared/DESIGN.md, "Errors and exit codes"). */
#ifndef PB_EXITCODE_H
#define PB_EXITCODE_H

enum pb_exit {
	EXIT_OK = 0,
	EXIT_DATA = 1,	     /* the input or data is bad; the message says where */
	EXIT_USAGE = 2,	     /* the command line is wrong */
	EXIT_DEPENDENCY = 3, /* the database, the network or a partner API failed after retries */
	EXIT_REFUSED = 4,    /* refused by a rule: eligibility, a lock held, a month closed, a duplicate */
};

/*
 * What an executable's modules return: 0, or minus the exit code the failure calls for, so that main.c
 * picks the exit code with pb_exit_status and nothing else decides it.
 */
enum pb_err {
	PB_ERR_DATA = -EXIT_DATA,
	PB_ERR_USAGE = -EXIT_USAGE,
	PB_ERR_DEPENDENCY = -EXIT_DEPENDENCY,
	PB_ERR_REFUSED = -EXIT_REFUSED,
};

static inline int pb_exit_status(int rc)
{
	return rc >= 0 ? EXIT_OK : rc < PB_ERR_REFUSED ? EXIT_DATA : -rc;
}

#endif
