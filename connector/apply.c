/*
 * apply.c: a plan -> one write transaction, plus its run history.
 *
 * Every change runs through a statement prepared once per apply and reset
 * after each row: a 100,000-member first sync is 300,000 statements, and
 * re-preparing them would cost more than executing them.  Any failure
 * rolls the whole transaction back, so a plan is applied completely or not
 * at all; SQLite's WAL makes that hold across a kill too.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "store_sql.h"
#include "util/str.h"
#include "util/xmalloc.h"

enum query {
	Q_BY_ANCHOR, Q_BY_EMAIL, Q_MANUAL_BY_EMAIL, Q_GROUP_ID,
	Q_CREATE_GROUP, Q_CREATE_TEAM, Q_UPDATE_TEAM,
	Q_CREATE_MEMBER, Q_UPDATE_MEMBER, Q_SET_MANAGER,
	Q_ADD_TEAM_MEMBER, Q_REMOVE_TEAM_MEMBER, Q_SEAT,
	Q_TOMBSTONE, Q_DELETE_MEMBER, Q_TEAM_UNLINK, Q_DELETE_TEAM,
	Q_UNGROUP_TEAMS, Q_DELETE_GROUP,
	Q_RUN, Q_RUN_CHANGE,
	Q__COUNT
};

static const char *const queries[Q__COUNT] = {
	[Q_BY_ANCHOR] = "SELECT id FROM members WHERE job = ?1 AND anchor = ?2",
	[Q_BY_EMAIL] = "SELECT id FROM members WHERE email_key = lower(?1)",
	[Q_MANUAL_BY_EMAIL] = "SELECT id FROM members WHERE job IS NULL AND"
		" email_key = lower(?1)",
	[Q_GROUP_ID] = "SELECT id FROM team_groups WHERE name = ?1",
	[Q_CREATE_GROUP] =
		"INSERT INTO team_groups(name, managed_by) VALUES (?1, ?2)",
	[Q_CREATE_TEAM] =
		"INSERT INTO teams(name, type, group_id, description, color,"
		" managed_by, analytics_conversations, analytics_contacts)"
		" VALUES (?1, coalesce(?2, 'Other'), ?3, ?4, ?5, ?6,"
		" coalesce(?7, 1), coalesce(?8, 1))",
	/* One statement for any subset of fields: ?even says "present". */
	[Q_UPDATE_TEAM] =
		"UPDATE teams SET"
		" type = CASE WHEN ?2 THEN ?3 ELSE type END,"
		" group_id = CASE WHEN ?4 THEN ?5 ELSE group_id END,"
		" description = CASE WHEN ?6 THEN ?7 ELSE description END,"
		" color = CASE WHEN ?8 THEN ?9 ELSE color END,"
		" analytics_conversations = CASE WHEN ?10 THEN ?11"
		"  ELSE analytics_conversations END,"
		" analytics_contacts = CASE WHEN ?12 THEN ?13"
		"  ELSE analytics_contacts END"
		" WHERE name = ?1",
	[Q_CREATE_MEMBER] =
		"INSERT INTO members(job, anchor, email, email_key, name, role,"
		" custom_fields, suspended, suspended_at, created_at, updated_at,"
		" last_seen_at) VALUES (?1, ?2, ?3, lower(?3), ?4, ?5,"
		" coalesce(?6, '{}'), ?7, CASE WHEN ?7 THEN ?8 END, ?8, ?8, ?8)",
	/* last_seen_at: a member being suspended is gone from the source,
	 * so it was not seen (delete_after counts from then). */
	[Q_UPDATE_MEMBER] =
		"UPDATE members SET"
		" name = CASE WHEN ?2 THEN ?3 ELSE name END,"
		" email = CASE WHEN ?4 THEN ?5 ELSE email END,"
		" email_key = CASE WHEN ?4 THEN lower(?5) ELSE email_key END,"
		" role = CASE WHEN ?6 THEN ?7 ELSE role END,"
		" custom_fields = CASE WHEN ?8 THEN ?9 ELSE custom_fields END,"
		" suspended_at = CASE WHEN ?10 THEN (CASE WHEN ?11 THEN"
		"  (CASE WHEN suspended THEN suspended_at ELSE ?14 END) END)"
		"  ELSE suspended_at END,"
		" suspended = CASE WHEN ?10 THEN ?11 ELSE suspended END,"
		" job = CASE WHEN ?12 THEN ?15 ELSE job END,"
		" anchor = CASE WHEN ?12 THEN ?13 ELSE anchor END,"
		" updated_at = ?14,"
		" last_seen_at = CASE WHEN ?10 AND ?11 THEN last_seen_at"
		"  ELSE ?14 END"
		" WHERE id = ?1",
	[Q_SET_MANAGER] =
		"UPDATE members SET manager_id = ?2, updated_at = ?3 WHERE id = ?1",
	[Q_ADD_TEAM_MEMBER] =
		"INSERT INTO team_members(team_id, member_id, managed_by)"
		" SELECT id, ?2, ?3 FROM teams WHERE name = ?1",
	[Q_REMOVE_TEAM_MEMBER] =
		"DELETE FROM team_members WHERE member_id = ?2 AND"
		" team_id = (SELECT id FROM teams WHERE name = ?1)",
	[Q_SEAT] =
		"UPDATE members SET seat = ?2, seat_at = ?3, updated_at = ?3"
		" WHERE id = ?1 AND seat != ?2",
	[Q_TOMBSTONE] =
		"INSERT INTO deleted_members(anchor, job, email, deleted_at)"
		" SELECT anchor, job, email, ?2 FROM members WHERE id = ?1",
	/* Team memberships cascade; reports' manager_id becomes NULL. */
	[Q_DELETE_MEMBER] = "DELETE FROM members WHERE id = ?1",
	/* Explicit rather than left to ON DELETE CASCADE: the memberships
	 * go whatever the connection's foreign_keys setting. */
	[Q_TEAM_UNLINK] = "DELETE FROM team_members WHERE team_id ="
		" (SELECT id FROM teams WHERE name = ?1 AND managed_by = ?2)",
	[Q_DELETE_TEAM] =
		"DELETE FROM teams WHERE name = ?1 AND managed_by = ?2",
	[Q_UNGROUP_TEAMS] = "UPDATE teams SET group_id = NULL WHERE group_id = ?1",
	[Q_DELETE_GROUP] = "DELETE FROM team_groups WHERE id = ?1",
	[Q_RUN] =
		"INSERT INTO runs(job, started_at, finished_at, outcome,"
		" source_users, created, updated, deleted, seats_allocated,"
		" seats_deallocated, warnings)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[Q_RUN_CHANGE] =
		"INSERT INTO run_changes(run_id, seq, op, subject, detail)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
};

