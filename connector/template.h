/*
 * template: "{attr|filter|filter:arg}" value templates (DESIGN §5).
 *
 * Literal text and {...} expressions; {attr} is the attribute's first
 * value.  Filters: lower, upper, trim, title, default:X (X is itself a
 * template, so "{displayName|default:{givenName} {sn}}" works), 
 * strip_prefix:X, replace:RE:TO (POSIX ERE with GNU \w etc, and \d read
 * as [0-9]; all matches),
 * match:RE (first capture group, or whole match; empty if none), rdn
 * (first RDN value of a DN), first.  "\{" "\}" "\|" "\:" escape.
 *
 * Compiled once at load (so `check` reports FILE:LINE:COL), rendered per
 * record.
 */
#ifndef HS_TEMPLATE_H
#define HS_TEMPLATE_H

#include "record.h"
#include "util/err.h"
#include "util/str.h"

struct template;

/* Parses text; returns a new template or NULL with e set and *errcol the
 * 1-based column in text. */
struct template *template_parse(const char *text, int *errcol, struct err *e);
void template_free(struct template *t);
/* Renders t for r, appending to out.  If prov is not NULL, appends a short
 * description of what produced the value: the attribute names read (comma
 * separated) and "default" when a default: fallback was taken, e.g.
 * "givenName,sn (default)".  Returns 1 if anything non-empty was
 * produced, else 0. */
int template_render(const struct template *t, const struct record *r,
		    struct str *out, struct str *prov);
/* Calls fn(arg, name) for every attribute t reads (defaults included);
 * t may be NULL.  Names may repeat. */
void template_attrs(const struct template *t,
		    void (*fn)(void *arg, const char *name), void *arg);
/* The source text it was parsed from (for preview). */
const char *template_text(const struct template *t);
/* 1 if the template is exactly "{attr}" with no filters; sets *attr. */
int template_is_plain_attr(const struct template *t, const char **attr);

#endif
