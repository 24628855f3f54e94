/*
 * view_admin: `member show` and `seats` (view_admin.h).
 *
 * member show answers "why does this user see what they see": each field
 * with the rule that produced it, the seat with the reason, the chain of
 * managers, and each permission of the role resolved to the data it
 * reaches (DESIGN §1: a team scope sees all of the member's teams).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mapping.h"
#include "schedule.h"
#include "template.h"
#include "view.h"
#include "view_admin.h"

int
view_capacity(const struct snapshot *snap, const struct config *cfg)
{
	return snap->capacity >= 0 ? snap->capacity : cfg->seat_capacity;
}

static void
line(struct str *out, const char *label, const char *value)
{
	str_addf(out, "  %s: ", label);
	view_add_text(out, value && *value ? value : "-", 0);
	str_addc(out, '\n');
}

static void
time_line(struct str *out, const char *label, int64_t t)
{
	char buf[32] = "-";

	if (t > 0)
		schedule_iso(t, buf, sizeof(buf));
	line(out, label, buf);
}

static void
teams_text(struct str *out, const struct smember *m)
{
	size_t i;

	if (m->nteams == 0)
		str_adds(out, "(no teams)");
	for (i = 0; i < m->nteams; i++) {
		str_adds(out, i ? ", " : "");
		view_add_text(out, m->teams[i], 0);
	}
}

/* "no seat: ..." or "holds a seat" with the reason. */
static const char *
seat_reason(const struct smember *m, int full)
{
	if (m->seat)
		return (m->pinned & PIN_SEAT) ? "holds a seat (pinned allocation)"
			: "holds a seat";
	if (m->pinned & PIN_SEAT)
		return "no seat: pinned deallocation";
	if (m->suspended)
		return "no seat: suspended";
	return full ? "no seat: capacity full" :
		"no seat: not eligible, or waiting for the next sync";
}

static void
fields(struct str *out, const struct snapshot *snap, const struct config *cfg,
       const struct smember *m)
{
	int cap = view_capacity(snap, cfg);

	str_adds(out, "Member ");
	view_add_text(out, m->email, 0);
	str_addc(out, '\n');
	line(out, "name", m->name);
	line(out, "email", m->email);
	line(out, "role", m->role);
	line(out, "manager", m->manager ? m->manager->email : "(none)");
	str_adds(out, "  teams: ");
	teams_text(out, m);
	str_addc(out, '\n');
	line(out, "seat", seat_reason(m, snap->seats_used >= cap));
	line(out, "status", m->suspended ? "suspended" : "active");
	line(out, "managed_by", m->job ? m->job : "(manual)");
	line(out, "custom_fields", m->custom_fields);
	time_line(out, "created", m->created_at);
	time_line(out, "updated", m->updated_at);
	time_line(out, "seat allocated", m->seat ? m->seat_at : 0);
	time_line(out, "last seen", m->last_seen_at);
}

/* "FIELD <- ..." for one field of a managed member. */
static void
prov(struct str *out, const struct smember *m, const char *field,
     unsigned pin, const char *rule)
{
	str_addf(out, "  %s <- ", field);
	if (m->pinned & pin)
		str_adds(out, "set by hand (pinned)");
	else if (m->job == NULL)
		str_adds(out, "manual");
	else {
		view_add_text(out, rule, 0);
		str_adds(out, " (job ");
		view_add_text(out, m->job, 0);
		str_addc(out, ')');
	}
	str_addc(out, '\n');
}

static void
prov_tpl(struct str *out, const struct smember *m, const char *field,
	 unsigned pin, const struct template *t)
{
	struct str rule = STR_INIT;

	str_addf(&rule, "mapping %s: %s", field,
		 t ? template_text(t) : "(not mapped)");
	prov(out, m, field, pin, str_cstr(&rule));
	str_release(&rule);
}

static void
provenance(struct str *out, const struct config *cfg, const struct smember *m)
{
	const struct job_cfg *job = m->job ? config_job(cfg, m->job) : NULL;
	const struct mapping *mp = job ? job->mapping : NULL;
	struct str rule = STR_INIT;
	size_t i;

	str_adds(out, "Provenance:\n");
	if (m->job != NULL && mp == NULL) {
		str_adds(out, "  (job '");
		view_add_text(out, m->job, 0);
		str_adds(out, "' is not in the config)\n");
		return;
	}
	prov_tpl(out, m, "name", PIN_NAME, mp ? mp->name : NULL);
	prov_tpl(out, m, "email", PIN_EMAIL, mp ? mp->email : NULL);
	prov(out, m, "role", PIN_ROLE, "role rules");
	str_addf(&rule, "mapping manager: %s",
		 mp && mp->manager ? mp->manager : "(not mapped)");
	prov(out, m, "manager", PIN_MANAGER, str_cstr(&rule));
	prov(out, m, "teams", PIN_TEAMS, "team rules");
	prov(out, m, "seat", PIN_SEAT, "seat rules");
	for (i = 0; mp != NULL && i < mp->nfields; i++) {
		str_reset(&rule);
		str_addf(&rule, "custom_fields.%s", mp->fields[i].name);
		prov_tpl(out, m, str_cstr(&rule), 0, mp->fields[i].tpl);
	}
	str_release(&rule);
}

