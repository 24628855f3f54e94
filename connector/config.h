/*
 * config: the YAML config file (DESIGN §4) as a struct, with every job's
 * mapping (DESIGN §5) loaded and compiled.
 *
 * config_load() reports the first error as "FILE:LINE:COL: message"
 * (ERR_CONFIG).  Relative paths in the config (store, mapping,
 * password_file, ca_file, token_file, source.path) are resolved against the
 * config file's directory.  Secrets are not read here: only their file
 * names or environment variable names are kept; sources read them when
 * they connect (config_read_secret()).
 *
 * Ownership: config_free() frees everything, mappings included.
 */
#ifndef HS_CONFIG_H
#define HS_CONFIG_H

#include <stddef.h>

#include "util/err.h"

struct mapping;

enum source_type { SOURCE_LDAP, SOURCE_SCIM, SOURCE_FILE };
enum on_missing { ON_MISSING_DEALLOCATE, ON_MISSING_DELETE, ON_MISSING_IGNORE };
/* A managed team the source no longer names (DESIGN §1). */
enum on_missing_team { ON_MISSING_TEAM_KEEP, ON_MISSING_TEAM_DELETE };
/* DESIGN §4 `incremental`, in the order the config names them. */
enum incremental { INCR_SYNCREPL, INCR_USN, INCR_NONE };

struct search_cfg {
	char *base;
	char *filter;		/* server-side filter, RFC 4515 text */
};

struct secret_cfg {
	char *file;		/* path, or NULL */
	char *env;		/* environment variable name, or NULL */
};

struct ldap_cfg {
	char **urls;		/* tried in order */
	size_t nurls;
	int starttls;
	char *ca_file;
	int insecure_skip_verify;
	char *bind_dn;		/* NULL: anonymous */
	struct secret_cfg password;
	struct search_cfg users, groups;	/* groups.base NULL: no groups */
	int page_size;		/* default 1000 */
	int timeout_s;		/* default 30 */
	int range_step;		/* AD ranged retrieval step, default 1500 */
	enum incremental incremental;	/* default none (README) */
};

struct oauth2_cfg {
	char *token_url;	/* NULL: no OAuth 2.0 */
	char *client_id;
	struct secret_cfg client_secret;
	char *scope;
};

struct scim_cfg {
	char *base_url;
	struct secret_cfg token;
	struct oauth2_cfg oauth2;
	char *ca_file;
	int insecure_skip_verify;
	int page_size;		/* default 100 */
	int concurrency;	/* default 4 */
	int connect_timeout_s;	/* default 10 */
	int timeout_s;		/* per request, default 60 */
	int max_retries;	/* default 5 */
	char *users_filter;	/* server-side SCIM filter, or NULL */
	char *groups_filter;
	int fetch_groups;	/* default 1 */
	int inactive_as_missing;	/* active:false users treated as gone; default 1 */
	char *users_path;	/* resource paths under base_url: "Users" and */
	char *groups_path;	/* "Groups" (RFC 7644); Entra serves "users" */
};

struct source_cfg {
	enum source_type type;
	struct ldap_cfg ldap;
	struct scim_cfg scim;
	char *path;		/* type file: JSON Lines records */
};

struct safety_cfg {
	int max_deletes;		/* default 25; -1 unlimited */
	int max_delete_percent;		/* default 5; -1 unlimited */
	int max_source_shrink_percent;	/* default 20 */
	enum on_missing on_missing;	/* default deallocate */
	long delete_after_s;		/* 0: never */
};

struct job_cfg {
	char *name;
	char *schedule;			/* NULL: manual only */
	long full_sync_every_s;
	struct source_cfg source;
	char *mapping_path;
	struct mapping *mapping;
	struct safety_cfg safety;
	enum on_missing_team on_missing_team;	/* default keep (warned) */
	int line;			/* where the job starts, for messages */
};

struct role_cfg {
	char *name;
	char **perms;			/* "conversations:read:team" */
	size_t nperms;
};

struct config {
	char *path;
	char *dir;			/* directory of path */
	char *store;			/* store file */
	int seat_capacity;		/* default 0 */
	struct role_cfg *roles;
	size_t nroles;
	struct job_cfg *jobs;
	size_t njobs;
};

/* Loads and validates path (and the mappings it names).  On success sets
 * *out (config_free it).  On error *out is untouched. */
int config_load(const char *path, struct config **out, struct err *e);
void config_free(struct config *c);
const struct job_cfg *config_job(const struct config *c, const char *name);
const struct role_cfg *config_role(const struct config *c, const char *name);

/* Reads a secret (file: first line, trailing newline stripped; or env).
 * Returns a malloc'd string the caller must wipe and free, or NULL with e
 * set.  The message names the file or variable, never the value. */
char *config_read_secret(const struct secret_cfg *s, const char *what,
			 struct err *e);

/* Wipes and frees a secret from config_read_secret() (NULL: nothing). */
void config_secret_free(char *s);

/* Parses "30s", "15m", "24h", "30d" or a plain number of seconds.
 * Returns 0 and sets *secs, or -1. */
int config_parse_duration(const char *s, long *secs);

#endif
