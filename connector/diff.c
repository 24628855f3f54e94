/*
 * diff: desired vs store -> plan.  See diff.h for the contract.
 *
 * Three passes: classify every desired member (existing by anchor, adopted,
 * new, or skipped because its email belongs to someone else), then emit
 * the per-member changes, then handle the job's members the source no
 * longer returns (safety.on_missing) and hand out free seats last, once
 * every deallocation of the run is known.
 */
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "seats.h"
#include "util/sort.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct dstate {
	const struct job_cfg *job;
	const struct desired *d;
	const struct snapshot *snap;
	struct plan *p;
	struct arena *a;
	int64_t now;
	/* Per desired member (dmember->idx): whether it will exist after
	 * the run, and as which store member (existing or adopted). */
	unsigned char *fate;
	const struct smember **held;
	const char **label;	/* the email it will have after the run: what
				 * its changes are called by in the plan */
	struct hmap reclaimed;	/* old anchors of members taken over by a
				 * new entry with their email (re-hires) */
	struct str json;	/* fields_json's scratch */
	const struct dmember **order;	/* members in email order */
	struct seat_cand *cands;	/* unseated, eligible */
	size_t ncands, capcands;
	struct seat_cand *holders;	/* seated, eligible, not pinned */
	size_t nholders, capholders;
	int used_after;
};

enum fate { FATE_SKIP, FATE_NEW, FATE_HELD };

/* The plan calls a member by the email it will have after apply: the
 * source's, unless that change is not made (pinned, or taken by another
 * member), so that a line never names somebody else. */
static const char *
label(const struct dstate *ds, const struct dmember *dm)
{
	return ds->label[dm->idx];
}

/* 1 if sm's email becomes dm's in this run. */
static int
email_changes(const struct dstate *ds, const struct dmember *dm,
	      const struct smember *sm)
{
	const struct smember *holder;

	if (strcmp(sm->email, dm->email) == 0 || (sm->pinned & PIN_EMAIL))
		return 0;
	holder = hmap_get(&ds->snap->by_email, dm->email_key);
	return holder == NULL || holder == sm;
}

static int
is_job(const struct dstate *ds, const struct smember *sm)
{
	return sm->job != NULL && strcmp(sm->job, ds->job->name) == 0;
}

/* The canonical JSON text of a member's custom fields (keys sorted). */
static const char *
fields_json(struct dstate *ds, const struct dmember *dm)
{
	struct str *s = &ds->json;
	size_t i;

	str_reset(s);
	str_addc(s, '{');
	for (i = 0; i < dm->nfields; i++) {
		if (i)
			str_addc(s, ',');
		str_add_json(s, dm->fields[i].key);
		str_addc(s, ':');
		str_add_json(s, dm->fields[i].val);
	}
	str_addc(s, '}');
	return arena_strndup(ds->a, s->buf, s->len);
}

static void
warn(struct dstate *ds, enum warning_code code, const char *subject,
     const char *msg)
{
	struct warning w = { code, subject, msg };

	plan_warn(ds->p, &w);
}

static const char *
owner_desc(struct dstate *ds, const struct smember *sm)
{
	if (sm->job == NULL)
		return "a manual member";
	if (is_job(ds, sm))
		return arena_printf(ds->a, "member '%s' of this job",
				    sm->anchor);
	return arena_printf(ds->a, "a member managed by job '%s'", sm->job);
}

/*
 * A member of this job whose entry is gone (suspended, or gone in this
 * very run) while a new entry arrives with its email: a re-hire, or an
 * entry recreated with a new entryUUID.  DESIGN §1: a member that comes
 * back is restored, not duplicated, so the new entry takes the record
 * over (its anchor changes; the plan shows it).  A member whose entry is
 * still in the source is never taken.
 */
static int
reclaimable(const struct dstate *ds, const struct smember *holder)
{
	return is_job(ds, holder) && holder->anchor != NULL &&
	       hmap_get(&ds->d->by_anchor, holder->anchor) == NULL;
}