/* Fields a change may carry; each op accepts a subset. */
enum field {
	F_NAME, F_EMAIL, F_ROLE, F_CUSTOM, F_STATUS, F_MANAGED_BY, F_ANCHOR,
	F_TYPE, F_GROUP, F_DESCRIPTION, F_COLOR, F_AN_CONVERSATIONS,
	F_AN_CONTACTS,
	F__COUNT
};

static const char *const field_names[F__COUNT] = {
	[F_NAME] = "name", [F_EMAIL] = "email", [F_ROLE] = "role",
	[F_CUSTOM] = "custom_fields", [F_STATUS] = "status",
	[F_MANAGED_BY] = "managed_by", [F_ANCHOR] = "anchor",
	[F_TYPE] = "type", [F_GROUP] = "group",
	[F_DESCRIPTION] = "description", [F_COLOR] = "color",
	[F_AN_CONVERSATIONS] = "analytics_conversations",
	[F_AN_CONTACTS] = "analytics_contacts",
};

#define MEMBER_FIELDS (1u << F_NAME | 1u << F_EMAIL | 1u << F_ROLE | \
		       1u << F_CUSTOM | 1u << F_STATUS | 1u << F_MANAGED_BY | \
		       1u << F_ANCHOR)
#define TEAM_FIELDS (1u << F_TYPE | 1u << F_GROUP | 1u << F_DESCRIPTION | \
		     1u << F_COLOR | 1u << F_AN_CONVERSATIONS | \
		     1u << F_AN_CONTACTS)

struct fields {
	unsigned has;			/* 1 << F_* */
	const char *val[F__COUNT];	/* new values */
	const char *old[F__COUNT];	/* old values */
};

struct applier {
	struct store *s;
	const struct plan *p;
	int64_t now;
	int64_t run_id;
	sqlite3_stmt *q[Q__COUNT];	/* prepared on first use */
	struct str json;
	struct err *e;
};

/* The statement for q, reset and unbound, ready for binding. */
static sqlite3_stmt *
stmt(struct applier *a, enum query q)
{
	if (a->q[q] == NULL &&
	    sqlite3_prepare_v2(a->s->db, queries[q], -1, &a->q[q], NULL) !=
	    SQLITE_OK) {
		a->q[q] = NULL;
		store_sqlerr(a->s, a->e, "cannot prepare store statement");
	}
	return a->q[q];
}

static void
bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, id);
}

/* Runs a write statement to completion; *changed (if not NULL) gets the
 * number of rows it changed.  The statement is left reset. */
