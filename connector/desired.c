/*
 * desired: records -> desired members (DESIGN §1, §5).  The order of the
 * source never matters: members are sorted by anchor and every tie is
 * broken by anchor, so the same input gives the same plan byte for byte.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired_int.h"
#include "filter.h"
#include "template.h"
#include "util/sort.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const char *warning_names[WARN__COUNT] = {
	[WARN_MISSING_EMAIL] = "missing_email",
	[WARN_DUPLICATE_EMAIL] = "duplicate_email",
	[WARN_MANAGER_UNRESOLVED] = "manager_unresolved",
	[WARN_MANAGER_SELF] = "manager_self",
	[WARN_MANAGER_CYCLE] = "manager_cycle",
	[WARN_NO_SEAT_AVAILABLE] = "no_seat_available",
	[WARN_FILTERED_OUT] = "filtered_out",
	[WARN_TEAM_ORPHANED] = "team_orphaned",
};

const char *
warning_code_name(enum warning_code c)
{
	return (unsigned)c < WARN__COUNT ? warning_names[c] : "unknown";
}

void
desired_warn(struct desired *d, enum warning_code code, const char *subject,
	     const char *fmt, ...)
{
	struct warning *w;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->warnings = xgrow(d->warnings, &d->capwarnings, d->nwarnings + 1,
			    sizeof(*d->warnings));
	w = &d->warnings[d->nwarnings++];
	w->code = code;
	w->subject = arena_strdup(d->arena, subject ? subject : "");
	w->message = arena_strdup(d->arena, msg);
}

/* Lower-cases ASCII in place. */
static void
desired_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Scratch buffers reused for every record of a run, and the provenance
 * texts seen so far ("mail", "givenName,sn (default)"): a handful of
 * distinct strings, kept once rather than once per member. */
struct scratch {
	struct str val, prov;
	struct hmap provs;
};

static const char *
intern(struct desired *d, struct scratch *s, const char *text)
{
	char *p = hmap_get(&s->provs, text);

	if (p == NULL) {
		p = arena_strdup(d->arena, text);
		hmap_put(&s->provs, p, p);
	}
	return p;
}

/* Renders t for r into the arena (UTF-8 cleaned, trimmed); "" if empty.
 * If pv is not NULL, fills it with what produced the value. */
static const char *
render(struct desired *d, struct scratch *s, const struct template *t,
       const struct record *r, const char *rule, struct prov *pv)
{
	const char *p;
	size_t n;

	str_reset(&s->val);
	str_reset(&s->prov);
	template_render(t, r, &s->val, pv ? &s->prov : NULL);
	p = str_cstr(&s->val);
	n = s->val.len;
	while (n > 0 && isspace((unsigned char)*p))
		p++, n--;
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (pv != NULL) {
		pv->source = s->prov.len ? intern(d, s, str_cstr(&s->prov)) : "";
		pv->rule = rule;
	}
	if (utf8_valid(p, n))
		return arena_strndup(d->arena, p, n);
	{
		struct str c = STR_INIT;
		char *out;

		str_add_utf8_clean(&c, p, n);
		out = arena_strdup(d->arena, str_cstr(&c));
		str_release(&c);
		return out;
	}
}

/* The mapping's rule texts, made once per run for provenance. */
struct rules {
	const char *email, *name, *role_default, *manager;
	const char **role, **fields;
};

static void
rules_init(struct rules *rl, const struct mapping *m, struct arena *a)
{
	size_t i;

	rl->email = arena_printf(a, "email: %s", template_text(m->email));
	rl->name = arena_printf(a, "name: %s", template_text(m->name));
	rl->role_default = arena_printf(a, "role.default: %s",
					m->role_default);
	rl->manager = m->manager ? arena_printf(a, "manager: %s",
						m->manager) : NULL;
	rl->role = arena_alloc(a, (m->nrole_rules + 1) * sizeof(char *));
	for (i = 0; i < m->nrole_rules; i++)
		rl->role[i] = arena_printf(a, "role.rules[%zu]: when %s",
		    i + 1, m->role_rules[i].when_text);
	rl->fields = arena_alloc(a, (m->nfields + 1) * sizeof(char *));
	for (i = 0; i < m->nfields; i++)
		rl->fields[i] = arena_printf(a, "custom_fields.%s: %s",
		    m->fields[i].name, template_text(m->fields[i].tpl));
}

