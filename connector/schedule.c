/*
 * schedule.c: "every 15m" and 5-field cron, next run time in UTC.
 *
 * schedule_next() walks forward field by field (month, day, hour,
 * minute), skipping whole months or days that cannot match, so even a
 * yearly cron costs a few hundred steps, not half a million minutes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule.h"

#define MAX_EVERY_S (366L * 86400)

/* Parses a decimal in [lo, hi] at *p, advancing *p.  -1 if none. */
static int
number(const char **p, int lo, int hi, int *out)
{
	long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s) && v <= 1000)
		v = v * 10 + (*s++ - '0');
	if (isdigit((unsigned char)*s) || v < lo || v > hi)
		return -1;
	*p = s;
	*out = (int)v;
	return 0;
}

/* One list element: "*", "N", "A-B", each optionally "/STEP". */
static int
element(const char **p, int lo, int hi, uint64_t *bits)
{
	int a = lo, b = hi, step = 1, v, single = 0;

	if (**p == '*') {
		(*p)++;
	} else {
		single = 1;
		if (number(p, lo, hi, &a) < 0)
			return -1;
		b = a;
		if (**p == '-') {
			(*p)++;
			if (number(p, lo, hi, &b) < 0 || b < a)
				return -1;
			single = 0;
		}
	}
	if (**p == '/') {
		(*p)++;
		if (number(p, 1, hi - lo + 1, &step) < 0)
			return -1;
		/* "5/15" means 5-max/15, as in Vixie cron. */
		if (single)
			b = hi;
	}
	for (v = a; v <= b; v += step)
		*bits |= (uint64_t)1 << v;
	return 0;
}

/* A comma list covering the whole field text f (NUL-terminated). */
static int
field(const char *f, int lo, int hi, uint64_t *bits, int *any)
{
	const char *p = f;

	*bits = 0;
	*any = strcmp(f, "*") == 0;
	for (;;) {
		if (element(&p, lo, hi, bits) < 0)
			return -1;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

static int
parse_every(const char *spec, struct schedule *s, struct err *e)
{
	const char *p = spec + 6;
	char *end;
	long n, mult;

	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		goto bad;
	n = strtol(p, &end, 10);
	switch (*end) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: goto bad;
	}
	if (end[1] != '\0' || n <= 0 || n > MAX_EVERY_S / mult)
		goto bad;
	memset(s, 0, sizeof(*s));
	s->every_s = n * mult;
	return 0;
bad:
	return err_set(e, "schedule '%.100s': expected \"every N\" with N > 0 "
		       "and a unit s, m, h or d (at most 366d)", spec);
}

static const char *const field_names[5] = {
	"minute", "hour", "day of month", "month", "day of week",
};

int
schedule_parse(const char *spec, struct schedule *out, struct err *e)
{
	static const int lo[5] = { 0, 0, 1, 1, 0 }, hi[5] = { 59, 23, 31, 12, 7 };
	struct schedule s;
	char buf[256], *f[5], *save = NULL, *tok;
	uint64_t bits[5];
	int any[5], n = 0, i;

	if (spec == NULL || *spec == '\0')
		return err_set(e, "schedule is empty");
	if (strlen(spec) >= sizeof(buf))
		return err_set(e, "schedule '%.60s...' is too long", spec);
	if (strncmp(spec, "every ", 6) == 0)
		return parse_every(spec, out, e);
	memcpy(buf, spec, strlen(spec) + 1);
	for (tok = strtok_r(buf, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (n == 5)
			return err_set(e, "schedule '%.100s': a cron schedule "
				       "has 5 fields, not more", spec);
		f[n++] = tok;
	}
	if (n != 5)
		return err_set(e, "schedule '%.100s': expected \"every 15m\" or "
			       "a 5-field cron (minute hour day month weekday)",
			       spec);
	for (i = 0; i < 5; i++)
		if (field(f[i], lo[i], hi[i], &bits[i], &any[i]) < 0)
			return err_set(e, "schedule '%.100s': bad %s field "
				       "'%.40s' (%d-%d)", spec, field_names[i],
				       f[i], lo[i], hi[i]);
	memset(&s, 0, sizeof(s));
	s.minute = bits[0];
	s.hour = (uint32_t)bits[1];
	s.dom = (uint32_t)bits[2];
	s.month = (uint32_t)bits[3];
	/* 7 is Sunday too. */
	s.dow = (uint32_t)((bits[4] | (bits[4] >> 7)) & 0x7f);
	s.dom_any = any[2];
	s.dow_any = any[4];
	*out = s;
	return 0;
}

static int
day_matches(const struct schedule *s, const struct tm *tm)
{
	int dom = (s->dom >> tm->tm_mday) & 1, dow = (s->dow >> tm->tm_wday) & 1;

	if (s->dom_any || s->dow_any)
		return dom && dow;
	return dom || dow;
}

int64_t
schedule_next(const struct schedule *s, int64_t after)
{
	struct tm tm;
	time_t t;
	int steps;

	if (s->every_s > 0)
		return (after < 0 ? 0 : after / s->every_s + 1) * s->every_s;
	t = (time_t)(after - (after % 60 + 60) % 60 + 60);	/* next minute */
	/* 30 years of day steps, plus hour and minute steps of one day. */
	for (steps = 0; steps < 30 * 366 + 24 + 60 + 400; steps++) {
		gmtime_r(&t, &tm);
		if (!((s->month >> (tm.tm_mon + 1)) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = tm.tm_min = 0;
		} else if (!day_matches(s, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = tm.tm_min = 0;
		} else if (!((s->hour >> tm.tm_hour) & 1)) {
			tm.tm_hour++;
			tm.tm_min = 0;
		} else if (!((s->minute >> tm.tm_min) & 1)) {
			tm.tm_min++;
		} else {
			return (int64_t)t;
		}
		t = timegm(&tm);	/* normalises overflowing fields */
	}
	return -1;
}

void
schedule_iso(int64_t t, char *buf, unsigned size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}
