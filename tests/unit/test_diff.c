/*
 * Unit tests of desired.c (mapping rules, duplicates, reporting chain)
 * and diff.c (plan against a hand-built store snapshot, seats, on_missing).
 * No server, no SQLite: records are built with record_builder.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "desired.h"
#include "diff.h"
#include "dn.h"
#include "mapping.h"
#include "plan.h"
#include "record.h"
#include "store.h"
#include "t.h"

static const char *MAPPING =
	"member:\n"
	"  anchor: entryUUID\n"
	"  email: \"{mail|lower}\"\n"
	"  name: \"{displayName|default:{givenName} {sn}}\"\n"
	"  manager: manager\n"
	"  custom_fields: { department: \"{departmentNumber}\" }\n"
	"  include: \"(!(employeeType=excluded))\"\n"
	"role:\n"
	"  default: Member\n"
	"  rules:\n"
	"    - { when: \"(memberOf=cn=admins,ou=groups,dc=x)\", role: Admin }\n"
	"teams:\n"
	"  - from: groups\n"
	"    when: \"(cn=team-*)\"\n"
	"    name: \"{cn|strip_prefix:team-}\"\n"
	"    type: { default: Other, rules: [ { when: \"(cn=team-sales*)\", type: Sales } ] }\n"
	"    group: \"{description|match:region=(\\\\w+)}\"\n"
	"seat:\n"
	"  eligible: \"(!(employeeType=contractor))\"\n"
	"  priority: [ \"(memberOf=cn=admins,ou=groups,dc=x)\" ]\n";

/* Teams with analytics toggles: the groups rule turns conversations off;
 * the attribute rule says nothing, so its teams keep what they have. */
static const char *TEAMS_MAPPING =
	"member:\n"
	"  anchor: entryUUID\n"
	"  email: \"{mail|lower}\"\n"
	"teams:\n"
	"  - from: groups\n"
	"    when: \"(cn=team-*)\"\n"
	"    name: \"{cn|strip_prefix:team-}\"\n"
	"    analytics: { conversations: false }\n"
	"  - from: attribute\n"
	"    attribute: ou\n";

static const char *mapping_text;	/* NULL: MAPPING */

static struct mapping *
load_mapping(void)
{
	char path[] = "/tmp/hs-test-mapping-XXXXXX";
	struct mapping *m = NULL;
	struct err e = { 0 };
	int fd = mkstemp(path);
	const char *text = mapping_text ? mapping_text : MAPPING;

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		return NULL;
	close(fd);
	if (mapping_load(path, &m, &e) != 0)
		printf("  mapping: %s\n", e.msg);
	unlink(path);
	return m;
}

/* "uid=<u>,ou=people,dc=x" user with anchor a-<u>; kv pairs NULL-ended. */
static void
user(struct recordset *rs, const char *uid, ...)
{
	struct record_builder b;
	char dn[256], anchor[64];
	const char *k, *v;
	char *key;
	va_list ap;

	snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=x", uid);
	snprintf(anchor, sizeof(anchor), "a-%s", uid);
	record_builder_init(&b, &rs->arena);
	va_start(ap, uid);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		record_builder_add(&b, k, v, strlen(v));
	}
	va_end(ap);
	key = dn_normalize_arena(&rs->arena, dn);
	recordset_add(rs, record_builder_finish(&b, RECORD_USER, anchor, dn, key));
	record_builder_release(&b);
}

static void
group(struct recordset *rs, const char *cn, const char *desc, ...)
{
	struct record_builder b;
	char dn[256], anchor[64], mdn[256];
	const char *uid;
	va_list ap;

	snprintf(dn, sizeof(dn), "cn=%s,ou=groups,dc=x", cn);
	snprintf(anchor, sizeof(anchor), "g-%s", cn);
	record_builder_init(&b, &rs->arena);
	record_builder_add(&b, "cn", cn, strlen(cn));
	if (desc)
		record_builder_add(&b, "description", desc, strlen(desc));
	va_start(ap, desc);
	while ((uid = va_arg(ap, const char *)) != NULL) {
		snprintf(mdn, sizeof(mdn), "uid=%s,ou=people,dc=x", uid);
		record_builder_add_member(&b, mdn,
					  dn_normalize_arena(&rs->arena, mdn));
	}
	va_end(ap);
	recordset_add(rs, record_builder_finish(&b, RECORD_GROUP, anchor, dn,
			  dn_normalize_arena(&rs->arena, dn)));
	record_builder_release(&b);
}

