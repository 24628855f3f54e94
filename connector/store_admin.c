/*
 * store_admin.c: the manual admin actions (store_admin.h).
 *
 * Each action is: BEGIN IMMEDIATE, read what it needs, check the rules,
 * write, record the run (job "manual") and its one change, bump the
 * generation, COMMIT.  Any failure rolls back, so a refused action leaves
 * no trace, not even in history.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_admin.h"
#include "store_sql.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* What an action leaves in history: the run's counters and its change. */
struct rec {
	const char *op;
	const char *subject;
	struct str detail;		/* JSON object, apply.c's shape */
	int created, updated, deleted, allocated, deallocated;
};

/* A member as the actions need it; strings are malloc'd (member_free). */
struct amember {
	int64_t id, manager_id;
	char *email, *name, *role, *job;
	int seat;
	unsigned pinned;
};

static const struct {
	const char *name;
	unsigned pin;
	int unpin_only;
} fields[] = {
	{ "name", PIN_NAME, 0 },
	{ "role", PIN_ROLE, 0 },
	{ "manager", PIN_MANAGER, 0 },
	{ "email", PIN_EMAIL, 0 },
	{ "seat", PIN_SEAT, 1 },
};

unsigned
store_admin_pin(const char *field, int unpin)
{
	size_t i;

	for (i = 0; field != NULL && i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(field, fields[i].name) == 0 &&
		    (unpin || !fields[i].unpin_only))
			return fields[i].pin;
	return 0;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Steps a write statement to its end and finalizes it. */
static int
finish_write(struct store *s, sqlite3_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sqlerr(s, e, "store write failed");
	return 0;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	return p ? xstrdup((const char *)p) : NULL;
}

static void
member_free(struct amember *m)
{
	free(m->email);
	free(m->name);
	free(m->role);
	free(m->job);
	memset(m, 0, sizeof(*m));
}

/* Finds a member by email (case-insensitive) or by id (email NULL).
 * *found = 0 when there is none. */
static int
member_get(struct store *s, const char *email, int64_t id,
	   struct amember *m, int *found, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof(*m));
	if (store_prep(s, email != NULL ?
		       "SELECT id, coalesce(manager_id, 0), email, name, role,"
		       " job, seat, pinned FROM members WHERE email_key ="
		       " lower(?1)" :
		       "SELECT id, coalesce(manager_id, 0), email, name, role,"
		       " job, seat, pinned FROM members WHERE id = ?2",
		       &st, e) < 0)
		return -1;
	if (email != NULL)
		bind_text(st, 1, email);
	else
		sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	if (*found) {
		m->id = sqlite3_column_int64(st, 0);
		m->manager_id = sqlite3_column_int64(st, 1);
		m->email = col_dup(st, 2);
		m->name = col_dup(st, 3);
		m->role = col_dup(st, 4);
		m->job = col_dup(st, 5);
		m->seat = sqlite3_column_int(st, 6);
		m->pinned = (unsigned)sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sqlerr(s, e, "cannot read store");
	return 0;
}

/* Like member_get, but a missing member is an error. */
static int
member_need(struct store *s, const char *email, struct amember *m,
	    struct err *e)
{
	int found;

	if (member_get(s, email, 0, m, &found, e) < 0)
		return -1;
	if (!found)
		return err_set(e, "no member with email '%.200s'", email);
	return 0;
}

static void
rec_init(struct rec *r, const char *op, const char *subject)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->subject = subject;
}

/* {"fields":{"field":[old,new]}} */
static void
rec_field(struct rec *r, const char *field, const char *old, const char *new)
{
	str_adds(&r->detail, "{\"fields\":{");
	str_add_json(&r->detail, field);
	str_adds(&r->detail, ":[");
	if (old != NULL)
		str_add_json(&r->detail, old);
	else
		str_adds(&r->detail, "null");
	str_addc(&r->detail, ',');
	if (new != NULL)
		str_add_json(&r->detail, new);
	else
		str_adds(&r->detail, "null");
	str_adds(&r->detail, "]}}");
}

