/*
 * scim_http: HTTP for the SCIM source (see scim.h).  libcurl's multi
 * interface runs up to `concurrency` GETs at once over reused
 * connections.  Policy:
 *  - 429: wait Retry-After (capped at MAX_WAIT_S) or the backoff;
 *  - 5xx, connection errors and timeouts: capped exponential backoff with
 *    jitter, at most max_retries retries per request;
 *  - 401: with OAuth 2.0, get a new token once per run and retry; else fail;
 *  - other 4xx: fail with the SCIM error's scimType and detail.
 * The token is held only in memory and in the Authorization header list;
 * debug logs show "Authorization: Bearer [redacted]".  No redirects are
 * followed, so the token never goes to another host.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "scim.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define MAX_WAIT_S 60.0		/* cap on one Retry-After or backoff */
#define BACKOFF_BASE_S 0.25
#define MAX_BODY (512u << 20)	/* one response */

struct scim_http {
	const struct scim_cfg *cfg;
	CURLM *multi;
	CURL **idle;		/* easy handles kept for reuse */
	size_t nidle, capidle;
	char *token;
	struct curl_slist *hdrs;
	int oauth, refreshed;
	unsigned seed;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
scim_req_release(struct scim_req *r)
{
	free(r->url);
	str_release(&r->body);
	memset(r, 0, sizeof(*r));
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct scim_req *r = arg;

	if (r->body.len + size * n > MAX_BODY)
		return 0;	/* curl reports a write error: fails the request */
	str_add(&r->body, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct scim_req *r = arg;
	size_t len = size * n, k;
	char val[128];

	for (k = 0; k < len && p[k] != ':'; k++)
		;
	if (k == len || len - k - 1 >= sizeof(val))
		return len;
	memcpy(val, p + k + 1, len - k - 1);
	val[len - k - 1] = '\0';
	val[strcspn(val, "\r\n")] = '\0';
	if (k == 12 && strncasecmp(p, "content-type", 12) == 0)
		snprintf(r->ctype, sizeof(r->ctype), "%s", val + strspn(val, " \t"));
	else if (k == 11 && strncasecmp(p, "retry-after", 11) == 0 &&
		 scim_retry_after(val, time(NULL), &r->retry_after) < 0)
		r->retry_after = -1;
	return len;
}

/* Options every request shares: TLS, timeouts, no redirects. */
static void
setup_easy(const struct scim_cfg *cfg, CURL *c, const char *url)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)cfg->connect_timeout_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->timeout_s);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "harmony-sync");
	if (cfg->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->insecure_skip_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static void
set_token(struct scim_http *h, char *token)
{
	struct str a = STR_INIT;
	struct curl_slist *l = NULL;

	config_secret_free(h->token);
	h->token = token;
	if (h->hdrs != NULL) {
		struct curl_slist *x;

		for (x = h->hdrs; x; x = x->next)
			explicit_bzero(x->data, strlen(x->data));
		curl_slist_free_all(h->hdrs);
	}
	str_addf(&a, "Authorization: Bearer %s", token);
	l = curl_slist_append(l, a.buf);
	l = curl_slist_append(l, "Accept: application/scim+json, application/json");
	explicit_bzero(a.buf, a.len);
	str_release(&a);
	h->hdrs = l;
}

/* POSTs the client-credentials grant (RFC 6749 §4.4). */
static int
oauth_token(struct scim_http *h, struct err *e)
{
	const struct oauth2_cfg *o = &h->cfg->oauth2;
	struct scim_req r = { 0 };
	struct str form = STR_INIT;
	char *secret = NULL, *tok = NULL;
	json_t *root = NULL;
	CURL *c = NULL;
	CURLcode cc;
	int rc = -1;

	secret = config_read_secret(&o->client_secret, "oauth2 client secret", e);
	if (secret == NULL)
		goto out;
	str_adds(&form, "grant_type=client_credentials&client_id=");
	scim_url_escape(&form, o->client_id ? o->client_id : "");
	str_adds(&form, "&client_secret=");
	scim_url_escape(&form, secret);
	if (o->scope != NULL) {
		str_adds(&form, "&scope=");
		scim_url_escape(&form, o->scope);
	}
	c = curl_easy_init();
	r.retry_after = -1;
	setup_easy(h->cfg, c, o->token_url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.buf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	log_debug("POST %s -> %ld", o->token_url, r.status);
	if (cc != CURLE_OK) {
		err_setc(e, ERR_FETCH, "cannot get oauth2 token from '%s': %s",
			 o->token_url, curl_easy_strerror(cc));
		goto out;
	}
	root = json_loadb(r.body.buf ? r.body.buf : "", r.body.len, 0, NULL);
	const char *t = json_string_value(json_object_get(root, "access_token"));
	if (r.status != 200 || t == NULL || *t == '\0') {
		const char *why = json_string_value(json_object_get(root, "error"));

		err_setc(e, ERR_FETCH, "cannot get oauth2 token from '%s': HTTP %ld%s%s",
			 o->token_url, r.status, why ? " " : "", why ? why : "");
		goto out;
	}
	tok = xstrdup(t);
	set_token(h, tok);
	tok = NULL;
	rc = 0;
out:
	if (r.body.buf != NULL)
		explicit_bzero(r.body.buf, r.body.len);
	if (form.buf != NULL)
		explicit_bzero(form.buf, form.len);
	str_release(&form);
	scim_req_release(&r);
	json_decref(root);
	config_secret_free(secret);
	if (c != NULL)
		curl_easy_cleanup(c);
	return rc;
}

struct scim_http *
scim_http_new(const struct scim_cfg *cfg, struct err *e)
{
	struct scim_http *h = xcalloc(1, sizeof(*h));
	char *tok;

	h->cfg = cfg;
	h->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	h->oauth = cfg->oauth2.token_url != NULL;
	if (cfg->insecure_skip_verify)
		log_warn("scim: TLS certificate verification is disabled for '%s' "
			 "(insecure_skip_verify)", cfg->base_url);
	if (h->oauth) {
		if (oauth_token(h, e) < 0)
			goto fail;
	} else {
		tok = config_read_secret(&cfg->token, "scim token", e);
		if (tok == NULL)
			goto fail;
		set_token(h, tok);
	}
	h->multi = curl_multi_init();
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)(cfg->concurrency > 0 ? cfg->concurrency : 1));
	return h;
fail:
	if (e != NULL && e->code != ERR_FETCH)
		e->code = ERR_FETCH;
	scim_http_free(h);
	return NULL;
}