static int
run(struct applier *a, sqlite3_stmt *st, int *changed)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)	/* not expected of a write; drain it */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
	if (rc != SQLITE_DONE) {
		store_sqlerr(a->s, a->e, "store write failed");
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	if (changed != NULL)
		*changed = sqlite3_changes(a->s->db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 0;
}

/* Runs a one-column id lookup; *id = 0 when there is no row. */
static int
lookup(struct applier *a, sqlite3_stmt *st, int64_t *id)
{
	int rc = sqlite3_step(st);

	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sqlerr(a->s, a->e, "store read failed");
	return 0;
}

/* ref: an anchor of this job, or "email:<email_key>" (a manual member,
 * adopt).  Missing is an error: the plan was made against this store. */
static int
member_id(struct applier *a, const char *ref, int64_t *id)
{
	int manual = ref != NULL && strncmp(ref, "email:", 6) == 0;
	sqlite3_stmt *st = stmt(a, manual ? Q_BY_EMAIL : Q_BY_ANCHOR);

	if (ref == NULL)
		return err_set(a->e, "change names no member anchor");
	if (st == NULL)
		return -1;
	if (manual) {
		bind_str(st, 1, ref + 6);
	} else {
		bind_str(st, 1, a->p->job);
		bind_str(st, 2, ref);
	}
	if (lookup(a, st, id) < 0)
		return -1;
	if (*id == 0)
		return manual ?
		    err_set(a->e, "no member with email '%s'", ref + 6) :
		    err_set(a->e, "no member with anchor '%s' in job '%s'",
			    ref, a->p->job);
	return 0;
}

/* Group id by name; NULL name gives 0 (Ungrouped). */
static int
group_id(struct applier *a, const char *name, int64_t *id)
{
	sqlite3_stmt *st;

	*id = 0;
	if (name == NULL)
		return 0;
	if ((st = stmt(a, Q_GROUP_ID)) == NULL)
		return -1;
	bind_str(st, 1, name);
	if (lookup(a, st, id) < 0)
		return -1;
	if (*id == 0)
		return err_set(a->e, "no team group '%s'", name);
	return 0;
}

static int
collect(struct applier *a, const struct change *c, unsigned allowed,
	struct fields *f)
{
	size_t i;
	int k;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < c->nfields; i++) {
		const char *name = c->fields[i].field;

		for (k = 0; k < F__COUNT; k++)
			if (name != NULL && strcmp(name, field_names[k]) == 0)
				break;
		if (k == F__COUNT || !(allowed & 1u << k))
			return err_set(a->e, "field '%.100s' cannot be set "
				       "by %s", name ? name : "(null)",
				       change_op_name(c->op));
		f->has |= 1u << k;
		f->val[k] = c->fields[i].new;
		f->old[k] = c->fields[i].old;
	}
	return 0;
}

/* status "active" | "suspended" -> 0 | 1 (DESIGN §3 members json). */
static int
status_flag(struct applier *a, const struct fields *f, int *suspended)
{
	const char *v = f->val[F_STATUS];

	*suspended = 0;
	if (!(f->has & 1u << F_STATUS))
		return 0;
	if (v != NULL && strcmp(v, "suspended") == 0)
		*suspended = 1;
	else if (v == NULL || strcmp(v, "active") != 0)
		return err_set(a->e, "unknown member status '%.100s'",
			       v ? v : "(null)");
	return 0;
}

static int
need_subject(struct applier *a, const struct change *c)
{
	if (c->subject == NULL)
		return err_set(a->e, "change has no subject");
	return 0;
}

static int
create_group(struct applier *a, const struct change *c)
{
	sqlite3_stmt *st;

	if (need_subject(a, c) < 0 || (st = stmt(a, Q_CREATE_GROUP)) == NULL)
		return -1;
	bind_str(st, 1, c->subject);
	bind_str(st, 2, a->p->job);
	return run(a, st, NULL);
}

/* An analytics toggle: "true" | "false" bound as 1 | 0 at ?i; absent:
 * NULL (create: the default; update: unchanged). */
static int
bind_toggle(struct applier *a, sqlite3_stmt *st, int i,
	    const struct fields *f, enum field k)
{
	const char *v = f->val[k];

	if (!(f->has & 1u << k)) {
		sqlite3_bind_null(st, i);
		return 0;
	}
	if (v == NULL || (strcmp(v, "true") != 0 && strcmp(v, "false") != 0))
		return err_set(a->e, "'%s' must be true or false, not '%.100s'",
			       field_names[k], v ? v : "(null)");
	sqlite3_bind_int(st, i, strcmp(v, "true") == 0);
	return 0;
}

