/* schedule: parsing errors and exact next run times (UTC). */
#include <string.h>

#include "schedule.h"
#include "t.h"

/* 2024-05-01T10:07:30Z, a Wednesday. */
#define T0 1714558050LL

static void
next_is(const char *spec, long long after, const char *want)
{
	struct schedule s;
	struct err e;
	char buf[32];
	int64_t t;

	memset(&e, 0, sizeof(e));
	if (schedule_parse(spec, &s, &e) != 0) {
		CHECK_STR(e.msg, "");
		return;
	}
	t = schedule_next(&s, after);
	if (t < 0)
		strcpy(buf, "never");
	else
		schedule_iso(t, buf, sizeof(buf));
	CHECK_STR(buf, want);
}

static void
bad(const char *spec, const char *msg)
{
	struct schedule s;
	struct err e;

	memset(&e, 0, sizeof(e));
	CHECK_INT(schedule_parse(spec, &s, &e), -1);
	CHECK_STR(e.msg, msg);
}

static void
test_every(void)
{
	next_is("every 15m", T0, "2024-05-01T10:15:00Z");
	next_is("every 1h", T0, "2024-05-01T11:00:00Z");
	next_is("every 30s", T0, "2024-05-01T10:08:00Z");
	next_is("every 1s", T0, "2024-05-01T10:07:31Z");
	next_is("every 1d", T0, "2024-05-02T00:00:00Z");
	/* exactly on a slot: the next one, never the same instant */
	next_is("every 15m", 1714557600LL, "2024-05-01T10:15:00Z");
}

static void
test_cron(void)
{
	next_is("*/30 * * * *", T0, "2024-05-01T10:30:00Z");
	next_is("* * * * *", T0, "2024-05-01T10:08:00Z");
	next_is("0 * * * *", T0, "2024-05-01T11:00:00Z");
	next_is("5,40 9-17 * * *", T0, "2024-05-01T10:40:00Z");
	next_is("0 2 * * *", T0, "2024-05-02T02:00:00Z");
	/* Sunday as 0 and as 7; 2024-05-05 is a Sunday */
	next_is("0 3 * * 0", T0, "2024-05-05T03:00:00Z");
	next_is("0 3 * * 7", T0, "2024-05-05T03:00:00Z");
	next_is("0 0 * * 1-5/2", T0, "2024-05-03T00:00:00Z");
	next_is("0 0 1 * *", T0, "2024-06-01T00:00:00Z");
	next_is("30 4 1 1 *", T0, "2025-01-01T04:30:00Z");
	next_is("0 0 29 2 *", T0, "2028-02-29T00:00:00Z");
	/* both day fields restricted: either matches (the 10th or a Monday) */
	next_is("0 0 10 * 1", T0, "2024-05-06T00:00:00Z");
	next_is("10/20 * * * *", T0, "2024-05-01T10:10:00Z");
	next_is("0 0 31 2 *", T0, "never");
	next_is("59 23 31 12 *", 1735689540LL, "2025-12-31T23:59:00Z");
}

static void
test_errors(void)
{
	bad("", "schedule is empty");
	bad("every", "schedule 'every': expected \"every 15m\" or a 5-field "
	    "cron (minute hour day month weekday)");
	bad("every 15", "schedule 'every 15': expected \"every N\" with N > 0 "
	    "and a unit s, m, h or d (at most 366d)");
	bad("every 0m", "schedule 'every 0m': expected \"every N\" with N > 0 "
	    "and a unit s, m, h or d (at most 366d)");
	bad("every 400d", "schedule 'every 400d': expected \"every N\" with "
	    "N > 0 and a unit s, m, h or d (at most 366d)");
	bad("every 5x", "schedule 'every 5x': expected \"every N\" with N > 0 "
	    "and a unit s, m, h or d (at most 366d)");
	bad("* * * *", "schedule '* * * *': expected \"every 15m\" or a "
	    "5-field cron (minute hour day month weekday)");
	bad("* * * * * *", "schedule '* * * * * *': a cron schedule has 5 "
	    "fields, not more");
	bad("60 * * * *", "schedule '60 * * * *': bad minute field '60' (0-59)");
	bad("* 24 * * *", "schedule '* 24 * * *': bad hour field '24' (0-23)");
	bad("* * 0 * *", "schedule '* * 0 * *': bad day of month field '0' "
	    "(1-31)");
	bad("* * * 13 *", "schedule '* * * 13 *': bad month field '13' (1-12)");
	bad("* * * * 8", "schedule '* * * * 8': bad day of week field '8' (0-7)");
	bad("5-1 * * * *", "schedule '5-1 * * * *': bad minute field '5-1' "
	    "(0-59)");
	bad("*/0 * * * *", "schedule '*/0 * * * *': bad minute field '*/0' "
	    "(0-59)");
	bad("1,,2 * * * *", "schedule '1,,2 * * * *': bad minute field '1,,2' "
	    "(0-59)");
	bad("a * * * *", "schedule 'a * * * *': bad minute field 'a' (0-59)");
	bad("99999999999999999999 * * * *", "schedule '99999999999999999999 "
	    "* * * *': bad minute field '99999999999999999999' (0-59)");
}

int
main(void)
{
	RUN(test_every);
	RUN(test_cron);
	RUN(test_errors);
	return t_done();
}
