/*
 * source_ldap_sync: incremental LDAP fetches (DESIGN §4 `incremental`).
 * The driver (source_ldap_sync(): full fetch or refresh, fallbacks, the
 * mirror's signature) serves both protocols; `usn` lives in
 * source_ldap_usn.c, `syncrepl` here: the LDAP Content Synchronization
 * Operation of RFC 4533 in refreshOnly mode.
 *
 * A run that will be applied and has no usable mirror fetches everything
 * with the usual paged searches, after asking the server for a cookie (a
 * sync search whose filter matches nothing: its syncDone carries the
 * current state).  The cookie is taken first, so everything that changes
 * during the paged fetch is sent again next time: never missed.  The
 * mirror is filled from the fetched records and written by apply.
 *
 * Later runs send the cookie: the server returns only the entries added
 * or changed since (in full), and tells deletions either as ID sets
 * (refreshDeletes) or by a present phase (every unchanged entry named
 * present; what is not named is gone).  The changes are applied to the
 * mirror and the recordset is rebuilt from it.
 *
 * Fallbacks, each logged: a server that refuses the sync control
 * (no syncprov, no rights) gets full fetches every run; a cookie the
 * server no longer accepts (e-syncRefreshRequired), a refresh over the
 * size limit, or a mirror taken on another server, with another filter,
 * bind DN or attribute list, gets a full fetch that starts a new mirror.
 * Any other error fails the fetch as usual: nothing is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ldap_sync.h"
#include "source.h"
#include "source_ldap_int.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define REFRESH_REQUIRED SOURCE_LDAP_RELOAD

/* Cursor names (table cursors, per job). */
#define CUR_URL "ldap.url"
#define CUR_SIGNATURE "ldap.signature"
#define CUR_USERS "syncrepl.users"
#define CUR_GROUPS "syncrepl.groups"

/* One search's state during a refresh. */
struct refresh {
	struct source *s;
	struct mirror *m;
	enum record_kind kind;
	const char *base;
	struct str cookie;	/* the newest cookie seen (raw bytes) */
	int present_phase;	/* entries were named present: what was not
				 * is gone */
	struct record_builder b;
	struct arena scratch;	/* records between parse and mirror_put */
};

/* Cookies are opaque bytes: kept as hex in the store. */
static void
hex_encode(const struct str *raw, struct str *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < raw->len; i++) {
		str_addc(out, digits[(unsigned char)raw->buf[i] >> 4]);
		str_addc(out, digits[(unsigned char)raw->buf[i] & 15]);
	}
}

static int
hex_decode(const char *hex, struct str *out)
{
	size_t i, n = strlen(hex);

	if (n % 2 != 0)
		return -1;
	for (i = 0; i < n; i += 2) {
		int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		str_addc(out, (char)(hi << 4 | lo));
	}
	return 0;
}

/* What the mirror depends on besides the server: change any of it and
 * the mirror no longer answers the question the config asks. */
static void
signature(struct source *s, struct str *out)
{
	const struct ldap_cfg *c = s->cfg;
	char **a;

	str_addf(out, "1|%s|%s|%s|%s|%s|%s|%s", c->bind_dn ? c->bind_dn : "",
		 c->users.base ? c->users.base : "",
		 c->users.filter ? c->users.filter : "",
		 c->groups.base ? c->groups.base : "",
		 c->groups.filter ? c->groups.filter : "", s->anchor,
		 s->is_ad ? "ad" : "");
	for (a = source_ldap_attrs(s); *a != NULL; a++)
		str_addf(out, "|%s", *a);
}

/* Asks every search for name too: it keys the mirror. */
static void
want_attr(struct source *s, const char *name)
{
	char **old = s->attrs;	/* NULL, or ours */
	char **a = source_ldap_attrs(s);
	size_t n = 0;

	for (n = 0; a[n] != NULL; n++)
		if (strcasecmp(a[n], name) == 0)
			return;
	s->attrs = xcalloc(n + 2, sizeof(*s->attrs));
	memcpy(s->attrs, a, n * sizeof(*a));
	s->attrs[n] = (char *)name;
	free(old);
}

