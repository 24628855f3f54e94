/*
 * daemon: runs each scheduled job when due (plan + apply, exactly as
 * `apply JOB`), until SIGTERM or SIGINT (DESIGN §3).
 *
 * A failed or refused run is logged and tried again at the job's next
 * schedule slot; it never ends the daemon.  Jobs run one after another on
 * one thread.  Sleeping happens in short slices so that a stop request is
 * seen within a fraction of a second when no job is running; a running job
 * finishes first (its apply is one transaction either way).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "schedule.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* The one piece of global state STYLE allows here: set by the handler. */
static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static void
run_job(struct ctx *ctx, const struct job_cfg *job)
{
	char *argv[3] = { "apply", job->name, NULL };

	err_clear(&ctx->err);
	optind = 0;	/* glibc: cmd_apply parses its options with getopt */
	if (cmd_apply(ctx, 2, argv) < 0)
		log_error("job '%s': run failed, retrying at the next slot: %s",
			  job->name, ctx->err.msg);
	else
		log_info("job '%s': run applied", job->name);
	err_clear(&ctx->err);
}

int
cmd_daemon(struct ctx *ctx, int argc, char **argv)
{
	struct config *cfg;
	struct schedule *sch = NULL;
	int64_t *next = NULL, now;
	size_t i, n = 0;
	int rc = -1;
	const struct timespec slice = { 0, 100 * 1000 * 1000 };

	(void)argv;
	if (argc > 1)
		return err_set(&ctx->err, "usage: harmony-sync daemon");
	if ((cfg = ctx_config(ctx)) == NULL)
		return -1;
	sch = xcalloc(cfg->njobs + 1, sizeof(*sch));
	next = xcalloc(cfg->njobs + 1, sizeof(*next));
	now = (int64_t)time(NULL);
	for (i = 0; i < cfg->njobs; i++) {
		if (cfg->jobs[i].schedule == NULL)
			continue;
		/* config_load validated it; a failure here is a bug. */
		if (schedule_parse(cfg->jobs[i].schedule, &sch[i],
				   &ctx->err) < 0)
			goto out;
		next[i] = schedule_next(&sch[i], now);
		n++;
	}
	if (n == 0) {
		err_set(&ctx->err, "no job in '%s' has a schedule", cfg->path);
		goto out;
	}
	install_handlers();
	log_info("daemon: %zu scheduled job%s", n, n == 1 ? "" : "s");
	while (!stop_requested) {
		now = (int64_t)time(NULL);
		for (i = 0; i < cfg->njobs && !stop_requested; i++) {
			if (cfg->jobs[i].schedule == NULL || next[i] < 0 ||
			    now < next[i])
				continue;
			run_job(ctx, &cfg->jobs[i]);
			/* From the end of the run: a slot missed while it
			 * ran is skipped, not run twice in a row. */
			next[i] = schedule_next(&sch[i], (int64_t)time(NULL));
		}
		nanosleep(&slice, NULL);
	}
	log_info("daemon: stopped");
	rc = CMD_OK;
out:
	free(sch);
	free(next);
	return rc;
}
