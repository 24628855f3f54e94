/*
 * record: builder, lookups, the recordset and group linking.
 *
 * The builder keeps its index arrays across entries (one malloc'd set per
 * fetch, not per entry); values and names go to the arena as they arrive
 * and finish() lays the attribute table out once, grouped by name.
 */
#include <assert.h>
#include <stdint.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dn.h"
#include "record.h"
#include "util/str.h"
#include "util/xmalloc.h"

static void linker_free(struct linker *L);
static void link_user(struct recordset *rs, struct record *u);

void
record_builder_init(struct record_builder *b, struct arena *arena)
{
	memset(b, 0, sizeof(*b));
	b->arena = arena;
	b->name_arena = arena;
}

void
record_builder_set_arena(struct record_builder *b, struct arena *arena)
{
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

/* strcasecmp(a, b) == 0, after ruling out most unequal names by their
 * first bytes alone: the C locale folds only A-Z, which differ from a-z
 * in bit 0x20 alone.  Every value added and every attribute looked up
 * scans a record's names. */
static int
name_eq(const char *a, const char *b)
{
	return ((a[0] ^ b[0]) & ~0x20) == 0 && strcasecmp(a, b) == 0;
}

/* Every entry of a fetch has the same few attribute names: one arena copy
 * of each, not one per entry (a sixth of a 100k fetch's memory).  Entries
 * list their names in one order, mostly: the entry's k-th new name is
 * tried first against the k-th interned one. */
static const char *
intern(struct record_builder *b, const char *name)
{
	size_t i = b->nnames;

	if (i < b->ninterned && strcmp(b->interned[i], name) == 0)
		return b->interned[i];
	for (i = 0; i < b->ninterned; i++)
		if (strcmp(b->interned[i], name) == 0)
			return b->interned[i];
	if (b->ninterned >= 512)	/* a directory of odd names: stop caching */
		return arena_strdup(b->name_arena, name);
	b->interned = xgrow(b->interned, &b->capinterned, b->ninterned + 1,
			    sizeof(*b->interned));
	b->interned[b->ninterned] = arena_strdup(b->name_arena, name);
	return b->interned[b->ninterned++];
}

static size_t
name_index(struct record_builder *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nnames; i++)
		if (name_eq(b->names[i], name))
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
		if (name_eq(r->attrs[i].name, name))
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
	arena_init(&rs->scratch);
	hmap_init(&rs->by_key);
	hmap_init(&rs->by_anchor);
}

void
recordset_release(struct recordset *rs)
{
	hmap_release(&rs->by_key);
	hmap_release(&rs->by_anchor);
	linker_free(rs->linker);
	free(rs->users);
	free(rs->groups);
	arena_release(&rs->arena);
	arena_release(&rs->scratch);
	memset(rs, 0, sizeof(*rs));
}

/* After recordset_groups_done: the user is complete once linked, so the
 * caller's per-user work can run now, overlapping the rest of the fetch. */
static void
stream_user(struct recordset *rs, struct record *u)
{
	link_user(rs, u);
	if (rs->on_user != NULL)
		rs->on_user(rs->on_user_arg, u);
}

struct arena *
recordset_user_arena(struct recordset *rs)
{
	rs->slim = rs->keep != NULL && rs->linker != NULL;
	return rs->slim ? &rs->scratch : &rs->arena;
}

static int
kept(const struct recordset *rs, const char *name)
{
	for (const char *const *k = rs->keep; *k != NULL; k++)
		if (name_eq(*k, name))
			return 1;
	return 0;
}

/* u's lasting part, in rs->arena: what recordset_add's callers and the
 * later stages read (see keep). */
static struct record *
slim_copy(struct recordset *rs, const struct record *u)
{
	struct arena *a = &rs->arena;
	struct record *r = arena_zalloc(a, sizeof(*r));
	size_t i, j, n = 0;

	r->kind = u->kind;
	r->anchor = dup_or_null(a, u->anchor);
	r->id = dup_or_null(a, u->id);
	r->key = u->key == u->id ? r->id : dup_or_null(a, u->key);
	r->in_groups = u->in_groups;	/* already in rs->arena */
	r->nin_groups = u->nin_groups;
	for (i = 0; i < u->nattrs; i++)
		n += kept(rs, u->attrs[i].name);
	r->attrs = n > 0 ? arena_alloc(a, n * sizeof(*r->attrs)) : NULL;
	for (i = 0; i < u->nattrs; i++) {
		const struct attr *at = &u->attrs[i];
		struct attr *to;

		if (!kept(rs, at->name))
			continue;
		to = &r->attrs[r->nattrs++];
		to->name = arena_strdup(a, at->name);
		to->n = at->n;
		to->vals = arena_alloc(a, (at->n + 1) * sizeof(*to->vals));
		for (j = 0; j < at->n; j++)
			to->vals[j] = arena_strdup(a, at->vals[j]);
	}
	return r;
}