/* Pass 1: who will exist after the run. */
static void
classify(struct dstate *ds)
{
	const struct desired *d = ds->d;
	size_t i;

	for (i = 0; i < d->nmembers; i++) {
		const struct dmember *dm = d->members[i];
		struct smember *sm = hmap_get(&ds->snap->by_anchor, dm->anchor);
		struct smember *holder;

		ds->label[i] = dm->email;
		if (sm != NULL) {
			ds->fate[i] = FATE_HELD;
			ds->held[i] = sm;
			if (!email_changes(ds, dm, sm))
				ds->label[i] = sm->email;
			continue;
		}
		holder = hmap_get(&ds->snap->by_email, dm->email_key);
		if (holder == NULL) {
			ds->fate[i] = FATE_NEW;
		} else if ((holder->job == NULL && ds->job->mapping->adopt_email) ||
			   reclaimable(ds, holder)) {
			ds->fate[i] = FATE_HELD;
			ds->held[i] = holder;
			if (holder->job != NULL)
				hmap_put(&ds->reclaimed, holder->anchor, NULL);
			if (!email_changes(ds, dm, holder))
				ds->label[i] = holder->email;
		} else {
			warn(ds, WARN_DUPLICATE_EMAIL, dm->email,
			    arena_printf(ds->a, "entry '%s': email already "
			    "belongs to %s: skipped", dm->id,
			    owner_desc(ds, holder)));
		}
	}
}

static void
field(struct dstate *ds, struct change **c, const struct dmember *dm,
      const char *name, const char *old, const char *new)
{
	if (*c == NULL)
		*c = plan_add(ds->p, CHANGE_UPDATE_MEMBER, dm->anchor,
			      label(ds, dm));
	change_field(ds->p, *c, name, old, new);
}

static int
differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

static void
create_member(struct dstate *ds, const struct dmember *dm)
{
	struct change *c = plan_add(ds->p, CHANGE_CREATE_MEMBER, dm->anchor,
				    dm->email);
	const char *cf = fields_json(ds, dm);

	change_field(ds->p, c, "name", NULL, dm->name);
	change_field(ds->p, c, "email", NULL, dm->email);
	change_field(ds->p, c, "role", NULL, dm->role);
	if (strcmp(cf, "{}") != 0)
		change_field(ds->p, c, "custom_fields", NULL, cf);
}

/* An email change, unless the new email belongs to another member. */
static void
update_email(struct dstate *ds, struct change **c, const struct dmember *dm,
	     const struct smember *sm)
{
	const struct smember *holder;

	if (strcmp(sm->email, dm->email) == 0 || (sm->pinned & PIN_EMAIL))
		return;
	holder = hmap_get(&ds->snap->by_email, dm->email_key);
	if (!email_changes(ds, dm, sm)) {
		warn(ds, WARN_DUPLICATE_EMAIL, dm->email,
		    arena_printf(ds->a, "'%s' cannot change email from '%s': "
		    "it belongs to %s", dm->id, sm->email,
		    owner_desc(ds, holder)));
		return;
	}
	field(ds, c, dm, "email", sm->email, dm->email);
}

static void
update_member(struct dstate *ds, const struct dmember *dm,
	      const struct smember *sm)
{
	struct change *c = NULL;
	const char *cf = fields_json(ds, dm);

	if (!is_job(ds, sm))	/* adopt: DESIGN §1, shown as its own change */
		field(ds, &c, dm, "managed_by", NULL, ds->job->name);
	else if (strcmp(sm->anchor, dm->anchor) != 0)	/* reclaimable() */
		field(ds, &c, dm, "anchor", sm->anchor, dm->anchor);
	update_email(ds, &c, dm, sm);
	if (!(sm->pinned & PIN_NAME) && differs(sm->name, dm->name))
		field(ds, &c, dm, "name", sm->name, dm->name);
	if (!(sm->pinned & PIN_ROLE) && differs(sm->role, dm->role))
		field(ds, &c, dm, "role", sm->role, dm->role);
	if (differs(sm->custom_fields, cf))
		field(ds, &c, dm, "custom_fields", sm->custom_fields, cf);
	if (sm->suspended)
		field(ds, &c, dm, "status", "suspended", "active");
}

/* The anchor the store's manager of sm has in this job, or a marker. */
static const char *
store_manager(struct dstate *ds, const struct smember *sm)
{
	if (sm == NULL || sm->manager == NULL)
		return NULL;
	if (is_job(ds, sm->manager))
		return sm->manager->anchor;
	return "";	/* a manual manager: never equal to a desired anchor */
}

