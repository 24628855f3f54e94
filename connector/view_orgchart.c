/*
 * view_orgchart: the reporting hierarchy of `orgchart` (DESIGN §3) as a
 * box-drawing tree, a graphviz digraph or nested JSON.
 *
 * The hierarchy is walked once into a list of enter/leave events that the
 * three formats replay.  The walk is iterative (a 100k-deep chain must not
 * overflow the stack) and keeps a visited set: the store never holds a
 * cycle (DESIGN §1), but a view must not loop forever if it ever did.
 * Members on such a cycle have no root above them; they are shown after
 * the real roots so that nobody silently disappears.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"
#include "util/hmap.h"
#include "util/xmalloc.h"

struct onode {
	const struct smember *m;
	size_t *kids;		/* indexes, sorted by email */
	size_t nkids, capkids;
	int visited;
};

struct oev {
	size_t node, depth;
	int leave;		/* 0 enter, 1 leave */
	int last;		/* last among its siblings */
	int kids;		/* has children to show */
};

struct org {
	struct onode *nodes;	/* sorted by email_key */
	size_t n;
	struct hmap by_email;	/* email_key -> index + 1 */
	struct oev *ev;
	size_t nev, capev;
};

static int
by_email(const void *a, const void *b)
{
	const struct smember *x = *(const struct smember *const *)a;
	const struct smember *y = *(const struct smember *const *)b;
	int r = strcmp(x->email_key ? x->email_key : "",
		       y->email_key ? y->email_key : "");

	return r ? r : strcmp(x->email ? x->email : "",
			      y->email ? y->email : "");
}

static const char *
key_of(const struct smember *m)
{
	return m->email_key ? m->email_key : "";
}

static void
org_build(struct org *o, const struct snapshot *snap)
{
	const struct smember **v = xcalloc(snap->nmembers + 1, sizeof(*v));
	size_t i, mi;
	void *p;

	memset(o, 0, sizeof(*o));
	hmap_init(&o->by_email);
	memcpy(v, snap->members, snap->nmembers * sizeof(*v));
	qsort(v, snap->nmembers, sizeof(*v), by_email);
	o->n = snap->nmembers;
	o->nodes = xcalloc(o->n + 1, sizeof(*o->nodes));
	for (i = 0; i < o->n; i++) {
		o->nodes[i].m = v[i];
		hmap_put(&o->by_email, key_of(v[i]), (void *)(i + 1));
	}
	/* Appending in email order leaves every child list sorted. */
	for (i = 0; i < o->n; i++) {
		struct onode *mgr;

		if (v[i]->manager == NULL ||
		    (p = hmap_get(&o->by_email, key_of(v[i]->manager))) == NULL)
			continue;
		mi = (size_t)p - 1;
		mgr = &o->nodes[mi];
		mgr->kids = xgrow(mgr->kids, &mgr->capkids, mgr->nkids + 1,
				  sizeof(*mgr->kids));
		mgr->kids[mgr->nkids++] = i;
	}
	free(v);
}

static void
org_release(struct org *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->nodes[i].kids);
	free(o->nodes);
	free(o->ev);
	hmap_release(&o->by_email);
}

static void
emit(struct org *o, size_t node, size_t depth, int leave, int last, int kids)
{
	o->ev = xgrow(o->ev, &o->capev, o->nev + 1, sizeof(*o->ev));
	o->ev[o->nev++] = (struct oev){ node, depth, leave, last, kids };
}

/* Index in nd's children of the first unvisited child at or after i, or
 * nkids.  The only child already visited can be the walk's own start (a
 * cycle), since every member has one manager. */
static size_t
next_kid(const struct org *o, const struct onode *nd, size_t i)
{
	while (i < nd->nkids && o->nodes[nd->kids[i]].visited)
		i++;
	return i;
}

struct frame {
	size_t node, pos;	/* pos: next child to look at */
	int last, kids;
};

static void
push(struct org *o, struct frame **st, size_t *n, size_t *cap, size_t node,
     int last)
{
	int kids;

	o->nodes[node].visited = 1;
	kids = next_kid(o, &o->nodes[node], 0) < o->nodes[node].nkids;
	emit(o, node, *n, 0, last, kids);
	*st = xgrow(*st, cap, *n + 1, sizeof(**st));
	(*st)[(*n)++] = (struct frame){ node, 0, last, kids };
}

/* Depth-first from start, children in email order. */
static void
walk(struct org *o, size_t start)
{
	struct frame *st = NULL, *top;
	size_t n = 0, cap = 0, k;
	struct onode *nd;

	push(o, &st, &n, &cap, start, 0);
	while (n > 0) {
		top = &st[n - 1];
		nd = &o->nodes[top->node];
		k = next_kid(o, nd, top->pos);
		if (k == nd->nkids) {
			emit(o, top->node, n - 1, 1, top->last, top->kids);
			n--;
			continue;
		}
		top->pos = k + 1;
		push(o, &st, &n, &cap, nd->kids[k],
		     next_kid(o, nd, k + 1) == nd->nkids);
	}
	free(st);
}

/* Roots (no manager) in email order, then whatever a cycle hid. */
static void
walk_all(struct org *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->nodes[i].m->manager == NULL && !o->nodes[i].visited)
			walk(o, i);
	for (i = 0; i < o->n; i++)
		if (!o->nodes[i].visited)
			walk(o, i);
}

/* Indentation grows with depth; past this many levels it stops growing so
 * that a pathological chain (100k levels) costs linear, not quadratic,
 * output.  Real hierarchies are far shallower. */
