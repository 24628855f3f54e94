/*
 * store_mirror: reads and writes a job's source mirror (mirror.h) and its
 * cursors.  Saving runs inside the caller's transaction (apply's), so the
 * mirror, its cursors and the workspace always change together.
 */
#include <string.h>

#include "store.h"
#include "store_sql.h"

int
store_mirror_cursors(struct store *s, const char *job, struct mirror *m,
		     struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prep(s, "SELECT name, value FROM cursors WHERE job = ?1"
		       " ORDER BY name", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *value = (const char *)sqlite3_column_text(st, 1);

		if (name != NULL)
			mirror_set_cursor(m, name, value);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sqlerr(s, e, "cannot read cursors");
	/* New entries go after every stored one, of either kind. */
	return store_query_int(s, "SELECT coalesce(max(seq) + 1, 0) FROM mirror"
			       " WHERE job = ?1", job, 0, &m->next_seq, e);
}

/* Steps st (columns uuid, seq, data) to its end, one call of fn a row. */
static int
each_row(struct store *s, sqlite3_stmt *st, const char *job,
	 mirror_row_fn fn, void *arg, struct err *e)
{
	int rc, ret = 0;

	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *uuid = (const char *)sqlite3_column_text(st, 0);
		const void *data = sqlite3_column_blob(st, 2);
		int len = sqlite3_column_bytes(st, 2);

		if (uuid == NULL || data == NULL)
			ret = err_setc(e, ERR_FETCH, "the mirror of job '%s' "
				       "is damaged", job);
		else
			ret = fn(arg, uuid, sqlite3_column_int64(st, 1), data,
				 (size_t)len, e);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_sqlerr(s, e, "cannot read the mirror");
	sqlite3_finalize(st);
	return ret;
}

int
store_mirror_rows(struct store *s, const char *job, enum record_kind kind,
		  mirror_row_fn fn, void *arg, struct err *e)
{
	sqlite3_stmt *st = NULL;

	if (store_prep(s, "SELECT uuid, seq, data FROM mirror"
		       " WHERE job = ?1 AND kind = ?2 ORDER BY seq", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, kind == RECORD_GROUP);
	return each_row(s, st, job, fn, arg, e);
}

int
store_mirror_row(struct store *s, const char *job, const char *uuid,
		 mirror_row_fn fn, void *arg, struct err *e)
{
	sqlite3_stmt *st = NULL;

	if (store_prep(s, "SELECT uuid, seq, data FROM mirror"
		       " WHERE job = ?1 AND uuid = ?2", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);
	return each_row(s, st, job, fn, arg, e);
}

/* Runs st (already bound) to completion and resets it for the next use. */
static int
step(struct store *s, sqlite3_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : store_sqlerr(s, e, "cannot write the mirror");
}

static int
save_entries(struct store *s, const char *job, const struct mirror *m,
	     sqlite3_stmt *del, sqlite3_stmt *ins, struct err *e)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct mirror_entry *me = m->entries[i];

		if (!me->dirty)
			continue;
		if (!m->full) {
			sqlite3_bind_text(del, 1, job, -1, SQLITE_STATIC);
			sqlite3_bind_text(del, 2, me->uuid, -1, SQLITE_STATIC);
			if (step(s, del, e) < 0)
				return -1;
		}
		if (me->data == NULL || me->seq < 0)
			continue;
		sqlite3_bind_text(ins, 1, job, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, me->seq);
		sqlite3_bind_text(ins, 3, me->uuid, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 4, me->kind == RECORD_GROUP);
		sqlite3_bind_blob(ins, 5, me->data, (int)me->len, SQLITE_STATIC);
		if (step(s, ins, e) < 0)
			return -1;
	}
	return 0;
}

static int
save_cursors(struct store *s, const char *job, const struct mirror *m,
	     struct err *e)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = 0;

	if (store_prep(s, "INSERT OR REPLACE INTO cursors(job, name, value)"
		       " VALUES (?1, ?2, ?3)", &st, e) < 0)
		return -1;
	for (i = 0; i < m->ncursors && rc == 0; i++) {
		sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, m->cursors[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->cursors[i].value, -1, SQLITE_STATIC);
		rc = step(s, st, e);
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_mirror_save(struct store *s, const char *job, const struct mirror *m,
		  struct err *e)
{
	sqlite3_stmt *del = NULL, *ins = NULL, *all = NULL;
	int rc = -1;

	if (store_prep(s, "DELETE FROM mirror WHERE job = ?1 AND uuid = ?2",
		       &del, e) < 0 ||
	    store_prep(s, "INSERT INTO mirror(job, seq, uuid, kind, data)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)", &ins, e) < 0 ||
	    store_prep(s, "DELETE FROM mirror WHERE job = ?1", &all, e) < 0)
		goto out;
	if (m->full) {
		sqlite3_bind_text(all, 1, job, -1, SQLITE_STATIC);
		if (step(s, all, e) < 0)
			goto out;
	}
	if (save_entries(s, job, m, del, ins, e) < 0 ||
	    save_cursors(s, job, m, e) < 0)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	sqlite3_finalize(all);
	return rc;
}

int
store_mirror_count(struct store *s, const char *job, int64_t *n,
		   struct err *e)
{
	return store_query_int(s, "SELECT count(*) FROM mirror WHERE job = ?1",
			       job, 0, n, e);
}