static const char *
search_filter(const struct search_cfg *sc, const char *dflt)
{
	return sc->filter != NULL && *sc->filter ? sc->filter : dflt;
}

static int
send_sync(struct source *s, const char *base, const char *filter,
	  const struct str *cookie, struct err *e)
{
	struct berval c = { cookie ? cookie->len : 0, cookie ? cookie->buf : NULL };
	LDAPControl *ctrl = NULL, *ctrls[2] = { NULL, NULL };
	int msgid = -1, rc;

	if ((rc = ldap_sync_request(&c, &ctrl)) != LDAP_SUCCESS)
		return source_ldap_search_error(s, base, rc, NULL, e);
	ctrls[0] = ctrl;
	rc = ldap_search_ext(s->ld, base, LDAP_SCOPE_SUBTREE, filter,
			     source_ldap_attrs(s), 0, ctrls, NULL, NULL,
			     LDAP_NO_LIMIT, &msgid);
	ldap_control_free(ctrl);
	if (rc != LDAP_SUCCESS)
		return source_ldap_search_error(s, base, rc, NULL, e);
	return msgid;
}

static void
keep_cookie(struct refresh *r, const struct berval *c)
{
	if (c->bv_len == 0)
		return;
	str_reset(&r->cookie);
	str_add(&r->cookie, c->bv_val, c->bv_len);
}

static int
on_entry(struct refresh *r, LDAPMessage *msg, struct err *e)
{
	LDAPControl **ctrls = NULL, *c;
	char uuid[SYNC_UUID_TEXT];
	struct record *rec;
	int state, rc = -1;

	if (ldap_get_entry_controls(r->s->ld, msg, &ctrls) != LDAP_SUCCESS ||
	    (c = ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls, NULL)) ==
		    NULL ||
	    ldap_sync_state(&c->ldctl_value, &state, uuid) < 0) {
		err_setc(e, ERR_FETCH, "'%s' on '%s': an entry without a "
			 "valid sync state", r->base, r->s->url);
		goto out;
	}
	if (state == LDAP_SYNC_PRESENT) {
		mirror_present(r->m, uuid);
		r->present_phase = 1;
	} else if (state == LDAP_SYNC_DELETE) {
		mirror_delete(r->m, uuid, r->kind);
	} else {
		if (source_ldap_entry(r->s, msg, r->kind, &r->b, &rec, e) < 0)
			goto out;
		if (rec == NULL)
			mirror_delete(r->m, uuid, r->kind);	/* skipped: not ours */
		else if (r->kind == RECORD_GROUP ||
			 !mirror_changed(r->m, uuid, RECORD_GROUP))
			mirror_put(r->m, uuid, rec);
		/* else an entry both searches match: a group (full fetch) */
	}
	rc = 0;
out:
	ldap_controls_free(ctrls);
	return rc;
}

static int
on_info(struct refresh *r, LDAPMessage *msg, struct err *e)
{
	struct berval *data = NULL;
	struct sync_info in;
	char *oid = NULL, uuid[SYNC_UUID_TEXT];
	int rc = -1;

	if (ldap_parse_intermediate(r->s->ld, msg, &oid, &data, NULL, 0) !=
		    LDAP_SUCCESS ||
	    oid == NULL || strcmp(oid, LDAP_SYNC_INFO) != 0 || data == NULL ||
	    ldap_sync_info(data, &in) < 0) {
		err_setc(e, ERR_FETCH, "'%s' on '%s': a sync message that "
			 "does not parse", r->base, r->s->url);
		goto out;
	}
	keep_cookie(r, &in.cookie);
	if (in.tag == LDAP_TAG_SYNC_REFRESH_PRESENT)
		r->present_phase = 1;
	for (size_t i = 0; in.uuids != NULL && in.uuids[i].bv_val; i++) {
		if (ldap_sync_uuid_text(&in.uuids[i], uuid) < 0)
			continue;
		if (in.flag) {
			mirror_delete(r->m, uuid, r->kind);
		} else {
			mirror_present(r->m, uuid);
			r->present_phase = 1;
		}
	}
	ber_bvarray_free(in.uuids);
	rc = 0;
out:
	ldap_memfree(oid);
	ber_bvfree(data);
	return rc;
}

