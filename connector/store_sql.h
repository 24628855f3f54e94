/*
 * store_sql: what store.c shares with apply.c (and store_views.c), the only
 * files that see SQLite (STYLE: only store.c and apply.c include sqlite3.h).
 * Nothing else may include this header.
 *
 * Transactions: store_begin() takes the write lock at once (BEGIN
 * IMMEDIATE) so that a writer never fails half way on SQLITE_BUSY after
 * it read the generation; busy_timeout makes it wait for another writer.
 */
#ifndef HS_STORE_SQL_H
#define HS_STORE_SQL_H

#include <sqlite3.h>
#include <stdint.h>

#include "util/err.h"

struct store {
	sqlite3 *db;
	char *path;
};

/* Sets e to "what: <sqlite message>" and returns -1. */
int store_sqlerr(struct store *s, struct err *e, const char *what);
/* Runs SQL without results. */
int store_exec(struct store *s, const char *sql, struct err *e);
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
/* Rolls back if a transaction is open; never fails (the connection may
 * already have rolled back on its own, e.g. after SQLITE_FULL). */
void store_rollback(struct store *s);
/* meta.generation of the open transaction's view; -1 on error. */
int store_generation(struct store *s, int64_t *out, struct err *e);
/* meta.generation += 1 inside the caller's write transaction. */
int store_bump_generation(struct store *s, struct err *e);

#endif
