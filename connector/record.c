/*
 * record: builder, lookups, the recordset and group linking.
 *
 * The builder keeps its index arrays across entries (one malloc'd set per
 * fetch, not per entry); values and names go to the arena as they arrive
 * and finish() lays the attribute table out once, grouped by name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dn.h"
#include "record.h"
#include "util/xmalloc.h"

void
record_builder_init(struct record_builder *b, struct arena *arena)
{
	memset(b, 0, sizeof(*b));
	b->arena = arena;
}

void
record_builder_release(struct record_builder *b)
{
	free(b->names);
	free(b->counts);
	free(b->vals);
	free(b->name_of_val);
	free(b->members);
	free(b->member_keys);
	free(b->interned);
	memset(b, 0, sizeof(*b));
}

/* Every entry of a fetch has the same few attribute names: one arena copy
 * of each, not one per entry (a sixth of a 100k fetch's memory). */
static const char *
intern(struct record_builder *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->ninterned; i++)
		if (strcmp(b->interned[i], name) == 0)
			return b->interned[i];
	if (b->ninterned >= 512)	/* a directory of odd names: stop caching */
		return arena_strdup(b->arena, name);
	b->interned = xgrow(b->interned, &b->capinterned, b->ninterned + 1,
			    sizeof(*b->interned));
	b->interned[b->ninterned] = arena_strdup(b->arena, name);
	return b->interned[b->ninterned++];
}

static size_t
name_index(struct record_builder *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nnames; i++)
		if (strcasecmp(b->names[i], name) == 0)
			return i;
	if (i == b->capnames) {
		size_t cap = b->capnames;

		b->names = xgrow(b->names, &cap, i + 1, sizeof(*b->names));
		b->counts = xgrow(b->counts, &b->capnames, i + 1,
				  sizeof(*b->counts));
	}
	b->names[i] = intern(b, name);
	b->counts[i] = 0;
	b->nnames++;
	return i;
}

void
record_builder_add(struct record_builder *b, const char *name,
		   const char *val, size_t n)
{
	size_t ni;

	if (name == NULL || *name == '\0' || val == NULL)
		return;
	ni = name_index(b, name);
	if (b->nvals == b->capvals) {
		size_t cap = b->capvals;

		b->vals = xgrow(b->vals, &cap, b->nvals + 1, sizeof(*b->vals));
		b->name_of_val = xgrow(b->name_of_val, &b->capvals,
				       b->nvals + 1, sizeof(*b->name_of_val));
		b->capnov = b->capvals;
	}
	b->vals[b->nvals] = arena_strndup(b->arena, val, strnlen(val, n));
	b->name_of_val[b->nvals] = ni;
	b->nvals++;
	b->counts[ni]++;
}

void
record_builder_add_member(struct record_builder *b, const char *ref,
			  const char *key)
{
	if (ref == NULL)
		return;
	if (b->nmembers == b->capmembers) {
		size_t cap = b->capmembers;

		b->members = xgrow(b->members, &cap, b->nmembers + 1,
				   sizeof(*b->members));
		b->member_keys = xgrow(b->member_keys, &b->capmembers,
				       b->nmembers + 1,
				       sizeof(*b->member_keys));
	}
	b->members[b->nmembers] = arena_strdup(b->arena, ref);
	/* Most DNs are already in normal form: share the copy. */
	b->member_keys[b->nmembers] = key == NULL ? NULL :
	    strcmp(key, ref) == 0 ? b->members[b->nmembers] :
	    arena_strdup(b->arena, key);
	b->nmembers++;
}

static const char *
dup_or_null(struct arena *a, const char *s)
{
	return s != NULL ? arena_strdup(a, s) : NULL;
}

/* Lays out the attributes: one vals array per name, values in the order
 * they were added, names in first-seen order. */
static void
finish_attrs(struct record_builder *b, struct record *r)
{
	struct arena *a = b->arena;

	r->nattrs = b->nnames;
	if (b->nnames == 0)
		return;
	r->attrs = arena_alloc(a, b->nnames * sizeof(*r->attrs));
	for (size_t i = 0; i < b->nnames; i++) {
		r->attrs[i].name = b->names[i];
		r->attrs[i].n = 0;
		r->attrs[i].vals = arena_alloc(a, b->counts[i] *
					       sizeof(*r->attrs[i].vals));
	}
	for (size_t v = 0; v < b->nvals; v++) {
		struct attr *at = &r->attrs[b->name_of_val[v]];

		at->vals[at->n++] = b->vals[v];
	}
}

struct record *
record_builder_finish(struct record_builder *b, enum record_kind kind,
		      const char *anchor, const char *id, const char *key)
{
	struct arena *a = b->arena;
	struct record *r = arena_zalloc(a, sizeof(*r));

	r->kind = kind;
	r->anchor = dup_or_null(a, anchor);
	r->id = dup_or_null(a, id);
	/* A DN already in normal form is its own key: one copy. */
	r->key = key != NULL && id != NULL && strcmp(key, id) == 0 ? r->id :
	    dup_or_null(a, key);
	finish_attrs(b, r);
	r->nmembers = b->nmembers;
	if (b->nmembers > 0) {
		size_t sz = b->nmembers * sizeof(*r->members);

		r->members = arena_alloc(a, sz);
		r->member_keys = arena_alloc(a, sz);
		memcpy(r->members, b->members, sz);
		memcpy(r->member_keys, b->member_keys, sz);
	}
	b->nnames = b->nvals = b->nmembers = 0;
	return r;
}

