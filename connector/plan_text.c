/*
 * plan_text: the human plan format (DESIGN §6), like `terraform plan`.
 *
 * One line per change in plan order, with its fields indented below, then
 * warnings, the seat forecast and the summary line.  Every value comes
 * from a directory and goes through view_add_text(): a name holding a
 * newline must not be able to print a line of its own ("- delete member
 * ceo@...") into a plan someone reviews.  Output depends only on the plan
 * (no time, no locale), so plans can be compared and stored as golden
 * files.
 */
#include <pthread.h>
#include <string.h>

#include "plan.h"
#include "view.h"

/* custom_fields is a JSON object already (diff writes it canonically):
 * shown as such rather than as a string full of \" escapes.  It still
 * goes through view_add_text, so a hostile value cannot add a line. */
static void
add_field_value(struct str *out, const char *field, const char *v)
{
	if (v == NULL)
		str_adds(out, "(none)");
	else
		view_add_text(out, v, field == NULL ||
			      strcmp(field, "custom_fields") != 0);
}

static int
is_create(enum change_op op)
{
	return op == CHANGE_CREATE_MEMBER || op == CHANGE_CREATE_TEAM ||
	       op == CHANGE_CREATE_GROUP;
}

/* "    name:  "Alice"": names padded to the change's longest, so that
 * values line up.  A created object shows only new values. */
static void
add_fields(struct str *out, const struct change *c)
{
	size_t i, w = 0, fw;

	for (i = 0; i < c->nfields; i++) {
		fw = view_width(c->fields[i].field ? c->fields[i].field : "");
		if (fw > w)
			w = fw;
	}
	for (i = 0; i < c->nfields; i++) {
		const struct field_change *f = &c->fields[i];
		size_t at;

		str_adds(out, "    ");
		at = out->len;
		view_add_text(out, f->field ? f->field : "", 0);
		fw = view_width(out->buf + at);
		str_addc(out, ':');
		view_pad(out, w > fw ? w - fw + 1 : 1);
		if (!(is_create(c->op) && f->old == NULL)) {
			add_field_value(out, f->field, f->old);
			str_adds(out, " -> ");
		}
		add_field_value(out, f->field, f->new);
		str_addc(out, '\n');
	}
}

/* " (reason)" when the change carries one. */
static void
add_reason(struct str *out, const char *detail)
{
	if (detail == NULL || *detail == '\0')
		return;
	str_adds(out, " (");
	view_add_text(out, detail, 0);
	str_addc(out, ')');
}

static void
add_head(struct str *out, const struct change *c)
{
	const char *subj = c->subject;

	switch (c->op) {
	case CHANGE_CREATE_GROUP:
		str_adds(out, "+ create group ");
		view_add_text(out, subj, 0);
		break;
	case CHANGE_CREATE_TEAM:
		str_adds(out, "+ create team ");
		view_add_text(out, subj, 0);
		break;
	case CHANGE_UPDATE_TEAM:
		str_adds(out, "~ update team ");
		view_add_text(out, subj, 0);
		break;
	case CHANGE_CREATE_MEMBER:
		str_adds(out, "+ create member ");
		view_add_text(out, subj, 0);
		break;
	case CHANGE_UPDATE_MEMBER:
		str_adds(out, "~ update member ");
		view_add_text(out, subj, 0);
		break;
	case CHANGE_SET_MANAGER:
		str_adds(out, "~ set manager ");
		view_add_text(out, subj, 0);
		str_adds(out, " -> ");
		view_add_text(out, c->target == NULL ? NULL :
			      c->detail != NULL ? c->detail : c->target, 0);
		break;
	case CHANGE_REMOVE_TEAM_MEMBER:
	case CHANGE_ADD_TEAM_MEMBER:
		str_adds(out, c->op == CHANGE_ADD_TEAM_MEMBER ? "+ add " :
			 "- remove ");
		view_add_text(out, subj, 0);
		str_adds(out, c->op == CHANGE_ADD_TEAM_MEMBER ? " to team " :
			 " from team ");
		view_add_text(out, c->target, 0);
		break;
	case CHANGE_DEALLOCATE_SEAT:
		str_adds(out, "- seat deallocate ");
		view_add_text(out, subj, 0);
		add_reason(out, c->detail);
		break;
	case CHANGE_ALLOCATE_SEAT:
		str_adds(out, "+ seat allocate ");
		view_add_text(out, subj, 0);
		add_reason(out, c->detail);
		break;
	case CHANGE_DELETE_MEMBER:
		/* Loud on purpose (DESIGN §1): deletion cannot be undone. */
		str_adds(out, "- delete member ");
		view_add_text(out, subj, 0);
		str_adds(out, " (IRREVERSIBLE: removes access and seat; "
			 "workspace data is kept)");
		break;
	case CHANGE_DELETE_TEAM:
		str_adds(out, "- delete team ");
		view_add_text(out, subj, 0);
		str_adds(out, " (its memberships are removed; members are "
			 "kept)");
		break;
	case CHANGE_DELETE_GROUP:
		str_adds(out, "- delete group ");
		view_add_text(out, subj, 0);
		str_adds(out, " (teams move to Ungrouped)");
		break;
	default:
		str_addf(out, "? %s ", change_op_name(c->op));
		view_add_text(out, subj, 0);
		break;
	}
	str_addc(out, '\n');
}

