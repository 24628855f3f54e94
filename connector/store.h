/*
 * store: the SQLite state store (DESIGN §1): schema and versioned
 * migrations, the snapshot a diff works from, and the read side of the
 * views.  Only the store_*.c files and apply.c see SQLite (through
 * store_sql.h).
 *
 * The database runs in WAL mode with foreign keys on.  Every write
 * transaction that changes the workspace bumps meta.generation (run
 * history alone does not); a plan records it as its
 * store_fingerprint and a saved plan is refused when it no longer matches.
 */
#ifndef HS_STORE_H
#define HS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "mirror.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/hmap.h"

struct store;

/* Pinned fields (member set / seats allocate|deallocate by hand). */
enum {
	PIN_NAME = 1 << 0,
	PIN_ROLE = 1 << 1,
	PIN_MANAGER = 1 << 2,
	PIN_TEAMS = 1 << 3,
	PIN_EMAIL = 1 << 4,
	PIN_SEAT = 1 << 5,	/* seat decision made by hand: keep as is */
};

struct smember {
	int64_t id;
	const char *job;		/* NULL: manual member */
	const char *anchor;		/* NULL for manual members */
	const char *email;
	const char *email_key;		/* lower case */
	const char *name;
	const char *role;
	int64_t manager_id;		/* 0: none */
	struct smember *manager;	/* resolved by store_snapshot */
	int seat;			/* 1 if holding a seat */
	int suspended;			/* gone from source, kept (on_missing) */
	unsigned pinned;		/* PIN_* */
	const char *custom_fields;	/* canonical JSON object text ("{}") */
	const char **teams;		/* team names, sorted */
	size_t nteams;
	int64_t created_at, updated_at, seat_at, last_seen_at, suspended_at;
};

struct steam {
	int64_t id;
	const char *name, *type, *group, *description, *color;
	const char *managed_by;		/* job name, or NULL */
	size_t nmembers;
	int analytics_conversations;	/* 0 or 1 (DESIGN §1 toggles) */
	int analytics_contacts;
};

struct snapshot {
	struct arena arena;
	struct smember **members;	/* all members, sorted by email_key */
	size_t nmembers;
	struct hmap by_anchor;		/* anchor -> smember, this job only */
	struct hmap by_email;		/* email_key -> smember, all members */
	struct hmap by_id;		/* decimal id -> smember */
	struct steam **teams;		/* sorted by name */
	size_t nteams;
	struct hmap teams_by_name;
	const char **groups;		/* team group names, sorted */
	const char **group_managed_by;	/* parallel: job name or NULL */
	size_t ngroups;
	int capacity;			/* -1: not set by hand, the
					 * config's seats.capacity applies */
	int seats_used;
	int64_t generation;
	long last_source_users;		/* users seen by this job's last
					 * successful apply, -1 if none */
	size_t job_members;		/* members managed by this job */
	char fingerprint[32];		/* "g<generation>" */
};

/* Opens (creating and migrating as needed).  *out on success. */
int store_open(const char *path, struct store **out, struct err *e);
void store_close(struct store *s);
/* The path s was opened with (NULL if s is). */
const char *store_path(const struct store *s);
/* Loads everything a diff or a view needs.  job may be NULL (views).
 * Release with snapshot_release(). */
int store_snapshot(struct store *s, const char *job, struct snapshot *out,
		   struct err *e);
void snapshot_release(struct snapshot *snap);

/* Sets *anchor (copied to a) to the anchor of job's member holding
 * email_key, or NULL: who keeps an email two entries claim (DESIGN §1).
 * Returns 0, or -1 with e set. */
int store_email_holder(struct store *s, const char *job, const char *email_key,
		       struct arena *a, const char **anchor, struct err *e);

/* The fingerprint string of the store's generation ("g42"); valid as long
 * as snap. */
const char *store_fingerprint(const struct snapshot *snap);

/* Sets meta.seat_capacity (`seats capacity N`; from then on it overrides
 * the config's seats.capacity) in its own transaction.  Refused when
 * n < 0.  A capacity below the seats allocated is accepted: nobody loses a
 * seat here; the next plan shows who would, and why (DESIGN §1: never
 * silently).  Setting the value it already has writes nothing. */
int store_set_capacity(struct store *s, int n, struct err *e);

/* The source mirror of job (mirror.h): its cursors (and m->next_seq),
 * then its rows of kind in seq order, one call of fn each (data valid
 * during the call; fn returning -1 stops, e set). */
int store_mirror_cursors(struct store *s, const char *job, struct mirror *m,
			 struct err *e);
int store_mirror_rows(struct store *s, const char *job, enum record_kind kind,
		      mirror_row_fn fn, void *arg, struct err *e);
/* How many entries job's mirror holds. */
int store_mirror_count(struct store *s, const char *job, int64_t *n,
		       struct err *e);
/* The stored row of uuid, if any, to fn. */
int store_mirror_row(struct store *s, const char *job, const char *uuid,
		     mirror_row_fn fn, void *arg, struct err *e);
/* Inside the caller's write transaction: the entries apply must write
 * (all of them after a full fetch, else the changed ones) and every
 * cursor. */
int store_mirror_save(struct store *s, const char *job, const struct mirror *m,
		      struct err *e);

#endif
