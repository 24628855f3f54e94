/*
 * test_config: config_load (values, defaults, every kind of error at its
 * exact FILE:LINE:COL), secrets, durations, the shipped example, and the
 * file source the unit tests of later stages feed on.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mapping.h"
#include "source.h"
#include "t.h"
#include "t_files.h"

static const char map_basic[] =
	"member:\n"
	"  anchor: entryUUID\n"
	"  email: \"{mail|lower}\"\n"
	"role:\n"
	"  rules:\n"
	"    - { when: \"(cn=x)\", role: Admin }\n";

static const char cfg_full[] =
	"store: state.db\n"
	"seats: { capacity: 3 }\n"
	"roles:\n"
	"  Admin: [members:manage, conversations:read:all]\n"
	"  Member: [conversations:read:own]\n"
	"jobs:\n"
	"  - name: corp\n"
	"    schedule: \"every 15m\"\n"
	"    full_sync_every: 12h\n"
	"    source:\n"
	"      type: ldap\n"
	"      url: ldap://127.0.0.1:3890\n"
	"      starttls: true\n"
	"      ca_file: ca.pem\n"
	"      bind_dn: cn=admin,dc=example,dc=com\n"
	"      password_file: ../secrets/ldap.pw\n"
	"      users: { base: \"ou=people,dc=example,dc=com\" }\n"
	"      groups: { base: \"ou=groups,dc=example,dc=com\", filter: \"(objectClass=groupOfNames)\" }\n"
	"      page_size: 500\n"
	"      timeout: 1m\n"
	"      incremental: none\n"
	"    mapping: ../mappings/m.yaml\n"
	"    safety: { max_deletes: -1, on_missing: delete, delete_after: 30d }\n"
	"    on_missing_team: delete\n"
	"  - name: hr-file\n"
	"    source: { type: file, path: hr.jsonl }\n"
	"    mapping: ../mappings/m.yaml\n";

static char *dir;

/* Writes conf/c.yaml and mappings/m.yaml and loads the config. */
static int
load(const char *cfg, const char *map, struct config **c, struct err *e)
{
	char path[4096];

	t_write(dir, "mappings/m.yaml", map);
	t_write(dir, "conf/c.yaml", cfg);
	snprintf(path, sizeof(path), "%s/conf/c.yaml", dir);
	err_clear(e);
	return config_load(path, c, e);
}

/* Loads and expects the error "DIR/FILE" + rest (file is conf/c.yaml or
 * mappings/m.yaml). */
static void
expect_err(const char *cfg, const char *map, const char *file,
	   const char *rest)
{
	struct config *c = NULL;
	struct err e;
	char want[2048];

	if (strcmp(file, "mappings/m.yaml") == 0)
		snprintf(want, sizeof(want), "%s/conf/../%s%s", dir, file, rest);
	else
		snprintf(want, sizeof(want), "%s/%s%s", dir, file, rest);
	CHECK_INT(load(cfg, map, &c, &e), -1);
	CHECK_STR(e.msg, want);
	CHECK_INT(e.code, ERR_CONFIG);
	CHECK(c == NULL);
}

static char *
at(const char *rel)
{
	static char buf[4][4096];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, rel);
	return buf[k];
}

