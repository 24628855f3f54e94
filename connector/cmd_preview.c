/*
 * cmd_preview: how source entries map, field by field, with the attribute
 * and the mapping rule behind each value: the tool IT writes a mapping
 * with.  It reads the source only; the store is not opened (so duplicate
 * emails are decided by smallest anchor, as for a first run).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dn.h"
#include "run.h"
#include "util/str.h"

static void
line(struct str *o, const char *field, const char *val, const struct prov *pv)
{
	struct str v = STR_INIT;

	str_add_utf8_clean(&v, val ? val : "(none)", strlen(val ? val : "(none)"));
	str_addf(o, "  %-24s %-32s", field, str_cstr(&v));
	if (pv != NULL && pv->rule != NULL)
		str_addf(o, "  <- %s%s%s", pv->source && *pv->source ?
			 pv->source : "", pv->source && *pv->source ? " by " :
			 "", pv->rule);
	str_addc(o, '\n');
	str_release(&v);
}

static void
member_lines(struct str *o, const struct mapping *m, const struct dmember *dm)
{
	size_t i;
	struct str t = STR_INIT;
	struct prov tp = { "", "teams rules" }, sp = { "", "seat" };

	line(o, "email", dm->email, &dm->prov[DF_EMAIL]);
	line(o, "name", dm->name, &dm->prov[DF_NAME]);
	line(o, "role", dm->role, &dm->prov[DF_ROLE]);
	line(o, "manager", dm->manager ? dm->manager->email : NULL,
	     dm->prov[DF_MANAGER].rule ? &dm->prov[DF_MANAGER] : NULL);
	for (i = 0; i < dm->nteams; i++)
		str_addf(&t, "%s%s", i ? ", " : "", dm->teams[i]);
	line(o, "teams", t.len ? str_cstr(&t) : NULL, &tp);
	str_reset(&t);
	if (!dm->eligible)
		str_adds(&t, "not eligible (seat.eligible)");
	else if ((size_t)dm->priority < m->nseat_priority)
		str_addf(&t, "eligible, priority %d: %s", dm->priority + 1,
			 m->seat_priority_text[dm->priority]);
	else
		str_adds(&t, "eligible");
	line(o, "seat", str_cstr(&t), &sp);
	for (i = 0; i < dm->nfields; i++) {
		str_reset(&t);
		str_addf(&t, "custom.%s", dm->fields[i].key);
		line(o, str_cstr(&t), dm->fields[i].val, &dm->field_prov[i]);
	}
	str_release(&t);
}

/* Why an entry is not a member: include filter or a warning naming it. */
static void
skipped_lines(struct str *o, const struct run *r, const struct record *rec)
{
	size_t i;

	if (hmap_has(&r->d.excluded, rec->anchor)) {
		str_addf(o, "  skipped: does not match member.include %s\n",
			 r->job->mapping->include_text);
		return;
	}
	for (i = 0; i < r->d.nwarnings; i++) {
		const struct warning *w = &r->d.warnings[i];

		if (strcmp(w->subject, rec->id) == 0 ||
		    strstr(w->message, rec->id) != NULL) {
			str_addf(o, "  skipped: %s: %s\n",
				 warning_code_name(w->code), w->message);
			return;
		}
	}
	str_adds(o, "  skipped\n");
}

static void
entry(struct str *o, const struct run *r, const struct record *rec)
{
	const struct dmember *dm = hmap_get(&r->d.by_anchor, rec->anchor);

	str_add_utf8_clean(o, rec->id, strlen(rec->id));
	str_addc(o, '\n');
	line(o, "anchor", rec->anchor, NULL);
	if (dm != NULL && hmap_get(&r->d.by_email, dm->email_key) == dm)
		member_lines(o, r->job->mapping, dm);
	else
		skipped_lines(o, r, rec);
}

static int
matches(const struct record *rec, const char *want, const char *want_key)
{
	return strcmp(rec->id, want) == 0 || strcmp(rec->anchor, want) == 0 ||
	       (want_key != NULL && strcmp(rec->key, want_key) == 0);
}

static int
preview_job(struct ctx *ctx, const struct job_cfg *job, long limit,
	    const char *want)
{
	struct str o = STR_INIT, key = STR_INIT;
	struct run r;
	size_t i, shown = 0;
	int rc = -1;

	if (run_map(job, NULL, 0, &r, &ctx->err) != 0)
		goto out;
	if (want != NULL && dn_normalize(want, &key) != 0)
		str_reset(&key);
	for (i = 0; i < r.rs.nusers; i++) {
		const struct record *rec = r.rs.users[i];

		if (want != NULL && !matches(rec, want, key.len ? key.buf : NULL))
			continue;
		if (want == NULL && limit >= 0 && shown >= (size_t)limit)
			break;
		if (shown++)
			str_addc(&o, '\n');
		entry(&o, &r, rec);
	}
	if (want != NULL && shown == 0) {
		err_set(&ctx->err, "no user entry '%s' in job '%s'", want,
			job->name);
		goto out;
	}
	fwrite(o.buf ? o.buf : "", 1, o.len, stdout);
	printf("\n%zu of %zu users shown (job %s).\n", shown, r.rs.nusers,
	       job->name);
	rc = CMD_OK;
out:
	run_release(&r);
	str_release(&o);
	str_release(&key);
	return rc;
}

int
cmd_preview(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "entry", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const struct job_cfg *job;
	struct config *cfg;
	const char *want = NULL;
	long limit = 20;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n') {
			limit = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || limit < 0)
				return err_set(&ctx->err, "--limit needs a "
					       "number, not '%s'", optarg);
		} else if (c == 'e') {
			want = optarg;
		} else {
			return err_set(&ctx->err, "usage: preview [JOB] "
				       "[--limit N] [--entry DN-or-ID]");
		}
	}
	if ((cfg = ctx_config(ctx)) == NULL)
		return -1;
	if (argc - optind > 1)
		return err_set(&ctx->err, "preview takes one job");
	if (optind < argc)
		job = config_job(cfg, argv[optind]);
	else
		job = cfg->njobs ? &cfg->jobs[0] : NULL;
	if (job == NULL)
		return err_set(&ctx->err, "no job '%s' in '%s'",
			       optind < argc ? argv[optind] : "", cfg->path);
	return preview_job(ctx, job, limit, want);
}
