/*
 * cmd_admin: the shared setup of the manual admin commands, and `group
 * delete NAME` (DESIGN §1: its teams move to Ungrouped, never deleted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <unistd.h>

#include "cmd_admin.h"

static const char *
actor(void)
{
	const char *v = getenv("SUDO_USER");

	if (v == NULL || *v == '\0')
		v = getenv("USER");
	if (v == NULL || *v == '\0')
		v = getlogin();
	if (v == NULL || *v == '\0') {
		struct passwd *pw = getpwuid(getuid());

		v = pw ? pw->pw_name : NULL;
	}
	return v;
}

int
cmd_admin_open(struct ctx *ctx, struct store **s, struct admin *a)
{
	struct config *cfg = ctx_config(ctx);

	if (cfg == NULL || ctx_open_store(ctx, s) != 0)
		return -1;
	a->actor = actor();
	a->now = (int64_t)time(NULL);
	a->capacity = cfg->seat_capacity;
	return 0;
}

int
cmd_group(struct ctx *ctx, int argc, char **argv)
{
	struct store *s = NULL;
	struct admin a;
	size_t moved;
	int rc;

	if (argc != 3 || strcmp(argv[1], "delete") != 0)
		return err_set(&ctx->err, "usage: harmony-sync group delete NAME");
	if (cmd_admin_open(ctx, &s, &a) != 0)
		return -1;
	rc = store_group_delete(s, &a, argv[2], &moved, &ctx->err);
	store_close(s);
	if (rc != 0)
		return -1;
	if (!ctx->quiet)
		printf("Deleted team group '%s'; %zu team%s moved to "
		       "Ungrouped.\n", argv[2], moved, moved == 1 ? "" : "s");
	return CMD_OK;
}
