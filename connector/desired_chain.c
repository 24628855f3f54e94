/*
 * desired_chain: the reporting chain (DESIGN §1).  Each member has at most
 * one manager, so the graph is functional and every cycle is found by one
 * walk per member.  A cycle loses the edge leaving its member with the
 * smallest anchor: a rule that depends only on the cycle, not on the order
 * the source returned entries, so the same directory gives the same plan.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "desired_int.h"
#include "dn.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const struct record *
find_manager_record(const struct recordset *rs, struct desired *d,
		    const char *ref)
{
	const struct record *r = recordset_find(rs, ref);
	const char *key;

	if (r != NULL)
		return r;
	key = dn_normalize_arena(d->arena, ref);
	return key != NULL ? recordset_find(rs, key) : NULL;
}

/* The manager member's index for members[i], or -1 (with a warning). */
static ssize_t
resolve(const struct mapping *m, const struct recordset *rs,
	struct desired *d, size_t i)
{
	struct dmember *dm = d->members[i];
	const struct record *r;
	const struct dmember *mgr;
	const char *ref = record_first(dm->rec, m->manager);

	if (ref == NULL || *ref == '\0')
		return -1;
	dm->prov[DF_MANAGER].source = m->manager;
	dm->prov[DF_MANAGER].rule = "manager";
	if ((r = find_manager_record(rs, d, ref)) == NULL) {
		desired_warn(d, WARN_MANAGER_UNRESOLVED, dm->email,
		    "manager '%s' is not in the source: no manager", ref);
		return -1;
	}
	if (r == dm->rec || strcmp(r->anchor, dm->anchor) == 0) {
		desired_warn(d, WARN_MANAGER_SELF, dm->email,
		    "entry names itself as manager: no manager");
		return -1;
	}
	mgr = hmap_get(&d->by_anchor, r->anchor);
	if (mgr == NULL) {
		desired_warn(d, WARN_MANAGER_UNRESOLVED, dm->email,
		    "manager '%s' is not a synced member (filtered out, "
		    "no email or duplicate): no manager", ref);
		return -1;
	}
	assert(mgr->idx < d->nmembers && d->members[mgr->idx] == mgr);
	return (ssize_t)mgr->idx;
}

/* Reports and cuts the cycle path[from..n). */
static void
cut_cycle(struct desired *d, ssize_t *next, const size_t *path, size_t from,
	  size_t n)
{
	struct str msg = STR_INIT;
	size_t k, min = path[from];

	for (k = from; k < n; k++)
		if (path[k] < min)
			min = path[k];	/* sorted by anchor: smallest anchor */
	/* Print the loop starting at the member whose edge is dropped. */
	{
		size_t start = from, len = n - from;

		while (path[start] != min)
			start++;
		for (k = 0; k <= len; k++) {
			size_t idx = path[from + (start - from + k) % len];

			if (k == 10 && len > 10) {
				str_addf(&msg, " -> ... (%zu members)", len);
				break;
			}
			str_addf(&msg, "%s%s", k ? " -> " : "",
				 d->members[idx]->email);
		}
	}
	desired_warn(d, WARN_MANAGER_CYCLE, d->members[min]->email,
	    "reporting chain loops: %s; dropped %s -> %s", str_cstr(&msg),
	    d->members[min]->email, d->members[next[min]]->email);
	next[min] = -1;
	str_release(&msg);
}

static void
break_cycles(struct desired *d, ssize_t *next)
{
	unsigned char *state = xcalloc(d->nmembers + 1, 1);
	size_t *path = xmalloc((d->nmembers + 1) * sizeof(*path));
	size_t i, n, k;

	for (i = 0; i < d->nmembers; i++) {
		ssize_t at = (ssize_t)i;

		n = 0;
		while (at >= 0 && state[at] == 0) {
			state[at] = 1;
			path[n++] = (size_t)at;
			at = next[at];
		}
		if (at >= 0 && state[at] == 1) {
			for (k = 0; path[k] != (size_t)at; k++)
				;
			cut_cycle(d, next, path, k, n);
		}
		for (k = 0; k < n; k++)
			state[path[k]] = 2;
	}
	free(state);
	free(path);
}

void
desired_chain(const struct mapping *m, const struct recordset *rs,
	      struct desired *d)
{
	ssize_t *next;
	size_t i;

	if (m->manager == NULL || d->nmembers == 0)
		return;
	next = xmalloc(d->nmembers * sizeof(*next));
	for (i = 0; i < d->nmembers; i++)
		next[i] = resolve(m, rs, d, i);
	break_cycles(d, next);
	for (i = 0; i < d->nmembers; i++)
		d->members[i]->manager = next[i] >= 0 ? d->members[next[i]] : NULL;
	free(next);
}