const struct attr *
record_attr(const struct record *r, const char *name)
{
	if (r == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < r->nattrs; i++)
		if (strcasecmp(r->attrs[i].name, name) == 0)
			return &r->attrs[i];
	return NULL;
}

const char *
record_first(const struct record *r, const char *name)
{
	const struct attr *a = record_attr(r, name);

	return a != NULL && a->n > 0 ? a->vals[0] : NULL;
}

void
recordset_init(struct recordset *rs)
{
	memset(rs, 0, sizeof(*rs));
	arena_init(&rs->arena);
	hmap_init(&rs->by_key);
	hmap_init(&rs->by_anchor);
}

void
recordset_release(struct recordset *rs)
{
	hmap_release(&rs->by_key);
	hmap_release(&rs->by_anchor);
	free(rs->users);
	free(rs->groups);
	arena_release(&rs->arena);
	memset(rs, 0, sizeof(*rs));
}

int
recordset_add(struct recordset *rs, struct record *r)
{
	if (r->anchor != NULL) {
		if (hmap_has(&rs->by_anchor, r->anchor))
			return -1;
		hmap_put(&rs->by_anchor, r->anchor, r);
	}
	/* two entries with one key: the first keeps it, deterministically */
	if (r->key != NULL && !hmap_has(&rs->by_key, r->key))
		hmap_put(&rs->by_key, r->key, r);
	if (r->kind == RECORD_GROUP) {
		rs->groups = xgrow(rs->groups, &rs->capgroups, rs->ngroups + 1,
				   sizeof(*rs->groups));
		rs->groups[rs->ngroups++] = r;
	} else {
		rs->users = xgrow(rs->users, &rs->capusers, rs->nusers + 1,
				  sizeof(*rs->users));
		rs->users[rs->nusers++] = r;
	}
	return 0;
}

struct record *
recordset_find(const struct recordset *rs, const char *key)
{
	return key != NULL ? hmap_get(&rs->by_key, key) : NULL;
}

/*
 * Group linking.  Each group's direct members are resolved once into
 * index lists; then each group's closure is walked once (visited stamps,
 * so cycles end) and every user reached gets a (user, group) pair.  The
 * pairs are bucketed by user and appended to memberOf in group order.
 * Work is proportional to the memberships produced.
 */
struct idx_list {
	size_t *v;
	size_t n, cap;
};

struct linker {
	struct recordset *rs;
	struct hmap uidx, gidx;		/* key -> index + 1 */
	struct idx_list *dusers, *dsubs; /* per group: direct members */
	size_t *gstamp, *ustamp;
	size_t *stack;
	struct idx_list pu, pg;		/* pairs: user, group */
};

static void
idx_push(struct idx_list *l, size_t x)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = x;
}

static void
index_records(struct hmap *m, struct record **recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (recs[i]->key != NULL && !hmap_has(m, recs[i]->key))
			hmap_put(m, recs[i]->key, (void *)(uintptr_t)(i + 1));
}

static void
resolve_direct(struct linker *L)
{
	struct recordset *rs = L->rs;

	for (size_t g = 0; g < rs->ngroups; g++) {
		const struct record *gr = rs->groups[g];

		for (size_t m = 0; m < gr->nmembers; m++) {
			const char *k = gr->member_keys ? gr->member_keys[m]
							: NULL;
			uintptr_t i;

			if (k == NULL)
				continue;
			if ((i = (uintptr_t)hmap_get(&L->uidx, k)) != 0)
				idx_push(&L->dusers[g], i - 1);
			else if ((i = (uintptr_t)hmap_get(&L->gidx, k)) != 0)
				idx_push(&L->dsubs[g], i - 1);
		}
	}
}

/* Walks group g's closure; stamps are g + 1 so nothing needs clearing. */
static void
walk_group(struct linker *L, size_t g)
{
	size_t stamp = g + 1, sp = 0;

	L->stack[sp++] = g;
	L->gstamp[g] = stamp;
	while (sp > 0) {
		size_t h = L->stack[--sp];

		for (size_t i = 0; i < L->dusers[h].n; i++) {
			size_t u = L->dusers[h].v[i];

			if (L->ustamp[u] == stamp)
				continue;
			L->ustamp[u] = stamp;
			idx_push(&L->pu, u);
			idx_push(&L->pg, g);
		}
		for (size_t i = 0; i < L->dsubs[h].n; i++) {
			size_t s = L->dsubs[h].v[i];

			if (L->gstamp[s] == stamp)
				continue;
			L->gstamp[s] = stamp;
			L->stack[sp++] = s;	/* each group pushed once */
		}
	}
}

