/*
 * cmd_admin: manual admin commands and run history (DESIGN §3): member,
 * seats, status, history.
 */
#include "cmd.h"

int
cmd_member(struct ctx *ctx, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&ctx->err, "'member' is not implemented yet");
}

int
cmd_seats(struct ctx *ctx, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&ctx->err, "'seats' is not implemented yet");
}

int
cmd_status(struct ctx *ctx, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&ctx->err, "'status' is not implemented yet");
}

int
cmd_history(struct ctx *ctx, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&ctx->err, "'history' is not implemented yet");
}