static void
set_manager(struct dstate *ds, const struct dmember *dm,
	    const struct smember *sm)
{
	const struct dmember *mgr = dm->manager;
	const char *cur = store_manager(ds, sm);
	struct change *c;

	if (sm != NULL && (sm->pinned & PIN_MANAGER))
		return;
	if (mgr != NULL && ds->fate[mgr->idx] == FATE_SKIP) {
		warn(ds, WARN_MANAGER_UNRESOLVED, label(ds, dm),
		    arena_printf(ds->a, "manager '%s' is skipped in this run: "
		    "no manager", mgr->email));
		mgr = NULL;
	}
	if (!differs(cur, mgr ? mgr->anchor : NULL))
		return;
	c = plan_add(ds->p, CHANGE_SET_MANAGER, dm->anchor, label(ds, dm));
	c->target = mgr ? mgr->anchor : NULL;
	c->detail = mgr ? label(ds, mgr) : NULL;
	change_field(ds->p, c, "manager",
	    sm && sm->manager ? sm->manager->email : NULL,
	    mgr ? label(ds, mgr) : NULL);
}

static int
team_managed(struct dstate *ds, const char *team)
{
	const struct steam *st = hmap_get(&ds->snap->teams_by_name, team);

	return st != NULL && st->managed_by != NULL &&
	       strcmp(st->managed_by, ds->job->name) == 0;
}

static int
team_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct dteam *const *)elem)->name);
}

/* 1 if the source names the team this run (d->teams is sorted). */
static int
team_desired(const struct desired *d, const char *team)
{
	return d->nteams > 0 && bsearch(team, d->teams, d->nteams,
					sizeof(*d->teams), team_key_cmp) != NULL;
}

static void
team_change(struct dstate *ds, enum change_op op, const struct dmember *dm,
	    const char *team)
{
	plan_add(ds->p, op, dm->anchor, label(ds, dm))->target = team;
}

/* Merges the sorted team lists: the source decides membership of the
 * teams this job manages; hand-made memberships elsewhere stay. */
static void
sync_teams(struct dstate *ds, const struct dmember *dm,
	   const struct smember *sm)
{
	size_t i = 0, j = 0, ns = sm ? sm->nteams : 0;

	if (sm != NULL && (sm->pinned & PIN_TEAMS))
		return;
	while (i < dm->nteams || j < ns) {
		int c = i == dm->nteams ? 1 : j == ns ? -1 :
		    strcmp(dm->teams[i], sm->teams[j]);

		if (c < 0)
			team_change(ds, CHANGE_ADD_TEAM_MEMBER, dm, dm->teams[i++]);
		else if (c > 0) {
			/* An orphaned team keeps its members (it is kept
			 * as it was, and reported). */
			if (team_managed(ds, sm->teams[j]) &&
			    team_desired(ds->d, sm->teams[j]))
				team_change(ds, CHANGE_REMOVE_TEAM_MEMBER, dm,
					    sm->teams[j]);
			j++;
		} else {
			i++, j++;
		}
	}
}

static void
seat_change(struct dstate *ds, enum change_op op, const char *anchor,
	    const char *email, const char *reason)
{
	plan_add(ds->p, op, anchor, email)->detail = reason;
	if (op == CHANGE_DEALLOCATE_SEAT)
		ds->used_after--;
}

static void
seat_candidate(struct seat_cand **v, size_t *n, size_t *cap,
	       const struct dmember *dm, int64_t created)
{
	struct seat_cand *sc;

	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	sc = &(*v)[(*n)++];
	sc->anchor = dm->anchor;
	sc->email_key = dm->email_key;
	sc->priority = dm->priority;
	sc->created_at = created;
	sc->data = (void *)dm;
}

static void
member_seat(struct dstate *ds, const struct dmember *dm,
	    const struct smember *sm)
{
	if (sm == NULL) {
		if (dm->eligible)
			seat_candidate(&ds->cands, &ds->ncands, &ds->capcands,
				       dm, ds->now);
		return;
	}
	if (sm->pinned & PIN_SEAT)
		return;		/* a hand-made decision: kept */
	if (sm->seat && !dm->eligible)
		seat_change(ds, CHANGE_DEALLOCATE_SEAT, dm->anchor, label(ds, dm),
			    "no longer eligible (seat.eligible)");
	else if (!sm->seat && dm->eligible)
		seat_candidate(&ds->cands, &ds->ncands, &ds->capcands, dm,
			       sm->created_at);
	else if (sm->seat)
		seat_candidate(&ds->holders, &ds->nholders, &ds->capholders,
			       dm, sm->created_at);
}