static void
map_role(const struct mapping *m, const struct rules *rl,
	 const struct record *r, struct dmember *dm)
{
	size_t i;

	for (i = 0; i < m->nrole_rules; i++) {
		if (filter_match(m->role_rules[i].when, r)) {
			dm->role = m->role_rules[i].role;
			dm->prov[DF_ROLE].source = "memberOf/attributes";
			dm->prov[DF_ROLE].rule = rl->role[i];
			return;
		}
	}
	dm->role = m->role_default;
	dm->prov[DF_ROLE].source = "";
	dm->prov[DF_ROLE].rule = rl->role_default;
}

static void
map_fields(struct desired *d, struct scratch *s, const struct mapping *m,
	   const struct rules *rl, const struct record *r, struct dmember *dm)
{
	size_t i, n = 0;

	dm->fields = arena_alloc(d->arena, (m->nfields + 1) * sizeof(*dm->fields));
	dm->field_prov = arena_alloc(d->arena,
	    (m->nfields + 1) * sizeof(*dm->field_prov));
	for (i = 0; i < m->nfields; i++) {
		struct prov pv;
		const char *v = render(d, s, m->fields[i].tpl, r, rl->fields[i],
				       &pv);

		if (*v == '\0')
			continue;	/* empty fields are absent, not "" */
		dm->fields[n].key = m->fields[i].name;
		dm->fields[n].val = v;
		dm->field_prov[n] = pv;
		n++;
	}
	dm->nfields = n;
}

static int
seat_priority(const struct mapping *m, const struct record *r)
{
	size_t i;

	for (i = 0; i < m->nseat_priority; i++)
		if (filter_match(m->seat_priority[i], r))
			return (int)i;
	return (int)m->nseat_priority;
}

/* One '@' with text on both sides, and no spaces, control characters or
 * address-list punctuation: anything else cannot be a sign-in email. */
