#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/sort.h"
#include "util/xmalloc.h"

struct sort_item {
	uint64_t prefix;	/* first 8 bytes, big-endian, NUL-padded */
	const char *s;
	void *p;
};

static uint64_t
prefix_of(const char *s)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < 8 && s[i] != '\0'; i++)
		x |= (uint64_t)(unsigned char)s[i] << (56 - 8 * i);
	return x;
}

static int
item_cmp(const void *a, const void *b, void *tie_arg)
{
	const struct sort_item *x = a, *y = b;
	int (*tie)(const void *, const void *) =
	    *(int (**)(const void *, const void *))tie_arg;
	int r;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	/* equal prefixes: equal first 8 bytes, or both strings end early */
	if ((r = strcmp(x->s, y->s)) != 0)
		return r;
	return tie != NULL ? tie(x->p, y->p) : 0;
}

/* Elements are copied with memcpy: the array holds pointers of the
 * caller's type, not void *. */
void
sort_by_string(void *v, size_t n, const char *(*key)(const void *),
	       int (*tie)(const void *, const void *))
{
	char *base = v;
	struct sort_item *it;
	size_t i;

	if (n < 2)
		return;
	it = xmalloc(n * sizeof(*it));
	for (i = 0; i < n; i++) {
		memcpy(&it[i].p, base + i * sizeof(void *), sizeof(void *));
		it[i].s = key(it[i].p);
		it[i].prefix = prefix_of(it[i].s);
	}
	qsort_r(it, n, sizeof(*it), item_cmp, &tie);
	for (i = 0; i < n; i++)
		memcpy(base + i * sizeof(void *), &it[i].p, sizeof(void *));
	free(it);
}
