/*
 * arena: bump allocator for one sync run.
 *
 * Records, mapped values and the desired state of a run live in one arena
 * and are freed together by arena_release() (STYLE: ownership).  Pointers
 * returned by arena_* stay valid until arena_release().  Allocation never
 * fails (aborts on out of memory).
 */
#ifndef HS_ARENA_H
#define HS_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	struct arena_block *spare;	/* rewound blocks, reused first */
	size_t used;		/* bytes handed out, for stats */
};

void arena_init(struct arena *a);
void arena_release(struct arena *a);
/* Forgets everything allocated (pointers into a become invalid) but keeps
 * a's standard blocks for the next allocations: a scratch arena reused
 * many times costs no new pages. */
void arena_rewind(struct arena *a);
/* Returns n bytes aligned for any type, uninitialised. */
void *arena_alloc(struct arena *a, size_t n);
/* Returns n zeroed bytes. */
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Copies n bytes and adds a NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Moves every block of src into dst (no copying): src's pointers stay
 * valid and are freed with dst; src is left empty.  Lets an arena filled
 * on another thread be handed over once that thread is done with it. */
void arena_adopt(struct arena *dst, struct arena *src);

#endif