static void
empty_snapshot(struct snapshot *s, int capacity)
{
	memset(s, 0, sizeof(*s));
	arena_init(&s->arena);
	hmap_init(&s->by_anchor);
	hmap_init(&s->by_email);
	hmap_init(&s->by_id);
	hmap_init(&s->teams_by_name);
	s->capacity = capacity;
	s->last_source_users = -1;
}

static int snap_live;

static void
snap_release(struct snapshot *s)
{
	hmap_release(&s->by_anchor);
	hmap_release(&s->by_email);
	hmap_release(&s->by_id);
	hmap_release(&s->teams_by_name);
	arena_release(&s->arena);
}

static void
snap_release_if(struct snapshot *s)
{
	if (snap_live)
		snap_release(s);
	snap_live = 1;
}

static struct smember *
snap_member(struct snapshot *s, const char *job, const char *uid,
	    const char *email, const char *name, int seat)
{
	struct smember *sm = arena_zalloc(&s->arena, sizeof(*sm));
	static struct smember *list[64];

	sm->id = (int64_t)s->nmembers + 1;
	sm->job = job;
	sm->anchor = job ? arena_printf(&s->arena, "a-%s", uid) : NULL;
	sm->email = email;
	sm->email_key = email;
	sm->name = name;
	sm->role = "Member";
	sm->seat = seat;
	sm->custom_fields = "{}";
	sm->created_at = 100;
	list[s->nmembers] = sm;
	s->members = list;
	s->nmembers++;
	if (job)
		hmap_put(&s->by_anchor, sm->anchor, sm), s->job_members++;
	hmap_put(&s->by_email, sm->email_key, sm);
	s->seats_used += seat;
	return sm;
}

/* A team in the snapshot; call in name order (snap->teams is sorted). */
static struct steam *
snap_team(struct snapshot *s, const char *name, const char *managed_by,
	  int conversations, int contacts, size_t nmembers)
{
	static struct steam *list[16];
	struct steam *st = arena_zalloc(&s->arena, sizeof(*st));

	st->id = (int64_t)s->nteams + 1;
	st->name = name;
	st->type = "Other";
	st->managed_by = managed_by;
	st->analytics_conversations = conversations;
	st->analytics_contacts = contacts;
	st->nmembers = nmembers;
	list[s->nteams++] = st;
	s->teams = list;
	hmap_put(&s->teams_by_name, name, st);
	return st;
}

struct fixture {
	struct mapping *m;
	struct job_cfg job;
	struct recordset rs;
	struct arena arena;
	struct desired d;
	struct plan p;
};

static void
fx_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->m = load_mapping();
	f->job.name = "corp";
	f->job.mapping = f->m;
	f->job.safety.max_deletes = 25;
	f->job.safety.max_delete_percent = 5;
	f->job.safety.max_source_shrink_percent = 20;
	f->job.safety.on_missing = ON_MISSING_DEALLOCATE;
	recordset_init(&f->rs);
	arena_init(&f->arena);
}

/* The store's answer to "who holds this email", from the snapshot (the
 * real one asks SQLite: store_email_holder). */
static int
snap_holder(void *arg, const char *email_key, const char **anchor,
	    struct err *e)
{
	const struct smember *sm = hmap_get(&((const struct snapshot *)arg)->by_email,
					    email_key);

	(void)e;
	*anchor = sm != NULL && sm->job != NULL ? sm->anchor : NULL;
	return 0;
}

static int
fx_plan(struct fixture *f, const struct snapshot *snap)
{
	struct err e = { 0 };
	struct incumbents inc = { snap_holder, (void *)snap };
	int rc;

	recordset_link_groups(&f->rs);
	desired_build(f->m, &f->rs, &inc, &f->arena, &f->d, &e);
	plan_init(&f->p, &f->arena, "corp", "g0");
	rc = diff_build(&f->job, &f->d, snap, 1000, &f->p, &e);
	if (rc != 0)
		printf("  diff: %s\n", e.msg);
	return rc;
}

static void
fx_release(struct fixture *f)
{
	plan_release(&f->p);
	desired_release(&f->d);
	recordset_release(&f->rs);
	arena_release(&f->arena);
	mapping_free(f->m);
}

