/*
 * template: "{attr|filter:arg}" parsing and rendering (DESIGN §5).
 *
 * Templates are rendered for every record, so everything that can be is
 * done once at parse time (regexes compiled, default: arguments parsed
 * into templates).  Rendering works in the caller's output buffer: an
 * expression's value is appended, then each filter rewrites that tail in
 * place or builds its result after it and moves it back.  Nothing else is
 * allocated, except by libldap for the rdn filter.
 */
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dn.h"
#include "template.h"
#include "util/xmalloc.h"

#define MAX_DEPTH 16	/* nested default: templates */
#define MAX_GROUPS 10	/* \0 .. \9 */

enum tf_kind {
	TF_LOWER, TF_UPPER, TF_TRIM, TF_TITLE, TF_FIRST, TF_RDN,
	TF_DEFAULT, TF_STRIP_PREFIX, TF_REPLACE, TF_MATCH,
};

static const struct {
	const char *name;
	enum tf_kind kind;
	int needs_arg;
} filters[] = {
	{ "lower", TF_LOWER, 0 }, { "upper", TF_UPPER, 0 },
	{ "trim", TF_TRIM, 0 }, { "title", TF_TITLE, 0 },
	{ "first", TF_FIRST, 0 }, { "rdn", TF_RDN, 0 },
	{ "default", TF_DEFAULT, 1 }, { "strip_prefix", TF_STRIP_PREFIX, 1 },
	{ "replace", TF_REPLACE, 1 }, { "match", TF_MATCH, 1 },
};

struct tfilter {
	enum tf_kind kind;
	struct template *def;	/* default: */
	char *arg;		/* strip_prefix: text; replace: TO */
	regex_t re;		/* replace, match */
	int has_re;
};

struct tpart {
	char *lit;		/* literal text, when attr is NULL */
	size_t litlen;
	char *attr;
	struct tfilter *filters;
	size_t nfilters;
};

struct template {
	char *text;
	struct tpart *parts;
	size_t nparts;
};

struct tparser {
	const char *s;		/* the (sub)template being parsed */
	int base;		/* columns of s[0] in the outermost text, - 1 */
	int depth;
	int *errcol;
	struct err *e;
};

static int
fail(struct tparser *tp, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct tparser *tp, size_t at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (tp->errcol != NULL)
		*tp->errcol = tp->base + (int)at + 1;
	return err_set(tp->e, "%s", msg);
}

static void
tfilter_release(struct tfilter *f)
{
	template_free(f->def);
	free(f->arg);
	if (f->has_re)
		regfree(&f->re);
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nparts; i++) {
		struct tpart *p = &t->parts[i];

		for (size_t j = 0; j < p->nfilters; j++)
			tfilter_release(&p->filters[j]);
		free(p->filters);
		free(p->lit);
		free(p->attr);
	}
	free(t->parts);
	free(t->text);
	free(t);
}

static int
is_escapable(char c)
{
	return c != '\0' && strchr("{}|:\\", c) != NULL;
}

/* Template escapes become their character; any other backslash stays, so
 * regex escapes such as \w reach regcomp. */
static char *
unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && is_escapable(s[i + 1]))
			i++;
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

static struct tpart *
new_part(struct template *t)
{
	t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(*t->parts));
	memset(&t->parts[t->nparts], 0, sizeof(t->parts[0]));
	return &t->parts[t->nparts++];
}

static void
flush_literal(struct template *t, struct str *lit)
{
	struct tpart *p;

	if (lit->len == 0)
		return;
	p = new_part(t);
	p->litlen = lit->len;
	p->lit = str_detach(lit);
}

/* Scans a filter argument from s[*i]: up to the '|' or '}' that ends it at
 * nesting level 0.  Returns -1 at the end of text. */
static int
scan_arg(const char *s, size_t *i)
{
	int depth = 0;

	for (;; (*i)++) {
		char c = s[*i];

		if (c == '\0')
			return -1;
		if (c == '\\' && is_escapable(s[*i + 1]))
			(*i)++;
		else if (c == '{')
			depth++;
		else if ((c == '}' || c == '|') && depth == 0)
			return 0;
		else if (c == '}')
			depth--;
	}
}

