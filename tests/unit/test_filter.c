/* filter: RFC 4515 parsing, errors with columns, local matching. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "filter.h"
#include "t.h"
#include "t_record.h"

/* 1 match, 0 no match, -1 parse error. */
static int
m(const char *text, const struct record *r)
{
	struct err e = { 0 };
	int col = 0, rc;
	struct filter *f = filter_parse(text, &col, &e);

	if (f == NULL) {
		printf("  parse error in '%s': col %d: %s\n", text, col, e.msg);
		return -1;
	}
	rc = filter_match(f, r);
	filter_free(f);
	return rc;
}

/* Returns "COL: message" for a filter that must not parse. */
static const char *
perr(const char *text)
{
	static char buf[1200];
	struct err e = { 0 };
	int col = 0;
	struct filter *f = filter_parse(text, &col, &e);

	if (f != NULL) {
		filter_free(f);
		return "parsed";
	}
	snprintf(buf, sizeof(buf), "%d: %s", col, e.msg);
	return buf;
}

static const char *ann_attrs[] = {
	"cn=Ann Smith", "cn=team-sales-emea", "mail=Ann@Example.com",
	"employeeType=staff", "uidNumber=1200", "sn=O'Neil (Ops)",
	"memberOf=CN=Harmony-Admins, OU=Groups,DC=example,DC=com",
	"memberOf=cn=O'Neil\\2C Pat,ou=groups,dc=example,dc=com",
	"description=a)b*c", NULL,
};

static void
test_filter_equality_and_presence(void)
{
	struct record *r = user(ann_attrs);

	CHECK_INT(m("(mail=ann@example.COM)", r), 1);
	CHECK_INT(m("(MAIL=*)", r), 1);
	CHECK_INT(m("mail=*", r), 1);
	CHECK_INT(m("(telephoneNumber=*)", r), 0);
	CHECK_INT(m("(cn=Ann Smith)", r), 1);
	CHECK_INT(m("(cn=Ann)", r), 0);
	CHECK_INT(m("(cn~=ann smith)", r), 1);
	CHECK_INT(m("(employeeType:caseExactMatch:=staff)", r), 1);
	CHECK_INT(m("(memberOf:1.2.840.113556.1.4.1941:="
		    "cn=harmony-admins,ou=groups,dc=example,dc=com)", r), 1);
	CHECK_INT(m("(cn:dn:2.5.13.2:=Ann Smith)", r), 1);
}

static void
test_filter_missing_attribute(void)
{
	struct record *r = user(ann_attrs);

	CHECK_INT(m("(x=1)", r), 0);
	CHECK_INT(m("(!(x=1))", r), 1);
	CHECK_INT(m("(x>=1)", r), 0);
	CHECK_INT(m("(x=a*)", r), 0);
	CHECK(filter_match(NULL, r) == 1);
}

static void
test_filter_boolean_nesting(void)
{
	struct record *r = user(ann_attrs);

	CHECK_INT(m("(&(mail=*)(|(employeeType=contractor)(cn=ann smith)))",
		    r), 1);
	CHECK_INT(m("(&(mail=*)(!(employeeType=staff)))", r), 0);
	CHECK_INT(m("(|(a=1)(b=2)(&(cn=x)(mail=*)))", r), 0);
	CHECK_INT(m("(!(!(mail=*)))", r), 1);
	CHECK_INT(m("(&)", r), 1);
	CHECK_INT(m("(|)", r), 0);
	CHECK_INT(m(" (& (mail=*)\n  (cn=Ann*) ) ", r), 1);
}

static void
test_filter_substrings(void)
{
	struct record *r = user(ann_attrs);

	CHECK_INT(m("(cn=team-*)", r), 1);
	CHECK_INT(m("(cn=TEAM-SALES-*)", r), 1);
	CHECK_INT(m("(cn=*emea)", r), 1);
	CHECK_INT(m("(cn=*sales*)", r), 1);
	CHECK_INT(m("(cn=t*-s*s-*a)", r), 1);
	CHECK_INT(m("(cn=team*sales*emea*x)", r), 0);
	CHECK_INT(m("(cn=ann*smith)", r), 1);
	/* initial and final must not overlap */
	CHECK_INT(m("(cn=ann s*h smith)", r), 0);
	CHECK_INT(m("(cn=a**h)", r), 1);
	CHECK_INT(m("(description=a\\29b\\2a*)", r), 1);
	CHECK_INT(m("(description=*\\2a*)", r), 1);
	CHECK_INT(m("(description=*\\2ac)", r), 1);
}

static void
test_filter_escapes(void)
{
	struct record *r = user(ann_attrs);

	CHECK_INT(m("(sn=O'Neil \\28Ops\\29)", r), 1);
	CHECK_INT(m("(description=a\\29b\\2ac)", r), 1);
	CHECK_INT(m("(description=a\\29b\\2Ac)", r), 1);
	CHECK_INT(m("(description=a\\00)", r), 0);
}

