/*
 * source_ldap: the LDAP adapter (source.h), on libldap.
 *
 * open tries each configured URL in order; the first that connects (TLS
 * included) and binds wins, and if none does the error lists every URL's
 * reason.  fetch runs one paged subtree search (RFC 2696) for users and,
 * if groups.base is set, one for groups, streaming entries one message at
 * a time: each entry is copied into the recordset's arena by the record
 * builder and its LDAPMessage freed at once, so no libldap object outlives
 * a call (STYLE) and memory stays flat whatever the page size.
 *
 * Any LDAP error, a lost connection, a referral result or an exceeded size
 * limit fails the whole fetch with ERR_FETCH (DESIGN §4): a partial
 * directory must never look like deletions.  Search continuation
 * references (AD's DomainDnsZones and the like) are not results and are
 * skipped with a warning.
 *
 * AD ranged retrieval: on a server whose rootDSE says it is AD, the
 * searches ask for "member;range=0-<range_step - 1>" instead of "member"
 * (Samba would send every value at once, Windows cuts at 1,500).  A group
 * whose member list comes back as "member;range=0-N" has the rest fetched
 * by base searches asking for "member;range=N+1-M" (M = N + range_step)
 * until a range ends in '*'.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <lber.h>
#include <ldap.h>

#include "config.h"
#include "dn.h"
#include "mapping.h"
#include "record.h"
#include "source.h"
#include "source_ldap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define DEFAULT_ANCHOR "entryUUID"
/* Longest attribute description we accept (name plus options). */
#define MAX_ATTR_NAME 255


/* One entry's ranged "member;range=LO-HI" (HI < 0: "*", the last one). */
struct range {
	int seen;
	long lo, hi;
};

int
source_ldap_code(LDAP *ld)
{
	int rc = LDAP_OTHER;

	ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc);
	return rc;
}

static void
set_timeouts(LDAP *ld, int secs)
{
	struct timeval tv = { .tv_sec = secs > 0 ? secs : 30 };

	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
}

/* TLS options apply to the handle's own context, which NEWCTX creates
 * from them; without NEWCTX the process-wide defaults would be used. */
static int
set_tls(LDAP *ld, const struct ldap_cfg *cfg, const char *url, struct err *e)
{
	int demand = cfg->insecure_skip_verify ? LDAP_OPT_X_TLS_NEVER
					       : LDAP_OPT_X_TLS_DEMAND;
	int is_server = 0;

	if (cfg->ca_file != NULL &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ca_file) !=
		    LDAP_OPT_SUCCESS)
		return err_set(e, "cannot use CA file '%s' for '%s'",
			       cfg->ca_file, url);
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) !=
		    LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server) !=
		    LDAP_OPT_SUCCESS)
		return err_set(e, "cannot set up TLS for '%s': %s", url,
			       ldap_err2string(source_ldap_code(ld)));
	return 0;
}

/* LDAP_CAP_ACTIVE_DIRECTORY_OID, in the rootDSE of Windows and Samba. */
#define AD_CAPABILITY "1.2.840.113556.1.4.800"

/* 1 if the server says it is Active Directory, the only one that knows
 * ranged retrieval: slapd answers "member;range=0-499" with no values at
 * all.  0 when unsure: then a plain "member" is asked for, and ranges are
 * followed only if the server starts them (Windows, past 1,500). */
static int
server_is_ad(LDAP *ld)
{
	char *attrs[2] = { "supportedCapabilities", NULL };
	LDAPMessage *res = NULL, *entry;
	struct berval **vals = NULL;
	size_t n = strlen(AD_CAPABILITY);
	int ad = 0;

	if (ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
			      attrs, 0, NULL, NULL, NULL, 0, &res) ==
		    LDAP_SUCCESS &&
	    (entry = ldap_first_entry(ld, res)) != NULL)
		vals = ldap_get_values_len(ld, entry, attrs[0]);
	for (size_t i = 0; vals != NULL && vals[i] != NULL; i++)
		if (vals[i]->bv_len == n && memcmp(vals[i]->bv_val,
						   AD_CAPABILITY, n) == 0)
			ad = 1;
	ldap_value_free_len(vals);
	ldap_msgfree(res);
	return ad;
}

static int
is_connect_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	       rc == LDAP_TIMEOUT;
}

