/*
 * source: the only adapter API (STYLE).  A source fetches every user and
 * group a job selects into a recordset; nothing after it sees a protocol.
 *
 * Any fetch error (connection lost mid-search, HTTP or LDAP error, bad
 * JSON) fails the whole fetch: the caller writes nothing (DESIGN §4).
 */
#ifndef HS_SOURCE_H
#define HS_SOURCE_H

#include "config.h"
#include "mirror.h"
#include "record.h"
#include "util/err.h"
#include "util/str.h"

struct source;

struct source_ops {
	const char *type;
	/* Connects (TLS, bind or token).  *out set on success. */
	int (*open)(const struct job_cfg *job, struct source **out,
		    struct err *e);
	/* Fetches users then groups into rs (error: e set with code
	 * ERR_FETCH; rs may hold a partial fetch, which the caller drops). */
	int (*fetch)(struct source *s, struct recordset *rs, struct err *e);
	/* Incremental fetch (DESIGN §4 `incremental`), NULL if the source
	 * has none.  m holds the mirror's cursors and, if m->loaded, its
	 * entries.  Refreshes m from the server when the cursors allow it
	 * and rebuilds rs from m; otherwise fetches everything like fetch,
	 * filling m (m->full) when m->keep.  Sets m->used when apply must
	 * write m.  A server that cannot sync is not an error: the source
	 * says so and fetches everything. */
	int (*sync)(struct source *s, struct mirror *m, struct recordset *rs,
		    struct err *e);
	/* Appends human-readable server info for test-connection. */
	void (*info)(struct source *s, struct str *out);
	void (*close)(struct source *s);
};

extern const struct source_ops source_ldap_ops;
extern const struct source_ops source_scim_ops;
extern const struct source_ops source_file_ops;

const struct source_ops *source_ops_for(enum source_type type);

/* open + fetch (sync when m is not NULL and the source has it) + close,
 * then recordset_link_groups().  On error rs is released and
 * re-initialised (empty). */
int source_fetch_all(const struct job_cfg *job, struct mirror *m,
		     struct recordset *rs, struct err *e);

#endif
