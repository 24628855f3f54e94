/*
 * cmd_admin: what the admin commands (member, seats, group) share: the
 * store opened for a manual change, with the actor and the capacity the
 * config gives (store_admin.h).
 */
#ifndef HS_CMD_ADMIN_H
#define HS_CMD_ADMIN_H

#include "cmd.h"
#include "store.h"
#include "store_admin.h"

/* Loads the config, opens the store, fills *a (actor from $SUDO_USER,
 * $USER or getlogin(); now; the config's capacity).  On success the
 * caller store_close()s *s. */
int cmd_admin_open(struct ctx *ctx, struct store **s, struct admin *a);

#endif