/* "op subject [target]" lines of the plan, one per change. */
static char *
ops(const struct plan *p)
{
	static char buf[8192];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < p->nchanges; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %s%s%s\n",
		    change_op_name(p->changes[i].op), p->changes[i].subject,
		    p->changes[i].target ? " " : "",
		    p->changes[i].target ? p->changes[i].target : "");
	return buf;
}

static char *
warns(const struct plan *p)
{
	static char buf[8192];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < p->nwarnings; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %s: %s\n",
		    warning_code_name(p->warnings[i].code),
		    p->warnings[i].subject, p->warnings[i].message);
	return buf;
}

static const struct dmember *
dmem(const struct fixture *f, const char *uid)
{
	char a[64];

	snprintf(a, sizeof(a), "a-%s", uid);
	return hmap_get(&f->d.by_anchor, a);
}

static void
test_chain_cycles(void)
{
	struct fixture f;
	struct snapshot snap;
	const char *M = "uid=%s,ou=people,dc=x";
	char buf[8][128];
	const char *c3[] = { "c1", "c2", "c3" }, *c5[] = { "d1", "d2", "d3", "d4", "d5" };
	int i;

	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 100);
	for (i = 0; i < 3; i++) {
		snprintf(buf[i], sizeof(buf[i]), M, c3[(i + 1) % 3]);
		user(&f.rs, c3[i], "mail", arena_printf(&f.rs.arena, "%s@x.com", c3[i]),
		     "manager", buf[i], NULL);
	}
	for (i = 0; i < 5; i++) {
		/* d1 -> d3 -> d5 -> d2 -> d4 -> d1, with odd spacing and case */
		char ref[128];

		snprintf(ref, sizeof(ref), "UID=%s, OU=People,dc=x", c5[(i + 2) % 5]);
		user(&f.rs, c5[i], "mail", arena_printf(&f.rs.arena, "%s@x.com", c5[i]),
		     "manager", arena_strdup(&f.rs.arena, ref), NULL);
	}
	user(&f.rs, "boss", "mail", "boss@x.com", NULL);
	user(&f.rs, "self", "mail", "self@x.com", "manager", "uid=self,ou=people,dc=x", NULL);
	user(&f.rs, "lost", "mail", "lost@x.com", "manager", "uid=nobody,ou=people,dc=x", NULL);
	user(&f.rs, "ok", "mail", "ok@x.com", "manager", "uid=boss,ou=people,dc=x", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	CHECK_STR(warns(&f.p),
	    "manager_unresolved lost@x.com: manager 'uid=nobody,ou=people,dc=x' is not in the source: no manager\n"
	    "manager_self self@x.com: entry names itself as manager: no manager\n"
	    "manager_cycle c1@x.com: reporting chain loops: c1@x.com -> c2@x.com -> c3@x.com -> c1@x.com; dropped c1@x.com -> c2@x.com\n"
	    "manager_cycle d1@x.com: reporting chain loops: d1@x.com -> d3@x.com -> d5@x.com -> d2@x.com -> d4@x.com -> d1@x.com; dropped d1@x.com -> d3@x.com\n");
	CHECK(dmem(&f, "c1")->manager == NULL);
	CHECK_STR(dmem(&f, "c2")->manager->email, "c3@x.com");
	CHECK_STR(dmem(&f, "c3")->manager->email, "c1@x.com");
	CHECK(dmem(&f, "d1")->manager == NULL);
	CHECK_STR(dmem(&f, "d4")->manager->email, "d1@x.com");
	CHECK_STR(dmem(&f, "ok")->manager->email, "boss@x.com");
	CHECK(dmem(&f, "self")->manager == NULL);
	CHECK_INT(f.p.summary.create, 12);
	fx_release(&f);
	snap_release_if(&snap);
	snap_live = 0;
}

