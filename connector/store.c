/*
 * store.c: the SQLite state store.  Schema and migrations, the snapshot a
 * diff or a view works from, and the small transaction helpers apply.c
 * shares (store_sql.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_sql.h"
#include "util/xmalloc.h"

/*
 * Migrations: migrations[i] takes the schema from version i to i + 1, in
 * one transaction with the new meta.schema_version.  Append, never edit a
 * released entry: a store records how far it got, not what the SQL was.
 */
static const char *const migrations[] = {
	/* 1: the workspace model of DESIGN §1 and the run history. */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	/* seat_capacity -1: follow the config's seats.capacity until an
	 * admin sets one with `seats capacity N`. */
	"INSERT INTO meta(key, value) VALUES ('generation', 0),"
	" ('seat_capacity', -1);"
	"CREATE TABLE members("
	" id INTEGER PRIMARY KEY,"
	" job TEXT, anchor TEXT,"		/* both NULL: manual member */
	" email TEXT NOT NULL,"
	" email_key TEXT NOT NULL UNIQUE,"	/* lower(email): DESIGN §1 */
	" name TEXT NOT NULL,"
	" role TEXT NOT NULL,"
	" manager_id INTEGER REFERENCES members(id) ON DELETE SET NULL,"
	" seat INTEGER NOT NULL DEFAULT 0 CHECK (seat IN (0, 1)),"
	" suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),"
	" pinned INTEGER NOT NULL DEFAULT 0,"
	" custom_fields TEXT NOT NULL DEFAULT '{}'"
	"  CHECK (json_valid(custom_fields)),"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	" seat_at INTEGER, last_seen_at INTEGER, suspended_at INTEGER,"
	" CHECK (manager_id IS NOT id),"
	" UNIQUE (job, anchor));"
	"CREATE INDEX members_manager ON members(manager_id);"
	"CREATE TABLE team_groups("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" managed_by TEXT);"
	"CREATE TABLE teams("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" type TEXT NOT NULL DEFAULT 'Other',"
	" group_id INTEGER REFERENCES team_groups(id) ON DELETE SET NULL,"
	" description TEXT, color TEXT,"
	" analytics_conversations INTEGER NOT NULL DEFAULT 1,"
	" analytics_contacts INTEGER NOT NULL DEFAULT 1,"
	" managed_by TEXT);"
	"CREATE INDEX teams_group ON teams(group_id);"
	"CREATE TABLE team_members("
	" team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,"
	" member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	" managed_by TEXT,"
	" PRIMARY KEY (team_id, member_id)) WITHOUT ROWID;"
	"CREATE INDEX team_members_member ON team_members(member_id);"
	"CREATE TABLE roles(name TEXT PRIMARY KEY, perms TEXT NOT NULL"
	" DEFAULT '[]');"
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" job TEXT NOT NULL,"
	" started_at INTEGER NOT NULL, finished_at INTEGER,"
	" outcome TEXT NOT NULL,"
	" source_users INTEGER,"		/* NULL: unknown */
	" created INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,"
	" deleted INTEGER NOT NULL DEFAULT 0,"
	" seats_allocated INTEGER NOT NULL DEFAULT 0,"
	" seats_deallocated INTEGER NOT NULL DEFAULT 0,"
	" warnings INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX runs_job ON runs(job, id);"
	"CREATE TABLE run_changes("
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" op TEXT NOT NULL, subject TEXT,"
	" detail TEXT,"				/* JSON object */
	" PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
	"CREATE TABLE cursors("
	" job TEXT NOT NULL, name TEXT NOT NULL, value TEXT,"
	" PRIMARY KEY (job, name)) WITHOUT ROWID;"
	/* Deletion cannot be undone (DESIGN §1); the log says who and when. */
	"CREATE TABLE deleted_members("
	" id INTEGER PRIMARY KEY,"
	" anchor TEXT, job TEXT, email TEXT NOT NULL,"
	" deleted_at INTEGER NOT NULL);",
	/* 2: who made a hand-made change (runs with job 'manual'); NULL for
	 * runs of a job. */
	"ALTER TABLE runs ADD COLUMN actor TEXT;",
	/* 3: the source mirror of incremental jobs (mirror.h), in source
	 * order; its cursors live in cursors. */
	"CREATE TABLE mirror("
	" job TEXT NOT NULL, seq INTEGER NOT NULL, uuid TEXT NOT NULL,"
	" kind INTEGER NOT NULL, data BLOB NOT NULL,"
	" PRIMARY KEY (job, kind, seq)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX mirror_uuid ON mirror(job, uuid);",
};

