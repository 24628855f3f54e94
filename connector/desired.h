/*
 * desired: the workspace a job's source says should exist (DESIGN §1-§2),
 * built from a recordset by a mapping, with the provenance of each field
 * and the warnings the mapping raised.
 *
 * desired_build() applies the per-entry rules that need no store:
 * include filter (excluded entries are simply absent), missing_email,
 * duplicate_email (the smallest anchor wins here; diff re-decides in
 * favour of the member that already holds the email), manager resolution
 * and cycle breaking over the whole graph (manager_unresolved,
 * manager_self, manager_cycle), role rules, teams and team groups.
 *
 * Ownership: everything lives in the arena passed to desired_build()
 * (anchors, ids and team names are copied there, so the recordset may be
 * released once the build is done, leaving only dmember->rec dangling);
 * desired_release() frees only the maps.
 */
#ifndef HS_DESIRED_H
#define HS_DESIRED_H

#include <stddef.h>

#include "mapping.h"
#include "record.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/hmap.h"

enum warning_code {
	WARN_MISSING_EMAIL,
	WARN_DUPLICATE_EMAIL,
	WARN_MANAGER_UNRESOLVED,
	WARN_MANAGER_SELF,
	WARN_MANAGER_CYCLE,
	WARN_NO_SEAT_AVAILABLE,
	WARN_FILTERED_OUT,
	WARN_TEAM_ORPHANED,
	WARN__COUNT
};

/* The code as DESIGN §6 spells it ("manager_cycle"). */
const char *warning_code_name(enum warning_code c);

struct warning {
	enum warning_code code;
	const char *subject;	/* anchor-independent: email, DN or id */
	const char *message;	/* one line, no trailing newline */
};

struct kv {
	const char *key, *val;
};

/* Provenance of one field: what produced it (for preview, member show). */
struct prov {
	const char *source;	/* attribute(s) read, e.g. "mail" or "givenName,sn" */
	const char *rule;	/* mapping rule, e.g. "email: {mail|lower}" */
};

enum dfield { DF_EMAIL, DF_NAME, DF_ROLE, DF_MANAGER, DF__COUNT };

struct dmember {
	const char *anchor;
	const char *email;		/* as mapped (template output) */
	const char *email_key;		/* lower case, for uniqueness */
	const char *name;
	const char *role;
	const struct dmember *manager;	/* after cycle breaking, or NULL */
	struct kv *fields;		/* custom fields, sorted by key */
	size_t nfields;
	const char **teams;		/* team names, sorted, unique */
	size_t nteams;
	int eligible;			/* seat.eligible matched */
	int priority;			/* index of the first seat.priority
					 * filter matched, nseat_priority if none */
	struct prov prov[DF__COUNT];
	struct prov *field_prov;	/* parallel to fields */
	const char *id;			/* the entry's DN or id (a copy) */
	const struct record *rec;	/* valid while the recordset lives:
					 * run_plan() drops it after mapping */
	size_t idx;			/* its index in desired.members: lets
					 * later stages keep per-member state
					 * in arrays rather than maps */
};

struct dteam {
	const char *name;
	const char *type;
	const char *group;		/* team group name, or NULL */
	const char *description;	/* or NULL */
	const char *color;		/* or NULL */
	const char *source;		/* group DN / attribute that made it */
	enum toggle analytics_conversations;	/* TOGGLE_UNSET: keep */
	enum toggle analytics_contacts;
};

struct desired_wip;

struct desired {
	struct arena *arena;
	struct dmember **members;	/* sorted by anchor */
	size_t nmembers;
	struct hmap by_anchor;		/* anchor -> struct dmember */
	struct hmap by_email;		/* email_key -> struct dmember */
	struct dteam **teams;		/* sorted by name */
	size_t nteams;
	const char **groups;		/* team group names, sorted, unique */
	size_t ngroups;
	struct hmap excluded;		/* anchor -> struct record: users the
					 * source returned that the include
					 * filter left out (filtered_out) */
	struct warning *warnings;	/* in a deterministic order */
	size_t nwarnings, capwarnings;
	size_t nsource_users;		/* users the source returned */
	struct desired_wip *wip;	/* private: between begin and finish */
};

/*
 * Who holds an email in the store now: on a duplicate that entry keeps
 * the email (DESIGN §1), else the smallest anchor does.  holder() is asked
 * only about emails two entries claim (a handful, not every member), and
 * sets *anchor to the anchor of the job's member holding email_key, or
 * NULL.  It returns 0, or -1 with e set (the run then fails).
 */
struct incumbents {
	int (*holder)(void *arg, const char *email_key, const char **anchor,
		      struct err *e);
	void *arg;
};

/* Builds d from rs.  inc may be NULL (no store: smallest anchor wins).
 * Returns 0, or -1 with e set. */
int desired_build(const struct mapping *m, const struct recordset *rs,
		  const struct incumbents *inc, struct arena *arena,
		  struct desired *d, struct err *e);
/*
 * The same in steps, so that users can be mapped while the fetch goes on
 * (recordset on_user): desired_begin() starts an empty d; desired_add_user()
 * maps one user (pass rs->users in order, each once, linked); and
 * desired_finish() maps the users of rs not added yet, then applies the
 * rules that need all of them (duplicates, managers, teams).  After a
 * failed finish d is released; desired_release() also ends an unfinished d.
 */
void desired_begin(const struct mapping *m, struct arena *arena,
		   struct desired *d);
void desired_add_user(struct desired *d, const struct record *r);
/* old's member (the last one added, if old was mapped) now reads slim,
 * old's lasting copy (recordset slimming, record.h). */
void desired_rebind(struct desired *d, const struct record *old,
		    const struct record *slim);
int desired_finish(const struct recordset *rs, const struct incumbents *inc,
		   struct desired *d, struct err *e);
void desired_release(struct desired *d);
/* Appends a warning (subject and message are copied to the arena). */
void desired_warn(struct desired *d, enum warning_code code,
		  const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
