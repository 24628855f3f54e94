/*
 * yaml_tree: a small document tree over libyaml (not named yaml.h: with
 * -Iconnector that would shadow <yaml.h>), with the position of every
 * node, so that config and mapping errors can say FILE:LINE:COL.
 *
 * Only what config files need: mappings (keys are scalars, unique),
 * sequences and scalars.  Anchors are ignored and aliases are rejected
 * ("aliases are not supported"): a config is read by people, and an alias
 * that silently shares a subtree makes an error position ambiguous.
 * Only the first document of a stream is read; a second one is an error.
 *
 * Ownership: yaml_tree_free() frees the tree and every node in it; node
 * pointers are valid until then.
 */
#ifndef HS_YAML_TREE_H
#define HS_YAML_TREE_H

#include <stddef.h>

#include "util/err.h"

enum ynode_kind { YNODE_MAP, YNODE_SEQ, YNODE_SCALAR };

struct ynode {
	enum ynode_kind kind;
	int line, col;		/* 1-based; for a quoted scalar, of the quote */
	int quoted;		/* scalar: 1 if '...' or "..." (offsets +1) */
	int block;		/* scalar: 1 if | or > (columns meaningless) */
	char *str;		/* scalar text, NUL-terminated, no inner NUL */
	size_t len;
	/* map: keys[i] (scalars) -> items[i]; seq: items[i] */
	struct ynode **keys;
	struct ynode **items;
	size_t n, cap;
};

struct yaml_tree {
	char *path;		/* as given, for messages */
	struct ynode *root;	/* NULL for an empty document */
};

/* Reads and parses path.  On success sets *out (yaml_tree_free it).
 * Errors: "PATH:LINE:COL: message" (ERR_CONFIG) for syntax, or
 * "cannot read 'PATH': reason" (ERR_GENERIC) when the file cannot be
 * opened. */
int yaml_tree_load(const char *path, struct yaml_tree **out, struct err *e);
/* Same from a buffer; path is used only in messages. */
int yaml_tree_parse(const char *path, const char *buf, size_t len,
		    struct yaml_tree **out, struct err *e);
void yaml_tree_free(struct yaml_tree *t);

/* The value of key in map (exact, case-sensitive), or NULL when absent or
 * when map is NULL or not a map.  *keynode (if not NULL) gets the key
 * node. */
const struct ynode *yaml_tree_get(const struct ynode *map, const char *key,
			     const struct ynode **keynode);
/* "a mapping", "a list" or "a string", for messages. */
const char *yaml_tree_kind_name(enum ynode_kind k);

/*
 * Typed access for config readers.  Every error is "PATH:LINE:COL:
 * message" (ERR_CONFIG) at the node that is wrong, or at the map for a
 * missing key.  A plain empty, "~" or "null" value counts as absent.
 * where names the enclosing section in messages ("in source").
 */

/* Sets e at n (or 1:1 when n is NULL); returns -1. */
int yaml_tree_error(const struct yaml_tree *t, const struct ynode *n,
		    struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Sets e at column col (1-based) of scalar n's text, e.g. where a
 * template parser stopped.  Quoted scalars start one column after their
 * mark; escapes and folded lines make it approximate, which is good
 * enough to find a typo.  Returns -1. */
int yaml_tree_error_col(const struct yaml_tree *t, const struct ynode *n,
			int col, struct err *e, const char *msg);
/* 1 if n is absent or a null scalar. */
int yaml_tree_is_null(const struct ynode *n);
/* Fails on the first key of map not in allowed (NULL-terminated):
 * "unknown key 'foo' in WHERE". */
int yaml_tree_check_keys(const struct yaml_tree *t, const struct ynode *map,
			 const char *const *allowed, const char *where,
			 struct err *e);
/* Looks up key in map and checks its kind.  Absent: *out = NULL and 0,
 * or "missing required key 'KEY' in WHERE" if required.  Wrong kind:
 * "'KEY' must be a mapping, not a string". */
int yaml_tree_child(const struct yaml_tree *t, const struct ynode *map,
		    const char *key, enum ynode_kind kind, int required,
		    const char *where, const struct ynode **out,
		    struct err *e);
/* Checks that n has kind (what names it in the message). */
int yaml_tree_expect(const struct yaml_tree *t, const struct ynode *n,
		     enum ynode_kind kind, const char *what, struct err *e);
/* A scalar value as a new string (*out untouched when absent). */
int yaml_tree_str(const struct yaml_tree *t, const struct ynode *map,
		  const char *key, int required, const char *where,
		  char **out, struct err *e);
/* An integer in [min, max] (*out untouched when absent). */
int yaml_tree_int(const struct yaml_tree *t, const struct ynode *map,
		  const char *key, long min, long max, int *out,
		  struct err *e);
/* true/false (also yes/no, on/off), *out untouched when absent. */
int yaml_tree_bool(const struct yaml_tree *t, const struct ynode *map,
		   const char *key, int *out, struct err *e);

#endif
