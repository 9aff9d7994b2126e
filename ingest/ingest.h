/* One pb-ingest run: the delivery found, its files read, then stored as one import or summarized. */
#ifndef PB_INGEST_INGEST_H
#define PB_INGEST_INGEST_H

#include "options.h"

/*
 * Runs what o asks: reads the files (or the delivery of --source, or the Partner Center export), then
 * stores them as one import or prints the summary. Messages go to stderr as they come. Returns 0 or a
 * PB_ERR_* class (exitcode.h) for main to turn into the exit status.
 */
int pb_ingest_run(const struct pb_ingest_options *o);

/* --history: the imports (of o->month only, when set). Returns 0 or a PB_ERR_* class. */
int pb_ingest_history(const struct pb_ingest_options *o);

#endif
