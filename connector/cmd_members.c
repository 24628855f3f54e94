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
	const char *val;
	int i, r;

	for (i = 1; i < argc; i++) {
		if ((r = view_opt(argc, argv, &i, "--search", &val)) == 1) {
			a.search = val;
			continue;
		}
		if (r == 0 &&
		    (r = view_opt(argc, argv, &i, "--format", &val)) == 1) {
			if (view_format(val, names, fmts, &a.fmt,
					&ctx->err) < 0)
				return -1;
			continue;
		}
		return err_set(&ctx->err, "%s", USAGE);
	}
	return view_cmd_run(ctx, run, &a);
}
