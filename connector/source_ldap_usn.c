/*
 * source_ldap_usn: `incremental: usn` (DESIGN §4), Active Directory's
 * update sequence numbers.  Every write on a domain controller gives the
 * object the DC's next USN (uSNChanged); the rootDSE's
 * highestCommittedUSN is the newest.  USNs are the DC's own, so the
 * cursor is kept with the DC's dsServiceName: another DC (a fallback URL
 * answering) means a full fetch.
 *
 * A refresh from USN n (the highestCommittedUSN read when the previous
 * fetch started, so that writes during a fetch are read again, never
 * missed) runs, for groups then users, the job's own search with
 * "(uSNChanged>=n+1)" added: changed entries that still match, with
 * ranged member lists as in a full fetch.  Then one search of the whole
 * naming context for everything changed since n, deleted objects included
 * (show-deleted control; FIELD-NOTES: a deletion is visible only as a
 * tombstone, and the groups that lost the member are not bumped): any of
 * those that the job's searches did not return has left them (deleted,
 * disabled out of the filter, moved out of the base), and its stored row
 * goes.  A stale member DN left in a group's row does not resolve to
 * anyone, so membership removals need nothing more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "source_ldap_int.h"
#include "util/log.h"

#define CUR_HIGH "usn.high"
#define CUR_DC "usn.dc"
/* LDAP_SERVER_SHOW_DELETED_OID: tombstones are returned too. */
#define SHOW_DELETED_OID "1.2.840.113556.1.4.417"

/* The rootDSE values a USN fetch needs. */
struct dse {
	char high[32];		/* highestCommittedUSN */
	struct str dc;		/* dsServiceName */
	struct str nc;		/* defaultNamingContext */
};

static void
first_value(LDAP *ld, LDAPMessage *entry, const char *attr, struct str *out)
{
	struct berval **v = ldap_get_values_len(ld, entry, attr);

	str_reset(out);
	if (v != NULL && v[0] != NULL)
		str_add(out, v[0]->bv_val, v[0]->bv_len);
	ldap_value_free_len(v);
}

static int
read_dse(struct source *s, struct dse *d, int *code, struct err *e)
{
	static const char *want[] = { "highestCommittedUSN", "dsServiceName",
				      "defaultNamingContext", NULL };
	LDAPMessage *res = NULL, *entry;
	struct str high = STR_INIT;
	int rc = -1;

	*code = ldap_search_ext_s(s->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
				  (char **)want, 0, NULL, NULL, NULL, 1, &res);
	entry = *code == LDAP_SUCCESS ? ldap_first_entry(s->ld, res) : NULL;
	if (entry == NULL) {
		source_ldap_search_error(s, "the rootDSE", *code == LDAP_SUCCESS
					 ? LDAP_NO_SUCH_OBJECT : *code, NULL, e);
		goto out;
	}
	first_value(s->ld, entry, "highestCommittedUSN", &high);
	first_value(s->ld, entry, "dsServiceName", &d->dc);
	first_value(s->ld, entry, "defaultNamingContext", &d->nc);
	if (high.len == 0 || high.len >= sizeof(d->high) ||
	    strspn(str_cstr(&high), "0123456789") != high.len ||
	    d->dc.len == 0 || d->nc.len == 0) {
		*code = LDAP_UNWILLING_TO_PERFORM;	/* not AD: cannot */
		err_setc(e, ERR_FETCH, "'%s' has no highestCommittedUSN, "
			 "dsServiceName or defaultNamingContext in its "
			 "rootDSE", s->url);
		goto out;
	}
	memcpy(d->high, high.buf, high.len + 1);
	rc = 0;
out:
	str_release(&high);
	ldap_msgfree(res);
	return rc;
}

static void
dse_release(struct dse *d)
{
	str_release(&d->dc);
	str_release(&d->nc);
}

int
source_ldap_usn_start(struct source *s, struct mirror *m, int *code,
		      struct err *e)
{
	struct dse d = { "", STR_INIT, STR_INIT };
	int rc = read_dse(s, &d, code, e);

	if (rc == 0) {
		mirror_set_cursor(m, CUR_HIGH, d.high);
		mirror_set_cursor(m, CUR_DC, d.dc.buf);
	}
	dse_release(&d);
	return rc;
}

/* Runs one paged search through the change sink (nothing reaches rs). */
static int
changed_search(struct source *s, const struct search_cfg *sc,
	       const char *dflt, enum record_kind kind, struct err *e)
{
	struct record_builder b;
	struct recordset scratch;
	int rc;

	recordset_init(&scratch);
	record_builder_init(&b, &scratch.arena);
	s->sink = source_ldap_sink_changes;
	rc = source_ldap_search(s, sc, dflt, kind, &b, &scratch, e);
	s->sink = NULL;
	record_builder_release(&b);
	recordset_release(&scratch);
	return rc;
}

