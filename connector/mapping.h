/*
 * mapping: a mapping file (DESIGN §5), compiled.
 *
 * mapping_load() parses the YAML, compiles every template and filter and
 * reports the first problem as "FILE:LINE:COL: message" (ERR_CONFIG).
 * Role names are checked against the config's roles by config_load().
 * Ownership: mapping_free() frees everything.
 */
#ifndef HS_MAPPING_H
#define HS_MAPPING_H

#include <stddef.h>

#include "util/err.h"

struct template;
struct filter;

struct field_map {
	char *name;
	struct template *tpl;
};

struct role_rule {
	struct filter *when;
	char *when_text;
	char *role;
	int line, col;		/* of the role value, for check errors */
};

struct type_rule {
	struct filter *when;
	char *when_text;
	char *type;
};

/* A yes/no setting a mapping may leave out (zero: left out). */
enum toggle { TOGGLE_UNSET, TOGGLE_OFF, TOGGLE_ON };

enum team_from { TEAM_FROM_GROUPS, TEAM_FROM_ATTRIBUTE };

struct team_rule {
	enum team_from from;
	struct filter *when;		/* groups: which groups are teams */
	char *when_text;
	struct template *name;		/* groups: team name; NULL = cn */
	char *attribute;		/* attribute: each value is a team */
	char *type_default;		/* default "Other" */
	struct type_rule *type_rules;
	size_t ntype_rules;
	struct template *group;		/* team group, or NULL */
	struct template *description;	/* or NULL */
	char *color;			/* or NULL */
	/* analytics: { conversations, contacts }.  TOGGLE_UNSET: the rule
	 * does not say, so a team keeps what it has (a new one: on). */
	enum toggle analytics_conversations, analytics_contacts;
};

struct mapping {
	char *path;
	char *anchor;			/* attribute holding the anchor */
	struct template *email;
	struct template *name;
	char *manager;			/* attribute with the manager's DN/id */
	struct field_map *fields;	/* custom_fields, sorted by name */
	size_t nfields;
	struct filter *include;		/* NULL: all users */
	char *include_text;
	char *role_default;		/* default "Member" */
	int role_default_line, role_default_col;	/* 0: not given */
	struct role_rule *role_rules;
	size_t nrole_rules;
	struct team_rule *teams;
	size_t nteams;
	struct filter *seat_eligible;	/* NULL: everyone eligible */
	char *seat_eligible_text;
	struct filter **seat_priority;
	char **seat_priority_text;
	size_t nseat_priority;
	int adopt_email;		/* "adopt: email" */
	char **attrs;			/* mapping_attrs() cache */
	size_t nattrs, capattrs;
};

/*
 * The attributes the mapping reads, for sources that can ask for only
 * those (LDAP: no jpegPhoto or thumbnailPhoto transferred and parsed for
 * nothing).  Adds the anchor, manager, memberOf and the group attributes
 * every mapping needs (cn, member, uniqueMember).  Returns a NULL-ended,
 * sorted, de-duplicated array owned by the mapping (freed by mapping_free),
 * or NULL when the mapping reads attributes it cannot list ("*" needed).
 */
const char *const *mapping_attrs(struct mapping *m);

/* Loads path.  On success sets *out (mapping_free it). */
int mapping_load(const char *path, struct mapping **out, struct err *e);
void mapping_free(struct mapping *m);

#endif
