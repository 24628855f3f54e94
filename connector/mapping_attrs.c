/*
 * mapping_attrs: the attribute list a source asks for (mapping.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "mapping.h"
#include "template.h"
#include "util/xmalloc.h"

static void
add(void *arg, const char *name)
{
	struct mapping *m = arg;
	size_t i;

	if (name == NULL || *name == '\0')
		return;
	for (i = 0; i < m->nattrs; i++)
		if (strcasecmp(m->attrs[i], name) == 0)
			return;
	m->attrs = xgrow(m->attrs, &m->capattrs, m->nattrs + 2,
			 sizeof(*m->attrs));
	m->attrs[m->nattrs++] = xstrdup(name);
	m->attrs[m->nattrs] = NULL;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static void
team_attrs(struct mapping *m, const struct team_rule *t)
{
	size_t i;

	filter_attrs(t->when, add, m);
	template_attrs(t->name, add, m);
	template_attrs(t->group, add, m);
	template_attrs(t->description, add, m);
	add(m, t->attribute);
	for (i = 0; i < t->ntype_rules; i++)
		filter_attrs(t->type_rules[i].when, add, m);
}

const char *const *
mapping_attrs(struct mapping *m)
{
	static const char *const always[] = {
		"cn", "member", "uniqueMember", "memberOf", "displayName",
	};
	size_t i;

	if (m->nattrs > 0)
		return (const char *const *)m->attrs;
	for (i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		add(m, always[i]);
	add(m, m->anchor);
	add(m, m->manager);
	template_attrs(m->email, add, m);
	template_attrs(m->name, add, m);
	for (i = 0; i < m->nfields; i++)
		template_attrs(m->fields[i].tpl, add, m);
	filter_attrs(m->include, add, m);
	for (i = 0; i < m->nrole_rules; i++)
		filter_attrs(m->role_rules[i].when, add, m);
	for (i = 0; i < m->nteams; i++)
		team_attrs(m, &m->teams[i]);
	filter_attrs(m->seat_eligible, add, m);
	for (i = 0; i < m->nseat_priority; i++)
		filter_attrs(m->seat_priority[i], add, m);
	qsort(m->attrs, m->nattrs, sizeof(*m->attrs), name_cmp);
	return (const char *const *)m->attrs;
}
