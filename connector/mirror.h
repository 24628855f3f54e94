/*
 * mirror: the copy of a source's entries that the store keeps between
 * runs, for incremental fetches (DESIGN §4 `incremental`, README
 * "Incremental sync").
 *
 * An incremental run asks the server only for what changed since the
 * cursor (an RFC 4533 cookie) and records those changes here; the
 * recordset is then rebuilt from the store's rows with the changes laid
 * over them, streamed row by row, so a run never holds the whole mirror
 * besides its records.  Everything after the source (mapping, duplicates,
 * chains, teams, seats, the diff) works on the whole directory exactly as
 * after a full fetch.  The mirror and its cursors are written by apply,
 * in the plan's transaction, so they always describe the same moment; a
 * plan writes nothing, and the next run refreshes from the older cursor
 * again.
 *
 * Entries are keyed by a stable server id (entryUUID), not by the
 * mapping's anchor, and kept in the order the source gave them (seq):
 * the order a full fetch would give, so that "first one wins" rules
 * (duplicate anchors) decide the same way in both kinds of run.  A
 * changed entry keeps its place; a new one goes last.  Each entry is a
 * serialised record (record.h), parsed defensively: a damaged row fails
 * the run, and `--full` (a full fetch) replaces the mirror.
 *
 * Ownership: the mirror's arenas hold the changes and cursors;
 * mirror_release() frees them.
 */
#ifndef HS_MIRROR_H
#define HS_MIRROR_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/hmap.h"
#include "util/str.h"

/* One entry a fetch changed (or, after a full fetch, every entry). */
struct mirror_entry {
	const char *uuid;
	int64_t seq;			/* source order; -1 until known */
	enum record_kind kind;		/* of data */
	const unsigned char *data;	/* serialised record; NULL: none */
	size_t len;
	unsigned del_kinds;		/* 1 << kind: deleted by the search
					 * of that kind */
	unsigned dirty : 1;		/* apply writes it: data, or deletes
					 * the stored row */
	unsigned placed : 1;		/* rebuild put data in its row's place */
	unsigned tomb : 1;		/* deleted from the directory (not just
					 * out of a search): its DN's links go
					 * (mirror_relink) */
};

struct mirror_cursor {
	const char *name, *value;
};

/* A stored row, as the store streams it (data valid during the call). */
typedef int (*mirror_row_fn)(void *arg, const char *uuid, int64_t seq,
			     const void *data, size_t len, struct err *e);

struct mirror {
	struct arena arena;		/* entry data */
	struct arena meta;		/* entries, uuids, cursors */
	struct hmap by_uuid;		/* uuid -> mirror_entry */
	struct mirror_entry **entries;	/* in the order the fetch gave them */
	size_t n, cap;
	struct hmap present;		/* uuids named present (RFC 4533) */
	unsigned drop_unseen;		/* 1 << kind: stored rows of that kind
					 * neither changed nor present are
					 * gone */
	int64_t next_seq;		/* first free seq in the store */
	struct mirror_cursor *cursors;	/* name -> value, set or loaded */
	size_t ncursors, capcursors;
	/* The stored rows of a kind, in seq order (set by the caller when
	 * the store holds a mirror the run may use; NULL otherwise). */
	int (*rows)(void *rows_arg, enum record_kind kind, mirror_row_fn fn,
		    void *fn_arg, struct err *e);
	void *rows_arg;
	/* One stored row by uuid (fn not called if there is none). */
	int (*row)(void *rows_arg, const char *uuid, mirror_row_fn fn,
		   void *fn_arg, struct err *e);
	int relink_on;			/* AD links (mirror_relink.c) */
	struct hmap relink;		/* old DN key -> new DN, or NULL */
	size_t nlive;			/* entries after mirror_rebuild */
	int keep;	/* set by the caller: the run will be applied, so a full
			 * fetch fills the mirror for apply to write */
	int full;	/* a full fetch replaced every entry: apply rewrites
			 * the job's rows instead of writing changes */
	int used;	/* the source fetched incrementally or filled the
			 * mirror: apply must write it */
};

void mirror_init(struct mirror *m);
void mirror_release(struct mirror *m);

/* Cursor values (copied).  mirror_cursor() returns NULL when not set. */
const char *mirror_cursor(const struct mirror *m, const char *name);
void mirror_set_cursor(struct mirror *m, const char *name, const char *value);

/* Records r (serialised; r may be freed afterwards) as uuid's entry.  In
 * a full fetch (m->full) entries take their seq in call order. */
void mirror_put(struct mirror *m, const char *uuid, const struct record *r);
/* uuid was deleted, as far as the search of kind can tell.  A server
 * tells a search about entries that "no longer match" it, and syncprov
 * names there the entries the other search changed: only the search that
 * fetches an entry's kind may delete it. */
void mirror_delete(struct mirror *m, const char *uuid, enum record_kind kind);
/* 1 if this fetch gave uuid's entry as a record of kind. */
int mirror_changed(const struct mirror *m, const char *uuid,
		   enum record_kind kind);
/* uuid was deleted from the directory (an AD tombstone): with
 * m->relink_on, links to its DN go too. */
void mirror_tombstone(struct mirror *m, const char *uuid);
/* uuid is still there, unchanged (RFC 4533 present phase). */
void mirror_present(struct mirror *m, const char *uuid);
/* End of a present phase: every stored entry of kind that this refresh
 * neither changed nor named present is gone. */
void mirror_drop_unseen(struct mirror *m, enum record_kind kind);
/* Forgets every change (a full fetch follows). */
void mirror_clear(struct mirror *m);

/*
 * Rebuilds rs from the stored rows (m->rows) with the changes laid over
 * them: for each kind, groups first, the stored rows in seq order (a
 * changed entry in its row's place, a deleted one left out), then the new
 * entries; recordset_groups_done() between the two, so on_user maps each
 * user as it is added, as during a fetch.  Entries with an empty anchor
 * (none in the source) or a repeated anchor are skipped.  Marks what apply
 * must write; sets m->nlive.  -1 with e set (ERR_FETCH) if a row does not
 * parse or the store fails.
 */
int mirror_rebuild(struct mirror *m, struct recordset *rs, struct err *e);

/* mirror_relink.c.  prepare: with m->relink_on, maps the stored DN of
 * every renamed or tombstoned entry to its new DN or to nothing (reads
 * m->row).  relink: r with those DN values rewritten or dropped (built
 * in b), or NULL when r names none of them. */
int mirror_relink_prepare(struct mirror *m, struct err *e);
struct record *mirror_relink(const struct mirror *m, const struct record *r,
			     struct record_builder *b);

/* Serialises r into out (appended); mirror_parse reads it back into b's
 * arena, or returns NULL (e set) when data is damaged. */
void mirror_serialise(const struct record *r, struct str *out);
struct record *mirror_parse(const unsigned char *data, size_t len,
			    struct record_builder *b, struct err *e);

#endif