/* Connects to one URL and binds.  *out set on success. */
static int
connect_one(const struct ldap_cfg *cfg, const char *url, const char *pw,
	    LDAP **out, struct err *e)
{
	LDAP *ld = NULL;
	struct berval cred = { 0, NULL };
	int version = LDAP_VERSION3, rc;
	int ldaps = strncasecmp(url, "ldaps://", 8) == 0;

	rc = ldap_initialize(&ld, url);
	if (rc != LDAP_SUCCESS || ld == NULL) {
		err_set(e, "invalid LDAP URL '%s': %s", url,
			ldap_err2string(rc));
		goto fail;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	/* Chasing a referral would bind elsewhere anonymously: never. */
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	set_timeouts(ld, cfg->timeout_s);
	if ((ldaps || cfg->starttls) && set_tls(ld, cfg, url, e) < 0)
		goto fail;
	if (cfg->starttls && !ldaps &&
	    (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		err_set(e, "cannot start TLS on '%s': %s", url,
			ldap_err2string(rc));
		goto fail;
	}
	if (pw != NULL) {
		cred.bv_val = (char *)pw;
		cred.bv_len = strlen(pw);
	}
	rc = ldap_sasl_bind_s(ld, cfg->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
			      NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		if (is_connect_error(rc))
			err_set(e, "cannot connect to '%s': %s", url,
				ldap_err2string(rc));
		else
			err_set(e, "cannot bind to '%s' as '%s': %s", url,
				cfg->bind_dn ? cfg->bind_dn : "(anonymous)",
				ldap_err2string(rc));
		goto fail;
	}
	*out = ld;
	return 0;
fail:
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return -1;
}

static int
ldap_open(const struct job_cfg *job, struct source **out, struct err *e)
{
	const struct ldap_cfg *cfg = &job->source.ldap;
	struct source *s = NULL;
	struct str why = STR_INIT;
	struct err one;
	char *pw = NULL;
	LDAP *ld = NULL;
	size_t i;
	int rc = -1;

	if (cfg->nurls == 0)
		return err_setc(e, ERR_FETCH, "job '%s': no LDAP URL", job->name);
	if (cfg->bind_dn != NULL) {
		pw = config_read_secret(&cfg->password, "LDAP password", e);
		if (pw == NULL) {
			e->code = ERR_FETCH;
			return -1;
		}
	}
	if (cfg->insecure_skip_verify)
		log_warn("job '%s': TLS certificate verification is disabled "
			 "(insecure_skip_verify)", job->name);
	for (i = 0; i < cfg->nurls; i++) {
		err_clear(&one);
		if (connect_one(cfg, cfg->urls[i], pw, &ld, &one) == 0)
			break;
		str_addf(&why, "%s%s", why.len ? "; " : "", one.msg);
		if (i + 1 < cfg->nurls)
			log_warn("%s; trying the next URL", one.msg);
	}
	if (ld == NULL) {
		err_setc(e, ERR_FETCH, "%s", str_cstr(&why));
		goto out;
	}
	s = xcalloc(1, sizeof(*s));
	s->job = job;
	s->cfg = cfg;
	s->ld = ld;
	s->url = xstrdup(cfg->urls[i]);
	s->anchor = job->mapping != NULL && job->mapping->anchor != NULL
			    ? job->mapping->anchor : DEFAULT_ANCHOR;
	s->anchor_is_guid = strcasecmp(s->anchor, "objectGUID") == 0;
	s->is_ad = server_is_ad(ld);
	*out = s;
	rc = 0;
out:
	config_secret_free(pw);
	str_release(&why);
	return rc;
}

static void
ldap_close(struct source *s)
{
	if (s == NULL)
		return;
	if (s->ld != NULL)
		ldap_unbind_ext_s(s->ld, NULL, NULL);
	free(s->url);
	free(s->ranged);
	free(s->attrs);
	str_release(&s->dn);
	str_release(&s->key);
	str_release(&s->name);
	str_release(&s->tmp);
	free(s);
}

int
source_ldap_search_error(struct source *s, const char *base, int rc, const char *diag,
	     struct err *e)
{
	if (diag != NULL && *diag != '\0')
		return err_setc(e, ERR_FETCH,
				"cannot search '%s' on '%s': %s (%s)", base,
				s->url, ldap_err2string(rc), diag);
	return err_setc(e, ERR_FETCH, "cannot search '%s' on '%s': %s", base,
			s->url, ldap_err2string(rc));
}

/* AD shows objectGUID with its first three fields little-endian. */
void
source_ldap_guid_text(const unsigned char *g, struct str *out)
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
				       8, 9, 10, 11, 12, 13, 14, 15 };
	int i;

	str_reset(out);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			str_addc(out, '-');
		str_addf(out, "%02x", g[order[i]]);
	}
}