static void
test_config_full(void)
{
	struct config *c = NULL;
	struct err e;
	const struct job_cfg *j;

	CHECK_INT(load(cfg_full, map_basic, &c, &e), 0);
	if (c == NULL) {
		printf("  %s\n", e.msg);
		return;
	}
	CHECK_STR(c->store, at("conf/state.db"));
	CHECK_STR(c->dir, at("conf"));
	CHECK_INT(c->seat_capacity, 3);
	CHECK_INT(c->nroles, 2);
	CHECK_STR(c->roles[0].name, "Admin");
	CHECK_INT(c->roles[0].nperms, 2);
	CHECK_STR(c->roles[0].perms[1], "conversations:read:all");
	CHECK(config_role(c, "Member") != NULL);
	CHECK(config_role(c, "Manager") == NULL);
	CHECK_INT(c->njobs, 2);
	j = config_job(c, "corp");
	CHECK(j == &c->jobs[0]);
	CHECK_STR(j->schedule, "every 15m");
	CHECK_INT(j->full_sync_every_s, 43200);
	CHECK_INT(j->line, 7);
	CHECK_INT(j->source.type, SOURCE_LDAP);
	CHECK_INT(j->source.ldap.nurls, 1);
	CHECK_STR(j->source.ldap.urls[0], "ldap://127.0.0.1:3890");
	CHECK_INT(j->source.ldap.starttls, 1);
	CHECK_INT(j->source.ldap.insecure_skip_verify, 0);
	CHECK_STR(j->source.ldap.ca_file, at("conf/ca.pem"));
	CHECK_STR(j->source.ldap.bind_dn, "cn=admin,dc=example,dc=com");
	CHECK_STR(j->source.ldap.password.file, at("conf/../secrets/ldap.pw"));
	CHECK(j->source.ldap.password.env == NULL);
	CHECK_STR(j->source.ldap.users.base, "ou=people,dc=example,dc=com");
	CHECK_STR(j->source.ldap.users.filter, "(objectClass=*)");
	CHECK_STR(j->source.ldap.groups.filter, "(objectClass=groupOfNames)");
	CHECK_INT(j->source.ldap.page_size, 500);
	CHECK_INT(j->source.ldap.timeout_s, 60);
	CHECK_INT(j->source.ldap.range_step, 1500);
	CHECK_STR(j->mapping_path, at("conf/../mappings/m.yaml"));
	CHECK(j->mapping != NULL && strcmp(j->mapping->anchor, "entryUUID") == 0);
	CHECK_INT(j->safety.max_deletes, -1);
	CHECK_INT(j->safety.max_delete_percent, 5);
	CHECK_INT(j->safety.max_source_shrink_percent, 20);
	CHECK_INT(j->safety.on_missing, ON_MISSING_DELETE);
	CHECK_INT(j->safety.delete_after_s, 30L * 86400);
	CHECK_INT(j->on_missing_team, ON_MISSING_TEAM_DELETE);
	j = config_job(c, "hr-file");
	CHECK(j != NULL);
	if (j) {
		CHECK_INT(j->source.type, SOURCE_FILE);
		CHECK_STR(j->source.path, at("conf/hr.jsonl"));
		CHECK(j->schedule == NULL);
		CHECK_INT(j->full_sync_every_s, 86400);
		CHECK_INT(j->safety.max_deletes, 25);
		CHECK_INT(j->safety.on_missing, ON_MISSING_DEALLOCATE);
		CHECK_INT(j->safety.delete_after_s, 0);
		CHECK_INT(j->on_missing_team, ON_MISSING_TEAM_KEEP);
	}
	CHECK(config_job(c, "nope") == NULL);
	config_free(c);
}

static void
test_config_defaults(void)
{
	struct config *c = NULL;
	struct err e;

	CHECK_INT(load("jobs:\n"
		       "  - name: f\n"
		       "    source: { type: file, path: x.jsonl }\n"
		       "    mapping: ../mappings/m.yaml\n", map_basic, &c, &e), 0);
	if (c == NULL) {
		printf("  %s\n", e.msg);
		return;
	}
	CHECK_STR(c->store, at("conf/harmony-sync.db"));
	CHECK_INT(c->seat_capacity, 0);
	/* No roles section: the built-in Admin, Manager and Member. */
	CHECK_INT(c->nroles, 3);
	CHECK(config_role(c, "Manager") != NULL);
	CHECK_STR(config_role(c, "Manager")->perms[0], "conversations:read:team");
	CHECK_STR(config_role(c, "Admin")->perms[0], "members:manage");
	CHECK_INT(c->jobs[0].safety.max_delete_percent, 5);
	CHECK_INT(c->jobs[0].safety.max_source_shrink_percent, 20);
	config_free(c);
}

