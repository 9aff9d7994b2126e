/* AWS report manifests: which parts make one delivery (assembly) of a billing period. */
#ifndef PB_MANIFEST_H
#define PB_MANIFEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fetch.h"

/* Which figures of a pb_part_decl a manifest declares. */
#define PB_DECL_BYTES 1u
#define PB_DECL_ROWS 2u

/* What a manifest declares of one part, or of the whole delivery. Zeroed: nothing. */
struct pb_part_decl {
	unsigned declared; /* PB_DECL_BYTES | PB_DECL_ROWS */
	uint64_t bytes;	   /* the size as stored (compressed when it is) */
	uint64_t rows;	   /* data rows, headers left out */
};

struct pb_manifest {
	char *url;	   /* where it was read, as messages show it (pb_url_redact) */
	char *assembly_id; /* legacy assemblyId, CUR 2.0 executionId */
	int32_t period_start;
	char **parts; /* s3:// URLs of the data files, in order */
	/*
	 * Per part, the ETag a listing gave it (an Azure export run's blobs), each read bound to it (If-Match), or NULL
	 * (and NULL entries): not listed, nothing to bind to.
	 */
	char **etags;
	size_t nparts;
	struct pb_part_decl *decl; /* per part, or NULL when the manifest declares nothing of them */
	struct pb_part_decl total; /* of the whole delivery */
	char **columns;		   /* the header every part must have (legacy CUR: category/name), or NULL */
	size_t ncolumns;
	/*
	 * An Azure export's run: when it was submitted, and the runs of the month submitted after it that were
	 * skipped as incomplete (their runIds and submittedTimes), which an import of it must not go back from.
	 */
	char *submitted;
	char **newer_runs, **newer_submitted;
	size_t nnewer;
};

/*
 * The manifest URL of a report for a month: legacy CUR (s3://B/P/R to
 * s3://B/P/R/YYYYMMDD-YYYYMMDD/R-Manifest.json) when cur2 is 0, CUR 2.0 (s3://B/P/E to
 * s3://B/P/E/metadata/BILLING_PERIOD=YYYY-MM/E-Manifest.json) when 1. A source that already names a
 * *Manifest.json is returned as it is. Returns a string to free, or NULL.
 */
char *pb_manifest_url(const char *source, int32_t month, int cur2);

/*
 * Downloads and reads the manifest at url. Legacy manifests list reportKeys (keys of their bucket) and
 * their columns[] ({category, name}: the header "category/name"), CUR 2.0 ones dataFiles (s3:// URLs or
 * keys). Returns 0, 1 when there is no manifest there (404), or -1
 * with a message in err (PB_INPUT_ERR_REMOTE-like failures are reported as -3). Free with
 * pb_manifest_release.
 */
int pb_manifest_load(struct pb_manifest *m, const char *url, const struct pb_fetch_opts *fo, struct pb_buf *err);
void pb_manifest_release(struct pb_manifest *m);

/*
 * Reads the figure name of JSON object o into d (flag: PB_DECL_BYTES or PB_DECL_ROWS) when it is there.
 * Returns 0, or -1 when it is there but not a whole number of at least 0.
 */
int pb_manifest_figure(const json_t *o, const char *name, unsigned flag, struct pb_part_decl *d);

/*
 * Whether two parts' names (keys, blob names or addresses) name the same object: the same but for runs of '/' (a//b
 * and a/b, one file on a disk or to most servers; the store would refuse its bytes twice, and a summary must not add
 * them twice either).
 */
int pb_manifest_same_part(const char *a, const char *b);

#endif
