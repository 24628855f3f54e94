/*
 * source_scim: users and groups from a SCIM 2.0 service provider
 * (RFC 7644), DESIGN §4.  HTTP is in scim_http.c, JSON in scim_json.c;
 * this file plans the pages.
 *
 * Paging.  The first page (startIndex=1, count=page_size) reveals
 * totalResults and the page size the server really serves (it may cap
 * count).  The remaining pages are planned at that size and fetched
 * concurrently; results are then merged in startIndex order, dropping ids
 * already seen (the first occurrence wins), so the order is deterministic
 * whatever order the responses arrived in.  A page that came back short
 * leaves a gap, re-requested sequentially, advancing by what came back.
 * The fetch stops at the latest totalResults (it may change mid-fetch) or
 * at an empty page.  A page inside totalResults that brings no new id is
 * a server that does not advance (FIELD-NOTES: SCIMMY 1.3.5 returns the
 * first page past the end): the fetch fails rather than loop.
 *
 * Users with "active": false are dropped when scim.inactive_as_missing
 * (the default): they then count as gone from the source, per on_missing.
 *
 * Parsing.  The client is CPU-bound on JSON, so pages are parsed on a pool
 * of worker threads (one per core) while the main thread keeps driving
 * curl.  Each worker does json_loadb, record building and json_decref
 * itself (jansson memory allocated and freed on one thread: malloc's
 * per-thread arenas stay local) into its own arena and builder; the main
 * thread waits for each page in startIndex order and merges it (the hash
 * maps are touched by the main thread only).  The workers' arenas are
 * handed to the recordset's arena when the fetch ends.  The first page of
 * /Groups (often one big page) is requested with the first batch of
 * /Users, so that it is parsed while user pages are; it is merged after
 * the users all the same.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "scim.h"
#include "source.h"
#include "util/hmap.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* A sanity bound on pages per resource type, so that a server claiming an
 * absurd totalResults cannot make us plan billions of requests. */
#define MAX_PAGES 100000
#define MAX_WORKERS 4
/* Bodies waiting for a parser, per worker: bounds memory when the server
 * is faster than the parsers. */
#define QUEUE_PER_WORKER 4

struct source {
	const struct job_cfg *job;
	const struct scim_cfg *cfg;
	struct scim_http *http;
	long nusers, ngroups;	/* totalResults seen, for info */
	struct slot *prefetch;	/* /Groups' first page, during fetch */
};

enum slot_state { SLOT_NEW, SLOT_QUEUED, SLOT_PARSED, SLOT_FAILED };

/* A planned page and, once fetched, its parse. */
struct slot {
	struct scim_req req;
	long start;
	enum slot_state state;		/* under the pool's lock */
	int submitted;			/* main thread only: given to the pool */
	struct slot *next;		/* in the pool's queue */
	struct scim_page page;		/* in a worker's arena */
	const struct pager *P;		/* whose page */
};

struct worker {
	struct pool *pool;
	pthread_t th;
	struct arena arena;		/* its pages' records */
	struct record_builder b;
};

/* The parser threads of one fetch. */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t more;		/* work queued, or stop */
	pthread_cond_t done;		/* a queued page finished */
	struct slot *head, *tail;	/* waiting for a worker */
	size_t busy;			/* queued or being parsed */
	size_t cap;			/* submit waits while busy >= cap */
	int stop;
	int failed;			/* e holds the first failure */
	struct err e;
	struct worker w[MAX_WORKERS];
	size_t nw;
};

/* One resource type's fetch. */
struct pager {
	struct source *s;
	const char *path;		/* "Users" or "Groups" */
	const char *filter;
	enum record_kind kind;
	struct recordset *rs;
	struct pool *pool;
	int drop_inactive;
	struct hmap seen;		/* ids merged so far */
	long next;			/* first startIndex not yet covered */
	long total;			/* latest totalResults */
	long step;			/* page size the server serves */
	int done;
	int gap_end;			/* a gap fill brought nothing new */
};