static void
test_config_scim(void)
{
	struct config *c = NULL;
	struct err e;
	const struct scim_cfg *s;

	CHECK_INT(load("jobs:\n"
		       "  - name: entra\n"
		       "    source:\n"
		       "      type: scim\n"
		       "      base_url: https://scim.example.com/v2\n"
		       "      oauth2: { token_url: \"https://login.example.com/t\", client_id: app,\n"
		       "                client_secret_env: HS_SECRET, scope: x/.default }\n"
		       "      groups: false\n"
		       "      timeout: 2m\n"
		       "      users_filter: 'userName sw \"a\"'\n"
		       "    mapping: ../mappings/m.yaml\n", map_basic, &c, &e), 0);
	if (c == NULL) {
		printf("  %s\n", e.msg);
		return;
	}
	s = &c->jobs[0].source.scim;
	CHECK_INT(c->jobs[0].source.type, SOURCE_SCIM);
	CHECK_STR(s->base_url, "https://scim.example.com/v2");
	CHECK_STR(s->oauth2.token_url, "https://login.example.com/t");
	CHECK_STR(s->oauth2.client_id, "app");
	CHECK_STR(s->oauth2.client_secret.env, "HS_SECRET");
	CHECK_STR(s->oauth2.scope, "x/.default");
	CHECK(s->token.file == NULL && s->token.env == NULL);
	CHECK_INT(s->fetch_groups, 0);
	CHECK_INT(s->inactive_as_missing, 1);
	CHECK_INT(s->timeout_s, 120);
	CHECK_INT(s->connect_timeout_s, 10);
	CHECK_INT(s->page_size, 100);
	CHECK_INT(s->concurrency, 4);
	CHECK_INT(s->max_retries, 5);
	CHECK_STR(s->users_filter, "userName sw \"a\"");
	config_free(c);
}

#define JOB_HEAD "jobs:\n  - name: j\n    mapping: ../mappings/m.yaml\n"
#define LDAP_SRC JOB_HEAD "    source:\n      type: ldap\n" \
	"      url: ldap://h\n      users: { base: \"dc=x\" }\n"

static void
test_config_err_unknown_key(void)
{
	expect_err(LDAP_SRC "      pasword_file: x\n", map_basic, "conf/c.yaml",
		   ":8:7: unknown key 'pasword_file' in source");
	expect_err("stores: x\n", map_basic, "conf/c.yaml",
		   ":1:1: unknown key 'stores' in config");
	/* Keys of another source type are typos too. */
	expect_err(LDAP_SRC "      base_url: http://x\n", map_basic,
		   "conf/c.yaml", ":8:7: unknown key 'base_url' in source");
	expect_err(JOB_HEAD "    source: { type: file, path: x }\n"
		   "    safety: { max_delete: 3 }\n", map_basic, "conf/c.yaml",
		   ":5:15: unknown key 'max_delete' in safety");
}

static void
test_config_err_duration(void)
{
	expect_err(LDAP_SRC "      timeout: 30x\n", map_basic, "conf/c.yaml",
		   ":8:16: invalid duration '30x' for 'timeout' "
		   "(expected e.g. 30s, 15m, 24h or 30d)");
	expect_err(JOB_HEAD "    full_sync_every: -1h\n"
		   "    source: { type: file, path: x }\n", map_basic,
		   "conf/c.yaml", ":4:22: invalid duration '-1h' for "
		   "'full_sync_every' (expected e.g. 30s, 15m, 24h or 30d)");
}

static void
test_config_err_on_missing(void)
{
	expect_err(JOB_HEAD "    source: { type: file, path: x }\n"
		   "    safety:\n      on_missing: remove\n", map_basic,
		   "conf/c.yaml", ":6:19: invalid on_missing 'remove' "
		   "(expected deallocate, delete or ignore)");
	expect_err(JOB_HEAD "    source: { type: file, path: x }\n"
		   "    on_missing_team: remove\n", map_basic,
		   "conf/c.yaml", ":5:22: invalid on_missing_team 'remove' "
		   "(expected keep or delete)");
}

static void
test_config_err_missing(void)
{
	expect_err("jobs:\n  - source: { type: file, path: x }\n"
		   "    mapping: ../mappings/m.yaml\n", map_basic, "conf/c.yaml",
		   ":2:5: missing required key 'name' in job");
	expect_err(JOB_HEAD "    source: { path: x }\n", map_basic,
		   "conf/c.yaml", ":4:13: missing required key 'type' in source");
	expect_err(JOB_HEAD "    source: { type: ldap, users: { base: x } }\n",
		   map_basic, "conf/c.yaml",
		   ":4:13: missing required key 'url' in source");
	expect_err(JOB_HEAD "    source: { type: ldap, url: ldap://h }\n",
		   map_basic, "conf/c.yaml",
		   ":4:13: missing required key 'users' in source");
	expect_err(JOB_HEAD "    source: { type: ldap, url: ldap://h, users: { filter: \"(a=b)\" } }\n",
		   map_basic, "conf/c.yaml",
		   ":4:49: missing required key 'base' in users");
	expect_err(JOB_HEAD "    source: { type: scim }\n", map_basic,
		   "conf/c.yaml",
		   ":4:13: missing required key 'base_url' in source");
	expect_err("jobs:\n  - name: j\n    source: { type: file, path: x }\n",
		   map_basic, "conf/c.yaml",
		   ":2:5: missing required key 'mapping' in job");
}

