/*
 * cmd_check: `check` (validate config and mappings) and `test-connection`
 * (connect, TLS, bind, count users and groups, print server info).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "mapping.h"
#include "run.h"
#include "source.h"
#include "util/str.h"
#include "util/xmalloc.h"

int
cmd_check(struct ctx *ctx, int argc, char **argv)
{
	struct config *cfg;
	size_t i;

	(void)argv;
	if (argc > 1)
		return err_set(&ctx->err, "usage: check");
	if ((cfg = ctx_config(ctx)) == NULL)
		return -1;
	printf("%s: ok (%zu job%s, %zu role%s)\n", cfg->path, cfg->njobs,
	       cfg->njobs == 1 ? "" : "s", cfg->nroles,
	       cfg->nroles == 1 ? "" : "s");
	for (i = 0; i < cfg->njobs; i++)
		printf("  job %s: %s source, mapping %s\n", cfg->jobs[i].name,
		       source_ops_for(cfg->jobs[i].source.type)->type,
		       cfg->jobs[i].mapping_path);
	return CMD_OK;
}

static int
test_one(struct ctx *ctx, const struct job_cfg *job)
{
	const struct source_ops *ops = source_ops_for(job->source.type);
	struct source *src = NULL;
	struct recordset rs;
	struct str info = STR_INIT;
	int rc;

	printf("job %s (%s)\n", job->name, ops->type);
	if (ops->open(job, &src, &ctx->err) != 0)
		return -1;
	if (ops->info != NULL)
		ops->info(src, &info);
	if (info.len)
		printf("%s", str_cstr(&info));
	str_release(&info);
	recordset_init(&rs);
	rc = ops->fetch(src, &rs, &ctx->err);
	ops->close(src);
	if (rc == 0)
		printf("  users: %zu\n  groups: %zu\n  result: ok\n",
		       rs.nusers, rs.ngroups);
	recordset_release(&rs);
	return rc;
}

int
cmd_test_connection(struct ctx *ctx, int argc, char **argv)
{
	const struct job_cfg **jobs;
	struct config *cfg;
	int i, n, rc = CMD_OK;

	if (argc > 2)
		return err_set(&ctx->err, "usage: test-connection [JOB]");
	if ((cfg = ctx_config(ctx)) == NULL)
		return -1;
	jobs = xmalloc((cfg->njobs + 1) * sizeof(*jobs));
	n = run_select_jobs(cfg, argv + 1, argc - 1, jobs, &ctx->err);
	for (i = 0; i < n && rc == CMD_OK; i++)
		if (test_one(ctx, jobs[i]) != 0)
			rc = -1;
	free(jobs);
	return n < 0 ? -1 : rc;
}
