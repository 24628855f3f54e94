/*
 * view_teams: the `teams` table and the `groups` listing (DESIGN §3).
 * Teams without a group are listed under "Ungrouped" (DESIGN §1: deleting
 * a group moves its teams there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"
#include "util/xmalloc.h"

static int
team_cmp(const void *a, const void *b)
{
	const struct steam *x = *(const struct steam *const *)a;
	const struct steam *y = *(const struct steam *const *)b;

	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The teams sorted by name; free() the array. */
static const struct steam **
sorted_teams(const struct snapshot *snap)
{
	const struct steam **v = xcalloc(snap->nteams + 1, sizeof(*v));

	memcpy(v, snap->teams, snap->nteams * sizeof(*v));
	qsort(v, snap->nteams, sizeof(*v), team_cmp);
	return v;
}

/* The analytics toggles that are on: "conversations, contacts", or "-". */
static const char *
analytics(const struct steam *t)
{
	if (t->analytics_conversations && t->analytics_contacts)
		return "conversations, contacts";
	if (t->analytics_conversations)
		return "conversations";
	return t->analytics_contacts ? "contacts" : NULL;
}

void
view_teams(const struct snapshot *snap, struct str *out)
{
	static const char *const head[] = { "NAME", "TYPE", "GROUP",
		"MEMBERS", "ANALYTICS", "MANAGED" };
	enum { NCOLS = sizeof(head) / sizeof(head[0]) };
	const struct steam **v = sorted_teams(snap);
	struct view_table t;
	char num[32];
	size_t i;

	view_table_init(&t, NCOLS);
	for (i = 0; i < NCOLS; i++)
		view_table_cell(&t, head[i]);
	for (i = 0; i < snap->nteams; i++) {
		snprintf(num, sizeof(num), "%zu", v[i]->nmembers);
		view_table_cell(&t, v[i]->name);
		view_table_cell(&t, v[i]->type);
		view_table_cell(&t, v[i]->group);
		view_table_cell(&t, num);
		view_table_cell(&t, analytics(v[i]));
		view_table_cell(&t, v[i]->managed_by);
	}
	view_table_write(&t, out);
	view_table_release(&t);
	free(v);
}

/* Group names: the snapshot's, plus any a team names that the list lacks
 * (defensive), sorted and unique; free() the array. */
static const char **
group_names(const struct snapshot *snap, size_t *n)
{
	const char **g = xcalloc(snap->ngroups + snap->nteams + 1, sizeof(*g));
	size_t i, k = 0;

	for (i = 0; i < snap->ngroups; i++)
		if (snap->groups[i] != NULL)
			g[k++] = snap->groups[i];
	for (i = 0; i < snap->nteams; i++)
		if (snap->teams[i]->group != NULL)
			g[k++] = snap->teams[i]->group;
	qsort(g, k, sizeof(*g), str_cmp);
	for (i = 0, *n = 0; i < k; i++)
		if (*n == 0 || strcmp(g[*n - 1], g[i]) != 0)
			g[(*n)++] = g[i];
	return g;
}

/* Lists the teams of group (NULL: ungrouped), indented. */
static void
list_teams(const struct steam **v, size_t n, const char *group,
	   struct str *out)
{
	size_t i, shown = 0;

	for (i = 0; i < n; i++) {
		if (group == NULL ? v[i]->group != NULL :
		    v[i]->group == NULL || strcmp(v[i]->group, group) != 0)
			continue;
		str_adds(out, "  ");
		view_add_text(out, v[i]->name ? v[i]->name : "", 0);
		str_addc(out, '\n');
		shown++;
	}
	if (shown == 0)
		str_adds(out, "  (no teams)\n");
}

void
view_groups(const struct snapshot *snap, struct str *out)
{
	const struct steam **v = sorted_teams(snap);
	size_t n, i;
	const char **g = group_names(snap, &n);

	for (i = 0; i < n; i++) {
		view_add_text(out, g[i], 0);
		str_addc(out, '\n');
		list_teams(v, snap->nteams, g[i], out);
	}
	str_adds(out, "Ungrouped\n");
	list_teams(v, snap->nteams, NULL, out);
	free(g);
	free(v);
}
