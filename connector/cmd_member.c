/*
 * cmd_member: `member show|add|set|unpin|delete` (DESIGN §3).  The rules
 * live in store_admin.c; this file parses arguments, checks roles against
 * the config and says what happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_admin.h"
#include "view.h"
#include "view_admin.h"
#include "util/xmalloc.h"

#define USAGE "usage: harmony-sync member show EMAIL | add EMAIL --name N " \
	"[--role R] [--team T]... | set EMAIL FIELD=VALUE | unpin EMAIL " \
	"FIELD | delete EMAIL --yes"

struct show_arg {
	const struct config *cfg;
	const char *email;
};

static int
run_show(const struct snapshot *snap, void *arg, struct str *out,
	 struct err *e)
{
	const struct show_arg *sa = arg;

	return view_member_show(snap, sa->cfg, sa->email, out, e);
}

static int
show(struct ctx *ctx, int argc, char **argv)
{
	struct show_arg sa;

	if (argc != 3)
		return err_set(&ctx->err, USAGE);
	if ((sa.cfg = ctx_config(ctx)) == NULL)
		return -1;
	sa.email = argv[2];
	return view_cmd_run(ctx, run_show, &sa);
}

static int
check_role(struct ctx *ctx, const char *role)
{
	if (config_role(ctx->cfg, role) == NULL)
		return err_set(&ctx->err, "no role '%.100s' in '%s'", role,
			       ctx->cfg->path);
	return 0;
}

static int
add(struct ctx *ctx, struct store *s, const struct admin *a, int argc,
    char **argv)
{
	const char *name = NULL, *role = "Member", *v, **teams;
	size_t nteams = 0;
	int i, r, seated, rc = -1;

	teams = xcalloc((size_t)argc, sizeof(*teams));
	for (i = 3; i < argc; i++) {
		if ((r = view_opt(argc, argv, &i, "--name", &v)) == 1)
			name = v;
		else if (r == 0 && (r = view_opt(argc, argv, &i, "--role",
						 &v)) == 1)
			role = v;
		else if (r == 0 && (r = view_opt(argc, argv, &i, "--team",
						 &v)) == 1)
			teams[nteams++] = v;
		if (r != 1) {
			err_set(&ctx->err, USAGE);
			goto out;
		}
	}
	if (name == NULL) {
		err_set(&ctx->err, "member add needs --name");
		goto out;
	}
	if (check_role(ctx, role) < 0 ||
	    store_member_add(s, a, argv[2], name, role, teams, nteams, &seated,
			     &ctx->err) < 0)
		goto out;
	if (!ctx->quiet)
		printf("Added manual member '%s' (%s).\n", argv[2],
		       seated ? "seat allocated" : "no seat available");
	rc = CMD_OK;
out:
	free(teams);
	return rc;
}

static int
set(struct ctx *ctx, struct store *s, const struct admin *a, int argc,
    char **argv)
{
	char *field, *eq;
	int rc;

	if (argc != 4 || (eq = strchr(argv[3], '=')) == NULL)
		return err_set(&ctx->err, USAGE);
	field = xstrndup(argv[3], (size_t)(eq - argv[3]));
	if (strcmp(field, "role") == 0 && check_role(ctx, eq + 1) < 0)
		rc = -1;
	else
		rc = store_member_set(s, a, argv[2], field, eq + 1, &ctx->err);
	if (rc == 0 && !ctx->quiet)
		printf("Set %s of '%s' (pinned: syncs leave it alone until "
		       "'member unpin %s %s').\n", field, argv[2], argv[2],
		       field);
	free(field);
	return rc < 0 ? -1 : CMD_OK;
}

static int
modify(struct ctx *ctx, int argc, char **argv)
{
	const char *sub = argv[1];
	struct store *s = NULL;
	struct admin a;
	int rc = -1;

	if (strcmp(sub, "delete") == 0 &&
	    (argc != 4 || strcmp(argv[3], "--yes") != 0))
		return err_set(&ctx->err, "member delete cannot be undone: "
			       "run 'member delete %.200s --yes'", argv[2]);
	if (strcmp(sub, "unpin") == 0 && argc != 4)
		return err_set(&ctx->err, USAGE);
	if (cmd_admin_open(ctx, &s, &a) != 0)
		return -1;
	if (strcmp(sub, "add") == 0)
		rc = add(ctx, s, &a, argc, argv);
	else if (strcmp(sub, "set") == 0)
		rc = set(ctx, s, &a, argc, argv);
	else if (strcmp(sub, "unpin") == 0) {
		rc = store_member_unpin(s, &a, argv[2], argv[3], &ctx->err);
		if (rc == 0 && !ctx->quiet)
			printf("Unpinned %s of '%s': the next sync sets it "
			       "from the source.\n", argv[3], argv[2]);
	} else {
		rc = store_member_delete(s, &a, argv[2], &ctx->err);
		if (rc == 0 && !ctx->quiet)
			printf("Deleted member '%s' (irreversible; workspace "
			       "data kept).\n", argv[2]);
	}
	store_close(s);
	return rc < 0 ? -1 : CMD_OK;
}

int
cmd_member(struct ctx *ctx, int argc, char **argv)
{
	static const char *const subs[] = { "add", "set", "unpin", "delete",
		NULL };
	size_t i;

	if (argc < 3)
		return err_set(&ctx->err, USAGE);
	if (strcmp(argv[1], "show") == 0)
		return show(ctx, argc, argv);
	for (i = 0; subs[i] != NULL; i++)
		if (strcmp(argv[1], subs[i]) == 0)
			return modify(ctx, argc, argv);
	return err_set(&ctx->err, USAGE);
}
