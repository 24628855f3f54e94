/*
 * view_admin: `member show` and `seats` (DESIGN §3), formatted from a
 * store snapshot and the config; no store access, so tests build both by
 * hand.  Values from the directory go through view_add_text().
 */
#ifndef HS_VIEW_ADMIN_H
#define HS_VIEW_ADMIN_H

#include "config.h"
#include "store.h"
#include "util/err.h"
#include "util/str.h"

/* The capacity in force: snap->capacity when set by hand, else cfg's. */
int view_capacity(const struct snapshot *snap, const struct config *cfg);

/* One member: fields, provenance, seat with reason, manager chain, teams,
 * effective access.  -1 with e set for an unknown email. */
int view_member_show(const struct snapshot *snap, const struct config *cfg,
		     const char *email, struct str *out, struct err *e);
/* Capacity (and its origin), used, free, unseated members with reasons. */
void view_seats(const struct snapshot *snap, const struct config *cfg,
		struct str *out);

#endif