/* The job's search of kind, limited to what changed after USN from. */
static int
changed(struct source *s, enum record_kind kind, const char *from,
	int *code, struct err *e)
{
	const struct search_cfg *sc = kind == RECORD_USER ? &s->cfg->users
							   : &s->cfg->groups;
	const char *f = sc->filter != NULL && *sc->filter ? sc->filter :
			kind == RECORD_USER ? DEFAULT_USERS_FILTER :
			DEFAULT_GROUPS_FILTER;
	struct search_cfg narrowed = *sc;
	struct str filter = STR_INIT;
	int rc;

	str_addf(&filter, "(&%s(uSNChanged>=%s))", f, from);
	narrowed.filter = filter.buf;
	rc = changed_search(s, &narrowed, f, kind, e);
	if (rc < 0)
		*code = source_ldap_code(s->ld);
	str_release(&filter);
	return rc;
}

/* An object changed since the cursor: unless the job's searches returned
 * it as a user or group, its row of that kind goes. */
/* 1 if r's objectClass names a container of other objects. */
static int
is_container(const struct record *r)
{
	const struct attr *oc = record_attr(r, "objectClass");

	for (size_t i = 0; oc != NULL && i < oc->n; i++)
		if (strcasecmp(oc->vals[i], "organizationalUnit") == 0 ||
		    strcasecmp(oc->vals[i], "container") == 0)
			return 1;
	return 0;
}

static int
sink_gone(struct source *s, struct record *r)
{
	const char *guid = r->anchor;
	const char *deleted = record_first(r, "isDeleted");
	int tomb = deleted != NULL && strcasecmp(deleted, "TRUE") == 0;

	if (tomb)
		mirror_tombstone(s->mirror, guid);
	/* A renamed or moved OU renames everything below it, none of which
	 * gets a new USN: only a full fetch sees the new DNs. */
	else if (is_container(r))
		s->reload = 1;

	if (!mirror_changed(s->mirror, guid, RECORD_USER))
		mirror_delete(s->mirror, guid, RECORD_USER);
	if (!mirror_changed(s->mirror, guid, RECORD_GROUP))
		mirror_delete(s->mirror, guid, RECORD_GROUP);
	return 0;
}

/* Everything in the naming context changed after from, tombstones too. */
static int
gone(struct source *s, const struct dse *d, const char *from, int *code,
     struct err *e)
{
	char *guid_only[] = { "objectGUID", "isDeleted", "objectClass", NULL };
	char **attrs = s->attrs;
	struct search_cfg all = { 0 };
	struct str filter = STR_INIT;
	struct record_builder b;
	struct recordset scratch;
	LDAPControl *show = NULL;
	int rc;

	*code = ldap_control_create(SHOW_DELETED_OID, 1, NULL, 0, &show);
	if (*code != LDAP_SUCCESS)
		return source_ldap_search_error(s, d->nc.buf, *code, NULL, e);
	/* Up to the USN read before the job's searches: an object changed
	 * after them is theirs to see next time, not gone. */
	str_addf(&filter, "(&(uSNChanged>=%s)(uSNChanged<=%s))", from, d->high);
	all.base = d->nc.buf;
	all.filter = filter.buf;
	recordset_init(&scratch);
	record_builder_init(&b, &scratch.arena);
	s->attrs = guid_only;
	s->extra_ctrl = show;
	s->sink = sink_gone;
	rc = source_ldap_search(s, &all, filter.buf, RECORD_USER, &b, &scratch,
				e);
	if (rc < 0)
		*code = source_ldap_code(s->ld);
	s->sink = NULL;
	s->extra_ctrl = NULL;
	s->attrs = attrs;
	record_builder_release(&b);
	recordset_release(&scratch);
	ldap_control_free(show);
	str_release(&filter);
	return rc;
}

int
source_ldap_usn_refresh(struct source *s, struct mirror *m, int *code,
			struct err *e)
{
	const char *high = mirror_cursor(m, CUR_HIGH);
	const char *dc = mirror_cursor(m, CUR_DC);
	struct dse d = { "", STR_INIT, STR_INIT };
	char from[32];
	int rc = SOURCE_LDAP_RELOAD;

	*code = LDAP_SUCCESS;
	if (high == NULL || dc == NULL ||
	    strspn(high, "0123456789") != strlen(high) || strlen(high) > 18)
		goto out;
	if (read_dse(s, &d, code, e) < 0) {
		rc = -1;
		goto out;
	}
	if (strcmp(d.dc.buf, dc) != 0) {
		log_info("'%s' is another domain controller than the one the "
			 "mirror was read from", s->url);
		goto out;
	}
	snprintf(from, sizeof(from), "%lld", strtoll(high, NULL, 10) + 1);
	s->mirror = m;
	s->reload = 0;
	m->relink_on = 1;
	rc = -1;
	if ((s->cfg->groups.base == NULL ||
	     changed(s, RECORD_GROUP, from, code, e) == 0) &&
	    changed(s, RECORD_USER, from, code, e) == 0 &&
	    gone(s, &d, from, code, e) == 0) {
		mirror_set_cursor(m, CUR_HIGH, d.high);
		rc = 0;
	}
	if (rc == 0 && s->reload) {
		log_info("'%s': an OU or container changed since the last "
			 "run; its objects' DNs may have too", s->url);
		rc = SOURCE_LDAP_RELOAD;
	}
out:
	dse_release(&d);
	return rc;
}
