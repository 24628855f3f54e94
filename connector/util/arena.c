#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "xmalloc.h"

#define ARENA_BLOCK (256 * 1024)
/* Once an arena holds ARENA_HUGE_AFTER bytes it is a big run's arena (a
 * 100k-member fetch fills 100 MB), and its next blocks are one 2 MB huge
 * page each: a page fault per 2 MB instead of per 4 KB, and far fewer TLB
 * misses for the hash probes and string compares that wander all over
 * it.  Small arenas (per-page scratch, tests) keep 256 KB blocks, so a
 * huge block's unused tail never costs more than a fraction of the run. */
#define ARENA_HUGE (2 * 1024 * 1024)
#define ARENA_HUGE_AFTER (8 * 1024 * 1024)
/* Pointers and sizes are the widest things the arena holds. */
#define ARENA_ALIGN 8

struct arena_block {
	struct arena_block *next;
	size_t size, off;
	_Alignas(16) unsigned char data[];
};

void
arena_init(struct arena *a)
{
	a->head = NULL;
	a->spare = NULL;
	a->used = 0;
}

static void
unmap_all(struct arena_block *b)
{
	struct arena_block *next;

	for (; b != NULL; b = next) {
		next = b->next;
		munmap(b, sizeof(*b) + b->size);
	}
}

void
arena_release(struct arena *a)
{
	unmap_all(a->head);
	unmap_all(a->spare);
	arena_init(a);
}

void
arena_rewind(struct arena *a)
{
	struct arena_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		if (b->size != ARENA_BLOCK) {
			munmap(b, sizeof(*b) + b->size);
			continue;
		}
		b->next = a->spare;
		a->spare = b;
	}
	a->head = NULL;
	a->used = 0;
}

/* Blocks come straight from mmap so that releasing a run's arena gives
 * the memory back to the system at once (malloc may keep freed 256 KB
 * chunks on its heap): a run frees its records before it diffs. */
static void *
map_or_die(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "harmony-sync: out of memory allocating %zu "
			"bytes\n", size);
		abort();
	}
	return p;
}

static struct arena_block *
block_new(size_t size)
{
	return map_or_die(sizeof(struct arena_block) + size);
}

/* One ARENA_HUGE block at an ARENA_HUGE boundary (a huge page must be
 * aligned): map twice the size, unmap the slack on both sides.  Without
 * transparent huge pages (or if madvise fails) it is an ordinary block. */
static struct arena_block *
block_new_huge(void)
{
	char *p = map_or_die(2 * ARENA_HUGE);
	uintptr_t at = ((uintptr_t)p + ARENA_HUGE - 1) &
		       ~(uintptr_t)(ARENA_HUGE - 1);
	size_t head = at - (uintptr_t)p;

	if (head > 0)
		munmap(p, head);
	munmap((char *)at + ARENA_HUGE, ARENA_HUGE - head);
#ifdef MADV_HUGEPAGE
	(void)madvise((void *)at, ARENA_HUGE, MADV_HUGEPAGE);
#endif
	return (struct arena_block *)at;
}

/* Bumps n bytes off the current block, first rounding the offset up to
 * align (a power of two); a new block when they do not fit. */
static void *
bump(struct arena *a, size_t n, size_t align)
{
	struct arena_block *b = a->head;
	size_t off = 0;

	if (b != NULL)
		off = (b->off + align - 1) & ~(align - 1);
	if (b == NULL || off > b->size || b->size - off < n) {
		size_t size = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;

		if (size == ARENA_BLOCK && a->spare != NULL) {
			b = a->spare;
			a->spare = b->next;
		} else if (size == ARENA_BLOCK && a->used >= ARENA_HUGE_AFTER) {
			b = block_new_huge();
			size = ARENA_HUGE - sizeof(*b);
		} else {
			b = block_new(size);
		}
		b->size = size;
		b->off = 0;
		off = 0;
		if (size == n && a->head != NULL) {
			/* A big object: keep the current block for small ones. */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	b->off = off + n;
	a->used += n;
	return b->data + off;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	return bump(a, n, ARENA_ALIGN);
}

void *
arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	memset(p, 0, n);
	return p;
}

/* Strings need no alignment: packing them saved an eighth of a fetch. */
char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = bump(a, n + 1, 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;
	char *p;

	/* Most results fit the stack buffer: format once, copy once. */
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(buf))
		return arena_strndup(a, buf, (size_t)n);
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* src's blocks go after dst's head, so that dst keeps bumping into its
 * current block. */
void
arena_adopt(struct arena *dst, struct arena *src)
{
	struct arena_block *tail;

	if (src->head == NULL)
		return;
	if (dst->head == NULL) {
		dst->head = src->head;
	} else {
		for (tail = src->head; tail->next != NULL; tail = tail->next)
			;
		tail->next = dst->head->next;
		dst->head->next = src->head;
	}
	dst->used += src->used;
	src->head = NULL;
	src->used = 0;
}
