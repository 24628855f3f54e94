/* dn: normal forms as libldap parses them (FIELD-NOTES: the same DN
 * comes back as different strings). */
#include <stdlib.h>

#include "dn.h"
#include "t.h"

/* Returns the normal form in a static buffer, or "ERR". */
static const char *
norm(const char *dn)
{
	static char buf[512];
	struct str s = STR_INIT;

	if (dn_normalize(dn, &s) < 0) {
		CHECK_INT(s.len, 0);	/* out unchanged on error */
		str_release(&s);
		return "ERR";
	}
	snprintf(buf, sizeof(buf), "%s", s.buf);
	str_release(&s);
	return buf;
}

static const char *
rdnval(const char *dn)
{
	static char buf[512];
	struct str s = STR_INIT;
	int rc = dn_rdn_value(dn, &s);

	snprintf(buf, sizeof(buf), "%s", rc < 0 ? "ERR" : str_cstr(&s));
	str_release(&s);
	return buf;
}

static void
test_dn_case_and_spaces(void)
{
	CHECK_STR(norm("UID=x, OU=People,dc=example,dc=com"),
		  "uid=x,ou=people,dc=example,dc=com");
	CHECK_STR(norm("uid=x,ou=people,dc=example,dc=com"),
		  "uid=x,ou=people,dc=example,dc=com");
	CHECK_STR(norm("cn=  padded  ,dc=x"), "cn=padded,dc=x");
}

static void
test_dn_escaping(void)
{
	char a[512];

	snprintf(a, sizeof(a), "%s", norm("cn=O'Neil\\2C Pat,ou=People"));
	CHECK_STR(a, norm("CN=O'Neil\\, Pat, OU=people"));
	CHECK_STR(a, "cn=o'neil\\2C pat,ou=people");
	CHECK_STR(norm("cn=a\\=b,dc=x"), norm("cn=a=b,dc=x"));
	/* UTF-8 is not case folded, and hex pairs decode to the same value */
	CHECK_STR(norm("cn=J\xc3\xbcrgen,dc=x"), norm("CN=J\\C3\\BCrgen,DC=x"));
}

static void
test_dn_multivalued_rdn(void)
{
	CHECK_STR(norm("cn=a+sn=B,dc=x"), "cn=a+sn=b,dc=x");
	CHECK_STR(norm("SN=b+CN=A,dc=x"), "cn=a+sn=b,dc=x");
	CHECK_STR(rdnval("SN=b+CN=A,dc=x"), "b");
}

static void
test_dn_invalid(void)
{
	char *p;
	struct arena a;

	CHECK_STR(norm("not a dn"), "ERR");
	CHECK_STR(norm("cn=a,,dc=x"), "ERR");
	CHECK_STR(norm(""), "ERR");
	CHECK_STR(norm("cn=\xff\xfe,dc=x"), "ERR");
	CHECK_STR(rdnval("garbage"), "ERR");
	arena_init(&a);
	CHECK(dn_normalize_arena(&a, "nope") == NULL);
	p = dn_normalize_arena(&a, "CN=Admins,OU=Groups");
	CHECK_STR(p, "cn=admins,ou=groups");
	arena_release(&a);
}

static void
test_dn_rdn_value(void)
{
	CHECK_STR(rdnval("cn=Pat\\, O'Neil,ou=x"), "Pat, O'Neil");
	CHECK_STR(rdnval("CN=O'Neil\\2C Pat,ou=People"), "O'Neil, Pat");
	CHECK_STR(rdnval("uid=jdoe"), "jdoe");
}

static void
test_dn_needs_normalize(void)
{
	CHECK_INT(dn_needs_normalize("cn=admins,ou=groups"), 0);
	CHECK_INT(dn_needs_normalize("CN=Admins,OU=Groups"), 0);
	CHECK_INT(dn_needs_normalize("cn=a b,ou=x"), 1);
	CHECK_INT(dn_needs_normalize("cn=a\\2Cb,ou=x"), 1);
	CHECK_INT(dn_needs_normalize("cn=a=b,ou=x"), 1);
	CHECK_INT(dn_needs_normalize("cn=J\xc3\xbcrgen"), 1);
}

int
main(void)
{
	RUN(test_dn_case_and_spaces);
	RUN(test_dn_escaping);
	RUN(test_dn_multivalued_rdn);
	RUN(test_dn_invalid);
	RUN(test_dn_rdn_value);
	RUN(test_dn_needs_normalize);
	return t_done();
}