static void
add_change(struct str *out, const struct change *c)
{
	add_head(out, c);
	if ((c->op == CHANGE_DELETE_MEMBER || c->op == CHANGE_DELETE_TEAM) &&
	    c->detail != NULL &&
	    *c->detail != '\0') {
		str_adds(out, "    reason: ");
		view_add_text(out, c->detail, 0);
		str_addc(out, '\n');
	}
	add_fields(out, c);
}

/*
 * Changes are rendered in blocks; when the text goes to a file, a second
 * thread renders every other block while this one renders the one before
 * it (a 100k-member plan is 50 MB of text, a fifth of the run).  Blocks
 * are written in plan order, so the bytes are the same as from one thread.
 */
enum { TEXT_BLOCK = 8192 };

struct block {
	const struct plan *p;
	size_t from, to;
	struct str out;
};

static void *
render_block(void *arg)
{
	struct block *b = arg;

	for (size_t i = b->from; i < b->to; i++)
		add_change(&b->out, &b->p->changes[i]);
	return NULL;
}

static void
write_str(struct str *s, FILE *fp)
{
	if (s->len > 0)
		fwrite(s->buf, 1, s->len, fp);
	str_reset(s);
}

static void
add_changes(struct str *out, const struct plan *p, FILE *fp)
{
	struct block b = { .p = p };
	size_t i, j, mid;

	if (fp == NULL) {	/* all of it in memory: one thread */
		for (i = 0; i < p->nchanges; i++)
			add_change(out, &p->changes[i]);
		return;
	}
	for (i = 0; i < p->nchanges; i = b.to) {
		pthread_t th;
		int threaded;

		mid = p->nchanges - i > TEXT_BLOCK ? i + TEXT_BLOCK : p->nchanges;
		b.from = mid;
		b.to = p->nchanges - mid > TEXT_BLOCK ? mid + TEXT_BLOCK
						      : p->nchanges;
		str_reset(&b.out);
		threaded = b.from < b.to &&
			   pthread_create(&th, NULL, render_block, &b) == 0;
		for (j = i; j < mid; j++) {
			add_change(out, &p->changes[j]);
			plan_flush(out, fp);
		}
		if (threaded)
			pthread_join(th, NULL);
		else
			render_block(&b);
		write_str(out, fp);	/* out first: it holds the earlier text */
		write_str(&b.out, fp);
	}
	str_release(&b.out);
}

static void
add_warnings(struct str *out, const struct plan *p)
{
	size_t i;

	if (p->nwarnings == 0)
		return;
	str_adds(out, "Warnings:\n");
	for (i = 0; i < p->nwarnings; i++) {
		const struct warning *w = &p->warnings[i];

		str_addf(out, "  ! %s: ", warning_code_name(w->code));
		view_add_text(out, w->subject ? w->subject : "", 0);
		str_adds(out, ": ");
		view_add_text(out, w->message ? w->message : "", 0);
		str_addc(out, '\n');
	}
	str_addc(out, '\n');
}

void
plan_text_write(const struct plan *p, struct str *out)
{
	plan_text_write_to(p, out, NULL);
}

void
plan_text_write_to(const struct plan *p, struct str *out, FILE *fp)
{
	const struct plan_summary *s = &p->summary;
	const struct seat_forecast *f = &p->seats;

	str_adds(out, "harmony-sync plan for job '");
	view_add_text(out, p->job ? p->job : "", 0);
	str_adds(out, "' (store ");
	view_add_text(out, p->fingerprint ? p->fingerprint : "unknown", 0);
	str_adds(out, ")\n\n");
	add_changes(out, p, fp);
	if (p->nchanges > 0)
		str_addc(out, '\n');
	add_warnings(out, p);
	str_addf(out, "Seats: capacity %d, allocated now %d, after apply %d, "
		 "eligible without a seat %d.\n", f->capacity,
		 f->allocated_now, f->allocated_after, f->unseated_eligible);
	if (p->nchanges == 0)
		str_adds(out, "No changes. The workspace matches the source.\n");
	str_addf(out, "Plan: %zu to create, %zu to update, %zu to delete, "
		 "%zu seats allocated, %zu seats deallocated, %zu warnings.\n",
		 s->create, s->update, s->delete, s->seats_allocated,
		 s->seats_deallocated, s->warnings);
}
