/*
 * ldap_fetch: a driver for tests/integration/ldap_source.sh.  It builds a
 * job by hand (the test exercises source_ldap.c, not the config parser),
 * opens, fetches and closes source_ldap_ops, links groups, and prints
 * facts as "key=value" lines the script compares exactly.
 *
 *   ldap_fetch --url U [--url U]... [--bind-dn DN --password-file F]
 *              [--users-base B] [--users-filter F] [--groups-base B]
 *              [--page-size N] [--timeout S] [--range-step N] [--anchor A]
 *              [--show DN]... [--info]
 *
 * On failure prints "error: MESSAGE" on stderr and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dn.h"
#include "mapping.h"
#include "record.h"
#include "source.h"
#include "util/err.h"
#include "util/str.h"

#define MAX_ARGS 16

struct opts {
	char *urls[MAX_ARGS];
	const char *shows[MAX_ARGS];
	size_t nurls, nshows;
	int info;
	const char *anchor;
};

static int
parse_args(int argc, char **argv, struct job_cfg *job, struct opts *o)
{
	struct ldap_cfg *l = &job->source.ldap;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--info") == 0) {
			o->info = 1;
			continue;
		}
		if (v == NULL)
			return -1;
		i++;
		if (strcmp(a, "--url") == 0 && o->nurls < MAX_ARGS)
			o->urls[o->nurls++] = (char *)v;
		else if (strcmp(a, "--show") == 0 && o->nshows < MAX_ARGS)
			o->shows[o->nshows++] = v;
		else if (strcmp(a, "--bind-dn") == 0)
			l->bind_dn = (char *)v;
		else if (strcmp(a, "--password-file") == 0)
			l->password.file = (char *)v;
		else if (strcmp(a, "--users-base") == 0)
			l->users.base = (char *)v;
		else if (strcmp(a, "--users-filter") == 0)
			l->users.filter = (char *)v;
		else if (strcmp(a, "--groups-base") == 0)
			l->groups.base = (char *)v;
		else if (strcmp(a, "--page-size") == 0)
			l->page_size = atoi(v);
		else if (strcmp(a, "--timeout") == 0)
			l->timeout_s = atoi(v);
		else if (strcmp(a, "--range-step") == 0)
			l->range_step = atoi(v);
		else if (strcmp(a, "--anchor") == 0)
			o->anchor = v;
		else
			return -1;
	}
	l->urls = o->urls;
	l->nurls = o->nurls;
	return 0;
}

static int
resolves(const struct recordset *rs, const char *dn)
{
	struct str k = STR_INIT;
	int found = dn_normalize(dn, &k) == 0 &&
		    recordset_find(rs, k.buf) != NULL;

	str_release(&k);
	return found;
}

static void
print_counts(const struct recordset *rs)
{
	size_t mail = 0, mgr = 0, mgr_ok = 0, refs = 0, refs_ok = 0;

	for (size_t i = 0; i < rs->nusers; i++) {
		const char *m = record_first(rs->users[i], "manager");

		mail += record_first(rs->users[i], "mail") != NULL;
		if (m != NULL) {
			mgr++;
			mgr_ok += resolves(rs, m);
		}
	}
	for (size_t i = 0; i < rs->ngroups; i++) {
		const struct record *g = rs->groups[i];

		refs += g->nmembers;
		for (size_t j = 0; j < g->nmembers; j++)
			refs_ok += g->member_keys[j] != NULL &&
				   recordset_find(rs, g->member_keys[j]);
	}
	printf("users=%zu\nusers_with_mail=%zu\nusers_without_mail=%zu\n",
	       rs->nusers, mail, rs->nusers - mail);
	printf("managers=%zu\nmanagers_resolved=%zu\n", mgr, mgr_ok);
	printf("groups=%zu\nmembers=%zu\nmembers_resolved=%zu\n", rs->ngroups,
	       refs, refs_ok);
}

/* The record named by dn (any spelling): its id, key, anchor length, how
 * many users name it as manager (in any spelling) and its memberOf. */
static void
show(const struct recordset *rs, const char *dn)
{
	struct str k = STR_INIT, mk = STR_INIT;
	const struct record *r;
	const struct attr *mo;
	size_t reports = 0;

	if (dn_normalize(dn, &k) < 0 ||
	    (r = recordset_find(rs, k.buf)) == NULL) {
		printf("show: not found\n");
		goto out;
	}
	for (size_t i = 0; i < rs->nusers; i++) {
		const char *m = record_first(rs->users[i], "manager");

		str_reset(&mk);
		if (m != NULL && dn_normalize(m, &mk) == 0 &&
		    strcmp(mk.buf, r->key) == 0)
			reports++;
	}
	printf("show.id=%s\nshow.key=%s\nshow.anchor=%s\nshow.reports=%zu\n"
	       "show.cn=%s\n", r->id, r->key, r->anchor, reports,
	       record_first(r, "cn") ? record_first(r, "cn") : "");
	mo = record_attr(r, "memberOf");
	for (size_t i = 0; mo != NULL && i < mo->n; i++)
		printf("show.memberOf=%s\n", mo->vals[i]);
out:
	str_release(&k);
	str_release(&mk);
}

int
main(int argc, char **argv)
{
	struct job_cfg job = { .name = "ldap-test" };
	struct mapping map = { .anchor = NULL };
	struct opts o = { .nurls = 0 };
	struct recordset rs;
	struct source *s = NULL;
	struct err e = { ERR_NONE, "" };
	struct str info = STR_INIT;
	int rc = 1;

	if (parse_args(argc, argv, &job, &o) < 0) {
		fprintf(stderr, "usage: see the comment in ldap_fetch.c\n");
		return 1;
	}
	if (o.anchor != NULL) {
		map.anchor = (char *)o.anchor;
		job.mapping = &map;
	}
	recordset_init(&rs);
	if (source_ldap_ops.open(&job, &s, &e) < 0)
		goto out;
	if (o.info) {
		source_ldap_ops.info(s, &info);
		fputs(str_cstr(&info), stdout);
	}
	if (source_ldap_ops.fetch(s, &rs, &e) < 0)
		goto out;
	recordset_link_groups(&rs);
	print_counts(&rs);
	for (size_t i = 0; i < o.nshows; i++)
		show(&rs, o.shows[i]);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "error: %s\n", e.msg);
	if (s != NULL)
		source_ldap_ops.close(s);
	recordset_release(&rs);
	str_release(&info);
	return rc;
}