#define MAX_INDENT 64

static size_t
indent_of(size_t depth)
{
	return depth < MAX_INDENT ? depth : MAX_INDENT;
}

static void
add_label(struct str *out, const struct smember *m)
{
	view_add_text(out, m->name && *m->name ? m->name : m->email, 0);
	str_adds(out, " <");
	view_add_text(out, m->email ? m->email : "", 0);
	str_addc(out, '>');
}

static void
write_tree(const struct org *o, struct str *out)
{
	int *lastat = xcalloc(o->n + 1, sizeof(*lastat));
	size_t i, d;

	for (i = 0; i < o->nev; i++) {
		const struct oev *ev = &o->ev[i];

		if (ev->leave)
			continue;
		lastat[ev->depth] = ev->last;
		for (d = 1; d < indent_of(ev->depth); d++)
			str_adds(out, lastat[d] ? "    " : "\u2502   ");
		if (ev->depth >= MAX_INDENT)
			str_addf(out, "(level %zu) ", ev->depth);
		if (ev->depth > 0)
			str_adds(out, ev->last ? "\u2514\u2500\u2500 " :
				 "\u251c\u2500\u2500 ");
		add_label(out, o->nodes[ev->node].m);
		str_addc(out, '\n');
	}
	free(lastat);
}

/* Inside a graphviz double-quoted string: '"' and '\' escaped (a
 * backslash would start a graphviz escape such as \N), controls become
 * spaces, invalid UTF-8 U+FFFD. */
static void
add_dot_esc(struct str *out, const char *s)
{
	struct str clean = STR_INIT;
	const char *p;

	str_add_utf8_clean(&clean, s ? s : "", s ? strlen(s) : 0);
	for (p = str_cstr(&clean); *p; p++) {
		if (*p == '"' || *p == '\\')
			str_addc(out, '\\');
		str_addc(out, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' :
			  *p);
	}
	str_release(&clean);
}

static void
add_dot_str(struct str *out, const char *s)
{
	str_addc(out, '"');
	add_dot_esc(out, s);
	str_addc(out, '"');
}

static void
write_dot(const struct org *o, struct str *out)
{
	size_t *path = xcalloc(o->n + 1, sizeof(*path));
	size_t i;

	str_adds(out, "digraph orgchart {\n\tnode [shape=box];\n");
	for (i = 0; i < o->nev; i++) {
		const struct oev *ev = &o->ev[i];
		const struct smember *m = o->nodes[ev->node].m;

		if (ev->leave)
			continue;
		path[ev->depth] = ev->node;
		str_addc(out, '\t');
		add_dot_str(out, m->email);
		/* "Name\nemail": graphviz's own line break. */
		str_adds(out, " [label=\"");
		if (m->name != NULL && *m->name) {
			add_dot_esc(out, m->name);
			str_adds(out, "\\n");
		}
		add_dot_esc(out, m->email);
		str_adds(out, "\"];\n");
		if (ev->depth > 0) {
			str_addc(out, '\t');
			add_dot_str(out, o->nodes[path[ev->depth - 1]].m->email);
			str_adds(out, " -> ");
			add_dot_str(out, m->email);
			str_adds(out, ";\n");
		}
	}
	str_adds(out, "}\n");
	free(path);
}

/* Roots are separated by a comma before each but the first (the walk
 * cannot tell which root is last before it has seen the cycles); reports
 * by their exact "last" flag. */
static void
write_json(const struct org *o, struct str *out)
{
	size_t i;

	str_addc(out, '[');
	for (i = 0; i < o->nev; i++) {
		const struct oev *ev = &o->ev[i];
		const struct smember *m = o->nodes[ev->node].m;

		if (!ev->leave) {
			str_adds(out, ev->depth == 0 && i > 0 ? ",\n" : "\n");
			view_pad(out, 2 * (indent_of(ev->depth) + 1));
			str_adds(out, "{\"email\": ");
			str_add_json(out, m->email ? m->email : "");
			str_adds(out, ", \"name\": ");
			str_add_json(out, m->name ? m->name : "");
			str_adds(out, ", \"reports\": [");
			continue;
		}
		if (ev->kids) {
			str_addc(out, '\n');
			view_pad(out, 2 * (indent_of(ev->depth) + 1));
		}
		str_adds(out, ev->depth > 0 && !ev->last ? "]}," : "]}");
	}
	str_adds(out, o->nev ? "\n]\n" : "]\n");
}

int
view_orgchart(const struct snapshot *snap, const char *root,
	      enum out_format fmt, struct str *out, struct err *e)
{
	struct org o;
	char *key = NULL;
	void *p;
	size_t i;
	int rc = -1;

	org_build(&o, snap);
	if (root != NULL) {
		key = xstrdup(root);
		for (i = 0; key[i]; i++)
			key[i] = (char)tolower((unsigned char)key[i]);
		if ((p = hmap_get(&o.by_email, key)) == NULL) {
			struct str shown = STR_INIT;

			view_add_text(&shown, root, 0);
			err_set(e, "no member '%.200s'", str_cstr(&shown));
			str_release(&shown);
			goto out;
		}
		walk(&o, (size_t)p - 1);
	} else {
		walk_all(&o);
	}
	if (fmt == FMT_DOT)
		write_dot(&o, out);
	else if (fmt == FMT_JSON)
		write_json(&o, out);
	else
		write_tree(&o, out);
	rc = 0;
out:
	free(key);
	org_release(&o);
	return rc;
}
