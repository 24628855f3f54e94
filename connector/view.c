#include <stdlib.h>
#include <string.h>

#include "view.h"
#include "util/xmalloc.h"

/* Decodes the code point at p (valid UTF-8, as str_add_utf8_clean leaves
 * it); *len gets its byte length. */
static unsigned long
decode(const unsigned char *p, size_t *len)
{
	if (p[0] < 0x80) {
		*len = 1;
		return p[0];
	}
	if (p[0] < 0xe0) {
		*len = 2;
		return ((p[0] & 0x1ful) << 6) | (p[1] & 0x3f);
	}
	if (p[0] < 0xf0) {
		*len = 3;
		return ((p[0] & 0x0ful) << 12) | ((p[1] & 0x3ful) << 6) |
		       (p[2] & 0x3f);
	}
	*len = 4;
	return ((p[0] & 0x07ul) << 18) | ((p[1] & 0x3ful) << 12) |
	       ((p[2] & 0x3ful) << 6) | (p[3] & 0x3f);
}

/* Code points that change how a terminal shows the text around them:
 * C1 controls (some terminals act on 8-bit CSI), line and paragraph
 * separators (a line break to some viewers), bidi embeddings, overrides
 * and isolates (can make "bob" display as "bob -> admin"). */
static int
invisible(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* Printable ASCII, per quoted: the second row leaves out '"' and backslash.
 * Row entries are 0 for NUL too, so one load per byte ends the scan. */
static const unsigned char plain_byte[2][256] = {
	{ [0x20 ... 0x7e] = 1 },
	{ [0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7e] = 1 },
};

/* The length of s if it is printable ASCII that needs no escape at all,
 * else (size_t)-1: plans print millions of values, nearly all plain. */
static size_t
plain_len(const char *s, int quoted)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *ok = plain_byte[quoted != 0];
	size_t n = 0;

	while (ok[p[n]])
		n++;
	return p[n] == '\0' ? n : (size_t)-1;
}

static void
add_escaped(struct str *out, const char *p, size_t len, unsigned long cp,
	    int quoted)
{
	if (cp == '\n')
		str_adds(out, "\\n");
	else if (cp == '\t')
		str_adds(out, "\\t");
	else if (cp == '\r')
		str_adds(out, "\\r");
	else if (cp < 0x20 || cp == 0x7f)
		str_addf(out, "\\x%02lx", cp);
	else if (invisible(cp))
		str_addf(out, "\\u%04lx", cp);
	else if (quoted && (cp == '"' || cp == '\\')) {
		str_addc(out, '\\');
		str_addc(out, (char)cp);
	} else
		str_add(out, p, len);
}

void
view_add_text(struct str *out, const char *s, int quoted)
{
	struct str clean = STR_INIT;
	const char *p;
	size_t len;
	unsigned long cp;

	if (s == NULL) {
		str_adds(out, "(none)");
		return;
	}
	if ((len = plain_len(s, quoted)) != (size_t)-1) {
		if (quoted)
			str_addc(out, '"');
		str_add(out, s, len);
		if (quoted)
			str_addc(out, '"');
		return;
	}
	str_add_utf8_clean(&clean, s, strlen(s));
	if (quoted)
		str_addc(out, '"');
	for (p = str_cstr(&clean); *p; p += len) {
		cp = decode((const unsigned char *)p, &len);
		add_escaped(out, p, len, cp, quoted);
	}
	if (quoted)
		str_addc(out, '"');
	str_release(&clean);
}

/* Columns a code point takes in a terminal: the usual wcwidth() ranges,
 * fixed here so that output does not depend on the locale. */
static int
cp_width(unsigned long cp)
{
	if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
	    (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
	    (cp >= 0xfe20 && cp <= 0xfe2f) || cp == 0xfeff)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) ||
	    (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) ||
	    (cp >= 0x1f300 && cp <= 0x1f64f) ||
	    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