/* A streamed user built in scratch: linked, mapped, then kept slim. */
static int
add_slim(struct recordset *rs, struct record *u)
{
	struct record *r;

	if (u->anchor != NULL && hmap_has(&rs->by_anchor, u->anchor))
		return -1;
	stream_user(rs, u);
	r = slim_copy(rs, u);
	if (r->anchor != NULL)
		hmap_add(&rs->by_anchor, r->anchor, r);
	if (r->key != NULL)
		hmap_add(&rs->by_key, r->key, r);
	rs->users = xgrow(rs->users, &rs->capusers, rs->nusers + 1,
			  sizeof(*rs->users));
	rs->users[rs->nusers++] = r;
	if (rs->on_slim != NULL)
		rs->on_slim(rs->on_user_arg, u, r);
	/* nothing points into scratch any more: reuse it while it is still
	 * in the cache */
	if (rs->scratch.used > (64u << 10))
		arena_rewind(&rs->scratch);
	return 0;
}

int
recordset_add(struct recordset *rs, struct record *r)
{
	if (rs->slim && r->kind == RECORD_USER)
		return add_slim(rs, r);
	if (r->anchor != NULL && !hmap_add(&rs->by_anchor, r->anchor, r))
		return -1;
	/* two entries with one key: the first keeps it, deterministically */
	if (r->key != NULL)
		hmap_add(&rs->by_key, r->key, r);
	if (r->kind == RECORD_GROUP) {
		assert(rs->linker == NULL);	/* groups come first, or last */
		rs->groups = xgrow(rs->groups, &rs->capgroups, rs->ngroups + 1,
				   sizeof(*rs->groups));
		rs->groups[rs->ngroups++] = r;
	} else {
		rs->users = xgrow(rs->users, &rs->capusers, rs->nusers + 1,
				  sizeof(*rs->users));
		rs->users[rs->nusers++] = r;
		if (rs->linker != NULL)
			stream_user(rs, r);
	}
	return 0;
}

struct record *
recordset_find(const struct recordset *rs, const char *key)
{
	return key != NULL ? hmap_get(&rs->by_key, key) : NULL;
}

/*
 * Group linking, in two steps so that a source that fetches the groups
 * first can link each user as it arrives, while the server still works
 * on the next page (recordset_groups_done).  The first step indexes, once,
 * which groups list each member key (refs chained per key) and each
 * group's closure: itself and every group that contains it through any
 * nesting, in group order, cycles cut by visited stamps.  The second gives
 * one user the union of the closures of the groups that list it.  Work is
 * proportional to the memberships produced.
 */
struct idx_list {
	size_t *v;
	size_t n, cap;
};

/*
 * Member key -> its refs: open addressing over 4-byte slots holding the
 * chain's first ref + 1.  A directory lists about as many members as it
 * has users, and this index lives while every user streams in: hmap's
 * 24-byte slots would add megabytes to the run's peak.
 */
struct linker {
	uint32_t *slot;			/* first ref + 1, or 0 when empty */
	size_t mask;
	const char **ref_key;		/* per ref */
	uint32_t *ref_group, *ref_next;	/* next ref + 1, or 0 */
	size_t nrefs;
	size_t *clo_start;		/* group g: clo.v[start[g]..start[g+1]) */
	struct idx_list clo;
	struct idx_list groups;		/* scratch: one user's groups */
	struct str forms;		/* scratch for add_member_of */
};

static void
idx_push(struct idx_list *l, size_t x)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = x;
}

/* Group index + 1 of key if it names a group (and no user took the key
 * first: then the reference is to that user), else 0. */
static size_t
group_of(const struct recordset *rs, const struct hmap *gidx, const char *key)
{
	size_t g = (uintptr_t)hmap_get(gidx, key);
	const struct record *holder;

	if (g == 0)
		return 0;
	holder = hmap_get(&rs->by_key, key);
	return holder == NULL || holder->kind == RECORD_GROUP ? g : 0;
}

/* The slot for key: its chain's head, or the empty slot to put it in. */
static uint32_t *
ref_slot(const struct linker *L, const char *key)
{
	for (size_t i = hmap_hash(key) & L->mask;; i = (i + 1) & L->mask) {
		uint32_t r = L->slot[i];

		if (r == 0 || strcmp(L->ref_key[r - 1], key) == 0)
			return &L->slot[i];
	}
}

/* Sizes the ref index for every member reference there is (an upper
 * bound: sub-group references are counted too), at most half full. */
