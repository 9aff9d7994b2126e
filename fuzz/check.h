/* The fuzz targets' assertion: says which check failed and where, then aborts, so that libFuzzer keeps the input. */
#ifndef PB_FUZZ_CHECK_H
#define PB_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                                                 \
	do {                                                                                             \
		if (!(cond)) {                                                                           \
			fprintf(stderr, "%s: check failed at line %d: %s\n", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                                    \
			fputc('\n', stderr);                                                             \
			abort();                                                                         \
		}                                                                                        \
	} while (0)

#endif
