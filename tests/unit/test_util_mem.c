/* util memory: arena_rewind reuses blocks, hmap_add adds only new keys. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "util/arena.h"
#include "util/hmap.h"

enum { PIECE = 1000, NPIECES = 1500 };	/* 1.5 MB: several 256 KB blocks */

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a;
	uintptr_t y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* Fills NPIECES pieces, piece i with byte i + seed, into got[]. */
static void
fill(struct arena *a, unsigned char **got, int seed)
{
	for (int i = 0; i < NPIECES; i++) {
		got[i] = arena_alloc(a, PIECE);
		memset(got[i], (i + seed) & 0xff, PIECE);
	}
}

/* 1 if every piece still holds what fill() wrote (no overlaps). */
static int
intact(unsigned char **got, int seed)
{
	for (int i = 0; i < NPIECES; i++)
		for (int j = 0; j < PIECE; j++)
			if (got[i][j] != ((i + seed) & 0xff))
				return 0;
	return 1;
}

/* After a rewind the same pieces land in the blocks already mapped: every
 * new piece starts where an old one did (same sizes, same offsets). */
static void
test_arena_rewind_reuses_blocks(void)
{
	static unsigned char *old[NPIECES], *now[NPIECES];
	struct arena a;
	size_t reused = 0;

	arena_init(&a);
	fill(&a, old, 0);
	CHECK_INT(a.used, (size_t)NPIECES * PIECE);
	CHECK(intact(old, 0));
	arena_rewind(&a);
	CHECK_INT(a.used, 0);
	CHECK(a.head == NULL);
	CHECK(a.spare != NULL);
	qsort(old, NPIECES, sizeof(*old), ptr_cmp);
	fill(&a, now, 7);
	CHECK_INT(a.used, (size_t)NPIECES * PIECE);
	CHECK(intact(now, 7));
	for (int i = 0; i < NPIECES; i++)
		reused += bsearch(&now[i], old, NPIECES, sizeof(*old),
				  ptr_cmp) != NULL;
	CHECK_INT(reused, NPIECES);
	/* a second round trip works the same */
	arena_rewind(&a);
	CHECK_INT(a.used, 0);
	CHECK_STR(arena_strdup(&a, "after"), "after");
	CHECK_INT(a.used, 6);
	arena_release(&a);
	CHECK(a.head == NULL && a.spare == NULL && a.used == 0);
}

/* Big objects have their own blocks: rewind unmaps them instead of keeping
 * them as spares, and the small blocks around them stay usable. */
static void
test_arena_rewind_big_object(void)
{
	enum { BIG = 100 * 1024, HUGE = 1024 * 1024 };
	struct arena a;
	unsigned char *small, *big, *first;

	arena_init(&a);
	first = arena_alloc(&a, HUGE);	/* big object as the first block */
	memset(first, 0xab, HUGE);
	small = arena_alloc(&a, 64);
	memset(small, 1, 64);
	big = arena_alloc(&a, BIG);
	memset(big, 2, BIG);
	CHECK(small[63] == 1 && big[BIG - 1] == 2 && first[HUGE - 1] == 0xab);
	CHECK_INT(a.used, HUGE + 64 + BIG);
	arena_rewind(&a);
	CHECK_INT(a.used, 0);
	small = arena_zalloc(&a, 64);
	CHECK(small[0] == 0 && small[63] == 0);
	big = arena_alloc(&a, BIG);
	memset(big, 3, BIG);
	CHECK(big[0] == 3 && big[BIG - 1] == 3);
	CHECK_INT(a.used, 64 + BIG);
	arena_rewind(&a);
	arena_rewind(&a);	/* rewinding an empty arena is harmless */
	CHECK_INT(a.used, 0);
	arena_release(&a);
	/* rewind of a never-used arena, then release */
	arena_init(&a);
	arena_rewind(&a);
	CHECK(a.head == NULL && a.spare == NULL);
	arena_release(&a);
}

static void
test_hmap_add_absent_present(void)
{
	static char fill_keys[16][16];
	struct hmap m;
	int one = 1, two = 2;
	size_t cap;

	hmap_init(&m);
	CHECK_INT(hmap_add(&m, "k", &one), 1);
	CHECK_INT(m.len, 1);
	CHECK(hmap_get(&m, "k") == &one);
	CHECK_INT(hmap_add(&m, "k", &two), 0);
	CHECK(hmap_get(&m, "k") == &one);
	CHECK_INT(m.len, 1);
	/* a NULL value counts as present */
	CHECK_INT(hmap_add(&m, "n", NULL), 1);
	CHECK_INT(hmap_has(&m, "n"), 1);
	CHECK_INT(hmap_add(&m, "n", &two), 0);
	CHECK(hmap_get(&m, "n") == NULL);
	CHECK_INT(m.len, 2);
	/* keys compare by bytes, not by pointer */
	{
		char copy[] = "k";

		CHECK_INT(hmap_add(&m, copy, &two), 0);
		CHECK(hmap_get(&m, "k") == &one);
	}
	CHECK_INT(hmap_add(&m, "K", &two), 1);	/* case matters */
	CHECK_INT(m.len, 3);
	/* Fill to the growth threshold (12 of 16): adding a present key
	 * then keeps its value and len; the table may grow (hmap.h), since
	 * growing comes before the lookup. */
	for (int i = 0; i < 16 && m.len < 12; i++) {
		snprintf(fill_keys[i], sizeof(fill_keys[i]), "f%d", i);
		hmap_add(&m, fill_keys[i], NULL);
	}
	cap = m.cap;
	CHECK_INT(cap, 16);
	CHECK_INT(hmap_add(&m, "k", &two), 0);
	CHECK_INT(m.len, 12);
	CHECK(hmap_get(&m, "k") == &one);
	hmap_release(&m);
	CHECK(m.slots == NULL && m.len == 0 && m.cap == 0);
}

/* len stays exact across many doublings, and no value is lost or
 * overwritten by a repeated add. */
static void
test_hmap_add_growth(void)
{
	enum { N = 10000 };
	static char keys[N][32];
	struct hmap m;
	size_t added = 0, ok = 0, iter = 0, i;
	const char *k;
	void *v;

	hmap_init(&m);
	for (i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key-%zu", i);
		added += (size_t)hmap_add(&m, keys[i],
					  (void *)(uintptr_t)(i + 1));
		if (m.len != i + 1)
			break;
	}
	CHECK_INT(added, N);
	CHECK_INT(m.len, N);
	CHECK(m.cap >= N && m.len * 4 <= m.cap * 3);
	for (i = 0; i < N; i++)
		added -= (size_t)hmap_add(&m, keys[i], NULL) == 0;
	CHECK_INT(added, 0);
	CHECK_INT(m.len, N);
	for (i = 0; i < N; i++)
		ok += hmap_get(&m, keys[i]) == (void *)(uintptr_t)(i + 1);
	CHECK_INT(ok, N);
	CHECK(hmap_get(&m, "key-10000") == NULL);
	for (i = 0; hmap_next(&m, &i, &k, &v); )
		iter++;
	CHECK_INT(iter, N);
	hmap_release(&m);
}

int
main(void)
{
	RUN(test_arena_rewind_reuses_blocks);
	RUN(test_arena_rewind_big_object);
	RUN(test_hmap_add_absent_present);
	RUN(test_hmap_add_growth);
	return t_done();
}
