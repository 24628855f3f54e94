/*
 * mirror_relink: Active Directory's link values in a mirror.
 *
 * In AD, `manager`, `member` and the other DN-valued link attributes are
 * links to objects: when the target is renamed or moved, every link
 * shows the new DN, and when it is deleted, the links disappear, all
 * without a new uSNChanged on the objects holding them (FIELD-NOTES).  A
 * USN refresh therefore sees the renamed or deleted object but not its
 * referrers, whose mirrored rows still hold the old DN.  Before a
 * rebuild, the stored DN of every changed or tombstoned entry is looked
 * up: a rename maps the old DN to the new, a deletion to nothing.  Each
 * unchanged row then has those values rewritten or dropped, and the
 * rewritten record replaces its row, so the mirror reads as a full fetch
 * would.  Entries the refresh fetched are left alone: the server already
 * gave their links as they are now (a new object may even have taken a
 * deleted one's DN).  An unchanged row cannot name such a new object:
 * adding a link changes the object holding it.
 *
 * (OpenLDAP's refint overlay updates referrers with a new entryCSN, so
 * syncrepl needs none of this; without refint, full and incremental
 * fetches both keep the dangling DN.)
 */
#include <ctype.h>
#include <string.h>

#include "dn.h"
#include "mirror.h"
#include "util/xmalloc.h"

/* The normal form of a DN-looking value (as sources key DNs), in out. */
static int
norm(const char *v, struct str *out)
{
	str_reset(out);
	if (strchr(v, '=') == NULL)
		return -1;
	if (dn_needs_normalize(v))
		return dn_normalize(v, out);
	str_adds(out, v);
	for (char *p = out->buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/* The id (DN) and key of a serialised record, without parsing it all:
 * the layout starts 'M', version, kind, anchor, id, key (mirror.c). */
static int
head(const unsigned char *data, size_t len, const char **id,
     const char **key)
{
	const unsigned char *p = data + 3, *end = data + len, *nul;
	const char *f[3];

	if (len < 3 || data[0] != 'M')
		return -1;
	for (int i = 0; i < 3; i++) {
		if (p >= end || (nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return -1;
		f[i] = (const char *)p;
		p = nul + 1;
	}
	*id = f[1];
	*key = *f[2] ? f[2] : f[1];
	return 0;
}

struct prep {
	struct mirror *m;
	const struct mirror_entry *me;
	struct str tmp;
};

/* The stored row of a changed or tombstoned entry. */
static int
on_stored(void *arg, const char *uuid, int64_t seq, const void *data,
	  size_t len, struct err *e)
{
	struct prep *p = arg;
	const char *old_id, *old_key, *new_id, *new_key;

	(void)uuid;
	(void)seq;
	(void)e;
	if (head(data, len, &old_id, &old_key) < 0)
		return 0;	/* damaged: the rebuild will say so */
	if (p->me->tomb) {
		hmap_put(&p->m->relink, arena_strdup(&p->m->meta, old_key),
			 NULL);
		return 0;
	}
	if (p->me->data == NULL ||
	    head(p->me->data, p->me->len, &new_id, &new_key) < 0 ||
	    strcmp(old_key, new_key) == 0)
		return 0;
	hmap_put(&p->m->relink, arena_strdup(&p->m->meta, old_key),
		 (void *)arena_strdup(&p->m->meta, new_id));
	return 0;
}

int
mirror_relink_prepare(struct mirror *m, struct err *e)
{
	struct prep p = { m, NULL, STR_INIT };
	int rc = 0;

	if (!m->relink_on || m->row == NULL)
		return 0;
	for (size_t i = 0; i < m->n && rc == 0; i++) {
		p.me = m->entries[i];
		if (p.me->data != NULL || p.me->tomb)
			rc = m->row(m->rows_arg, p.me->uuid, on_stored, &p, e);
	}
	str_release(&p.tmp);
	return rc;
}

/* What a value becomes: itself (returns v), another DN, or NULL (gone). */
static const char *
relinked(const struct mirror *m, const char *v, struct str *tmp, int *hit)
{
	if (norm(v, tmp) < 0 || !hmap_has(&m->relink, tmp->buf))
		return v;
	*hit = 1;
	return hmap_get(&m->relink, tmp->buf);
}

/* 1 if any value of r names a relinked DN. */
static int
hits(const struct mirror *m, const struct record *r, struct str *tmp)
{
	int hit = 0;

	for (size_t i = 0; i < r->nattrs && !hit; i++)
		for (size_t j = 0; j < r->attrs[i].n && !hit; j++)
			relinked(m, r->attrs[i].vals[j], tmp, &hit);
	for (size_t i = 0; i < r->nmembers && !hit; i++)
		relinked(m, r->members[i], tmp, &hit);
	return hit;
}

struct record *
mirror_relink(const struct mirror *m, const struct record *r,
	      struct record_builder *b)
{
	struct str tmp = STR_INIT, key = STR_INIT;
	struct record *out = NULL;
	const char *v;
	int hit = 0;

	if (m->relink.len == 0 || !hits(m, r, &tmp))
		goto done;
	for (size_t i = 0; i < r->nattrs; i++)
		for (size_t j = 0; j < r->attrs[i].n; j++)
			if ((v = relinked(m, r->attrs[i].vals[j], &tmp, &hit)))
				record_builder_add(b, r->attrs[i].name, v,
						   strlen(v));
	for (size_t i = 0; i < r->nmembers; i++)
		if ((v = relinked(m, r->members[i], &tmp, &hit)) != NULL)
			record_builder_add_member(b, v, norm(v, &key) == 0 ?
						  key.buf : NULL);
	out = record_builder_finish(b, r->kind, r->anchor, r->id, r->key);
done:
	str_release(&tmp);
	str_release(&key);
	return out;
}
