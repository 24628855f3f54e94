/* sort: sort_by_string gives qsort's order, ties included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "util/sort.h"

struct item {
	const char *name;
	int id;
};

static const char *
name_of(const void *p)
{
	return ((const struct item *)p)->name;
}

static int
id_cmp(const void *a, const void *b)
{
	return ((const struct item *)a)->id - ((const struct item *)b)->id;
}

static int
ref_cmp(const void *a, const void *b)
{
	const struct item *x = *(struct item *const *)a;
	const struct item *y = *(struct item *const *)b;
	int r = strcmp(x->name, y->name);

	return r ? r : id_cmp(x, y);
}

/* Short names, shared 8-byte prefixes, bytes >= 0x80 and duplicates:
 * every way the packed prefix could disagree with strcmp. */
static void
test_sort_matches_qsort(void)
{
	static const char *names[] = {
		"", "a", "ab", "abcdefgh", "abcdefghi", "abcdefgh0", "abcdefg",
		"\xc3\xa9t\xc3\xa9", "zzz", "Zed", "abcdefgh", "b", "\x7f", "a",
	};
	enum { N = 2000 };
	struct item items[N], *got[N], *want[N];

	srand(7);
	for (int i = 0; i < N; i++) {
		items[i].name = names[rand() % (int)(sizeof(names) /
						     sizeof(*names))];
		items[i].id = rand() % 50;
		got[i] = want[i] = &items[i];
	}
	qsort(want, N, sizeof(*want), ref_cmp);
	sort_by_string(got, N, name_of, id_cmp);
	for (int i = 0; i < N; i++) {
		CHECK_STR(got[i]->name, want[i]->name);
		CHECK_INT(got[i]->id, want[i]->id);
	}
	sort_by_string(got, 1, name_of, NULL);	/* nothing to do */
	sort_by_string(got, 0, name_of, NULL);
}

int
main(void)
{
	RUN(test_sort_matches_qsort);
	return t_done();
}
