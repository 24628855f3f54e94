/*
 * desired_teams: teams and team groups (DESIGN §1, §5).
 *
 * A group becomes (at most) one team: the first `teams` rule whose `when`
 * matches it.  Its members are the users it contains, directly or through
 * nested groups (cycle-safe).  An attribute rule makes one team per value.
 * When two sources name the same team, the first rule (then the first
 * group in key order) decides its type, group and description.
 */
#include <stdlib.h>
#include <string.h>

#include "desired_int.h"
#include "filter.h"
#include "template.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct pair {
	struct dmember *dm;
	const char *team;
};

struct tstate {
	struct desired *d;
	const struct recordset *rs;
	struct hmap teams;		/* name -> struct dteam */
	struct pair *pairs;
	size_t npairs, cappairs;
	struct str buf;
};

static void
add_pair(struct tstate *ts, struct dmember *dm, const char *team)
{
	ts->pairs = xgrow(ts->pairs, &ts->cappairs, ts->npairs + 1,
			  sizeof(*ts->pairs));
	ts->pairs[ts->npairs].dm = dm;
	ts->pairs[ts->npairs].team = team;
	ts->npairs++;
}

/* Renders t on r, trimmed and UTF-8 clean, into the arena; NULL if empty. */
static const char *
render_opt(struct tstate *ts, const struct template *t, const struct record *r)
{
	struct str clean = STR_INIT;
	const char *p;
	size_t n;
	char *out;

	if (t == NULL)
		return NULL;
	str_reset(&ts->buf);
	template_render(t, r, &ts->buf, NULL);
	p = str_cstr(&ts->buf);
	n = ts->buf.len;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return NULL;
	str_add_utf8_clean(&clean, p, n);
	out = arena_strdup(ts->d->arena, str_cstr(&clean));
	str_release(&clean);
	return out;
}

static const char *
team_type(const struct team_rule *tr, const struct record *r)
{
	size_t i;

	for (i = 0; i < tr->ntype_rules; i++)
		if (filter_match(tr->type_rules[i].when, r))
			return tr->type_rules[i].type;
	return tr->type_default ? tr->type_default : "Other";
}

/* Returns the team called name, creating it from rule tr and record r. */
static struct dteam *
team_get(struct tstate *ts, const char *name, const struct team_rule *tr,
	 const struct record *r, const char *source)
{
	struct dteam *t = hmap_get(&ts->teams, name);

	if (t != NULL)
		return t;
	t = arena_zalloc(ts->d->arena, sizeof(*t));
	t->name = name;
	t->type = team_type(tr, r);
	t->group = render_opt(ts, tr->group, r);
	t->description = render_opt(ts, tr->description, r);
	t->color = tr->color;
	t->source = source;
	hmap_put(&ts->teams, name, t);
	return t;
}

/* Adds every user under group g (nested groups included) to team. */
static void
add_group_members(struct tstate *ts, const struct record *g,
		  const char *team)
{
	const struct record **stack = NULL;
	size_t n = 0, cap = 0, i;
	struct hmap seen;

	hmap_init(&seen);
	stack = xgrow(stack, &cap, 1, sizeof(*stack));
	stack[n++] = g;
	hmap_put(&seen, g->anchor, (void *)g);
	while (n > 0) {
		const struct record *cur = stack[--n];

		for (i = 0; i < cur->nmembers; i++) {
			const char *k = cur->member_keys[i] ?
			    cur->member_keys[i] : cur->members[i];
			struct record *r = recordset_find(ts->rs, k);
			struct dmember *dm;

			if (r == NULL || hmap_has(&seen, r->anchor))
				continue;
			hmap_put(&seen, r->anchor, r);
			if (r->kind == RECORD_GROUP) {
				stack = xgrow(stack, &cap, n + 1, sizeof(*stack));
				stack[n++] = r;
			} else if ((dm = hmap_get(&ts->d->by_anchor, r->anchor)))
				add_pair(ts, dm, team);
		}
	}
	free(stack);
	hmap_release(&seen);
}

static int
group_key_cmp(const void *a, const void *b)
{
	return strcmp((*(struct record *const *)a)->key,
		      (*(struct record *const *)b)->key);
}

/* Groups are visited in key order, not the source's: the first group that
 * names a team decides its type and group, deterministically. */