size_t
view_width(const char *s)
{
	size_t w = 0, len;
	const char *a;

	for (a = s; *a > 0; a++)
		;
	if (*a == '\0')	/* ASCII: one column a byte */
		return (size_t)(a - s);
	if (!utf8_valid(s, strlen(s)))
		return utf8_width(s);
	for (; *s; s += len)
		w += (size_t)cp_width(decode((const unsigned char *)s, &len));
	return w;
}

void
view_pad(struct str *out, size_t n)
{
	static const char spaces[] = "                                ";

	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		str_add(out, spaces, k);
		n -= k;
	}
}

void
view_table_init(struct view_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void
view_table_release(struct view_table *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

void
view_table_cell(struct view_table *t, const char *s)
{
	struct str cell = STR_INIT;

	view_add_text(&cell, s != NULL && *s ? s : "-", 0);
	t->cells = xgrow(t->cells, &t->capcells, t->ncells + 1,
			 sizeof(*t->cells));
	t->cells[t->ncells++] = str_detach(&cell);
}

void
view_table_write(const struct view_table *t, struct str *out)
{
	size_t *width = xcalloc(t->ncols ? t->ncols : 1, sizeof(*width));
	size_t i, col, w;

	for (i = 0; i < t->ncells; i++) {
		w = view_width(t->cells[i]);
		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	for (i = 0; i < t->ncells; i++) {
		col = i % t->ncols;
		str_adds(out, t->cells[i]);
		if (col + 1 == t->ncols || i + 1 == t->ncells)
			str_addc(out, '\n');
		else
			view_pad(out, width[col] - view_width(t->cells[i]) + 2);
	}
	free(width);
}

void
view_add_csv(struct str *out, const char *s)
{
	struct str clean = STR_INIT;
	const char *p;
	int formula;

	str_add_utf8_clean(&clean, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
	p = str_cstr(&clean);
	/* A spreadsheet opening the export runs a cell that starts with one
	 * of these as a formula (=HYPERLINK(...), =cmd|...); a directory
	 * value is attacker-controlled, so it must stay text (OWASP "CSV
	 * injection").  The quote is the conventional text marker. */
	formula = p[0] != '\0' && strchr("=+-@\t\r", p[0]) != NULL;
	if (!formula && strpbrk(p, ",\"\r\n") == NULL) {
		str_adds(out, p);
		goto out;
	}
	str_addc(out, '"');
	if (formula)
		str_addc(out, '\'');
	for (; *p; p++) {
		if (*p == '"')
			str_addc(out, '"');
		str_addc(out, *p);
	}
	str_addc(out, '"');
out:
	str_release(&clean);
}

int
view_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

int
view_format(const char *val, const char *const *names,
	    const enum out_format *fmts, enum out_format *out, struct err *e)
{
	struct str list = STR_INIT, shown = STR_INIT;
	size_t i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(val, names[i]) == 0) {
			*out = fmts[i];
			str_release(&list);
			return 0;
		}
		str_adds(&list, i ? "|" : "");
		str_adds(&list, names[i]);
	}
	view_add_text(&shown, val, 0);
	err_set(e, "unknown format '%.64s' (expected %s)", str_cstr(&shown),
		str_cstr(&list));
	str_release(&list);
	str_release(&shown);
	return -1;
}

int
view_args(int argc, char **argv, const char *opt, const char **optval,
	  const char *const *names, const enum out_format *fmts,
	  enum out_format *fmt, const char *usage, struct err *e)
{
	const char *val;
	int i, r;

	for (i = 1; i < argc; i++) {
		if ((r = view_opt(argc, argv, &i, opt, &val)) == 1) {
			*optval = val;
			continue;
		}
		if (r == 0 && (r = view_opt(argc, argv, &i, "--format",
					    &val)) == 1) {
			if (view_format(val, names, fmts, fmt, e) < 0)
				return -1;
			continue;
		}
		return err_set(e, "%s", usage);
	}
	return 0;
}