#define NMIGRATIONS ((int64_t)(sizeof(migrations) / sizeof(migrations[0])))

int
store_sqlerr(struct store *s, struct err *e, const char *what)
{
	return err_set(e, "%s: %s", what, sqlite3_errmsg(s->db));
}

int
store_exec(struct store *s, const char *sql, struct err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, "store '%s': %s", s->path,
			msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_begin(struct store *s, struct err *e)
{
	return store_exec(s, "BEGIN IMMEDIATE", e);
}

int
store_commit(struct store *s, struct err *e)
{
	return store_exec(s, "COMMIT", e);
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
prep(struct store *s, const char *sql, sqlite3_stmt **st, struct err *e)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return store_sqlerr(s, e, "cannot prepare store query");
	}
	return 0;
}

/* One integer from a query with an optional text parameter; def if no row
 * (or a NULL value). */
static int
query_int(struct store *s, const char *sql, const char *arg, int64_t def,
	  int64_t *out, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(s, sql, &st, e) < 0)
		return -1;
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		*out = def;
	else
		store_sqlerr(s, e, "cannot read store");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
meta_int(struct store *s, const char *key, int64_t *out, struct err *e)
{
	return query_int(s, "SELECT value FROM meta WHERE key = ?1", key, 0,
			 out, e);
}