/* Sets s->tmp to the anchor's text form; 0, or -1 if it is unusable. */
static int
anchor_text(struct source *s, const struct berval *v)
{
	if (s->anchor_is_guid && v->bv_len == 16) {
		source_ldap_guid_text((const unsigned char *)v->bv_val, &s->tmp);
		return 0;
	}
	if (v->bv_len == 0 || memchr(v->bv_val, '\0', v->bv_len) != NULL)
		return -1;
	str_reset(&s->tmp);
	str_add(&s->tmp, v->bv_val, v->bv_len);
	return 0;
}

static long
range_step(const struct source *s)
{
	return s->cfg->range_step > 0 ? s->cfg->range_step : 1500;
}

/*
 * The attribute list a search sends: attrs with "member" asked for as
 * "member;range=0-<range_step - 1>".  Asking for the first range ourselves
 * makes every server page member lists with our step: Samba answers a
 * plain "member" with every value at once, Windows cuts it at its own
 * MaxValRange (FIELD-NOTES).  A shorter list comes back as
 * "member;range=0-*".  AD only (server_is_ad).  The list lives in s until
 * the next call.
 */
static char **
range_attrs(struct source *s, char **attrs)
{
	size_t n = 0, i;

	if (!s->is_ad)
		return attrs;
	while (attrs != NULL && attrs[n] != NULL)
		n++;
	for (i = 0; i < n && strcasecmp(attrs[i], "member") != 0; i++)
		;
	if (i == n)
		return attrs;
	s->ranged = xgrow(s->ranged, &s->ranged_cap, n + 1,
			  sizeof(*s->ranged));
	memcpy(s->ranged, attrs, n * sizeof(*attrs));
	s->ranged[n] = NULL;
	snprintf(s->range0, sizeof(s->range0), "member;range=0-%ld",
		 range_step(s) - 1);
	s->ranged[i] = s->range0;
	return s->ranged;
}

/* Splits "member;range=0-1499" into its base name (in s->name) and range.
 * Returns 1 if it had a range option, 0 if not. */
static int
parse_range(struct source *s, struct range *r)
{
	char *opt = memchr(s->name.buf, ';', s->name.len);
	char *p, *end;

	/* Options are rare: look for the range only behind a ';'. */
	if (opt == NULL || (opt = strcasestr(opt, ";range=")) == NULL)
		return 0;
	p = opt + 7;
	r->lo = strtol(p, &end, 10);
	if (end == p || *end != '-')
		return 0;
	p = end + 1;
	if (*p == '*') {
		r->hi = -1;
	} else {
		r->hi = strtol(p, &end, 10);
		if (end == p || r->hi < r->lo)
			return 0;
	}
	r->seen = 1;
	*opt = '\0';
	s->name.len = (size_t)(opt - s->name.buf);
	return 1;
}

/* Sets s->key to dn's normal form.  Most DNs need only ASCII case
 * folding (dn.h); skipping libldap's parser for them is most of the
 * client's cost per member.  Returns 0, or -1 if dn does not parse. */