/* The search's end.  0 done, REFRESH_REQUIRED, or -1 (e set; its code
 * says whether the server just cannot sync: see refresh_fallback). */
static int
on_done(struct refresh *r, LDAPMessage *msg, int *code, struct err *e)
{
	LDAPControl **ctrls = NULL, *c;
	struct berval cookie;
	char *diag = NULL;
	int deletes = 0, rc = -1;

	*code = LDAP_OTHER;
	if (ldap_parse_result(r->s->ld, msg, code, NULL, &diag, NULL, &ctrls,
			      0) != LDAP_SUCCESS)
		*code = source_ldap_code(r->s->ld);
	if (*code == LDAP_SYNC_REFRESH_REQUIRED) {
		rc = REFRESH_REQUIRED;
		goto out;
	}
	if (*code != LDAP_SUCCESS) {
		source_ldap_search_error(r->s, r->base, *code, diag, e);
		goto out;
	}
	/* Without syncDone, refreshDeletes would default to FALSE and every
	 * unchanged entry look gone: a server (or proxy) that drops the
	 * control cannot sync (a full fetch follows). */
	c = ldap_control_find(LDAP_CONTROL_SYNC_DONE, ctrls, NULL);
	if (c == NULL || ldap_sync_done(&c->ldctl_value, &cookie, &deletes) < 0) {
		*code = LDAP_PROTOCOL_ERROR;
		err_setc(e, ERR_FETCH, "'%s' on '%s': %s sync done control",
			 r->base, r->s->url, c == NULL ? "no" : "a bad");
		goto out;
	}
	keep_cookie(r, &cookie);
	/* RFC 4533 §3.3.1: after a present phase, every entry not named
	 * present is gone. */
	if (r->present_phase || !deletes)
		mirror_drop_unseen(r->m, r->kind);
	rc = 0;
out:
	ldap_controls_free(ctrls);
	ldap_memfree(diag);
	return rc;
}

/* Runs one sync search to its end.  *code: the result code. */
static int
run_search(struct refresh *r, const char *filter, const struct str *cookie,
	   int *code, struct err *e)
{
	struct timeval tv = { .tv_sec = r->s->cfg->timeout_s > 0
						? r->s->cfg->timeout_s : 30 };
	LDAPMessage *msg = NULL;
	int msgid, type, rc = 0;

	*code = LDAP_SUCCESS;
	if ((msgid = send_sync(r->s, r->base, filter, cookie, e)) < 0) {
		*code = source_ldap_code(r->s->ld);
		return -1;
	}
	for (;;) {
		type = ldap_result(r->s->ld, msgid, LDAP_MSG_ONE, &tv, &msg);
		if (type <= 0) {
			*code = type == 0 ? LDAP_TIMEOUT : source_ldap_code(r->s->ld);
			if (type == 0)
				ldap_abandon_ext(r->s->ld, msgid, NULL, NULL);
			return source_ldap_search_error(r->s, r->base, *code,
							NULL, e);
		}
		if (type == LDAP_RES_SEARCH_ENTRY)
			rc = on_entry(r, msg, e);
		else if (type == LDAP_RES_INTERMEDIATE)
			rc = on_info(r, msg, e);
		else if (type == LDAP_RES_SEARCH_RESULT)
			rc = on_done(r, msg, code, e);
		ldap_msgfree(msg);
		msg = NULL;
		if (type == LDAP_RES_SEARCH_RESULT || rc < 0)
			break;
	}
	if (rc < 0 && type != LDAP_RES_SEARCH_RESULT) {
		/* an entry or message that breaks RFC 4533: this server
		 * cannot sync (a full fetch follows) */
		*code = LDAP_PROTOCOL_ERROR;
		ldap_abandon_ext(r->s->ld, msgid, NULL, NULL);
	}
	return rc;
}

/* Errors after which a full fetch is the answer, not a failed run: the
 * server cannot or will not sync this search. */
static int
cannot_sync(int code)
{
	return code == LDAP_UNAVAILABLE_CRITICAL_EXTENSION ||
	       code == LDAP_UNWILLING_TO_PERFORM ||
	       code == LDAP_PROTOCOL_ERROR ||
	       code == LDAP_INSUFFICIENT_ACCESS ||
	       code == LDAP_SIZELIMIT_EXCEEDED ||
	       code == LDAP_ADMINLIMIT_EXCEEDED;
}