static struct template *parse(struct tparser *tp);

/* glibc's ERE knows \w and \s but reads \d as a plain 'd'; mappings
 * written with \d would silently never match, so it becomes [0-9]
 * (outside bracket expressions, where a backslash is literal). */
static void
translate_re(const char *pat, struct str *out)
{
	int in_bracket = 0;

	for (const char *p = pat; *p; p++) {
		if (!in_bracket && p[0] == '\\' && (p[1] == 'd' || p[1] == 'D')) {
			str_adds(out, p[1] == 'd' ? "[0-9]" : "[^0-9]");
			p++;
		} else if (!in_bracket && p[0] == '\\' && p[1] != '\0') {
			str_add(out, p++, 2);
		} else {
			if (*p == '[' && !in_bracket) {
				in_bracket = 1;
				str_addc(out, *p);
				if (p[1] == '^')
					str_addc(out, *++p);
				if (p[1] == ']')	/* a leading ']' is literal */
					str_addc(out, *++p);
				continue;
			}
			if (*p == ']')
				in_bracket = 0;
			str_addc(out, *p);
		}
	}
}

static int
compile_re(struct tparser *tp, struct tfilter *f, const char *pat, size_t at)
{
	char msg[256];
	struct str ere = STR_INIT;
	int rc;

	translate_re(pat, &ere);
	rc = regcomp(&f->re, str_cstr(&ere), REG_EXTENDED);
	str_release(&ere);
	if (rc != 0) {
		regerror(rc, &f->re, msg, sizeof(msg));
		return fail(tp, at, "bad regular expression '%s': %s", pat, msg);
	}
	f->has_re = 1;
	return 0;
}

/* replace:RE:TO splits at the first unescaped ':'. */
static int
setup_replace(struct tparser *tp, struct tfilter *f, size_t at, size_t n)
{
	const char *a = tp->s + at;
	char *pat;
	size_t k;
	int rc;

	for (k = 0; k < n && a[k] != ':'; k++)
		if (a[k] == '\\' && k + 1 < n && is_escapable(a[k + 1]))
			k++;
	if (k >= n)
		return fail(tp, at, "replace needs 'RE:TO'");
	pat = unescape(a, k);
	rc = compile_re(tp, f, pat, at);
	free(pat);
	if (rc == 0)
		f->arg = unescape(a + k + 1, n - k - 1);
	return rc;
}

static int
setup_default(struct tparser *tp, struct tfilter *f, size_t at, size_t n)
{
	struct tparser sub = *tp;
	char *text = xstrndup(tp->s + at, n);

	sub.s = text;
	sub.base = tp->base + (int)at;
	sub.depth = tp->depth + 1;
	f->def = parse(&sub);
	free(text);
	return f->def != NULL ? 0 : -1;
}

static int
setup_filter(struct tparser *tp, struct tfilter *f, size_t at, size_t n)
{
	char *arg;
	int rc = 0;

	switch (f->kind) {
	case TF_DEFAULT:
		return setup_default(tp, f, at, n);
	case TF_REPLACE:
		return setup_replace(tp, f, at, n);
	case TF_MATCH:
		arg = unescape(tp->s + at, n);
		rc = compile_re(tp, f, arg, at);
		free(arg);
		return rc;
	case TF_STRIP_PREFIX:
		f->arg = unescape(tp->s + at, n);
		return 0;
	default:
		return 0;
	}
}