static int
dn_key(struct source *s, const char *dn)
{
	str_reset(&s->key);
	if (dn_needs_normalize(dn) || strchr(dn, '=') == NULL)
		return dn_normalize(dn, &s->key);
	str_adds(&s->key, dn);
	for (char *p = s->key.buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/* uniqueMember values may carry an "#'0101'B" unique identifier. */
static size_t
member_len(const struct berval *v)
{
	size_t n = v->bv_len;

	if (n >= 4 && v->bv_val[n - 1] == 'B' && v->bv_val[n - 2] == '\'') {
		const char *hash = memrchr(v->bv_val, '#', n);

		if (hash != NULL && hash[1] == '\'')
			n = (size_t)(hash - v->bv_val);
	}
	return n;
}

static void
add_member(struct source *s, struct record_builder *b, const struct berval *v)
{
	size_t n = member_len(v);

	if (n == 0 || memchr(v->bv_val, '\0', n) != NULL)
		return;
	str_reset(&s->tmp);
	str_add(&s->tmp, v->bv_val, n);
	record_builder_add_member(b, s->tmp.buf,
				  dn_key(s, s->tmp.buf) == 0 ? s->key.buf
							     : NULL);
}

static int
is_member_attr(const char *name)
{
	return strcasecmp(name, "member") == 0 ||
	       strcasecmp(name, "uniqueMember") == 0;
}

/* Adds the values of attribute s->name.  The anchor attribute's first
 * usable value, in text form, also goes to anchor. */
static void
add_values(struct source *s, struct record_builder *b, enum record_kind kind,
	   BerVarray vals, struct str *anchor)
{
	const char *name = s->name.buf;
	int anchor_attr = strcasecmp(name, s->anchor) == 0;
	int members = kind == RECORD_GROUP && is_member_attr(name);

	for (BerVarray v = vals; v != NULL && v->bv_val != NULL; v++) {
		if (members) {
			add_member(s, b, v);
		} else if (anchor_attr) {
			if (anchor->len == 0 && anchor_text(s, v) == 0) {
				str_add(anchor, s->tmp.buf, s->tmp.len);
				record_builder_add(b, name, s->tmp.buf,
						   s->tmp.len);
			}
		} else {
			record_builder_add(b, name, v->bv_val, v->bv_len);
		}
	}
}

/* Reads the attributes of entry (positioned after its DN in ber). */
static void
read_attrs(struct source *s, LDAPMessage *entry, BerElement *ber,
	   struct record_builder *b, enum record_kind kind,
	   struct str *anchor, struct range *range)
{
	struct berval name;
	BerVarray vals = NULL;

	while (ldap_get_attribute_ber(s->ld, entry, ber, &name, &vals) ==
		       LDAP_SUCCESS &&
	       name.bv_val != NULL) {
		if (name.bv_len > 0 && name.bv_len <= MAX_ATTR_NAME &&
		    memchr(name.bv_val, '\0', name.bv_len) == NULL) {
			struct range r = { 0, 0, 0 };

			str_reset(&s->name);
			str_add(&s->name, name.bv_val, name.bv_len);
			/* Only member ranges are followed; other ranged
			 * attributes keep the values that came. */
			if (parse_range(s, &r) && kind == RECORD_GROUP &&
			    is_member_attr(s->name.buf))
				*range = r;
			add_values(s, b, kind, vals, anchor);
		}
		if (vals != NULL)
			ber_memfree(vals);
		vals = NULL;
	}
}

/* Runs one base search for the next member range of dn; updates r. */
static int
fetch_range(struct source *s, struct record_builder *b, const char *dn,
	    struct range *r, struct err *e)
{
	char want[64];
	char *attrs[2] = { want, NULL };
	LDAPMessage *res = NULL, *entry;
	BerElement *ber = NULL;
	struct berval bdn;
	struct str none = STR_INIT;
	struct range next = { 0, 0, 0 };
	long step = range_step(s);
	int rc;

	snprintf(want, sizeof(want), "member;range=%ld-%ld", r->hi + 1,
		 r->hi + step);
	log_debug("'%s': asking for %s", dn, want);
	rc = ldap_search_ext_s(s->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
			       attrs, 0, NULL, NULL, NULL, LDAP_NO_LIMIT, &res);
	if (rc != LDAP_SUCCESS) {
		source_ldap_search_error(s, dn, rc, NULL, e);
		goto out;
	}
	entry = ldap_first_entry(s->ld, res);
	if (entry == NULL ||
	    ldap_get_dn_ber(s->ld, entry, &ber, &bdn) != LDAP_SUCCESS) {
		rc = err_setc(e, ERR_FETCH, "cannot read the members of '%s' "
			      "on '%s': entry vanished", dn, s->url);
		goto out;
	}
	read_attrs(s, entry, ber, b, RECORD_GROUP, &none, &next);
	/* A range that does not advance would loop forever. */
	if (!next.seen || next.lo != r->hi + 1 ||
	    (next.hi >= 0 && next.hi <= r->hi)) {
		rc = err_setc(e, ERR_FETCH, "cannot read the members of '%s' "
			      "on '%s': bad range answer", dn, s->url);
		goto out;
	}
	*r = next;
	rc = 0;
out:
	if (ber != NULL)
		ber_free(ber, 0);
	ldap_msgfree(res);
	str_release(&none);
	return rc == 0 ? 0 : -1;
}

/* Copies one entry into a record (*out; NULL when the entry is skipped,
 * with a warning: no anchor, or a DN that does not parse). */
int
source_ldap_entry(struct source *s, LDAPMessage *entry, enum record_kind kind,
		  struct record_builder *b, struct record **out, struct err *e)
{
	BerElement *ber = NULL;
	struct berval bdn;
	struct str anchor = STR_INIT;
	struct range range = { 0, 0, 0 };
	int rc = -1;

	*out = NULL;
	if (ldap_get_dn_ber(s->ld, entry, &ber, &bdn) != LDAP_SUCCESS) {
		err_setc(e, ERR_FETCH, "cannot read an entry from '%s': %s",
			 s->url, ldap_err2string(source_ldap_code(s->ld)));
		goto out;
	}
	str_reset(&s->dn);
	str_add(&s->dn, bdn.bv_val, bdn.bv_len);
	read_attrs(s, entry, ber, b, kind, &anchor, &range);
	/* read_attrs leaves s->dn alone, so it can name the base. */
	while (range.seen && range.hi >= 0)
		if (fetch_range(s, b, s->dn.buf, &range, e) < 0)
			goto out;
	if (memchr(bdn.bv_val, '\0', bdn.bv_len) != NULL ||
	    dn_key(s, s->dn.buf) < 0) {
		log_warn("skipping '%s': its DN does not parse", s->dn.buf);
	} else if (anchor.len == 0) {
		log_warn("skipping '%s': no %s", s->dn.buf, s->anchor);
	} else {
		*out = record_builder_finish(b, kind, anchor.buf, s->dn.buf,
					     s->key.buf);
		rc = 0;
		goto out;
	}
	record_builder_finish(b, kind, "", "", "");	/* resets b */
	rc = 0;
out:
	if (ber != NULL)
		ber_free(ber, 0);
	str_release(&anchor);
	return rc;
}

/* Copies one entry into a record and adds it to rs.  An entry without
 * an anchor or with a duplicate one is skipped with a warning. */
static int
read_entry(struct source *s, LDAPMessage *entry, enum record_kind kind,
	   struct record_builder *b, struct recordset *rs, struct err *e)
{
	struct record *r;

	if (source_ldap_entry(s, entry, kind, b, &r, e) < 0)
		return -1;
	if (r != NULL && s->sink != NULL && !s->sink(s, r))
		return 0;
	if (r != NULL && recordset_add(rs, r) < 0)
		log_warn("skipping '%s': %s '%s' was already seen", r->id,
			 s->anchor, r->anchor);
	return 0;
}

/* Handles the search result message of one page: its code, and the page
 * cookie (*cookie set, or NULL when this was the last page). */
static int
page_done(struct source *s, const char *base, LDAPMessage *msg,
	  struct berval **cookie, struct err *e)
{
	LDAPControl **ctrls = NULL, *pc;
	char *diag = NULL;
	struct berval c = { 0, NULL };
	ber_int_t count = 0;
	int code = LDAP_OTHER, rc;

	rc = ldap_parse_result(s->ld, msg, &code, NULL, &diag, NULL, &ctrls,
			       0);
	if (rc != LDAP_SUCCESS)
		code = rc;
	if (code != LDAP_SUCCESS) {
		source_ldap_search_error(s, base, code, diag, e);
		goto out;
	}
	pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	if (pc != NULL &&
	    ldap_parse_pageresponse_control(s->ld, pc, &count, &c) !=
		    LDAP_SUCCESS) {
		code = err_setc(e, ERR_FETCH, "cannot search '%s' on '%s': "
				"bad paged results control", base, s->url);
		goto out;
	}
	*cookie = c.bv_len > 0 ? ber_bvdup(&c) : NULL;
	code = 0;
out:
	if (c.bv_val != NULL)
		ber_memfree(c.bv_val);
	ldap_controls_free(ctrls);
	ldap_memfree(diag);
	return code == 0 ? 0 : -1;
}

/* Sends the search for one page.  Returns the message id, or -1. */
static int
page_send(struct source *s, const char *base, const char *filter,
	  char **attrs, struct berval *cookie, struct err *e)
{
	LDAPControl *pc = NULL, *ctrls[3] = { NULL, NULL, NULL };
	int size = s->cfg->page_size > 0 ? s->cfg->page_size : 1000;
	int msgid = -1, rc;

	rc = ldap_create_page_control(s->ld, size, cookie, 0, &pc);
	if (rc != LDAP_SUCCESS)
		return source_ldap_search_error(s, base, rc, NULL, e);
	ctrls[0] = pc;
	ctrls[1] = s->extra_ctrl;
	rc = ldap_search_ext(s->ld, base, LDAP_SCOPE_SUBTREE, filter,
			     range_attrs(s, attrs), 0, ctrls, NULL, NULL,
			     LDAP_NO_LIMIT, &msgid);
	ldap_control_free(pc);
	if (rc != LDAP_SUCCESS)
		return source_ldap_search_error(s, base, rc, NULL, e);
	return msgid;
}

/* Receives one page, entry by entry.  *cookie as for page_done. */
/* One page's entries, kept until the next page has been asked for. */
struct pending {
	LDAPMessage **msgs;
	size_t n, cap;
};

static void
pending_clear(struct pending *p)
{
	while (p->n > 0)
		ldap_msgfree(p->msgs[--p->n]);
}

/* Receives one page: its entries go to pend (unparsed), its cookie (NULL
 * on the last page) to *cookie. */
static int
page_recv(struct source *s, const char *base, int msgid,
	  struct pending *pend, struct berval **cookie, struct err *e)
{
	struct timeval tv = { .tv_sec = s->cfg->timeout_s > 0
						? s->cfg->timeout_s : 30 };
	LDAPMessage *msg = NULL;
	int type, skipped_refs = 0, rc = -1;

	for (;;) {
		type = ldap_result(s->ld, msgid, LDAP_MSG_ONE, &tv, &msg);
		if (type <= 0) {
			if (type == 0) {
				ldap_abandon_ext(s->ld, msgid, NULL, NULL);
				source_ldap_search_error(s, base, LDAP_TIMEOUT, NULL, e);
			} else {
				source_ldap_search_error(s, base, source_ldap_code(s->ld), NULL, e);
			}
			return -1;
		}
		if (type == LDAP_RES_SEARCH_ENTRY) {
			pend->msgs = xgrow(pend->msgs, &pend->cap, pend->n + 1,
					   sizeof(*pend->msgs));
			pend->msgs[pend->n++] = msg;
			msg = NULL;
			continue;
		}
		if (type == LDAP_RES_SEARCH_REFERENCE) {
			if (skipped_refs++ == 0)
				log_warn("'%s' on '%s': ignoring search "
					 "references to other servers", base,
					 s->url);
		} else if (type == LDAP_RES_SEARCH_RESULT) {
			rc = page_done(s, base, msg, cookie, e);
			break;
		}
		ldap_msgfree(msg);
		msg = NULL;
	}
	ldap_msgfree(msg);
	return rc;
}

/* Parses a page's entries into records. */
static int
pending_read(struct source *s, struct pending *pend, enum record_kind kind,
	     struct record_builder *b, struct recordset *rs, struct err *e)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < pend->n && rc == 0; i++)
		rc = read_entry(s, pend->msgs[i], kind, b, rs, e);
	pending_clear(pend);
	return rc;
}

