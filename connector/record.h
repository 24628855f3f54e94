/*
 * record: the source-neutral entry (DESIGN §2).
 *
 * A record is what every source produces and all later stages consume:
 * anchor, kind, DN or id, attributes (name -> values) and, for groups,
 * member references.  After source_*.c nothing sees libldap, curl or
 * jansson types.
 *
 * Ownership: records and everything they point to live in the recordset's
 * arena and are freed by recordset_release().  Values are NUL-terminated
 * byte strings; sources convert binary values they need (objectGUID) to
 * text.  Values are NOT guaranteed to be valid UTF-8: writers of plans and
 * the store clean them (str_add_utf8_clean).
 *
 * SCIM attributes are flattened by the SCIM source into path names:
 * "userName", "name.givenName", "emails[primary].value", "emails.value",
 * "active", "manager", "department", "employeeNumber", "externalId",
 * "meta.lastModified".  Attribute names compare case-insensitively.
 */
#ifndef HS_RECORD_H
#define HS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/hmap.h"

enum record_kind { RECORD_USER, RECORD_GROUP };

struct attr {
	const char *name;
	size_t n;
	const char **vals;
};

struct record {
	enum record_kind kind;
	const char *anchor;	/* stable id: entryUUID, objectGUID, SCIM id */
	const char *id;		/* DN (LDAP) or id (SCIM), as the source gave it */
	const char *key;	/* normalised id used to resolve references:
				 * dn_normalize(DN) for LDAP, id for SCIM */
	size_t nattrs;
	struct attr *attrs;
	size_t nmembers;	/* groups: member references, as given */
	const char **members;
	const char **member_keys; /* same, normalised like key; NULL entries
				   * for references that are not valid DNs */
	const uint32_t *in_groups; /* users, once linked: the index in
				  * rs->groups of every group that contains
				  * it (nested too), ascending */
	size_t nin_groups;
};

/* Builder: collects one entry's attributes in reusable buffers, then
 * copies it compactly into the arena.  One builder per source fetch. */
struct record_builder {
	struct arena *arena;	/* values and records */
	struct arena *name_arena; /* interned attribute names: outlive arena */
	const char **names;
	size_t *counts;
	const char **vals;	/* arena copies, grouped by attribute */
	size_t nnames, capnames, nvals, capvals;
	size_t *name_of_val;
	size_t capnov;
	const char **members, **member_keys;
	size_t nmembers, capmembers;
	const char **interned;	/* attribute names, one arena copy each */
	size_t ninterned, capinterned;
};

void record_builder_init(struct record_builder *b, struct arena *arena);
/* From now on, values and records go to arena (interned names stay where
 * they were: the records of a recordset's scratch arena use them). */
void record_builder_set_arena(struct record_builder *b, struct arena *arena);
void record_builder_release(struct record_builder *b);
/* Adds a value (n bytes, may contain anything but is cut at a NUL).
 * Values of one attribute need not be adjacent. */
void record_builder_add(struct record_builder *b, const char *name,
			const char *val, size_t n);
/* Adds a group member reference with its normalised key (key may be NULL). */
void record_builder_add_member(struct record_builder *b, const char *ref,
			       const char *key);
/* Returns the finished record (in the arena) and resets the builder.
 * anchor, id and key are copied. */
struct record *record_builder_finish(struct record_builder *b,
				     enum record_kind kind, const char *anchor,
				     const char *id, const char *key);

/* Case-insensitive lookup; NULL if absent. */
const struct attr *record_attr(const struct record *r, const char *name);
/* First value of name, or NULL. */
const char *record_first(const struct record *r, const char *name);

/*
 * recordset: everything one fetch returned.  users and groups keep the
 * order the source gave; by_key maps record->key to the record (users and
 * groups share it: a manager or member reference resolves through it).
 * by_anchor catches duplicates while the fetch runs; recordset_link_groups()
 * empties it.
 *
 * on_user (optional, set by the caller before the fetch) is called with
 * each user, in order, once it is added and linked, if the source called
 * recordset_groups_done() first: the caller maps it while the fetch goes
 * on.  Users added before that are not passed to on_user.
 */
struct linker;

struct recordset {
	struct arena arena;
	struct arena scratch;		/* users before slimming (below) */
	struct record **users, **groups;
	size_t nusers, ngroups, capusers, capgroups;
	struct hmap by_key;
	struct hmap by_anchor;
	struct linker *linker;	/* private: set by recordset_groups_done */
	void (*on_user)(void *arg, struct record *u);
	void *on_user_arg;
	/*
	 * Slimming (optional, set by the caller with on_user): once on_user
	 * has seen a streamed user, only the attributes named in keep (and
	 * anchor, id, key, groups) are needed.  A source that builds users
	 * in recordset_user_arena() then has each user copied, slim, into
	 * the arena, on_slim told (old record, slim one), and the scratch
	 * arena reused: a run never holds every user's full attributes.
	 */
	const char *const *keep;
	void (*on_slim)(void *arg, const struct record *old,
			struct record *slim);
	int slim;			/* private: a source builds in scratch */
};

void recordset_init(struct recordset *rs);
void recordset_release(struct recordset *rs);
/* Adds a finished record.  Returns 0, or -1 (and leaves rs unchanged)
 * when another record has the same anchor: the caller decides (sources
 * treat it as a duplicate and skip it). */
int recordset_add(struct recordset *rs, struct record *r);
/* The arena a source builds users in: the scratch arena when the caller
 * set keep (users are then slimmed as they stream), else rs->arena.  Ask
 * after recordset_groups_done(). */
struct arena *recordset_user_arena(struct recordset *rs);
/* Looks up a user or group by normalised key. */
struct record *recordset_find(const struct recordset *rs, const char *key);

/*
 * Adds to each user a "memberOf" value for every group that lists it (by
 * key), unless the source already gave that group in memberOf.  Nested
 * groups are expanded (a user in group A, A in group B: memberOf gets
 * both), with cycle protection.  Call once after the fetch (it also
 * empties by_anchor).
 */
void recordset_link_groups(struct recordset *rs);
/*
 * For a source that fetches all groups before any user: indexes the
 * groups' memberships now, so that recordset_add() links each user (and
 * calls on_user) as it arrives, instead of recordset_link_groups() doing
 * it all after the fetch.  No group may be added afterwards.  A member
 * key that names a group is a nested group, even if a user later turns up
 * with that key (LDAP: one DN, one entry).
 */
void recordset_groups_done(struct recordset *rs);

#endif
