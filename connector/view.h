/*
 * view: output helpers shared by the plan text format and the read-only
 * views (members, orgchart, teams, groups: DESIGN §3), and the views'
 * formatting functions themselves.
 *
 * Every value printed here may come from a hostile directory: a name with
 * a newline could forge a plan line, an ESC sequence could drive the
 * terminal, invalid UTF-8 could break a JSON consumer.  So text output goes
 * through view_add_text() (escapes controls, cleans UTF-8), JSON through
 * str_add_json(), CSV through view_add_csv().
 *
 * The view_members() ... view_groups() functions (view_members.c,
 * view_orgchart.c, view_teams.c) take a snapshot and append to a struct
 * str: they need no store, so tests build a struct snapshot by hand.  The
 * cmd_<name>() commands only parse options and call view_cmd_run()
 * (view_cmd.c, kept apart because it needs main.c's ctx_open_store()).
 */
#ifndef HS_VIEW_H
#define HS_VIEW_H

#include <stddef.h>

#include "cmd.h"
#include "store.h"
#include "util/err.h"
#include "util/str.h"

/* Appends s for a terminal: invalid UTF-8 becomes U+FFFD; control
 * characters (C0, DEL, C1), line/paragraph separators and bidi overrides
 * become \n, \t, \r or \xNN / \uNNNN.  With quoted, also escapes '"' and
 * '\\' and adds the surrounding quotes.  s NULL appends "(none)". */
void view_add_text(struct str *out, const char *s, int quoted);
/* Display columns of a valid UTF-8 string: wide (CJK, emoji) characters
 * count 2, combining marks and zero-width characters 0. */
size_t view_width(const char *s);
/* Appends n spaces. */
void view_pad(struct str *out, size_t n);

/* A text table: cells are cleaned copies (view_add_text) owned by the
 * table; view_table_write() pads columns to their widest cell, two spaces
 * apart, without trailing blanks. */
struct view_table {
	size_t ncols;
	char **cells;		/* row-major, ncols per row, header first */
	size_t ncells, capcells;
};

void view_table_init(struct view_table *t, size_t ncols);
void view_table_release(struct view_table *t);
/* Adds one cell (rows fill left to right); NULL or "" shows as "-". */
void view_table_cell(struct view_table *t, const char *s);
void view_table_write(const struct view_table *t, struct str *out);

/* Appends one CSV field (RFC 4180): quoted if it holds a comma, quote, CR
 * or LF; a leading = + - @ TAB CR gets a "'" (formula injection). */
void view_add_csv(struct str *out, const char *s);

/* Option parsing for the views: matches argv[*i] against "--name VALUE" or
 * "--name=VALUE".  Returns 1 (and *val, advancing *i past a separate
 * value), 0 if argv[*i] is another argument, -1 if the value is missing. */
int view_opt(int argc, char **argv, int *i, const char *name,
	     const char **val);
/* Parses a --format value against the allowed names (NULL-terminated,
 * parallel to fmts).  Returns 0, or -1 with e set. */
/* The options of members and orgchart: "--OPT VALUE" (into *optval)
 * and "--format F" (F one of names, mapped through fmts into *fmt), in
 * any order.  Returns 0, or -1 with e set to usage. */
int view_args(int argc, char **argv, const char *opt, const char **optval,
	      const char *const *names, const enum out_format *fmts,
	      enum out_format *fmt, const char *usage, struct err *e);
int view_format(const char *val, const char *const *names,
		const enum out_format *fmts, enum out_format *out,
		struct err *e);
/* Opens the store, snapshots it (all jobs), hands it to fn, prints the
 * output to stdout.  Returns CMD_OK, or -1 with ctx->err set (by the
 * store or by fn). */
int view_cmd_run(struct ctx *ctx,
	     int (*fn)(const struct snapshot *snap, void *arg, struct str *out,
		       struct err *e),
	     void *arg);

/* The views.  Each appends to out.  members: search (NULL: all) is a
 * case-insensitive substring of name or email; fmt FMT_TEXT (table),
 * FMT_JSON or FMT_CSV.  orgchart: root is an email (NULL: every root); fmt
 * FMT_TEXT (tree), FMT_DOT or FMT_JSON; returns -1 with e set for an
 * unknown root. */
void view_members(const struct snapshot *snap, const char *search,
		  enum out_format fmt, struct str *out);
int view_orgchart(const struct snapshot *snap, const char *root,
		  enum out_format fmt, struct str *out, struct err *e);
void view_teams(const struct snapshot *snap, struct str *out);
void view_groups(const struct snapshot *snap, struct str *out);

#endif