static int
create_team(struct applier *a, const struct change *c)
{
	struct fields f;
	sqlite3_stmt *st;
	int64_t gid;

	if (need_subject(a, c) < 0 || collect(a, c, TEAM_FIELDS, &f) < 0 ||
	    group_id(a, f.val[F_GROUP], &gid) < 0 ||
	    (st = stmt(a, Q_CREATE_TEAM)) == NULL)
		return -1;
	bind_str(st, 1, c->subject);
	bind_str(st, 2, f.val[F_TYPE]);
	bind_id(st, 3, gid);
	bind_str(st, 4, f.val[F_DESCRIPTION]);
	bind_str(st, 5, f.val[F_COLOR]);
	bind_str(st, 6, a->p->job);
	if (bind_toggle(a, st, 7, &f, F_AN_CONVERSATIONS) < 0 ||
	    bind_toggle(a, st, 8, &f, F_AN_CONTACTS) < 0) {
		sqlite3_clear_bindings(st);
		return -1;
	}
	return run(a, st, NULL);
}

/* Binds "present" flag ?i and value ?i+1 of an update statement. */
static void
bind_opt(sqlite3_stmt *st, int i, const struct fields *f, enum field k)
{
	sqlite3_bind_int(st, i, (f->has & 1u << k) != 0);
	bind_str(st, i + 1, f->val[k]);
}

static int
update_team(struct applier *a, const struct change *c)
{
	struct fields f;
	sqlite3_stmt *st;
	int64_t gid;
	int n;

	if (need_subject(a, c) < 0 || collect(a, c, TEAM_FIELDS, &f) < 0 ||
	    group_id(a, f.val[F_GROUP], &gid) < 0 ||
	    (st = stmt(a, Q_UPDATE_TEAM)) == NULL)
		return -1;
	bind_str(st, 1, c->subject);
	bind_opt(st, 2, &f, F_TYPE);
	sqlite3_bind_int(st, 4, (f.has & 1u << F_GROUP) != 0);
	bind_id(st, 5, gid);
	bind_opt(st, 6, &f, F_DESCRIPTION);
	bind_opt(st, 8, &f, F_COLOR);
	sqlite3_bind_int(st, 10, (f.has & 1u << F_AN_CONVERSATIONS) != 0);
	sqlite3_bind_int(st, 12, (f.has & 1u << F_AN_CONTACTS) != 0);
	if (bind_toggle(a, st, 11, &f, F_AN_CONVERSATIONS) < 0 ||
	    bind_toggle(a, st, 13, &f, F_AN_CONTACTS) < 0) {
		sqlite3_clear_bindings(st);
		return -1;
	}
	if (run(a, st, &n) < 0)
		return -1;
	if (n == 0)
		return err_set(a->e, "no team '%s'", c->subject);
	return 0;
}

static int
create_member(struct applier *a, const struct change *c)
{
	struct fields f;
	sqlite3_stmt *st;
	const char *email;
	int susp;

	if (c->anchor == NULL)
		return err_set(a->e, "change names no member anchor");
	if (collect(a, c, MEMBER_FIELDS & ~(1u << F_MANAGED_BY), &f) < 0 ||
	    status_flag(a, &f, &susp) < 0 ||
	    (st = stmt(a, Q_CREATE_MEMBER)) == NULL)
		return -1;
	email = f.has & 1u << F_EMAIL ? f.val[F_EMAIL] : c->subject;
	bind_str(st, 1, a->p->job);
	bind_str(st, 2, c->anchor);
	bind_str(st, 3, email);
	bind_str(st, 4, f.val[F_NAME]);
	bind_str(st, 5, f.val[F_ROLE]);
	bind_str(st, 6, f.val[F_CUSTOM]);
	sqlite3_bind_int(st, 7, susp);
	sqlite3_bind_int64(st, 8, a->now);
	return run(a, st, NULL);
}

/*
 * Adopt (field managed_by: null -> this job): the manual member with the
 * subject's email becomes this job's under the change's source anchor, so
 * that the plan's later changes (set_manager, teams, seats) find it by
 * that anchor.
 */
static int
adopted_id(struct applier *a, const struct change *c, const char *job,
	   int64_t *id)
{
	sqlite3_stmt *st;

	if (job == NULL || strcmp(job, a->p->job) != 0)
		return err_set(a->e, "a member can only be adopted by the "
			       "plan's job ('%s')", a->p->job);
	if (c->anchor == NULL || c->subject == NULL)
		return err_set(a->e, "adopting needs an anchor and an email");
	if ((st = stmt(a, Q_MANUAL_BY_EMAIL)) == NULL)
		return -1;
	bind_str(st, 1, c->subject);
	if (lookup(a, st, id) < 0)
		return -1;
	if (*id == 0)
		return err_set(a->e, "no manual member with email '%s' to "
			       "adopt", c->subject);
	return 0;
}

