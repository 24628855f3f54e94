/* store_admin: manual actions, their exact errors, pins, cycle refusal,
 * generation bumps and history rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_admin.h"
#include "t.h"

static char dir[] = "/tmp/hs-admin.XXXXXX";
static char db[256];
static struct store *s;
static struct admin adm = { "tester", 1714558050, 2 };

static void
fresh(void)
{
	struct err e = { 0 };
	char cmd[900];

	if (s != NULL)
		store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -f %s %s-wal %s-shm", db, db, db);
	if (system(cmd) != 0)
		return;
	s = NULL;
	CHECK_INT(store_open(db, &s, &e), 0);
}

static struct smember *
get(struct snapshot *snap, const char *email)
{
	struct err e = { 0 };

	CHECK_INT(store_snapshot(s, NULL, snap, &e), 0);
	return hmap_get(&snap->by_email, email);
}

static void
expect(int rc, const char *msg, const struct err *e)
{
	CHECK_INT(rc, -1);
	CHECK_STR(e->msg, msg);
}

static void
test_add_and_seats(void)
{
	struct snapshot snap;
	struct smember *m;
	struct err e = { 0 };
	int seated = -1;

	fresh();
	CHECK_INT(store_member_add(s, &adm, "a@x", "A", "Member", NULL, 0,
				   &seated, &e), 0);
	CHECK_INT(seated, 1);
	CHECK_INT(store_member_add(s, &adm, "b@x", "B", "Member", NULL, 0,
				   &seated, &e), 0);
	CHECK_INT(store_member_add(s, &adm, "c@x", "C", "Member", NULL, 0,
				   &seated, &e), 0);
	CHECK_INT(seated, 0);
	expect(store_member_add(s, &adm, "A@X", "A", "Member", NULL, 0, NULL,
				&e), "email 'A@X' is already used by member "
	       "'a@x'", &e);
	expect(store_member_add(s, &adm, "bad", "A", "Member", NULL, 0, NULL,
				&e), "invalid email 'bad'", &e);
	expect(store_member_add(s, &adm, "d@e@x", "A", "Member", NULL, 0,
				NULL, &e), "invalid email 'd@e@x'", &e);
	expect(store_member_add(s, &adm, "t@x", "T", "Member",
				(const char *[]){ "Nope" }, 1, NULL, &e),
	       "no team 'Nope' (see harmony-sync teams)", &e);
	expect(store_seat_set(s, &adm, "c@x", 1, &e),
	       "no free seat: capacity 2, allocated 2", &e);
	CHECK_INT(store_seat_set(s, &adm, "b@x", 0, &e), 0);
	CHECK_INT(store_seat_set(s, &adm, "c@x", 1, &e), 0);
	m = get(&snap, "b@x");
	CHECK(m != NULL && m->seat == 0 && (m->pinned & PIN_SEAT));
	CHECK(m != NULL && m->job == NULL);
	CHECK_INT(snap.seats_used, 2);
	/* 3 adds + 2 seat changes, each bumped the generation */
	CHECK_INT((int)snap.generation, 5);
	snapshot_release(&snap);
	expect(store_seat_set(s, &adm, "zz@x", 1, &e),
	       "no member with email 'zz@x'", &e);
}

static void
test_set_pins_and_cycles(void)
{
	struct snapshot snap;
	struct smember *m;
	struct err e = { 0 };

	fresh();
	store_member_add(s, &adm, "a@x", "A", "Member", NULL, 0, NULL, &e);
	store_member_add(s, &adm, "b@x", "B", "Member", NULL, 0, NULL, &e);
	store_member_add(s, &adm, "c@x", "C", "Member", NULL, 0, NULL, &e);
	CHECK_INT(store_member_set(s, &adm, "b@x", "manager", "a@x", &e), 0);
	CHECK_INT(store_member_set(s, &adm, "c@x", "manager", "b@x", &e), 0);
	expect(store_member_set(s, &adm, "a@x", "manager", "c@x", &e),
	       "manager 'c@x' would make the reporting chain circular: "
	       "a@x -> c@x -> b@x -> a@x", &e);
	expect(store_member_set(s, &adm, "a@x", "manager", "a@x", &e),
	       "member 'a@x' cannot be their own manager", &e);
	expect(store_member_set(s, &adm, "a@x", "seat", "1", &e),
	       "cannot set field 'seat': use name, role, manager or email", &e);
	expect(store_member_set(s, &adm, "a@x", "email", "b@x", &e),
	       "email 'b@x' is already used by member 'b@x'", &e);
	CHECK_INT(store_member_set(s, &adm, "a@x", "name", "Ann", &e), 0);
	m = get(&snap, "a@x");
	CHECK(m != NULL && strcmp(m->name, "Ann") == 0 &&
	      m->pinned == PIN_NAME);
	snapshot_release(&snap);
	CHECK_INT(store_member_unpin(s, &adm, "a@x", "name", &e), 0);
	expect(store_member_unpin(s, &adm, "a@x", "name", &e),
	       "field 'name' of 'a@x' is not pinned", &e);
	CHECK_INT(store_member_set(s, &adm, "c@x", "manager", "none", &e), 0);
	m = get(&snap, "c@x");
	CHECK(m != NULL && m->manager == NULL && (m->pinned & PIN_MANAGER));
	snapshot_release(&snap);
}

static void
test_delete_group_capacity_history(void)
{
	struct run_change_row *c;
	struct run_row *rows, one;
	struct arena a;
	struct err e = { 0 };
	size_t n, moved = 9;
	int used = -1;

	fresh();
	store_member_add(s, &adm, "a@x", "A", "Member", NULL, 0, NULL, &e);
	CHECK_INT(store_member_delete(s, &adm, "A@x", &e), 0);
	expect(store_member_delete(s, &adm, "a@x", &e),
	       "no member with email 'a@x'", &e);
	expect(store_group_delete(s, &adm, "G", &moved, &e),
	       "no team group 'G' (see harmony-sync groups)", &e);
	CHECK_INT(store_capacity_set(s, &adm, 0, &used, &e), 0);
	CHECK_INT(used, 0);
	expect(store_capacity_set(s, &adm, -1, NULL, &e),
	       "seat capacity must be 0 or more, not -1", &e);
	arena_init(&a);
	CHECK_INT(store_runs(s, NULL, 0, &a, &rows, &n, &e), 0);
	CHECK_INT((int)n, 3);
	CHECK_STR(rows[0].job, "manual");
	CHECK_STR(rows[0].actor, "tester");
	CHECK_INT(rows[1].deleted, 1);
	CHECK_INT(rows[1].seats_deallocated, 1);
	CHECK_INT(store_run(s, rows[1].id, &a, &one, &c, &n, &e), 0);
	CHECK_INT((int)n, 1);
	CHECK_STR(c[0].op, "delete_member");
	CHECK_STR(c[0].subject, "a@x");
	CHECK_STR(c[0].detail, "{\"detail\":\"irreversible; seat freed\"}");
	CHECK_INT(store_run(s, rows[0].id, &a, &one, &c, &n, &e), 0);
	CHECK_STR(c[0].detail, "{\"fields\":{\"capacity\":[\"2\",\"0\"]}}");
	expect(store_run(s, 42, &a, &one, &c, &n, &e),
	       "no run 42 (see harmony-sync history)", &e);
	arena_release(&a);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/s.db", dir);
	RUN(test_add_and_seats);
	RUN(test_set_pins_and_cycles);
	RUN(test_delete_group_capacity_history);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
