/* AWS report manifests: which parts make one delivery (assembly) of a billing period. */
#ifndef PB_MANIFEST_H
#define PB_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fetch.h"

struct pb_manifest {
	char *url;	   /* where it was read, as messages show it (pb_url_redact) */
	char *assembly_id; /* legacy assemblyId, CUR 2.0 executionId */
	int32_t period_start;
	char **parts; /* s3:// URLs of the data files, in order */
	size_t nparts;
};

/*
 * The manifest URL of a report for a month: legacy CUR (s3://B/P/R to
 * s3://B/P/R/YYYYMMDD-YYYYMMDD/R-Manifest.json) when cur2 is 0, CUR 2.0 (s3://B/P/E to
 * s3://B/P/E/metadata/BILLING_PERIOD=YYYY-MM/E-Manifest.json) when 1. A source that already names a
 * *Manifest.json is returned as it is. Returns a string to free, or NULL.
 */
char *pb_manifest_url(const char *source, int32_t month, int cur2);

/*
 * Downloads and reads the manifest at url. Legacy manifests list reportKeys (keys of their bucket),
 * CUR 2.0 ones dataFiles (s3:// URLs or keys). Returns 0, 1 when there is no manifest there (404), or -1
 * with a message in err (PB_INPUT_ERR_REMOTE-like failures are reported as -3). Free with
 * pb_manifest_release.
 */
int pb_manifest_load(struct pb_manifest *m, const char *url, const struct pb_fetch_opts *fo, struct pb_buf *err);
void pb_manifest_release(struct pb_manifest *m);

#endif