static void
page_url(struct pager *P, long start, long count, struct str *u)
{
	const char *base = P->s->cfg->base_url;
	size_t n = strlen(base);

	str_add(u, base, n > 0 && base[n - 1] == '/' ? n - 1 : n);
	str_addf(u, "/%s?startIndex=%ld&count=%ld", P->path, start, count);
	if (P->filter != NULL && *P->filter) {
		str_adds(u, "&filter=");
		scim_url_escape(u, P->filter);
	}
}

/* Parses sl's body with w's builder, then frees the text.  After a
 * failure elsewhere the page is only dropped: the run is over. */
static int
parse_slot(struct worker *w, struct slot *sl, int skip, struct err *e)
{
	struct scim_req *r = &sl->req;
	int rc = -1;

	if (!skip) {
		rc = scim_page_parse(r->body.buf ? r->body.buf : "", r->body.len,
				     sl->P->kind, sl->P->drop_inactive, &w->b,
				     &sl->page, e);
		if (rc < 0)
			err_prefix(e, "GET '%s'", r->url);
	}
	str_release(&r->body);
	return rc;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *pool = w->pool;
	struct err e = { 0 };
	struct slot *sl;
	int rc, skip;

	pthread_mutex_lock(&pool->mu);
	for (;;) {
		while (pool->head == NULL && !pool->stop)
			pthread_cond_wait(&pool->more, &pool->mu);
		if (pool->head == NULL)
			break;
		sl = pool->head;
		pool->head = sl->next;
		if (pool->head == NULL)
			pool->tail = NULL;
		skip = pool->failed;
		pthread_mutex_unlock(&pool->mu);
		rc = parse_slot(w, sl, skip, &e);
		pthread_mutex_lock(&pool->mu);
		sl->state = rc == 0 ? SLOT_PARSED : SLOT_FAILED;
		if (rc < 0 && !skip && !pool->failed) {
			pool->failed = 1;
			pool->e = e;
		}
		pool->busy--;
		pthread_cond_broadcast(&pool->done);
	}
	pthread_mutex_unlock(&pool->mu);
	return NULL;
}

static size_t
ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (size_t)n;
}

/* Starts the workers.  Returns 0, or -1 if not even one thread starts. */
static int
pool_start(struct pool *pool, struct err *e)
{
	size_t i, want = ncores();

	memset(pool, 0, sizeof(*pool));
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->more, NULL);
	pthread_cond_init(&pool->done, NULL);
	for (i = 0; i < want; i++) {
		struct worker *w = &pool->w[pool->nw];

		w->pool = pool;
		arena_init(&w->arena);
		record_builder_init(&w->b, &w->arena);
		if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
			record_builder_release(&w->b);
			break;
		}
		pool->nw++;
	}
	pool->cap = QUEUE_PER_WORKER * (pool->nw > 0 ? pool->nw : 1);
	if (pool->nw == 0)
		return err_setc(e, ERR_FETCH, "scim: cannot start a parser thread");
	return 0;
}

/* Stops and joins the workers, then hands their arenas (records, ids,
 * interned names) to dst.  Safe on a pool that failed to start. */
static void
pool_stop(struct pool *pool, struct arena *dst)
{
	size_t i;

	pthread_mutex_lock(&pool->mu);
	pool->stop = 1;
	pthread_cond_broadcast(&pool->more);
	pthread_mutex_unlock(&pool->mu);
	for (i = 0; i < pool->nw; i++) {
		pthread_join(pool->w[i].th, NULL);
		record_builder_release(&pool->w[i].b);
		arena_adopt(dst, &pool->w[i].arena);
	}
	pthread_mutex_destroy(&pool->mu);
	pthread_cond_destroy(&pool->more);
	pthread_cond_destroy(&pool->done);
}

/* Copies the first failure into e.  Call with the lock held. */
static int
pool_failure(struct pool *pool, struct err *e)
{
	if (e != NULL)
		*e = pool->e;
	return -1;
}

