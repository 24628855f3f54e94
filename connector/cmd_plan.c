/*
 * cmd_plan: `plan` (dry run) and `apply` (plan + apply, or a saved plan).
 *
 * A run of several jobs plans each in turn; `apply` applies each job's
 * plan in its own transaction, and stops at the first job that fails or
 * is refused, so a later job never runs on top of an earlier failure.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "apply.h"
#include "cmd.h"
#include "run.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define PLAN_FILE_MAX (2LL << 30)

struct plan_opts {
	const char *out;
	const char *plan_file;
	int json, force;
	unsigned flags;		/* RUN_FULL */
	char **jobs;
	int njobs;
};

static int
parse_opts(struct ctx *ctx, int argc, char **argv, int apply,
	   struct plan_opts *o)
{
	static const struct option plan_long[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "full", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option apply_long[] = {
		{ "plan", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'F' },
		{ "full", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "", apply ? apply_long : plan_long,
				NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'p': o->plan_file = optarg; break;
		case 'F': o->force = 1; break;
		case 'A': o->flags |= RUN_FULL; break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				o->json = 1;
			else if (strcmp(optarg, "text") != 0)
				return err_set(&ctx->err, "--format must be text "
					       "or json, not '%s'", optarg);
			break;
		default:
			return err_set(&ctx->err, "usage: %s", apply ?
			    "apply [JOB...] [--plan FILE] [--force] [--full]" :
			    "plan [JOB...] [--out FILE] [--format text|json] "
			    "[--full]");
		}
	}
	o->jobs = argv + optind;
	o->njobs = argc - optind;
	return 0;
}

static void
print_plan(const struct plan *p, int json)
{
	struct str s = STR_INIT;

	if (json)
		plan_json_write_to(p, &s, stdout);
	else
		plan_text_write_to(p, &s, stdout);
	fwrite(s.buf ? s.buf : "", 1, s.len, stdout);
	fflush(stdout);
	str_release(&s);
}

/* Writes the JSON plan to path, atomically (temp file + rename). */
static int
save_plan(const struct plan *p, const char *path, struct err *e)
{
	struct str s = STR_INIT, tmp = STR_INIT;
	FILE *f;
	int rc = -1;

	str_addf(&tmp, "%s.tmp", path);
	if ((f = fopen(tmp.buf, "w")) == NULL) {
		err_set(e, "cannot write plan '%s': %s", path, strerror(errno));
		goto out;
	}
	plan_json_write_to(p, &s, f);
	if (fwrite(s.buf, 1, s.len, f) != s.len || ferror(f) || fclose(f) != 0) {
		err_set(e, "cannot write plan '%s': %s", path, strerror(errno));
		remove(tmp.buf);
		goto out;
	}
	if (rename(tmp.buf, path) != 0) {
		err_set(e, "cannot write plan '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	str_release(&s);
	str_release(&tmp);
	return rc;
}

static int
select_jobs(struct ctx *ctx, const struct plan_opts *o,
	    const struct job_cfg ***jobs)
{
	struct config *cfg = ctx_config(ctx);
	int n;

	if (cfg == NULL)
		return -1;
	*jobs = xmalloc((cfg->njobs + 1) * sizeof(**jobs));
	n = run_select_jobs(cfg, o->jobs, o->njobs, *jobs, &ctx->err);
	if (n < 0) {
		free(*jobs);
		*jobs = NULL;
	}
	return n;
}

int
cmd_plan(struct ctx *ctx, int argc, char **argv)
{
	const struct job_cfg **jobs = NULL;
	struct store *store = NULL;
	struct plan_opts o;
	struct run r;
	int i, n, rc = -1, changes = 0, refused = 0;

	if (parse_opts(ctx, argc, argv, 0, &o) != 0)
		return -1;
	if ((n = select_jobs(ctx, &o, &jobs)) < 0)
		return -1;
	if (o.out != NULL && n != 1) {
		err_set(&ctx->err, "--out saves one job's plan: name the job");
		goto out;
	}
	if (ctx_open_store(ctx, &store) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (run_plan(jobs[i], ctx->cfg->seat_capacity, store, o.flags,
			     &r, &ctx->err) != 0) {
			run_release(&r);
			goto out;
		}
		print_plan(&r.plan, o.json);
		changes |= !plan_empty(&r.plan);
		if (plan_check_safety(&r.plan, &jobs[i]->safety,
				      r.snap.job_members, &ctx->err) != 0) {
			log_warn("%s", ctx->err.msg);
			refused = 1;
		}
		if (o.out != NULL && save_plan(&r.plan, o.out, &ctx->err) != 0) {
			run_release(&r);
			goto out;
		}
		run_release(&r);
	}
	rc = refused ? -1 : changes ? CMD_CHANGES : CMD_OK;
out:
	store_close(store);
	free(jobs);
	return rc;
}

static int
apply_one(struct ctx *ctx, struct store *store, struct plan *p,
	  const struct mirror *m, const struct job_cfg *job, size_t managed,
	  int force, int64_t now)
{
	int64_t run_id;

	if (!force && plan_check_safety(p, &job->safety, managed,
					&ctx->err) != 0) {
		apply_record_run(store, job->name, now, "refused", p->source_users,
				 NULL);
		return -1;
	}
	if (apply_plan_mirror(store, p, m, now, &run_id, &ctx->err) != 0)
		return -1;
	if (!ctx->quiet)
		printf("Applied job '%s' as run %lld.\n", job->name,
		       (long long)run_id);
	return 0;
}

static char *
read_file(const char *path, size_t *len, struct err *e)
{
	struct str s = STR_INIT;
	char buf[65536];
	struct stat st;
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		err_set(e, "cannot read plan '%s': %s", path, strerror(errno));
		return NULL;
	}
	/* A plan of a million members is a few hundred MB of JSON: anything
	 * far bigger is not a plan, and must not eat the machine's memory. */
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > PLAN_FILE_MAX) {
		err_set(e, "cannot read plan '%s': %s", path,
			fstat(fileno(f), &st) != 0 ? strerror(errno) :
			!S_ISREG(st.st_mode) ? "not a regular file" :
			"larger than 2 GiB, not a plan");
		fclose(f);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		str_add(&s, buf, n);
	fclose(f);
	*len = s.len;
	return str_detach(&s);
}

/* apply --plan FILE: exactly the saved plan, or nothing (stale: exit 3). */
static int
apply_saved(struct ctx *ctx, struct store *store, const struct plan_opts *o)
{
	struct config *cfg = ctx_config(ctx);
	const struct job_cfg *job;
	struct snapshot snap;
	struct arena a;
	struct plan p;
	size_t len;
	char *text;
	int rc = -1;

	if (cfg == NULL || (text = read_file(o->plan_file, &len, &ctx->err)) == NULL)
		return -1;
	arena_init(&a);
	if (plan_json_read(text, len, &a, &p, &ctx->err) != 0)
		goto out_text;
	if ((job = config_job(cfg, p.job)) == NULL) {
		err_set(&ctx->err, "plan '%s' is for job '%s', which '%s' does "
			"not define", o->plan_file, p.job, cfg->path);
		goto out_plan;
	}
	if (store_snapshot(store, job->name, &snap, &ctx->err) != 0)
		goto out_plan;
	print_plan(&p, 0);
	/* Seats are checked against the capacity in force now, not the one
	 * the file records: the config may have lowered it since the plan
	 * was made, and the file is not to be trusted with it. */
	p.seats.capacity = cfg->seat_capacity;
	rc = apply_one(ctx, store, &p, NULL, job, snap.job_members, o->force,
		       (int64_t)time(NULL));
	snapshot_release(&snap);
out_plan:
	plan_release(&p);
out_text:
	free(text);
	arena_release(&a);
	return rc;
}

int
cmd_apply(struct ctx *ctx, int argc, char **argv)
{
	const struct job_cfg **jobs = NULL;
	struct store *store = NULL;
	struct plan_opts o;
	struct run r;
	int i, n, rc = -1;

	if (parse_opts(ctx, argc, argv, 1, &o) != 0)
		return -1;
	if (o.plan_file != NULL) {
		if (o.njobs > 0)
			return err_set(&ctx->err, "apply --plan takes no job "
				       "names: the plan names its job");
		if (o.flags & RUN_FULL)
			return err_set(&ctx->err, "apply --plan takes no "
				       "--full: the saved plan fetches nothing");
		if (ctx_open_store(ctx, &store) != 0)
			return -1;
		rc = apply_saved(ctx, store, &o);
		store_close(store);
		return rc;
	}
	if ((n = select_jobs(ctx, &o, &jobs)) < 0)
		return -1;
	if (ctx_open_store(ctx, &store) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (run_plan(jobs[i], ctx->cfg->seat_capacity, store,
			     o.flags | RUN_APPLY, &r, &ctx->err) != 0) {
			apply_record_run(store, jobs[i]->name, r.now,
					 ctx->err.code == ERR_SAFETY ?
					 "refused" : "error", -1, NULL);
			run_release(&r);
			goto out;
		}
		if (!ctx->quiet)
			print_plan(&r.plan, 0);
		if (apply_one(ctx, store, &r.plan,
			      r.have_mirror ? &r.mirror : NULL, jobs[i],
			      r.snap.job_members, o.force, r.now) != 0) {
			run_release(&r);
			goto out;
		}
		run_release(&r);
	}
	rc = CMD_OK;
out:
	store_close(store);
	free(jobs);
	return rc;
}