static void
test_config_err_types(void)
{
	expect_err(LDAP_SRC "      page_size: lots\n", map_basic, "conf/c.yaml",
		   ":8:18: 'page_size' must be an integer");
	expect_err(LDAP_SRC "      starttls: maybe\n", map_basic, "conf/c.yaml",
		   ":8:17: 'starttls' must be true or false");
	expect_err(LDAP_SRC "      groups: ou=groups\n", map_basic,
		   "conf/c.yaml", ":8:15: 'groups' must be a mapping, not a string");
	expect_err(JOB_HEAD "    source: { type: smb }\n", map_basic,
		   "conf/c.yaml", ":4:21: invalid type 'smb' "
		   "(expected ldap, scim or file)");
	expect_err(JOB_HEAD "    source:\n      type: ldap\n"
		   "      url: [ldap://a, http://b]\n", map_basic,
		   "conf/c.yaml", ":6:23: invalid url 'http://b' (expected "
		   "ldap://, ldaps:// or ldapi://)");
	expect_err("roles:\n  Admin: [conversations:read:everyone]\n",
		   map_basic, "conf/c.yaml", ":2:11: invalid permission "
		   "'conversations:read:everyone' (expected "
		   "resource:action[:scope] with scope own, team or all)");
	expect_err(JOB_HEAD "    source: { type: file, path: x }\n"
		   "  - name: j\n    source: { type: file, path: y }\n"
		   "    mapping: ../mappings/m.yaml\n", map_basic,
		   "conf/c.yaml", ":5:11: duplicate job name 'j'");
	expect_err(LDAP_SRC "      password_env: A\n      password_file: f\n",
		   map_basic, "conf/c.yaml", ":8:21: set either "
		   "'password_file' or 'password_env', not both");
	expect_err(LDAP_SRC "      users: { base: x }\n", map_basic,
		   "conf/c.yaml", ":8:7: duplicate key 'users'");
	expect_err("seats: &s { capacity: 3 }\nx: *s\n", map_basic,
		   "conf/c.yaml", ":2:4: aliases are not supported");
	expect_err("seats: { capacity: 3\n", map_basic, "conf/c.yaml",
		   ":2:1: did not find expected ',' or '}' "
		   "while parsing a flow mapping");
	expect_err("", map_basic, "conf/c.yaml", ":1:1: empty config file");
}

static void
test_config_err_mapping(void)
{
	static const char role_undefined[] =
		"member:\n"
		"  anchor: entryUUID\n"
		"  email: \"{mail}\"\n"
		"role:\n"
		"  rules:\n"
		"    - { when: \"(cn=x)\", role: Owner }\n";
	static const char default_undefined[] =
		"member: { anchor: a, email: \"{mail}\" }\n"
		"role: { default: 'Guest' }\n";
	static const char bad_template[] =
		"member:\n"
		"  anchor: entryUUID\n"
		"  email: \"{mail|lowr}\"\n";
	static const char bad_filter[] =
		"member:\n"
		"  anchor: entryUUID\n"
		"  email: \"{mail}\"\n"
		"  include: (&(mail=*)(title=a(b))\n";
	const char *cfg = JOB_HEAD "    source: { type: file, path: x }\n";
	char nope[4096];

	expect_err(cfg, role_undefined, "mappings/m.yaml",
		   ":6:31: role 'Owner' is not defined in roles");
	expect_err(cfg, default_undefined, "mappings/m.yaml",
		   ":2:19: role 'Guest' is not defined in roles");
	expect_err(cfg, bad_template, "mappings/m.yaml",
		   ":3:17: unknown filter 'lowr'");
	expect_err(cfg, bad_filter, "mappings/m.yaml",
		   ":4:30: unescaped '(' in value");
	/* Default role Member, but the config's roles do not define it. */
	expect_err("roles: { Admin: [] }\n" JOB_HEAD
		   "    source: { type: file, path: x }\n", map_basic,
		   "conf/c.yaml", ":4:14: default role 'Member' of this "
		   "mapping is not defined in roles");
	/* A mapping file that does not exist: at the config's mapping key. */
	snprintf(nope, sizeof(nope), ":3:14: cannot read '%s/conf/nope.yaml': "
		 "No such file or directory", dir);
	expect_err("jobs:\n  - name: j\n    mapping: nope.yaml\n"
		   "    source: { type: file, path: x }\n", map_basic,
		   "conf/c.yaml", nope);
	/* memberOf changes without a new entryCSN or uSNChanged. */
	expect_err(JOB_HEAD "    source:\n      type: ldap\n"
		   "      url: ldap://h\n"
		   "      users: { base: \"dc=x\", filter: \"(memberOf=cn=a)\" }\n"
		   "      incremental: syncrepl\n", map_basic, "conf/c.yaml",
		   ":8:20: 'incremental' cannot follow a search filter on "
		   "memberOf (it changes without marking the entry changed): "
		   "filter with the mapping's include, which reads the "
		   "fetched groups");
	/* usn keys its mirror by objectGUID: the anchor must be it. */
	expect_err(LDAP_SRC "      incremental: usn\n", map_basic,
		   "conf/c.yaml", ":5:7: 'incremental: usn' needs a mapping "
		   "whose anchor is objectGUID");
}