static void
rec_detail(struct rec *r, const char *detail)
{
	str_adds(&r->detail, "{\"detail\":");
	str_add_json(&r->detail, detail);
	str_addc(&r->detail, '}');
}

static int
insert_run(struct store *s, const struct admin *a, const struct rec *r,
	   int64_t *run_id, struct err *e)
{
	sqlite3_stmt *st;

	if (store_prep(s, "INSERT INTO runs(job, started_at, finished_at,"
		       " outcome, created, updated, deleted, seats_allocated,"
		       " seats_deallocated, actor) VALUES ('manual', ?1, ?1,"
		       " 'ok', ?2, ?3, ?4, ?5, ?6, ?7)", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, a->now);
	sqlite3_bind_int(st, 2, r->created);
	sqlite3_bind_int(st, 3, r->updated);
	sqlite3_bind_int(st, 4, r->deleted);
	sqlite3_bind_int(st, 5, r->allocated);
	sqlite3_bind_int(st, 6, r->deallocated);
	bind_text(st, 7, a->actor);
	if (finish_write(s, st, e) < 0)
		return -1;
	*run_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Records the run and its change, bumps the generation and commits.
 * Releases r.  On error the caller rolls back. */
static int
commit_rec(struct store *s, const struct admin *a, struct rec *r,
	   struct err *e)
{
	sqlite3_stmt *st;
	int64_t run_id;
	int ret = -1;

	if (insert_run(s, a, r, &run_id, e) < 0 ||
	    store_prep(s, "INSERT INTO run_changes(run_id, seq, op, subject,"
		       " detail) VALUES (?1, 1, ?2, ?3, ?4)", &st, e) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, r->op);
	bind_text(st, 3, r->subject);
	bind_text(st, 4, r->detail.len ? str_cstr(&r->detail) : NULL);
	if (finish_write(s, st, e) < 0 || store_bump_generation(s, e) < 0 ||
	    store_commit(s, e) < 0)
		goto out;
	ret = 0;
out:
	str_release(&r->detail);
	return ret;
}

/*
 * The end of a hand-made change to member m: when r was written
 * (written == 0), records and commits it; otherwise, or if that fails,
 * rolls back.  r may be NULL (the change failed before it was made).  m
 * and r's detail are freed either way.
 */
static int
member_end(struct store *s, const struct admin *a, struct amember *m,
	   struct rec *r, int written, struct err *e)
{
	int rc = -1;

	if (r != NULL && written == 0)
		rc = commit_rec(s, a, r, e);	/* frees the detail */
	else if (r != NULL)
		str_release(&r->detail);
	if (rc < 0)
		store_rollback(s);
	member_free(m);
	return rc;
}

/* The capacity in force: set by hand, else the config's. */
static int
seat_counts(struct store *s, const struct admin *a, int64_t *cap,
	    int64_t *used, struct err *e)
{
	if (store_query_int(s, "SELECT value FROM meta WHERE key ="
			    " 'seat_capacity'", NULL, -1, cap, e) < 0 ||
	    store_query_int(s, "SELECT count(*) FROM members WHERE seat = 1",
			    NULL, 0, used, e) < 0)
		return -1;
	if (*cap < 0)
		*cap = a->capacity;
	return 0;
}

/* ---- validation ---- */

static int
valid_text(const char *v, size_t max)
{
	size_t n, i;

	if (v == NULL || (n = strlen(v)) == 0 || n > max || !utf8_valid(v, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

static int
check_email(const char *v, struct err *e)
{
	const char *at = v ? strchr(v, '@') : NULL;

	if (!valid_text(v, 254) || at == NULL || at == v || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strchr(v, ' ') != NULL)
		return err_set(e, "invalid email '%.200s'", v ? v : "");
	return 0;
}

static int
check_name(const char *v, struct err *e)
{
	if (!valid_text(v, 256))
		return err_set(e, "invalid name: give 1 to 256 characters of "
			       "valid UTF-8 without control characters");
	return 0;
}

/* Email free for member self_id (0: a new member). */
static int
email_free(struct store *s, const char *email, int64_t self_id,
	   struct err *e)
{
	struct amember o;
	int found;

	if (member_get(s, email, 0, &o, &found, e) < 0)
		return -1;
	if (found && o.id != self_id) {
		err_set(e, "email '%.200s' is already used by member '%.200s'",
			email, o.email ? o.email : "");
		member_free(&o);
		return -1;
	}
	member_free(&o);
	return 0;
}

/* ---- member add ---- */

static int
add_team(struct store *s, int64_t member_id, const char *team, struct err *e)
{
	sqlite3_stmt *st;
	int64_t tid;

	if (store_query_int(s, "SELECT id FROM teams WHERE name = ?1", team, 0,
			    &tid, e) < 0)
		return -1;
	if (tid == 0)
		return err_set(e, "no team '%.200s' (see harmony-sync teams)",
			       team);
	if (store_prep(s, "INSERT OR IGNORE INTO team_members(team_id,"
		       " member_id, managed_by) VALUES (?1, ?2, NULL)", &st,
		       e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, tid);
	sqlite3_bind_int64(st, 2, member_id);
	return finish_write(s, st, e);
}

static int
insert_member(struct store *s, const struct admin *a, const char *email,
	      const char *name, const char *role, int seat, int64_t *id,
	      struct err *e)
{
	sqlite3_stmt *st;

	if (store_prep(s, "INSERT INTO members(email, email_key, name, role,"
		       " seat, seat_at, created_at, updated_at) VALUES"
		       " (?1, lower(?1), ?2, ?3, ?4, CASE WHEN ?4 THEN ?5 END,"
		       " ?5, ?5)", &st, e) < 0)
		return -1;
	bind_text(st, 1, email);
	bind_text(st, 2, name);
	bind_text(st, 3, role);
	sqlite3_bind_int(st, 4, seat);
	sqlite3_bind_int64(st, 5, a->now);
	if (finish_write(s, st, e) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_member_add(struct store *s, const struct admin *a, const char *email,
		 const char *name, const char *role,
		 const char *const *teams, size_t nteams, int *seated,
		 struct err *e)
{
	struct rec r;
	int64_t cap, used, id;
	size_t i;
	int seat;

	if (check_email(email, e) < 0 || check_name(name, e) < 0)
		return -1;
	if (!valid_text(role, 256))
		return err_set(e, "invalid role");
	if (store_begin(s, e) < 0)
		return -1;
	if (email_free(s, email, 0, e) < 0 ||
	    seat_counts(s, a, &cap, &used, e) < 0)
		goto fail;
	seat = used < cap;
	if (insert_member(s, a, email, name, role, seat, &id, e) < 0)
		goto fail;
	for (i = 0; i < nteams; i++)
		if (add_team(s, id, teams[i], e) < 0)
			goto fail;
	rec_init(&r, "create_member", email);
	rec_detail(&r, seat ? "manual member, seat allocated" :
		   "manual member, no seat available");
	r.created = 1;
	r.allocated = seat;
	if (commit_rec(s, a, &r, e) < 0)
		goto fail;
	if (seated != NULL)
		*seated = seat;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

/* ---- member set / unpin ---- */

static void
chain_add(struct str *chain, const char *email)
{
	str_adds(chain, chain->len ? " -> " : "");
	str_adds(chain, email ? email : "?");
}

/* Refuses a manager that would close a cycle, naming the chain:
 * "a -> b -> c -> a".  The walk is bounded by the member count, so a
 * damaged store cannot loop it. */
static int
check_no_cycle(struct store *s, const struct amember *m,
	       const struct amember *mgr, struct err *e)
{
	struct str chain = STR_INIT;
	struct amember cur;
	int64_t id = mgr->id, n, steps;
	int found, ret = -1;

	if (mgr->id == m->id)
		return err_set(e, "member '%.200s' cannot be their own manager",
			       m->email);
	if (store_query_int(s, "SELECT count(*) FROM members", NULL, 0, &n,
			    e) < 0)
		return -1;
	chain_add(&chain, m->email);
	for (steps = 0; id != 0 && steps <= n; steps++) {
		if (member_get(s, NULL, id, &cur, &found, e) < 0)
			goto out;
		if (!found)
			break;
		chain_add(&chain, cur.email);
		id = cur.manager_id;
		member_free(&cur);
		if (id == m->id) {
			chain_add(&chain, m->email);
			err_set(e, "manager '%.200s' would make the reporting "
				"chain circular: %.700s", mgr->email,
				str_cstr(&chain));
			goto out;
		}
	}
	ret = 0;
out:
	str_release(&chain);
	return ret;
}

/* Resolves value ("none" or an email) to a manager id and its email. */
static int
set_manager(struct store *s, const struct amember *m, const char *value,
	    int64_t *mgr_id, char **mgr_email, struct err *e)
{
	struct amember mgr;

	*mgr_id = 0;
	*mgr_email = NULL;
	if (strcmp(value, "none") == 0)
		return 0;
	if (member_get(s, value, 0, &mgr, &(int){0}, e) < 0)
		return -1;
	if (mgr.id == 0)
		return err_set(e, "no member with email '%.200s' to be the "
			       "manager", value);
	if (check_no_cycle(s, m, &mgr, e) < 0) {
		member_free(&mgr);
		return -1;
	}
	*mgr_id = mgr.id;
	*mgr_email = mgr.email;
	mgr.email = NULL;
	member_free(&mgr);
	return 0;
}

/* *out: the member's current manager email, malloc'd, or NULL. */
static int
manager_email(struct store *s, const struct amember *m, char **out,
	      struct err *e)
{
	struct amember mgr;
	int found;

	*out = NULL;
	if (m->manager_id == 0)
		return 0;
	if (member_get(s, NULL, m->manager_id, &mgr, &found, e) < 0)
		return -1;
	*out = mgr.email;
	mgr.email = NULL;
	member_free(&mgr);
	return 0;
}

/* The UPDATE for one field; ?1 id, ?2 value (or manager id), ?3 now,
 * ?4 pinned bits to set. */
static const char *
set_sql(const char *field)
{
	if (strcmp(field, "name") == 0)
		return "UPDATE members SET name = ?2, updated_at = ?3,"
			" pinned = pinned | ?4 WHERE id = ?1";
	if (strcmp(field, "role") == 0)
		return "UPDATE members SET role = ?2, updated_at = ?3,"
			" pinned = pinned | ?4 WHERE id = ?1";
	if (strcmp(field, "email") == 0)
		return "UPDATE members SET email = ?2, email_key = lower(?2),"
			" updated_at = ?3, pinned = pinned | ?4 WHERE id = ?1";
	return "UPDATE members SET manager_id = ?2, updated_at = ?3,"
		" pinned = pinned | ?4 WHERE id = ?1";
}

static int
check_value(struct store *s, const struct amember *m, const char *field,
	    const char *value, struct err *e)
{
	if (strcmp(field, "name") == 0)
		return check_name(value, e);
	if (strcmp(field, "role") == 0)
		return valid_text(value, 256) ? 0 : err_set(e, "invalid role");
	if (strcmp(field, "email") == 0)
		return check_email(value, e) < 0 ? -1 :
			email_free(s, value, m->id, e);
	return 0;
}

/* Writes the field; old/new for history go to r. */
static int
write_field(struct store *s, const struct admin *a, const struct amember *m,
	    const char *field, const char *value, unsigned pin, struct rec *r,
	    struct err *e)
{
	sqlite3_stmt *st = NULL;
	char *old = NULL, *mgr_email = NULL;
	int64_t mgr_id = 0;
	int mgr = strcmp(field, "manager") == 0, ret = -1;

	if (mgr && (set_manager(s, m, value, &mgr_id, &mgr_email, e) < 0 ||
		    manager_email(s, m, &old, e) < 0))
		goto out;
	if (store_prep(s, set_sql(field), &st, e) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, m->id);
	if (!mgr)
		bind_text(st, 2, value);
	else if (mgr_id != 0)
		sqlite3_bind_int64(st, 2, mgr_id);
	sqlite3_bind_int64(st, 3, a->now);
	sqlite3_bind_int(st, 4, (int)pin);
	if (finish_write(s, st, e) < 0)
		goto out;
	rec_field(r, field, mgr ? old : strcmp(field, "name") == 0 ? m->name :
		  strcmp(field, "role") == 0 ? m->role : m->email,
		  mgr ? mgr_email : value);
	ret = 0;
out:
	free(old);
	free(mgr_email);
	return ret;
}

int
store_member_set(struct store *s, const struct admin *a, const char *email,
		 const char *field, const char *value, struct err *e)
{
	unsigned pin = store_admin_pin(field, 0);
	struct amember m;
	struct rec r;

	if (pin == 0)
		return err_set(e, "cannot set field '%.100s': use name, role, "
			       "manager or email", field ? field : "");
	if (value == NULL)
		return err_set(e, "no value for field '%s'", field);
	if (store_begin(s, e) < 0)
		return -1;
	if (member_need(s, email, &m, e) < 0 ||
	    check_value(s, &m, field, value, e) < 0)
		return member_end(s, a, &m, NULL, -1, e);
	rec_init(&r, "update_member", m.email);
	r.updated = 1;
	return member_end(s, a, &m, &r,
			  write_field(s, a, &m, field, value, pin, &r, e), e);
}

static int
write_pins(struct store *s, const struct admin *a, int64_t id,
	   unsigned pinned, struct err *e)
{
	sqlite3_stmt *st;

	if (store_prep(s, "UPDATE members SET pinned = ?2, updated_at = ?3"
		       " WHERE id = ?1", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, pinned);
	sqlite3_bind_int64(st, 3, a->now);
	return finish_write(s, st, e);
}

int
store_member_unpin(struct store *s, const struct admin *a, const char *email,
		   const char *field, struct err *e)
{
	unsigned pin = store_admin_pin(field, 1);
	struct amember m;
	struct rec r;

	if (pin == 0)
		return err_set(e, "cannot unpin field '%.100s': use name, role, "
			       "manager, email or seat", field ? field : "");
	if (store_begin(s, e) < 0)
		return -1;
	if (member_need(s, email, &m, e) < 0)
		return member_end(s, a, &m, NULL, -1, e);
	if (!(m.pinned & pin)) {
		err_set(e, "field '%s' of '%.200s' is not pinned", field,
			m.email);
		return member_end(s, a, &m, NULL, -1, e);
	}
	rec_init(&r, "unpin", m.email);
	rec_detail(&r, field);
	r.updated = 1;
	return member_end(s, a, &m, &r,
			  write_pins(s, a, m.id, m.pinned & ~pin, e), e);
}

/* ---- member delete ---- */

int
store_member_delete(struct store *s, const struct admin *a,
		    const char *email, struct err *e)
{
	sqlite3_stmt *st;
	struct amember m;
	struct rec r;

	if (store_begin(s, e) < 0)
		return -1;
	if (member_need(s, email, &m, e) < 0 ||
	    store_prep(s, "INSERT INTO deleted_members(anchor, job, email,"
		       " deleted_at) SELECT anchor, job, email, ?2 FROM members"
		       " WHERE id = ?1", &st, e) < 0)
		return member_end(s, a, &m, NULL, -1, e);
	sqlite3_bind_int64(st, 1, m.id);
	sqlite3_bind_int64(st, 2, a->now);
	if (finish_write(s, st, e) < 0 ||
	    store_prep(s, "DELETE FROM members WHERE id = ?1", &st, e) < 0)
		return member_end(s, a, &m, NULL, -1, e);
	sqlite3_bind_int64(st, 1, m.id);
	if (finish_write(s, st, e) < 0)
		return member_end(s, a, &m, NULL, -1, e);
	rec_init(&r, "delete_member", m.email);
	rec_detail(&r, m.seat ? "irreversible; seat freed" : "irreversible");
	r.deleted = 1;
	r.deallocated = m.seat;
	return member_end(s, a, &m, &r, 0, e);
}

/* ---- seats ---- */

static int
write_seat(struct store *s, const struct admin *a, const struct amember *m,
	   int seat, struct err *e)
{
	sqlite3_stmt *st;

	if (store_prep(s, "UPDATE members SET seat = ?2, pinned = pinned | ?4,"
		       " seat_at = CASE WHEN seat != ?2 THEN ?3 ELSE seat_at"
		       " END, updated_at = ?3 WHERE id = ?1", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, m->id);
	sqlite3_bind_int(st, 2, seat);
	sqlite3_bind_int64(st, 3, a->now);
	sqlite3_bind_int(st, 4, PIN_SEAT);
	return finish_write(s, st, e);
}

int
store_seat_set(struct store *s, const struct admin *a, const char *email,
	       int seat, struct err *e)
{
	struct amember m;
	struct rec r;
	int64_t cap, used;

	if (store_begin(s, e) < 0)
		return -1;
	if (member_need(s, email, &m, e) < 0 ||
	    seat_counts(s, a, &cap, &used, e) < 0)
		return member_end(s, a, &m, NULL, -1, e);
	if (seat && !m.seat && used >= cap) {
		err_set(e, "no free seat: capacity %" PRId64 ", allocated %"
			PRId64, cap, used);
		return member_end(s, a, &m, NULL, -1, e);
	}
	rec_init(&r, seat ? "allocate_seat" : "deallocate_seat", m.email);
	rec_detail(&r, m.seat == seat ? "pinned (unchanged)" : "pinned");
	r.allocated = seat && !m.seat;
	r.deallocated = !seat && m.seat;
	return member_end(s, a, &m, &r, write_seat(s, a, &m, seat, e), e);
}

int
store_capacity_set(struct store *s, const struct admin *a, int n, int *used,
		   struct err *e)
{
	struct rec r;
	int64_t cap, u;
	char o[24], v[24];

	if (n < 0)
		return err_set(e, "seat capacity must be 0 or more, not %d", n);
	if (store_begin(s, e) < 0)
		return -1;
	if (seat_counts(s, a, &cap, &u, e) < 0 ||
	    store_meta_set(s, "seat_capacity", n, e) < 0)
		goto fail;
	snprintf(o, sizeof(o), "%" PRId64, cap);
	snprintf(v, sizeof(v), "%d", n);
	rec_init(&r, "set_capacity", "seats");
	rec_field(&r, "capacity", o, v);
	if (commit_rec(s, a, &r, e) < 0) {
		str_release(&r.detail);
		goto fail;
	}
	if (used != NULL)
		*used = (int)u;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

/* ---- group delete ---- */

int
store_group_delete(struct store *s, const struct admin *a, const char *name,
		   size_t *moved, struct err *e)
{
	sqlite3_stmt *st;
	struct rec r;
	int64_t gid;
	int n;
	char msg[64];

	if (store_begin(s, e) < 0)
		return -1;
	if (store_query_int(s, "SELECT id FROM team_groups WHERE name = ?1",
			    name, 0, &gid, e) < 0)
		goto fail;
	if (gid == 0) {
		err_set(e, "no team group '%.200s' (see harmony-sync groups)",
			name);
		goto fail;
	}
	if (store_prep(s, "UPDATE teams SET group_id = NULL WHERE group_id ="
		       " ?1", &st, e) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, gid);
	if (finish_write(s, st, e) < 0)
		goto fail;
	n = sqlite3_changes(s->db);
	if (store_prep(s, "DELETE FROM team_groups WHERE id = ?1", &st, e) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, gid);
	if (finish_write(s, st, e) < 0)
		goto fail;
	snprintf(msg, sizeof(msg), "%d team%s moved to Ungrouped", n,
		 n == 1 ? "" : "s");
	rec_init(&r, "delete_group", name);
	rec_detail(&r, msg);
	r.deleted = 1;
	if (commit_rec(s, a, &r, e) < 0)
		goto fail;
	if (moved != NULL)
		*moved = (size_t)n;
	return 0;
fail:
	store_rollback(s);
	return -1;
}
