/*
 * test_views: the read-only views (members, orgchart, teams, groups) on a
 * hand-built store snapshot, and the output helpers of view.c.
 */
#include "t_files.h"

#include <jansson.h>

#include "apply.h"
#include "plan.h"
#include "t.h"
#include "view.h"

static const char *t_alice[] = { "Sales EMEA", "Support" };
static const char *t_bob[] = { "Sales EMEA" };

/* alice (root) -> bob -> dave; alice -> carol; eve and zed are roots.
 * Members are deliberately not sorted. */
static struct smember m_dave = { .id = 4, .job = "corp", .anchor = "u4",
	.email = "dave@example.com", .email_key = "dave@example.com",
	.name = "Dave, \"D\"", .role = "Member", .custom_fields = "{}" };
static struct smember m_alice = { .id = 1, .job = "corp", .anchor = "u1",
	.email = "Alice@Example.com", .email_key = "alice@example.com",
	.name = "Alice Smith", .role = "Admin", .seat = 1,
	.custom_fields = "{\"department\":\"Sales\",\"employee_number\":\"7\"}",
	.teams = t_alice, .nteams = 2 };
static struct smember m_bob = { .id = 2, .job = "corp", .anchor = "u2",
	.email = "bob@example.com", .email_key = "bob@example.com",
	.name = "山田太郎", .role = "Manager", .seat = 1,
	.custom_fields = "not json", .teams = t_bob, .nteams = 1 };
static struct smember m_carol = { .id = 3, .email = "carol@example.com",
	.email_key = "carol@example.com", .name = "Carol\nX", .role = "Member",
	.suspended = 1, .custom_fields = "{}" };
static struct smember m_eve = { .id = 5, .job = "corp", .anchor = "u5",
	.email = "eve@example.com", .email_key = "eve@example.com",
	.name = "=HYPERLINK(\"http://x\")", .role = "Member",
	.custom_fields = "{}" };

static struct steam tm_sales = { .id = 1, .name = "Sales EMEA",
	.type = "Sales", .group = "EMEA", .managed_by = "corp", .nmembers = 2,
	.analytics_conversations = 1, .analytics_contacts = 1 };
static struct steam tm_support = { .id = 2, .name = "Support",
	.type = "Support", .nmembers = 1, .analytics_contacts = 1 };
static struct steam tm_talent = { .id = 3, .name = "Talent",
	.type = "Talent Acquisition", .group = "Americas", .nmembers = 0 };

static struct smember *members[] = { &m_eve, &m_dave, &m_carol, &m_bob,
	&m_alice };
static struct steam *teams[] = { &tm_support, &tm_talent, &tm_sales };
static const char *groups[] = { "APAC", "Americas", "EMEA" };

static void
build(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	m_bob.manager = &m_alice;
	m_bob.manager_id = 1;
	m_carol.manager = &m_alice;
	m_carol.manager_id = 1;
	m_dave.manager = &m_bob;
	m_dave.manager_id = 2;
	s->members = members;
	s->nmembers = 5;
	s->teams = teams;
	s->nteams = 3;
	s->groups = groups;
	s->ngroups = 3;
}

static void
test_members_table(void)
{
	struct snapshot s;
	struct str out = STR_INIT;

	build(&s);
	view_members(&s, NULL, FMT_TEXT, &out);
	CHECK_STR(str_cstr(&out),
"NAME                    EMAIL              ROLE     MANAGER            TEAMS                SEAT\n"
"Alice Smith             Alice@Example.com  Admin    -                  Sales EMEA, Support  yes\n"
"山田太郎                bob@example.com    Manager  Alice@Example.com  Sales EMEA           yes\n"
"Carol\\nX                carol@example.com  Member   Alice@Example.com  -                    no\n"
"Dave, \"D\"               dave@example.com   Member   bob@example.com    -                    no\n"
"=HYPERLINK(\"http://x\")  eve@example.com    Member   -                  -                    no\n");
	str_release(&out);
}

