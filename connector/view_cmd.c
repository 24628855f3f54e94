/*
 * view_cmd: the store side of the view commands, apart from view.c so
 * that the formatting code links into unit tests without main.c (which
 * defines ctx_open_store()).
 */
#include <stdio.h>

#include "view.h"

int
view_cmd_run(struct ctx *ctx,
	     int (*fn)(const struct snapshot *snap, void *arg, struct str *out,
		       struct err *e),
	     void *arg)
{
	struct store *st = NULL;
	struct snapshot snap;
	struct str out = STR_INIT;
	int rc = -1, have_snap = 0;

	if (ctx_open_store_existing(ctx, &st) < 0)
		goto out;
	if (store_snapshot(st, NULL, &snap, &ctx->err) < 0)
		goto out;
	have_snap = 1;
	if (fn(&snap, arg, &out, &ctx->err) < 0)
		goto out;
	if (fwrite(str_cstr(&out), 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0) {
		err_set(&ctx->err, "cannot write to standard output");
		goto out;
	}
	rc = CMD_OK;
out:
	if (have_snap)
		snapshot_release(&snap);
	if (st != NULL)
		store_close(st);
	str_release(&out);
	return rc;
}
