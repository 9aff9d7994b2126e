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

#endif
