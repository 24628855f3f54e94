/*
 * filter: RFC 4515 search filters, compiled once and evaluated locally on
 * records (mapping include/when/eligible/priority), plus the escaping of
 * values placed into server-side filters.
 *
 * Matching: attribute names case-insensitive; values compared
 * case-insensitively (caseIgnoreMatch, the common syntax of the attributes
 * mappings use); values that both parse as DNs compare by dn_normalize()
 * (memberOf, manager).  Supported: & | ! = (equality) =* (presence)
 * substrings, >= <= (case-insensitive ordering, numeric when both sides
 * are integers), ~= (as equality), and extensible matches
 * "attr:rule:=value" (rule ignored, evaluated as equality; note that
 * AD's in-chain rule 1.2.840.113556.1.4.1941 is satisfied locally because
 * recordset_link_groups() expands nested memberOf).
 */
#ifndef HS_FILTER_H
#define HS_FILTER_H

#include "record.h"
#include "util/err.h"
#include "util/str.h"

struct filter;

/* Parses text; returns a new filter (filter_free it) or NULL with e set
 * and *errcol (if not NULL) the 1-based column of the problem in text. */
struct filter *filter_parse(const char *text, int *errcol, struct err *e);
void filter_free(struct filter *f);
/* 1 if r matches f.  A NULL filter matches everything. */
int filter_match(const struct filter *f, const struct record *r);

/* Calls fn(arg, name) for every attribute f tests; f may be NULL. */
void filter_attrs(const struct filter *f,
		  void (*fn)(void *arg, const char *name), void *arg);

/* Appends val escaped for use as an assertion value (RFC 4515 §3:
 * * ( ) \ NUL and non-ASCII-safe bytes as \XX). */
void filter_escape(struct str *out, const char *val);

#endif
