#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/sort.h"
#include "util/xmalloc.h"

/* Two words of prefix, not one: emails share their first 8 bytes often
 * ("aallen10218@..." and "aallen10591@..."), and each tie read both
 * strings (a fifth of a 100k-member sort's time went to strcmp). */
struct sort_item {
	uint64_t prefix[2];	/* first 16 bytes, big-endian, NUL-padded */
	const char *s;
	void *p;
};

static void
prefix_of(const char *s, uint64_t prefix[2])
{
	int i;

	prefix[0] = prefix[1] = 0;
	for (i = 0; i < 16 && s[i] != '\0'; i++)
		prefix[i / 8] |= (uint64_t)(unsigned char)s[i] <<
				 (56 - 8 * (i % 8));
}

static int
item_cmp(const void *a, const void *b, void *tie_arg)
{
	const struct sort_item *x = a, *y = b;
	int (*tie)(const void *, const void *) =
	    *(int (**)(const void *, const void *))tie_arg;
	int r;

	for (int w = 0; w < 2; w++)
		if (x->prefix[w] != y->prefix[w])
			return x->prefix[w] < y->prefix[w] ? -1 : 1;
	/* Equal prefixes: if the 16th byte is the NUL padding, both strings
	 * ended within the prefix and are equal; else compare the rest. */
	if ((x->prefix[1] & 0xff) != 0 && (r = strcmp(x->s, y->s)) != 0)
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
		prefix_of(it[i].s, it[i].prefix);
	}
	qsort_r(it, n, sizeof(*it), item_cmp, &tie);
	for (i = 0; i < n; i++)
		memcpy(base + i * sizeof(void *), &it[i].p, sizeof(void *));
	free(it);
}