static void
test_members_search(void)
{
	struct snapshot s;
	struct str out = STR_INIT;

	build(&s);
	view_members(&s, "ALICE", FMT_CSV, &out);
	CHECK_STR(str_cstr(&out),
		  "name,email,role,manager,teams,seat,status,managed_by\r\n"
		  "Alice Smith,Alice@Example.com,Admin,,Sales EMEA;Support,"
		  "yes,active,corp\r\n");
	str_reset(&out);
	view_members(&s, "太郎", FMT_CSV, &out);
	CHECK(strstr(str_cstr(&out), "bob@example.com") != NULL);
	CHECK(strstr(str_cstr(&out), "alice") == NULL);
	str_reset(&out);
	view_members(&s, "nobody", FMT_TEXT, &out);
	CHECK_STR(str_cstr(&out), "NAME  EMAIL  ROLE  MANAGER  TEAMS  SEAT\n");
	str_reset(&out);
	view_members(&s, "nobody", FMT_JSON, &out);
	CHECK_STR(str_cstr(&out), "[]\n");
	str_release(&out);
}

static void
test_members_csv(void)
{
	struct snapshot s;
	struct str out = STR_INIT;

	build(&s);
	view_members(&s, NULL, FMT_CSV, &out);
	CHECK_STR(str_cstr(&out),
"name,email,role,manager,teams,seat,status,managed_by\r\n"
"Alice Smith,Alice@Example.com,Admin,,Sales EMEA;Support,yes,active,corp\r\n"
"山田太郎,bob@example.com,Manager,Alice@Example.com,Sales EMEA,yes,active,corp\r\n"
"\"Carol\nX\",carol@example.com,Member,Alice@Example.com,,no,suspended,\r\n"
"\"Dave, \"\"D\"\"\",dave@example.com,Member,bob@example.com,,no,active,corp\r\n"
"\"'=HYPERLINK(\"\"http://x\"\")\",eve@example.com,Member,,,no,active,corp\r\n");
	str_release(&out);
}

static void
test_members_json(void)
{
	struct snapshot s;
	struct str out = STR_INIT;
	json_t *root, *a;

	build(&s);
	view_members(&s, "alice", FMT_JSON, &out);
	CHECK_STR(str_cstr(&out),
		  "[\n  {\"name\": \"Alice Smith\", \"email\": "
		  "\"Alice@Example.com\", \"role\": \"Admin\", \"manager\": null, "
		  "\"teams\": [\"Sales EMEA\", \"Support\"], \"seat\": true, "
		  "\"status\": \"active\", \"managed_by\": \"corp\", "
		  "\"custom_fields\": {\"department\":\"Sales\","
		  "\"employee_number\":\"7\"}}\n]\n");
	str_reset(&out);
	view_members(&s, NULL, FMT_JSON, &out);
	root = json_loads(str_cstr(&out), 0, NULL);
	CHECK(json_is_array(root));
	CHECK_INT(json_array_size(root), 5);
	a = json_array_get(root, 1);	/* bob: damaged custom_fields */
	CHECK_STR(json_string_value(json_object_get(a, "manager")),
		  "Alice@Example.com");
	CHECK(json_object_size(json_object_get(a, "custom_fields")) == 0);
	a = json_array_get(root, 2);	/* carol: manual, suspended */
	CHECK(json_is_null(json_object_get(a, "managed_by")));
	CHECK_STR(json_string_value(json_object_get(a, "status")),
		  "suspended");
	CHECK(json_is_false(json_object_get(a, "seat")));
	json_decref(root);
	str_release(&out);
}

static void
test_orgchart_tree(void)
{
	struct snapshot s;
	struct str out = STR_INIT;
	struct err e = { 0 };

	build(&s);
	CHECK_INT(view_orgchart(&s, NULL, FMT_TEXT, &out, &e), 0);
	CHECK_STR(str_cstr(&out),
		  "Alice Smith <Alice@Example.com>\n"
		  "├── 山田太郎 <bob@example.com>\n"
		  "│   └── Dave, \"D\" <dave@example.com>\n"
		  "└── Carol\\nX <carol@example.com>\n"
		  "=HYPERLINK(\"http://x\") <eve@example.com>\n");
	str_reset(&out);
	CHECK_INT(view_orgchart(&s, "BOB@example.com", FMT_TEXT, &out, &e), 0);
	CHECK_STR(str_cstr(&out),
		  "山田太郎 <bob@example.com>\n"
		  "└── Dave, \"D\" <dave@example.com>\n");
	str_reset(&out);
	CHECK_INT(view_orgchart(&s, "x@y\n", FMT_TEXT, &out, &e), -1);
	CHECK_STR(e.msg, "no member 'x@y\\n'");
	CHECK_STR(str_cstr(&out), "");
	str_release(&out);
}

