#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static int
vset(struct err *e, enum err_code code, const char *fmt, va_list ap)
{
	if (e == NULL)
		return -1;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(e, ERR_GENERIC, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_setc(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_setpos(struct err *e, const char *file, int line, int col,
	   const char *fmt, ...)
{
	char buf[700];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e->code = ERR_CONFIG;
	snprintf(e->msg, sizeof(e->msg), "%.200s:%d:%d: %s", file, line, col, buf);
	return -1;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char pre[200], old[sizeof(e->msg)];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %.800s", pre, old);
	if (e->code == ERR_NONE)
		e->code = ERR_GENERIC;
	return -1;
}

void
err_clear(struct err *e)
{
	e->code = ERR_NONE;
	e->msg[0] = '\0';
}
