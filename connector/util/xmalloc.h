/*
 * xmalloc: allocation that never returns NULL.  Out of memory aborts the
 * process (STYLE: "Out-of-memory aborts in xmalloc()"): there is no useful
 * recovery for a sync run, and the store is protected by its transaction.
 */
#ifndef HS_XMALLOC_H
#define HS_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
/* xcalloc for big tables probed at random (hash tables of a 100k run):
 * from 4 MB up it is 2 MB-aligned and asks for transparent huge pages, so
 * that a probe costs a cache miss but no TLB miss.  Smaller requests are
 * plain xcalloc.  free() releases either. */
void *xcalloc_huge(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array to hold at least need elements; doubles capacity. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
