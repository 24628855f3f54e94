/*
 * schedule: when a job runs (DESIGN §4 `schedule`).
 *
 * Two forms:
 *   "every N{s,m,h,d}"  fixed interval, aligned to the Unix epoch in UTC
 *                       (every 15m runs at :00 :15 :30 :45), so that the
 *                       next slot does not depend on when the daemon started.
 *   5-field cron        "minute hour day-of-month month day-of-week" with
 *                       '*', numbers, ranges a-b, lists a,b and steps /n;
 *                       day-of-week 0-7 (0 and 7 are Sunday).  As in Vixie
 *                       cron, when both day fields are restricted a day
 *                       matching either one is a match.
 * All times are UTC seconds since the epoch.  No global state.
 */
#ifndef HS_SCHEDULE_H
#define HS_SCHEDULE_H

#include <stdint.h>

#include "util/err.h"

struct schedule {
	int64_t every_s;		/* > 0: "every" form; 0: cron */
	uint64_t minute;		/* bit m: minute m (0-59) */
	uint32_t hour;			/* bit h (0-23) */
	uint32_t dom;			/* bit d (1-31) */
	uint32_t month;			/* bit m (1-12) */
	uint32_t dow;			/* bit d (0-6, Sunday 0) */
	int dom_any, dow_any;		/* the field was '*' */
};

/* Parses spec.  Returns 0 and fills *out, or -1 with e saying what is
 * wrong ("schedule '...': ..."); *out is untouched on error. */
int schedule_parse(const char *spec, struct schedule *out, struct err *e);

/* The first run time strictly after `after`; -1 if there is none within
 * 30 years (a cron that names an impossible date, e.g. "0 0 31 2 *"). */
int64_t schedule_next(const struct schedule *s, int64_t after);

/* Formats t as "2024-05-01T10:30:00Z" into buf (at least 21 bytes). */
void schedule_iso(int64_t t, char *buf, unsigned size);

#endif
