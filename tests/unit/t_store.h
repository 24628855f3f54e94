/*
 * t_store.h: a store file in a private temp directory for the store and
 * apply unit tests.  tmp_store() makes it (db is its path), rm_store()
 * removes it with its WAL files, sql_int() reads one number from it.
 */
#ifndef HS_T_STORE_H
#define HS_T_STORE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[256], db[300];

static void
tmp_store(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/hs-store-XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(db, sizeof(db), "%s/state.db", dir);
}

static void
rm_store(void)
{
	char p[320];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
	rmdir(dir);
}

/* The first column of the first row of q on the store, or -999. */
static inline long long
sql_int(const char *q)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -999;

	sqlite3_open(db, &h);
	if (sqlite3_prepare_v2(h, q, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

#endif
