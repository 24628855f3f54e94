/*
 * plan: the changes one job's run would make (DESIGN §6), sorted into the
 * order apply executes them, with warnings, a summary and a seat forecast.
 *
 * A change is self-contained: apply (and a saved plan read back) needs
 * nothing else to execute it.  Members are referred to by the job's anchor;
 * manual members (adopt) by "email:<email_key>".
 *
 * Ownership: changes and their strings live in plan->arena (borrowed,
 * freed by the caller with the run's arena).  plan_release() frees the
 * arrays.
 */
#ifndef HS_PLAN_H
#define HS_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "desired.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/str.h"

/* In apply order; plan_finish() sorts by (op, subject, anchor). */
enum change_op {
	CHANGE_CREATE_GROUP,
	CHANGE_CREATE_TEAM,
	CHANGE_UPDATE_TEAM,
	CHANGE_CREATE_MEMBER,
	CHANGE_UPDATE_MEMBER,
	CHANGE_SET_MANAGER,
	CHANGE_REMOVE_TEAM_MEMBER,
	CHANGE_ADD_TEAM_MEMBER,
	CHANGE_DEALLOCATE_SEAT,
	CHANGE_ALLOCATE_SEAT,
	CHANGE_DELETE_MEMBER,
	CHANGE_DELETE_TEAM,	/* before groups: a team's group may go too */
	CHANGE_DELETE_GROUP,
	CHANGE__COUNT
};

/* The reason on a deallocate_seat that only a lowered capacity causes:
 * such losses count against safety.max_deletes (DESIGN §1). */
#define PLAN_REASON_CAPACITY "seat capacity lowered"

/* "create_member" etc. (DESIGN §6); change_op_parse returns -1 if unknown. */
const char *change_op_name(enum change_op op);
int change_op_parse(const char *name);

struct field_change {
	const char *field;	/* name email role status custom_fields type
				 * group description color manager
				 * analytics_conversations analytics_contacts
				 * ("true" / "false") */
	const char *old;	/* NULL: none */
	const char *new;	/* NULL: none */
};

struct change {
	enum change_op op;
	const char *anchor;	/* member ops: member anchor; else NULL */
	const char *subject;	/* member ops: email; team/group ops: name */
	const char *target;	/* set_manager: manager anchor (NULL clears);
				 * team member ops: team name */
	const char *detail;	/* set_manager: manager email; seat ops and
				 * deletes: reason; for display */
	struct field_change *fields;
	size_t nfields, capfields;
};

struct plan_summary {
	size_t create, update, delete, seats_allocated, seats_deallocated,
		warnings;
};

struct seat_forecast {
	int capacity;
	int allocated_now;
	int allocated_after;
	int unseated_eligible;	/* eligible members without a seat after */
};

struct plan {
	struct arena *arena;
	const char *job;
	const char *fingerprint;
	struct change *changes;
	size_t nchanges, capchanges;
	struct warning *warnings;
	size_t nwarnings, capwarnings;
	struct plan_summary summary;
	struct seat_forecast seats;
	long source_users;	/* users the source returned, -1 unknown */
};

void plan_init(struct plan *p, struct arena *arena, const char *job,
	       const char *fingerprint);
void plan_release(struct plan *p);
/* Appends a change; strings are borrowed (keep them in p->arena or longer).
 * The returned pointer is valid until the next plan_add(). */
struct change *plan_add(struct plan *p, enum change_op op, const char *anchor,
			const char *subject);
void change_field(struct plan *p, struct change *c, const char *field,
		  const char *old, const char *new);
void plan_warn(struct plan *p, const struct warning *w);
/* Sorts changes (apply order, then subject, anchor) and warnings (code,
 * subject, message) and computes the summary.  Idempotent. */
void plan_finish(struct plan *p);
/* 1 if the plan changes nothing. */
int plan_empty(const struct plan *p);

/* Safety limits of DESIGN §4 (max_deletes, max_delete_percent) against a
 * store holding `managed` members of this job.  Returns 0, or -1 with
 * ERR_SAFETY. */
int plan_check_safety(const struct plan *p, const struct safety_cfg *s,
		      size_t managed, struct err *e);

/* The two formats (plan_text.c, plan_json.c), appended to out.  The
 * _to variants also write out to f and empty it whenever it grows past
 * 64 KB, so a 100k-member plan never sits whole in memory; the caller
 * writes what remains. */
void plan_text_write(const struct plan *p, struct str *out);
void plan_json_write(const struct plan *p, struct str *out);
void plan_text_write_to(const struct plan *p, struct str *out, FILE *f);
void plan_json_write_to(const struct plan *p, struct str *out, FILE *f);
/* Writes out to f and empties it once it holds more than 64 KB. */
void plan_flush(struct str *out, FILE *f);
/* Reads a plan written by plan_json_write() into p (strings in arena). */
int plan_json_read(const char *text, size_t len, struct arena *arena,
		   struct plan *p, struct err *e);

#endif