/* 1 if the user's existing memberOf values already name key.  forms
 * holds, per existing value, either the value or its normal form. */
static int
already_member(const char *const *forms, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (forms[i] != NULL && strcasecmp(forms[i], key) == 0)
			return 1;
	return 0;
}

static void
existing_forms(const struct attr *mo, const char **forms, struct str *scratch,
	       size_t *offs)
{
	str_reset(scratch);
	for (size_t i = 0; i < mo->n; i++) {
		offs[i] = (size_t)-1;
		if (dn_needs_normalize(mo->vals[i])) {
			size_t at = scratch->len;

			if (dn_normalize(mo->vals[i], scratch) == 0) {
				str_addc(scratch, '\0');
				offs[i] = at;
			}
		}
	}
	/* offsets first, pointers after: scratch may move while it grows */
	for (size_t i = 0; i < mo->n; i++)
		forms[i] = offs[i] == (size_t)-1 ? mo->vals[i]
						 : scratch->buf + offs[i];
}

static void
add_member_of(struct linker *L, struct record *u, const size_t *gs, size_t n,
	      struct str *scratch)
{
	struct arena *a = &L->rs->arena;
	struct attr *mo = (struct attr *)record_attr(u, "memberOf");
	size_t have = mo != NULL ? mo->n : 0, cnt = have;
	const char **vals = arena_alloc(a, (have + n) * sizeof(*vals));
	const char **forms = xcalloc(have + 1, sizeof(*forms));
	size_t *offs = xcalloc(have + 1, sizeof(*offs));

	if (have > 0) {
		memcpy(vals, mo->vals, have * sizeof(*vals));
		existing_forms(mo, forms, scratch, offs);
	}
	for (size_t i = 0; i < n; i++) {
		const struct record *g = L->rs->groups[gs[i]];
		const char *gk = g->key != NULL ? g->key : g->id;

		if (gk == NULL || (have > 0 && already_member(forms, have, gk)))
			continue;
		vals[cnt++] = g->id != NULL ? g->id : g->key;
	}
	free(forms);
	free(offs);
	if (cnt == have)
		return;
	if (mo == NULL) {
		struct attr *na = arena_alloc(a, (u->nattrs + 1) * sizeof(*na));

		if (u->nattrs > 0)
			memcpy(na, u->attrs, u->nattrs * sizeof(*na));
		mo = &na[u->nattrs];
		mo->name = "memberOf";
		u->attrs = na;
		u->nattrs++;
	}
	mo->vals = vals;
	mo->n = cnt;
}

/* Buckets the (user, group) pairs by user, keeping group order. */
static void
apply_pairs(struct linker *L)
{
	struct recordset *rs = L->rs;
	size_t *start = xcalloc(rs->nusers + 1, sizeof(*start));
	size_t *fill, *order = xmalloc((L->pu.n + 1) * sizeof(*order));
	struct str scratch = STR_INIT;

	for (size_t i = 0; i < L->pu.n; i++)
		start[L->pu.v[i] + 1]++;
	for (size_t u = 0; u < rs->nusers; u++)
		start[u + 1] += start[u];
	fill = xmalloc((rs->nusers + 1) * sizeof(*fill));
	memcpy(fill, start, (rs->nusers + 1) * sizeof(*fill));
	for (size_t i = 0; i < L->pu.n; i++)
		order[fill[L->pu.v[i]]++] = L->pg.v[i];
	for (size_t u = 0; u < rs->nusers; u++)
		if (start[u + 1] > start[u])
			add_member_of(L, rs->users[u], order + start[u],
				      start[u + 1] - start[u], &scratch);
	str_release(&scratch);
	free(fill);
	free(order);
	free(start);
}

void
recordset_link_groups(struct recordset *rs)
{
	struct linker L;
	size_t ng = rs->ngroups;

	if (ng == 0 || rs->nusers == 0)
		return;
	memset(&L, 0, sizeof(L));
	L.rs = rs;
	hmap_init(&L.uidx);
	hmap_init(&L.gidx);
	index_records(&L.uidx, rs->users, rs->nusers);
	index_records(&L.gidx, rs->groups, ng);
	L.dusers = xcalloc(ng, sizeof(*L.dusers));
	L.dsubs = xcalloc(ng, sizeof(*L.dsubs));
	L.gstamp = xcalloc(ng, sizeof(*L.gstamp));
	L.ustamp = xcalloc(rs->nusers, sizeof(*L.ustamp));
	L.stack = xmalloc(ng * sizeof(*L.stack));
	resolve_direct(&L);
	for (size_t g = 0; g < ng; g++)
		walk_group(&L, g);
	apply_pairs(&L);
	for (size_t g = 0; g < ng; g++) {
		free(L.dusers[g].v);
		free(L.dsubs[g].v);
	}
	free(L.dusers);
	free(L.dsubs);
	free(L.gstamp);
	free(L.ustamp);
	free(L.stack);
	free(L.pu.v);
	free(L.pg.v);
	hmap_release(&L.uidx);
	hmap_release(&L.gidx);
}