static void
refs_alloc(const struct recordset *rs, struct linker *L)
{
	size_t n = 0, cap = 16;

	for (size_t g = 0; g < rs->ngroups; g++)
		n += rs->groups[g]->nmembers;
	if (n >= UINT32_MAX)
		n = UINT32_MAX - 1;	/* refs past this are not linked */
	while (cap < 2 * n)
		cap *= 2;
	L->slot = xcalloc_huge(cap, sizeof(*L->slot));
	L->mask = cap - 1;
	L->ref_key = xmalloc((n + 1) * sizeof(*L->ref_key));
	L->ref_group = xmalloc((n + 1) * sizeof(*L->ref_group));
	L->ref_next = xmalloc((n + 1) * sizeof(*L->ref_next));
	L->nrefs = n;		/* capacity until index_refs counts them */
}

static void
ref_add(struct linker *L, size_t *n, const char *key, size_t g)
{
	uint32_t *head;

	if (*n >= L->nrefs)
		return;
	head = ref_slot(L, key);
	L->ref_key[*n] = key;
	L->ref_group[*n] = (uint32_t)g;
	L->ref_next[*n] = *head;
	*head = (uint32_t)++*n;
}

/* Splits each group's references into sub-group edges (parents: child ->
 * the groups that list it) and user refs chained per key. */
static void
index_refs(struct recordset *rs, struct linker *L, struct idx_list *parents)
{
	struct hmap gidx;
	size_t n = 0;

	hmap_init(&gidx);
	for (size_t g = 0; g < rs->ngroups; g++) {
		const char *k = rs->groups[g]->key;

		if (k != NULL)
			hmap_add(&gidx, k, (void *)(uintptr_t)(g + 1));
	}
	refs_alloc(rs, L);
	for (size_t g = 0; g < rs->ngroups; g++) {
		const struct record *gr = rs->groups[g];

		for (size_t m = 0; gr->member_keys && m < gr->nmembers; m++) {
			const char *k = gr->member_keys[m];
			size_t sub;

			if (k == NULL)
				continue;
			if ((sub = group_of(rs, &gidx, k)) != 0)
				idx_push(&parents[sub - 1], g);
			else
				ref_add(L, &n, k, g);
		}
	}
	L->nrefs = n;
	hmap_release(&gidx);
}

static int
idx_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Appends g's closure to L->clo, sorted; stamps are g + 1 so nothing
 * needs clearing between groups. */
static void
close_group(struct linker *L, const struct idx_list *parents, size_t *stamp,
	    size_t *stack, size_t g)
{
	size_t sp = 0, from = L->clo.n;

	stack[sp++] = g;
	stamp[g] = g + 1;
	while (sp > 0) {
		size_t h = stack[--sp];

		idx_push(&L->clo, h);
		for (size_t i = 0; i < parents[h].n; i++) {
			size_t p = parents[h].v[i];

			if (stamp[p] == g + 1)
				continue;
			stamp[p] = g + 1;
			stack[sp++] = p;	/* each group pushed once */
		}
	}
	qsort(L->clo.v + from, L->clo.n - from, sizeof(*L->clo.v), idx_cmp);
}

void
recordset_groups_done(struct recordset *rs)
{
	size_t ng = rs->ngroups;
	struct linker *L = xcalloc(1, sizeof(*L));
	struct idx_list *parents = xcalloc(ng + 1, sizeof(*parents));
	size_t *stamp = xcalloc(ng + 1, sizeof(*stamp));
	size_t *stack = xmalloc((ng + 1) * sizeof(*stack));

	index_refs(rs, L, parents);
	L->clo_start = xmalloc((ng + 1) * sizeof(*L->clo_start));
	for (size_t g = 0; g < ng; g++) {
		L->clo_start[g] = L->clo.n;
		close_group(L, parents, stamp, stack, g);
	}
	L->clo_start[ng] = L->clo.n;
	for (size_t g = 0; g < ng; g++)
		free(parents[g].v);
	free(parents);
	free(stamp);
	free(stack);
	rs->linker = L;
}

static void
linker_free(struct linker *L)
{
	if (L == NULL)
		return;
	free(L->slot);
	free(L->ref_key);
	free(L->ref_group);
	free(L->ref_next);
	free(L->clo_start);
	free(L->clo.v);
	free(L->groups.v);
	str_release(&L->forms);
	free(L);
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

/* 1 if group g is one of gs (indices into rs->groups). */
static int
in_closure(const struct recordset *rs, const struct record *g,
	   const size_t *gs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rs->groups[gs[i]] == g)
			return 1;
	return 0;
}

/*
 * Keeps the source's memberOf values (to vals, returning how many), except
 * those naming a group the job fetched that does not contain the user:
 * for fetched groups the member lists decide, so a stale memberOf (an
 * overlay that lags, a mirror; README "Decisions") never outlives them.
 * forms[i] is value i's normal form.
 */
/* The record a memberOf form names: keys are normal DNs (lower case) for
 * LDAP, ids as given for the other sources. */
