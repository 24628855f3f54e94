#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "util/xmalloc.h"

static const char *op_names[CHANGE__COUNT] = {
	[CHANGE_CREATE_GROUP] = "create_group",
	[CHANGE_CREATE_TEAM] = "create_team",
	[CHANGE_UPDATE_TEAM] = "update_team",
	[CHANGE_CREATE_MEMBER] = "create_member",
	[CHANGE_UPDATE_MEMBER] = "update_member",
	[CHANGE_SET_MANAGER] = "set_manager",
	[CHANGE_REMOVE_TEAM_MEMBER] = "remove_team_member",
	[CHANGE_ADD_TEAM_MEMBER] = "add_team_member",
	[CHANGE_DEALLOCATE_SEAT] = "deallocate_seat",
	[CHANGE_ALLOCATE_SEAT] = "allocate_seat",
	[CHANGE_DELETE_MEMBER] = "delete_member",
	[CHANGE_DELETE_TEAM] = "delete_team",
	[CHANGE_DELETE_GROUP] = "delete_group",
};

const char *
change_op_name(enum change_op op)
{
	return (unsigned)op < CHANGE__COUNT ? op_names[op] : "unknown";
}

int
change_op_parse(const char *name)
{
	int i;

	for (i = 0; i < CHANGE__COUNT; i++)
		if (strcmp(op_names[i], name) == 0)
			return i;
	return -1;
}

void
plan_init(struct plan *p, struct arena *arena, const char *job,
	  const char *fingerprint)
{
	memset(p, 0, sizeof(*p));
	p->arena = arena;
	p->job = job;
	p->fingerprint = fingerprint;
	p->source_users = -1;
}

void
plan_release(struct plan *p)
{
	free(p->changes);
	free(p->warnings);
	p->changes = NULL;
	p->warnings = NULL;
	p->nchanges = p->nwarnings = 0;
	p->capchanges = p->capwarnings = 0;
}