static size_t
kind_count(const struct recordset *rs, enum record_kind kind)
{
	return kind == RECORD_USER ? rs->nusers : rs->ngroups;
}

char **
source_ldap_attrs(struct source *s)
{
	if (s->attrs != NULL)
		return s->attrs;
	/* Only what the mapping reads: a directory's photos and certificates
	 * are never transferred, parsed or kept (mapping_attrs). */
	if (s->job->mapping != NULL)
		return (char **)mapping_attrs(s->job->mapping);
	s->all[0] = "*";
	s->all[1] = (char *)s->anchor;
	return s->all;
}

/* One paged subtree search of base; entries become records of kind. */
int
source_ldap_search(struct source *s, const struct search_cfg *sc,
		   const char *dflt, enum record_kind kind,
		   struct record_builder *b, struct recordset *rs,
		   struct err *e)
{
	const char *base = sc->base != NULL ? sc->base : "";
	const char *filter = sc->filter != NULL && *sc->filter ? sc->filter
							       : dflt;
	const char *what = kind == RECORD_USER ? "users" : "groups";
	char **attrs = source_ldap_attrs(s);
	struct berval *cookie = NULL;
	struct pending pend = { NULL, 0, 0 };
	int msgid, next, rc = -1;

	/*
	 * Ask for the next page before parsing this one: the server works on
	 * it while we parse, instead of waiting for us (the fetch is the
	 * floor of every run).
	 */
	if ((msgid = page_send(s, base, filter, attrs, NULL, e)) < 0)
		goto out;
	while (msgid >= 0) {
		if (page_recv(s, base, msgid, &pend, &cookie, e) < 0)
			goto out;
		next = -1;
		if (cookie != NULL) {
			next = page_send(s, base, filter, attrs, cookie, e);
			ber_bvfree(cookie);
			cookie = NULL;
			if (next < 0)
				goto out;
		}
		if (pending_read(s, &pend, kind, b, rs, e) < 0) {
			if (next >= 0)
				ldap_abandon_ext(s->ld, next, NULL, NULL);
			goto out;
		}
		progress(what, kind_count(rs, kind), 0);
		msgid = next;
	}
	rc = 0;
out:
	pending_clear(&pend);
	free(pend.msgs);
	ber_bvfree(cookie);
	return rc;
}

