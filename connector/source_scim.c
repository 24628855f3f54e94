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
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "scim.h"
#include "source.h"
#include "util/hmap.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* A sanity bound on pages per resource type, so that a server claiming an
 * absurd totalResults cannot make us plan billions of requests. */
#define MAX_PAGES 100000

struct source {
	const struct job_cfg *job;
	const struct scim_cfg *cfg;
	struct scim_http *http;
	long nusers, ngroups;	/* totalResults seen, for info */
};

/* One resource type's fetch. */
struct pager {
	struct source *s;
	const char *path;		/* "Users" or "Groups" */
	const char *filter;
	enum record_kind kind;
	struct recordset *rs;
	struct record_builder b;
	struct hmap seen;		/* ids merged so far */
	long next;			/* first startIndex not yet covered */
	long total;			/* latest totalResults */
	long step;			/* page size the server serves */
	int done;
	int gap_end;			/* a gap fill brought nothing new */
};

/* A planned page and, once fetched, its parse. */
struct slot {
	struct scim_req req;
	long start;
	int fetched;
	struct scim_page page;
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

static int
on_page(void *ctx, struct scim_req *r, struct err *e)
{
	struct pager *P = ctx;
	struct slot *sl = r->user;

	if (scim_page_parse(r->body.buf ? r->body.buf : "", r->body.len, P->kind,
			    P->kind == RECORD_USER && P->s->cfg->inactive_as_missing,
			    &P->b, &sl->page, e) < 0)
		return err_prefix(e, "GET '%s'", r->url);
	sl->fetched = 1;
	str_release(&r->body);	/* parsed: free the text early */
	return 0;
}

/* Fetches slots[0..n) concurrently. */
static int
fetch_slots(struct pager *P, struct slot *slots, size_t n, struct err *e)
{
	struct scim_req **reqs = xcalloc(n + 1, sizeof(*reqs));
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		reqs[i] = &slots[i].req;
	rc = scim_http_get_all(P->s->http, reqs, n, on_page, P, e);
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
take(struct pager *P, const struct slot *sl, int strict, struct err *e)
{
	const struct scim_page *pg = &sl->page;
	size_t fresh;

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
	for (i = 0; i < n; i++)
		scim_req_release(&slots[i].req);
	free(slots);
	return rc;
}

static int
fetch_type(struct source *s, const char *path, const char *filter,
	   enum record_kind kind, struct recordset *rs, struct err *e)
{
	struct pager P = { s, path, filter, kind, rs, { 0 }, { 0 }, 1, 0, 0, 0, 0 };
	long ask = s->cfg->page_size > 0 ? s->cfg->page_size : 100;
	int rc = -1, rounds = 0;

	record_builder_init(&P.b, &rs->arena);
	hmap_init(&P.seen);
	P.total = 1;	/* unknown until the first page */
	if (fetch_one(&P, ask, 1, e) < 0)
		goto out;
	P.step = P.next > 1 ? P.next - 1 : ask;
	if (P.step > ask)
		P.step = ask;
	/* Each round covers up to the latest totalResults; another round
	 * runs only when it grew meanwhile or a page was short at the end. */
	while (!P.done && P.next <= P.total) {
		if (++rounds > 64) {
			err_setc(e, ERR_FETCH, "SCIM server at '%s': /%s keeps "
				 "growing during the fetch", s->cfg->base_url, path);
			goto out;
		}
		if (fetch_batch(&P, e) < 0)
			goto out;
	}
	if (kind == RECORD_USER)
		s->nusers = P.total;
	else
		s->ngroups = P.total;
	rc = 0;
out:
	hmap_release(&P.seen);
	record_builder_release(&P.b);
	return rc;
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
scim_fetch(struct source *s, struct recordset *rs, struct err *e)
{
	size_t before = rs->nusers;

	if (fetch_type(s, "Users", s->cfg->users_filter, RECORD_USER, rs, e) < 0)
		return -1;
	log_info("scim: %zu users from '%s'", rs->nusers - before, s->cfg->base_url);
	if (!s->cfg->fetch_groups)
		return 0;
	before = rs->ngroups;
	if (fetch_type(s, "Groups", s->cfg->groups_filter, RECORD_GROUP, rs, e) < 0)
		return -1;
	log_info("scim: %zu groups from '%s'", rs->ngroups - before, s->cfg->base_url);
	return 0;
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