static const struct record *
named(const struct recordset *rs, const char *form, struct str *tmp)
{
	const struct record *r = hmap_get(&rs->by_key, form);

	if (r != NULL)
		return r;
	str_reset(tmp);
	str_adds(tmp, form);
	for (char *p = tmp->buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return hmap_get(&rs->by_key, tmp->buf);
}

static size_t
keep_member_of(const struct recordset *rs, const struct attr *mo,
	       const char *const *forms, const size_t *gs, size_t n,
	       const char **vals)
{
	struct str tmp = STR_INIT;
	size_t i, cnt = 0;

	for (i = 0; i < mo->n; i++) {
		const struct record *g = forms[i] != NULL ?
		    named(rs, forms[i], &tmp) : NULL;

		if (g != NULL && g->kind == RECORD_GROUP &&
		    !in_closure(rs, g, gs, n))
			continue;
		vals[cnt++] = mo->vals[i];
	}
	str_release(&tmp);
	return cnt;
}

static void
add_member_of(struct recordset *rs, struct record *u, const size_t *gs,
	      size_t n, struct str *scratch)
{
	/* the user's own memory: scratch while slimming */
	struct arena *a = rs->slim ? &rs->scratch : &rs->arena;
	struct attr *mo = (struct attr *)record_attr(u, "memberOf");
	size_t have = mo != NULL ? mo->n : 0, cnt = 0;
	const char **vals, **forms = NULL;
	size_t *offs = NULL;

	if (have == 0 && n == 0)
		return;
	vals = arena_alloc(a, (have + n) * sizeof(*vals));
	if (have > 0) {
		forms = xcalloc(have, sizeof(*forms));
		offs = xcalloc(have, sizeof(*offs));
		existing_forms(mo, forms, scratch, offs);
		cnt = keep_member_of(rs, mo, forms, gs, n, vals);
	}
	for (size_t i = 0; i < n; i++) {
		const struct record *g = rs->groups[gs[i]];
		const char *gk = g->key != NULL ? g->key : g->id;

		if (gk == NULL || (have > 0 && already_member(forms, have, gk)))
			continue;
		vals[cnt++] = g->id != NULL ? g->id : g->key;
	}
	free(forms);
	free(offs);
	if (cnt == have && (have == 0 || memcmp(vals, mo->vals,
						have * sizeof(*vals)) == 0))
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

/* uint32_t halves the copy; group indices fit (each group is a record in
 * memory, so there are far fewer than 2^32). */
static void
set_in_groups(struct recordset *rs, struct record *u,
	      const struct idx_list *gs)
{
	uint32_t *v = arena_alloc(&rs->arena, gs->n * sizeof(*v));

	for (size_t i = 0; i < gs->n; i++)
		v[i] = (uint32_t)gs->v[i];
	u->in_groups = v;
	u->nin_groups = gs->n;
}

/* Links one user: the union of the closures of the groups listing it.
 * Only the first user with a key is linked (references name a key). */
static void
link_user(struct recordset *rs, struct record *u)
{
	struct linker *L = rs->linker;
	const struct record *holder;
	struct idx_list *gs = &L->groups;
	size_t ref, nrefs = 0, n = 0;

	if (u->key == NULL)
		return;
	holder = hmap_get(&rs->by_key, u->key);
	if (holder != u && holder != NULL && holder->kind == RECORD_USER)
		return;
	gs->n = 0;
	ref = L->nrefs > 0 ? *ref_slot(L, u->key) : 0;
	for (; ref != 0; ref = L->ref_next[ref - 1], nrefs++) {
		size_t g = L->ref_group[ref - 1];

		for (size_t i = L->clo_start[g]; i < L->clo_start[g + 1]; i++)
			idx_push(gs, L->clo.v[i]);
	}
	/* one ref: its closure is sorted and unique already */
	if (nrefs > 1) {
		qsort(gs->v, gs->n, sizeof(*gs->v), idx_cmp);
		for (size_t i = 0; i < gs->n; i++)
			if (n == 0 || gs->v[i] != gs->v[n - 1])
				gs->v[n++] = gs->v[i];
		gs->n = n;
	}
	if (gs->n > 0)
		set_in_groups(rs, u, gs);
	add_member_of(rs, u, gs->v, gs->n, &L->forms);
}

void
recordset_link_groups(struct recordset *rs)
{
	if (rs->linker == NULL) {
		recordset_groups_done(rs);
		for (size_t u = 0; u < rs->nusers; u++)
			link_user(rs, rs->users[u]);
	}
	linker_free(rs->linker);
	rs->linker = NULL;
	/* The fetch is over: no more duplicates to catch, and the map is a
	 * table of 24-byte slots per record that the mapping's peak would
	 * otherwise carry. */
	hmap_release(&rs->by_anchor);
}