static int
email_usable(const char *email)
{
	const char *at = strchr(email, '@');
	const unsigned char *p;

	if (at == NULL || at == email || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strpbrk(email, " <>,;") != NULL)
		return 0;
	for (p = (const unsigned char *)email; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Maps one user record; NULL if it is skipped (with a warning). */
static struct dmember *
map_user(struct desired *d, struct scratch *s, const struct mapping *m,
	 const struct rules *rl, const struct record *r)
{
	struct dmember *dm;
	const char *email;
	char *key;

	if (m->include != NULL && !filter_match(m->include, r)) {
		hmap_put(&d->excluded, arena_strdup(d->arena, r->anchor), NULL);
		return NULL;
	}
	dm = arena_zalloc(d->arena, sizeof(*dm));
	email = render(d, s, m->email, r, rl->email, &dm->prov[DF_EMAIL]);
	if (*email == '\0') {
		desired_warn(d, WARN_MISSING_EMAIL, r->id,
		    "entry has no email (%s): skipped", rl->email);
		return NULL;
	}
	if (!email_usable(email)) {
		desired_warn(d, WARN_MISSING_EMAIL, r->id,
		    "'%s' is not an email address: skipped", email);
		return NULL;
	}
	key = arena_strdup(d->arena, email);
	desired_lower(key);
	dm->anchor = arena_strdup(d->arena, r->anchor);
	dm->id = arena_strdup(d->arena, r->id);
	dm->email = email;
	dm->email_key = key;
	dm->name = render(d, s, m->name, r, rl->name, &dm->prov[DF_NAME]);
	if (*dm->name == '\0')
		dm->name = email;	/* a member always has a name */
	map_role(m, rl, r, dm);
	map_fields(d, s, m, rl, r, dm);
	dm->eligible = m->seat_eligible == NULL ||
		       filter_match(m->seat_eligible, r);
	dm->priority = seat_priority(m, r);
	dm->rec = r;
	return dm;
}

static const char *
anchor_of(const void *dm)
{
	return ((const struct dmember *)dm)->anchor;
}

/*
 * DESIGN §1: of two entries mapping to one email, the one that already is
 * that member keeps it, else the smallest anchor.  members is sorted by
 * anchor, so the first claimant seen is the smallest.
 */
/* Gives each contested email to the entry the store says holds it, if
 * that entry still claims it. */
static int
give_to_incumbents(struct desired *d, const struct hmap *contested,
		   const struct incumbents *inc, struct err *e)
{
	const char *key, *anchor;
	struct dmember *dm;
	void *val;
	size_t i = 0;

	while (hmap_next(contested, &i, &key, &val)) {
		if (inc->holder(inc->arg, key, &anchor, e) != 0)
			return -1;
		dm = anchor != NULL ? hmap_get(&d->by_anchor, anchor) : NULL;
		if (dm != NULL && strcmp(dm->email_key, key) == 0)
			hmap_put(&d->by_email, key, dm);
	}
	return 0;
}

/*
 * DESIGN §1: of two entries mapping to one email, the one that already is
 * that member keeps it, else the smallest anchor.  members is sorted by
 * anchor, so the first claimant seen is the smallest.
 */
static int
dedupe_emails(struct desired *d, const struct incumbents *inc,
	      struct err *e)
{
	struct hmap contested;
	size_t i, n = 0, ncontested;
	int rc = 0;

	hmap_init(&contested);
	for (i = 0; i < d->nmembers; i++) {
		struct dmember *dm = d->members[i];

		if (!hmap_add(&d->by_email, dm->email_key, dm))
			hmap_put(&contested, dm->email_key, NULL);
	}
	if (inc != NULL && contested.len > 0)
		rc = give_to_incumbents(d, &contested, inc, e);
	ncontested = contested.len;
	hmap_release(&contested);
	if (rc != 0)
		return -1;
	if (ncontested == 0)	/* each email has one claimant: it owns it */
		return 0;
	for (i = 0; i < d->nmembers; i++) {
		struct dmember *dm = d->members[i];
		struct dmember *own = hmap_get(&d->by_email, dm->email_key);

		if (own == dm) {
			d->members[n++] = dm;
			continue;
		}
		desired_warn(d, WARN_DUPLICATE_EMAIL, dm->email,
		    "entry '%s' has the same email as '%s': skipped",
		    dm->id, own->id);
		hmap_put(&d->by_anchor, dm->anchor, NULL);
	}
	d->nmembers = n;
	return 0;
}

/* Mapping state between desired_begin and desired_finish. */
struct desired_wip {
	const struct mapping *m;
	struct scratch s;
	struct rules rl;
	size_t nadded;			/* users of the recordset seen */
	size_t capmembers;
};

void
desired_begin(const struct mapping *m, struct arena *arena, struct desired *d)
{
	struct desired_wip *w = xcalloc(1, sizeof(*w));

	memset(d, 0, sizeof(*d));
	d->arena = arena;
	hmap_init(&d->by_anchor);
	hmap_init(&d->by_email);
	hmap_init(&d->excluded);
	w->m = m;
	hmap_init(&w->s.provs);
	/* never NULL, even with no members: qsort and memcpy want a pointer */
	d->members = xgrow(NULL, &w->capmembers, 1, sizeof(*d->members));
	rules_init(&w->rl, m, arena);
	d->wip = w;
}

void
desired_add_user(struct desired *d, const struct record *r)
{
	struct desired_wip *w = d->wip;
	struct dmember *dm = map_user(d, &w->s, w->m, &w->rl, r);

	w->nadded++;
	if (dm == NULL)
		return;
	d->members = xgrow(d->members, &w->capmembers, d->nmembers + 1,
			   sizeof(*d->members));
	d->members[d->nmembers++] = dm;
	hmap_put(&d->by_anchor, dm->anchor, dm);
}

void
desired_rebind(struct desired *d, const struct record *old,
	       const struct record *slim)
{
	if (d->nmembers > 0 && d->members[d->nmembers - 1]->rec == old)
		d->members[d->nmembers - 1]->rec = slim;
}

static void
wip_free(struct desired_wip *w)
{
	if (w == NULL)
		return;
	str_release(&w->s.val);
	str_release(&w->s.prov);
	hmap_release(&w->s.provs);
	free(w);
}

int
desired_finish(const struct recordset *rs, const struct incumbents *inc,
	       struct desired *d, struct err *e)
{
	const struct mapping *m = d->wip->m;

	while (d->wip->nadded < rs->nusers)
		desired_add_user(d, rs->users[d->wip->nadded]);
	wip_free(d->wip);
	d->wip = NULL;
	d->nsource_users = rs->nusers;
	/* anchors are unique: the recordset dropped duplicates */
	sort_by_string(d->members, d->nmembers, anchor_of, NULL);
	if (dedupe_emails(d, inc, e) != 0)
		return -1;
	for (size_t i = 0; i < d->nmembers; i++)
		d->members[i]->idx = i;
	desired_chain(m, rs, d);
	desired_teams(m, rs, d);
	return 0;
}

int
desired_build(const struct mapping *m, const struct recordset *rs,
	      const struct incumbents *inc, struct arena *arena,
	      struct desired *d, struct err *e)
{
	desired_begin(m, arena, d);
	return desired_finish(rs, inc, d, e);
}

void
desired_release(struct desired *d)
{
	free(d->members);
	free(d->teams);
	free(d->groups);
	free(d->warnings);
	hmap_release(&d->by_anchor);
	hmap_release(&d->by_email);
	hmap_release(&d->excluded);
	wip_free(d->wip);
	memset(d, 0, sizeof(*d));
}