static const char *
email_of(const void *dm)
{
	return ((const struct dmember *)dm)->email;
}

static int
anchor_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dmember *)a)->anchor,
		      ((const struct dmember *)b)->anchor);
}

/* Pass 2: changes for everyone the source returned, in email order: the
 * plan's order, so that plan_finish() finds its buckets already sorted. */
static void
sync_members(struct dstate *ds)
{
	const struct desired *d = ds->d;
	const struct dmember **order;
	size_t i;

	order = xmalloc((d->nmembers + 1) * sizeof(*order));
	memcpy(order, d->members, d->nmembers * sizeof(*order));
	sort_by_string(order, d->nmembers, email_of, anchor_cmp);
	ds->order = order;
	for (i = 0; i < d->nmembers; i++) {
		const struct dmember *dm = order[i];
		const struct smember *sm = ds->held[dm->idx];

		if (ds->fate[dm->idx] == FATE_SKIP)
			continue;	/* skipped in classify() */
		if (sm == NULL)
			create_member(ds, dm);
		else
			update_member(ds, dm, sm);
		set_manager(ds, dm, sm);
		sync_teams(ds, dm, sm);
		member_seat(ds, dm, sm);
	}
}

static void
gone_member(struct dstate *ds, const struct smember *sm)
{
	const struct safety_cfg *s = &ds->job->safety;
	int filtered = hmap_has(&ds->d->excluded, sm->anchor);
	const char *why = filtered ? "filtered out by member.include" :
	    "gone from the source";
	struct change *c;

	if (filtered)
		warn(ds, WARN_FILTERED_OUT, sm->email,
		    arena_printf(ds->a, "no longer matches member.include "
		    "(on_missing: %s)", s->on_missing == ON_MISSING_DELETE ?
		    "delete" : s->on_missing == ON_MISSING_IGNORE ? "ignore" :
		    "deallocate"));
	if (s->on_missing == ON_MISSING_IGNORE)
		return;
	if (s->on_missing == ON_MISSING_DEALLOCATE && !sm->suspended) {
		c = plan_add(ds->p, CHANGE_UPDATE_MEMBER, sm->anchor, sm->email);
		change_field(ds->p, c, "status", "active", "suspended");
	}
	if (sm->seat && (!(sm->pinned & PIN_SEAT) ||
			 s->on_missing == ON_MISSING_DELETE))
		seat_change(ds, CHANGE_DEALLOCATE_SEAT, sm->anchor, sm->email,
			    why);
	if (s->on_missing == ON_MISSING_DELETE ||
	    (sm->suspended && s->delete_after_s > 0 &&
	     sm->suspended_at + s->delete_after_s <= ds->now)) {
		c = plan_add(ds->p, CHANGE_DELETE_MEMBER, sm->anchor, sm->email);
		c->detail = s->on_missing == ON_MISSING_DELETE ? why :
		    "suspended longer than safety.delete_after";
	}
}

/* 1 if the entry with this anchor will exist after the run. */
static int
present(const struct dstate *ds, const char *anchor)
{
	const struct dmember *dm = hmap_get(&ds->d->by_anchor, anchor);

	return dm != NULL && ds->fate[dm->idx] != FATE_SKIP;
}

/* Pass 3: the job's members the source no longer returns. */
static void
sync_gone(struct dstate *ds)
{
	size_t i;

	for (i = 0; i < ds->snap->nmembers; i++) {
		const struct smember *sm = ds->snap->members[i];

		if (is_job(ds, sm) && !present(ds, sm->anchor) &&
		    !hmap_has(&ds->reclaimed, sm->anchor))
			gone_member(ds, sm);
	}
}

/*
 * A capacity lowered by hand below the seats in use: the job's unpinned
 * holders lose seats, last in allocation order first, and the plan says so
 * (DESIGN §1: never silently; plan_check_safety counts these).
 */
