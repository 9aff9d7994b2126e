/* Memory for the large tables the store probes at random, in huge pages where the kernel gives them. */
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "banned.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *pb_table_alloc(size_t size)
{
	void *p;

	if (size < 2 * HUGE_PAGE)
		return malloc(size ? size : 1);
	size = (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	p = aligned_alloc(HUGE_PAGE, size);
	if (p)
		madvise(p, size, MADV_HUGEPAGE);
	return p;
}

void *pb_table_calloc(size_t n, size_t size)
{
	void *p = pb_table_alloc(n * size);

	if (p)
		memset(p, 0, n * size);
	return p;
}

void *pb_table_realloc(void *old, size_t old_size, size_t size)
{
	void *p;

	if (size < 2 * HUGE_PAGE)
		return realloc(old, size ? size : 1);
	p = pb_table_alloc(size);
	if (!p)
		return NULL;
	if (old_size)
		memcpy(p, old, old_size);
	free(old);
	return p;
}
