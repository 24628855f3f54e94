/*
 * source_ldap_int: what source_ldap.c shares with source_ldap_sync.c (the
 * RFC 4533 incremental fetch).  Nothing else includes it.
 */
#ifndef HS_SOURCE_LDAP_INT_H
#define HS_SOURCE_LDAP_INT_H

#include <ldap.h>

#include "config.h"
#include "mirror.h"
#include "record.h"
#include "util/err.h"
#include "util/str.h"

#define DEFAULT_USERS_FILTER "(objectClass=inetOrgPerson)"
#define DEFAULT_GROUPS_FILTER \
	"(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))"

struct source {
	const struct job_cfg *job;
	const struct ldap_cfg *cfg;
	LDAP *ld;
	char *url;		/* the URL that answered */
	const char *anchor;	/* attribute holding the anchor */
	int anchor_is_guid;
	struct str dn, key, name, tmp;	/* per-entry scratch */
	int is_ad;		/* server_is_ad */
	char **ranged;		/* range_attrs' list, and its size */
	size_t ranged_cap;
	char range0[48];	/* "member;range=0-<step-1>" */
	char **attrs;		/* set by the sync: what every search asks
				 * for (NULL: source_ldap_attrs decides) */
	char *all[3];		/* "*" and the anchor, without a mapping */
	/* Incremental fetches: each record, as read (before the recordset
	 * links it to its groups), goes to sink first, which returns 1 to
	 * have it added to the recordset too, 0 to drop it. */
	int (*sink)(struct source *s, struct record *r);
	struct mirror *mirror;	/* the sinks' mirror */
	const char *key_attr;	/* the attribute keying it */
	size_t unkeyed;		/* fill: records without key_attr */
	int reload;		/* usn: an OU or container changed */
	LDAPControl *extra_ctrl;	/* sent with every paged search */
};

/* The result code libldap holds for ld (its last error). */
int source_ldap_code(LDAP *ld);
/* Sets e (ERR_FETCH) to "cannot search BASE on URL: why (diag)"; -1. */
int source_ldap_search_error(struct source *s, const char *base, int rc,
			     const char *diag, struct err *e);
/* The attributes every search asks for (NULL-terminated). */
char **source_ldap_attrs(struct source *s);
/* Copies one search entry into a record (*out), or sets *out to NULL
 * when the entry is skipped (no anchor, a DN that does not parse: warned).
 * -1 with e set when the entry cannot be read. */
int source_ldap_entry(struct source *s, LDAPMessage *entry,
		      enum record_kind kind, struct record_builder *b,
		      struct record **out, struct err *e);
/* One paged search of sc (dflt: the filter when sc has none) into rs;
 * entries become records of kind (source_ops.fetch runs two). */
int source_ldap_search(struct source *s, const struct search_cfg *sc,
		       const char *dflt, enum record_kind kind,
		       struct record_builder *b, struct recordset *rs,
		       struct err *e);
/* AD's text form of a 16-byte objectGUID, into out (reset first). */
void source_ldap_guid_text(const unsigned char *g, struct str *out);
/* The full fetch: groups, then users, paged (source_ops.fetch). */
int source_ldap_fetch(struct source *s, struct recordset *rs, struct err *e);
/* source_ops.sync, in source_ldap_sync.c. */
int source_ldap_sync(struct source *s, struct mirror *m, struct recordset *rs,
		     struct err *e);

/* Sinks (source_ldap_sync.c): the record goes to s->mirror under its
 * s->key_attr value; kept in the recordset (fill) or not (changes). */
int source_ldap_sink_fill(struct source *s, struct record *r);
int source_ldap_sink_changes(struct source *s, struct record *r);

/* Returned by an incremental refresh: the cursor cannot be used, fetch
 * everything. */
#define SOURCE_LDAP_RELOAD 1

/* `incremental: usn` (source_ldap_usn.c): start takes the position a full
 * fetch starts from into m's cursors; refresh lays the changes since the
 * cursors over m and moves them.  0, SOURCE_LDAP_RELOAD, or -1 with e set
 * and *code the LDAP result code (see source_ldap_sync.c's fallbacks). */
int source_ldap_usn_start(struct source *s, struct mirror *m, int *code,
			  struct err *e);
int source_ldap_usn_refresh(struct source *s, struct mirror *m, int *code,
			    struct err *e);

#endif