/* One "|name[:arg]" at s[*i] (just after the '|'). */
static int
parse_filter(struct tparser *tp, struct tpart *p, size_t *i, size_t open)
{
	const char *s = tp->s;
	size_t nstart = *i, nlen, at, k;
	struct tfilter *f;

	while (isalnum((unsigned char)s[*i]) || s[*i] == '_')
		(*i)++;
	nlen = *i - nstart;
	for (k = 0; k < sizeof(filters) / sizeof(filters[0]); k++)
		if (strlen(filters[k].name) == nlen &&
		    strncmp(filters[k].name, s + nstart, nlen) == 0)
			break;
	if (nlen == 0)
		return fail(tp, nstart, "missing filter name");
	if (k == sizeof(filters) / sizeof(filters[0]))
		return fail(tp, nstart, "unknown filter '%.*s'", (int)nlen,
			    s + nstart);
	if ((s[*i] == ':') != filters[k].needs_arg)
		return fail(tp, *i, filters[k].needs_arg ?
			    "filter '%s' needs an argument" :
			    "filter '%s' takes no argument", filters[k].name);
	p->filters = xrealloc(p->filters,
			      (p->nfilters + 1) * sizeof(*p->filters));
	f = &p->filters[p->nfilters++];
	memset(f, 0, sizeof(*f));
	f->kind = filters[k].kind;
	if (!filters[k].needs_arg)
		return 0;
	at = ++(*i);
	if (scan_arg(s, i) < 0)
		return fail(tp, open, "unterminated '{'");
	return setup_filter(tp, f, at, *i - at);
}

/* "{attr|filters}" with s[open] == '{'; *i ends after the '}'. */
static int
parse_expr(struct tparser *tp, struct template *t, size_t open, size_t *i)
{
	const char *s = tp->s;
	struct tpart *p = new_part(t);
	size_t a = open + 1, b;

	*i = a;
	while (s[*i] != '\0' && s[*i] != '|' && s[*i] != '}' && s[*i] != '{')
		(*i)++;
	if (s[*i] == '\0')
		return fail(tp, open, "unterminated '{'");
	if (s[*i] == '{')
		return fail(tp, *i, "unexpected '{' in attribute name");
	for (b = *i; b > a && isspace((unsigned char)s[b - 1]); b--)
		;
	while (a < b && isspace((unsigned char)s[a]))
		a++;
	if (a == b)
		return fail(tp, a, "missing attribute name");
	p->attr = xstrndup(s + a, b - a);
	while (s[*i] == '|') {
		(*i)++;
		if (parse_filter(tp, p, i, open) < 0)
			return -1;
	}
	if (s[*i] == '\0')
		return fail(tp, open, "unterminated '{'");
	if (s[*i] != '}')
		return fail(tp, *i, "unexpected '%c' in '{...}'", s[*i]);
	(*i)++;
	return 0;
}

static struct template *
parse(struct tparser *tp)
{
	struct template *t = xcalloc(1, sizeof(*t));
	struct str lit = STR_INIT;
	const char *s = tp->s;
	size_t i = 0;

	t->text = xstrdup(s);
	if (tp->depth > MAX_DEPTH) {
		fail(tp, 0, "templates nested too deeply");
		goto bad;
	}
	while (s[i] != '\0') {
		if (s[i] == '\\' && is_escapable(s[i + 1])) {
			str_addc(&lit, s[i + 1]);
			i += 2;
		} else if (s[i] == '{') {
			flush_literal(t, &lit);
			if (parse_expr(tp, t, i, &i) < 0)
				goto bad;
		} else if (s[i] == '}') {
			fail(tp, i, "unmatched '}'");
			goto bad;
		} else {
			str_addc(&lit, s[i++]);
		}
	}
	flush_literal(t, &lit);
	return t;
bad:
	str_release(&lit);
	template_free(t);
	return NULL;
}

struct template *
template_parse(const char *text, int *errcol, struct err *e)
{
	struct tparser tp = { text, 0, 0, errcol, e };

	if (text == NULL) {
		err_set(e, "missing template");
		return NULL;
	}
	return parse(&tp);
}

const char *
template_text(const struct template *t)
{
	return t->text;
}

int
template_is_plain_attr(const struct template *t, const char **attr)
{
	if (t->nparts != 1 || t->parts[0].attr == NULL ||
	    t->parts[0].nfilters != 0)
		return 0;
	*attr = t->parts[0].attr;
	return 1;
}

