/*
 * config: reads the config file (DESIGN §4) into struct config.
 *
 * Every key is checked against the keys its section allows: an IT
 * admin's typo ("pasword_file") must fail `check` at FILE:LINE:COL, not
 * silently fall back to a default.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter.h"
#include "mapping.h"
#include "schedule.h"
#include "util/xmalloc.h"
#include "yaml_tree.h"

/* A secret is a line, not a file to slurp; the bound stops a misnamed
 * path (a log, a disk) from being read into memory. */
#define MAX_SECRET 65536

struct cctx {
	const struct yaml_tree *t;
	struct err *e;
	const char *dir;
};

int
config_parse_duration(const char *s, long *secs)
{
	long v = 0, mult = 1;
	const char *p = s;

	if (s == NULL || !isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (LONG_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		p++;
		break;
	case 'm':
		mult = 60, p++;
		break;
	case 'h':
		mult = 3600, p++;
		break;
	case 'd':
		mult = 86400, p++;
		break;
	default:
		return -1;
	}
	if (*p != '\0' || v > LONG_MAX / mult)
		return -1;
	*secs = v * mult;
	return 0;
}

/* Resolves p against the config file's directory (DESIGN §4). */
static char *
resolve(const char *dir, const char *p)
{
	size_t n = strlen(dir);
	char *r;

	if (p[0] == '/' || strcmp(dir, ".") == 0)
		return xstrdup(p);
	r = xmalloc(n + strlen(p) + 2);
	sprintf(r, "%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", p);
	return r;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* A non-empty string (*out untouched when absent). */
static int
str_key(struct cctx *x, const struct ynode *map, const char *key,
	int required, const char *where, char **out)
{
	const struct ynode *n;

	if (yaml_tree_child(x->t, map, key, YNODE_SCALAR, required, where, &n,
			    x->e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	if (n->len == 0)
		return yaml_tree_error(x->t, n, x->e, "'%s' must not be empty",
				       key);
	free(*out);
	*out = xstrdup(n->str);
	return 0;
}

static int
path_key(struct cctx *x, const struct ynode *map, const char *key,
	 int required, const char *where, char **out)
{
	char *p = NULL;

	if (str_key(x, map, key, required, where, &p) < 0)
		return -1;
	if (p) {
		free(*out);
		*out = resolve(x->dir, p);
		free(p);
	}
	return 0;
}

static int
dur_key(struct cctx *x, const struct ynode *map, const char *key,
	long max, long *out)
{
	const struct ynode *n;
	long v;

	if (yaml_tree_child(x->t, map, key, YNODE_SCALAR, 0, NULL, &n,
			    x->e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	if (config_parse_duration(n->str, &v) < 0 || v > max)
		return yaml_tree_error(x->t, n, x->e,
				       "invalid duration '%.50s' for '%s' "
				       "(expected e.g. 30s, 15m, 24h or 30d)",
				       n->str, key);
	*out = v;
	return 0;
}

static int
dur_int_key(struct cctx *x, const struct ynode *map, const char *key,
	    int *out)
{
	long v = *out;

	if (dur_key(x, map, key, INT_MAX, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* Checks that a value is one of names (NULL-terminated); returns its
 * index in *out. */
static int
enum_key(struct cctx *x, const struct ynode *map, const char *key,
	 const char *const *names, const char *expected, int required,
	 const char *where, int *out)
{
	const struct ynode *n;
	int i;

	if (yaml_tree_child(x->t, map, key, YNODE_SCALAR, required, where, &n,
			    x->e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	for (i = 0; names[i]; i++) {
		if (strcmp(n->str, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return yaml_tree_error(x->t, n, x->e,
			       "invalid %s '%.100s' (expected %s)", key, n->str,
			       expected);
}

static int
env_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* A secret given as FILEKEY (a path) or ENVKEY (a variable name). */
static int
secret_keys(struct cctx *x, const struct ynode *map, const char *filekey,
	    const char *envkey, const char *where, struct secret_cfg *s)
{
	const struct ynode *envn;

	if (path_key(x, map, filekey, 0, where, &s->file) < 0 ||
	    str_key(x, map, envkey, 0, where, &s->env) < 0)
		return -1;
	envn = yaml_tree_get(map, envkey, NULL);
	if (s->env && !env_name_ok(s->env))
		return yaml_tree_error(x->t, envn, x->e,
				       "'%s' must be an environment variable "
				       "name, not '%.100s'", envkey, s->env);
	if (s->file && s->env)
		return yaml_tree_error(x->t, envn, x->e,
				       "set either '%s' or '%s', not both",
				       filekey, envkey);
	return 0;
}

/* Checks a server-side filter's syntax now rather than at the first
 * search. */
static int
server_filter_key(struct cctx *x, const struct ynode *map, const char *key,
		  const char *where, char **out)
{
	const struct ynode *n;
	struct err fe = { ERR_NONE, "" };
	struct filter *f;
	int col = 0;

	if (yaml_tree_child(x->t, map, key, YNODE_SCALAR, 0, where, &n,
			    x->e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	f = filter_parse(n->str, &col, &fe);
	if (f == NULL)
		return yaml_tree_error_col(x->t, n, col, x->e, fe.msg);
	filter_free(f);
	free(*out);
	*out = xstrdup(n->str);
	return 0;
}

static int
search_key(struct cctx *x, const struct ynode *src, const char *key,
	   int required, struct search_cfg *s)
{
	static const char *const keys[] = { "base", "filter", NULL };
	const struct ynode *n;

	if (yaml_tree_child(x->t, src, key, YNODE_MAP, required, "source", &n,
			    x->e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	if (yaml_tree_check_keys(x->t, n, keys, key, x->e) < 0 ||
	    str_key(x, n, "base", 1, key, &s->base) < 0 ||
	    server_filter_key(x, n, "filter", key, &s->filter) < 0)
		return -1;
	if (s->filter == NULL)
		s->filter = xstrdup("(objectClass=*)");
	return 0;
}

static int
url_ok(const char *u, const char *const *schemes)
{
	size_t i;

	for (i = 0; schemes[i]; i++)
		if (strncasecmp(u, schemes[i], strlen(schemes[i])) == 0 &&
		    u[strlen(schemes[i])] != '\0')
			return 1;
	return 0;
}

static int
ldap_url(struct cctx *x, struct ldap_cfg *l, const struct ynode *n)
{
	static const char *const schemes[] = { "ldap://", "ldaps://",
		"ldapi://", NULL };

	if (yaml_tree_expect(x->t, n, YNODE_SCALAR, "url", x->e) < 0)
		return -1;
	if (!url_ok(n->str, schemes))
		return yaml_tree_error(x->t, n, x->e,
				       "invalid url '%.200s' (expected "
				       "ldap://, ldaps:// or ldapi://)", n->str);
	l->urls[l->nurls++] = xstrdup(n->str);
	return 0;
}

/* url: one string or a list, tried in order. */
static int
ldap_urls(struct cctx *x, const struct ynode *src, struct ldap_cfg *l)
{
	const struct ynode *n = yaml_tree_get(src, "url", NULL);
	size_t i;

	if (yaml_tree_is_null(n))
		return yaml_tree_error(x->t, src, x->e,
				       "missing required key 'url' in source");
	if (n->kind == YNODE_SCALAR) {
		l->urls = xcalloc(1, sizeof(*l->urls));
		return ldap_url(x, l, n);
	}
	if (yaml_tree_expect(x->t, n, YNODE_SEQ, "url", x->e) < 0)
		return -1;
	if (n->n == 0)
		return yaml_tree_error(x->t, n, x->e, "'url' must not be empty");
	l->urls = xcalloc(n->n, sizeof(*l->urls));
	for (i = 0; i < n->n; i++)
		if (ldap_url(x, l, n->items[i]) < 0)
			return -1;
	return 0;
}

static int
parse_ldap(struct cctx *x, const struct ynode *src, struct ldap_cfg *l)
{
	static const char *const keys[] = { "type", "url", "starttls",
		"ca_file", "insecure_skip_verify", "bind_dn", "password_file",
		"password_env", "users", "groups", "page_size", "timeout",
		"range_step", "incremental", NULL };
	static const char *const incr[] = { "syncrepl", "usn", "none", NULL };
	int incremental = INCR_NONE;

	l->page_size = 1000;
	l->timeout_s = 30;
	l->range_step = 1500;
	if (yaml_tree_check_keys(x->t, src, keys, "source", x->e) < 0 ||
	    ldap_urls(x, src, l) < 0 ||
	    yaml_tree_bool(x->t, src, "starttls", &l->starttls, x->e) < 0 ||
	    path_key(x, src, "ca_file", 0, "source", &l->ca_file) < 0 ||
	    yaml_tree_bool(x->t, src, "insecure_skip_verify",
			   &l->insecure_skip_verify, x->e) < 0 ||
	    str_key(x, src, "bind_dn", 0, "source", &l->bind_dn) < 0 ||
	    secret_keys(x, src, "password_file", "password_env", "source",
			&l->password) < 0 ||
	    search_key(x, src, "users", 1, &l->users) < 0 ||
	    search_key(x, src, "groups", 0, &l->groups) < 0 ||
	    yaml_tree_int(x->t, src, "page_size", 1, 1000000, &l->page_size,
			  x->e) < 0 ||
	    dur_int_key(x, src, "timeout", &l->timeout_s) < 0 ||
	    yaml_tree_int(x->t, src, "range_step", 1, 1000000, &l->range_step,
			  x->e) < 0 ||
	    enum_key(x, src, "incremental", incr, "syncrepl, usn or none", 0,
		     "source", &incremental) < 0)
		return -1;
	l->incremental = (enum incremental)incremental;
	/* Directories rewrite memberOf without marking the member changed
	 * (slapd's memberof overlay keeps entryCSN, AD's back-links keep
	 * uSNChanged): a refresh would never see anyone join or leave. */
	if (l->incremental != INCR_NONE &&
	    ((l->users.filter && strcasestr(l->users.filter, "memberof")) ||
	     (l->groups.filter && strcasestr(l->groups.filter, "memberof"))))
		return yaml_tree_error(x->t, yaml_tree_get(src, "incremental",
							    NULL), x->e,
				       "'incremental' cannot follow a search "
				       "filter on memberOf (it changes without "
				       "marking the entry changed): filter with "
				       "the mapping's include, which reads the "
				       "fetched groups");
	/* A bind DN with no password would be an unauthenticated bind
	 * (RFC 4513 §5.1.2), which servers accept as anonymous. */
	if (l->bind_dn && !l->password.file && !l->password.env)
		return yaml_tree_error(x->t, yaml_tree_get(src, "bind_dn", NULL),
				       x->e, "'bind_dn' needs 'password_file' "
				       "or 'password_env'");
	return 0;
}

static int
parse_oauth2(struct cctx *x, const struct ynode *src, struct oauth2_cfg *o)
{
	static const char *const keys[] = { "token_url", "client_id",
		"client_secret_file", "client_secret_env", "scope", NULL };
	const struct ynode *n;

	if (yaml_tree_child(x->t, src, "oauth2", YNODE_MAP, 0, "source", &n,
			    x->e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	if (yaml_tree_check_keys(x->t, n, keys, "oauth2", x->e) < 0 ||
	    str_key(x, n, "token_url", 1, "oauth2", &o->token_url) < 0 ||
	    str_key(x, n, "client_id", 1, "oauth2", &o->client_id) < 0 ||
	    secret_keys(x, n, "client_secret_file", "client_secret_env",
			"oauth2", &o->client_secret) < 0 ||
	    str_key(x, n, "scope", 0, "oauth2", &o->scope) < 0)
		return -1;
	if (!o->client_secret.file && !o->client_secret.env)
		return yaml_tree_error(x->t, n, x->e,
				       "missing required key 'client_secret_file' "
				       "or 'client_secret_env' in oauth2");
	return 0;
}

/* A SCIM resource path under base_url ("Users"; Entra: "users"): letters,
 * digits and - _ . / only, so that it cannot inject a query or a host. */
static int
resource_path_key(struct cctx *x, const struct ynode *src, const char *key,
		  char **out)
{
	const char *p;

	if (str_key(x, src, key, 0, "source", out) < 0)
		return -1;
	for (p = *out; p != NULL && *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("-_./", *p) == NULL)
			break;
	if (*out != NULL && (**out == '\0' || **out == '/' || *p != '\0'))
		return yaml_tree_error(x->t, yaml_tree_get(src, key, NULL),
				       x->e, "invalid %s '%.100s' (a path like "
				       "'Users')", key, *out);
	return 0;
}

static int
parse_scim(struct cctx *x, const struct ynode *src, struct scim_cfg *s)
{
	static const char *const keys[] = { "type", "base_url", "token_file",
		"token_env", "oauth2", "ca_file", "insecure_skip_verify",
		"page_size", "concurrency", "connect_timeout", "timeout",
		"max_retries", "users_filter", "groups_filter", "groups",
		"users_path", "groups_path",
		"inactive_as_missing", NULL };
	static const char *const schemes[] = { "http://", "https://", NULL };

	s->page_size = 100;
	s->concurrency = 4;
	s->connect_timeout_s = 10;
	s->timeout_s = 60;
	s->max_retries = 5;
	s->fetch_groups = 1;
	s->inactive_as_missing = 1;
	if (yaml_tree_check_keys(x->t, src, keys, "source", x->e) < 0 ||
	    str_key(x, src, "base_url", 1, "source", &s->base_url) < 0)
		return -1;
	if (!url_ok(s->base_url, schemes))
		return yaml_tree_error(x->t, yaml_tree_get(src, "base_url", NULL),
				       x->e, "invalid base_url '%.200s' "
				       "(expected http:// or https://)",
				       s->base_url);
	if (secret_keys(x, src, "token_file", "token_env", "source",
			&s->token) < 0 ||
	    parse_oauth2(x, src, &s->oauth2) < 0 ||
	    path_key(x, src, "ca_file", 0, "source", &s->ca_file) < 0 ||
	    yaml_tree_bool(x->t, src, "insecure_skip_verify",
			   &s->insecure_skip_verify, x->e) < 0 ||
	    yaml_tree_int(x->t, src, "page_size", 1, 100000, &s->page_size,
			  x->e) < 0 ||
	    yaml_tree_int(x->t, src, "concurrency", 1, 64, &s->concurrency,
			  x->e) < 0 ||
	    dur_int_key(x, src, "connect_timeout", &s->connect_timeout_s) < 0 ||
	    dur_int_key(x, src, "timeout", &s->timeout_s) < 0 ||
	    yaml_tree_int(x->t, src, "max_retries", 0, 100, &s->max_retries,
			  x->e) < 0 ||
	    str_key(x, src, "users_filter", 0, "source", &s->users_filter) < 0 ||
	    str_key(x, src, "groups_filter", 0, "source", &s->groups_filter) < 0 ||
	    yaml_tree_bool(x->t, src, "groups", &s->fetch_groups, x->e) < 0 ||
	    yaml_tree_bool(x->t, src, "inactive_as_missing",
			   &s->inactive_as_missing, x->e) < 0 ||
	    resource_path_key(x, src, "users_path", &s->users_path) < 0 ||
	    resource_path_key(x, src, "groups_path", &s->groups_path) < 0)
		return -1;
	if ((s->token.file || s->token.env) && s->oauth2.token_url)
		return yaml_tree_error(x->t, yaml_tree_get(src, "oauth2", NULL),
				       x->e, "set either a token or 'oauth2', "
				       "not both");
	return 0;
}

static int
parse_file_source(struct cctx *x, const struct ynode *src, char **path)
{
	static const char *const keys[] = { "type", "path", NULL };

	if (yaml_tree_check_keys(x->t, src, keys, "source", x->e) < 0 ||
	    path_key(x, src, "path", 1, "source", path) < 0)
		return -1;
	return 0;
}

static int
parse_source(struct cctx *x, const struct ynode *job, struct source_cfg *s)
{
	static const char *const types[] = { "ldap", "scim", "file", NULL };
	const struct ynode *src;
	int type = 0;

	if (yaml_tree_child(x->t, job, "source", YNODE_MAP, 1, "job", &src,
			    x->e) < 0 ||
	    enum_key(x, src, "type", types, "ldap, scim or file", 1, "source",
		     &type) < 0)
		return -1;
	s->type = (enum source_type)type;
	switch (s->type) {
	case SOURCE_LDAP:
		return parse_ldap(x, src, &s->ldap);
	case SOURCE_SCIM:
		return parse_scim(x, src, &s->scim);
	default:
		return parse_file_source(x, src, &s->path);
	}
}

static int
parse_safety(struct cctx *x, const struct ynode *job, struct safety_cfg *s)
{
	static const char *const keys[] = { "max_deletes", "max_delete_percent",
		"max_source_shrink_percent", "on_missing", "delete_after", NULL };
	static const char *const modes[] = { "deallocate", "delete", "ignore",
		NULL };
	const struct ynode *n;
	int mode = ON_MISSING_DEALLOCATE;

	s->max_deletes = 25;
	s->max_delete_percent = 5;
	s->max_source_shrink_percent = 20;
	s->on_missing = ON_MISSING_DEALLOCATE;
	s->delete_after_s = 0;
	if (yaml_tree_child(x->t, job, "safety", YNODE_MAP, 0, "job", &n,
			    x->e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	if (yaml_tree_check_keys(x->t, n, keys, "safety", x->e) < 0 ||
	    yaml_tree_int(x->t, n, "max_deletes", -1, INT_MAX, &s->max_deletes,
			  x->e) < 0 ||
	    yaml_tree_int(x->t, n, "max_delete_percent", -1, 100,
			  &s->max_delete_percent, x->e) < 0 ||
	    yaml_tree_int(x->t, n, "max_source_shrink_percent", 0, 100,
			  &s->max_source_shrink_percent, x->e) < 0 ||
	    enum_key(x, n, "on_missing", modes, "deallocate, delete or ignore",
		     0, "safety", &mode) < 0 ||
	    dur_key(x, n, "delete_after", LONG_MAX, &s->delete_after_s) < 0)
		return -1;
	s->on_missing = (enum on_missing)mode;
	return 0;
}

/* Job names are command-line arguments and log fields: keep them plain. */
static int
job_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return 1;
}

/* A schedule the daemon could not follow is a `check` error, at the
 * value (DESIGN §4). */
static int
check_schedule(struct cctx *x, const struct ynode *job, const char *spec)
{
	struct schedule sch;
	struct err se;

	if (spec == NULL)
		return 0;
	memset(&se, 0, sizeof(se));
	if (schedule_parse(spec, &sch, &se) < 0)
		return yaml_tree_error(x->t, yaml_tree_get(job, "schedule", NULL),
				       x->e, "%s", se.msg);
	return 0;
}

static int
parse_job(struct cctx *x, const struct config *c, const struct ynode *n,
	  struct job_cfg *j)
{
	static const char *const keys[] = { "name", "schedule",
		"full_sync_every", "source", "mapping", "safety",
		"on_missing_team", NULL };
	static const char *const team_modes[] = { "keep", "delete", NULL };
	const struct ynode *name;
	int team_mode = ON_MISSING_TEAM_KEEP;
	size_t i;

	j->line = n->line;
	/* Incremental runs in between full ones (DESIGN §4); a day unless
	 * the config says otherwise. */
	j->full_sync_every_s = 86400;
	if (yaml_tree_expect(x->t, n, YNODE_MAP, "jobs entry", x->e) < 0 ||
	    yaml_tree_check_keys(x->t, n, keys, "job", x->e) < 0 ||
	    yaml_tree_child(x->t, n, "name", YNODE_SCALAR, 1, "job", &name,
			    x->e) < 0)
		return -1;
	if (!job_name_ok(name->str))
		return yaml_tree_error(x->t, name, x->e,
				       "invalid job name '%.100s' (use letters, "
				       "digits, '.', '-' and '_')", name->str);
	for (i = 0; &c->jobs[i] != j; i++)
		if (strcmp(c->jobs[i].name, name->str) == 0)
			return yaml_tree_error(x->t, name, x->e,
					       "duplicate job name '%s'",
					       name->str);
	j->name = xstrdup(name->str);
	if (str_key(x, n, "schedule", 0, "job", &j->schedule) < 0 ||
	    check_schedule(x, n, j->schedule) < 0 ||
	    dur_key(x, n, "full_sync_every", LONG_MAX,
		    &j->full_sync_every_s) < 0 ||
	    parse_source(x, n, &j->source) < 0 ||
	    parse_safety(x, n, &j->safety) < 0 ||
	    enum_key(x, n, "on_missing_team", team_modes, "keep or delete", 0,
		     "job", &team_mode) < 0 ||
	    path_key(x, n, "mapping", 1, "job", &j->mapping_path) < 0)
		return -1;
	j->on_missing_team = (enum on_missing_team)team_mode;
	return 0;
}

/* Permissions are "resource:action" or "resource:action:scope" with scope
 * own, team or all (DESIGN §1). */
static int
perm_ok(const char *p)
{
	const char *a = strchr(p, ':'), *b;

	if (a == NULL || a == p || a[1] == '\0' || a[1] == ':')
		return 0;
	b = strchr(a + 1, ':');
	if (b == NULL)
		return strchr(p, ' ') == NULL;
	if (strchr(p, ' ') != NULL)
		return 0;
	b++;
	return strcmp(b, "own") == 0 || strcmp(b, "team") == 0 ||
	       strcmp(b, "all") == 0;
}

static int
parse_role(struct cctx *x, const struct ynode *key, const struct ynode *list,
	   struct role_cfg *r)
{
	size_t i;

	r->name = xstrdup(key->str);
	if (key->len == 0)
		return yaml_tree_error(x->t, key, x->e, "empty role name");
	if (yaml_tree_is_null(list))
		return 0;
	if (yaml_tree_expect(x->t, list, YNODE_SEQ, key->str, x->e) < 0)
		return -1;
	r->perms = xcalloc(list->n, sizeof(*r->perms));
	for (i = 0; i < list->n; i++) {
		const struct ynode *p = list->items[i];

		if (yaml_tree_expect(x->t, p, YNODE_SCALAR, "permission",
				     x->e) < 0)
			return -1;
		if (!perm_ok(p->str))
			return yaml_tree_error(x->t, p, x->e,
					       "invalid permission '%.100s' "
					       "(expected resource:action[:scope] "
					       "with scope own, team or all)",
					       p->str);
		r->perms[r->nperms++] = xstrdup(p->str);
	}
	return 0;
}

static void
add_role(struct config *c, const char *name, const char *const *perms)
{
	struct role_cfg *r = &c->roles[c->nroles++];

	r->name = xstrdup(name);
	while (perms[r->nperms])
		r->nperms++;
	r->perms = xcalloc(r->nperms, sizeof(*r->perms));
	for (size_t i = 0; i < r->nperms; i++)
		r->perms[i] = xstrdup(perms[i]);
}

/*
 * Without a roles section the config gets the three roles of DESIGN §4:
 * Admin [members:manage, conversations:read:all], Manager
 * [conversations:read:team], Member [conversations:read:own], so that a
 * minimal config and the shipped mappings (which assign Admin and
 * Member) work out of the box.  A roles section replaces them entirely.
 */
static void
builtin_roles(struct config *c)
{
	static const char *const admin[] = { "members:manage",
		"conversations:read:all", NULL };
	static const char *const manager[] = { "conversations:read:team", NULL };
	static const char *const member[] = { "conversations:read:own", NULL };

	c->roles = xcalloc(3, sizeof(*c->roles));
	add_role(c, "Admin", admin);
	add_role(c, "Manager", manager);
	add_role(c, "Member", member);
}

static int
parse_roles(struct cctx *x, struct config *c, const struct ynode *root)
{
	const struct ynode *n;
	size_t i;

	if (yaml_tree_child(x->t, root, "roles", YNODE_MAP, 0, "config", &n,
			    x->e) < 0)
		return -1;
	if (n == NULL) {
		builtin_roles(c);
		return 0;
	}
	c->roles = xcalloc(n->n, sizeof(*c->roles));
	for (i = 0; i < n->n; i++) {
		c->nroles++;
		if (parse_role(x, n->keys[i], n->items[i], &c->roles[i]) < 0)
			return -1;
	}
	return 0;
}

/* Loads the job's mapping and checks that every role it assigns exists
 * (mapping.h leaves that to us: only the config knows the roles). */
static int
load_mapping(struct cctx *x, const struct config *c, const struct ynode *job,
	     struct job_cfg *j)
{
	const struct mapping *m;
	const struct ynode *mk;
	size_t i;

	mk = yaml_tree_get(job, "mapping", NULL);
	if (mapping_load(j->mapping_path, &j->mapping, x->e) < 0) {
		if (x->e->code != ERR_CONFIG)
			return yaml_tree_error(x->t, mk, x->e, "%s", x->e->msg);
		return -1;
	}
	m = j->mapping;
	if (!config_role(c, m->role_default)) {
		if (m->role_default_line > 0)
			return err_setpos(x->e, m->path, m->role_default_line,
					  m->role_default_col,
					  "role '%.100s' is not defined in roles",
					  m->role_default);
		return yaml_tree_error(x->t, mk, x->e,
				       "default role '%.100s' of this mapping is "
				       "not defined in roles", m->role_default);
	}
	for (i = 0; i < m->nrole_rules; i++)
		if (!config_role(c, m->role_rules[i].role))
			return err_setpos(x->e, m->path, m->role_rules[i].line,
					  m->role_rules[i].col,
					  "role '%.100s' is not defined in roles",
					  m->role_rules[i].role);
	/* usn keys its mirror by objectGUID, which records carry in text
	 * form only as the anchor (README "Incremental sync"). */
	if (j->source.type == SOURCE_LDAP &&
	    j->source.ldap.incremental == INCR_USN &&
	    (m->anchor == NULL || strcasecmp(m->anchor, "objectGUID") != 0))
		return yaml_tree_error(x->t, yaml_tree_get(job, "source", NULL),
				       x->e, "'incremental: usn' needs a mapping "
				       "whose anchor is objectGUID");
	return 0;
}

static int
parse_jobs(struct cctx *x, struct config *c, const struct ynode *root)
{
	const struct ynode *n;
	size_t i;

	if (yaml_tree_child(x->t, root, "jobs", YNODE_SEQ, 0, "config", &n,
			    x->e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	c->jobs = xcalloc(n->n, sizeof(*c->jobs));
	for (i = 0; i < n->n; i++) {
		c->njobs++;
		if (parse_job(x, c, n->items[i], &c->jobs[i]) < 0)
			return -1;
	}
	/* Mappings last, so that a typo in the config is reported before
	 * anything in another file. */
	for (i = 0; i < n->n; i++)
		if (load_mapping(x, c, n->items[i], &c->jobs[i]) < 0)
			return -1;
	return 0;
}

static int
parse_top(struct cctx *x, struct config *c)
{
	static const char *const keys[] = { "store", "seats", "roles", "jobs",
		NULL };
	static const char *const seat_keys[] = { "capacity", NULL };
	const struct ynode *root = x->t->root, *seats;

	if (root == NULL)
		return yaml_tree_error(x->t, NULL, x->e, "empty config file");
	if (yaml_tree_expect(x->t, root, YNODE_MAP, "config", x->e) < 0 ||
	    yaml_tree_check_keys(x->t, root, keys, "config", x->e) < 0 ||
	    path_key(x, root, "store", 0, "config", &c->store) < 0 ||
	    yaml_tree_child(x->t, root, "seats", YNODE_MAP, 0, "config", &seats,
			    x->e) < 0 ||
	    yaml_tree_check_keys(x->t, seats, seat_keys, "seats", x->e) < 0 ||
	    yaml_tree_int(x->t, seats, "capacity", 0, INT_MAX,
			  &c->seat_capacity, x->e) < 0 ||
	    parse_roles(x, c, root) < 0 || parse_jobs(x, c, root) < 0)
		return -1;
	if (c->store == NULL)
		c->store = resolve(c->dir, "harmony-sync.db");
	return 0;
}

int
config_load(const char *path, struct config **out, struct err *e)
{
	struct yaml_tree *t = NULL;
	struct config *c = NULL;
	struct cctx x;
	int rc = -1;

	if (yaml_tree_load(path, &t, e) < 0)
		goto out;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->dir = dir_of(path);
	x.t = t;
	x.e = e;
	x.dir = c->dir;
	if (parse_top(&x, c) < 0)
		goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	config_free(c);
	yaml_tree_free(t);
	return rc;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
source_release(struct source_cfg *s)
{
	struct ldap_cfg *l = &s->ldap;
	struct scim_cfg *sc = &s->scim;

	strv_free(l->urls, l->nurls);
	free(l->ca_file);
	free(l->bind_dn);
	free(l->password.file);
	free(l->password.env);
	free(l->users.base);
	free(l->users.filter);
	free(l->groups.base);
	free(l->groups.filter);
	free(sc->base_url);
	free(sc->token.file);
	free(sc->token.env);
	free(sc->oauth2.token_url);
	free(sc->oauth2.client_id);
	free(sc->oauth2.client_secret.file);
	free(sc->oauth2.client_secret.env);
	free(sc->oauth2.scope);
	free(sc->ca_file);
	free(sc->users_filter);
	free(sc->groups_filter);
	free(sc->users_path);
	free(sc->groups_path);
	free(s->path);
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->njobs; i++) {
		struct job_cfg *j = &c->jobs[i];

		free(j->name);
		free(j->schedule);
		source_release(&j->source);
		free(j->mapping_path);
		mapping_free(j->mapping);
	}
	free(c->jobs);
	for (i = 0; i < c->nroles; i++) {
		free(c->roles[i].name);
		strv_free(c->roles[i].perms, c->roles[i].nperms);
	}
	free(c->roles);
	free(c->path);
	free(c->dir);
	free(c->store);
	free(c);
}

const struct job_cfg *
config_job(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->njobs; i++)
		if (c->jobs[i].name && strcmp(c->jobs[i].name, name) == 0)
			return &c->jobs[i];
	return NULL;
}

const struct role_cfg *
config_role(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nroles; i++)
		if (c->roles[i].name && strcmp(c->roles[i].name, name) == 0)
			return &c->roles[i];
	return NULL;
}

/* Keeps the first line, without its line ending. */
static char *
first_line(char *buf, size_t n)
{
	char *nl = memchr(buf, '\n', n);

	if (nl)
		n = (size_t)(nl - buf);
	while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n'))
		n--;
	buf[n] = '\0';
	return buf;
}

static char *
secret_file(const char *path, const char *what, struct err *e)
{
	char *buf = xmalloc(MAX_SECRET + 1);
	FILE *f;
	size_t n;
	char *nl;

	f = fopen(path, "rb");
	if (f == NULL) {
		err_set(e, "cannot read %s file '%.200s': %s", what, path,
			strerror(errno));
		goto fail;
	}
	n = fread(buf, 1, MAX_SECRET + 1, f);
	if (ferror(f)) {
		err_set(e, "cannot read %s file '%.200s': %s", what, path,
			strerror(errno));
		fclose(f);
		goto fail;
	}
	fclose(f);
	if (n > MAX_SECRET) {
		err_set(e, "%s file '%.200s' is too large", what, path);
		goto fail;
	}
	nl = memchr(buf, '\n', n);
	if (memchr(buf, '\0', nl ? (size_t)(nl - buf) : n) != NULL) {
		err_set(e, "%s file '%.200s' contains a NUL byte", what, path);
		goto fail;
	}
	first_line(buf, n);
	if (buf[0] == '\0') {
		err_set(e, "%s file '%.200s' is empty", what, path);
		goto fail;
	}
	return buf;
fail:
	explicit_bzero(buf, MAX_SECRET + 1);
	free(buf);
	return NULL;
}

char *
config_read_secret(const struct secret_cfg *s, const char *what,
		   struct err *e)
{
	const char *v;
	char *r;

	if (s->file)
		return secret_file(s->file, what, e);
	if (s->env == NULL) {
		err_set(e, "no %s configured", what);
		return NULL;
	}
	v = getenv(s->env);
	if (v == NULL) {
		err_set(e, "environment variable '%.100s' (%s) is not set",
			s->env, what);
		return NULL;
	}
	r = first_line(xstrdup(v), strlen(v));
	if (r[0] == '\0') {
		free(r);
		err_set(e, "environment variable '%.100s' (%s) is empty",
			s->env, what);
		return NULL;
	}
	return r;
}

void
config_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
