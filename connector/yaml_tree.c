#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "util/xmalloc.h"
#include "yaml_tree.h"

/* Deeper nesting is no config anyone writes; the bound keeps the
 * recursive free and lookups safe on hostile input. */
#define MAX_DEPTH 64
/* A config or mapping file is a few KiB; refuse to slurp a disk image. */
#define MAX_FILE (16u << 20)

struct builder {
	const char *path;
	struct err *e;
	struct ynode *root;
	struct ynode *stack[MAX_DEPTH];
	struct ynode *key[MAX_DEPTH];	/* map key waiting for its value */
	int depth;
	int docs;
};

static void
node_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		if (n->keys)
			node_free(n->keys[i]);
		node_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->str);
	free(n);
}

static struct ynode *
node_new(enum ynode_kind kind, const yaml_mark_t *m)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = (int)(m->line + 1);
	n->col = (int)(m->column + 1);
	return n;
}

const char *
yaml_tree_kind_name(enum ynode_kind k)
{
	switch (k) {
	case YNODE_MAP:
		return "a mapping";
	case YNODE_SEQ:
		return "a list";
	default:
		return "a string";
	}
}

const struct ynode *
yaml_tree_get(const struct ynode *map, const char *key,
	 const struct ynode **keynode)
{
	size_t i;

	if (map == NULL || map->kind != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++) {
		if (strcmp(map->keys[i]->str, key) == 0) {
			if (keynode)
				*keynode = map->keys[i];
			return map->items[i];
		}
	}
	return NULL;
}

static void
append(struct ynode *parent, struct ynode *key, struct ynode *val)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->items = xrealloc(parent->items,
					 parent->cap * sizeof(*parent->items));
		if (parent->kind == YNODE_MAP)
			parent->keys = xrealloc(parent->keys, parent->cap *
						sizeof(*parent->keys));
	}
	if (key)
		parent->keys[parent->n] = key;
	parent->items[parent->n++] = val;
}

/* Attaches n to the node being built.  On error n is freed. */
static int
attach(struct builder *b, struct ynode *n)
{
	struct ynode *parent;
	struct ynode **key;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (parent->kind == YNODE_SEQ) {
		append(parent, NULL, n);
		return 0;
	}
	key = &b->key[b->depth - 1];
	if (*key != NULL) {
		append(parent, *key, n);
		*key = NULL;
		return 0;
	}
	if (n->kind != YNODE_SCALAR) {
		err_setpos(b->e, b->path, n->line, n->col,
			   "a key must be a string, not %s",
			   yaml_tree_kind_name(n->kind));
		node_free(n);
		return -1;
	}
	if (yaml_tree_get(parent, n->str, NULL) != NULL) {
		err_setpos(b->e, b->path, n->line, n->col,
			   "duplicate key '%.100s'", n->str);
		node_free(n);
		return -1;
	}
	*key = n;
	return 0;
}

static int
on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct ynode *n = node_new(YNODE_SCALAR, &ev->start_mark);
	size_t len = ev->data.scalar.length;
	const char *v = (const char *)ev->data.scalar.value;

	if (memchr(v, '\0', len) != NULL) {
		err_setpos(b->e, b->path, n->line, n->col,
			   "value contains a NUL byte");
		node_free(n);
		return -1;
	}
	n->str = xstrndup(v, len);
	n->len = len;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->quoted = 1;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		n->block = 1;
		break;
	default:
		break;
	}
	return attach(b, n);
}

static int
on_start(struct builder *b, enum ynode_kind kind, const yaml_mark_t *m)
{
	struct ynode *n;

	if (b->depth == MAX_DEPTH)
		return err_setpos(b->e, b->path, (int)m->line + 1,
				  (int)m->column + 1, "nesting too deep");
	n = node_new(kind, m);
	if (attach(b, n) < 0)
		return -1;
	b->key[b->depth] = NULL;
	b->stack[b->depth++] = n;
	return 0;
}

/* Handles one event; returns 1 at the end of the stream, 0 to go on,
 * -1 on error. */
static int
on_event(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (b->docs++ > 0)
			return err_setpos(b->e, b->path, (int)m->line + 1,
					  (int)m->column + 1,
					  "only one YAML document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return err_setpos(b->e, b->path, (int)m->line + 1,
				  (int)m->column + 1,
				  "aliases are not supported");
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, YNODE_SEQ, m);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, YNODE_MAP, m);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	default:
		return 0;
	}
}

/* Reader errors (bad UTF-8) carry a byte offset, not a mark. */
static void
offset_pos(const char *buf, size_t len, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			++*line;
			*col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			++*col;
		}
	}
}

static int
parser_error(struct builder *b, const yaml_parser_t *p, const char *buf,
	     size_t len)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	int line = (int)p->problem_mark.line + 1;
	int col = (int)p->problem_mark.column + 1;

	if (p->error == YAML_MEMORY_ERROR) {
		fprintf(stderr, "harmony-sync: out of memory in libyaml\n");
		abort();
	}
	if (p->error == YAML_READER_ERROR) {
		offset_pos(buf, len, p->problem_offset, &line, &col);
		return err_setpos(b->e, b->path, line, col, "%s", problem);
	}
	if (p->context)
		return err_setpos(b->e, b->path, line, col, "%s %s", problem,
				  p->context);
	return err_setpos(b->e, b->path, line, col, "%s", problem);
}

int
yaml_tree_parse(const char *path, const char *buf, size_t len,
		struct yaml_tree **out, struct err *e)
{
	struct builder b;
	yaml_parser_t p;
	yaml_event_t ev;
	struct yaml_tree *t;
	int rc = 0, i;

