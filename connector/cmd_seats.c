/*
 * cmd_seats: `seats` (the summary) and `seats capacity N | allocate EMAIL
 * | deallocate EMAIL` (DESIGN §1, §3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_admin.h"
#include "view.h"
#include "view_admin.h"

#define USAGE "usage: harmony-sync seats [capacity N | allocate EMAIL | " \
	"deallocate EMAIL]"

static int
run_seats(const struct snapshot *snap, void *arg, struct str *out,
	  struct err *e)
{
	(void)e;
	view_seats(snap, arg, out);
	return 0;
}

static int
parse_capacity(struct ctx *ctx, const char *v, int *n)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || l < 0 || l > 10000000)
		return err_set(&ctx->err, "seat capacity must be a number from "
			       "0 to 10000000, not '%.40s'", v);
	*n = (int)l;
	return 0;
}

static int
capacity(struct ctx *ctx, struct store *s, const struct admin *a,
	 const char *v)
{
	int n = 0, used = 0;

	if (parse_capacity(ctx, v, &n) < 0 ||
	    store_capacity_set(s, a, n, &used, &ctx->err) < 0)
		return -1;
	if (ctx->quiet)
		return CMD_OK;
	printf("Seat capacity set to %d (%d allocated).\n", n, used);
	if (used > n)
		printf("Over capacity by %d: nobody loses a seat now; the next "
		       "plan shows who would, and why.\n", used - n);
	return CMD_OK;
}

int
cmd_seats(struct ctx *ctx, int argc, char **argv)
{
	struct store *s = NULL;
	struct admin a;
	int rc;

	if (argc == 1)
		return ctx_config(ctx) == NULL ? -1 :
			view_cmd_run(ctx, run_seats, ctx->cfg);
	if (argc != 3 || (strcmp(argv[1], "capacity") != 0 &&
			  strcmp(argv[1], "allocate") != 0 &&
			  strcmp(argv[1], "deallocate") != 0))
		return err_set(&ctx->err, USAGE);
	if (cmd_admin_open(ctx, &s, &a) != 0)
		return -1;
	if (strcmp(argv[1], "capacity") == 0) {
		rc = capacity(ctx, s, &a, argv[2]);
	} else {
		int alloc = strcmp(argv[1], "allocate") == 0;

		rc = store_seat_set(s, &a, argv[2], alloc, &ctx->err);
		if (rc == 0 && !ctx->quiet)
			printf("Seat %s '%s' (pinned: syncs keep this until "
			       "'member unpin %s seat').\n", alloc ?
			       "allocated to" : "deallocated from", argv[2],
			       argv[2]);
	}
	store_close(s);
	return rc < 0 ? -1 : CMD_OK;
}