static void
shed_seats(struct dstate *ds)
{
	int excess = ds->used_after - ds->snap->capacity;
	const char *why;
	size_t i;

	if (excess <= 0 || ds->nholders == 0)
		return;
	why = arena_printf(ds->a, PLAN_REASON_CAPACITY " to %d",
			   ds->snap->capacity);
	seats_order(ds->holders, ds->nholders);
	for (i = ds->nholders; i > 0 && excess > 0; i--, excess--) {
		const struct dmember *dm = ds->holders[i - 1].data;

		seat_change(ds, CHANGE_DEALLOCATE_SEAT, dm->anchor, label(ds, dm),
			    why);
	}
}

/* The seats go in priority order but are listed in email order, the
 * plan's own: plan_finish() then finds that bucket sorted already. */
static void
list_seats(struct dstate *ds, const unsigned char *won)
{
	for (size_t i = 0; i < ds->d->nmembers; i++) {
		const struct dmember *dm = ds->order[i];

		if (won[dm->idx])
			seat_change(ds, CHANGE_ALLOCATE_SEAT, dm->anchor,
				    label(ds, dm), "free seat");
	}
}

static void
allocate_seats(struct dstate *ds)
{
	unsigned char *won = xcalloc(ds->d->nmembers + 1, 1);
	int free_seats, allocated = 0;
	size_t i;

	shed_seats(ds);
	free_seats = seats_free(ds->snap->capacity, ds->used_after);
	seats_order(ds->cands, ds->ncands);
	for (i = 0; i < ds->ncands; i++) {
		const struct dmember *dm = ds->cands[i].data;

		if (allocated < free_seats) {
			won[dm->idx] = 1;
			allocated++;
			continue;
		}
		ds->p->seats.unseated_eligible++;
		if (ds->fate[dm->idx] == FATE_NEW)
			warn(ds, WARN_NO_SEAT_AVAILABLE, label(ds, dm),
			    arena_printf(ds->a, "created without a seat: all "
			    "%d seats are allocated", ds->snap->capacity));
	}
	list_seats(ds, won);
	free(won);
	ds->p->seats.capacity = ds->snap->capacity;
	ds->p->seats.allocated_now = ds->snap->seats_used;
	ds->p->seats.allocated_after = ds->used_after + allocated;
}

static int
str_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* 1 if s is in the sorted array v[0..n). */
static int
str_in(const char *const *v, size_t n, const char *s)
{
	return n > 0 && bsearch(s, v, n, sizeof(*v), str_key_cmp) != NULL;
}

static void
team_field(struct dstate *ds, const struct dteam *t, struct change **c,
	   const char *name, const char *have, const char *want)
{
	if (!differs(have, want))
		return;
	if (*c == NULL)
		*c = plan_add(ds->p, CHANGE_UPDATE_TEAM, NULL, t->name);
	change_field(ds->p, *c, name, have, want);
}

/* An analytics toggle the mapping sets; one it leaves out is kept as the
 * team has it (a new team gets the store's default, on). */
static void
team_toggle(struct dstate *ds, const struct dteam *t, struct change **c,
	    const char *name, int have, int exists, enum toggle want)
{
	if (want == TOGGLE_UNSET)
		return;
	team_field(ds, t, c, name, exists ? (have ? "true" : "false") : NULL,
		   want == TOGGLE_ON ? "true" : "false");
}

static void
team_fields(struct dstate *ds, const struct dteam *t, const struct steam *st,
	    struct change **c)
{
	const char *names[4] = { "type", "group", "description", "color" };
	const char *want[4] = { t->type, t->group, t->description, t->color };
	const char *have[4] = { NULL, NULL, NULL, NULL };
	int i;

	if (st != NULL) {
		have[0] = st->type, have[1] = st->group;
		have[2] = st->description, have[3] = st->color;
	}
	for (i = 0; i < 4; i++)
		team_field(ds, t, c, names[i], have[i], want[i]);
	team_toggle(ds, t, c, "analytics_conversations",
		    st && st->analytics_conversations, st != NULL,
		    t->analytics_conversations);
	team_toggle(ds, t, c, "analytics_contacts",
		    st && st->analytics_contacts, st != NULL,
		    t->analytics_contacts);
}

/* DESIGN §1: a team group this job made that the source no longer names
 * is deleted; its teams move to Ungrouped, never deleted.  A managed team
 * the source no longer names is kept and reported, unless the job says
 * on_missing_team: delete. */