	memset(&b, 0, sizeof(b));
	b.path = path;
	b.e = e;
	if (!yaml_parser_initialize(&p)) {
		fprintf(stderr, "harmony-sync: out of memory in libyaml\n");
		abort();
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parser_error(&b, &p, buf, len);
			break;
		}
		rc = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc < 0) {
		for (i = 0; i < MAX_DEPTH; i++)
			node_free(b.key[i]);
		node_free(b.root);
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	t->path = xstrdup(path);
	t->root = b.root;
	*out = t;
	return 0;
}

static int
slurp(const char *path, char **buf, size_t *len, struct err *e)
{
	FILE *f = NULL;
	char *p = NULL;
	size_t n = 0, cap = 0, got;
	int rc = -1;

	f = fopen(path, "rb");
	if (f == NULL) {
		err_set(e, "cannot read '%.200s': %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		p = xgrow(p, &cap, n + 4096, 1);
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (n > MAX_FILE) {
			err_set(e, "cannot read '%.200s': file too large", path);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		err_set(e, "cannot read '%.200s': %s", path, strerror(errno));
		goto out;
	}
	*buf = p;
	*len = n;
	p = NULL;
	rc = 0;
out:
	if (f)
		fclose(f);
	free(p);
	return rc;
}

int
yaml_tree_load(const char *path, struct yaml_tree **out, struct err *e)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (slurp(path, &buf, &len, e) < 0)
		return -1;
	rc = yaml_tree_parse(path, buf, len, out, e);
	free(buf);
	return rc;
}

void
yaml_tree_free(struct yaml_tree *t)
{
	if (t == NULL)
		return;
	node_free(t->root);
	free(t->path);
	free(t);
}

int
yaml_tree_error(const struct yaml_tree *t, const struct ynode *n,
		struct err *e, const char *fmt, ...)
{
	char buf[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return err_setpos(e, t->path, n ? n->line : 1, n ? n->col : 1, "%s",
			  buf);
}

int
yaml_tree_error_col(const struct yaml_tree *t, const struct ynode *n,
		    int col, struct err *e, const char *msg)
{
	int c = n->col;

	if (!n->block && col > 0)
		c += n->quoted + col - 1;
	return err_setpos(e, t->path, n->line, c, "%s", msg);
}

int
yaml_tree_is_null(const struct ynode *n)
{
	if (n == NULL)
		return 1;
	if (n->kind != YNODE_SCALAR || n->quoted || n->block)
		return 0;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	       strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	       strcmp(n->str, "NULL") == 0;
}

int
yaml_tree_check_keys(const struct yaml_tree *t, const struct ynode *map,
		     const char *const *allowed, const char *where,
		     struct err *e)
{
	size_t i, j;

	if (map == NULL || map->kind != YNODE_MAP)
		return 0;
	for (i = 0; i < map->n; i++) {
		for (j = 0; allowed[j]; j++)
			if (strcmp(map->keys[i]->str, allowed[j]) == 0)
				break;
		if (allowed[j] == NULL)
			return yaml_tree_error(t, map->keys[i], e,
					       "unknown key '%.100s' in %s",
					       map->keys[i]->str, where);
	}
	return 0;
}

int
yaml_tree_expect(const struct yaml_tree *t, const struct ynode *n,
		 enum ynode_kind kind, const char *what, struct err *e)
{
	if (n->kind == kind)
		return 0;
	return yaml_tree_error(t, n, e, "'%s' must be %s, not %s", what,
			       yaml_tree_kind_name(kind),
			       yaml_tree_kind_name(n->kind));
}

int
yaml_tree_child(const struct yaml_tree *t, const struct ynode *map,
		const char *key, enum ynode_kind kind, int required,
		const char *where, const struct ynode **out, struct err *e)
{
	const struct ynode *n = yaml_tree_get(map, key, NULL);

	if (yaml_tree_is_null(n)) {
		*out = NULL;
		if (required)
			return yaml_tree_error(t, map, e,
					       "missing required key '%s' in %s",
					       key, where);
		return 0;
	}
	if (yaml_tree_expect(t, n, kind, key, e) < 0)
		return -1;
	*out = n;
	return 0;
}

int
yaml_tree_str(const struct yaml_tree *t, const struct ynode *map,
	      const char *key, int required, const char *where, char **out,
	      struct err *e)
{
	const struct ynode *n;

	if (yaml_tree_child(t, map, key, YNODE_SCALAR, required, where, &n,
			    e) < 0)
		return -1;
	if (n) {
		free(*out);
		*out = xstrdup(n->str);
	}
	return 0;
}

int
yaml_tree_int(const struct yaml_tree *t, const struct ynode *map,
	      const char *key, long min, long max, int *out, struct err *e)
{
	const struct ynode *n;
	char *end;
	long v;

	if (yaml_tree_child(t, map, key, YNODE_SCALAR, 0, NULL, &n, e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	errno = 0;
	v = strtol(n->str, &end, 10);
	if (n->len == 0 || *end != '\0' || errno != 0)
		return yaml_tree_error(t, n, e, "'%s' must be an integer", key);
	if (v < min || v > max)
		return yaml_tree_error(t, n, e, "'%s' must be between %ld and %ld",
				       key, min, max);
	*out = (int)v;
	return 0;
}

int
yaml_tree_bool(const struct yaml_tree *t, const struct ynode *map,
	       const char *key, int *out, struct err *e)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	const struct ynode *n;
	int i;

	if (yaml_tree_child(t, map, key, YNODE_SCALAR, 0, NULL, &n, e) < 0)
		return -1;
	if (n == NULL)
		return 0;
	for (i = 0; yes[i]; i++) {
		if (strcasecmp(n->str, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(n->str, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return yaml_tree_error(t, n, e, "'%s' must be true or false", key);
}
