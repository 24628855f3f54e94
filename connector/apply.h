/*
 * apply: executes a plan in one BEGIN IMMEDIATE transaction and records
 * the run with its changes (runs, run_changes).  Either everything is
 * written or nothing: a kill at any instant leaves the store as it was.
 * Before writing, the store's generation must still equal the plan's
 * fingerprint (else ERR_STALE, exit 3).
 */
#ifndef HS_APPLY_H
#define HS_APPLY_H

#include <stdint.h>

#include "plan.h"
#include "store.h"
#include "util/err.h"

/*
 * now: the run's start time; members created by one run share it.
 * On success sets *run_id (if not NULL).
 *
 * Changes run in plan order.  Members are found by change->anchor within
 * p->job, or "email:<email_key>" for a manual member.  update_member with
 * field managed_by (null -> p->job) adopts the manual member whose email
 * is change->subject under change->anchor.  Fields accepted: members
 * name email role custom_fields status ("active" | "suspended"), teams
 * type group description color; set_manager's fields are display only
 * (change->target decides).  A change naming something missing, an
 * unknown field, a duplicate email (case-insensitive), seats over
 * capacity or a circular reporting chain fails the whole plan: -1,
 * e names the change, nothing is written.
 */
int apply_plan(struct store *s, const struct plan *p, int64_t now,
	       int64_t *run_id, struct err *e);
/* apply_plan, also writing the job's source mirror and its cursors (when
 * m->used) in the same transaction: the mirror then describes the source
 * the workspace was synced from. */
int apply_plan_mirror(struct store *s, const struct plan *p,
		      const struct mirror *m, int64_t now, int64_t *run_id,
		      struct err *e);

/* Records a run that changed nothing or failed (plan-only runs are not
 * recorded).  outcome: "ok", "refused", "error: ...".  source_users < 0:
 * unknown.  Its own transaction; history only, so the generation (and
 * with it every saved plan) stays valid. */
int apply_record_run(struct store *s, const char *job, int64_t now,
		     const char *outcome, long source_users, struct err *e);

#endif
