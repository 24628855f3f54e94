/*
 * test_mapping: mapping_load (every section, defaults, errors at the
 * exact FILE:LINE:COL) and the shipped mappings applied to records.
 */
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "mapping.h"
#include "record.h"
#include "t.h"
#include "t_files.h"
#include "template.h"

static char *dir;

static const char full[] =
	"member:\n"
	"  anchor: entryUUID\n"
	"  email: \"{mail|lower}\"\n"
	"  name: \"{displayName|default:{givenName} {sn}}\"\n"
	"  manager: manager\n"
	"  custom_fields: { title: \"{title}\", department: \"{departmentNumber}\" }\n"
	"  include: \"(mail=*)\"\n"
	"role:\n"
	"  default: Member\n"
	"  rules:\n"
	"    - { when: \"(memberOf=cn=admins,ou=groups,dc=example,dc=com)\", role: Admin }\n"
	"teams:\n"
	"  - from: groups\n"
	"    when: \"(cn=team-*)\"\n"
	"    name: \"{cn|strip_prefix:team-}\"\n"
	"    type: { default: Support, rules: [ { when: \"(cn=team-sales-*)\", type: Sales } ] }\n"
	"    group: \"{description|match:region=(\\\\w+)}\"\n"
	"    color: \"#ff8800\"\n"
	"    analytics: { conversations: false, contacts: yes }\n"
	"  - from: attribute\n"
	"    attribute: departmentNumber\n"
	"    type: Customer Success\n"
	"seat:\n"
	"  eligible: \"(!(employeeType=contractor))\"\n"
	"  priority: [ \"(memberOf=cn=admins,ou=groups,dc=example,dc=com)\", \"(title=*)\" ]\n"
	"adopt: email\n";

static struct mapping *
load(const char *text, struct err *e)
{
	struct mapping *m = NULL;
	const char *path = t_write(dir, "m.yaml", text);

	err_clear(e);
	if (mapping_load(path, &m, e) < 0)
		return NULL;
	return m;
}

static void
expect_err(const char *text, const char *rest)
{
	struct err e;
	char want[4096];

	snprintf(want, sizeof(want), "%s/m.yaml%s", dir, rest);
	CHECK(load(text, &e) == NULL);
	CHECK_STR(e.msg, want);
	CHECK_INT(e.code, ERR_CONFIG);
}

static void
test_mapping_full(void)
{
	struct err e;
	struct mapping *m = load(full, &e);
	const struct team_rule *t;

	CHECK(m != NULL);
	if (m == NULL) {
		printf("  %s\n", e.msg);
		return;
	}
	CHECK_STR(m->anchor, "entryUUID");
	CHECK_STR(template_text(m->email), "{mail|lower}");
	CHECK_STR(template_text(m->name), "{displayName|default:{givenName} {sn}}");
	CHECK_STR(m->manager, "manager");
	CHECK_INT(m->nfields, 2);
	CHECK_STR(m->fields[0].name, "department");	/* sorted by name */
	CHECK_STR(template_text(m->fields[0].tpl), "{departmentNumber}");
	CHECK_STR(m->fields[1].name, "title");
	CHECK_STR(m->include_text, "(mail=*)");
	CHECK(m->include != NULL);
	CHECK_STR(m->role_default, "Member");
	CHECK_INT(m->role_default_line, 9);
	CHECK_INT(m->role_default_col, 12);
	CHECK_INT(m->nrole_rules, 1);
	CHECK_STR(m->role_rules[0].role, "Admin");
	CHECK_STR(m->role_rules[0].when_text,
		  "(memberOf=cn=admins,ou=groups,dc=example,dc=com)");
	CHECK_INT(m->role_rules[0].line, 11);
	CHECK_INT(m->role_rules[0].col, 73);
	CHECK_INT(m->nteams, 2);
	t = &m->teams[0];
	CHECK_INT(t->from, TEAM_FROM_GROUPS);
	CHECK_STR(t->when_text, "(cn=team-*)");
	CHECK_STR(template_text(t->name), "{cn|strip_prefix:team-}");
	CHECK_STR(t->type_default, "Support");
	CHECK_INT(t->ntype_rules, 1);
	CHECK_STR(t->type_rules[0].type, "Sales");
	CHECK_STR(t->type_rules[0].when_text, "(cn=team-sales-*)");
	CHECK_STR(template_text(t->group), "{description|match:region=(\\w+)}");
	CHECK(t->description == NULL);
	CHECK_STR(t->color, "#ff8800");
	CHECK_INT(t->analytics_conversations, TOGGLE_OFF);
	CHECK_INT(t->analytics_contacts, TOGGLE_ON);
	CHECK(t->attribute == NULL);
	t = &m->teams[1];
	CHECK_INT(t->from, TEAM_FROM_ATTRIBUTE);
	CHECK_STR(t->attribute, "departmentNumber");
	CHECK_STR(t->type_default, "Customer Success");
	CHECK_INT(t->ntype_rules, 0);
	CHECK(t->when == NULL && t->name == NULL && t->group == NULL);
	/* Not given: the team keeps whatever toggles it has. */
	CHECK_INT(t->analytics_conversations, TOGGLE_UNSET);
	CHECK_INT(t->analytics_contacts, TOGGLE_UNSET);
	CHECK_STR(m->seat_eligible_text, "(!(employeeType=contractor))");
	CHECK_INT(m->nseat_priority, 2);
	CHECK_STR(m->seat_priority_text[1], "(title=*)");
	CHECK_INT(m->adopt_email, 1);
	mapping_free(m);
}

