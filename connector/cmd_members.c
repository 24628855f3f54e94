/*
 * members [--search Q] [--format table|json|csv]: the users table
 * (DESIGN §3).  Formatting lives in view_members.c.
 */
#include "view.h"

#define USAGE "usage: harmony-sync members [--search Q] " \
	"[--format table|json|csv]"

struct members_args {
	const char *search;
	enum out_format fmt;
};

static int
run(const struct snapshot *snap, void *arg, struct str *out, struct err *e)
{
	const struct members_args *a = arg;

	(void)e;
	view_members(snap, a->search, a->fmt, out);
	return 0;
}

int
cmd_members(struct ctx *ctx, int argc, char **argv)
{
	static const char *const names[] = { "table", "json", "csv", NULL };
	static const enum out_format fmts[] = { FMT_TEXT, FMT_JSON, FMT_CSV };
	struct members_args a = { NULL, FMT_TEXT };

	if (view_args(argc, argv, "--search", &a.search, names, fmts, &a.fmt,
		      USAGE, &ctx->err) < 0)
		return -1;
	return view_cmd_run(ctx, run, &a);
}