static void
test_duplicates_and_missing(void)
{
	struct fixture f;
	struct snapshot snap;

	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 100);
	user(&f.rs, "b", "mail", "Pat@X.com", NULL);
	user(&f.rs, "a", "mail", "pat@x.com", NULL);
	user(&f.rs, "c", "cn", "no mail", NULL);
	user(&f.rs, "e", "mail", "excluded@x.com", "employeeType", "excluded", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	CHECK_STR(warns(&f.p),
	    "missing_email uid=c,ou=people,dc=x: entry has no email (email: {mail|lower}): skipped\n"
	    "duplicate_email pat@x.com: entry 'uid=b,ou=people,dc=x' has the same email as 'uid=a,ou=people,dc=x': skipped\n");
	CHECK_STR(ops(&f.p), "create_member pat@x.com\nallocate_seat pat@x.com\n");
	CHECK_STR(f.p.changes[0].anchor, "a-a");
	fx_release(&f);

	/* The incumbent keeps its email even with the larger anchor. */
	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 100);
	snap_member(&snap, "corp", "b", "pat@x.com", "Pat", 1);
	user(&f.rs, "b", "mail", "Pat@X.com", "displayName", "Pat", NULL);
	user(&f.rs, "a", "mail", "pat@x.com", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	CHECK_STR(ops(&f.p), "");
	CHECK_STR(warns(&f.p),
	    "duplicate_email pat@x.com: entry 'uid=a,ou=people,dc=x' has the same email as 'uid=b,ou=people,dc=x': skipped\n");
	fx_release(&f);
	snap_release_if(&snap);
	snap_live = 0;
}

/* Values that are not one address: skipped, never created as members. */
static void
test_malformed_emails(void)
{
	struct fixture f;
	struct snapshot snap;

	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 100);
	user(&f.rs, "a", "mail", "a@b@x.com", NULL);
	user(&f.rs, "b", "mail", "@x.com", NULL);
	user(&f.rs, "c", "mail", "c@", NULL);
	user(&f.rs, "d", "mail", "d\x1b@x.com", NULL);
	user(&f.rs, "e", "mail", "e@x.com", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	CHECK_STR(ops(&f.p), "create_member e@x.com\nallocate_seat e@x.com\n");
	CHECK_INT(f.p.nwarnings, 4);
	fx_release(&f);
	snap_release_if(&snap);
	snap_live = 0;
}

static void
test_roles_teams_fields(void)
{
	struct fixture f;
	struct snapshot snap;
	const struct dmember *dm;

	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 100);
	user(&f.rs, "amy", "mail", "Amy@X.com", "givenName", "Amy", "sn", "Lee",
	     "departmentNumber", "Sales", NULL);
	user(&f.rs, "bo", "mail", "bo@x.com", "displayName", "Bo", NULL);
	group(&f.rs, "admins", NULL, "amy", NULL);
	group(&f.rs, "team-sales-emea", "region=emea", "amy", "bo", NULL);
	group(&f.rs, "team-support", NULL, "bo", NULL);
	group(&f.rs, "other", NULL, "bo", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	dm = dmem(&f, "amy");
	CHECK_STR(dm->name, "Amy Lee");
	CHECK_STR(dm->email, "amy@x.com");
	CHECK_STR(dm->role, "Admin");
	CHECK_INT(dm->priority, 0);
	CHECK_INT(dm->nfields, 1);
	CHECK_STR(dm->fields[0].val, "Sales");
	CHECK_STR(dmem(&f, "bo")->role, "Member");
	CHECK_INT(dmem(&f, "bo")->nteams, 2);
	CHECK_STR(ops(&f.p),
	    "create_group emea\n"
	    "create_team sales-emea\n"
	    "create_team support\n"
	    "create_member amy@x.com\n"
	    "create_member bo@x.com\n"
	    "add_team_member amy@x.com sales-emea\n"
	    "add_team_member bo@x.com sales-emea\n"
	    "add_team_member bo@x.com support\n"
	    "allocate_seat amy@x.com\n"
	    "allocate_seat bo@x.com\n");
	CHECK_STR(f.d.teams[0]->type, "Sales");
	CHECK_STR(f.d.teams[0]->group, "emea");
	CHECK_STR(f.d.teams[1]->type, "Other");
	fx_release(&f);
	snap_release_if(&snap);
	snap_live = 0;
}

static void
test_seats_priority(void)
{
	struct fixture f;
	struct snapshot snap;

	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 2);
	user(&f.rs, "a", "mail", "a@x.com", NULL);
	user(&f.rs, "b", "mail", "b@x.com", NULL);
	user(&f.rs, "z", "mail", "z@x.com", NULL);
	user(&f.rs, "k", "mail", "k@x.com", "employeeType", "contractor", NULL);
	group(&f.rs, "admins", NULL, "z", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	/* z is prioritised (admins), then a by email; b waits; k ineligible. */
	CHECK_STR(strstr(ops(&f.p), "allocate_seat"),
	    "allocate_seat a@x.com\nallocate_seat z@x.com\n");
	CHECK_STR(warns(&f.p), "no_seat_available b@x.com: created without a seat: all 2 seats are allocated\n");
	CHECK_INT(f.p.seats.allocated_after, 2);
	CHECK_INT(f.p.seats.unseated_eligible, 1);
	CHECK_INT(f.p.summary.seats_allocated, 2);
	fx_release(&f);
	snap_release_if(&snap);
	snap_live = 0;
}

