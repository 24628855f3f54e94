/*
 * desired_teams: teams and team groups (DESIGN §1, §5).
 *
 * A group becomes (at most) one team: the first `teams` rule whose `when`
 * matches it.  Its members are the users it contains, directly or through
 * nested groups: record->in_groups, which group linking computed
 * (cycle-safe).  An attribute rule makes one team per value.
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
	size_t idx;			/* in d->members */
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
add_pair(struct tstate *ts, size_t idx, const char *team)
{
	ts->pairs = xgrow(ts->pairs, &ts->cappairs, ts->npairs + 1,
			  sizeof(*ts->pairs));
	ts->pairs[ts->npairs].idx = idx;
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
	t->analytics_conversations = tr->analytics_conversations;
	t->analytics_contacts = tr->analytics_contacts;
	hmap_put(&ts->teams, name, t);
	return t;
}

static int
group_key_cmp(const void *a, const void *b, void *arg)
{
	struct record *const *groups = arg;

	return strcmp(groups[*(const size_t *)a]->key,
		      groups[*(const size_t *)b]->key);
}

/* The team name of group g, from the first rule matching it, or NULL. */
static const char *
group_team(struct tstate *ts, const struct mapping *m, const struct record *gr)
{
	for (size_t i = 0; i < m->nteams; i++) {
		const struct team_rule *tr = &m->teams[i];
		const char *name;

		if (tr->from != TEAM_FROM_GROUPS || !filter_match(tr->when, gr))
			continue;
		name = tr->name ? render_opt(ts, tr->name, gr) :
		    record_first(gr, "cn");
		if (name == NULL || *name == '\0')
			return NULL;
		if (tr->name == NULL)
			name = arena_strdup(ts->d->arena, name);
		return team_get(ts, name, tr, gr,
				arena_strdup(ts->d->arena, gr->id))->name;
	}
	return NULL;
}

/* Groups are visited in key order, not the source's: the first group that
 * names a team decides its type and group, deterministically.  Members
 * are visited once each, through the groups linking found them in. */
static void
teams_from_groups(struct tstate *ts, const struct mapping *m)
{
	size_t ng = ts->rs->ngroups, *order;
	const char **team;

	order = xmalloc((ng + 1) * sizeof(*order));
	team = xcalloc(ng + 1, sizeof(*team));
	for (size_t g = 0; g < ng; g++)
		order[g] = g;
	qsort_r(order, ng, sizeof(*order), group_key_cmp, ts->rs->groups);
	for (size_t g = 0; g < ng; g++)
		team[order[g]] = group_team(ts, m, ts->rs->groups[order[g]]);
	for (size_t i = 0; i < ts->d->nmembers; i++) {
		const struct record *r = ts->d->members[i]->rec;

		for (size_t j = 0; j < r->nin_groups; j++)
			if (team[r->in_groups[j]] != NULL)
				add_pair(ts, i, team[r->in_groups[j]]);
	}
	free(team);
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
			add_pair(ts, i, name);
		}
	}
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

/* Gives each member its sorted, unique team list: pairs bucketed by
 * member (counting sort), then each member's few names sorted. */
static void
assign_pairs(struct tstate *ts)
{
	struct desired *d = ts->d;
	size_t *start = xcalloc(d->nmembers + 1, sizeof(*start));
	const char **names = xmalloc((ts->npairs + 1) * sizeof(*names));

	for (size_t i = 0; i < ts->npairs; i++)
		start[ts->pairs[i].idx + 1]++;
	for (size_t i = 0; i < d->nmembers; i++)
		start[i + 1] += start[i];
	for (size_t i = 0; i < ts->npairs; i++)	/* start[idx] ends at idx + 1 */
		names[start[ts->pairs[i].idx]++] = ts->pairs[i].team;
	for (size_t i = 0, from = 0; i < d->nmembers; from = start[i++]) {
		struct dmember *dm = d->members[i];
		size_t n = 0;

		if (start[i] == from)
			continue;
		qsort(names + from, start[i] - from, sizeof(*names), str_cmp);
		dm->teams = arena_alloc(d->arena, (start[i] - from) *
					sizeof(char *));
		for (size_t k = from; k < start[i]; k++)
			if (n == 0 || strcmp(dm->teams[n - 1], names[k]) != 0)
				dm->teams[n++] = names[k];
		dm->nteams = n;
	}
	free(names);
	free(start);
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