/* Hostile input fails cleanly: deep nesting, NUL bytes, junk. */
static void
test_config_hostile(void)
{
	char buf[512], junk[256];
	struct config *c = NULL;
	struct err e;
	int i;

	snprintf(buf, sizeof(buf), "x: %0100d\n", 0);
	memset(buf + 3, '[', 100);
	expect_err(buf, map_basic, "conf/c.yaml", ":1:67: nesting too deep");
	expect_err("store: \"a\\0b\"\n", map_basic, "conf/c.yaml",
		   ":1:8: value contains a NUL byte");
	expect_err("---\na: 1\n---\nb: 2\n", map_basic, "conf/c.yaml",
		   ":3:1: only one YAML document is allowed");
	expect_err("? [a]\n: b\n", map_basic, "conf/c.yaml",
		   ":1:3: a key must be a string, not a list");
	srand(7);
	for (i = 0; i < 200; i++) {
		for (size_t k = 0; k < sizeof(junk) - 1; k++)
			junk[k] = (char)(rand() % 255 + 1);
		junk[sizeof(junk) - 1] = '\0';
		if (load(junk, map_basic, &c, &e) == 0)
			config_free(c);
		c = NULL;
	}
	CHECK(1);
}

static void
test_config_secrets(void)
{
	struct secret_cfg s = { NULL, NULL };
	struct err e;
	char *v, want[4096];

	s.file = (char *)t_write(dir, "pw", "s3cret\r\nsecond line\n");
	s.file = strdup(s.file);
	v = config_read_secret(&s, "password", &e);
	CHECK_STR(v, "s3cret");
	free(v);
	t_write(dir, "pw", "\n");
	err_clear(&e);
	CHECK(config_read_secret(&s, "password", &e) == NULL);
	snprintf(want, sizeof(want), "password file '%s' is empty", s.file);
	CHECK_STR(e.msg, want);
	free(s.file);
	s.file = strdup(at("missing.pw"));
	CHECK(config_read_secret(&s, "password", &e) == NULL);
	snprintf(want, sizeof(want), "cannot read password file '%s': "
		 "No such file or directory", s.file);
	CHECK_STR(e.msg, want);
	free(s.file);
	s.file = NULL;

	s.env = "HS_TEST_SECRET";
	setenv("HS_TEST_SECRET", "t0ken\n", 1);
	v = config_read_secret(&s, "token", &e);
	CHECK_STR(v, "t0ken");
	free(v);
	setenv("HS_TEST_SECRET", "", 1);
	CHECK(config_read_secret(&s, "token", &e) == NULL);
	CHECK_STR(e.msg, "environment variable 'HS_TEST_SECRET' (token) is empty");
	unsetenv("HS_TEST_SECRET");
	CHECK(config_read_secret(&s, "token", &e) == NULL);
	CHECK_STR(e.msg, "environment variable 'HS_TEST_SECRET' (token) is not set");
	s.env = NULL;
	CHECK(config_read_secret(&s, "token", &e) == NULL);
	CHECK_STR(e.msg, "no token configured");
}

