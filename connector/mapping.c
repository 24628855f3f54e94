/*
 * mapping: loads a mapping file (DESIGN §5) into struct mapping, compiling
 * every template and filter so that `check` finds all syntax problems at
 * FILE:LINE:COL before any sync runs.
 */
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "mapping.h"
#include "template.h"
#include "util/xmalloc.h"
#include "yaml_tree.h"

#define DEFAULT_NAME "{displayName|default:{cn}}"
#define DEFAULT_ROLE "Member"
#define DEFAULT_TEAM_TYPE "Other"

/* The team types the workspace knows (DESIGN §1). */
static const char *const team_types[] = {
	"Customer Success", "Sales", "Support", "Talent Acquisition", "Other",
	NULL
};

struct mctx {
	const struct yaml_tree *t;
	struct err *e;
};

static int
tpl_node(struct mctx *x, const struct ynode *n, const char *what,
	 struct template **out)
{
	struct err te = { ERR_NONE, "" };
	int col = 0;
	struct template *tp;

	if (yaml_tree_expect(x->t, n, YNODE_SCALAR, what, x->e) < 0)
		return -1;
	tp = template_parse(n->str, &col, &te);
	if (tp == NULL)
		return yaml_tree_error_col(x->t, n, col, x->e, te.msg);
	template_free(*out);
	*out = tp;
	return 0;
}

/* Compiles the template under key (absent: *out untouched, or an error
 * if required). */
static int
tpl_key(struct mctx *x, const struct ynode *map, const char *key,
	int required, const char *where, struct template **out)
{
	const struct ynode *n;

	if (yaml_tree_child(x->t, map, key, YNODE_SCALAR, required, where, &n,
			    x->e) < 0)
		return -1;
	return n ? tpl_node(x, n, key, out) : 0;
}

static int
filter_node(struct mctx *x, const struct ynode *n, const char *what,
	    struct filter **out, char **text)
{
	struct err fe = { ERR_NONE, "" };
	int col = 0;
	struct filter *f;

	if (yaml_tree_expect(x->t, n, YNODE_SCALAR, what, x->e) < 0)
		return -1;
	f = filter_parse(n->str, &col, &fe);
	if (f == NULL)
		return yaml_tree_error_col(x->t, n, col, x->e, fe.msg);
	*out = f;
	*text = xstrdup(n->str);
	return 0;
}

static int
filter_key(struct mctx *x, const struct ynode *map, const char *key,
	   int required, const char *where, struct filter **out, char **text)
{
	const struct ynode *n;

	if (yaml_tree_child(x->t, map, key, YNODE_SCALAR, required, where, &n,
			    x->e) < 0)
		return -1;
	return n ? filter_node(x, n, key, out, text) : 0;
}

/* An attribute name: no spaces or braces, so that a template or filter
 * pasted where a plain attribute belongs is caught. */
static int
attr_key(struct mctx *x, const struct ynode *map, const char *key,
	 int required, const char *where, char **out)
{
	const struct ynode *n;
	const char *p;

	if (yaml_tree_child(x->t, map, key, YNODE_SCALAR, required, where, &n,
			    x->e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	for (p = n->str; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("{}()|=*", *p))
			return yaml_tree_error(x->t, n, x->e,
					       "'%s' must be an attribute name, not '%.100s'",
					       key, n->str);
	*out = xstrdup(n->str);
	return 0;
}

static int
cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct field_map *)a)->name,
		      ((const struct field_map *)b)->name);
}

static int
parse_fields(struct mctx *x, struct mapping *m, const struct ynode *map)
{
	size_t i;

	if (map == NULL)
		return 0;
	m->fields = xcalloc(map->n, sizeof(*m->fields));
	for (i = 0; i < map->n; i++) {
		struct field_map *f = &m->fields[m->nfields];

		if (tpl_node(x, map->items[i], map->keys[i]->str, &f->tpl) < 0)
			return -1;
		f->name = xstrdup(map->keys[i]->str);
		m->nfields++;
	}
	qsort(m->fields, m->nfields, sizeof(*m->fields), cmp_field);
	return 0;
}

static int
parse_member(struct mctx *x, struct mapping *m, const struct ynode *root)
{
	static const char *const keys[] = { "anchor", "email", "name",
		"manager", "custom_fields", "include", NULL };
	const struct ynode *n, *cf;
	int col = 0;

	if (yaml_tree_child(x->t, root, "member", YNODE_MAP, 1, "mapping", &n,
			    x->e) < 0 ||
	    yaml_tree_check_keys(x->t, n, keys, "member", x->e) < 0 ||
	    attr_key(x, n, "anchor", 1, "member", &m->anchor) < 0 ||
	    tpl_key(x, n, "email", 1, "member", &m->email) < 0 ||
	    tpl_key(x, n, "name", 0, "member", &m->name) < 0 ||
	    attr_key(x, n, "manager", 0, "member", &m->manager) < 0 ||
	    yaml_tree_child(x->t, n, "custom_fields", YNODE_MAP, 0, "member",
			    &cf, x->e) < 0 ||
	    parse_fields(x, m, cf) < 0 ||
	    filter_key(x, n, "include", 0, "member", &m->include,
		       &m->include_text) < 0)
		return -1;
	if (m->name == NULL)
		m->name = template_parse(DEFAULT_NAME, &col, x->e);
	return m->name ? 0 : -1;
}