static void
refresh_init(struct refresh *r, struct source *s, struct mirror *m,
	     enum record_kind kind, const char *base)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->m = m;
	r->kind = kind;
	r->base = base;
	arena_init(&r->scratch);
	record_builder_init(&r->b, &r->scratch);
}

static void
refresh_release(struct refresh *r)
{
	record_builder_release(&r->b);
	arena_release(&r->scratch);
	str_release(&r->cookie);
}

/*
 * One search, users or groups, with the cookie stored as cursor (NULL for
 * a probe: filter matches nothing, only the cookie comes back).  The new
 * cookie goes back to the cursor.  0, REFRESH_REQUIRED, or -1.
 */
static int
sync_search(struct source *s, struct mirror *m, enum record_kind kind,
	    const char *cursor, int probe, int *code, struct err *e)
{
	const struct search_cfg *sc = kind == RECORD_USER ? &s->cfg->users
							   : &s->cfg->groups;
	const char *filter = search_filter(sc, kind == RECORD_USER ?
					   DEFAULT_USERS_FILTER :
					   DEFAULT_GROUPS_FILTER);
	struct str old = STR_INIT, hex = STR_INIT;
	struct refresh r;
	int rc = -1;

	refresh_init(&r, s, m, kind, sc->base != NULL ? sc->base : "");
	if (probe) {
		/* No entry has this UUID: the answer is the cookie alone. */
		filter = "(entryUUID=00000000-0000-0000-0000-000000000000)";
	} else if (mirror_cursor(m, cursor) == NULL ||
		   hex_decode(mirror_cursor(m, cursor), &old) < 0) {
		rc = REFRESH_REQUIRED;
		goto out;
	}
	rc = run_search(&r, filter, probe ? NULL : &old, code, e);
	if (rc == 0 && r.cookie.len > 0) {
		hex_encode(&r.cookie, &hex);
		mirror_set_cursor(m, cursor, hex.buf);
	} else if (rc == 0 && probe) {
		*code = LDAP_PROTOCOL_ERROR;	/* no cookie: no sync */
		rc = err_setc(e, ERR_FETCH, "'%s' on '%s': no sync cookie",
			      r.base, s->url);
	}
out:
	refresh_release(&r);
	str_release(&old);
	str_release(&hex);
	return rc;
}

/* Both searches (groups first, as in a full fetch). */
static int
sync_both(struct source *s, struct mirror *m, int probe, int *code,
	  struct err *e)
{
	int rc = 0;

	if (s->cfg->groups.base != NULL)
		rc = sync_search(s, m, RECORD_GROUP, CUR_GROUPS, probe, code, e);
	if (rc == 0)
		rc = sync_search(s, m, RECORD_USER, CUR_USERS, probe, code, e);
	return rc;
}

static int
syncrepl_start(struct source *s, struct mirror *m, int *code, struct err *e)
{
	return sync_both(s, m, 1, code, e);
}

static int
syncrepl_refresh(struct source *s, struct mirror *m, int *code,
		 struct err *e)
{
	return sync_both(s, m, 0, code, e);
}

/* One way of asking a server for changes. */
struct incr {
	const char *name;	/* for messages */
	const char *key_attr;	/* keys the mirror */
	int (*start)(struct source *s, struct mirror *m, int *code,
		     struct err *e);
	int (*refresh)(struct source *s, struct mirror *m, int *code,
		       struct err *e);
};

static const struct incr incr_syncrepl = {
	"RFC 4533 sync", "entryUUID", syncrepl_start, syncrepl_refresh,
};
static const struct incr incr_usn = {
	"uSNChanged", "objectGUID", source_ldap_usn_start,
	source_ldap_usn_refresh,
};

int
source_ldap_sink_fill(struct source *s, struct record *r)
{
	const char *key = record_first(r, s->key_attr);

	if (key == NULL)
		s->unkeyed++;	/* a hole in the mirror: see full() */
	else if (r->kind == RECORD_GROUP ||
		 !mirror_changed(s->mirror, key, RECORD_GROUP))
		mirror_put(s->mirror, key, r);
	/* else an entry both searches match: it stays a group, as in the
	 * recordset (groups are fetched first) */
	return 1;
}

