/*
 * t.h: the unit test harness.  Each test function runs under RUN(); the
 * runner prints "PASS name" or "FAIL name" (with the failed checks above
 * it) and main() returns t_done(): 1 if anything failed.  tests/run.sh
 * counts the PASS/FAIL lines.
 */
#ifndef HS_T_H
#define HS_T_H

#include <stdio.h>
#include <string.h>

static int t_cur_failed, t_nfailed;

#define CHECK(c) do { \
	if (!(c)) { \
		printf("  %s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
		t_cur_failed = 1; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *t_a = (a), *t_b = (b); \
	if (t_a == NULL || t_b == NULL ? t_a != t_b : strcmp(t_a, t_b) != 0) { \
		printf("  %s:%d: %s\n    got:      '%s'\n    expected: '%s'\n", \
		       __FILE__, __LINE__, #a, t_a ? t_a : "(null)", \
		       t_b ? t_b : "(null)"); \
		t_cur_failed = 1; \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long t_a = (long long)(a), t_b = (long long)(b); \
	if (t_a != t_b) { \
		printf("  %s:%d: %s: got %lld, expected %lld\n", __FILE__, \
		       __LINE__, #a, t_a, t_b); \
		t_cur_failed = 1; \
	} \
} while (0)

#define RUN(fn) do { \
	t_cur_failed = 0; \
	fn(); \
	printf("%s %s\n", t_cur_failed ? "FAIL" : "PASS", #fn); \
	t_nfailed += t_cur_failed; \
	fflush(stdout); \
} while (0)

static inline int
t_done(void)
{
	return t_nfailed ? 1 : 0;
}

#endif