static int
parse_role_rules(struct mctx *x, struct mapping *m, const struct ynode *seq)
{
	static const char *const keys[] = { "when", "role", NULL };
	size_t i;

	if (seq == NULL)
		return 0;
	m->role_rules = xcalloc(seq->n, sizeof(*m->role_rules));
	for (i = 0; i < seq->n; i++) {
		const struct ynode *r = seq->items[i], *rn;
		struct role_rule *rr = &m->role_rules[m->nrole_rules];

		if (yaml_tree_expect(x->t, r, YNODE_MAP, "rules entry", x->e) < 0 ||
		    yaml_tree_check_keys(x->t, r, keys, "role rule", x->e) < 0 ||
		    yaml_tree_child(x->t, r, "role", YNODE_SCALAR, 1,
				    "role rule", &rn, x->e) < 0)
			return -1;
		m->nrole_rules++;
		rr->role = xstrdup(rn->str);
		rr->line = rn->line;
		rr->col = rn->col + rn->quoted;
		if (filter_key(x, r, "when", 1, "role rule", &rr->when,
			       &rr->when_text) < 0)
			return -1;
	}
	return 0;
}

static int
parse_role(struct mctx *x, struct mapping *m, const struct ynode *root)
{
	static const char *const keys[] = { "default", "rules", NULL };
	const struct ynode *n, *d, *rules;

	if (yaml_tree_child(x->t, root, "role", YNODE_MAP, 0, "mapping", &n,
			    x->e) < 0 ||
	    yaml_tree_check_keys(x->t, n, keys, "role", x->e) < 0 ||
	    yaml_tree_child(x->t, n, "default", YNODE_SCALAR, 0, "role", &d,
			    x->e) < 0 ||
	    yaml_tree_child(x->t, n, "rules", YNODE_SEQ, 0, "role", &rules,
			    x->e) < 0)
		return -1;
	if (d) {
		m->role_default = xstrdup(d->str);
		m->role_default_line = d->line;
		m->role_default_col = d->col + d->quoted;
	} else {
		m->role_default = xstrdup(DEFAULT_ROLE);
	}
	return parse_role_rules(x, m, rules);
}

static int
team_type(struct mctx *x, const struct ynode *n, char **out)
{
	size_t i;

	if (yaml_tree_expect(x->t, n, YNODE_SCALAR, "type", x->e) < 0)
		return -1;
	for (i = 0; team_types[i]; i++) {
		if (strcmp(n->str, team_types[i]) == 0) {
			free(*out);
			*out = xstrdup(n->str);
			return 0;
		}
	}
	return yaml_tree_error(x->t, n, x->e,
			       "unknown team type '%.100s' (expected Customer "
			       "Success, Sales, Support, Talent Acquisition or "
			       "Other)", n->str);
}

static int
parse_type_rules(struct mctx *x, struct team_rule *tr, const struct ynode *seq)
{
	static const char *const keys[] = { "when", "type", NULL };
	size_t i;

	if (seq == NULL)
		return 0;
	tr->type_rules = xcalloc(seq->n, sizeof(*tr->type_rules));
	for (i = 0; i < seq->n; i++) {
		const struct ynode *r = seq->items[i], *tn;
		struct type_rule *ty = &tr->type_rules[tr->ntype_rules];

		if (yaml_tree_expect(x->t, r, YNODE_MAP, "rules entry", x->e) < 0 ||
		    yaml_tree_check_keys(x->t, r, keys, "type rule", x->e) < 0 ||
		    yaml_tree_child(x->t, r, "type", YNODE_SCALAR, 1,
				    "type rule", &tn, x->e) < 0)
			return -1;
		tr->ntype_rules++;
		if (team_type(x, tn, &ty->type) < 0 ||
		    filter_key(x, r, "when", 1, "type rule", &ty->when,
			       &ty->when_text) < 0)
			return -1;
	}
	return 0;
}

