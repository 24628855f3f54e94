/*
 * mirror: a source's entries kept between runs (see mirror.h).
 *
 * A serialised record is, in order: the byte 'M', a format version (1),
 * the kind (0 user, 1 group), anchor, id and key as NUL-terminated
 * strings (key "" when it equals id), then a u32 count of attributes,
 * each a name, a u32 count of values and the values; then a u32 count of
 * members, each a reference and a flag byte: 0 no normalised key, 1 the
 * key follows, 2 the reference is its own key.  u32 are little endian.
 * Values cannot hold a NUL: the record builder cuts them there.
 */
#include <stdlib.h>
#include <string.h>

#include "mirror.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define MIRROR_FORMAT 1

void
mirror_init(struct mirror *m)
{
	memset(m, 0, sizeof(*m));
	arena_init(&m->arena);
	arena_init(&m->meta);
	hmap_init(&m->by_uuid);
	hmap_init(&m->present);
	hmap_init(&m->relink);
}

void
mirror_release(struct mirror *m)
{
	hmap_release(&m->by_uuid);
	hmap_release(&m->present);
	hmap_release(&m->relink);
	free(m->entries);
	free(m->cursors);
	arena_release(&m->arena);
	arena_release(&m->meta);
	memset(m, 0, sizeof(*m));
}

const char *
mirror_cursor(const struct mirror *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ncursors; i++)
		if (strcmp(m->cursors[i].name, name) == 0)
			return m->cursors[i].value;
	return NULL;
}

void
mirror_set_cursor(struct mirror *m, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < m->ncursors; i++)
		if (strcmp(m->cursors[i].name, name) == 0)
			break;
	if (i == m->ncursors) {
		m->cursors = xgrow(m->cursors, &m->capcursors, i + 1,
				   sizeof(*m->cursors));
		m->cursors[i].name = arena_strdup(&m->meta, name);
		m->ncursors++;
	}
	m->cursors[i].value = value != NULL ? arena_strdup(&m->meta, value)
					    : NULL;
}

/* uuid's entry, created (no data, seq unknown) if need be. */
static struct mirror_entry *
entry_get(struct mirror *m, const char *uuid)
{
	struct mirror_entry *me = hmap_get(&m->by_uuid, uuid);

	if (me != NULL)
		return me;
	me = arena_zalloc(&m->meta, sizeof(*me));
	me->uuid = arena_strdup(&m->meta, uuid);
	me->seq = -1;
	m->entries = xgrow(m->entries, &m->cap, m->n + 1, sizeof(*m->entries));
	m->entries[m->n++] = me;
	hmap_put(&m->by_uuid, me->uuid, me);
	return me;
}

static void
put_u32(struct str *out, size_t v)
{
	char b[4] = { (char)(v & 0xff), (char)((v >> 8) & 0xff),
		      (char)((v >> 16) & 0xff), (char)((v >> 24) & 0xff) };

	str_add(out, b, 4);
}

static void
put_cstr(struct str *out, const char *s)
{
	str_add(out, s, strlen(s) + 1);
}

void
mirror_serialise(const struct record *r, struct str *out)
{
	size_t i, j;

	str_addc(out, 'M');
	str_addc(out, MIRROR_FORMAT);
	str_addc(out, r->kind == RECORD_GROUP ? 1 : 0);
	put_cstr(out, r->anchor);
	put_cstr(out, r->id);
	/* Most DNs are their own normal form: "" says so. */
	put_cstr(out, strcmp(r->key, r->id) == 0 ? "" : r->key);
	put_u32(out, r->nattrs);
	for (i = 0; i < r->nattrs; i++) {
		put_cstr(out, r->attrs[i].name);
		put_u32(out, r->attrs[i].n);
		for (j = 0; j < r->attrs[i].n; j++)
			put_cstr(out, r->attrs[i].vals[j]);
	}
	put_u32(out, r->nmembers);
	for (i = 0; i < r->nmembers; i++) {
		const char *key = r->member_keys ? r->member_keys[i] : NULL;

		put_cstr(out, r->members[i]);
		if (key == NULL) {
			str_addc(out, 0);
		} else if (strcmp(key, r->members[i]) == 0) {
			str_addc(out, 2);	/* the reference is its own key */
		} else {
			str_addc(out, 1);
			put_cstr(out, key);
		}
	}
}

void
mirror_put(struct mirror *m, const char *uuid, const struct record *r)
{
	struct mirror_entry *me = entry_get(m, uuid);
	struct str s = STR_INIT;
	unsigned char *copy;

	mirror_serialise(r, &s);
	copy = arena_alloc(&m->arena, s.len);
	memcpy(copy, s.buf, s.len);
	me->kind = r->kind;
	me->data = copy;
	me->len = s.len;
	me->del_kinds &= ~(1u << r->kind);
	me->dirty = 1;
	if (m->full && me->seq < 0)
		me->seq = m->next_seq++;
	str_release(&s);
}