static void
test_orgchart_json(void)
{
	struct snapshot s;
	struct str out = STR_INIT;
	struct err e = { 0 };
	json_t *root;

	build(&s);
	CHECK_INT(view_orgchart(&s, NULL, FMT_JSON, &out, &e), 0);
	CHECK_STR(str_cstr(&out),
"[\n"
"  {\"email\": \"Alice@Example.com\", \"name\": \"Alice Smith\", \"reports\": [\n"
"    {\"email\": \"bob@example.com\", \"name\": \"山田太郎\", \"reports\": [\n"
"      {\"email\": \"dave@example.com\", \"name\": \"Dave, \\\"D\\\"\", \"reports\": []}\n"
"    ]},\n"
"    {\"email\": \"carol@example.com\", \"name\": \"Carol\\nX\", \"reports\": []}\n"
"  ]},\n"
"  {\"email\": \"eve@example.com\", \"name\": \"=HYPERLINK(\\\"http://x\\\")\", \"reports\": []}\n"
"]\n");
	root = json_loads(str_cstr(&out), 0, NULL);
	CHECK(json_is_array(root));
	json_decref(root);
	str_reset(&out);
	CHECK_INT(view_orgchart(&s, "dave@example.com", FMT_JSON, &out, &e),
		  0);
	CHECK_STR(str_cstr(&out),
		  "[\n  {\"email\": \"dave@example.com\", \"name\": "
		  "\"Dave, \\\"D\\\"\", \"reports\": []}\n]\n");
	str_release(&out);
}

static void
test_orgchart_dot(void)
{
	struct snapshot s;
	struct str out = STR_INIT;
	struct err e = { 0 };

	build(&s);
	CHECK_INT(view_orgchart(&s, "bob@example.com", FMT_DOT, &out, &e), 0);
	CHECK_STR(str_cstr(&out),
		  "digraph orgchart {\n"
		  "\tnode [shape=box];\n"
		  "\t\"bob@example.com\" [label=\"山田太郎\\nbob@example.com\"];\n"
		  "\t\"dave@example.com\" [label=\"Dave, \\\"D\\\"\\n"
		  "dave@example.com\"];\n"
		  "\t\"bob@example.com\" -> \"dave@example.com\";\n"
		  "}\n");
	str_release(&out);
}

/* The store never holds a cycle; the view must still terminate and show
 * everyone once if it did. */
static void
test_orgchart_cycle(void)
{
	struct smember x = { .id = 1, .email = "x@e", .email_key = "x@e",
		.name = "X" };
	struct smember y = { .id = 2, .email = "y@e", .email_key = "y@e",
		.name = "Y" };
	struct smember *v[] = { &y, &x };
	struct snapshot s;
	struct str out = STR_INIT;
	struct err e = { 0 };

	memset(&s, 0, sizeof(s));
	x.manager = &y;
	y.manager = &x;
	s.members = v;
	s.nmembers = 2;
	CHECK_INT(view_orgchart(&s, NULL, FMT_TEXT, &out, &e), 0);
	CHECK_STR(str_cstr(&out), "X <x@e>\n└── Y <y@e>\n");
	str_reset(&out);
	CHECK_INT(view_orgchart(&s, "y@e", FMT_JSON, &out, &e), 0);
	CHECK_STR(str_cstr(&out),
		  "[\n  {\"email\": \"y@e\", \"name\": \"Y\", \"reports\": [\n"
		  "    {\"email\": \"x@e\", \"name\": \"X\", \"reports\": []}\n"
		  "  ]}\n]\n");
	str_release(&out);
}

