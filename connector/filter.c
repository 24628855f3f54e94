/*
 * filter: RFC 4515 parser and local evaluation on records.
 *
 * Filters run for every record and every mapping rule, so all the work
 * that does not depend on the record is done at parse time: values are
 * unescaped, DN assertions normalised, integers converted.  Matching an
 * equality allocates nothing unless a record value is a DN whose spelling
 * needs libldap to compare (dn_needs_normalize).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dn.h"
#include "filter.h"
#include "util/xmalloc.h"

enum filter_op { F_AND, F_OR, F_NOT, F_EQ, F_PRESENT, F_SUB, F_GE, F_LE };

struct filter {
	enum filter_op op;
	char *attr;
	char *val;		/* EQ, GE, LE: unescaped assertion value */
	char *dnnorm;		/* EQ: its normal form, if it is a DN */
	int never;		/* the value holds a NUL: record values cannot */
	int isnum;
	long long num;
	char *initial, *final;	/* SUB: NULL when absent */
	char **any;
	size_t nany;
	struct filter **kids;
	size_t nkids;
};

struct parser {
	const char *text, *p;
	int errcol;
	struct err *e;
};

static int
fail(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->errcol = (int)(at - ps->text) + 1;
	return err_set(ps->e, "%s", msg);
}

void
filter_free(struct filter *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nkids; i++)
		filter_free(f->kids[i]);
	for (size_t i = 0; i < f->nany; i++)
		free(f->any[i]);
	free(f->kids);
	free(f->any);
	free(f->attr);
	free(f->val);
	free(f->dnnorm);
	free(f->initial);
	free(f->final);
	free(f);
}

static void
skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
	       *ps->p == '\r')
		ps->p++;
}

/* Attribute descriptions, plus the SCIM path characters of record.h
 * ("emails[primary].value"). */
static int
is_attr_char(char c)
{
	return isalnum((unsigned char)c) ||
	       (c != '\0' && strchr("-._;[]", c) != NULL);
}

/* Unescapes raw[0..n) (already validated); sets *nul if a \00 appeared. */
static char *
unescape(const char *raw, size_t n, int *nul)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (raw[i] == '\\') {
			*o = (char)(hex_digit(raw[i + 1]) * 16 +
				    hex_digit(raw[i + 2]));
			if (*o == '\0')
				*nul = 1;
			o++;
			i += 2;
		} else {
			*o++ = raw[i];
		}
	}
	*o = '\0';
	return out;
}

/* Scans an assertion value up to ')' or the end; returns its length and
 * counts unescaped '*'. */
static int
scan_value(struct parser *ps, size_t *len, size_t *stars)
{
	const char *p = ps->p;

	*stars = 0;
	for (; *p != '\0' && *p != ')'; p++) {
		if (*p == '(')
			return fail(ps, p, "unescaped '(' in value");
		if (*p == '*')
			(*stars)++;
		if (*p != '\\')
			continue;
		if (hex_digit(p[1]) < 0 || hex_digit(p[2]) < 0) {
			int show = p[1] == '\0' ? 0 : p[2] == '\0' ? 1 : 2;

			return fail(ps, p, "bad escape '\\%.*s'", show, p + 1);
		}
		p += 2;
	}
	*len = (size_t)(p - ps->p);
	return 0;
}