void
scim_http_free(struct scim_http *h)
{
	struct curl_slist *x;

	if (h == NULL)
		return;
	while (h->nidle > 0)
		curl_easy_cleanup(h->idle[--h->nidle]);
	free(h->idle);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	for (x = h->hdrs; x; x = x->next)
		explicit_bzero(x->data, strlen(x->data));
	curl_slist_free_all(h->hdrs);
	config_secret_free(h->token);
	free(h);
}

/* Easy handles are reused: a fresh one per request costs its buffers and
 * setup on every page; the connections themselves live in the multi
 * handle's cache either way. */
static void
start(struct scim_http *h, struct scim_req *r)
{
	CURL *c;

	if (h->nidle > 0) {
		c = h->idle[--h->nidle];
	} else {
		c = curl_easy_init();
		setup_easy(h->cfg, c, r->url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	}
	str_reset(&r->body);
	r->ctype[0] = '\0';
	r->retry_after = -1;
	r->status = 0;
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdrs);	/* may be refreshed */
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_PRIVATE, r);
	r->curl = c;
	curl_multi_add_handle(h->multi, c);
}

static void
finish(struct scim_http *h, struct scim_req *r)
{
	if (r->curl == NULL)
		return;
	curl_multi_remove_handle(h->multi, r->curl);
	if (h->nidle == h->capidle)
		h->idle = xgrow(h->idle, &h->capidle, h->nidle + 1, sizeof(*h->idle));
	h->idle[h->nidle++] = r->curl;
	r->curl = NULL;
}

/* Exponential backoff with "equal jitter": half fixed, half random. */
static double
backoff(struct scim_http *h, int attempt)
{
	double d = BACKOFF_BASE_S * (double)(1u << (attempt < 16 ? attempt : 16));

	if (d > MAX_WAIT_S)
		d = MAX_WAIT_S;
	return d / 2 + d / 2 * ((double)rand_r(&h->seed) / RAND_MAX);
}

enum verdict { V_OK, V_RETRY, V_REAUTH, V_FAIL };

static enum verdict
judge(struct scim_http *h, struct scim_req *r, CURLcode cc, struct err *e)
{
	struct str why = STR_INIT;
	enum verdict v = V_FAIL;
	double wait;

	if (cc != CURLE_OK || r->status >= 500) {
		if (r->attempts++ < h->cfg->max_retries) {
			r->not_before = now_s() + backoff(h, r->attempts - 1);
			return V_RETRY;
		}
		if (cc != CURLE_OK)
			err_setc(e, ERR_FETCH, "GET '%s' failed after %d retries: %s",
				 r->url, h->cfg->max_retries, curl_easy_strerror(cc));
		else
			err_setc(e, ERR_FETCH, "GET '%s' failed after %d retries: HTTP %ld",
				 r->url, h->cfg->max_retries, r->status);
		return V_FAIL;
	}
	if (r->status == 429) {
		/* Throttling is the server pacing us, not a fault: allow more
		 * rounds than max_retries, but never unbounded. */
		if (r->throttles++ < 2 * h->cfg->max_retries + 5) {
			wait = r->retry_after >= 0 ? (double)r->retry_after
				: backoff(h, r->throttles - 1);
			r->not_before = now_s() + (wait > MAX_WAIT_S ? MAX_WAIT_S : wait);
			return V_RETRY;
		}
		err_setc(e, ERR_FETCH, "GET '%s': still throttled (HTTP 429) after %d tries",
			 r->url, r->throttles);
		return V_FAIL;
	}
	if (r->status == 401 && h->oauth && !h->refreshed)
		return V_REAUTH;
	if (r->status >= 200 && r->status < 300) {
		if (scim_content_type_ok(r->ctype))
			return V_OK;
		err_setc(e, ERR_FETCH, "GET '%s': unexpected content type '%s'",
			 r->url, r->ctype);
		return V_FAIL;
	}
	scim_error_summary(r->body.buf ? r->body.buf : "", r->body.len, &why);
	err_setc(e, ERR_FETCH, "GET '%s': HTTP %ld%s%s%s", r->url, r->status,
		 r->status == 401 ? " (authentication failed: check the token)" : "",
		 why.len ? ": " : "", str_cstr(&why));
	str_release(&why);
	return v;
}