/* A long chain: the walk is iterative, not recursive. */
static void
test_orgchart_deep(void)
{
	size_t n = 100000, i;
	struct smember *m = calloc(n, sizeof(*m));
	struct smember **v = calloc(n, sizeof(*v));
	char (*email)[16] = calloc(n, sizeof(*email));
	struct snapshot s;
	struct str out = STR_INIT;
	struct err e = { 0 };

	for (i = 0; i < n; i++) {
		snprintf(email[i], sizeof(email[i]), "u%06zu@e", i);
		m[i].email = m[i].email_key = m[i].name = email[i];
		m[i].manager = i ? &m[i - 1] : NULL;
		v[i] = &m[i];
	}
	memset(&s, 0, sizeof(s));
	s.members = v;
	s.nmembers = n;
	CHECK_INT(view_orgchart(&s, NULL, FMT_JSON, &out, &e), 0);
	CHECK(out.len > n * 40 && out.len < n * 400);
	str_reset(&out);
	CHECK_INT(view_orgchart(&s, NULL, FMT_TEXT, &out, &e), 0);
	CHECK(out.len > n * 20 && out.len < n * 400);
	CHECK(strstr(str_cstr(&out), "(level 99999) \u2514\u2500\u2500 "
		     "u099999@e <u099999@e>\n") != NULL);
	str_reset(&out);
	CHECK_INT(view_orgchart(&s, NULL, FMT_DOT, &out, &e), 0);
	CHECK(out.len < n * 200);
	str_release(&out);
	free(m);
	free(v);
	free(email);
}

static void
test_teams_groups(void)
{
	struct snapshot s;
	struct str out = STR_INIT;

	build(&s);
	view_teams(&s, &out);
	CHECK_STR(str_cstr(&out),
		  "NAME        TYPE                GROUP     MEMBERS  ANALYTICS                MANAGED\n"
		  "Sales EMEA  Sales               EMEA      2        conversations, contacts  corp\n"
		  "Support     Support             -         1        contacts                 -\n"
		  "Talent      Talent Acquisition  Americas  0        -                        -\n");
	str_reset(&out);
	view_groups(&s, &out);
	CHECK_STR(str_cstr(&out),
		  "APAC\n  (no teams)\n"
		  "Americas\n  Talent\n"
		  "EMEA\n  Sales EMEA\n"
		  "Ungrouped\n  Support\n");
	str_release(&out);
}

static void
test_view_helpers(void)
{
	struct str out = STR_INIT;
	const char *names[] = { "table", "json", NULL };
	enum out_format fmts[] = { FMT_TEXT, FMT_JSON }, f = FMT_CSV;
	struct err e = { 0 };
	char *argv[] = { "members", "--search", "x", "--format=json",
		"--format", NULL };
	const char *val;
	int i = 1;

	view_add_text(&out, "a\"b\\c\td\x7f\xc2\x9b\xe2\x80\xae\xff", 1);
	CHECK_STR(str_cstr(&out),
		  "\"a\\\"b\\\\c\\td\\x7f\\u009b\\u202e\xef\xbf\xbd\"");
	CHECK_INT(view_width("山田 e\xcc\x81"), 6);
	str_reset(&out);
	view_add_csv(&out, "-1+1");
	view_add_csv(&out, "");
	view_add_csv(&out, "@x,y");
	CHECK_STR(str_cstr(&out), "\"'-1+1\"\"'@x,y\"");
	CHECK_INT(view_opt(5, argv, &i, "--search", &val), 1);
	CHECK_STR(val, "x");
	CHECK_INT(i, 2);
	i = 3;
	CHECK_INT(view_opt(5, argv, &i, "--search", &val), 0);
	CHECK_INT(view_opt(5, argv, &i, "--format", &val), 1);
	CHECK_STR(val, "json");
	i = 4;
	CHECK_INT(view_opt(5, argv, &i, "--format", &val), -1);
	CHECK_INT(view_format("json", names, fmts, &f, &e), 0);
	CHECK_INT(f, FMT_JSON);
	CHECK_INT(view_format("dot", names, fmts, &f, &e), -1);
	CHECK_STR(e.msg, "unknown format 'dot' (expected table|json)");
	str_release(&out);
}