/* Queues sl for parsing; waits while the pool is full.  -1 (with the
 * failure) once any page failed. */
static int
pool_submit(struct pool *pool, struct slot *sl, struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&pool->mu);
	while (pool->busy >= pool->cap && !pool->failed)
		pthread_cond_wait(&pool->done, &pool->mu);
	if (pool->failed) {
		rc = pool_failure(pool, e);
	} else {
		sl->state = SLOT_QUEUED;
		sl->submitted = 1;
		sl->next = NULL;
		if (pool->tail != NULL)
			pool->tail->next = sl;
		else
			pool->head = sl;
		pool->tail = sl;
		pool->busy++;
		pthread_cond_signal(&pool->more);
	}
	pthread_mutex_unlock(&pool->mu);
	return rc;
}

/* Waits until sl is parsed.  Returns 0, or -1 once any page failed. */
static int
pool_wait(struct pool *pool, struct slot *sl, struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&pool->mu);
	while (sl->state == SLOT_QUEUED && !pool->failed)
		pthread_cond_wait(&pool->done, &pool->mu);
	if (pool->failed || sl->state != SLOT_PARSED)
		rc = pool_failure(pool, e);
	pthread_mutex_unlock(&pool->mu);
	return rc;
}

/* Waits until no page of slots[0..n) is queued or being parsed: before
 * they (and the bodies the workers read) are freed. */
static void
pool_drain(struct pool *pool, struct slot *slots, size_t n)
{
	size_t i;

	pthread_mutex_lock(&pool->mu);
	for (i = 0; i < n; i++)
		while (slots[i].submitted && slots[i].state == SLOT_QUEUED)
			pthread_cond_wait(&pool->done, &pool->mu);
	pthread_mutex_unlock(&pool->mu);
}

static int
on_page(void *ctx, struct scim_req *r, struct err *e)
{
	return pool_submit(ctx, r->user, e);
}

/* Fetches slots[0..n) concurrently; the first batch of several pages
 * also fetches the prefetch slot, first (at concurrency 1 too, it then
 * overlaps the most parsing). */
static int
fetch_slots(struct pager *P, struct slot *slots, size_t n, struct err *e)
{
	struct scim_req **reqs = xcalloc(n + 1, sizeof(*reqs));
	struct slot *pre = P->s->prefetch;
	size_t i, k = 0;
	int rc;

	if (pre != NULL && pre->P != P && !pre->submitted && n > 1)
		reqs[k++] = &pre->req;
	for (i = 0; i < n; i++)
		reqs[k++] = &slots[i].req;
	rc = scim_http_get_all(P->s->http, reqs, k, on_page, P->pool, e);
	free(reqs);
	return rc;
}

static void
init_slot(struct pager *P, struct slot *sl, long start, long count)
{
	struct str u = STR_INIT;

	memset(sl, 0, sizeof(*sl));
	page_url(P, start, count, &u);
	sl->req.url = str_detach(&u);
	sl->req.user = sl;
	sl->start = start;
	sl->P = P;
}

/* Adds a fetched page's new records.  Returns the number of new ids. */
static size_t
merge(struct pager *P, const struct scim_page *pg)
{
	size_t i, fresh = 0;

	for (i = 0; i < pg->n; i++) {
		if (hmap_has(&P->seen, pg->ids[i]))
			continue;
		hmap_put(&P->seen, pg->ids[i], NULL);
		fresh++;
		if (pg->recs[i] != NULL)
			recordset_add(P->rs, pg->recs[i]);
	}
	return fresh;
}

/* Takes one fetched page at the head of the coverage.  Returns 0, or -1
 * when the server does not advance.  A gap fill (strict 0) that brings
 * nothing new only ends the gap: data shifted under us meanwhile. */