/* type: "Sales", or { default: Other, rules: [ {when, type} ] }. */
static int
parse_team_type(struct mctx *x, struct team_rule *tr, const struct ynode *n)
{
	static const char *const keys[] = { "default", "rules", NULL };
	const struct ynode *d, *rules;

	tr->type_default = xstrdup(DEFAULT_TEAM_TYPE);
	if (yaml_tree_is_null(n))
		return 0;
	if (n->kind == YNODE_SCALAR)
		return team_type(x, n, &tr->type_default);
	if (yaml_tree_expect(x->t, n, YNODE_MAP, "type", x->e) < 0 ||
	    yaml_tree_check_keys(x->t, n, keys, "team type", x->e) < 0 ||
	    yaml_tree_child(x->t, n, "default", YNODE_SCALAR, 0, "team type",
			    &d, x->e) < 0 ||
	    (d && team_type(x, d, &tr->type_default) < 0) ||
	    yaml_tree_child(x->t, n, "rules", YNODE_SEQ, 0, "team type",
			    &rules, x->e) < 0)
		return -1;
	return parse_type_rules(x, tr, rules);
}

/* One analytics toggle; absent leaves *out TOGGLE_UNSET. */
static int
toggle_key(struct mctx *x, const struct ynode *map, const char *key,
	   enum toggle *out)
{
	int v = -1;

	if (yaml_tree_bool(x->t, map, key, &v, x->e) < 0)
		return -1;
	if (v >= 0)
		*out = v ? TOGGLE_ON : TOGGLE_OFF;
	return 0;
}

/* analytics: { conversations: true|false, contacts: true|false }. */
static int
parse_analytics(struct mctx *x, struct team_rule *tr, const struct ynode *n)
{
	static const char *const keys[] = { "conversations", "contacts", NULL };
	const struct ynode *a;

	if (yaml_tree_child(x->t, n, "analytics", YNODE_MAP, 0, "team", &a,
			    x->e) < 0)
		return -1;
	if (a == NULL)
		return 0;
	if (yaml_tree_check_keys(x->t, a, keys, "analytics", x->e) < 0 ||
	    toggle_key(x, a, "conversations", &tr->analytics_conversations) < 0 ||
	    toggle_key(x, a, "contacts", &tr->analytics_contacts) < 0)
		return -1;
	return 0;
}

static int
parse_team(struct mctx *x, struct team_rule *tr, const struct ynode *n)
{
	static const char *const keys[] = { "from", "when", "name", "type",
		"group", "description", "color", "attribute", "analytics",
		NULL };
	const struct ynode *from;

	if (yaml_tree_expect(x->t, n, YNODE_MAP, "teams entry", x->e) < 0 ||
	    yaml_tree_check_keys(x->t, n, keys, "team", x->e) < 0 ||
	    yaml_tree_child(x->t, n, "from", YNODE_SCALAR, 1, "team", &from,
			    x->e) < 0)
		return -1;
	if (strcmp(from->str, "groups") == 0)
		tr->from = TEAM_FROM_GROUPS;
	else if (strcmp(from->str, "attribute") == 0)
		tr->from = TEAM_FROM_ATTRIBUTE;
	else
		return yaml_tree_error(x->t, from, x->e,
				       "unknown team source '%.100s' (expected "
				       "groups or attribute)", from->str);
	if (attr_key(x, n, "attribute", tr->from == TEAM_FROM_ATTRIBUTE,
		     "team", &tr->attribute) < 0)
		return -1;
	if (tr->from == TEAM_FROM_GROUPS && tr->attribute)
		return yaml_tree_error(x->t, yaml_tree_get(n, "attribute", NULL),
				       x->e, "'attribute' needs from: attribute");
	if (filter_key(x, n, "when", 0, "team", &tr->when, &tr->when_text) < 0 ||
	    tpl_key(x, n, "name", 0, "team", &tr->name) < 0 ||
	    parse_team_type(x, tr, yaml_tree_get(n, "type", NULL)) < 0 ||
	    tpl_key(x, n, "group", 0, "team", &tr->group) < 0 ||
	    tpl_key(x, n, "description", 0, "team", &tr->description) < 0 ||
	    yaml_tree_str(x->t, n, "color", 0, "team", &tr->color, x->e) < 0 ||
	    parse_analytics(x, tr, n) < 0)
		return -1;
	return 0;
}

static int
parse_teams(struct mctx *x, struct mapping *m, const struct ynode *root)
{
	const struct ynode *seq;
	size_t i;

	if (yaml_tree_child(x->t, root, "teams", YNODE_SEQ, 0, "mapping", &seq,
			    x->e) < 0)
		return -1;
	if (seq == NULL)
		return 0;
	m->teams = xcalloc(seq->n, sizeof(*m->teams));
	for (i = 0; i < seq->n; i++) {
		m->nteams++;
		if (parse_team(x, &m->teams[i], seq->items[i]) < 0)
			return -1;
	}
	return 0;
}