struct run {
	struct scim_http *h;
	struct scim_req **reqs;
	size_t n, next, inflight;
	size_t *queue;		/* retries waiting, indexes into reqs */
	size_t nqueue;
	int conc;
};

/* Starts requests while slots are free: due retries first, then new. */
static void
fill(struct run *R, int conc)
{
	double t = now_s();
	size_t i;

	for (i = 0; i < R->nqueue && (int)R->inflight < conc; ) {
		struct scim_req *r = R->reqs[R->queue[i]];

		if (r->not_before > t) {
			i++;
			continue;
		}
		start(R->h, r);
		R->inflight++;
		R->queue[i] = R->queue[--R->nqueue];
	}
	while (R->next < R->n && (int)R->inflight < conc) {
		start(R->h, R->reqs[R->next++]);
		R->inflight++;
	}
}

static int
poll_ms(struct run *R)
{
	double t = now_s(), soonest = t + 1.0;
	size_t i;

	for (i = 0; i < R->nqueue; i++)
		if (R->reqs[R->queue[i]]->not_before < soonest)
			soonest = R->reqs[R->queue[i]]->not_before;
	return soonest <= t ? 0 : (int)((soonest - t) * 1000) + 1;
}

static void
requeue_all(struct run *R)
{
	size_t i;

	for (i = 0; i < R->next; i++) {
		struct scim_req *r = R->reqs[i];

		if (r->curl != NULL) {
			finish(R->h, r);
			R->inflight--;
			R->queue[R->nqueue++] = i;
		}
	}
}

/* Handles one finished transfer; -1 aborts the run. */
static int
on_finished(struct run *R, CURLMsg *m, scim_done_fn done, void *ctx,
	    struct err *e)
{
	struct scim_req *r = NULL;
	CURLcode cc = m->data.result;	/* m dies with the handle */
	enum verdict v;
	int running;

	curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
	curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
	log_debug("GET %s -> %ld (Authorization: Bearer [redacted])", r->url,
		  r->status);
	finish(R->h, r);
	R->inflight--;
	v = judge(R->h, r, cc, e);
	switch (v) {
	case V_OK:
		/* Send the next request before handing this response over
		 * (done may wait for a parser thread when they fall behind),
		 * so that the server prepares it meanwhile (at any
		 * concurrency, one request stays in flight: no pipelining). */
		fill(R, R->conc);
		curl_multi_perform(R->h->multi, &running);
		return done(ctx, r, e);
	case V_RETRY:
		R->queue[R->nqueue++] = r->slot;
		log_debug("retrying %s in %.1fs", r->url, r->not_before - now_s());
		return 0;
	case V_REAUTH:
		R->h->refreshed = 1;
		log_info("scim: token rejected (HTTP 401): getting a new one");
		if (oauth_token(R->h, e) < 0)
			return -1;
		R->queue[R->nqueue++] = r->slot;
		requeue_all(R);
		return 0;
	default:
		return -1;
	}
}

int
scim_http_get_all(struct scim_http *h, struct scim_req **reqs, size_t n,
		  scim_done_fn done, void *ctx, struct err *e)
{
	int conc = h->cfg->concurrency > 0 ? h->cfg->concurrency : 1;
	struct run R = { h, reqs, n, 0, 0, NULL, 0, conc };
	int rc = -1, running;
	size_t i;

	R.queue = xcalloc(n + 1, sizeof(*R.queue));
	for (i = 0; i < n; i++)
	{
		reqs[i]->attempts = reqs[i]->throttles = 0;
		reqs[i]->slot = i;
	}
	while (R.next < n || R.inflight > 0 || R.nqueue > 0) {
		CURLMsg *m;
		int left, finished = 0;

		fill(&R, conc);
		curl_multi_perform(h->multi, &running);
		while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			finished++;
			if (on_finished(&R, m, done, ctx, e) < 0)
				goto out;
		}
		/* A finished transfer freed a slot: refill it before waiting. */
		if (finished == 0 && (R.inflight > 0 || R.nqueue > 0))
			curl_multi_poll(h->multi, NULL, 0, poll_ms(&R), NULL);
	}
	rc = 0;
out:
	for (i = 0; i < R.next; i++)
		finish(h, reqs[i]);
	free(R.queue);
	return rc;
}
