#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "str.h"

static enum log_level cur_level = LOG_WARN;
static enum log_format cur_format = LOG_TEXT;
static int progress_shown;

static const char *level_names[] = { "error", "warning", "info", "debug" };

void
log_setup(enum log_level level, enum log_format fmt)
{
	cur_level = level;
	cur_format = fmt;
}

int
log_is_json(void)
{
	return cur_format == LOG_JSON;
}

int
log_enabled(enum log_level level)
{
	return level <= cur_level;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[2048], ts[32];
	struct str s = STR_INIT;
	struct tm tm;
	time_t now;
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	progress_done();
	if (cur_format == LOG_JSON) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		str_addf(&s, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts,
			 level_names[level]);
		str_add_json(&s, msg);
		str_adds(&s, "}\n");
	} else {
		str_addf(&s, "harmony-sync: %s%s",
			 level == LOG_INFO || level == LOG_DEBUG ? "" :
			 level_names[level],
			 level == LOG_INFO || level == LOG_DEBUG ? "" : ": ");
		str_add_line(&s, msg);
		str_addc(&s, '\n');
	}
	fputs(str_cstr(&s), stderr);
	str_release(&s);
}

void
progress(const char *what, size_t n, size_t total)
{
	if (cur_level < LOG_WARN || !isatty(STDERR_FILENO))
		return;
	if (total)
		fprintf(stderr, "\r%s: %zu/%zu", what, n, total);
	else
		fprintf(stderr, "\r%s: %zu", what, n);
	progress_shown = 1;
}

void
progress_done(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}