static void
test_config_durations(void)
{
	long v = -7;

	CHECK_INT(config_parse_duration("30s", &v), 0);
	CHECK_INT(v, 30);
	CHECK_INT(config_parse_duration("15m", &v), 0);
	CHECK_INT(v, 900);
	CHECK_INT(config_parse_duration("24h", &v), 0);
	CHECK_INT(v, 86400);
	CHECK_INT(config_parse_duration("30d", &v), 0);
	CHECK_INT(v, 2592000);
	CHECK_INT(config_parse_duration("45", &v), 0);
	CHECK_INT(v, 45);
	CHECK_INT(config_parse_duration("0", &v), 0);
	CHECK_INT(v, 0);
	v = -7;
	CHECK_INT(config_parse_duration("", &v), -1);
	CHECK_INT(config_parse_duration("m", &v), -1);
	CHECK_INT(config_parse_duration("-5s", &v), -1);
	CHECK_INT(config_parse_duration("5 s", &v), -1);
	CHECK_INT(config_parse_duration("5w", &v), -1);
	CHECK_INT(config_parse_duration("5ss", &v), -1);
	CHECK_INT(config_parse_duration("99999999999999999999", &v), -1);
	CHECK_INT(config_parse_duration("999999999999999999d", &v), -1);
	CHECK_INT(config_parse_duration(NULL, &v), -1);
	CHECK_INT(v, -7);
}

/* The shipped example and mappings load as they are (run from the top of
 * the tree, as `make check` does). */
static void
test_config_example(void)
{
	struct config *c = NULL;
	struct mapping *m = NULL;
	struct err e;

	err_clear(&e);
	CHECK_INT(config_load("config/example.yaml", &c, &e), 0);
	CHECK_STR(e.msg, "");
	if (c) {
		CHECK_STR(c->jobs[0].name, "corp-ldap");
		CHECK_INT(c->jobs[0].source.ldap.nurls, 2);
		CHECK_STR(c->jobs[0].source.ldap.urls[1], "ldaps://dc2.example.com");
		CHECK_STR(c->jobs[0].source.ldap.password.file,
			  "/etc/harmony-sync/ldap.pw");
		CHECK_STR(c->jobs[0].mapping_path,
			  "config/../mappings/openldap.yaml");
		CHECK_INT(c->jobs[0].safety.delete_after_s, 30L * 86400);
	}
	config_free(c);
	c = NULL;
	CHECK_INT(config_load("config/example-scim.yaml", &c, &e), 0);
	CHECK_STR(e.msg, "");
	if (c) {
		CHECK_INT(c->njobs, 2);
		CHECK_STR(c->jobs[0].source.scim.oauth2.client_secret.file,
			  "/etc/harmony-sync/entra.secret");
		CHECK_STR(c->jobs[1].source.scim.token.file,
			  "/etc/harmony-sync/scim.token");
	}
	config_free(c);
	CHECK_INT(mapping_load("mappings/active-directory.yaml", &m, &e), 0);
	CHECK_STR(e.msg, "");
	if (m)
		CHECK_STR(m->anchor, "objectGUID");
	mapping_free(m);
}

