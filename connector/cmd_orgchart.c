/*
 * orgchart [--root EMAIL] [--format tree|dot|json]: the reporting
 * hierarchy (DESIGN §3).  Formatting lives in view_orgchart.c.
 */
#include "view.h"

#define USAGE "usage: harmony-sync orgchart [--root EMAIL] " \
	"[--format tree|dot|json]"

struct orgchart_args {
	const char *root;
	enum out_format fmt;
};

static int
run(const struct snapshot *snap, void *arg, struct str *out, struct err *e)
{
	const struct orgchart_args *a = arg;

	return view_orgchart(snap, a->root, a->fmt, out, e);
}

int
cmd_orgchart(struct ctx *ctx, int argc, char **argv)
{
	static const char *const names[] = { "tree", "dot", "json", NULL };
	static const enum out_format fmts[] = { FMT_TEXT, FMT_DOT, FMT_JSON };
	struct orgchart_args a = { NULL, FMT_TEXT };

	if (view_args(argc, argv, "--root", &a.root, names, fmts, &a.fmt,
		      USAGE, &ctx->err) < 0)
		return -1;
	return view_cmd_run(ctx, run, &a);
}
