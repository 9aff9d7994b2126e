/*
 * libFuzzer target for pb-ingest's AWS report manifests (ingest/manifest.c): the manifest's bytes read as
 * pb_manifest_load reads one given as a file:// URL (here /proc/self/fd/N of a memory file). Read from S3, the
 * same bytes go through the same code once downloaded; the download is left out. So are the Azure export's and
 * Partner Center's manifests (ingest/azure_export.c, pc_export.c), which are only read after a listing or an
 * operation of the service, over the network.
 *
 * Checked: no crash or sanitizer report; a manifest read has an assembly and parts named each once, and its
 * columns are category/name; one refused says why, naming the manifest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "date.h"
#include "fetch.h"
#include "manifest.h"

#include "check.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_fetch_opts fo;
	struct pb_manifest m;
	struct pb_buf err = PB_BUF_INIT;
	char url[64];
	size_t i, j;
	int fd, rc;

	if (size > ((size_t)1 << 18))
		return 0;
	fd = memfd_create("manifest", MFD_CLOEXEC);
	CHECK(fd >= 0, "no memory file");
	CHECK(size == 0 || write(fd, data, size) == (ssize_t)size, "cannot write the memory file");
	snprintf(url, sizeof(url), "file:///proc/self/fd/%d", fd);
	memset(&fo, 0, sizeof(fo));
	rc = pb_manifest_load(&m, url, &fo, &err);
	CHECK(rc == 0 || rc == -1, "returned %d: %s", rc, pb_buf_str(&err));
	if (rc == 0) {
		CHECK(m.assembly_id && *m.assembly_id, "no assembly");
		for (i = 0; i < m.nparts; i++) {
			CHECK(m.parts[i] && *m.parts[i], "part %zu is empty", i + 1);
			for (j = 0; j < i; j++)
				CHECK(strcmp(m.parts[i], m.parts[j]) != 0, "part %zu is part %zu again", i + 1, j + 1);
		}
		for (i = 0; i < m.ncolumns; i++)
			CHECK(m.columns[i] && strchr(m.columns[i], '/'), "column %zu is no category/name", i + 1);
	} else {
		/* Only logged (pb_log shows bytes that are not UTF-8 as \xHH): jansson's reason may quote any. */
		CHECK(strstr(pb_buf_str(&err), url + 7) != NULL, "an error that does not name the manifest: %s",
		      pb_buf_str(&err));
	}
	pb_manifest_release(&m);
	pb_buf_release(&err);
	close(fd);
	return 0;
}
