/*
 * log: diagnostics on stderr (stdout is command output only).
 *
 * Text lines look like "harmony-sync: warning: message"; with
 * --log-format json each line is one JSON object {"ts","level","msg"}.
 * Never pass passwords or tokens to these functions.
 * The logger's settings are process-wide, set once by main.c before any
 * command runs (the one exception to "no global state", like tmux's log.c).
 */
#ifndef HS_LOG_H
#define HS_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT, LOG_JSON };

void log_setup(enum log_level level, enum log_format fmt);
int log_enabled(enum log_level level);
/* 1 when lines are JSON objects (--log-format json). */
int log_is_json(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Progress line on stderr, redrawn in place; only when stderr is a TTY
 * and the level is not quiet.  progress_done() ends the line. */
void progress(const char *what, size_t n, size_t total);
void progress_done(void);

#endif