static void
test_gone_and_freed_seat(void)
{
	struct fixture f;
	struct snapshot snap;

	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 1);
	snap_member(&snap, "corp", "old", "old@x.com", "Old", 1);
	snap_member(&snap, "corp", "wait", "wait@x.com", "wait@x.com", 0);
	snap_member(&snap, NULL, "manual", "manual@x.com", "Manual", 0);
	user(&f.rs, "wait", "mail", "wait@x.com", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	CHECK_STR(ops(&f.p),
	    "update_member old@x.com\n"
	    "deallocate_seat old@x.com\n"
	    "allocate_seat wait@x.com\n");
	CHECK_STR(f.p.changes[0].fields[0].new, "suspended");
	CHECK_INT(f.p.seats.allocated_now, 1);
	CHECK_INT(f.p.seats.allocated_after, 1);
	fx_release(&f);

	/* on_missing: delete, and max_deletes refuses. */
	fx_init(&f);
	f.job.safety.on_missing = ON_MISSING_DELETE;
	f.job.safety.max_deletes = 0;
	snap_release_if(&snap);
	empty_snapshot(&snap, 5);
	snap_member(&snap, "corp", "old", "old@x.com", "Old", 1);
	snap_member(&snap, "corp", "keep", "keep@x.com", "keep@x.com", 1);
	user(&f.rs, "keep", "mail", "keep@x.com", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	CHECK_STR(ops(&f.p), "deallocate_seat old@x.com\ndelete_member old@x.com\n");
	{
		struct err e = { 0 };

		CHECK_INT(plan_check_safety(&f.p, &f.job.safety, 2, &e), -1);
		CHECK_INT(e.code, ERR_SAFETY);
	}
	fx_release(&f);
	snap_release_if(&snap);
	snap_live = 0;
}

static void
test_capacity_lowered(void)
{
	struct fixture f;
	struct snapshot snap;
	struct err e = { 0 };

	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 1);
	snap_member(&snap, "corp", "a", "a@x.com", "a@x.com", 1);
	snap_member(&snap, "corp", "z", "z@x.com", "z@x.com", 1);
	user(&f.rs, "a", "mail", "a@x.com", NULL);
	user(&f.rs, "z", "mail", "z@x.com", NULL);
	group(&f.rs, "admins", NULL, "z", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	/* z has priority: a, last in allocation order, loses the seat. */
	CHECK_STR(ops(&f.p), "update_member z@x.com\ndeallocate_seat a@x.com\n");
	CHECK_STR(f.p.changes[1].detail, "seat capacity lowered to 1");
	CHECK_INT(f.p.seats.allocated_after, 1);
	f.job.safety.max_deletes = 0;
	CHECK_INT(plan_check_safety(&f.p, &f.job.safety, 2, &e), -1);
	fx_release(&f);
	snap_release_if(&snap);
	snap_live = 0;
}

/* A change is named by the email the member will have after apply: with
 * the email pinned by hand, the store's, not the source's. */
static void
test_label_is_email_after_apply(void)
{
	struct fixture f;
	struct snapshot snap;
	struct smember *sm;

	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 5);
	sm = snap_member(&snap, "corp", "pat", "patricia@x.com", "Pat", 1);
	sm->pinned = PIN_EMAIL;
	user(&f.rs, "pat", "mail", "pat@x.com", "displayName", "Pat Lee", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	CHECK_STR(ops(&f.p), "update_member patricia@x.com\n");
	CHECK_STR(f.p.changes[0].fields[0].field, "name");
	fx_release(&f);
	snap_release_if(&snap);
	snap_live = 0;
}

static void
test_idempotent_and_guards(void)
{
	struct fixture f;
	struct snapshot snap;

	fx_init(&f);
	snap_release_if(&snap);
	empty_snapshot(&snap, 5);
	snap_member(&snap, "corp", "a", "a@x.com", "A", 1);
	user(&f.rs, "a", "mail", "a@x.com", "displayName", "A", NULL);
	CHECK_INT(fx_plan(&f, &snap), 0);
	CHECK(plan_empty(&f.p));
	fx_release(&f);

	/* An empty source never reads as mass departure. */
	fx_init(&f);
	CHECK_INT(fx_plan(&f, &snap), -1);
	fx_release(&f);

	/* A shrink past max_source_shrink_percent is refused. */
	fx_init(&f);
	snap.last_source_users = 10;
	user(&f.rs, "a", "mail", "a@x.com", "displayName", "A", NULL);
	CHECK_INT(fx_plan(&f, &snap), -1);
	fx_release(&f);
	snap_release_if(&snap);
	snap_live = 0;
}

/* Analytics toggles compared only where the mapping sets them; a managed
 * team gone from the source kept (team_orphaned) or, with
 * on_missing_team: delete, deleted (members stay). */
static void
test_team_analytics_and_gone(void)
{
	static const char *amy_teams[] = { "Finance", "legacy", "sales" };
	struct fixture f;
	struct snapshot snap;
	struct smember *amy;
	struct err e = { 0 };
	int del;

	mapping_text = TEAMS_MAPPING;
	for (del = 0; del < 2; del++) {
		fx_init(&f);
		f.job.on_missing_team = del ? ON_MISSING_TEAM_DELETE :
		    ON_MISSING_TEAM_KEEP;
		f.job.safety.max_deletes = 0;
		snap_release_if(&snap);
		empty_snapshot(&snap, 5);
		snap_team(&snap, "Finance", "corp", 0, 0, 1);
		snap_team(&snap, "legacy", "corp", 1, 1, 1);
		snap_team(&snap, "manual", NULL, 1, 1, 0);
		snap_team(&snap, "sales", "corp", 1, 0, 1);
		amy = snap_member(&snap, "corp", "amy", "amy@x.com",
				  "amy@x.com", 1);
		amy->teams = amy_teams;
		amy->nteams = 3;
		user(&f.rs, "amy", "mail", "amy@x.com", "ou", "Finance", NULL);
		group(&f.rs, "team-sales", NULL, "amy", NULL);
		group(&f.rs, "team-support", NULL, "amy", NULL);
		CHECK_INT(fx_plan(&f, &snap), 0);
		CHECK_STR(ops(&f.p), del ?
		    "create_team support\n"
		    "update_team sales\n"
		    "add_team_member amy@x.com support\n"
		    "delete_team legacy\n" :
		    "create_team support\n"
		    "update_team sales\n"
		    "add_team_member amy@x.com support\n");
		CHECK_STR(warns(&f.p), del ? "" :
		    "team_orphaned legacy: team no longer in the source: "
		    "kept with its 1 members\n");
		if (f.p.nchanges < 3)
			goto next;
		/* New team: the default fields plus the toggle set. */
		CHECK_INT(f.p.changes[0].nfields, 2);
		CHECK_STR(f.p.changes[0].fields[0].field, "type");
		CHECK_STR(f.p.changes[0].fields[1].field,
			  "analytics_conversations");
		CHECK(f.p.changes[0].fields[1].old == NULL);
		CHECK_STR(f.p.changes[0].fields[1].new, "false");
		/* sales: conversations turned off; contacts (off) kept. */
		CHECK_INT(f.p.changes[1].nfields, 1);
		CHECK_STR(f.p.changes[1].fields[0].field,
			  "analytics_conversations");
		CHECK_STR(f.p.changes[1].fields[0].old, "true");
		CHECK_STR(f.p.changes[1].fields[0].new, "false");
		CHECK_INT(f.p.summary.create, 1);
		CHECK_INT(f.p.summary.update, 2);
		CHECK_INT(f.p.summary.delete, (size_t)del);
		if (del)
			CHECK_STR(f.p.changes[3].detail, "gone from the source");
		/* A deleted team is not a deleted member: max_deletes 0 holds. */
		CHECK_INT(plan_check_safety(&f.p, &f.job.safety, 1, &e), 0);
next:
		fx_release(&f);
	}
	mapping_text = NULL;
	snap_release_if(&snap);
	snap_live = 0;
}

int
main(void)
{
	RUN(test_chain_cycles);
	RUN(test_duplicates_and_missing);
	RUN(test_malformed_emails);
	RUN(test_roles_teams_fields);
	RUN(test_seats_priority);
	RUN(test_gone_and_freed_seat);
	RUN(test_capacity_lowered);
	RUN(test_label_is_email_after_apply);
	RUN(test_idempotent_and_guards);
	RUN(test_team_analytics_and_gone);
	return t_done();
}