static void
test_mapping_defaults(void)
{
	struct err e;
	struct mapping *m = load("member: { anchor: uid, email: \"{mail}\" }\n",
				 &e);

	CHECK(m != NULL);
	if (m == NULL) {
		printf("  %s\n", e.msg);
		return;
	}
	CHECK_STR(template_text(m->name), "{displayName|default:{cn}}");
	CHECK_STR(m->role_default, "Member");
	CHECK_INT(m->role_default_line, 0);
	CHECK_INT(m->nrole_rules, 0);
	CHECK(m->include == NULL && m->include_text == NULL);
	CHECK(m->manager == NULL);
	CHECK_INT(m->nfields, 0);
	CHECK_INT(m->nteams, 0);
	CHECK(m->seat_eligible == NULL);
	CHECK_INT(m->nseat_priority, 0);
	CHECK_INT(m->adopt_email, 0);
	mapping_free(m);
	m = load("member: { anchor: uid, email: \"{mail}\" }\n"
		 "teams: [ { from: groups } ]\n", &e);
	CHECK(m != NULL);
	if (m) {
		CHECK_STR(m->teams[0].type_default, "Other");
		CHECK(m->teams[0].name == NULL);
	}
	mapping_free(m);
}

static void
test_mapping_errors(void)
{
	expect_err("member:\n  anchor: entryUUID\n  email: \"{mail|lowr}\"\n",
		   ":3:17: unknown filter 'lowr'");
	/* Plain scalars have no quote to skip. */
	expect_err("member:\n  anchor: entryUUID\n  email: [a]\n",
		   ":3:10: 'email' must be a string, not a list");
	expect_err("member:\n  anchor: entryUUID\n  email: x{mail|lowr}\n",
		   ":3:17: unknown filter 'lowr'");
	expect_err("member: { anchor: a, email: \"{mail}\", custom_fields: { t: \"{title\" } }\n",
		   ":1:60: unterminated '{'");
	expect_err("member: { anchor: a, email: \"{mail}\", include: \"(mail=*\" }\n",
		   ":1:49: unbalanced parenthesis");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "seat: { priority: [ \"(a=1)\", \"(=2)\" ] }\n",
		   ":2:32: missing attribute name");
	expect_err("member: { email: \"{mail}\" }\n",
		   ":1:9: missing required key 'anchor' in member");
	expect_err("member: { anchor: entryUUID }\n",
		   ":1:9: missing required key 'email' in member");
	expect_err("role: { default: Member }\n",
		   ":1:1: missing required key 'member' in mapping");
	expect_err("member: { anchor: \"{entryUUID}\", email: \"{mail}\" }\n",
		   ":1:19: 'anchor' must be an attribute name, not '{entryUUID}'");
	expect_err("member: { anchor: a, email: \"{mail}\", mail: x }\n",
		   ":1:39: unknown key 'mail' in member");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "teams:\n  - from: groups\n    type: Marketing\n",
		   ":4:11: unknown team type 'Marketing' (expected Customer "
		   "Success, Sales, Support, Talent Acquisition or Other)");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "teams:\n  - from: groups\n    type: { rules: [ { when: \"(a=b)\", type: sales } ] }\n",
		   ":4:45: unknown team type 'sales' (expected Customer "
		   "Success, Sales, Support, Talent Acquisition or Other)");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "teams:\n  - from: ou\n",
		   ":3:11: unknown team source 'ou' (expected groups or attribute)");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "teams:\n  - from: attribute\n",
		   ":3:5: missing required key 'attribute' in team");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "teams:\n  - from: groups\n    attribute: ou\n",
		   ":4:16: 'attribute' needs from: attribute");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "teams:\n  - from: groups\n    colour: red\n",
		   ":4:5: unknown key 'colour' in team");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "teams:\n  - from: groups\n    analytics: { conversation: true }\n",
		   ":4:18: unknown key 'conversation' in analytics");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "teams:\n  - from: groups\n    analytics: { contacts: maybe }\n",
		   ":4:28: 'contacts' must be true or false");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "teams:\n  - from: groups\n    analytics: true\n",
		   ":4:16: 'analytics' must be a mapping, not a string");
	expect_err("member: { anchor: a, email: \"{mail}\" }\n"
		   "role: { rules: [ { role: Admin } ] }\n",
		   ":2:18: missing required key 'when' in role rule");
	expect_err("member: { anchor: a, email: \"{mail}\" }\nadopt: name\n",
		   ":2:8: unknown adopt 'name' (expected email or none)");
	expect_err("[1, 2]\n", ":1:1: 'mapping' must be a mapping, not a list");
	expect_err("member:\n\tanchor: a\n",
		   ":2:1: found character that cannot start any token "
		   "while scanning for the next token");
	expect_err("member: { anchor: \"a\xff\", email: x }\n",
		   ":1:21: invalid leading UTF-8 octet");
}

