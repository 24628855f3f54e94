/*
 * run: one job's dry run, shared by plan, apply and preview: fetch the
 * source, map it, load the store snapshot, diff.  Nothing is written.
 *
 * Ownership: everything (records, desired state, snapshot, plan) belongs
 * to struct run and is freed by run_release().
 */
#ifndef HS_RUN_H
#define HS_RUN_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "desired.h"
#include "mirror.h"
#include "plan.h"
#include "record.h"
#include "store.h"
#include "util/arena.h"
#include "util/err.h"

struct run {
	const struct job_cfg *job;
	int64_t now;			/* the run's start time */
	struct timespec t0;		/* monotonic start, for -v timings */
	struct arena arena;
	struct recordset rs;
	struct desired d;
	struct snapshot snap;
	struct plan plan;
	struct mirror mirror;		/* incremental jobs (mirror.h) */
	struct store *store;		/* where mirror.rows reads */
	const char *keep[2];		/* rs.keep when slimming users */
	int have_d, have_snap, have_plan, have_mirror;
};

/* run_map / run_plan flags. */
enum {
	RUN_APPLY = 1 << 0,	/* the run will be applied: keep the source
				 * mirror for apply to write */
	RUN_FULL = 1 << 1,	/* fetch everything even if the job is
				 * incremental (plan/apply --full) */
	RUN_SNAPSHOT = 1 << 2,	/* (run_plan) a plan follows: users are
				 * slimmed once mapped, and an incremental
				 * run loads the snapshot meanwhile */
};

/* Fetches and maps job (no store needed): fills r->rs and r->d.  With a
 * store, an incremental job refreshes its mirror (r->mirror, kept when
 * flags has RUN_APPLY and the source used it). */
int run_map(const struct job_cfg *job, struct store *s, unsigned flags,
	    struct run *r, struct err *e);
/* run_map, then snapshot and diff: fills r->plan.  capacity is the
 * config's seats.capacity, used unless an admin set one in the store.
 * Safety refusals of the source guards are ERR_SAFETY. */
int run_plan(const struct job_cfg *job, int capacity, struct store *s,
	     unsigned flags, struct run *r, struct err *e);
void run_release(struct run *r);

/* Selects jobs by name from argv-style names (all jobs if n == 0).
 * Returns the count written to out (size c->njobs), or -1 with e set. */
int run_select_jobs(const struct config *c, char **names, int n,
		    const struct job_cfg **out, struct err *e);

#endif