/* Rendering. */

struct rstate {
	struct str *prov;
	size_t prov_start;
	int took_default;
};

/* The str invariants (str.h) kept by hand where filters edit in place. */
static void
set_len(struct str *s, size_t len)
{
	s->len = len;
	s->buf[len] = '\0';
}

/* Appends s[off..off+n), a range already in s, without a temporary. */
static void
self_add(struct str *s, size_t off, size_t n)
{
	s->buf = xgrow(s->buf, &s->cap, s->len + n + 1, 1);
	memcpy(s->buf + s->len, s->buf + off, n);
	set_len(s, s->len + n);
}

/* Replaces the tail from start with the bytes built after it at from. */
static void
move_back(struct str *s, size_t start, size_t from)
{
	size_t n = s->len - from;

	memmove(s->buf + start, s->buf + from, n);
	set_len(s, start + n);
}

static int
is_word(unsigned char c)
{
	return isalnum(c) || c >= 0x80;	/* UTF-8 letters are never split */
}

static void
case_map(struct str *s, size_t start, enum tf_kind kind)
{
	for (size_t i = start; i < s->len; i++) {
		unsigned char c = (unsigned char)s->buf[i];
		int up = kind == TF_UPPER ||
			 (kind == TF_TITLE &&
			  (i == start || !is_word((unsigned char)s->buf[i - 1])));

		if (c >= 0x80)
			continue;
		s->buf[i] = (char)(up ? toupper(c) : tolower(c));
	}
}

static void
trim(struct str *s, size_t start)
{
	size_t a = start, b = s->len;

	while (b > a && isspace((unsigned char)s->buf[b - 1]))
		b--;
	while (a < b && isspace((unsigned char)s->buf[a]))
		a++;
	memmove(s->buf + start, s->buf + a, b - a);
	set_len(s, start + (b - a));
}

static void
strip_prefix(struct str *s, size_t start, const char *prefix)
{
	size_t n = strlen(prefix);

	if (s->len - start < n || strncasecmp(s->buf + start, prefix, n) != 0)
		return;
	memmove(s->buf + start, s->buf + start + n, s->len - start - n);
	set_len(s, s->len - n);
}

static void
rdn(struct str *s, size_t start)
{
	size_t from = s->len;

	/* dn_rdn_value() parses a copy, so appending to s is safe */
	if (start < s->len && dn_rdn_value(s->buf + start, s) == 0)
		move_back(s, start, from);
}

static void
match(struct str *s, size_t start, const regex_t *re)
{
	regmatch_t m[2];
	int g = re->re_nsub >= 1 ? 1 : 0;

	if (regexec(re, s->buf + start, 2, m, 0) != 0 || m[g].rm_so < 0) {
		set_len(s, start);
		return;
	}
	memmove(s->buf + start, s->buf + start + m[g].rm_so,
		(size_t)(m[g].rm_eo - m[g].rm_so));
	set_len(s, start + (size_t)(m[g].rm_eo - m[g].rm_so));
}

/* Appends TO with \N replaced by group N of the match at start. */
static void
add_replacement(struct str *s, size_t start, const char *to,
		const regmatch_t *m, size_t ngroups)
{
	for (const char *p = to; *p; p++) {
		size_t g;

		if (p[0] != '\\' || !isdigit((unsigned char)p[1])) {
			str_addc(s, *p);
			continue;
		}
		g = (size_t)(*++p - '0');
		if (g <= ngroups && m[g].rm_so >= 0)
			self_add(s, start + (size_t)m[g].rm_so,
				 (size_t)(m[g].rm_eo - m[g].rm_so));
	}
}

/* All matches in the tail [start, end) are replaced; the result is built
 * after end (REG_STARTEND: the subject needs no NUL) and moved back. */