static void
teams_from_groups(struct tstate *ts, const struct mapping *m)
{
	struct record **order;
	size_t g, i;

	order = xmalloc((ts->rs->ngroups + 1) * sizeof(*order));
	memcpy(order, ts->rs->groups, ts->rs->ngroups * sizeof(*order));
	qsort(order, ts->rs->ngroups, sizeof(*order), group_key_cmp);
	for (g = 0; g < ts->rs->ngroups; g++) {
		const struct record *gr = order[g];

		for (i = 0; i < m->nteams; i++) {
			const struct team_rule *tr = &m->teams[i];
			const char *name;

			if (tr->from != TEAM_FROM_GROUPS ||
			    !filter_match(tr->when, gr))
				continue;
			name = tr->name ? render_opt(ts, tr->name, gr) :
			    record_first(gr, "cn");
			if (name == NULL || *name == '\0')
				break;
			if (tr->name == NULL)
				name = arena_strdup(ts->d->arena, name);
			name = team_get(ts, name, tr, gr,
			    arena_strdup(ts->d->arena, gr->id))->name;
			add_group_members(ts, gr, name);
			break;
		}
	}
	free(order);
}

static void
teams_from_attribute(struct tstate *ts, const struct team_rule *tr)
{
	struct desired *d = ts->d;
	size_t i, v;

	for (i = 0; i < d->nmembers; i++) {
		struct dmember *dm = d->members[i];
		const struct attr *a = record_attr(dm->rec, tr->attribute);

		for (v = 0; a != NULL && v < a->n; v++) {
			struct str c = STR_INIT;
			const char *name;

			str_add_utf8_clean(&c, a->vals[v], strlen(a->vals[v]));
			name = c.len ? arena_strdup(d->arena, str_cstr(&c)) : NULL;
			str_release(&c);
			if (name == NULL)
				continue;
			name = team_get(ts, name, tr, dm->rec, tr->attribute)->name;
			add_pair(ts, dm, name);
		}
	}
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int r = strcmp(x->dm->anchor, y->dm->anchor);

	return r ? r : strcmp(x->team, y->team);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
team_cmp(const void *a, const void *b)
{
	return strcmp((*(struct dteam *const *)a)->name,
		      (*(struct dteam *const *)b)->name);
}

/* Gives each member its sorted, unique team list. */
static void
assign_pairs(struct tstate *ts)
{
	size_t i = 0, j, k, n;

	qsort(ts->pairs, ts->npairs, sizeof(*ts->pairs), pair_cmp);
	while (i < ts->npairs) {
		struct dmember *dm = ts->pairs[i].dm;

		for (j = i; j < ts->npairs && ts->pairs[j].dm == dm; j++)
			;
		dm->teams = arena_alloc(ts->d->arena, (j - i) * sizeof(char *));
		for (k = i, n = 0; k < j; k++)
			if (n == 0 || strcmp(dm->teams[n - 1], ts->pairs[k].team))
				dm->teams[n++] = ts->pairs[k].team;
		dm->nteams = n;
		i = j;
	}
}

/* Collects teams and their team groups, sorted by name. */
static void
collect(struct tstate *ts)
{
	struct desired *d = ts->d;
	struct hmap groups;
	const char *key;
	void *val;
	size_t i = 0;

	hmap_init(&groups);
	d->teams = xmalloc((ts->teams.len + 1) * sizeof(*d->teams));
	while (hmap_next(&ts->teams, &i, &key, &val)) {
		struct dteam *t = val;

		d->teams[d->nteams++] = t;
		if (t->group != NULL)
			hmap_put(&groups, t->group, (void *)t->group);
	}
	qsort(d->teams, d->nteams, sizeof(*d->teams), team_cmp);
	d->groups = xmalloc((groups.len + 1) * sizeof(*d->groups));
	for (i = 0; hmap_next(&groups, &i, &key, &val);)
		d->groups[d->ngroups++] = key;
	qsort(d->groups, d->ngroups, sizeof(*d->groups), str_cmp);
	hmap_release(&groups);
}

void
desired_teams(const struct mapping *m, const struct recordset *rs,
	      struct desired *d)
{
	struct tstate ts = { .d = d, .rs = rs };
	size_t i;

	hmap_init(&ts.teams);
	str_init(&ts.buf);
	teams_from_groups(&ts, m);
	for (i = 0; i < m->nteams; i++)
		if (m->teams[i].from == TEAM_FROM_ATTRIBUTE)
			teams_from_attribute(&ts, &m->teams[i]);
	assign_pairs(&ts);
	collect(&ts);
	free(ts.pairs);
	str_release(&ts.buf);
	hmap_release(&ts.teams);
}
