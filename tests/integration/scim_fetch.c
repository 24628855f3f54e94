/*
 * scim_fetch: a driver for tests/integration/scim_*.sh and
 * scripts/bench_scim.sh.  It builds a job by hand (the tests exercise
 * source_scim.c, not the config parser), opens, fetches and closes
 * source_scim_ops, links groups, and prints facts as "key=value" lines the
 * scripts compare exactly:
 *
 *   scim_fetch --url BASE [--token-file F | --token-env V |
 *              --token-url U --client-id ID --client-secret-file F
 *              [--scope S]] [--page-size N] [--concurrency N]
 *              [--max-retries N] [--timeout S] [--ca-file F] [--insecure]
 *              [--users-filter F] [--no-groups] [--keep-inactive]
 *              [--show ID]... [--ids] [--info] [-v]
 *
 *   users=N groups=N
 *   --show ID: "ID NAME=VALUE" per attribute value, "ID member=REF" per
 *              member, in record order
 *   --ids:     "user ID" / "group ID" lines in fetch order
 *
 * On failure prints "error: MESSAGE" on stderr and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "record.h"
#include "source.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

#define MAX_SHOW 16

static void
show(const struct recordset *rs, const char *id)
{
	const struct record *r = recordset_find(rs, id);
	size_t i, j;

	if (r == NULL) {
		printf("%s absent\n", id);
		return;
	}
	for (i = 0; i < r->nattrs; i++)
		for (j = 0; j < r->attrs[i].n; j++)
			printf("%s %s=%s\n", id, r->attrs[i].name,
			       r->attrs[i].vals[j]);
	for (i = 0; i < r->nmembers; i++)
		printf("%s member=%s\n", id, r->members[i]);
}

static int
set_opt(struct scim_cfg *c, const char *a, const char *v)
{
	if (strcmp(a, "--url") == 0) c->base_url = (char *)v;
	else if (strcmp(a, "--token-file") == 0) c->token.file = (char *)v;
	else if (strcmp(a, "--token-env") == 0) c->token.env = (char *)v;
	else if (strcmp(a, "--token-url") == 0) c->oauth2.token_url = (char *)v;
	else if (strcmp(a, "--client-id") == 0) c->oauth2.client_id = (char *)v;
	else if (strcmp(a, "--client-secret-file") == 0) c->oauth2.client_secret.file = (char *)v;
	else if (strcmp(a, "--scope") == 0) c->oauth2.scope = (char *)v;
	else if (strcmp(a, "--page-size") == 0) c->page_size = atoi(v);
	else if (strcmp(a, "--concurrency") == 0) c->concurrency = atoi(v);
	else if (strcmp(a, "--max-retries") == 0) c->max_retries = atoi(v);
	else if (strcmp(a, "--timeout") == 0) c->timeout_s = atoi(v);
	else if (strcmp(a, "--ca-file") == 0) c->ca_file = (char *)v;
	else if (strcmp(a, "--users-filter") == 0) c->users_filter = (char *)v;
	else if (strcmp(a, "--users-path") == 0) c->users_path = (char *)v;
	else if (strcmp(a, "--groups-path") == 0) c->groups_path = (char *)v;
	else return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *shows[MAX_SHOW];
	size_t nshows = 0, i;
	int ids = 0, info = 0, rc = 1;
	struct job_cfg job = { 0 };
	struct scim_cfg *c = &job.source.scim;
	struct source *src = NULL;
	struct recordset rs;
	struct err e = { 0 };
	struct str out = STR_INIT;

	log_setup(LOG_WARN, LOG_TEXT);
	job.name = "scim";
	job.source.type = SOURCE_SCIM;
	c->page_size = 100;
	c->concurrency = 4;
	c->connect_timeout_s = 10;
	c->timeout_s = 60;
	c->max_retries = 5;
	c->fetch_groups = 1;
	c->inactive_as_missing = 1;
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--ids") == 0) { ids = 1; continue; }
		if (strcmp(a, "--info") == 0) { info = 1; continue; }
		if (strcmp(a, "--insecure") == 0) { c->insecure_skip_verify = 1; continue; }
		if (strcmp(a, "--no-groups") == 0) { c->fetch_groups = 0; continue; }
		if (strcmp(a, "--keep-inactive") == 0) { c->inactive_as_missing = 0; continue; }
		if (strcmp(a, "-v") == 0) { log_setup(LOG_DEBUG, LOG_TEXT); continue; }
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(a, "--show") == 0 && nshows < MAX_SHOW)
			shows[nshows++] = v;
		else if (set_opt(c, a, v) < 0)
			goto usage;
	}
	recordset_init(&rs);
	if (source_scim_ops.open(&job, &src, &e) < 0 ||
	    source_scim_ops.fetch(src, &rs, &e) < 0)
		goto fail;
	if (info)
		source_scim_ops.info(src, &out);
	recordset_link_groups(&rs);
	printf("users=%zu groups=%zu\n", rs.nusers, rs.ngroups);
	for (i = 0; i < nshows; i++)
		show(&rs, shows[i]);
	for (i = 0; ids && i < rs.nusers; i++)
		printf("user %s\n", rs.users[i]->id);
	for (i = 0; ids && i < rs.ngroups; i++)
		printf("group %s\n", rs.groups[i]->id);
	fputs(str_cstr(&out), stdout);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "error: %s\n", e.msg);
out:
	source_scim_ops.close(src);
	recordset_release(&rs);
	str_release(&out);
	return rc;
usage:
	fprintf(stderr, "usage: see the comment at the top of scim_fetch.c\n");
	return 2;
}