static int
update_member(struct applier *a, const struct change *c)
{
	struct fields f;
	sqlite3_stmt *st;
	int64_t id;
	int susp, adopt, reanchor;

	if (collect(a, c, MEMBER_FIELDS, &f) < 0 ||
	    status_flag(a, &f, &susp) < 0)
		return -1;
	adopt = (f.has & 1u << F_MANAGED_BY) != 0;
	/* Re-anchor (field anchor: old -> new, a member taken over by a new
	 * entry with its email): found by the old anchor, then moved to the
	 * change's, like an adopted member. */
	reanchor = (f.has & 1u << F_ANCHOR) != 0;
	if (reanchor && (f.old[F_ANCHOR] == NULL || c->anchor == NULL ||
			 f.val[F_ANCHOR] == NULL ||
			 strcmp(f.val[F_ANCHOR], c->anchor) != 0))
		return err_set(a->e, "anchor change of '%.100s' does not match "
			       "the change's anchor", c->subject ? c->subject :
			       "(null)");
	if ((adopt ? adopted_id(a, c, f.val[F_MANAGED_BY], &id) :
	     member_id(a, reanchor ? f.old[F_ANCHOR] : c->anchor, &id)) < 0 ||
	    (st = stmt(a, Q_UPDATE_MEMBER)) == NULL)
		return -1;
	adopt |= reanchor;
	sqlite3_bind_int64(st, 1, id);
	bind_opt(st, 2, &f, F_NAME);
	bind_opt(st, 4, &f, F_EMAIL);
	bind_opt(st, 6, &f, F_ROLE);
	bind_opt(st, 8, &f, F_CUSTOM);
	sqlite3_bind_int(st, 10, (f.has & 1u << F_STATUS) != 0);
	sqlite3_bind_int(st, 11, susp);
	sqlite3_bind_int(st, 12, adopt);
	bind_str(st, 13, c->anchor);
	sqlite3_bind_int64(st, 14, a->now);
	bind_str(st, 15, a->p->job);
	return run(a, st, NULL);
}