int
source_ldap_fetch(struct source *s, struct recordset *rs, struct err *e)
{
	struct record_builder b;
	int rc = -1;

	record_builder_init(&b, &rs->arena);
	/*
	 * Groups first (a fortieth of the entries): then each user is linked
	 * and mapped as its page is parsed, while the server prepares the
	 * next page, instead of after the whole fetch.  An entry matching
	 * both filters becomes a group (its anchor is seen again as a user).
	 */
	if (s->cfg->groups.base != NULL &&
	    source_ldap_search(s, &s->cfg->groups, DEFAULT_GROUPS_FILTER,
		       RECORD_GROUP, &b, rs, e) < 0)
		goto out;
	recordset_groups_done(rs);
	record_builder_set_arena(&b, recordset_user_arena(rs));
	if (source_ldap_search(s, &s->cfg->users, DEFAULT_USERS_FILTER, RECORD_USER,
		       &b, rs, e) < 0)
		goto out;
	log_info("fetched %zu users and %zu groups from '%s'", rs->nusers,
		 rs->ngroups, s->url);
	rc = 0;
out:
	progress_done();
	record_builder_release(&b);
	return rc;
}

static void
ldap_info(struct source *s, struct str *out)
{
	static const char *want[] = { "vendorName", "vendorVersion",
				      "supportedLDAPVersion",
				      "namingContexts", NULL };
	LDAPMessage *res = NULL, *entry;
	struct berval **vals;
	int rc;

	str_addf(out, "server: %s\n", s->url);
	rc = ldap_search_ext_s(s->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
			       (char **)want, 0, NULL, NULL, NULL, 1, &res);
	entry = rc == LDAP_SUCCESS ? ldap_first_entry(s->ld, res) : NULL;
	if (entry == NULL) {
		str_addf(out, "rootDSE: unavailable (%s)\n",
			 ldap_err2string(rc == LDAP_SUCCESS ? LDAP_NO_SUCH_OBJECT
							    : rc));
		goto out;
	}
	for (int i = 0; want[i] != NULL; i++) {
		vals = ldap_get_values_len(s->ld, entry, want[i]);
		for (int j = 0; vals != NULL && vals[j] != NULL; j++) {
			str_addf(out, "%s: ", want[i]);
			str_add_utf8_clean(out, vals[j]->bv_val,
					   vals[j]->bv_len);
			str_addc(out, '\n');
		}
		ldap_value_free_len(vals);
	}
out:
	ldap_msgfree(res);
}

const struct source_ops source_ldap_ops = {
	.type = "ldap",
	.open = ldap_open,
	.fetch = source_ldap_fetch,
	.sync = source_ldap_sync,
	.info = ldap_info,
	.close = ldap_close,
};
