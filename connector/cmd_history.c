/*
 * cmd_history: `history [RUN-ID]` and `status` (DESIGN §3).  Runs of a
 * job and hand-made changes (job "manual", with who made them) share one
 * history.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "schedule.h"
#include "store_admin.h"
#include "view.h"
#include "view_admin.h"

static void
iso(int64_t t, char *buf, unsigned size)
{
	if (t > 0)
		schedule_iso(t, buf, size);
	else
		snprintf(buf, size, "-");
}

static void
num_cell(struct view_table *t, long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", v);
	view_table_cell(t, v < 0 ? "-" : buf);
}

static void
list_runs(const struct run_row *r, size_t n, struct str *out)
{
	static const char *const head[] = { "RUN", "JOB", "WHO", "STARTED",
		"OUTCOME", "CREATED", "UPDATED", "DELETED", "SEATS+", "SEATS-",
		"USERS" };
	struct view_table t;
	char buf[32];
	size_t i, k;

	if (n == 0) {
		str_adds(out, "No runs yet.\n");
		return;
	}
	view_table_init(&t, 11);
	for (k = 0; k < 11; k++)
		view_table_cell(&t, head[k]);
	for (i = 0; i < n; i++) {
		num_cell(&t, (long)r[i].id);
		view_table_cell(&t, r[i].job);
		view_table_cell(&t, r[i].actor);
		iso(r[i].started_at, buf, sizeof(buf));
		view_table_cell(&t, buf);
		view_table_cell(&t, r[i].outcome);
		num_cell(&t, r[i].created);
		num_cell(&t, r[i].updated);
		num_cell(&t, r[i].deleted);
		num_cell(&t, r[i].seats_allocated);
		num_cell(&t, r[i].seats_deallocated);
		num_cell(&t, r[i].source_users);
	}
	view_table_write(&t, out);
	view_table_release(&t);
}

static void
json_text(struct str *out, const json_t *v)
{
	if (json_is_string(v))
		view_add_text(out, json_string_value(v), 1);
	else
		str_adds(out, "(none)");
}

/* The detail JSON as "field: old -> new; ...", or its "detail" text. */
static void
detail_text(struct str *out, const char *detail)
{
	json_t *root = detail ? json_loads(detail, 0, NULL) : NULL;
	json_t *f, *v;
	const char *k;
	int first = 1;

	if (root == NULL) {
		view_add_text(out, detail ? detail : "", 0);
		return;
	}
	f = json_object_get(root, "fields");
	json_object_foreach(f, k, v) {
		str_adds(out, first ? "" : "; ");
		view_add_text(out, k, 0);
		str_adds(out, ": ");
		json_text(out, json_array_get(v, 0));
		str_adds(out, " -> ");
		json_text(out, json_array_get(v, 1));
		first = 0;
	}
	if ((v = json_object_get(root, "target")) != NULL) {
		str_adds(out, first ? "-> " : "; -> ");
		json_text(out, v);
		first = 0;
	}
	if (json_is_string(v = json_object_get(root, "detail"))) {
		str_adds(out, first ? "" : "; ");
		view_add_text(out, json_string_value(v), 0);
	}
	json_decref(root);
}

static void
show_run(const struct run_row *r, const struct run_change_row *c, size_t n,
	 struct str *out)
{
	char buf[32];
	size_t i;

	iso(r->started_at, buf, sizeof(buf));
	str_addf(out, "Run %" PRId64 ": job ", r->id);
	view_add_text(out, r->job, 0);
	if (r->actor != NULL) {
		str_adds(out, " by ");
		view_add_text(out, r->actor, 0);
	}
	str_addf(out, ", started %s, outcome ", buf);
	view_add_text(out, r->outcome, 0);
	str_addf(out, "\nCounts: %ld created, %ld updated, %ld deleted, %ld "
		 "seats allocated, %ld seats deallocated, %ld warnings\n",
		 r->created, r->updated, r->deleted, r->seats_allocated,
		 r->seats_deallocated, r->warnings);
	if (n == 0)
		str_adds(out, "No changes.\n");
	for (i = 0; i < n; i++) {
		str_addf(out, "%4ld  %s  ", c[i].seq, c[i].op);
		view_add_text(out, c[i].subject ? c[i].subject : "-", 0);
		if (c[i].detail != NULL && strcmp(c[i].detail, "{}") != 0) {
			str_adds(out, "  ");
			detail_text(out, c[i].detail);
		}
		str_addc(out, '\n');
	}
}

static int
history(struct ctx *ctx, struct store *s, int argc, char **argv,
	struct arena *a, struct str *out)
{
	struct run_change_row *c;
	struct run_row *rows, one;
	size_t n;
	char *end;
	long long id;

	if (argc == 1) {
		if (store_runs(s, NULL, 0, a, &rows, &n, &ctx->err) < 0)
			return -1;
		list_runs(rows, n, out);
		return 0;
	}
	errno = 0;
	id = strtoll(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || errno != 0 || id <= 0)
		return err_set(&ctx->err, "run id must be a positive number, "
			       "not '%.40s'", argv[1]);
	if (store_run(s, (int64_t)id, a, &one, &c, &n, &ctx->err) < 0)
		return -1;
	show_run(&one, c, n, out);
	return 0;
}