static void
test_filter_dn_values(void)
{
	struct record *r = user(ann_attrs);

	CHECK_INT(m("(memberOf=cn=harmony-admins,ou=groups,dc=example,dc=com)",
		    r), 1);
	CHECK_INT(m("(memberOf=CN=Harmony-Admins,OU=groups, dc=example, "
		    "dc=com)", r), 1);
	CHECK_INT(m("(memberOf=cn=harmony-users,ou=groups,dc=example,dc=com)",
		    r), 0);
	/* the escaped comma, in the filter escaped again (RFC 4515 on 4514) */
	CHECK_INT(m("(memberOf=CN=O'Neil\\5c, Pat,OU=Groups,dc=example,"
		    "dc=com)", r), 1);
}

static void
test_filter_ordering(void)
{
	struct record *r = user(ann_attrs);

	CHECK_INT(m("(uidNumber>=1000)", r), 1);
	CHECK_INT(m("(uidNumber>=999)", r), 1);	/* numeric, not "1200" < "999" */
	CHECK_INT(m("(uidNumber<=999)", r), 0);
	CHECK_INT(m("(uidNumber<=1200)", r), 1);
	CHECK_INT(m("(cn>=b)", r), 1);	/* "team-..." */
	CHECK_INT(m("(sn<=P)", r), 1);
}

static void
test_filter_parse_errors(void)
{
	CHECK_STR(perr("(cn=a"), "1: unbalanced parenthesis");
	CHECK_STR(perr("(&(cn=a)(sn=b)"), "1: unbalanced parenthesis");
	CHECK_STR(perr("(&(cn=a)(sn=b)))"), "16: unbalanced parenthesis");
	CHECK_STR(perr("(cn)"), "4: missing '='");
	CHECK_STR(perr("cn"), "3: missing '='");
	CHECK_STR(perr("(cn=a\\zzb)"), "6: bad escape '\\zz'");
	CHECK_STR(perr("(cn=a\\2)"), "6: bad escape '\\2)'");
	CHECK_STR(perr("(cn=a\\"), "6: bad escape '\\'");
	CHECK_STR(perr("(=a)"), "2: missing attribute name");
	CHECK_STR(perr("(c n=a)"), "3: bad character ' ' in attribute name");
	CHECK_STR(perr("(cn=a(b)"), "6: unescaped '(' in value");
	CHECK_STR(perr("(cn>=a*)"), "7: unescaped '*' in value");
	CHECK_STR(perr("(!(a=1)(b=2))"), "13: '!' needs exactly one filter");
	CHECK_STR(perr("(&(a=1)x)"), "8: unexpected 'x'");
	CHECK_STR(perr("(a=1)(b=2)"), "6: unexpected text after filter");
	CHECK_STR(perr("(cn:=)"), "parsed");
	CHECK_STR(perr("(cn:x y:=a)"), "6: missing ':='");
	CHECK_STR(perr("   "), "4: empty filter");
	CHECK_STR(perr("mail=*)"), "7: unbalanced parenthesis");
}

static void
test_filter_escape(void)
{
	struct str s = STR_INIT;

	filter_escape(&s, "cn=a*(b)\\c,\x01\xc3\xa9");
	CHECK_STR(str_cstr(&s), "cn=a\\2a\\28b\\29\\5cc,\\01\\c3\\a9");
	str_release(&s);
}

/* Invalid UTF-8 and huge values must neither crash nor match wrongly. */
static void
test_filter_hostile_values(void)
{
	static char big[100000];
	const char *attrs[] = { "cn=\xff\xfe\xfd", "description=x", NULL };
	struct record *r;

	memset(big, 'a', sizeof(big) - 1);
	attrs[1] = NULL;
	r = user(attrs);
	CHECK_INT(m("(cn=\\ff\\fe\\fd)", r), 1);
	CHECK_INT(m("(cn=\\ff*)", r), 1);
	CHECK_INT(m("(cn=cn=x)", r), 0);
	record_builder_add(&builder, "description", big, sizeof(big) - 1);
	r = record_builder_finish(&builder, RECORD_USER, "b", "uid=b", "uid=b");
	CHECK_INT(m("(description=a*a*a)", r), 1);
	CHECK_INT(m("(description=*b*)", r), 0);
}

/* 100,000 records x a rule set well under a second (loose for ASan). */
static void
test_filter_speed(void)
{
	struct record *r = user(ann_attrs);
	struct err e;
	struct filter *f = filter_parse("(&(mail=*)(!(employeeType=contractor))"
		"(|(memberOf=cn=harmony-users,ou=groups,dc=example,dc=com)"
		"(cn=team-*)))", NULL, &e);
	clock_t t0 = clock();
	int hits = 0;

	for (int i = 0; i < 100000; i++)
		hits += filter_match(f, r);
	CHECK_INT(hits, 100000);
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 3.0);
	filter_free(f);
}

int
main(void)
{
	arena_init(&arena);
	record_builder_init(&builder, &arena);
	RUN(test_filter_equality_and_presence);
	RUN(test_filter_missing_attribute);
	RUN(test_filter_boolean_nesting);
	RUN(test_filter_substrings);
	RUN(test_filter_escapes);
	RUN(test_filter_dn_values);
	RUN(test_filter_ordering);
	RUN(test_filter_parse_errors);
	RUN(test_filter_escape);
	RUN(test_filter_hostile_values);
	RUN(test_filter_speed);
	record_builder_release(&builder);
	arena_release(&arena);
	return t_done();
}
