#include <stdlib.h>
#include <string.h>

#include "seats.h"

static int
cand_cmp(const void *va, const void *vb)
{
	const struct seat_cand *a = va, *b = vb;
	int r;

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if (a->created_at != b->created_at)
		return a->created_at < b->created_at ? -1 : 1;
	if ((r = strcmp(a->email_key, b->email_key)) != 0)
		return r;
	return strcmp(a->anchor, b->anchor);
}

void
seats_order(struct seat_cand *c, size_t n)
{
	if (n > 1)
		qsort(c, n, sizeof(*c), cand_cmp);
}

int
seats_free(int capacity, int used)
{
	return capacity > used ? capacity - used : 0;
}
