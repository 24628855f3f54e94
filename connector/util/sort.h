/*
 * sort: sorts an array of pointers by a string each one holds, in strcmp
 * order, ties broken by a second comparison.
 *
 * For large arrays of records scattered over memory (100,000 members):
 * the first 16 bytes of each string are packed into two integers beside
 * the pointer, so most comparisons touch neither the record nor the string.
 * The result is the order qsort with the same comparison would give.
 */
#ifndef HS_SORT_H
#define HS_SORT_H

#include <stddef.h>

/* v is an array of n object pointers (struct x *v[n]); key(v[i]) is the
 * string v[i] sorts by; tie(a, b) (given two v[i], may be NULL) orders
 * equal keys.  Allocates n * 32 bytes meanwhile. */
void sort_by_string(void *v, size_t n, const char *(*key)(const void *),
		    int (*tie)(const void *, const void *));

#endif