void
mirror_delete(struct mirror *m, const char *uuid, enum record_kind kind)
{
	struct mirror_entry *me = entry_get(m, uuid);

	me->del_kinds |= 1u << kind;
	if (me->data != NULL && me->kind == kind) {
		me->data = NULL;
		me->len = 0;
	}
}

int
mirror_changed(const struct mirror *m, const char *uuid,
	       enum record_kind kind)
{
	const struct mirror_entry *me = hmap_get(&m->by_uuid, uuid);

	return me != NULL && me->data != NULL && me->kind == kind;
}

void
mirror_tombstone(struct mirror *m, const char *uuid)
{
	entry_get(m, uuid)->tomb = 1;
}

void
mirror_present(struct mirror *m, const char *uuid)
{
	if (!hmap_has(&m->present, uuid))
		hmap_put(&m->present, arena_strdup(&m->meta, uuid), NULL);
}

void
mirror_drop_unseen(struct mirror *m, enum record_kind kind)
{
	m->drop_unseen |= 1u << kind;
}

void
mirror_clear(struct mirror *m)
{
	hmap_release(&m->by_uuid);
	hmap_init(&m->by_uuid);
	hmap_release(&m->present);
	hmap_init(&m->present);
	hmap_release(&m->relink);
	hmap_init(&m->relink);
	m->n = 0;
	m->drop_unseen = 0;
	m->next_seq = 0;
	m->rows = NULL;
	m->row = NULL;
}

/* A bounds-checked reader over one serialised record. */
struct rd {
	const unsigned char *p, *end;
	int bad;
};

static const char *
get_cstr(struct rd *r)
{
	const unsigned char *nul;
	const char *s;

	if (r->bad || r->p >= r->end ||
	    (nul = memchr(r->p, '\0', (size_t)(r->end - r->p))) == NULL) {
		r->bad = 1;
		return "";
	}
	s = (const char *)r->p;
	r->p = nul + 1;
	return s;
}

static int
get_byte(struct rd *r)
{
	if (r->bad || r->p >= r->end) {
		r->bad = 1;
		return 0;
	}
	return *r->p++;
}

/* A count: each item takes at least one byte, so a count larger than
 * what is left is damage (and must not drive a long loop). */
static size_t
get_count(struct rd *r)
{
	size_t v;

	if (r->bad || r->end - r->p < 4) {
		r->bad = 1;
		return 0;
	}
	v = (size_t)r->p[0] | (size_t)r->p[1] << 8 | (size_t)r->p[2] << 16 |
	    (size_t)r->p[3] << 24;
	r->p += 4;
	if (v > (size_t)(r->end - r->p)) {
		r->bad = 1;
		return 0;
	}
	return v;
}

static void
parse_attrs(struct rd *r, struct record_builder *b)
{
	size_t n = get_count(r), i, j, nv;

	for (i = 0; i < n && !r->bad; i++) {
		const char *name = get_cstr(r);

		nv = get_count(r);
		for (j = 0; j < nv && !r->bad; j++) {
			const char *v = get_cstr(r);

			if (!r->bad)
				record_builder_add(b, name, v, strlen(v));
		}
	}
}

static void
parse_members(struct rd *r, struct record_builder *b)
{
	size_t n = get_count(r), i;

	for (i = 0; i < n && !r->bad; i++) {
		const char *ref = get_cstr(r);
		int how = get_byte(r);
		const char *key = how == 1 ? get_cstr(r) : how == 2 ? ref : NULL;

		if (how > 2)
			r->bad = 1;
		if (!r->bad)
			record_builder_add_member(b, ref, key);
	}
}

struct record *
mirror_parse(const unsigned char *data, size_t len, struct record_builder *b,
	     struct err *e)
{
	struct rd r = { data, data + len, 0 };
	enum record_kind kind;
	const char *anchor, *id, *key;

	if (get_byte(&r) != 'M' || get_byte(&r) != MIRROR_FORMAT)
		r.bad = 1;
	switch (get_byte(&r)) {
	case 0: kind = RECORD_USER; break;
	case 1: kind = RECORD_GROUP; break;
	default: kind = RECORD_USER; r.bad = 1; break;
	}
	anchor = get_cstr(&r);
	id = get_cstr(&r);
	key = get_cstr(&r);
	parse_attrs(&r, b);
	parse_members(&r, b);
	if (r.bad || r.p != r.end) {
		record_builder_finish(b, kind, "", "", "");	/* resets b */
		err_setc(e, ERR_FETCH, "a mirrored entry is damaged");
		return NULL;
	}
	return record_builder_finish(b, kind, anchor, id, *key ? key : id);
}

