/*
 * store_views.c: read queries of `history` and `status` (store_admin.h).
 * Strings are copied into the caller's arena, so no SQLite memory escapes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "store_admin.h"
#include "store_sql.h"
#include "util/xmalloc.h"

#define RUN_COLS "id, job, actor, outcome, started_at,"			\
	" coalesce(finished_at, 0), coalesce(source_users, -1), created,"	\
	" updated, deleted, seats_allocated, seats_deallocated, warnings"

static const char *
col(struct arena *a, sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	return p ? arena_strndup(a, (const char *)p,
				 (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

static void
run_row(struct arena *a, sqlite3_stmt *st, struct run_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->job = col(a, st, 1);
	r->actor = col(a, st, 2);
	r->outcome = col(a, st, 3);
	r->started_at = sqlite3_column_int64(st, 4);
	r->finished_at = sqlite3_column_int64(st, 5);
	r->source_users = (long)sqlite3_column_int64(st, 6);
	r->created = (long)sqlite3_column_int64(st, 7);
	r->updated = (long)sqlite3_column_int64(st, 8);
	r->deleted = (long)sqlite3_column_int64(st, 9);
	r->seats_allocated = (long)sqlite3_column_int64(st, 10);
	r->seats_deallocated = (long)sqlite3_column_int64(st, 11);
	r->warnings = (long)sqlite3_column_int64(st, 12);
	if (r->job == NULL)
		r->job = "";
	if (r->outcome == NULL)
		r->outcome = "";
}

int
store_runs(struct store *s, const char *job, size_t limit, struct arena *a,
	   struct run_row **out, size_t *n, struct err *e)
{
	sqlite3_stmt *st;
	struct run_row *rows = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	if (store_prep(s, "SELECT " RUN_COLS " FROM runs WHERE ?1 IS NULL OR"
		       " job = ?1 ORDER BY id DESC LIMIT ?2", &st, e) < 0)
		return -1;
	if (job != NULL)
		sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows = xgrow(rows, &cap, cnt + 1, sizeof(*rows));
		memset(&rows[cnt], 0, sizeof(rows[cnt]));
		run_row(a, st, &rows[cnt++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(rows);
		return store_sqlerr(s, e, "cannot read run history");
	}
	/* Into the arena, so the caller frees one thing. */
	*out = arena_alloc(a, cnt * sizeof(*rows) + 1);
	if (cnt)
		memcpy(*out, rows, cnt * sizeof(*rows));
	free(rows);
	*n = cnt;
	return 0;
}

static int
load_changes(struct store *s, int64_t id, struct arena *a,
	     struct run_change_row **out, size_t *n, struct err *e)
{
	sqlite3_stmt *st;
	struct run_change_row *rows = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	if (store_prep(s, "SELECT seq, op, subject, detail FROM run_changes"
		       " WHERE run_id = ?1 ORDER BY seq", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows = xgrow(rows, &cap, cnt + 1, sizeof(*rows));
		rows[cnt].seq = (long)sqlite3_column_int64(st, 0);
		rows[cnt].op = col(a, st, 1);
		rows[cnt].subject = col(a, st, 2);
		rows[cnt].detail = col(a, st, 3);
		if (rows[cnt].op == NULL)
			rows[cnt].op = "";
		cnt++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(rows);
		return store_sqlerr(s, e, "cannot read run changes");
	}
	*out = arena_alloc(a, cnt * sizeof(*rows) + 1);
	if (cnt)
		memcpy(*out, rows, cnt * sizeof(*rows));
	free(rows);
	*n = cnt;
	return 0;
}

int
store_run(struct store *s, int64_t id, struct arena *a, struct run_row *run,
	  struct run_change_row **changes, size_t *n, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prep(s, "SELECT " RUN_COLS " FROM runs WHERE id = ?1", &st,
		       e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(run, 0, sizeof(*run));
		run_row(a, st, run);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return err_set(e, "no run %" PRId64 " (see harmony-sync history)",
			       id);
	if (rc != SQLITE_ROW)
		return store_sqlerr(s, e, "cannot read run history");
	return load_changes(s, id, a, changes, n, e);
}
