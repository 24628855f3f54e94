#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "diff.h"
#include "run.h"
#include "source.h"
#include "util/log.h"

/* Milliseconds since the run started, for -v timings. */
static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - t0->tv_sec) * 1000 +
		      (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* Peak resident memory so far, in MB, for -v. */
static long
peak_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

static void
run_init(struct run *r, const struct job_cfg *job)
{
	memset(r, 0, sizeof(*r));
	r->job = job;
	r->now = (int64_t)time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	arena_init(&r->arena);
	recordset_init(&r->rs);
}

static int
load_snapshot(const struct job_cfg *job, struct store *s, struct run *r,
	      struct err *e)
{
	if (s == NULL || r->have_snap)
		return 0;
	if (store_snapshot(s, job->name, &r->snap, e) != 0)
		return -1;
	r->have_snap = 1;
	return 0;
}

/*
 * Who holds an email the source gives to two entries (DESIGN §1): asked
 * of the store for those few emails only, after the fetch.  The snapshot
 * itself is loaded once the records are freed (run_plan), so that the two
 * never sit in memory together.
 */
struct holder_ctx {
	struct store *s;
	const char *job;
	struct arena *arena;
};

static int
store_holder(void *arg, const char *email_key, const char **anchor,
	     struct err *e)
{
	const struct holder_ctx *h = arg;

	return store_email_holder(h->s, h->job, email_key, h->arena, anchor, e);
}

/*
 * An incremental refresh leaves the directory server idle and the second
 * core free: the store snapshot then loads on a thread of its own, on its
 * own connection (a store handle belongs to one thread), while the mirror
 * is rebuilt and mapped.  A full fetch keeps the snapshot for after the
 * records are freed (run_plan): there both cores are busy and the two
 * would share memory.
 */
struct snap_loader {
	const struct job_cfg *job;
	const char *path;
	struct run *r;
	struct err e;
	int rc, started;
	pthread_t th;
};

static void *
snap_thread(void *arg)
{
	struct snap_loader *L = arg;
	struct store *s = NULL;

	L->rc = store_open(L->path, &s, &L->e);
	if (L->rc == 0)
		L->rc = load_snapshot(L->job, s, L->r, &L->e);
	store_close(s);
	return NULL;
}

static void
snap_start(struct snap_loader *L, const struct job_cfg *job,
	   const char *path, struct run *r)
{
	memset(L, 0, sizeof(*L));
	L->job = job;
	L->path = path;
	L->r = r;
	L->started = path != NULL &&
		     pthread_create(&L->th, NULL, snap_thread, L) == 0;
}

/* Joins the loader; its error, if any, becomes the run's. */
static int
snap_wait(struct snap_loader *L, struct err *e)
{
	if (!L->started)
		return 0;
	pthread_join(L->th, NULL);
	L->started = 0;
	if (L->rc != 0)
		*e = L->e;
	return L->rc;
}

/* recordset on_user: maps each user while the fetch goes on. */
static void
map_streamed(void *arg, struct record *u)
{
	desired_add_user(arg, u);
}

/* recordset on_slim: the member reads the user's lasting copy. */
static void
rebind_streamed(void *arg, const struct record *old, struct record *slim)
{
	desired_rebind(arg, old, slim);
}

/*
 * What the stages after mapping read of a user record (desired_chain: the
 * manager attribute; teams: the groups), so that the recordset can drop
 * the rest of each user once mapped (record.h, slimming).  Teams built
 * from a user attribute render templates on the whole record: no
 * slimming then.
 */
static void
slim_users(struct run *r, const struct mapping *m)
{
	size_t i;

	for (i = 0; i < m->nteams; i++)
		if (m->teams[i].from == TEAM_FROM_ATTRIBUTE)
			return;
	r->keep[0] = m->manager;
	r->keep[1] = NULL;
	r->rs.keep = r->keep;
	r->rs.on_slim = rebind_streamed;
}

/* m->rows for the store's mirror of the run's job: all of a kind. */
static int
stored_rows(void *arg, enum record_kind kind, mirror_row_fn fn, void *fn_arg,
	    struct err *e)
{
	struct run *r = arg;

	return store_mirror_rows(r->store, r->job->name, kind, fn, fn_arg, e);
}

/* m->row: one of them by uuid. */
static int
stored_row(void *arg, const char *uuid, mirror_row_fn fn, void *fn_arg,
	   struct err *e)
{
	struct run *r = arg;

	return store_mirror_row(r->store, r->job->name, uuid, fn, fn_arg, e);
}

/*
 * An incremental job's mirror: its cursors, and its stored rows unless a
 * full fetch is due (full_sync_every, --full), in which case the source
 * fetches everything and, applied, writes a new mirror.
 */
static int
mirror_open(const struct job_cfg *job, struct store *s, unsigned flags,
	    struct run *r, struct err *e)
{
	const char *full_at;

	if (s == NULL || job->source.type != SOURCE_LDAP ||
	    job->source.ldap.incremental == INCR_NONE)
		return 0;
	mirror_init(&r->mirror);
	r->have_mirror = 1;
	r->mirror.keep = (flags & RUN_APPLY) != 0;
	if (store_mirror_cursors(s, job->name, &r->mirror, e) < 0)
		return -1;
	full_at = mirror_cursor(&r->mirror, "mirror.full_at");
	if ((flags & RUN_FULL) || full_at == NULL)
		return 0;
	if (r->now - strtoll(full_at, NULL, 10) >= job->full_sync_every_s) {
		log_info("job '%s': a full sync is due (full_sync_every)",
			 job->name);
		return 0;
	}
	r->store = s;
	r->mirror.rows = stored_rows;
	r->mirror.row = stored_row;
	r->mirror.rows_arg = r;
	return 0;
}

/* After the fetch: a new full mirror records when.  A plan's mirror is
 * freed before the diff; apply's stays to be written with the plan. */
static void
mirror_done(struct run *r)
{
	char when[32];

	if (!r->have_mirror)
		return;
	if (r->mirror.full) {
		snprintf(when, sizeof(when), "%lld", (long long)r->now);
		mirror_set_cursor(&r->mirror, "mirror.full_at", when);
	}
	if (!r->mirror.keep || !r->mirror.used) {
		mirror_release(&r->mirror);
		r->have_mirror = 0;
	}
}

int
run_map(const struct job_cfg *job, struct store *s, unsigned flags,
	struct run *r, struct err *e)
{
	struct holder_ctx h = { s, job->name, NULL };
	struct incumbents inc = { store_holder, &h };
	struct snap_loader snap = { 0 };
	int rc;

	run_init(r, job);
	h.arena = &r->arena;
	desired_begin(job->mapping, &r->arena, &r->d);
	r->have_d = 1;
	r->rs.on_user = map_streamed;
	r->rs.on_user_arg = &r->d;
	if (flags & RUN_SNAPSHOT)
		slim_users(r, job->mapping);
	log_info("job '%s': fetching from the %s source", job->name,
		 source_ops_for(job->source.type)->type);
	if (mirror_open(job, s, flags, r, e) < 0)
		return err_prefix(e, "job '%s'", job->name);
	if (r->have_mirror && r->mirror.rows != NULL && (flags & RUN_SNAPSHOT))
		snap_start(&snap, job, store_path(s), r);
	rc = source_fetch_all(job, r->have_mirror ? &r->mirror : NULL, &r->rs,
			      e);
	if (snap_wait(&snap, rc == 0 ? e : &(struct err){ 0 }) != 0 || rc != 0)
		return err_prefix(e, "job '%s'", job->name);
	mirror_done(r);
	log_info("job '%s': %zu users, %zu groups fetched (%ld ms, %ld MB)",
		 job->name, r->rs.nusers, r->rs.ngroups, elapsed_ms(&r->t0),
		 peak_mb());
	if (desired_finish(&r->rs, s != NULL ? &inc : NULL, &r->d, e) != 0)
		return -1;
	log_info("job '%s': %zu members mapped (%ld ms, %ld MB)",
		 job->name, r->d.nmembers, elapsed_ms(&r->t0), peak_mb());
	return 0;
}

/* The desired state holds copies of all it needs: free the records (a
 * third of a large run's memory) before the diff allocates the plan. */
static void
drop_records(struct run *r)
{
	size_t i;

	for (i = 0; i < r->d.nmembers; i++)
		r->d.members[i]->rec = NULL;
	recordset_release(&r->rs);
	recordset_init(&r->rs);
}

int
run_plan(const struct job_cfg *job, int capacity, struct store *s,
	 unsigned flags, struct run *r, struct err *e)
{
	if (run_map(job, s, flags | RUN_SNAPSHOT, r, e) != 0)
		return -1;
	drop_records(r);
	if (load_snapshot(job, s, r, e) != 0)
		return -1;
	log_info("job '%s': store snapshot loaded (%ld ms, %ld MB)",
		 job->name, elapsed_ms(&r->t0), peak_mb());
	if (r->snap.capacity < 0)
		r->snap.capacity = capacity;
	plan_init(&r->plan, &r->arena, job->name,
		  store_fingerprint(&r->snap));
	r->have_plan = 1;
	if (diff_build(job, &r->d, &r->snap, r->now, &r->plan, e) != 0)
		return err_prefix(e, "job '%s'", job->name);
	log_info("job '%s': %zu changes planned (%ld ms, %ld MB)",
		 job->name, r->plan.nchanges, elapsed_ms(&r->t0), peak_mb());
	return 0;
}

void
run_release(struct run *r)
{
	if (r->have_plan)
		plan_release(&r->plan);
	if (r->have_d)
		desired_release(&r->d);
	if (r->have_snap)
		snapshot_release(&r->snap);
	if (r->have_mirror)
		mirror_release(&r->mirror);
	recordset_release(&r->rs);
	arena_release(&r->arena);
	memset(r, 0, sizeof(*r));
}

int
run_select_jobs(const struct config *c, char **names, int n,
		const struct job_cfg **out, struct err *e)
{
	int i, k = 0;
	size_t j;

	if (c->njobs == 0)
		return err_set(e, "'%s' defines no jobs", c->path);
	if (n == 0) {
		for (j = 0; j < c->njobs; j++)
			out[k++] = &c->jobs[j];
		return k;
	}
	for (i = 0; i < n; i++) {
		const struct job_cfg *job = config_job(c, names[i]);

		if (job == NULL)
			return err_set(e, "no job '%s' in '%s'", names[i],
				       c->path);
		for (j = 0; j < (size_t)k; j++)
			if (out[j] == job)
				break;
		if (j == (size_t)k && (size_t)k < c->njobs)
			out[k++] = job;
	}
	return k;
}
