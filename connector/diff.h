/*
 * diff: desired workspace vs store snapshot -> plan (DESIGN §1, §6).
 *
 * Members are matched by anchor within the job, never by position; an
 * email change is an update.  Members of this job absent from desired
 * follow safety.on_missing.  Seats follow seats.c.  Manual members are
 * never touched unless the mapping adopts them by email.
 */
#ifndef HS_DIFF_H
#define HS_DIFF_H

#include <stdint.h>

#include "config.h"
#include "desired.h"
#include "plan.h"
#include "store.h"
#include "util/err.h"

/* Fills p (already plan_init'ed) with the changes that take snap to d.
 * now is the run's start time (unix seconds). */
int diff_build(const struct job_cfg *job, const struct desired *d,
	       const struct snapshot *snap, int64_t now, struct plan *p,
	       struct err *e);

#endif
