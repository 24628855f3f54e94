/*
 * err: one error, carried up the stack.
 *
 * Functions return 0 on success or -1 on failure and fill a struct err.
 * err_set() returns -1 so that "return err_set(e, ...)" reads well.
 * Config errors also carry FILE:LINE:COL (line and col are 1-based; 0 means
 * unknown).  Messages are lower case and never contain secrets.
 */
#ifndef HS_ERR_H
#define HS_ERR_H

enum err_code {
	ERR_NONE = 0,
	ERR_GENERIC,	/* exit 1 */
	ERR_CONFIG,	/* exit 1, message has FILE:LINE:COL */
	ERR_FETCH,	/* exit 1: source failed, nothing written */
	ERR_SAFETY,	/* exit 3: refused by a safety limit */
	ERR_STALE,	/* exit 3: saved plan no longer matches the store */
};

struct err {
	enum err_code code;
	char msg[1024];
};

/* Formats the message into e (if e is not NULL); returns -1. */
int err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, with an explicit code. */
int err_setc(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "FILE:LINE:COL: message", code ERR_CONFIG. */
int err_setpos(struct err *e, const char *file, int line, int col,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Prefixes the current message with "what: ". Returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);

#endif
