/* Memory for the large tables the store probes at random (the reduction's rows, the list prices' meters). */
#ifndef PB_TABLE_H
#define PB_TABLE_H

#include <stddef.h>

/*
 * A table of size bytes. Read at random one line after another, a table past a few megabytes would miss the
 * TLB at each probe too, so from two huge pages on it is asked for in huge pages (2 MiB aligned, madvise),
 * where the kernel gives them on request. Free it with free(). NULL when memory cannot be had.
 */
void *pb_table_alloc(size_t size);

/* pb_table_alloc of n * size bytes, zeroed. */
void *pb_table_calloc(size_t n, size_t size);

/* pb_table_alloc, keeping the first old_size bytes of old (then freed). NULL (old kept) when memory cannot be had. */
void *pb_table_realloc(void *old, size_t old_size, size_t size);

#endif