static void
replace(struct str *s, size_t start, const struct tfilter *f)
{
	size_t end = s->len, slen = end - start, pos = 0;
	size_t ng = f->re.re_nsub < MAX_GROUPS ? f->re.re_nsub : MAX_GROUPS - 1;
	regmatch_t m[MAX_GROUPS];

	while (pos <= slen) {
		m[0].rm_so = (regoff_t)pos;
		m[0].rm_eo = (regoff_t)slen;
		if (regexec(&f->re, s->buf + start, MAX_GROUPS, m,
			    REG_STARTEND) != 0) {
			self_add(s, start + pos, slen - pos);
			break;
		}
		self_add(s, start + pos, (size_t)m[0].rm_so - pos);
		add_replacement(s, start, f->arg, m, ng);
		pos = (size_t)m[0].rm_eo;
		if (m[0].rm_eo == m[0].rm_so) {	/* empty match: step over */
			if (pos < slen)
				self_add(s, start + pos, 1);
			pos++;
		}
	}
	move_back(s, start, end);
}

static void render(const struct template *t, const struct record *r,
		   struct str *out, struct rstate *st);

static void
apply_filter(const struct tfilter *f, const struct record *r,
	     struct str *out, size_t start, struct rstate *st)
{
	switch (f->kind) {
	case TF_LOWER:
	case TF_UPPER:
	case TF_TITLE:
		case_map(out, start, f->kind);
		break;
	case TF_TRIM:
		trim(out, start);
		break;
	case TF_FIRST:
		break;
	case TF_RDN:
		rdn(out, start);
		break;
	case TF_DEFAULT:
		if (out->len == start) {
			render(f->def, r, out, st);
			st->took_default = 1;
		}
		break;
	case TF_STRIP_PREFIX:
		strip_prefix(out, start, f->arg);
		break;
	case TF_REPLACE:
		replace(out, start, f);
		break;
	case TF_MATCH:
		match(out, start, &f->re);
		break;
	}
}

/* Adds name to the comma-separated provenance list unless present. */
static void
prov_add(struct rstate *st, const char *name)
{
	const char *p = st->prov->buf ? st->prov->buf + st->prov_start : "";
	size_t n = strlen(name);

	while (*p) {
		size_t k = strcspn(p, ",");

		if (k == n && strncmp(p, name, n) == 0)
			return;
		p += k + (p[k] == ',');
	}
	if (st->prov->len > st->prov_start)
		str_addc(st->prov, ',');
	str_adds(st->prov, name);
}

static void
render_expr(const struct tpart *p, const struct record *r, struct str *out,
	    struct rstate *st)
{
	size_t start = out->len;
	const char *v = record_first(r, p->attr);
	int defaulted = 0;

	if (v != NULL)
		str_adds(out, v);
	if (out->buf == NULL)
		str_add(out, "", 0);	/* filters index buf */
	for (size_t i = 0; i < p->nfilters; i++) {
		defaulted |= p->filters[i].kind == TF_DEFAULT &&
			     out->len == start;
		apply_filter(&p->filters[i], r, out, start, st);
	}
	if (!defaulted && st->prov != NULL)
		prov_add(st, p->attr);
}

static void
render(const struct template *t, const struct record *r, struct str *out,
       struct rstate *st)
{
	for (size_t i = 0; i < t->nparts; i++) {
		const struct tpart *p = &t->parts[i];

		if (p->attr == NULL)
			str_add(out, p->lit, p->litlen);
		else
			render_expr(p, r, out, st);
	}
}

int
template_render(const struct template *t, const struct record *r,
		struct str *out, struct str *prov)
{
	struct rstate st = { prov, prov ? prov->len : 0, 0 };
	size_t before = out->len;

	render(t, r, out, &st);
	if (prov != NULL && st.took_default)
		str_adds(prov, prov->len > st.prov_start ? " (default)"
							 : "default");
	return out->len > before;
}

void
template_attrs(const struct template *t,
	       void (*fn)(void *arg, const char *name), void *arg)
{
	size_t i, k;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++) {
		if (t->parts[i].attr != NULL)
			fn(arg, t->parts[i].attr);
		for (k = 0; k < t->parts[i].nfilters; k++)
			template_attrs(t->parts[i].filters[k].def, fn, arg);
	}
}