/* Fills a fresh store through apply_plan(), as a sync would. */
static int
fill_store(struct store *st, struct arena *a, struct err *e)
{
	struct snapshot snap;
	struct plan p;
	struct change *c;
	int rc;

	if (store_snapshot(st, "corp", &snap, e) < 0)
		return -1;
	plan_init(&p, a, "corp", arena_strdup(a, store_fingerprint(&snap)));
	snapshot_release(&snap);
	plan_add(&p, CHANGE_CREATE_GROUP, NULL, "EMEA");
	c = plan_add(&p, CHANGE_CREATE_TEAM, NULL, "Sales EMEA");
	change_field(&p, c, "type", NULL, "Sales");
	change_field(&p, c, "group", NULL, "EMEA");
	c = plan_add(&p, CHANGE_CREATE_TEAM, NULL, "Support");
	change_field(&p, c, "type", NULL, "Support");
	change_field(&p, c, "analytics_contacts", NULL, "false");
	c = plan_add(&p, CHANGE_CREATE_MEMBER, "u1", "alice@example.com");
	change_field(&p, c, "name", NULL, "Alice Smith");
	change_field(&p, c, "role", NULL, "Admin");
	change_field(&p, c, "custom_fields", NULL, "{\"dept\":\"Sales\"}");
	c = plan_add(&p, CHANGE_CREATE_MEMBER, "u2", "bob@example.com");
	change_field(&p, c, "name", NULL, "Bob Jones");
	change_field(&p, c, "role", NULL, "Member");
	c = plan_add(&p, CHANGE_SET_MANAGER, "u2", "bob@example.com");
	c->target = "u1";
	c = plan_add(&p, CHANGE_ADD_TEAM_MEMBER, "u2", "bob@example.com");
	c->target = "Sales EMEA";
	plan_finish(&p);
	rc = apply_plan(st, &p, 1000, NULL, e);
	plan_release(&p);
	return rc;
}

/* The views on a real store, written by apply and read by store_snapshot
 * as the commands do. */
static void
test_views_store(void)
{
	char *dir = t_mkdtemp(), path[4200];
	struct store *st = NULL;
	struct snapshot snap;
	struct arena a;
	struct err e = { 0 };
	struct str out = STR_INIT;

	arena_init(&a);
	snprintf(path, sizeof(path), "%s/state.db", dir);
	CHECK_INT(store_open(path, &st, &e), 0);
	if (st != NULL && fill_store(st, &a, &e) == 0 &&
	    store_snapshot(st, NULL, &snap, &e) == 0) {
		view_members(&snap, NULL, FMT_JSON, &out);
		CHECK_STR(str_cstr(&out),
"[\n"
"  {\"name\": \"Alice Smith\", \"email\": \"alice@example.com\", \"role\": \"Admin\", \"manager\": null, \"teams\": [], \"seat\": false, \"status\": \"active\", \"managed_by\": \"corp\", \"custom_fields\": {\"dept\":\"Sales\"}},\n"
"  {\"name\": \"Bob Jones\", \"email\": \"bob@example.com\", \"role\": \"Member\", \"manager\": \"alice@example.com\", \"teams\": [\"Sales EMEA\"], \"seat\": false, \"status\": \"active\", \"managed_by\": \"corp\", \"custom_fields\": {}}\n"
"]\n");
		str_reset(&out);
		CHECK_INT(view_orgchart(&snap, NULL, FMT_TEXT, &out, &e), 0);
		CHECK_STR(str_cstr(&out), "Alice Smith <alice@example.com>\n"
			  "\u2514\u2500\u2500 Bob Jones <bob@example.com>\n");
		str_reset(&out);
		view_teams(&snap, &out);
		CHECK_STR(str_cstr(&out),
			  "NAME        TYPE     GROUP  MEMBERS  ANALYTICS                MANAGED\n"
			  "Sales EMEA  Sales    EMEA   1        conversations, contacts  corp\n"
			  "Support     Support  -      0        conversations            corp\n");
		str_reset(&out);
		view_groups(&snap, &out);
		CHECK_STR(str_cstr(&out), "EMEA\n  Sales EMEA\n"
			  "Ungrouped\n  Support\n");
		snapshot_release(&snap);
	}
	CHECK_STR(e.msg, "");
	store_close(st);
	t_rmdir(dir);
	free(dir);
	str_release(&out);
	arena_release(&a);
}

int
main(void)
{
	RUN(test_members_table);
	RUN(test_members_search);
	RUN(test_members_csv);
	RUN(test_members_json);
	RUN(test_orgchart_tree);
	RUN(test_orgchart_json);
	RUN(test_orgchart_dot);
	RUN(test_orgchart_cycle);
	RUN(test_orgchart_deep);
	RUN(test_teams_groups);
	RUN(test_view_helpers);
	RUN(test_views_store);
	return t_done();
}
