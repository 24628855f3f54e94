/*
 * teams, groups: the team table and the team groups with their teams
 * (DESIGN §3).  Formatting lives in view_teams.c.
 */
#include "view.h"

static int
run_teams(const struct snapshot *snap, void *arg, struct str *out,
	  struct err *e)
{
	(void)arg;
	(void)e;
	view_teams(snap, out);
	return 0;
}

static int
run_groups(const struct snapshot *snap, void *arg, struct str *out,
	   struct err *e)
{
	(void)arg;
	(void)e;
	view_groups(snap, out);
	return 0;
}

int
cmd_teams(struct ctx *ctx, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return err_set(&ctx->err, "usage: harmony-sync teams");
	return view_cmd_run(ctx, run_teams, NULL);
}

int
cmd_groups(struct ctx *ctx, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return err_set(&ctx->err, "usage: harmony-sync groups");
	return view_cmd_run(ctx, run_groups, NULL);
}
