/*
 * hmap: string-keyed hash map (open addressing, linear probing, FNV-1a).
 *
 * Keys are borrowed: the caller keeps them alive (usually in the run's
 * arena) for as long as the map.  Callers normalise keys (lower case,
 * normalised DN) before using them; the map compares bytes.
 */
#ifndef HS_HMAP_H
#define HS_HMAP_H

#include <stddef.h>

struct hmap_slot {
	const char *key;
	void *val;
	size_t hash;
};

struct hmap {
	struct hmap_slot *slots;
	size_t cap, len;
};

void hmap_init(struct hmap *m);
/* Frees the table (not keys or values). */
void hmap_release(struct hmap *m);
/* Returns the value for key, or NULL. */
void *hmap_get(const struct hmap *m, const char *key);
/* 1 if key is present (its value may be NULL). */
int hmap_has(const struct hmap *m, const char *key);
/* Sets key to val; returns the previous value or NULL. */
void *hmap_put(struct hmap *m, const char *key, void *val);
/* Sets key to val only if key is absent: returns 1 if it added key, 0 if
 * the map already held it (then its value and len are unchanged; the
 * table may still have grown, which reorders hmap_next()).  One hash and
 * one probe where hmap_has() then hmap_put() take two of each. */
int hmap_add(struct hmap *m, const char *key, void *val);
/* Iteration: for (i = 0; hmap_next(m, &i, &k, &v); ) ... order is the
 * table's, not deterministic across inserts: sort before printing. */
int hmap_next(const struct hmap *m, size_t *i, const char **key, void **val);

size_t hmap_hash(const char *key);

#endif