/* Runs fn with the store and a scratch arena; prints out on success. */
static int
with_store(struct ctx *ctx, int argc, char **argv,
	   int (*fn)(struct ctx *, struct store *, int, char **,
		     struct arena *, struct str *))
{
	struct store *s = NULL;
	struct str out = STR_INIT;
	struct arena a;
	int rc;

	if (ctx_open_store(ctx, &s) != 0)
		return -1;
	arena_init(&a);
	rc = fn(ctx, s, argc, argv, &a, &out);
	if (rc == 0)
		fwrite(str_cstr(&out), 1, out.len, stdout);
	str_release(&out);
	arena_release(&a);
	store_close(s);
	return rc < 0 ? -1 : CMD_OK;
}

int
cmd_history(struct ctx *ctx, int argc, char **argv)
{
	if (argc > 2)
		return err_set(&ctx->err, "usage: harmony-sync history [RUN-ID]");
	return with_store(ctx, argc, argv, history);
}

/* ---- status ---- */

static void
job_row(struct view_table *t, const struct job_cfg *j,
	const struct run_row *last, int64_t now)
{
	struct schedule sch;
	char buf[96];
	int64_t next;

	view_table_cell(t, j->name);
	view_table_cell(t, j->schedule ? j->schedule : "manual");
	iso(last ? last->started_at : 0, buf, sizeof(buf));
	view_table_cell(t, buf);
	view_table_cell(t, last ? last->outcome : "never run");
	if (last != NULL)
		snprintf(buf, sizeof(buf), "+%ld ~%ld -%ld seats +%ld -%ld",
			 last->created, last->updated, last->deleted,
			 last->seats_allocated, last->seats_deallocated);
	view_table_cell(t, last ? buf : "-");
	if (j->schedule == NULL || schedule_parse(j->schedule, &sch, NULL) < 0 ||
	    (next = schedule_next(&sch, now)) < 0)
		snprintf(buf, sizeof(buf), "-");
	else
		schedule_iso(next, buf, sizeof(buf));
	view_table_cell(t, buf);
}

/*
 * An incremental job's mirror (README "Incremental sync"): how much it
 * holds, from where, and when the last and next full fetches are.
 */
static int
mirror_line(const struct job_cfg *j, struct store *s, struct str *out,
	    struct err *e)
{
	static const char *const kinds[] = { "syncrepl", "usn", "none" };
	const char *full_at, *url;
	struct mirror m;
	char last[40], next[40];
	int64_t n = 0;
	int rc = -1;

	if (j->source.type != SOURCE_LDAP ||
	    j->source.ldap.incremental == INCR_NONE)
		return 0;
	mirror_init(&m);
	if (store_mirror_cursors(s, j->name, &m, e) < 0 ||
	    store_mirror_count(s, j->name, &n, e) < 0)
		goto out;
	full_at = mirror_cursor(&m, "mirror.full_at");
	url = mirror_cursor(&m, "ldap.url");
	str_addf(out, "Job '%s': incremental (%s), ", j->name,
		 kinds[j->source.ldap.incremental]);
	if (full_at == NULL || url == NULL) {
		str_adds(out, "no mirror yet: the next apply fetches "
			 "everything\n");
	} else {
		iso(strtoll(full_at, NULL, 10), last, sizeof(last));
		iso(strtoll(full_at, NULL, 10) + j->full_sync_every_s, next,
		    sizeof(next));
		str_addf(out, "mirror of %lld entries from %s, last full "
			 "fetch %s, next due %s\n", (long long)n, url, last,
			 next);
	}
	rc = 0;
out:
	mirror_release(&m);
	return rc;
}

static int
status(struct ctx *ctx, struct store *s, int argc, char **argv,
       struct arena *a, struct str *out)
{
	static const char *const head[] = { "JOB", "SCHEDULE", "LAST RUN",
		"OUTCOME", "CHANGES", "NEXT RUN" };
	const struct config *cfg = ctx->cfg;
	struct snapshot snap;
	struct view_table t;
	struct run_row *last;
	size_t i, n;
	int cap;

	(void)argc, (void)argv;
	view_table_init(&t, 6);
	for (i = 0; i < 6; i++)
		view_table_cell(&t, head[i]);
	for (i = 0; i < cfg->njobs; i++) {
		if (store_runs(s, cfg->jobs[i].name, 1, a, &last, &n,
			       &ctx->err) < 0) {
			view_table_release(&t);
			return -1;
		}
		job_row(&t, &cfg->jobs[i], n ? last : NULL, (int64_t)time(NULL));
	}
	view_table_write(&t, out);
	view_table_release(&t);
	for (i = 0; i < cfg->njobs; i++)
		if (mirror_line(&cfg->jobs[i], s, out, &ctx->err) < 0)
			return -1;
	if (store_snapshot(s, NULL, &snap, &ctx->err) < 0)
		return -1;
	cap = view_capacity(&snap, cfg);
	str_addf(out, "Seats: capacity %d (%s), used %d, free %d\n", cap,
		 snap.capacity >= 0 ? "set by hand" : "from config",
		 snap.seats_used, snap.seats_used < cap ? cap - snap.seats_used :
		 0);
	snapshot_release(&snap);
	return 0;
}

int
cmd_status(struct ctx *ctx, int argc, char **argv)
{
	if (argc > 1)
		return err_set(&ctx->err, "usage: harmony-sync status");
	if (ctx_config(ctx) == NULL)
		return -1;
	return with_store(ctx, argc, argv, status);
}
