/*
 * desired_int: helpers shared by desired.c, desired_chain.c and
 * desired_teams.c (the three steps of desired_build).  Not a public API.
 */
#ifndef HS_DESIRED_INT_H
#define HS_DESIRED_INT_H

#include "desired.h"

/* Resolves manager references and breaks cycles (DESIGN §1). */
void desired_chain(const struct mapping *m, const struct recordset *rs,
		   struct desired *d);
/* Builds teams and team groups and each member's team list. */
void desired_teams(const struct mapping *m, const struct recordset *rs,
		   struct desired *d);

#endif
