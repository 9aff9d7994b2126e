/* Interim command-line face of the estimator (the estimator of its own issue replaces it). */
#include "estimate_cli.h"

#include "exitcode.h"
#include "log.h"

#include "banned.h"

int pb_estimate_cli(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	pb_error("estimate: not built yet");
	return EXIT_USAGE;
}
