#include <pthread.h>
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

/* Email holders of this job, so that a duplicate keeps its incumbent. */
static void
incumbents(const struct snapshot *snap, struct hmap *out)
{
	const char *key;
	void *val;
	size_t i = 0;

	hmap_init(out);
	while (hmap_next(&snap->by_anchor, &i, &key, &val)) {
		const struct smember *sm = val;

		hmap_put(out, sm->email_key, (void *)sm->anchor);
	}
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
 * The store snapshot is loaded on a second thread while the fetch waits
 * on the directory: the two are independent (the fetch never touches the
 * store), and a 100,000-member snapshot takes a quarter of a second.  The
 * result is the same as loading it after the fetch.
 */
struct snap_loader {
	const struct job_cfg *job;
	struct store *s;
	struct run *r;
	struct err e;
	int rc, started;
	pthread_t th;
};

static void *
snap_thread(void *arg)
{
	struct snap_loader *L = arg;

	L->rc = load_snapshot(L->job, L->s, L->r, &L->e);
	return NULL;
}

static void
snap_start(struct snap_loader *L, const struct job_cfg *job, struct store *s,
	   struct run *r)
{
	memset(L, 0, sizeof(*L));
	L->job = job;
	L->s = s;
	L->r = r;
	L->started = s != NULL &&
		     pthread_create(&L->th, NULL, snap_thread, L) == 0;
}

/* Waits for the snapshot (or loads it here if no thread could start). */
static int
snap_wait(struct snap_loader *L, struct err *e)
{
	if (L->started)
		pthread_join(L->th, NULL);
	else
		L->rc = load_snapshot(L->job, L->s, L->r, &L->e);
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

int
run_map(const struct job_cfg *job, struct store *s, struct run *r,
	struct err *e)
{
	struct snap_loader snap;
	struct hmap inc;
	int rc;

	run_init(r, job);
	desired_begin(job->mapping, &r->arena, &r->d);
	r->have_d = 1;
	r->rs.on_user = map_streamed;
	r->rs.on_user_arg = &r->d;
	log_info("job '%s': fetching from the %s source", job->name,
		 source_ops_for(job->source.type)->type);
	snap_start(&snap, job, s, r);
	rc = source_fetch_all(job, &r->rs, e);
	if (rc != 0) {
		struct err ignored;

		snap_wait(&snap, &ignored);	/* it writes into r */
		return err_prefix(e, "job '%s'", job->name);
	}
	if (snap_wait(&snap, e) != 0)
		return -1;
	log_info("job '%s': %zu users, %zu groups fetched (%ld ms, %ld MB)",
		 job->name, r->rs.nusers, r->rs.ngroups, elapsed_ms(&r->t0),
		 peak_mb());
	log_info("job '%s': store snapshot loaded (%ld ms, %ld MB)",
		 job->name, elapsed_ms(&r->t0), peak_mb());
	if (r->have_snap)
		incumbents(&r->snap, &inc);
	rc = desired_finish(&r->rs, r->have_snap ? &inc : NULL, &r->d, e);
	if (r->have_snap)
		hmap_release(&inc);
	if (rc != 0)
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
	 struct run *r, struct err *e)
{
	if (run_map(job, s, r, e) != 0)
		return -1;
	if (r->snap.capacity < 0)
		r->snap.capacity = capacity;
	drop_records(r);
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