static int
take(struct pager *P, struct slot *sl, int strict, struct err *e)
{
	const struct scim_page *pg = &sl->page;
	size_t fresh;

	if (pool_wait(P->pool, sl, e) < 0)
		return -1;
	/* Required by RFC 7644 §3.4.2; without it the end is unknowable, and
	 * guessing it short would turn users into deletions. */
	if (pg->total < 0)
		return err_setc(e, ERR_FETCH, "GET '%s': response has no totalResults",
				sl->req.url);
	P->total = pg->total;
	if (sl->start > P->total || pg->n == 0) {
		P->done = 1;	/* past the (possibly shrunk) end */
		return 0;
	}
	fresh = merge(P, pg);
	if (fresh == 0 && !strict) {
		P->gap_end = 1;
		return 0;
	}
	if (fresh == 0)
		return err_setc(e, ERR_FETCH, "SCIM server at '%s' does not advance: "
				"the page at startIndex %ld of /%s repeats earlier "
				"results", P->s->cfg->base_url, sl->start, P->path);
	if (sl->start + (long)pg->n > P->next)
		P->next = sl->start + (long)pg->n;
	return 0;
}

/* Fetches one page sequentially at P->next and takes it. */
static int
fetch_one(struct pager *P, long count, int strict, struct err *e)
{
	struct slot sl;
	int rc;

	init_slot(P, &sl, P->next, count);
	rc = fetch_slots(P, &sl, 1, e);
	if (rc == 0)
		rc = take(P, &sl, strict, e);
	pool_drain(P->pool, &sl, 1);
	scim_req_release(&sl.req);
	return rc;
}

/* Plans pages from P->next at the observed step up to totalResults,
 * fetches them concurrently, then takes them in startIndex order,
 * filling gaps left by short pages sequentially. */
static int
fetch_batch(struct pager *P, struct err *e)
{
	long left = P->total - P->next + 1;
	size_t n = (size_t)((left + P->step - 1) / P->step), i;
	struct slot *slots;
	int rc = -1;

	if (n > MAX_PAGES)
		n = MAX_PAGES;
	slots = xcalloc(n, sizeof(*slots));
	for (i = 0; i < n; i++)
		init_slot(P, &slots[i], P->next + (long)i * P->step, P->step);
	if (fetch_slots(P, slots, n, e) < 0)
		goto out;
	for (i = 0; i < n && !P->done; i++) {
		P->gap_end = 0;
		while (!P->done && !P->gap_end && P->next < slots[i].start &&
		       P->next <= P->total) {
			if (fetch_one(P, slots[i].start - P->next, 0, e) < 0)
				goto out;
		}
		if (!P->done && take(P, &slots[i], 1, e) < 0)
			goto out;
	}
	rc = 0;
out:
	pool_drain(P->pool, slots, n);
	for (i = 0; i < n; i++)
		scim_req_release(&slots[i].req);
	free(slots);
	return rc;
}

/* Takes the first page: the prefetched one if it was fetched, else
 * fetched now. */
static int
first_page(struct pager *P, long ask, struct err *e)
{
	struct slot *pre = P->s->prefetch;

	if (pre == NULL || pre->P != P || !pre->submitted)
		return fetch_one(P, ask, 1, e);
	return take(P, pre, 1, e);
}

static void
pager_init(struct pager *P, struct source *s, const char *path,
	   const char *filter, enum record_kind kind, struct recordset *rs,
	   struct pool *pool)
{
	memset(P, 0, sizeof(*P));
	P->s = s;
	P->path = path;
	P->filter = filter;
	P->kind = kind;
	P->rs = rs;
	P->pool = pool;
	P->drop_inactive = kind == RECORD_USER && s->cfg->inactive_as_missing;
	hmap_init(&P->seen);
	P->next = 1;
	P->total = 1;	/* unknown until the first page */
}

