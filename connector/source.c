/*
 * source: picks the adapter for a job and runs one whole fetch.
 */
#include "source.h"

const struct source_ops *
source_ops_for(enum source_type type)
{
	switch (type) {
	case SOURCE_LDAP:
		return &source_ldap_ops;
	case SOURCE_SCIM:
		return &source_scim_ops;
	case SOURCE_FILE:
		return &source_file_ops;
	}
	return NULL;
}

int
source_fetch_all(const struct job_cfg *job, struct mirror *m,
		 struct recordset *rs, struct err *e)
{
	const struct source_ops *ops = source_ops_for(job->source.type);
	struct source *s = NULL;
	int rc;

	if (ops == NULL)
		return err_setc(e, ERR_FETCH, "job '%s': unknown source type",
				job->name);
	if (ops->open(job, &s, e) < 0) {
		rc = -1;
		goto out;
	}
	rc = m != NULL && ops->sync != NULL ? ops->sync(s, m, rs, e)
					    : ops->fetch(s, rs, e);
	ops->close(s);
	if (rc == 0)
		recordset_link_groups(rs);
out:
	/* A partial fetch must never reach the diff (DESIGN §4): drop it. */
	if (rc < 0) {
		recordset_release(rs);
		recordset_init(rs);
	}
	return rc;
}
