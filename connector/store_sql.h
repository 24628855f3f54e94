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

/* Prepares sql; on failure *st = NULL and e is set. */
int store_prep(struct store *s, const char *sql, sqlite3_stmt **st,
	       struct err *e);
/* One integer from a query with an optional text parameter ?1 (arg may be
 * NULL); def when there is no row or the value is NULL. */
int store_query_int(struct store *s, const char *sql, const char *arg,
		    int64_t def, int64_t *out, struct err *e);
/* meta[key] = v, inside the caller's transaction. */
int store_meta_set(struct store *s, const char *key, int64_t v,
		   struct err *e);

#endif