static int
set_manager(struct applier *a, const struct change *c)
{
	sqlite3_stmt *st;
	int64_t id, mgr = 0;

	if (member_id(a, c->anchor, &id) < 0 ||
	    (c->target != NULL && member_id(a, c->target, &mgr) < 0))
		return -1;
	if (mgr == id)
		return err_set(a->e, "a member cannot be its own manager");
	if ((st = stmt(a, Q_SET_MANAGER)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_id(st, 2, mgr);
	sqlite3_bind_int64(st, 3, a->now);
	return run(a, st, NULL);
}

static int
team_member(struct applier *a, const struct change *c)
{
	int add = c->op == CHANGE_ADD_TEAM_MEMBER;
	sqlite3_stmt *st;
	int64_t id;
	int n;

	if (c->target == NULL)
		return err_set(a->e, "change names no team");
	if (member_id(a, c->anchor, &id) < 0 ||
	    (st = stmt(a, add ? Q_ADD_TEAM_MEMBER : Q_REMOVE_TEAM_MEMBER)) ==
	    NULL)
		return -1;
	bind_str(st, 1, c->target);
	sqlite3_bind_int64(st, 2, id);
	if (add)
		bind_str(st, 3, a->p->job);
	if (run(a, st, &n) < 0)
		return -1;
	if (n == 0)
		return add ? err_set(a->e, "no team '%s'", c->target) :
		    err_set(a->e, "member is not in team '%s'", c->target);
	return 0;
}

static int
seat(struct applier *a, const struct change *c)
{
	int alloc = c->op == CHANGE_ALLOCATE_SEAT;
	sqlite3_stmt *st;
	int64_t id;
	int n;

	if (member_id(a, c->anchor, &id) < 0 || (st = stmt(a, Q_SEAT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, alloc);
	sqlite3_bind_int64(st, 3, a->now);
	if (run(a, st, &n) < 0)
		return -1;
	if (n == 0)
		return err_set(a->e, alloc ? "member already holds a seat" :
			       "member holds no seat");
	return 0;
}

static int
delete_member(struct applier *a, const struct change *c)
{
	sqlite3_stmt *tomb, *del;
	int64_t id;

	if (member_id(a, c->anchor, &id) < 0 ||
	    (tomb = stmt(a, Q_TOMBSTONE)) == NULL ||
	    (del = stmt(a, Q_DELETE_MEMBER)) == NULL)
		return -1;
	sqlite3_bind_int64(tomb, 1, id);
	sqlite3_bind_int64(tomb, 2, a->now);
	if (run(a, tomb, NULL) < 0)
		return -1;
	sqlite3_bind_int64(del, 1, id);
	return run(a, del, NULL);
}

/* DESIGN §1 (on_missing_team: delete): only a team this job manages;
 * its memberships go with it, its members stay. */
static int
delete_team(struct applier *a, const struct change *c)
{
	sqlite3_stmt *unlink, *del;
	int n;

	if (need_subject(a, c) < 0 ||
	    (unlink = stmt(a, Q_TEAM_UNLINK)) == NULL ||
	    (del = stmt(a, Q_DELETE_TEAM)) == NULL)
		return -1;
	bind_str(unlink, 1, c->subject);
	bind_str(unlink, 2, a->p->job);
	if (run(a, unlink, NULL) < 0)
		return -1;
	bind_str(del, 1, c->subject);
	bind_str(del, 2, a->p->job);
	if (run(a, del, &n) < 0)
		return -1;
	if (n == 0)
		return err_set(a->e, "no team '%s' managed by job '%s'",
			       c->subject, a->p->job ? a->p->job : "");
	return 0;
}

/* DESIGN §1: deleting a group moves its teams to Ungrouped. */
static int
delete_group(struct applier *a, const struct change *c)
{
	sqlite3_stmt *ungroup, *del;
	int64_t gid;

	if (need_subject(a, c) < 0 || group_id(a, c->subject, &gid) < 0 ||
	    (ungroup = stmt(a, Q_UNGROUP_TEAMS)) == NULL ||
	    (del = stmt(a, Q_DELETE_GROUP)) == NULL)
		return -1;
	sqlite3_bind_int64(ungroup, 1, gid);
	if (run(a, ungroup, NULL) < 0)
		return -1;
	sqlite3_bind_int64(del, 1, gid);
	return run(a, del, NULL);
}

static int
exec_change(struct applier *a, const struct change *c)
{
	switch (c->op) {
	case CHANGE_CREATE_GROUP:
		return create_group(a, c);
	case CHANGE_CREATE_TEAM:
		return create_team(a, c);
	case CHANGE_UPDATE_TEAM:
		return update_team(a, c);
	case CHANGE_CREATE_MEMBER:
		return create_member(a, c);
	case CHANGE_UPDATE_MEMBER:
		return update_member(a, c);
	case CHANGE_SET_MANAGER:
		return set_manager(a, c);
	case CHANGE_REMOVE_TEAM_MEMBER:
	case CHANGE_ADD_TEAM_MEMBER:
		return team_member(a, c);
	case CHANGE_DEALLOCATE_SEAT:
	case CHANGE_ALLOCATE_SEAT:
		return seat(a, c);
	case CHANGE_DELETE_MEMBER:
		return delete_member(a, c);
	case CHANGE_DELETE_TEAM:
		return delete_team(a, c);
	case CHANGE_DELETE_GROUP:
		return delete_group(a, c);
	case CHANGE__COUNT:
		break;
	}
	return err_set(a->e, "unknown change op %d", (int)c->op);
}

static void
json_key(struct str *j, const char *key, const char *val, int *first)
{
	if (val == NULL)
		return;
	str_adds(j, *first ? "" : ",");
	str_add_json(j, key);
	str_addc(j, ':');
	str_add_json(j, val);
	*first = 0;
}

static void
json_opt(struct str *j, const char *v)
{
	if (v == NULL)
		str_adds(j, "null");
	else
		str_add_json(j, v);
}

/* {"anchor":..,"target":..,"detail":..,"fields":{"f":[old,new],..}} */
static const char *
change_json(struct applier *a, const struct change *c)
{
	struct str *j = &a->json;
	int first = 1;
	size_t i;

	str_reset(j);
	str_addc(j, '{');
	json_key(j, "anchor", c->anchor, &first);
	json_key(j, "target", c->target, &first);
	json_key(j, "detail", c->detail, &first);
	if (c->nfields > 0) {
		str_adds(j, first ? "\"fields\":{" : ",\"fields\":{");
		for (i = 0; i < c->nfields; i++) {
			str_adds(j, i ? "," : "");
			str_add_json(j, c->fields[i].field ?
				     c->fields[i].field : "");
			str_adds(j, ":[");
			json_opt(j, c->fields[i].old);
			str_addc(j, ',');
			json_opt(j, c->fields[i].new);
			str_addc(j, ']');
		}
		str_addc(j, '}');
	}
	str_addc(j, '}');
	return str_cstr(j);
}

static int
record_change(struct applier *a, size_t seq, const struct change *c)
{
	sqlite3_stmt *st = stmt(a, Q_RUN_CHANGE);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, a->run_id);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	bind_str(st, 3, change_op_name(c->op));
	bind_str(st, 4, c->subject);
	bind_str(st, 5, change_json(a, c));
	return run(a, st, NULL);
}

static int
insert_run(struct applier *a, const char *job, const char *outcome,
	   long source_users, const struct plan_summary *sum)
{
	sqlite3_stmt *st = stmt(a, Q_RUN);

	if (st == NULL)
		return -1;
	bind_str(st, 1, job);
	sqlite3_bind_int64(st, 2, a->now);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	bind_str(st, 4, outcome);
	if (source_users >= 0)
		sqlite3_bind_int64(st, 5, source_users);
	sqlite3_bind_int64(st, 6, (int64_t)sum->create);
	sqlite3_bind_int64(st, 7, (int64_t)sum->update);
	sqlite3_bind_int64(st, 8, (int64_t)sum->delete);
	sqlite3_bind_int64(st, 9, (int64_t)sum->seats_allocated);
	sqlite3_bind_int64(st, 10, (int64_t)sum->seats_deallocated);
	sqlite3_bind_int64(st, 11, (int64_t)sum->warnings);
	if (run(a, st, NULL) < 0)
		return -1;
	a->run_id = sqlite3_last_insert_rowid(a->s->db);
	return 0;
}

static int
check_fingerprint(struct applier *a)
{
	const char *fp = a->p->fingerprint;
	int64_t gen;
	char *end;
	long long want;

	if (fp == NULL || fp[0] != 'g' || fp[1] < '0' || fp[1] > '9')
		return err_set(a->e, "plan has no valid store fingerprint "
			       "('%.40s')", fp ? fp : "");
	want = strtoll(fp + 1, &end, 10);
	if (*end != '\0')
		return err_set(a->e, "plan has no valid store fingerprint "
			       "('%.40s')", fp);
	if (store_generation(a->s, &gen, a->e) < 0)
		return -1;
	if (gen != want)
		return err_setc(a->e, ERR_STALE, "store changed since the plan "
				"was made (plan %.40s, store g%" PRId64 "): run "
				"plan again", fp, gen);
	return 0;
}

static int
has_op(const struct plan *p, enum change_op op)
{
	size_t i;

	for (i = 0; i < p->nchanges; i++)
		if (p->changes[i].op == op)
			return 1;
	return 0;
}

/* Seats never exceed capacity (DESIGN §1).  Only a plan that allocates
 * is held to it: one that only frees seats may still leave the store over
 * a capacity lowered by hand, and it must not be refused for that. */
static int
check_seats(struct applier *a)
{
	sqlite3_stmt *st = NULL;
	int64_t used, cap;
	int rc;

	if (!has_op(a->p, CHANGE_ALLOCATE_SEAT))
		return 0;
	if (sqlite3_prepare_v2(a->s->db, "SELECT (SELECT count(*) FROM members"
			       " WHERE seat = 1), (SELECT value FROM meta WHERE"
			       " key = 'seat_capacity')", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_sqlerr(a->s, a->e, "cannot count seats");
	rc = sqlite3_step(st);
	used = sqlite3_column_int64(st, 0);
	cap = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_sqlerr(a->s, a->e, "cannot count seats");
	if (cap < 0)	/* following the config: the plan carries it */
		cap = a->p->seats.capacity;
	if (used > cap)
		return err_set(a->e, "allocated seats would exceed the capacity "
			       "(%" PRId64 " > %" PRId64 "): nothing applied",
			       used, cap);
	return 0;
}

struct link {
	int64_t id, mgr;
};

static int
link_cmp(const void *va, const void *vb)
{
	const struct link *a = va, *b = vb;

	return (a->id > b->id) - (a->id < b->id);
}

/* Index of the member with id in l[0..n) (sorted), or -1: a member with
 * no manager is not in l. */
static long
link_find(const struct link *l, size_t n, int64_t id)
{
	struct link key = { id, 0 };
	const struct link *f = bsearch(&key, l, n, sizeof(*l), link_cmp);

	return f ? (long)(f - l) : -1;
}

/*
 * 1 if following managers from some member comes back to it.  Each member
 * is walked once: state 1 = on the current path, 2 = known to end.  The
 * check runs after all set_manager changes because a valid plan may pass
 * through a cycle half way (A->B set before B->A is cleared).
 */
static int
has_cycle(struct link *l, size_t n, int64_t *where)
{
	unsigned char *state = xcalloc(n ? n : 1, 1);
	size_t *path = xmalloc((n ? n : 1) * sizeof(*path));
	size_t i, k, depth;
	long j;
	int found = 0;

	for (i = 0; i < n && !found; i++) {
		depth = 0;
		for (j = (long)i; j >= 0 && state[j] == 0;
		     j = link_find(l, n, l[j].mgr)) {
			state[j] = 1;
			path[depth++] = (size_t)j;
		}
		if (j >= 0 && state[j] == 1) {
			found = 1;
			*where = l[j].id;
		}
		for (k = 0; k < depth; k++)
			state[path[k]] = 2;
	}
	free(state);
	free(path);
	return found;
}

/* DESIGN §1: the reporting chain is never circular. */
static int
check_chain(struct applier *a)
{
	sqlite3_stmt *st = NULL;
	struct link *l = NULL;
	size_t n = 0, cap = 0;
	int64_t where = 0;
	int rc, ret = -1;

	if (!has_op(a->p, CHANGE_SET_MANAGER))
		return 0;
	if (sqlite3_prepare_v2(a->s->db, "SELECT id, manager_id FROM members"
			       " WHERE manager_id IS NOT NULL ORDER BY id", -1,
			       &st, NULL) != SQLITE_OK) {
		store_sqlerr(a->s, a->e, "cannot read managers");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		l = xgrow(l, &cap, n + 1, sizeof(*l));
		l[n].id = sqlite3_column_int64(st, 0);
		l[n].mgr = sqlite3_column_int64(st, 1);
		n++;
	}
	if (rc != SQLITE_DONE) {
		store_sqlerr(a->s, a->e, "cannot read managers");
		goto out;
	}
	if (has_cycle(l, n, &where)) {
		err_set(a->e, "the reporting chain would become circular "
			"(through member id %" PRId64 "): nothing applied",
			where);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	free(l);
	return ret;
}

static void
applier_release(struct applier *a)
{
	int i;

	for (i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(a->q[i]);
	str_release(&a->json);
}

static int
apply_changes(struct applier *a)
{
	const struct plan *p = a->p;
	size_t i;

	for (i = 0; i < p->nchanges; i++) {
		const struct change *c = &p->changes[i];

		if (exec_change(a, c) < 0 || record_change(a, i + 1, c) < 0)
			return err_prefix(a->e, "cannot apply change %zu "
					  "(%s '%.200s')", i + 1,
					  change_op_name(c->op),
					  c->subject ? c->subject :
					  c->anchor ? c->anchor : "");
	}
	return 0;
}

int
apply_plan(struct store *s, const struct plan *p, int64_t now,
	   int64_t *run_id, struct err *e)
{
	return apply_plan_mirror(s, p, NULL, now, run_id, e);
}

int
apply_plan_mirror(struct store *s, const struct plan *p,
		  const struct mirror *m, int64_t now, int64_t *run_id,
		  struct err *e)
{
	struct applier a;
	int ret = -1;

	memset(&a, 0, sizeof(a));
	a.s = s;
	a.p = p;
	a.now = now;
	a.e = e;
	if (p->job == NULL)
		return err_set(e, "plan names no job");
	/* A 100,000-member first sync touches more pages than the default
	 * 2 MiB cache holds: apply would spill them to the WAL and read them
	 * back, several times slower.  Up to 128 MiB, grown on demand. */
	if (store_exec(s, "PRAGMA cache_size = -131072", e) < 0 ||
	    store_begin(s, e) < 0)
		goto out;
	if (check_fingerprint(&a) < 0 ||
	    insert_run(&a, p->job, "ok", p->source_users, &p->summary) < 0 ||
	    apply_changes(&a) < 0 || check_seats(&a) < 0 ||
	    check_chain(&a) < 0 ||
	    (m != NULL && m->used && store_mirror_save(s, p->job, m, e) < 0) ||
	    store_bump_generation(s, e) < 0 ||
	    store_commit(s, e) < 0)
		goto out;
	if (run_id != NULL)
		*run_id = a.run_id;
	ret = 0;
out:
	if (ret < 0)
		store_rollback(s);
	applier_release(&a);
	return ret;
}

int
apply_record_run(struct store *s, const char *job, int64_t now,
		 const char *outcome, long source_users, struct err *e)
{
	struct plan_summary none;
	struct applier a;
	int ret = -1;

	memset(&none, 0, sizeof(none));
	memset(&a, 0, sizeof(a));
	a.s = s;
	a.now = now;
	a.e = e;
	if (job == NULL || outcome == NULL)
		return err_set(e, "cannot record a run without job and outcome");
	if (store_begin(s, e) < 0)
		goto out;
	/* History only: the workspace did not change, so the generation
	 * stays and saved plans stay valid. */
	if (insert_run(&a, job, outcome, source_users, &none) < 0 ||
	    store_commit(s, e) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		store_rollback(s);
	applier_release(&a);
	return ret;
}
