/*
 * t_files.h: fixture files for unit tests, written into a private
 * mkdtemp directory that t_rmdir() removes again.
 */
#ifndef HS_T_FILES_H
#define HS_T_FILES_H

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Returns a new directory (free() it after t_rmdir), or aborts. */
static inline char *
t_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *p = malloc(4096);

	if (p == NULL)
		abort();
	snprintf(p, 4096, "%s/hs-test-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(p) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

/* Writes dir/name (creating one level of subdirectory if name has one);
 * returns the full path in a static buffer. */
static inline const char *
t_write(const char *dir, const char *name, const char *text)
{
	static char path[4096];
	const char *slash = strchr(name, '/');
	FILE *f;

	if (slash) {
		snprintf(path, sizeof(path), "%s/%.*s", dir,
			 (int)(slash - name), name);
		mkdir(path, 0700);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		abort();
	}
	fputs(text, f);
	fclose(f);
	return path;
}

static inline int
t_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static inline void
t_rmdir(const char *dir)
{
	nftw(dir, t_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
