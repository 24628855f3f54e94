#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "xmalloc.h"

void
str_init(struct str *s)
{
	s->buf = NULL;
	s->len = s->cap = 0;
}

void
str_release(struct str *s)
{
	free(s->buf);
	str_init(s);
}

void
str_reset(struct str *s)
{
	s->len = 0;
	if (s->buf != NULL)
		s->buf[0] = '\0';
}

static void
reserve(struct str *s, size_t n)
{
	s->buf = xgrow(s->buf, &s->cap, s->len + n + 1, 1);
}

void
str_add(struct str *s, const char *p, size_t n)
{
	reserve(s, n);
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

void
str_adds(struct str *s, const char *p)
{
	str_add(s, p, strlen(p));
}

void
str_addc(struct str *s, char c)
{
	reserve(s, 1);
	s->buf[s->len++] = c;
	s->buf[s->len] = '\0';
}

void
str_addf(struct str *s, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	/* Format straight into the spare room; only a longer result formats
	 * a second time, after growing the buffer. */
	reserve(s, 64);
	room = s->cap - s->len;
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, room, fmt, ap);
	va_end(ap);
	if (n <= 0) {
		s->buf[s->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		reserve(s, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	s->len += (size_t)n;
}

const char *
str_cstr(const struct str *s)
{
	return s->buf != NULL ? s->buf : "";
}

char *
str_detach(struct str *s)
{
	char *p = s->buf != NULL ? s->buf : xstrdup("");

	str_init(s);
	return p;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int
utf8_valid(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq(u + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

void
str_add_utf8_clean(struct str *s, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq(u + i, n - i)) == 0) {
			str_add(s, "\xef\xbf\xbd", 3);
			i++;
		} else {
			str_add(s, p + i, k);
			i += k;
		}
	}
}

size_t
utf8_width(const char *p)
{
	size_t w = 0;

	for (; *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			w++;
	return w;
}

void
str_add_json(struct str *s, const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = strlen(p), i = 0, k;

	str_addc(s, '"');
	while (i < n) {
		unsigned c = u[i];
		size_t run = i;

		/* ASCII that needs no escape goes in a run at a time: plans
		 * write every member's custom fields through here. */
		while (run < n && u[run] >= 0x20 && u[run] < 0x80 &&
		       u[run] != '"' && u[run] != '\\')
			run++;
		if (run > i) {
			str_add(s, p + i, run - i);
			i = run;
			continue;
		}
		if (c == '"' || c == '\\') {
			str_addc(s, '\\');
			str_addc(s, (char)c);
			i++;
		} else if (c < 0x20) {
			switch (c) {
			case '\n': str_adds(s, "\\n"); break;
			case '\t': str_adds(s, "\\t"); break;
			case '\r': str_adds(s, "\\r"); break;
			default: str_addf(s, "\\u%04x", c); break;
			}
			i++;
		} else if ((k = utf8_seq(u + i, n - i)) == 0) {
			str_add(s, "\xef\xbf\xbd", 3);
			i++;
		} else {
			str_add(s, p + i, k);
			i += k;
		}
	}
	str_addc(s, '"');
}

void
str_add_line(struct str *s, const char *p)
{
	struct str clean = STR_INIT;
	const unsigned char *u;

	str_add_utf8_clean(&clean, p, strlen(p));
	for (u = (const unsigned char *)str_cstr(&clean); *u; u++) {
		if (*u == '\n')
			str_adds(s, "\\n");
		else if (*u == '\t')
			str_adds(s, "\\t");
		else if (*u == '\r')
			str_adds(s, "\\r");
		else if (*u < 0x20 || *u == 0x7f)
			str_addf(s, "\\x%02x", *u);
		else
			str_addc(s, (char)*u);
	}
	str_release(&clean);
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