static void
chain(struct str *out, const struct snapshot *snap, const struct smember *m)
{
	size_t n;

	str_adds(out, "Manager chain: ");
	/* Bounded: a damaged store with a cycle must not loop the view. */
	for (n = 0; m != NULL && n <= snap->nmembers; m = m->manager, n++) {
		view_add_text(out, m->name, 0);
		str_adds(out, " <");
		view_add_text(out, m->email, 0);
		str_adds(out, "> -> ");
	}
	str_adds(out, m == NULL ? "(root)\n" : "(cycle)\n");
}

static void
access(struct str *out, const struct config *cfg, const struct smember *m)
{
	const struct role_cfg *r = config_role(cfg, m->role);
	size_t i;

	str_adds(out, "Effective access (role ");
	view_add_text(out, m->role, 0);
	str_adds(out, "):\n");
	if (r == NULL) {
		str_adds(out, "  (role not defined in the config: no access)\n");
		return;
	}
	if (r->nperms == 0)
		str_adds(out, "  (no permissions)\n");
	for (i = 0; i < r->nperms; i++) {
		const char *p = r->perms[i], *scope = strrchr(p, ':');
		size_t colons = 0;
		const char *q;

		for (q = p; *q; q++)
			colons += *q == ':';
		str_adds(out, "  ");
		view_add_text(out, p, 0);
		str_adds(out, " -> ");
		if (colons < 2)
			str_adds(out, "granted");
		else if (strcmp(scope, ":team") == 0)
			teams_text(out, m);
		else if (strcmp(scope, ":own") == 0)
			str_adds(out, "own data");
		else if (strcmp(scope, ":all") == 0)
			str_adds(out, "all workspace data");
		else
			str_adds(out, "granted");
		str_addc(out, '\n');
	}
}

int
view_member_show(const struct snapshot *snap, const struct config *cfg,
		 const char *email, struct str *out, struct err *e)
{
	struct str key = STR_INIT;
	const struct smember *m;
	const char *p;

	for (p = email; p && *p; p++)
		str_addc(&key, (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p);
	m = hmap_get(&snap->by_email, str_cstr(&key));
	str_release(&key);
	if (m == NULL)
		return err_set(e, "no member with email '%.200s'",
			       email ? email : "");
	fields(out, snap, cfg, m);
	provenance(out, cfg, m);
	chain(out, snap, m);
	access(out, cfg, m);
	return 0;
}

static const char *
unseated_reason(const struct smember *m)
{
	if (m->pinned & PIN_SEAT)
		return "pinned deallocation";
	if (m->suspended)
		return "suspended";
	return "waiting for a free seat";
}

void
view_seats(const struct snapshot *snap, const struct config *cfg,
	   struct str *out)
{
	int cap = view_capacity(snap, cfg), used = snap->seats_used;
	struct view_table t;
	size_t i, n = 0;

	str_addf(out, "Capacity: %d (%s)\nUsed: %d\nFree: %d\n", cap,
		 snap->capacity >= 0 ? "set by hand" : "from config", used,
		 used < cap ? cap - used : 0);
	if (used > cap)
		str_addf(out, "Over capacity by %d: the next plan shows who "
			 "would lose a seat.\n", used - cap);
	view_table_init(&t, 3);
	view_table_cell(&t, "UNSEATED");
	view_table_cell(&t, "NAME");
	view_table_cell(&t, "REASON");
	for (i = 0; i < snap->nmembers; i++) {
		const struct smember *m = snap->members[i];

		if (m->seat)
			continue;
		view_table_cell(&t, m->email);
		view_table_cell(&t, m->name);
		view_table_cell(&t, unseated_reason(m));
		n++;
	}
	if (n == 0)
		str_adds(out, "Unseated: none\n");
	else {
		str_addf(out, "Unseated: %zu\n", n);
		view_table_write(&t, out);
	}
	view_table_release(&t);
}
