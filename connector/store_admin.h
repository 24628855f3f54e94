/*
 * store_admin: the manual admin actions of DESIGN §3 (member add / set /
 * unpin / delete, seats allocate / deallocate / capacity, group delete),
 * and the read queries of `history` and `status` (store_views.c).
 *
 * Each write runs in its own BEGIN IMMEDIATE transaction, bumps
 * meta.generation (so a plan saved before it is refused as stale), and
 * records a run with job "manual", the actor and the one change, so
 * `history` shows hand-made changes next to the syncs.  On error nothing is
 * written and e says why; the messages are the ones the CLI prints.
 *
 * A hand-set field is pinned (PIN_* in store.h): syncs leave it alone
 * until `member unpin`.  The workspace rules hold here as in apply:
 * seats never exceed capacity, the reporting chain is never circular,
 * emails are unique case-insensitively.
 */
#ifndef HS_STORE_ADMIN_H
#define HS_STORE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util/arena.h"
#include "util/err.h"

struct admin {
	const char *actor;	/* who: $SUDO_USER, $USER, getlogin(); may be NULL */
	int64_t now;		/* time of the change (UTC seconds) */
	int capacity;		/* the config's seats.capacity, used unless
				 * meta.seat_capacity was set by hand */
};

/* Fields `member set` / `member unpin` know, with their PIN_* bit
 * (unpin also takes "seat").  Returns the bit, or 0 if name is unknown. */
unsigned store_admin_pin(const char *field, int unpin);

/* A manual member (job NULL).  teams must exist (unknown: error, nothing
 * created).  Gets a seat if one is free; *seated (if not NULL) says so.
 * role is taken as given: the caller checks it against the config. */
int store_member_add(struct store *s, const struct admin *a,
		     const char *email, const char *name, const char *role,
		     const char *const *teams, size_t nteams, int *seated,
		     struct err *e);
/* field: name, role, manager (an email, or "none"), email.  Pins it. */
int store_member_set(struct store *s, const struct admin *a,
		     const char *email, const char *field, const char *value,
		     struct err *e);
/* field: name, role, manager, email or seat.  Clears the pin; the next
 * sync brings the source's value back. */
int store_member_unpin(struct store *s, const struct admin *a,
		       const char *email, const char *field, struct err *e);
/* Irreversible (DESIGN §1): tombstone in deleted_members, then the row;
 * team memberships go, reports lose their manager. */
int store_member_delete(struct store *s, const struct admin *a,
			const char *email, struct err *e);
/* seat 1: allocate (refused when none is free: "no free seat: capacity N,
 * allocated N"); 0: deallocate.  Either way the decision is pinned. */
int store_seat_set(struct store *s, const struct admin *a, const char *email,
		   int seat, struct err *e);
/* meta.seat_capacity = n (n >= 0).  *used (if not NULL) gets the seats
 * allocated now: above n, the next plan unseats members (never here). */
int store_capacity_set(struct store *s, const struct admin *a, int n,
		       int *used, struct err *e);
/* Deletes a team group; its teams move to Ungrouped (DESIGN §1).
 * *moved (if not NULL) gets how many teams moved. */
int store_group_delete(struct store *s, const struct admin *a,
		       const char *name, size_t *moved, struct err *e);

/* ---- reads (store_views.c) ---- */

struct run_row {
	int64_t id;
	const char *job;		/* "manual" for hand-made changes */
	const char *actor;		/* NULL for job runs */
	const char *outcome;		/* "ok", "refused", "error..." */
	int64_t started_at, finished_at;	/* finished_at 0: unknown */
	long source_users;		/* -1: unknown */
	long created, updated, deleted, seats_allocated, seats_deallocated,
	     warnings;
};

struct run_change_row {
	long seq;
	const char *op, *subject, *detail;	/* detail: JSON text or NULL */
};

/* Runs, newest first; job NULL for all; limit 0 for no limit.  Strings
 * and *out live in arena a.  Returns 0 or -1. */
int store_runs(struct store *s, const char *job, size_t limit,
	       struct arena *a, struct run_row **out, size_t *n,
	       struct err *e);
/* One run and its changes in order.  "no run N" if it does not exist. */
int store_run(struct store *s, int64_t id, struct arena *a,
	      struct run_row *run, struct run_change_row **changes,
	      size_t *n, struct err *e);

#endif