struct change *
plan_add(struct plan *p, enum change_op op, const char *anchor,
	 const char *subject)
{
	struct change *c;

	p->changes = xgrow(p->changes, &p->capchanges, p->nchanges + 1,
			   sizeof(*p->changes));
	c = &p->changes[p->nchanges++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->anchor = anchor;
	c->subject = subject;
	return c;
}

/* Field arrays live in the plan's arena: a 100k-member plan has half a
 * million of them, and one malloc each showed in profiles. */
void
change_field(struct plan *p, struct change *c, const char *field,
	     const char *old, const char *new)
{
	if (c->nfields == c->capfields) {
		size_t cap = c->capfields ? c->capfields * 2 : 4;
		struct field_change *f = arena_alloc(p->arena, cap * sizeof(*f));

		if (c->nfields)
			memcpy(f, c->fields, c->nfields * sizeof(*f));
		c->fields = f;
		c->capfields = cap;
	}
	c->fields[c->nfields].field = field;
	c->fields[c->nfields].old = old;
	c->fields[c->nfields].new = new;
	c->nfields++;
}

void
plan_warn(struct plan *p, const struct warning *w)
{
	p->warnings = xgrow(p->warnings, &p->capwarnings, p->nwarnings + 1,
			    sizeof(*p->warnings));
	p->warnings[p->nwarnings++] = *w;
}

/* One string often is both: a member's label is the subject of each of
 * its changes, a team's name the target of all its additions. */
static int
nullcmp(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
change_cmp(const void *va, const void *vb)
{
	const struct change *a = va, *b = vb;
	int r;

	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	if ((r = nullcmp(a->subject, b->subject)) != 0)
		return r;
	if ((r = nullcmp(a->anchor, b->anchor)) != 0)
		return r;
	return nullcmp(a->target, b->target);
}

static int
warning_cmp(const void *va, const void *vb)
{
	const struct warning *a = va, *b = vb;
	int r;

	if (a->code != b->code)
		return a->code < b->code ? -1 : 1;
	if ((r = nullcmp(a->subject, b->subject)) != 0)
		return r;
	return nullcmp(a->message, b->message);
}

/* Sorts changes: bucket by op (stable, linear), then each bucket by
 * subject, skipping buckets already in order (diff emits members in email
 * order, so a large plan is mostly sorted already). */
static void
sort_changes(struct plan *p)
{
	size_t start[CHANGE__COUNT + 1] = { 0 }, at[CHANGE__COUNT];
	struct change *tmp;
	size_t i, k;
	int op;

	for (i = 0; i < p->nchanges; i++)
		start[p->changes[i].op + 1]++;
	for (op = 0; op < CHANGE__COUNT; op++)
		start[op + 1] += start[op];
	memcpy(at, start, sizeof(at));
	tmp = xmalloc((p->nchanges + 1) * sizeof(*tmp));
	for (i = 0; i < p->nchanges; i++)
		tmp[at[p->changes[i].op]++] = p->changes[i];
	free(p->changes);	/* tmp takes its place: no copy back */
	p->changes = tmp;
	p->capchanges = p->nchanges + 1;
	for (op = 0; op < CHANGE__COUNT; op++) {
		struct change *b = p->changes + start[op];
		size_t n = start[op + 1] - start[op];

		for (k = 1; k < n && change_cmp(&b[k - 1], &b[k]) <= 0; k++)
			;
		if (k < n)
			qsort(b, n, sizeof(*b), change_cmp);
	}
}

void
plan_finish(struct plan *p)
{
	struct plan_summary *s = &p->summary;
	size_t i;

	if (p->nchanges > 1)
		sort_changes(p);
	if (p->nwarnings > 1)
		qsort(p->warnings, p->nwarnings, sizeof(*p->warnings),
		      warning_cmp);
	memset(s, 0, sizeof(*s));
	for (i = 0; i < p->nchanges; i++) {
		switch (p->changes[i].op) {
		case CHANGE_CREATE_MEMBER:
		case CHANGE_CREATE_TEAM:
		case CHANGE_CREATE_GROUP:
			s->create++;
			break;
		case CHANGE_DELETE_MEMBER:
		case CHANGE_DELETE_TEAM:
		case CHANGE_DELETE_GROUP:
			s->delete++;
			break;
		case CHANGE_ALLOCATE_SEAT:
			s->seats_allocated++;
			break;
		case CHANGE_DEALLOCATE_SEAT:
			s->seats_deallocated++;
			break;
		default:
			s->update++;
			break;
		}
	}
	s->warnings = p->nwarnings;
}

void
plan_flush(struct str *out, FILE *f)
{
	if (f == NULL || out->len < 65536)
		return;
	fwrite(out->buf, 1, out->len, f);
	str_reset(out);
}

int
plan_empty(const struct plan *p)
{
	return p->nchanges == 0;
}

/* Deletions, and seats lost only to a lowered capacity: both take access
 * away from people still in the directory's good standing.  A deleted
 * team is not counted: the limits guard members, and its members stay. */
static size_t
member_deletes(const struct plan *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->nchanges; i++) {
		const struct change *c = &p->changes[i];

		n += c->op == CHANGE_DELETE_MEMBER ||
		     (c->op == CHANGE_DEALLOCATE_SEAT && c->detail != NULL &&
		      strncmp(c->detail, PLAN_REASON_CAPACITY,
			      strlen(PLAN_REASON_CAPACITY)) == 0);
	}
	return n;
}

int
plan_check_safety(const struct plan *p, const struct safety_cfg *s,
		  size_t managed, struct err *e)
{
	size_t del = member_deletes(p);

	if (s->max_deletes >= 0 && del > (size_t)s->max_deletes)
		return err_setc(e, ERR_SAFETY,
		    "refusing to delete or unseat %zu members: safety.max_deletes is %d "
		    "(review the plan, then apply --force)", del,
		    s->max_deletes);
	/* Percent of the members this job manages; a tiny job deleting one
	 * member is not a mass deletion, so the percent guard only applies
	 * once it would remove more than one member. */
	if (s->max_delete_percent >= 0 && del > 1 && managed > 0 &&
	    del * 100 > (size_t)s->max_delete_percent * managed)
		return err_setc(e, ERR_SAFETY,
		    "refusing to delete or unseat %zu of %zu members (%zu%%): "
		    "safety.max_delete_percent is %d (review the plan, then "
		    "apply --force)", del, managed, del * 100 / managed,
		    s->max_delete_percent);
	return 0;
}
