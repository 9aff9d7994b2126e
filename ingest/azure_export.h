/* Azure Cost Management exports delivered to Blob Storage: which blobs make the month's newest complete run. */
#ifndef PB_AZURE_EXPORT_H
#define PB_AZURE_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "fetch.h"
#include "manifest.h"

/*
 * Lists source's run folders for month (SOURCE/YYYYMMDD-YYYYMMDD/RUNID/manifest.json), reads each run's
 * manifest.json and keeps the newest complete run (largest runInfo.submittedTime whose blobs[] are all
 * there with the sizes given): its blob URLs in m->parts, its runId in m->assembly_id, its submittedTime in
 * m->submitted, and the runs of the month submitted after it but skipped as incomplete in m->newer_runs
 * (an import of it must not replace one of theirs). Runs skipped are noted on notes (may be NULL). source is
 * https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH (or the emulator's http://HOST:PORT/ACCOUNT/CONTAINER/PATH),
 * optionally with ?SAS. Returns 0, 1 when the month has no complete run (err says so), PB_INPUT_ERR_REMOTE when a
 * request failed, -2 when source is not an export folder URL, or -1.
 */
int pb_azure_export_load(struct pb_manifest *m, const char *source, int32_t month, const struct pb_fetch_opts *fo,
			 FILE *notes, struct pb_buf *err);

/* The source as an import records it: without its query (a SAS) and trailing slashes. NULL: no memory. */
char *pb_azure_export_source(const char *source);

#endif
