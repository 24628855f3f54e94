/*
 * cmd: the command table's side of main.c.  Each command lives in
 * cmd_<name>.c and has the signature
 *
 *     int cmd_<name>(struct ctx *ctx, int argc, char **argv);
 *
 * argv[0] is the command name; argv[1..] its own arguments (global options
 * already removed).  A command returns CMD_OK (0), CMD_CHANGES (2: plan
 * found changes), or -1 with ctx->err set; main.c maps ctx->err.code to
 * exit 1 or 3 and prints the one-line reason.  Commands write their output
 * to stdout only; diagnostics go through log.h.
 */
#ifndef HS_CMD_H
#define HS_CMD_H

#include "config.h"
#include "util/err.h"

enum { CMD_OK = 0, CMD_CHANGES = 2 };

enum out_format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_DOT };

struct ctx {
	const char *config_path;	/* -c, $HARMONY_SYNC_CONFIG, default */
	const char *store_path;		/* --store, or NULL */
	int verbose, quiet;
	struct config *cfg;		/* loaded lazily by ctx_config() */
	struct err err;
};

/* Loads the config on first use.  Returns it, or NULL with ctx->err set. */
struct config *ctx_config(struct ctx *ctx);
/* The store path: --store, else the config's store.  NULL with ctx->err
 * set if neither. */
const char *ctx_store_path(struct ctx *ctx);

/* Opens the store at ctx_store_path().  Returns 0 or -1 with ctx->err. */
struct store;
int ctx_open_store(struct ctx *ctx, struct store **out);
/* The same for read-only views: a store that does not exist is an error
 * (a mistyped --store must not print an empty table, nor create a file). */
int ctx_open_store_existing(struct ctx *ctx, struct store **out);

int cmd_check(struct ctx *ctx, int argc, char **argv);
int cmd_test_connection(struct ctx *ctx, int argc, char **argv);
int cmd_preview(struct ctx *ctx, int argc, char **argv);
int cmd_plan(struct ctx *ctx, int argc, char **argv);
int cmd_apply(struct ctx *ctx, int argc, char **argv);
int cmd_members(struct ctx *ctx, int argc, char **argv);
int cmd_member(struct ctx *ctx, int argc, char **argv);
int cmd_orgchart(struct ctx *ctx, int argc, char **argv);
int cmd_teams(struct ctx *ctx, int argc, char **argv);
int cmd_groups(struct ctx *ctx, int argc, char **argv);
int cmd_seats(struct ctx *ctx, int argc, char **argv);
int cmd_status(struct ctx *ctx, int argc, char **argv);
int cmd_history(struct ctx *ctx, int argc, char **argv);
int cmd_group(struct ctx *ctx, int argc, char **argv);
int cmd_daemon(struct ctx *ctx, int argc, char **argv);

#endif