static int
parse_int(const char *s, long long *out)
{
	char *end;

	if (!(isdigit((unsigned char)*s) ||
	      ((*s == '-' || *s == '+') && isdigit((unsigned char)s[1]))))
		return 0;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* Empty initial/final parts mean "absent". */
static char *
nonempty(char *s)
{
	if (*s != '\0')
		return s;
	free(s);
	return NULL;
}

static void
set_substrings(struct filter *f, const char *raw, size_t n)
{
	const char *piece = raw, *end = raw + n;
	int nul = 0;

	f->op = F_SUB;
	for (const char *p = raw; p <= end; p++) {
		char *s;

		if (p < end && *p != '*')
			continue;
		s = unescape(piece, (size_t)(p - piece), &nul);
		if (piece == raw)
			f->initial = nonempty(s);
		else if (p == end)
			f->final = nonempty(s);
		else if ((s = nonempty(s)) != NULL) {	/* "a**b" adds none */
			f->any = xrealloc(f->any, (f->nany + 1) * sizeof(*f->any));
			f->any[f->nany++] = s;
		}
		piece = p + 1;
	}
	f->never = nul;
}

static void
set_value(struct filter *f, const char *raw, size_t n)
{
	f->val = unescape(raw, n, &f->never);
	if (f->op == F_EQ && strchr(f->val, '=') != NULL) {
		struct str s = STR_INIT;

		if (dn_normalize(f->val, &s) == 0)
			f->dnnorm = str_detach(&s);
		str_release(&s);
	}
	f->isnum = parse_int(f->val, &f->num);
}

/* attr:dn:1.2.3:=value -- everything between attr and ":=" is ignored. */
static int
parse_extensible(struct parser *ps)
{
	while (*ps->p == ':') {
		const char *start = ++ps->p;

		if (*ps->p == '=') {
			ps->p++;
			return 0;
		}
		while (isalnum((unsigned char)*ps->p) || *ps->p == '.' ||
		       *ps->p == '-')
			ps->p++;
		if (ps->p == start)
			return fail(ps, start, "bad matching rule");
	}
	return fail(ps, ps->p, "missing ':='");
}

static int
parse_op(struct parser *ps, struct filter *f)
{
	const char *p = ps->p;

	if (*p == ':')
		return f->op = F_EQ, parse_extensible(ps);
	if (*p == '=')
		return f->op = F_EQ, ps->p += 1, 0;
	if ((*p == '~' || *p == '>' || *p == '<') && p[1] == '=') {
		f->op = *p == '>' ? F_GE : *p == '<' ? F_LE : F_EQ;
		ps->p += 2;
		return 0;
	}
	if (*p == '\0' || *p == ')' || *p == '~' || *p == '>' || *p == '<')
		return fail(ps, p, "missing '='");
	return fail(ps, p, "bad character '%c' in attribute name", *p);
}

/* attr OP value, up to (not including) ')' or the end of text. */
static struct filter *
parse_item(struct parser *ps)
{
	struct filter *f = xcalloc(1, sizeof(*f));
	const char *start = ps->p, *vstart;
	size_t n = 0, stars = 0;
	int plain_eq;

	while (is_attr_char(*ps->p))
		ps->p++;
	if (ps->p == start) {
		fail(ps, start, "missing attribute name");
		goto bad;
	}
	f->attr = xstrndup(start, (size_t)(ps->p - start));
	plain_eq = *ps->p == '=';
	if (parse_op(ps, f) < 0)
		goto bad;
	vstart = ps->p;
	if (scan_value(ps, &n, &stars) < 0)
		goto bad;
	ps->p += n;
	if (stars > 0 && !plain_eq) {
		fail(ps, strchr(vstart, '*'), "unescaped '*' in value");
		goto bad;
	}
	if (stars == 1 && n == 1)
		f->op = F_PRESENT;
	else if (stars > 0)
		set_substrings(f, vstart, n);
	else
		set_value(f, vstart, n);
	return f;
bad:
	filter_free(f);
	return NULL;
}

static struct filter *parse_paren(struct parser *ps);

static struct filter *
parse_list(struct parser *ps, struct filter *f)
{
	for (;;) {
		struct filter *k;

		skip_ws(ps);
		if (*ps->p != '(')
			return f;
		if ((k = parse_paren(ps)) == NULL)
			return NULL;
		f->kids = xrealloc(f->kids, (f->nkids + 1) * sizeof(*f->kids));
		f->kids[f->nkids++] = k;
	}
}

static struct filter *
parse_body(struct parser *ps)
{
	struct filter *f;
	char c = *ps->p;

	if (c != '&' && c != '|' && c != '!')
		return parse_item(ps);
	f = xcalloc(1, sizeof(*f));
	f->op = c == '&' ? F_AND : c == '|' ? F_OR : F_NOT;
	ps->p++;
	if (parse_list(ps, f) == NULL)
		goto bad;
	if (f->op == F_NOT && f->nkids != 1) {
		fail(ps, ps->p, "'!' needs exactly one filter");
		goto bad;
	}
	return f;
bad:
	filter_free(f);
	return NULL;
}

/* '(' body ')' */
static struct filter *
parse_paren(struct parser *ps)
{
	const char *open = ps->p;
	struct filter *f;

	ps->p++;
	if ((f = parse_body(ps)) == NULL)
		return NULL;
	if (*ps->p == ')') {
		ps->p++;
		return f;
	}
	if (*ps->p == '\0')
		fail(ps, open, "unbalanced parenthesis");
	else
		fail(ps, ps->p, "unexpected '%c'", *ps->p);
	filter_free(f);
	return NULL;
}

struct filter *
filter_parse(const char *text, int *errcol, struct err *e)
{
	struct parser ps = { text, text, 0, e };
	struct filter *f;

	skip_ws(&ps);
	if (*ps.p == '\0') {
		fail(&ps, ps.p, "empty filter");
		goto bad;
	}
	/* "mail=*" without the outer parentheses, as people write it */
	f = *ps.p == '(' ? parse_paren(&ps) : parse_body(&ps);
	if (f == NULL)
		goto bad;
	skip_ws(&ps);
	if (*ps.p != '\0') {
		filter_free(f);
		fail(&ps, ps.p, *ps.p == ')' ? "unbalanced parenthesis"
					      : "unexpected text after filter");
		goto bad;
	}
	return f;
bad:
	if (errcol != NULL)
		*errcol = ps.errcol;
	return NULL;
}

/* Matching. */

static int
match_eq(const struct filter *f, const char *v)
{
	struct str s = STR_INIT;
	int ok;

	if (strcasecmp(v, f->val) == 0)
		return 1;
	if (f->dnnorm == NULL || strchr(v, '=') == NULL)
		return 0;
	if (!dn_needs_normalize(v))
		return strcasecmp(v, f->dnnorm) == 0;
	ok = dn_normalize(v, &s) == 0 && strcmp(s.buf, f->dnnorm) == 0;
	str_release(&s);
	return ok;
}

static int
match_order(const struct filter *f, const char *v)
{
	long long n;
	int c;

	if (f->isnum && parse_int(v, &n))
		c = (n > f->num) - (n < f->num);
	else
		c = strcasecmp(v, f->val);
	return f->op == F_GE ? c >= 0 : c <= 0;
}

static int
match_sub(const struct filter *f, const char *v)
{
	size_t len = strlen(v), flen = f->final ? strlen(f->final) : 0;
	const char *p = v, *end = v + len;

	if (f->initial != NULL) {
		size_t n = strlen(f->initial);

		if (n > len || strncasecmp(v, f->initial, n) != 0)
			return 0;
		p += n;
	}
	for (size_t i = 0; i < f->nany; i++) {
		const char *hit = strcasestr(p, f->any[i]);

		if (hit == NULL)
			return 0;
		p = hit + strlen(f->any[i]);
	}
	if (f->final == NULL)
		return 1;
	return (size_t)(end - p) >= flen &&
	       strcasecmp(end - flen, f->final) == 0;
}

static int
match_value(const struct filter *f, const char *v)
{
	switch (f->op) {
	case F_EQ:
		return match_eq(f, v);
	case F_GE:
	case F_LE:
		return match_order(f, v);
	case F_SUB:
		return match_sub(f, v);
	default:
		return 0;
	}
}

static int
match_attr(const struct filter *f, const struct record *r)
{
	const struct attr *a = record_attr(r, f->attr);

	if (a == NULL)
		return 0;
	if (f->op == F_PRESENT)
		return a->n > 0;
	if (f->never)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (match_value(f, a->vals[i]))
			return 1;
	return 0;
}

int
filter_match(const struct filter *f, const struct record *r)
{
	if (f == NULL)
		return 1;
	switch (f->op) {
	case F_AND:
		for (size_t i = 0; i < f->nkids; i++)
			if (!filter_match(f->kids[i], r))
				return 0;
		return 1;
	case F_OR:
		for (size_t i = 0; i < f->nkids; i++)
			if (filter_match(f->kids[i], r))
				return 1;
		return 0;
	case F_NOT:
		return !filter_match(f->kids[0], r);
	default:
		return match_attr(f, r);
	}
}

void
filter_escape(struct str *out, const char *val)
{
	static const char hex[] = "0123456789abcdef";

	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		/* escaping every byte outside printable ASCII is valid RFC
		 * 4515 and keeps invalid UTF-8 from reaching the server raw */
		if (*p == '*' || *p == '(' || *p == ')' || *p == '\\' ||
		    *p < 0x20 || *p >= 0x7f) {
			str_addc(out, '\\');
			str_addc(out, hex[*p >> 4]);
			str_addc(out, hex[*p & 15]);
		} else {
			str_addc(out, (char)*p);
		}
	}
}

void
filter_attrs(const struct filter *f, void (*fn)(void *arg, const char *name),
	     void *arg)
{
	size_t i;

	if (f == NULL)
		return;
	if (f->attr != NULL)
		fn(arg, f->attr);
	for (i = 0; i < f->nkids; i++)
		filter_attrs(f->kids[i], fn, arg);
}