static struct record *
user(struct record_builder *b, const char *const *kv)
{
	for (; kv[0]; kv += 2)
		record_builder_add(b, kv[0], kv[1], strlen(kv[1]));
	return record_builder_finish(b, RECORD_USER, "a1", "uid=a1", "uid=a1");
}

static const char *
render(const struct template *t, const struct record *r, struct str *s)
{
	str_reset(s);
	template_render(t, r, s, NULL);
	return str_cstr(s);
}

/* The shipped mappings load and map a typical entry as documented. */
static void
test_mapping_shipped(void)
{
	static const char *const ol_user[] = { "mail", "Ann.Lee@Example.COM",
		"givenName", "Ann", "sn", "Lee", "title", "CTO",
		"memberOf", "cn=harmony-admins,ou=groups,dc=example,dc=com",
		NULL };
	static const char *const ol_group[] = { "cn", "team-sales-emea",
		"description", "Sales EMEA, region=EMEA", NULL };
	static const char *const ad_user[] = { "userPrincipalName",
		"Bo@Corp.Example.com", "displayName", "Bo Ek", NULL };
	struct record_builder b;
	struct arena a;
	struct str s = STR_INIT;
	struct mapping *m = NULL;
	struct record *r, *g;
	struct err e;

	arena_init(&a);
	record_builder_init(&b, &a);
	err_clear(&e);
	CHECK_INT(mapping_load("mappings/openldap.yaml", &m, &e), 0);
	CHECK_STR(e.msg, "");
	if (m) {
		r = user(&b, ol_user);
		CHECK_STR(render(m->email, r, &s), "ann.lee@example.com");
		CHECK_STR(render(m->name, r, &s), "Ann Lee");
		CHECK(filter_match(m->include, r));
		CHECK(filter_match(m->role_rules[0].when, r));
		CHECK_STR(m->role_rules[0].role, "Admin");
		CHECK_STR(m->fields[0].name, "department");
		CHECK_STR(m->fields[2].name, "title");
		CHECK_STR(render(m->fields[2].tpl, r, &s), "CTO");
		for (const char *const *kv = ol_group; kv[0]; kv += 2)
			record_builder_add(&b, kv[0], kv[1], strlen(kv[1]));
		g = record_builder_finish(&b, RECORD_GROUP, "g1", "cn=x", "cn=x");
		CHECK(filter_match(m->teams[0].when, g));
		CHECK_STR(render(m->teams[0].name, g, &s), "sales-emea");
		CHECK(filter_match(m->teams[0].type_rules[0].when, g));
		CHECK_STR(m->teams[0].type_rules[0].type, "Sales");
		CHECK_STR(render(m->teams[0].group, g, &s), "EMEA");
	}
	mapping_free(m);
	m = NULL;
	CHECK_INT(mapping_load("mappings/active-directory.yaml", &m, &e), 0);
	CHECK_STR(e.msg, "");
	if (m) {
		r = user(&b, ad_user);
		CHECK_STR(m->anchor, "objectGUID");
		CHECK_STR(render(m->email, r, &s), "bo@corp.example.com");
		CHECK_STR(render(m->name, r, &s), "Bo Ek");
		CHECK(filter_match(m->include, r));
		CHECK(!filter_match(m->role_rules[0].when, r));
	}
	mapping_free(m);
	str_release(&s);
	record_builder_release(&b);
	arena_release(&a);
}

int
main(void)
{
	dir = t_mkdtemp();
	RUN(test_mapping_full);
	RUN(test_mapping_defaults);
	RUN(test_mapping_errors);
	RUN(test_mapping_shipped);
	t_rmdir(dir);
	free(dir);
	return t_done();
}