static void
test_source_file(void)
{
	struct job_cfg job;
	struct source *s = NULL;
	struct recordset rs;
	struct err e;
	const struct record *r;
	const struct attr *a;

	memset(&job, 0, sizeof(job));
	job.name = "f";
	job.source.type = SOURCE_FILE;
	job.source.path = strdup(t_write(dir, "recs.jsonl",
		"{\"kind\":\"user\",\"anchor\":\"u1\",\"id\":\"CN=Ann Lee, OU=People,DC=Example,DC=com\","
		"\"attrs\":{\"mail\":\"ann@example.com\",\"title\":[\"Dr\",\"Boss\"],\"age\":42,\"active\":true}}\n"
		"\n"
		"# a comment line\n"
		"{\"kind\":\"user\",\"anchor\":\"u2\",\"attrs\":{\"mail\":[\"bo@example.com\"]}}\r\n"
		"{\"kind\":\"group\",\"anchor\":\"g1\",\"id\":\"cn=staff,ou=groups,dc=example,dc=com\","
		"\"attrs\":{\"cn\":\"staff\"},\"members\":[\"cn=ann lee,ou=people,dc=example,dc=com\",\"u2\"]}\n"));
	recordset_init(&rs);
	err_clear(&e);
	CHECK_INT(source_file_ops.open(&job, &s, &e), 0);
	CHECK_INT(source_file_ops.fetch(s, &rs, &e), 0);
	CHECK_STR(e.msg, "");
	source_file_ops.close(s);
	recordset_link_groups(&rs);
	CHECK_INT(rs.nusers, 2);
	CHECK_INT(rs.ngroups, 1);
	r = recordset_find(&rs, "cn=ann lee,ou=people,dc=example,dc=com");
	CHECK(r != NULL);
	if (r) {
		CHECK_STR(r->anchor, "u1");
		CHECK_STR(r->id, "CN=Ann Lee, OU=People,DC=Example,DC=com");
		CHECK_STR(record_first(r, "MAIL"), "ann@example.com");
		a = record_attr(r, "title");
		CHECK(a != NULL && a->n == 2 && strcmp(a->vals[1], "Boss") == 0);
		CHECK_STR(record_first(r, "age"), "42");
		CHECK_STR(record_first(r, "active"), "true");
		CHECK_STR(record_first(r, "memberOf"),
			  "cn=staff,ou=groups,dc=example,dc=com");
	}
	r = recordset_find(&rs, "u2");
	CHECK(r != NULL && strcmp(r->id, "u2") == 0);
	if (r)
		CHECK_STR(record_first(r, "memberOf"),
			  "cn=staff,ou=groups,dc=example,dc=com");
	r = rs.groups[0];
	CHECK_INT(r->nmembers, 2);
	CHECK_STR(r->member_keys[1], "u2");
	recordset_release(&rs);
	free(job.source.path);
}

static void
expect_fetch_err(const char *jsonl, const char *rest)
{
	struct job_cfg job;
	struct recordset rs;
	struct err e;
	char want[4096];

	memset(&job, 0, sizeof(job));
	job.name = "f";
	job.source.type = SOURCE_FILE;
	job.source.path = strdup(t_write(dir, "bad.jsonl", jsonl));
	recordset_init(&rs);
	err_clear(&e);
	snprintf(want, sizeof(want), "%s%s", job.source.path, rest);
	CHECK_INT(source_fetch_all(&job, NULL, &rs, &e), -1);
	CHECK_STR(e.msg, want);
	CHECK_INT(e.code, ERR_FETCH);
	CHECK_INT(rs.nusers, 0);	/* a failed fetch leaves nothing */
	recordset_release(&rs);
	free(job.source.path);
}

static void
test_source_file_errors(void)
{
	static const char ok[] = "{\"kind\":\"user\",\"anchor\":\"u1\"}\n";
	char buf[512];

	snprintf(buf, sizeof(buf), "%s\n%s", ok, "{\"kind\":\"user\",\"anchor\":\n");
	expect_fetch_err(buf, ":3: invalid JSON: unexpected token near end of file");
	snprintf(buf, sizeof(buf), "%s%s", ok, ok);
	expect_fetch_err(buf, ":2: duplicate anchor 'u1'");
	snprintf(buf, sizeof(buf), "%s{\"kind\":\"robot\",\"anchor\":\"x\"}\n", ok);
	expect_fetch_err(buf, ":2: 'kind' must be \"user\" or \"group\"");
	expect_fetch_err("{\"kind\":\"user\",\"anchr\":\"x\"}\n",
			 ":1: unknown key 'anchr'");
	expect_fetch_err("{\"kind\":\"user\",\"anchor\":\"x\",\"attrs\":{\"a\":[{}]}}\n",
			 ":1: attribute 'a': values must be strings");
	expect_fetch_err("[1]\n", ":1: expected a JSON object");
	expect_fetch_err("{\"kind\":\"user\",\"anchor\":\"\xff\"}\n",
			 ":1: invalid JSON: unable to decode byte 0xff near '\"'");
}

int
main(void)
{
	dir = t_mkdtemp();
	RUN(test_config_full);
	RUN(test_config_defaults);
	RUN(test_config_scim);
	RUN(test_config_err_unknown_key);
	RUN(test_config_err_duration);
	RUN(test_config_err_on_missing);
	RUN(test_config_err_missing);
	RUN(test_config_err_types);
	RUN(test_config_err_mapping);
	RUN(test_config_hostile);
	RUN(test_config_secrets);
	RUN(test_config_durations);
	RUN(test_config_example);
	RUN(test_source_file);
	RUN(test_source_file_errors);
	t_rmdir(dir);
	free(dir);
	return t_done();
}
