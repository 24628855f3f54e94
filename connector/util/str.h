/*
 * str: growable string buffer.
 *
 * Invariant: buf is always NUL-terminated once anything was added; len
 * excludes the NUL.  A zeroed struct str (STR_INIT) is an empty buffer.
 * The buffer owns buf until str_release() or str_detach().
 */
#ifndef HS_STR_H
#define HS_STR_H

#include <stddef.h>

struct str {
	char *buf;
	size_t len, cap;
};

#define STR_INIT { NULL, 0, 0 }

void str_init(struct str *s);
void str_release(struct str *s);
/* Empties the buffer, keeps its memory. */
void str_reset(struct str *s);
void str_add(struct str *s, const char *p, size_t n);
void str_adds(struct str *s, const char *p);
void str_addc(struct str *s, char c);
void str_addf(struct str *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Returns buf ("" if empty); valid until the next change to s. */
const char *str_cstr(const struct str *s);
/* Hands buf to the caller (free() it) and empties s. */
char *str_detach(struct str *s);

/* Appends p as a JSON string literal, quotes included; invalid UTF-8
 * bytes become U+FFFD so that the output is always valid JSON. */
void str_add_json(struct str *s, const char *p);

/* Appends p as one safe line for a terminal or a log: control characters
 * become \n \t \r \xNN, invalid UTF-8 bytes U+FFFD.  A value from a
 * directory must not be able to start a line of its own or drive the
 * terminal. */
void str_add_line(struct str *s, const char *p);

/* UTF-8 helpers. */
/* 1 if p[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *p, size_t n);
/* The value of a hex digit (either case), or -1. */
int hex_digit(char c);
/* Appends p[0..n) replacing each invalid byte by U+FFFD. */
void str_add_utf8_clean(struct str *s, const char *p, size_t n);
/* Number of display columns (code points) in a valid UTF-8 string. */
size_t utf8_width(const char *p);

#endif
