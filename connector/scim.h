/*
 * scim: internals of the SCIM 2.0 source (source_scim.c), split in two:
 *
 *  - scim_json.c, pure: a ListResponse page -> records (RFC 7643 paths,
 *    flattened as record.h says), Retry-After, filter and URL escaping,
 *    SCIM error bodies.  No I/O; unit tested (tests/unit/test_scim_json.c).
 *  - scim_http.c: libcurl (multi interface) requests with auth, TLS,
 *    retries and backoff; no SCIM knowledge beyond the error body.
 *
 * Nothing here is used outside source_scim*.c and the tests.
 */
#ifndef HS_SCIM_H
#define HS_SCIM_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "record.h"
#include "util/err.h"
#include "util/str.h"

#define SCIM_ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

/* One parsed ListResponse.  Arrays live in the builder's arena. */
struct scim_page {
	long total;		/* totalResults; -1 when absent */
	size_t n;		/* number of Resources */
	const char **ids;	/* id of each resource */
	struct record **recs;	/* record per resource; NULL when dropped
				 * (an inactive user with drop_inactive) */
};

/* Parses body (len bytes, need not be NUL-terminated) as a ListResponse
 * of users or groups, building records with b (its arena owns them).
 * drop_inactive: users whose "active" is false get recs[i] == NULL.
 * Returns 0 and fills *out, or -1 with e set (ERR_FETCH): malformed JSON,
 * not an object, Resources missing while totalResults > 0, a resource
 * that is not an object or has no string id.
 * Threads: several threads may parse at once, each with its own builder
 * and arena; the JSON document lives and dies in the calling thread. */
int scim_page_parse(const char *body, size_t len, enum record_kind kind,
		    int drop_inactive, struct record_builder *b,
		    struct scim_page *out, struct err *e);

/* Parses a Retry-After value: delta-seconds or an HTTP-date (IMF-fixdate,
 * RFC 850 or asctime), relative to now.  Returns 0 and sets *secs (>= 0),
 * or -1 if it is neither. */
int scim_retry_after(const char *v, time_t now, long *secs);

/* Appends `attr eq "value"` with value as an RFC 7644 §3.4.2.2 string
 * (JSON string: quotes and backslashes escaped, invalid UTF-8 replaced). */
void scim_filter_eq(struct str *out, const char *attr, const char *value);

/* Appends p percent-encoded for a URL query (RFC 3986 unreserved kept). */
void scim_url_escape(struct str *out, const char *p);

/* 1 if a Content-Type header value is application/scim+json or
 * application/json (parameters allowed), else 0. */
int scim_content_type_ok(const char *ct);

/* Appends a one-line, printable summary of a SCIM error body
 * ("scimType: detail"), at most ~200 bytes; nothing if it has neither. */
void scim_error_summary(const char *body, size_t len, struct str *out);

/* ---- scim_http.c ---- */

struct scim_http;

struct scim_req {
	char *url;		/* malloc'd; freed by scim_req_release */
	struct str body;	/* response body */
	long status;
	char ctype[128];	/* Content-Type of the response */
	long retry_after;	/* seconds, -1 when absent or unparsable */
	int attempts, throttles;
	double not_before;	/* monotonic time before which not to send */
	void *curl;		/* CURL *, while in flight */
	void *user;		/* caller's */
	size_t slot;		/* scim_http's: index in the batch */
};

void scim_req_release(struct scim_req *r);

/* Creates a client for cfg: reads the token (token_file/token_env) or gets
 * an OAuth 2.0 client-credentials token.  Returns NULL with e set. */
struct scim_http *scim_http_new(const struct scim_cfg *cfg, struct err *e);
void scim_http_free(struct scim_http *h);

/* Called for each request that came back 2xx with a JSON content type;
 * returns 0, or -1 with e set to abort the run. */
typedef int (*scim_done_fn)(void *ctx, struct scim_req *r, struct err *e);

/* GETs every request, at most cfg->concurrency at once, retrying 429 (per
 * Retry-After), 5xx and connection errors with capped exponential backoff
 * and jitter, refreshing an OAuth 2.0 token once on 401.  Calls done for
 * each success (in completion order).  Returns 0, or -1 with e set
 * (ERR_FETCH) after the first request that fails for good; requests still
 * in flight are cancelled. */
int scim_http_get_all(struct scim_http *h, struct scim_req **reqs, size_t n,
		      scim_done_fn done, void *ctx, struct err *e);

#endif
