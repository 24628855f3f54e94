/*
 * main: global options, the command table and exit codes (DESIGN §3).
 *
 * Exit codes: 0 success (plan: no changes), 2 plan found changes, 3
 * refused by a safety limit or a stale plan, 1 any other error with a
 * one-line reason on stderr.  Only this file maps errors to exit codes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "store.h"
#include "util/log.h"
#include "util/str.h"

struct command {
	const char *name;
	int (*fn)(struct ctx *, int, char **);
	const char *usage;
};

static const struct command commands[] = {
	{ "check", cmd_check, "check" },
	{ "test-connection", cmd_test_connection, "test-connection [JOB]" },
	{ "preview", cmd_preview, "preview [JOB] [--limit N] [--entry DN-or-ID]" },
	{ "plan", cmd_plan, "plan [JOB...] [--out FILE] [--format text|json] [--full]" },
	{ "apply", cmd_apply, "apply [JOB...] [--plan FILE] [--force] [--full]" },
	{ "members", cmd_members, "members [--search Q] [--format table|json|csv]" },
	{ "member", cmd_member, "member show EMAIL | add EMAIL --name N "
	  "[--role R] [--team T]... | set EMAIL FIELD=VALUE | unpin EMAIL "
	  "FIELD | delete EMAIL --yes" },
	{ "orgchart", cmd_orgchart, "orgchart [--root EMAIL] [--format tree|dot|json]" },
	{ "teams", cmd_teams, "teams" },
	{ "groups", cmd_groups, "groups" },
	{ "group", cmd_group, "group delete NAME" },
	{ "seats", cmd_seats, "seats [capacity N | allocate EMAIL | deallocate EMAIL]" },
	{ "status", cmd_status, "status" },
	{ "history", cmd_history, "history [RUN-ID]" },
	{ "daemon", cmd_daemon, "daemon" },
};

static void
usage(FILE *f)
{
	size_t i;

	fputs("usage: harmony-sync [-c FILE] [--store FILE] [-v|-q] "
	      "[--log-format text|json] COMMAND [ARGS]\n\ncommands:\n", f);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
}

struct config *
ctx_config(struct ctx *ctx)
{
	if (ctx->cfg == NULL &&
	    config_load(ctx->config_path, &ctx->cfg, &ctx->err) != 0)
		return NULL;
	return ctx->cfg;
}

const char *
ctx_store_path(struct ctx *ctx)
{
	struct config *cfg;

	if (ctx->store_path != NULL)
		return ctx->store_path;
	if ((cfg = ctx_config(ctx)) == NULL)
		return NULL;
	if (cfg->store == NULL) {
		err_set(&ctx->err, "no store: set 'store' in '%s' or pass "
			"--store FILE", ctx->config_path);
		return NULL;
	}
	return cfg->store;
}

int
ctx_open_store(struct ctx *ctx, struct store **out)
{
	const char *path = ctx_store_path(ctx);

	if (path == NULL)
		return -1;
	return store_open(path, out, &ctx->err);
}

int
ctx_open_store_existing(struct ctx *ctx, struct store **out)
{
	const char *path = ctx_store_path(ctx);

	if (path == NULL)
		return -1;
	if (access(path, F_OK) != 0)
		return err_set(&ctx->err, "no store at '%s': nothing was applied "
			       "yet, or 'store' / --store names another file",
			       path);
	return store_open(path, out, &ctx->err);
}

static int
exit_code(const struct ctx *ctx, int rc)
{
	if (rc >= 0)
		return rc;
	/* Config errors keep the compiler's FILE:LINE:COL: shape, so that
	 * editors and CI annotations can jump to them; with --log-format json
	 * the reason is one JSON line like every other diagnostic. */
	if (log_is_json()) {
		log_error("%s", ctx->err.msg[0] ? ctx->err.msg : "failed");
	} else {
		struct str line = STR_INIT;

		str_add_line(&line, ctx->err.msg[0] ? ctx->err.msg : "failed");
		fprintf(stderr, "%s%s\n", ctx->err.code == ERR_CONFIG ? "" :
			"harmony-sync: ", str_cstr(&line));
		str_release(&line);
	}
	switch (ctx->err.code) {
	case ERR_SAFETY:
	case ERR_STALE:
		return 3;
	default:
		return 1;
	}
}

static int
global_options(struct ctx *ctx, int argc, char **argv, int *logjson)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "log-format", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* "+": stop at the command; its own options are its business. */
	while ((c = getopt_long(argc, argv, "+c:vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ctx->config_path = optarg; break;
		case 's': ctx->store_path = optarg; break;
		case 'v': ctx->verbose++; break;
		case 'q': ctx->quiet = 1; break;
		case 'l':
			if (strcmp(optarg, "json") == 0)
				*logjson = 1;
			else if (strcmp(optarg, "text") != 0)
				return err_set(&ctx->err, "--log-format must be "
					       "text or json, not '%s'", optarg);
			break;
		case 'h': usage(stdout); exit(0);
		default: return err_set(&ctx->err, "bad global option (see "
					"harmony-sync --help)");
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctx ctx;
	int logjson = 0, rc, cmd;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.config_path = getenv("HARMONY_SYNC_CONFIG");
	if (ctx.config_path == NULL || *ctx.config_path == '\0')
		ctx.config_path = "./harmony-sync.yaml";
	if (global_options(&ctx, argc, argv, &logjson) != 0)
		return exit_code(&ctx, -1);
	log_setup(ctx.quiet ? LOG_ERROR : ctx.verbose > 1 ? LOG_DEBUG :
		  ctx.verbose ? LOG_INFO : LOG_WARN,
		  logjson ? LOG_JSON : LOG_TEXT);
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	cmd = optind;
	rc = -1;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[cmd]) != 0)
			continue;
		optind = 0;	/* glibc: reinitialise getopt for the command */
		rc = commands[i].fn(&ctx, argc - cmd, argv + cmd);
		break;
	}
	if (i == sizeof(commands) / sizeof(commands[0]))
		err_set(&ctx.err, "unknown command '%s' (see harmony-sync "
			"--help)", argv[cmd]);
	config_free(ctx.cfg);
	return exit_code(&ctx, rc);
}