/* What rebuilding one kind needs. */
struct rebuild {
	struct mirror *m;
	enum record_kind kind;
	struct recordset *rs;
	struct record_builder b;
};

/* r rewritten for renamed or deleted link targets (mirror_relink.c); the
 * rewrite replaces the entry's row, at seq. */
static struct record *
relink(struct rebuild *rb, const char *uuid, int64_t seq, struct record *r)
{
	struct record *nr = mirror_relink(rb->m, r, &rb->b);
	struct mirror_entry *me;

	if (nr == NULL)
		return r;
	mirror_put(rb->m, uuid, nr);
	me = hmap_get(&rb->m->by_uuid, uuid);
	me->seq = seq;
	me->placed = 1;
	return nr;
}

/* Adds one serialised entry (at seq) to rs.  stored: an unchanged row,
 * whose AD links may name renamed or deleted objects (fetched entries
 * carry the server's links as they are now). */
static int
emit(struct rebuild *rb, const char *uuid, int64_t seq, const void *data,
     size_t len, int stored, struct err *e)
{
	struct record *r = mirror_parse(data, len, &rb->b, e);

	if (r == NULL)
		return err_prefix(e, "entry %s", uuid);
	if (r->kind != rb->kind)	/* the row's kind column disagrees */
		return err_setc(e, ERR_FETCH, "entry %s: a mirrored entry is "
				"damaged", uuid);
	if (stored)
		r = relink(rb, uuid, seq, r);
	rb->m->nlive++;
	if (*r->anchor == '\0')
		return 0;	/* warned when it was fetched */
	if (recordset_add(rb->rs, r) < 0)
		log_warn("skipping '%s': anchor '%s' was already seen", r->id,
			 r->anchor);
	return 0;
}

/* One stored row: as it is, changed, or gone. */
static int
on_row(void *arg, const char *uuid, int64_t seq, const void *data,
       size_t len, struct err *e)
{
	struct rebuild *rb = arg;
	struct mirror *m = rb->m;
	struct mirror_entry *me = hmap_get(&m->by_uuid, uuid);
	unsigned bit = 1u << rb->kind;

	if (seq >= m->next_seq)
		m->next_seq = seq + 1;
	if (me != NULL && me->data != NULL && me->kind == rb->kind) {
		me->seq = seq;
		me->placed = 1;
		return emit(rb, uuid, seq, me->data, me->len, 0, e);
	}
	if ((me != NULL && (me->del_kinds & bit)) ||
	    ((m->drop_unseen & bit) && !hmap_has(&m->present, uuid))) {
		/* The row goes at apply (delete by uuid); if the entry now
		 * is of the other kind, the other pass adds it as new. */
		me = entry_get(m, uuid);
		me->dirty = 1;
		return 0;
	}
	if (me != NULL && me->data != NULL && rb->kind == RECORD_GROUP) {
		/* Still a group, and the users' search matches it too: a
		 * group it stays, as in a full fetch (groups come first). */
		me->data = NULL;
		me->len = 0;
		me->dirty = 0;
	}
	return emit(rb, uuid, seq, data, len, 1, e);
}

/* New entries of the kind, after the stored ones, in fetch order. */
static int
emit_new(struct rebuild *rb, struct err *e)
{
	struct mirror *m = rb->m;
	size_t i;

	for (i = 0; i < m->n; i++) {
		struct mirror_entry *me = m->entries[i];

		if (me->data == NULL || me->kind != rb->kind || me->placed)
			continue;
		if (me->seq < 0)
			me->seq = m->next_seq++;
		if (emit(rb, me->uuid, me->seq, me->data, me->len, 0, e) < 0)
			return -1;
	}
	return 0;
}

static int
rebuild_kind(struct mirror *m, enum record_kind kind, struct recordset *rs,
	     struct err *e)
{
	struct rebuild rb = { m, kind, rs, { 0 } };
	int rc = -1;

	record_builder_init(&rb.b, &rs->arena);
	if (kind == RECORD_USER)
		record_builder_set_arena(&rb.b, recordset_user_arena(rs));
	if (m->rows != NULL &&
	    m->rows(m->rows_arg, kind, on_row, &rb, e) < 0)
		goto out;
	rc = emit_new(&rb, e);
out:
	record_builder_release(&rb.b);
	return rc;
}

int
mirror_rebuild(struct mirror *m, struct recordset *rs, struct err *e)
{
	m->nlive = 0;
	if (mirror_relink_prepare(m, e) < 0)
		return -1;
	if (rebuild_kind(m, RECORD_GROUP, rs, e) < 0)
		return -1;
	recordset_groups_done(rs);
	return rebuild_kind(m, RECORD_USER, rs, e);
}