static int
meta_set(struct store *s, const char *key, int64_t v, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(s, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
		 &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sqlerr(s, e, "cannot write store meta");
	return 0;
}

int
store_generation(struct store *s, int64_t *out, struct err *e)
{
	return meta_int(s, "generation", out, e);
}

int
store_bump_generation(struct store *s, struct err *e)
{
	return store_exec(s, "UPDATE meta SET value = value + 1"
			  " WHERE key = 'generation'", e);
}

/* 0 for a new, empty database (no meta table yet). */
static int
schema_version(struct store *s, int64_t *v, struct err *e)
{
	int64_t has;

	if (query_int(s, "SELECT count(*) FROM sqlite_master WHERE"
		      " type = 'table' AND name = 'meta'", NULL, 0, &has, e) < 0)
		return -1;
	if (!has) {
		*v = 0;
		return 0;
	}
	return meta_int(s, "schema_version", v, e);
}

static int
refuse_newer(struct store *s, int64_t v, struct err *e)
{
	return err_set(e, "store '%s' has schema version %" PRId64 ", newer "
		       "than this harmony-sync knows (%" PRId64 "): upgrade "
		       "harmony-sync", s->path, v, NMIGRATIONS);
}

/*
 * Brings the schema up to date.  The common case (already current) only
 * reads, so opening for a view never waits for a writer.  Each step runs
 * under the write lock and re-reads the version, so two processes opening
 * a new store at once do not both migrate it.
 */
static int
migrate(struct store *s, struct err *e)
{
	int64_t v;

	for (;;) {
		if (schema_version(s, &v, e) < 0)
			return -1;
		if (v > NMIGRATIONS)
			return refuse_newer(s, v, e);
		if (v == NMIGRATIONS)
			return 0;
		if (store_begin(s, e) < 0)
			return -1;
		if (schema_version(s, &v, e) < 0)
			goto fail;
		if (v < NMIGRATIONS) {
			if (v < 0 || store_exec(s, migrations[v], e) < 0 ||
			    meta_set(s, "schema_version", v + 1, e) < 0) {
				err_prefix(e, "cannot migrate store to "
					   "schema version %" PRId64, v + 1);
				goto fail;
			}
		}
		if (store_commit(s, e) < 0)
			goto fail;
	}
fail:
	store_rollback(s);
	return -1;
}

/* "HSNC" (1213419075): marks a SQLite file as a harmony-sync store. */
#define STORE_APP_ID 0x48534e43

/*
 * A store is ours, new (no tables), or refused: --store pointing at some
 * other program's SQLite file must not get our tables added to it.  Stores
 * made before the mark have a meta table and get the mark now.
 */
static int
check_owner(struct store *s, struct err *e)
{
	int64_t app, tables, meta;

	if (query_int(s, "PRAGMA application_id", NULL, 0, &app, e) < 0 ||
	    query_int(s, "SELECT count(*) FROM sqlite_master", NULL, 0,
		      &tables, e) < 0 ||
	    query_int(s, "SELECT count(*) FROM sqlite_master WHERE type ="
		      " 'table' AND name = 'meta'", NULL, 0, &meta, e) < 0)
		return -1;
	if (app == STORE_APP_ID)
		return 0;
	if (app != 0 || (tables > 0 && meta == 0))
		return err_set(e, "'%s' is not a harmony-sync store (another "
			       "program's database?): not touching it", s->path);
	return store_exec(s, "PRAGMA application_id = 1213419075", e);
}

const char *
store_path(const struct store *s)
{
	return s != NULL ? s->path : NULL;
}

int
store_open(const char *path, struct store **out, struct err *e)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int rc;

	s->path = xstrdup(path);
	/* NOMUTEX: a store handle belongs to one thread (the daemon runs
	 * jobs one after another), so SQLite's per-call locking is waste. */
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err_set(e, "cannot open store '%s': %s", path,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* busy_timeout first: switching to WAL needs a lock another process
	 * may hold.  synchronous=NORMAL is safe in WAL mode: a crash loses
	 * no committed transaction except on power loss, never corrupts.
	 * Reads (plans, views) scan the store once, so they keep SQLite's
	 * small default page cache and no memory map: both would count
	 * against the memory budget of a plan (DESIGN: under 2 KB a member)
	 * for no speed.  apply_plan() raises the cache for its transaction. */
	if (store_exec(s, "PRAGMA busy_timeout = 5000", e) < 0 ||
	    check_owner(s, e) < 0 ||
	    store_exec(s, "PRAGMA journal_mode = WAL", e) < 0 ||
	    store_exec(s, "PRAGMA foreign_keys = ON", e) < 0 ||
	    store_exec(s, "PRAGMA synchronous = NORMAL", e) < 0 ||
	    migrate(s, e) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

int
store_set_capacity(struct store *s, int n, struct err *e)
{
	int64_t cur;

	if (n < 0)
		return err_set(e, "seat capacity must be 0 or more, not %d", n);
	if (store_begin(s, e) < 0)
		return -1;
	if (meta_int(s, "seat_capacity", &cur, e) < 0)
		goto fail;
	if (cur == n) {
		store_rollback(s);
		return 0;
	}
	if (meta_set(s, "seat_capacity", n, e) < 0 ||
	    store_bump_generation(s, e) < 0 || store_commit(s, e) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

/* ---- snapshot ---- */

static const char *
col_str(struct arena *a, sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	if (p == NULL)
		return NULL;
	return arena_strndup(a, (const char *)p,
			     (size_t)sqlite3_column_bytes(st, i));
}

/* The decimal key of by_id, written into the arena (snprintf is a
 * measurable part of loading 100,000 members). */
static const char *
id_key(struct arena *a, int64_t id)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = id < 0 ? -(uint64_t)id : (uint64_t)id;

	*--p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (id < 0)
		*--p = '-';
	return arena_strndup(a, p, (size_t)(buf + sizeof(buf) - 1 - p));
}

/* Ends a row loop: SQLITE_DONE is success, anything else an error. */
static int
step_done(struct store *s, int rc, struct err *e)
{
	if (rc != SQLITE_DONE)
		return store_sqlerr(s, e, "cannot read store");
	return 0;
}

/* Job and role names repeat on every row: one copy of each (a handful of
 * distinct values), not one per member. */
struct few {
	const char *v[16];
	size_t n;
};

static const char *
col_few(struct arena *a, struct few *f, sqlite3_stmt *st, int i)
{
	const char *p = (const char *)sqlite3_column_text(st, i);
	size_t k;

	if (p == NULL)
		return NULL;
	for (k = 0; k < f->n; k++)
		if (strcmp(f->v[k], p) == 0)
			return f->v[k];
	if (f->n == sizeof(f->v) / sizeof(f->v[0]))
		return col_str(a, st, i);
	return f->v[f->n++] = col_str(a, st, i);
}

static void
member_row(struct snapshot *snap, struct few *few, sqlite3_stmt *st,
	   struct smember *m)
{
	struct arena *a = &snap->arena;
	const char *key;

	m->id = sqlite3_column_int64(st, 0);
	m->job = col_few(a, few, st, 1);
	m->anchor = col_str(a, st, 2);
	m->email = col_str(a, st, 3);
	key = (const char *)sqlite3_column_text(st, 4);
	/* Mostly already lower case: then the key is the email itself. */
	m->email_key = key != NULL && m->email != NULL &&
	    strcmp(key, m->email) == 0 ? m->email : col_str(a, st, 4);
	m->name = col_str(a, st, 5);
	m->role = col_few(a, few, st, 6);
	m->manager_id = sqlite3_column_int64(st, 7);	/* NULL reads 0 */
	m->seat = sqlite3_column_int(st, 8);
	m->suspended = sqlite3_column_int(st, 9);
	m->pinned = (unsigned)sqlite3_column_int64(st, 10);
	m->custom_fields = col_str(a, st, 11);
	m->created_at = sqlite3_column_int64(st, 12);
	m->updated_at = sqlite3_column_int64(st, 13);
	m->seat_at = sqlite3_column_int64(st, 14);
	m->last_seen_at = sqlite3_column_int64(st, 15);
	m->suspended_at = sqlite3_column_int64(st, 16);
	/* NOT NULL columns; a hand-edited store must not crash the views. */
	if (m->email == NULL)
		m->email = "";
	if (m->email_key == NULL)
		m->email_key = "";
	if (m->name == NULL)
		m->name = "";
	if (m->role == NULL)
		m->role = "";
	if (m->custom_fields == NULL)
		m->custom_fields = "{}";
}

static void
member_index(struct snapshot *snap, const char *job, struct smember *m)
{
	hmap_put(&snap->by_id, id_key(&snap->arena, m->id), m);
	hmap_put(&snap->by_email, m->email_key, m);
	if (m->seat)
		snap->seats_used++;
	if (job != NULL && m->job != NULL && strcmp(m->job, job) == 0) {
		snap->job_members++;
		if (m->anchor != NULL)
			hmap_put(&snap->by_anchor, m->anchor, m);
	}
}

static int
load_members(struct store *s, const char *job, struct snapshot *snap,
	     struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct smember *all;
	struct few few = { { NULL }, 0 };
	int64_t n;
	size_t i = 0;
	int rc, ret = -1;

	if (query_int(s, "SELECT count(*) FROM members", NULL, 0, &n, e) < 0 ||
	    prep(s, "SELECT id, job, anchor, email, email_key, name, role,"
		 " manager_id, seat, suspended, pinned, custom_fields,"
		 " created_at, updated_at, seat_at, last_seen_at, suspended_at"
		 " FROM members ORDER BY email_key", &st, e) < 0)
		goto out;
	all = arena_zalloc(&snap->arena, (size_t)n * sizeof(*all) + 1);
	snap->members = arena_alloc(&snap->arena,
				    (size_t)n * sizeof(*snap->members) + 1);
	/* The read transaction fixes the row count; the bound is a guard. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < (size_t)n) {
		member_row(snap, &few, st, &all[i]);
		member_index(snap, job, &all[i]);
		snap->members[i] = &all[i];
		i++;
	}
	snap->nmembers = i;
	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	ret = step_done(s, rc, e);
out:
	sqlite3_finalize(st);
	return ret;
}

static int
load_teams(struct store *s, struct snapshot *snap, struct err *e)
{
	struct arena *a = &snap->arena;
	sqlite3_stmt *st = NULL;
	int64_t n;
	size_t i = 0;
	int rc, ret = -1;

	if (query_int(s, "SELECT count(*) FROM teams", NULL, 0, &n, e) < 0 ||
	    prep(s, "SELECT t.id, t.name, t.type, g.name, t.description,"
		 " t.color, t.managed_by, (SELECT count(*) FROM team_members tm"
		 " WHERE tm.team_id = t.id), t.analytics_conversations,"
		 " t.analytics_contacts FROM teams t LEFT JOIN team_groups g"
		 " ON g.id = t.group_id ORDER BY t.name", &st, e) < 0)
		goto out;
	snap->teams = arena_alloc(a, (size_t)n * sizeof(*snap->teams) + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < (size_t)n) {
		struct steam *t = arena_zalloc(a, sizeof(*t));

		t->id = sqlite3_column_int64(st, 0);
		t->name = col_str(a, st, 1);
		t->type = col_str(a, st, 2);
		t->group = col_str(a, st, 3);
		t->description = col_str(a, st, 4);
		t->color = col_str(a, st, 5);
		t->managed_by = col_str(a, st, 6);
		t->nmembers = (size_t)sqlite3_column_int64(st, 7);
		t->analytics_conversations = sqlite3_column_int(st, 8) != 0;
		t->analytics_contacts = sqlite3_column_int(st, 9) != 0;
		if (t->name == NULL)
			t->name = "";
		snap->teams[i++] = t;
		hmap_put(&snap->teams_by_name, t->name, t);
	}
	snap->nteams = i;
	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	ret = step_done(s, rc, e);
out:
	sqlite3_finalize(st);
	return ret;
}

/* Members sorted by id: manager and team rows name members by id, and a
 * binary search is cheaper than formatting and hashing 300,000 keys. */
struct by_id {
	struct smember **m;
	size_t n;
};

static int
id_cmp(const void *va, const void *vb)
{
	const struct smember *a = *(struct smember *const *)va;
	const struct smember *b = *(struct smember *const *)vb;

	return (a->id > b->id) - (a->id < b->id);
}

static void
by_id_init(struct by_id *ix, const struct snapshot *snap)
{
	ix->n = snap->nmembers;
	ix->m = xmalloc((ix->n ? ix->n : 1) * sizeof(*ix->m));
	memcpy(ix->m, snap->members, ix->n * sizeof(*ix->m));
	qsort(ix->m, ix->n, sizeof(*ix->m), id_cmp);
}

static struct smember *
by_id_find(const struct by_id *ix, int64_t id)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->m[mid]->id < id)
			lo = mid + 1;
		else if (ix->m[mid]->id > id)
			hi = mid;
		else
			return ix->m[mid];
	}
	return NULL;
}

static void
resolve_managers(struct snapshot *snap, const struct by_id *ix)
{
	size_t i;

	for (i = 0; i < snap->nmembers; i++) {
		struct smember *m = snap->members[i];

		if (m->manager_id != 0)
			m->manager = by_id_find(ix, m->manager_id);
	}
}

/* A team's rank in snap->teams (sorted by name), by team id. */
struct team_rank {
	int64_t id;
	size_t rank;
};

static int
rank_cmp(const void *va, const void *vb)
{
	const struct team_rank *a = va, *b = vb;

	return (a->id > b->id) - (a->id < b->id);
}

static int
size_cmp(const void *va, const void *vb)
{
	size_t a = *(const size_t *)va, b = *(const size_t *)vb;

	return (a > b) - (a < b);
}

/* Gives m the teams of ranks[0..n), sorted by name. */
static void
attach_teams(struct snapshot *snap, struct smember *m, size_t *ranks,
	     size_t n)
{
	size_t i;

	if (m == NULL || n == 0)
		return;
	qsort(ranks, n, sizeof(*ranks), size_cmp);
	m->teams = arena_alloc(&snap->arena, n * sizeof(*m->teams));
	for (i = 0; i < n; i++)
		m->teams[i] = snap->teams[ranks[i]]->name;
	m->nteams = n;
}

/* All memberships in one query ordered by member (the member_id index),
 * so each member's teams are one run of rows: no query per member. */
static int
load_team_members(struct store *s, struct snapshot *snap,
		  const struct by_id *ix, struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct team_rank *tr, key;
	size_t *ranks = NULL, n = 0, cap = 0, i;
	int64_t cur = 0;
	int rc, ret = -1;

	tr = xmalloc((snap->nteams ? snap->nteams : 1) * sizeof(*tr));
	for (i = 0; i < snap->nteams; i++) {
		tr[i].id = snap->teams[i]->id;
		tr[i].rank = i;
	}
	qsort(tr, snap->nteams, sizeof(*tr), rank_cmp);
	if (prep(s, "SELECT member_id, team_id FROM team_members"
		 " ORDER BY member_id", &st, e) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const struct team_rank *t;

		key.id = sqlite3_column_int64(st, 1);
		t = bsearch(&key, tr, snap->nteams, sizeof(*tr), rank_cmp);
		if (t == NULL)
			continue;
		if (id != cur) {
			attach_teams(snap, by_id_find(ix, cur), ranks, n);
			cur = id;
			n = 0;
		}
		ranks = xgrow(ranks, &cap, n + 1, sizeof(*ranks));
		ranks[n++] = t->rank;
	}
	attach_teams(snap, by_id_find(ix, cur), ranks, n);
	ret = step_done(s, rc, e);
out:
	free(ranks);
	free(tr);
	sqlite3_finalize(st);
	return ret;
}

static int
load_groups(struct store *s, struct snapshot *snap, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t n;
	size_t i = 0;
	int rc, ret = -1;

	if (query_int(s, "SELECT count(*) FROM team_groups", NULL, 0, &n,
		      e) < 0 ||
	    prep(s, "SELECT name, managed_by FROM team_groups ORDER BY name",
		 &st, e) < 0)
		goto out;
	snap->groups = arena_alloc(&snap->arena,
				   (size_t)n * sizeof(*snap->groups) + 1);
	snap->group_managed_by = arena_alloc(&snap->arena,
	    (size_t)n * sizeof(*snap->group_managed_by) + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < (size_t)n) {
		const char *g = col_str(&snap->arena, st, 0);

		snap->group_managed_by[i] = col_str(&snap->arena, st, 1);
		snap->groups[i++] = g ? g : "";
	}
	snap->ngroups = i;
	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	ret = step_done(s, rc, e);
out:
	sqlite3_finalize(st);
	return ret;
}

static int
load_meta(struct store *s, const char *job, struct snapshot *snap,
	  struct err *e)
{
	int64_t cap, last = -1;

	if (meta_int(s, "generation", &snap->generation, e) < 0 ||
	    meta_int(s, "seat_capacity", &cap, e) < 0)
		return -1;
	if (job != NULL &&
	    query_int(s, "SELECT source_users FROM runs WHERE job = ?1 AND"
		      " outcome = 'ok' ORDER BY id DESC LIMIT 1", job, -1,
		      &last, e) < 0)
		return -1;
	snap->capacity = cap > INT32_MAX ? INT32_MAX : cap < 0 ? -1 : (int)cap;
	snap->last_source_users = (long)last;
	snprintf(snap->fingerprint, sizeof(snap->fingerprint), "g%" PRId64,
		 snap->generation);
	return 0;
}

static void
snapshot_init(struct snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	arena_init(&snap->arena);
	hmap_init(&snap->by_anchor);
	hmap_init(&snap->by_email);
	hmap_init(&snap->by_id);
	hmap_init(&snap->teams_by_name);
	snap->last_source_users = -1;
}

int
store_snapshot(struct store *s, const char *job, struct snapshot *out,
	       struct err *e)
{
	struct snapshot snap;
	struct by_id ix = { NULL, 0 };

	snapshot_init(&snap);
	/* One read transaction: every part sees the same generation. */
	if (store_exec(s, "BEGIN", e) < 0)
		goto fail;
	if (load_meta(s, job, &snap, e) < 0 ||
	    load_members(s, job, &snap, e) < 0 ||
	    load_teams(s, &snap, e) < 0)
		goto fail;
	by_id_init(&ix, &snap);
	resolve_managers(&snap, &ix);
	if (load_team_members(s, &snap, &ix, e) < 0 ||
	    load_groups(s, &snap, e) < 0 ||
	    store_exec(s, "COMMIT", e) < 0)
		goto fail;
	free(ix.m);
	*out = snap;
	return 0;
fail:
	free(ix.m);
	store_rollback(s);
	snapshot_release(&snap);
	return -1;
}

void
snapshot_release(struct snapshot *snap)
{
	hmap_release(&snap->by_anchor);
	hmap_release(&snap->by_email);
	hmap_release(&snap->by_id);
	hmap_release(&snap->teams_by_name);
	arena_release(&snap->arena);
	snap->members = NULL;
	snap->teams = NULL;
	snap->groups = NULL;
	snap->nmembers = snap->nteams = snap->ngroups = 0;
}

const char *
store_fingerprint(const struct snapshot *snap)
{
	return snap->fingerprint;
}

/* ---- shared with store_admin.c and store_views.c (store_sql.h) ---- */

int
store_prep(struct store *s, const char *sql, sqlite3_stmt **st, struct err *e)
{
	return prep(s, sql, st, e);
}

int
store_query_int(struct store *s, const char *sql, const char *arg,
		int64_t def, int64_t *out, struct err *e)
{
	return query_int(s, sql, arg, def, out, e);
}

int
store_meta_set(struct store *s, const char *key, int64_t v, struct err *e)
{
	return meta_set(s, key, v, e);
}

int
store_email_holder(struct store *s, const char *job, const char *email_key,
		   struct arena *a, const char **anchor, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	*anchor = NULL;
	if (prep(s, "SELECT anchor FROM members WHERE job = ?1 AND"
		 " email_key = ?2", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, email_key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*anchor = col_str(a, st, 0);
	else
		ret = step_done(s, rc, e);
	sqlite3_finalize(st);
	return ret;
}