static void
sync_gone_teams_and_groups(struct dstate *ds)
{
	const struct snapshot *snap = ds->snap;
	const struct desired *d = ds->d;
	size_t i;

	for (i = 0; i < snap->ngroups; i++) {
		const char *by = snap->group_managed_by[i];

		if (by != NULL && strcmp(by, ds->job->name) == 0 &&
		    !str_in(d->groups, d->ngroups, snap->groups[i]))
			plan_add(ds->p, CHANGE_DELETE_GROUP, NULL,
				 snap->groups[i])->detail =
			    "gone from the source: its teams move to Ungrouped";
	}
	for (i = 0; i < snap->nteams; i++) {
		const struct steam *st = snap->teams[i];

		if (!team_managed(ds, st->name) || team_desired(d, st->name))
			continue;
		if (ds->job->on_missing_team == ON_MISSING_TEAM_DELETE)
			plan_add(ds->p, CHANGE_DELETE_TEAM, NULL,
				 st->name)->detail = "gone from the source";
		else
			warn(ds, WARN_TEAM_ORPHANED, st->name,
			    arena_printf(ds->a, "team no longer in the source: "
			    "kept with its %zu members", st->nmembers));
	}
}

static void
sync_teams_and_groups(struct dstate *ds)
{
	const struct desired *d = ds->d;
	size_t i;

	sync_gone_teams_and_groups(ds);
	for (i = 0; i < d->ngroups; i++)
		if (!str_in(ds->snap->groups, ds->snap->ngroups, d->groups[i]))
			plan_add(ds->p, CHANGE_CREATE_GROUP, NULL, d->groups[i]);
	for (i = 0; i < d->nteams; i++) {
		const struct dteam *t = d->teams[i];
		const struct steam *st = hmap_get(&ds->snap->teams_by_name,
						  t->name);
		struct change *c = NULL;

		if (st == NULL) {
			c = plan_add(ds->p, CHANGE_CREATE_TEAM, NULL, t->name);
			team_fields(ds, t, NULL, &c);
		} else if (team_managed(ds, t->name)) {
			team_fields(ds, t, st, &c);
		}
	}
}

/* DESIGN §4: an empty or sharply shrunken source aborts the run: an
 * outage or a wrong filter must never read as mass departure. */
static int
source_guards(const struct job_cfg *job, const struct desired *d,
	      const struct snapshot *snap, struct err *e)
{
	long now = (long)d->nsource_users, last = snap->last_source_users;
	int pct = job->safety.max_source_shrink_percent;

	if (now == 0 && snap->job_members > 0)
		return err_setc(e, ERR_SAFETY, "source returned no users while "
		    "the store holds %zu members of job '%s': refusing to "
		    "treat them as gone", snap->job_members, job->name);
	if (last > 0 && pct >= 0 && now < last && (last - now) * 100 > pct * last)
		return err_setc(e, ERR_SAFETY, "source shrank from %ld to %ld "
		    "users since the last successful run (more than "
		    "safety.max_source_shrink_percent %d%%): refusing",
		    last, now, pct);
	return 0;
}

int
diff_build(const struct job_cfg *job, const struct desired *d,
	   const struct snapshot *snap, int64_t now, struct plan *p,
	   struct err *e)
{
	struct dstate ds = {
		.job = job, .d = d, .snap = snap, .p = p, .a = p->arena,
		.now = now, .used_after = snap->seats_used,
	};
	size_t i;

	if (source_guards(job, d, snap, e) != 0)
		return -1;
	ds.fate = xcalloc(d->nmembers + 1, sizeof(*ds.fate));
	ds.held = xcalloc(d->nmembers + 1, sizeof(*ds.held));
	ds.label = xcalloc(d->nmembers + 1, sizeof(*ds.label));
	hmap_init(&ds.reclaimed);
	for (i = 0; i < d->nwarnings; i++)
		plan_warn(p, &d->warnings[i]);
	classify(&ds);
	sync_teams_and_groups(&ds);
	sync_members(&ds);
	sync_gone(&ds);
	allocate_seats(&ds);
	p->source_users = (long)d->nsource_users;
	plan_finish(p);
	free(ds.cands);
	free(ds.holders);
	free(ds.fate);
	free(ds.held);
	free(ds.label);
	hmap_release(&ds.reclaimed);
	free(ds.order);
	str_release(&ds.json);
	return 0;
}