int
source_ldap_sink_changes(struct source *s, struct record *r)
{
	source_ldap_sink_fill(s, r);
	return 0;
}

/* The mirror answers this config on this server. */
static int
mirror_matches(struct source *s, const struct mirror *m)
{
	const char *url = mirror_cursor(m, CUR_URL);
	const char *sig = mirror_cursor(m, CUR_SIGNATURE);
	struct str want = STR_INIT;
	int ok;

	signature(s, &want);
	ok = m->rows != NULL && url != NULL && sig != NULL &&
	     strcmp(url, s->url) == 0 && strcmp(sig, want.buf) == 0;
	str_release(&want);
	return ok;
}

/* After a full fetch that filled m: what the mirror answers, and where. */
static void
mark_full(struct source *s, struct mirror *m)
{
	struct str sig = STR_INIT;

	signature(s, &sig);
	mirror_set_cursor(m, CUR_URL, s->url);
	mirror_set_cursor(m, CUR_SIGNATURE, sig.buf);
	str_release(&sig);
	m->used = 1;
}

/* A full fetch; with the mirror to fill when the run will be applied. */
static int
full(struct source *s, const struct incr *in, struct mirror *m,
     struct recordset *rs, struct err *e)
{
	struct err why = { 0 };
	int code = LDAP_SUCCESS, started = 0, rc;

	if (m->keep) {
		rc = in->start(s, m, &code, &why);
		if (rc == 0)
			started = 1;
		else if (rc > 0 || cannot_sync(code))
			log_warn("'%s' cannot sync (%s): %s; every run "
				 "fetches everything", s->url, in->name,
				 rc > 0 ? "no usable position" : why.msg);
		else
			return err_setc(e, ERR_FETCH, "%s", why.msg);
	}
	if (started) {
		mirror_clear(m);
		m->full = 1;	/* entries take their seq in fetch order */
		s->mirror = m;
		s->sink = source_ldap_sink_fill;
		s->unkeyed = 0;
	}
	rc = source_ldap_fetch(s, rs, e);
	s->sink = NULL;
	/* An entry without its key would look deleted to the next refresh:
	 * no mirror rather than a wrong one. */
	if (rc == 0 && started && s->unkeyed > 0)
		log_warn("'%s': %zu entries without a readable %s; every run "
			 "fetches everything", s->url, s->unkeyed, in->key_attr);
	else if (rc == 0 && started)
		mark_full(s, m);
	return rc;
}

/* (config.c makes sure a usn job's anchor is objectGUID, the key.) */
static const struct incr *
incr_for(const struct source *s)
{
	return s->cfg->incremental == INCR_USN ? &incr_usn : &incr_syncrepl;
}

int
source_ldap_sync(struct source *s, struct mirror *m, struct recordset *rs,
		 struct err *e)
{
	const struct incr *in = incr_for(s);
	struct err why = { 0 };
	int code = LDAP_SUCCESS, rc;

	s->key_attr = in->key_attr;
	want_attr(s, in->key_attr);
	if (!mirror_matches(s, m))
		return full(s, in, m, rs, e);
	rc = in->refresh(s, m, &code, &why);
	if (rc == 0) {
		m->used = 1;
		if (mirror_rebuild(m, rs, e) < 0)
			return err_prefix(e, "%s (`--full` fetches everything "
					  "and replaces it)", "the mirror");
		log_info("'%s': incremental refresh: %zu entries changed or "
			 "gone, %zu in all", s->url, m->n, m->nlive);
		return 0;
	}
	if (rc == REFRESH_REQUIRED)
		log_info("'%s' asks for a full reload (its sync state moved "
			 "on); fetching everything", s->url);
	else if (cannot_sync(code))
		log_warn("'%s': incremental refresh refused: %s; fetching "
			 "everything", s->url, why.msg);
	else
		return err_setc(e, ERR_FETCH, "%s", why.msg);
	mirror_clear(m);
	return full(s, in, m, rs, e);
}