static int
fetch_type(struct pager *P, struct err *e)
{
	struct source *s = P->s;
	long ask = s->cfg->page_size > 0 ? s->cfg->page_size : 100;
	int rounds = 0;

	if (first_page(P, ask, e) < 0)
		return -1;
	P->step = P->next > 1 ? P->next - 1 : ask;
	if (P->step > ask)
		P->step = ask;
	/* Each round covers up to the latest totalResults; another round
	 * runs only when it grew meanwhile or a page was short at the end. */
	while (!P->done && P->next <= P->total) {
		if (++rounds > 64)
			return err_setc(e, ERR_FETCH, "SCIM server at '%s': /%s keeps "
					 "growing during the fetch", s->cfg->base_url,
					 P->path);
		if (fetch_batch(P, e) < 0)
			return -1;
	}
	if (P->kind == RECORD_USER)
		s->nusers = P->total;
	else
		s->ngroups = P->total;
	return 0;
}

static int
scim_open(const struct job_cfg *job, struct source **out, struct err *e)
{
	const struct scim_cfg *cfg = &job->source.scim;
	struct source *s;

	if (cfg->base_url == NULL || *cfg->base_url == '\0')
		return err_setc(e, ERR_FETCH, "job '%s': scim source has no base_url",
				job->name ? job->name : "");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* Seeds jansson's hash function now, on this thread, not racily in
	 * the first parser thread (a no-op once seeded). */
	json_object_seed(0);
	s = xcalloc(1, sizeof(*s));
	s->job = job;
	s->cfg = cfg;
	s->http = scim_http_new(cfg, e);
	if (s->http == NULL) {
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static int
fetch_all(struct source *s, struct pager *U, struct pager *G, struct err *e)
{
	size_t before = U->rs->nusers;

	if (fetch_type(U, e) < 0)
		return -1;
	log_info("scim: %zu users from '%s'", U->rs->nusers - before,
		 s->cfg->base_url);
	if (!s->cfg->fetch_groups)
		return 0;
	before = G->rs->ngroups;
	if (fetch_type(G, e) < 0)
		return -1;
	log_info("scim: %zu groups from '%s'", G->rs->ngroups - before,
		 s->cfg->base_url);
	return 0;
}

static int
scim_fetch(struct source *s, struct recordset *rs, struct err *e)
{
	long ask = s->cfg->page_size > 0 ? s->cfg->page_size : 100;
	struct pager U, G;
	struct slot pre;
	struct pool pool;
	int rc = -1;

	pager_init(&U, s, s->cfg->users_path ? s->cfg->users_path : "Users",
		   s->cfg->users_filter, RECORD_USER, rs, &pool);
	pager_init(&G, s, s->cfg->groups_path ? s->cfg->groups_path : "Groups",
		   s->cfg->groups_filter, RECORD_GROUP, rs, &pool);
	init_slot(&G, &pre, 1, ask);
	if (s->cfg->fetch_groups)
		s->prefetch = &pre;
	if (pool_start(&pool, e) == 0)
		rc = fetch_all(s, &U, &G, e);
	pool_drain(&pool, &pre, 1);	/* it may not have been taken */
	pool_stop(&pool, &rs->arena);
	s->prefetch = NULL;
	scim_req_release(&pre.req);
	hmap_release(&U.seen);
	hmap_release(&G.seen);
	return rc;
}

static void
scim_info(struct source *s, struct str *out)
{
	str_addf(out, "scim: %s\n", s->cfg->base_url);
	str_addf(out, "auth: %s\n", s->cfg->oauth2.token_url ?
		 "oauth2 client credentials" : "bearer token");
	str_addf(out, "tls verification: %s\n",
		 s->cfg->insecure_skip_verify ? "DISABLED" : "on");
	str_addf(out, "users (totalResults): %ld\n", s->nusers);
	str_addf(out, "groups (totalResults): %ld\n", s->ngroups);
}

static void
scim_close(struct source *s)
{
	if (s == NULL)
		return;
	scim_http_free(s->http);
	free(s);
}

const struct source_ops source_scim_ops = {
	.type = "scim",
	.open = scim_open,
	.fetch = scim_fetch,
	.info = scim_info,
	.close = scim_close,
};