static int
parse_seat(struct mctx *x, struct mapping *m, const struct ynode *root)
{
	static const char *const keys[] = { "eligible", "priority", NULL };
	const struct ynode *n, *prio;
	size_t i;

	if (yaml_tree_child(x->t, root, "seat", YNODE_MAP, 0, "mapping", &n,
			    x->e) < 0 ||
	    yaml_tree_check_keys(x->t, n, keys, "seat", x->e) < 0 ||
	    filter_key(x, n, "eligible", 0, "seat", &m->seat_eligible,
		       &m->seat_eligible_text) < 0 ||
	    yaml_tree_child(x->t, n, "priority", YNODE_SEQ, 0, "seat", &prio,
			    x->e) < 0)
		return -1;
	if (prio == NULL)
		return 0;
	m->seat_priority = xcalloc(prio->n, sizeof(*m->seat_priority));
	m->seat_priority_text = xcalloc(prio->n, sizeof(*m->seat_priority_text));
	for (i = 0; i < prio->n; i++) {
		if (filter_node(x, prio->items[i], "priority entry",
				&m->seat_priority[i],
				&m->seat_priority_text[i]) < 0)
			return -1;
		m->nseat_priority++;
	}
	return 0;
}

static int
parse_adopt(struct mctx *x, struct mapping *m, const struct ynode *root)
{
	const struct ynode *n;

	if (yaml_tree_child(x->t, root, "adopt", YNODE_SCALAR, 0, "mapping", &n,
			    x->e) < 0)
		return -1;
	if (n == NULL || strcmp(n->str, "none") == 0 ||
	    strcmp(n->str, "false") == 0)
		return 0;
	if (strcmp(n->str, "email") == 0) {
		m->adopt_email = 1;
		return 0;
	}
	return yaml_tree_error(x->t, n, x->e,
			       "unknown adopt '%.100s' (expected email or none)",
			       n->str);
}

static int
parse(struct mctx *x, struct mapping *m)
{
	static const char *const keys[] = { "member", "role", "teams", "seat",
		"adopt", NULL };
	const struct ynode *root = x->t->root;

	if (root == NULL)
		return yaml_tree_error(x->t, NULL, x->e, "empty mapping file");
	if (yaml_tree_expect(x->t, root, YNODE_MAP, "mapping", x->e) < 0 ||
	    yaml_tree_check_keys(x->t, root, keys, "mapping", x->e) < 0 ||
	    parse_member(x, m, root) < 0 || parse_role(x, m, root) < 0 ||
	    parse_teams(x, m, root) < 0 || parse_seat(x, m, root) < 0 ||
	    parse_adopt(x, m, root) < 0)
		return -1;
	return 0;
}

int
mapping_load(const char *path, struct mapping **out, struct err *e)
{
	struct yaml_tree *t = NULL;
	struct mapping *m = NULL;
	struct mctx x;
	int rc = -1;

	if (yaml_tree_load(path, &t, e) < 0)
		goto out;
	m = xcalloc(1, sizeof(*m));
	m->path = xstrdup(path);
	x.t = t;
	x.e = e;
	if (parse(&x, m) < 0)
		goto out;
	*out = m;
	m = NULL;
	rc = 0;
out:
	mapping_free(m);
	yaml_tree_free(t);
	return rc;
}

static void
team_rule_release(struct team_rule *tr)
{
	size_t i;

	filter_free(tr->when);
	free(tr->when_text);
	template_free(tr->name);
	free(tr->attribute);
	free(tr->type_default);
	for (i = 0; i < tr->ntype_rules; i++) {
		filter_free(tr->type_rules[i].when);
		free(tr->type_rules[i].when_text);
		free(tr->type_rules[i].type);
	}
	free(tr->type_rules);
	template_free(tr->group);
	template_free(tr->description);
	free(tr->color);
}

void
mapping_free(struct mapping *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nattrs; i++)
		free(m->attrs[i]);
	free(m->attrs);
	free(m->path);
	free(m->anchor);
	template_free(m->email);
	template_free(m->name);
	free(m->manager);
	for (i = 0; i < m->nfields; i++) {
		free(m->fields[i].name);
		template_free(m->fields[i].tpl);
	}
	free(m->fields);
	filter_free(m->include);
	free(m->include_text);
	free(m->role_default);
	for (i = 0; i < m->nrole_rules; i++) {
		filter_free(m->role_rules[i].when);
		free(m->role_rules[i].when_text);
		free(m->role_rules[i].role);
	}
	free(m->role_rules);
	for (i = 0; i < m->nteams; i++)
		team_rule_release(&m->teams[i]);
	free(m->teams);
	filter_free(m->seat_eligible);
	free(m->seat_eligible_text);
	for (i = 0; i < m->nseat_priority; i++) {
		filter_free(m->seat_priority[i]);
		free(m->seat_priority_text[i]);
	}
	free(m->seat_priority);
	free(m->seat_priority_text);
	free(m);
}
