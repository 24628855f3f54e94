/*
 * dn: normal forms of distinguished names, by libldap's own parser
 * (ldap_str2dn) and printer (ldap_dn2str), so that escaping, spaces
 * around separators and hex pairs are handled exactly as the library the
 * LDAP source uses handles them.  We only fold case and order the AVAs
 * of multi-valued RDNs in between.
 */
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "dn.h"
#include "util/xmalloc.h"

/* ldap_str2dn() may leave AVA values pointing into its input; we lower
 * case them in place, so it always parses a private copy.  The copy also
 * makes it safe for callers to pass a dn that lives inside out. */
static int
parse(const char *dn, LDAPDN *res, char **copy)
{
	LDAPDN d = NULL;

	*copy = NULL;
	if (dn == NULL || *dn == '\0')
		return -1;	/* the root DSE names no entry we sync */
	*copy = xstrdup(dn);
	if (ldap_str2dn(*copy, &d, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    d == NULL) {
		free(*copy);
		*copy = NULL;
		return -1;
	}
	*res = d;
	return 0;
}

static void
ascii_lower(struct berval *bv)
{
	for (ber_len_t i = 0; i < bv->bv_len; i++) {
		unsigned char c = (unsigned char)bv->bv_val[i];

		if (c >= 'A' && c <= 'Z')
			bv->bv_val[i] = (char)(c - 'A' + 'a');
	}
}

static int
bv_cmp(const struct berval *a, const struct berval *b)
{
	ber_len_t n = a->bv_len < b->bv_len ? a->bv_len : b->bv_len;
	int c = memcmp(a->bv_val, b->bv_val, n);

	if (c != 0)
		return c;
	return (a->bv_len > b->bv_len) - (a->bv_len < b->bv_len);
}

/* "cn=a+sn=b" and "sn=b+cn=a" name the same entry. */
static int
ava_cmp(const void *pa, const void *pb)
{
	const LDAPAVA *a = *(LDAPAVA *const *)pa, *b = *(LDAPAVA *const *)pb;
	int c = bv_cmp(&a->la_attr, &b->la_attr);

	return c != 0 ? c : bv_cmp(&a->la_value, &b->la_value);
}

static void
fold(LDAPDN d)
{
	for (size_t i = 0; d[i] != NULL; i++) {
		LDAPRDN rdn = d[i];
		size_t n = 0;

		for (; rdn[n] != NULL; n++) {
			ascii_lower(&rdn[n]->la_attr);
			/* a #hex value is raw BER: its bytes are not text */
			if (!(rdn[n]->la_flags & LDAP_AVA_BINARY))
				ascii_lower(&rdn[n]->la_value);
		}
		if (n > 1)
			qsort(rdn, n, sizeof(rdn[0]), ava_cmp);
	}
}

int
dn_normalize(const char *dn, struct str *out)
{
	LDAPDN d = NULL;
	char *copy = NULL, *s = NULL;
	int rc = -1;

	if (parse(dn, &d, &copy) < 0)
		return -1;
	fold(d);
	if (ldap_dn2str(d, &s, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
	    s == NULL)
		goto out;
	str_adds(out, s);
	rc = 0;
out:
	if (s != NULL)
		ldap_memfree(s);
	ldap_dnfree(d);
	free(copy);
	return rc;
}

char *
dn_normalize_arena(struct arena *a, const char *dn)
{
	struct str s = STR_INIT;
	char *res = NULL;

	if (dn_normalize(dn, &s) == 0)
		res = arena_strndup(a, s.buf, s.len);
	str_release(&s);
	return res;
}

int
dn_rdn_value(const char *dn, struct str *out)
{
	LDAPDN d = NULL;
	char *copy = NULL;
	const struct berval *v;

	if (parse(dn, &d, &copy) < 0)
		return -1;
	v = &d[0][0]->la_value;
	/* values are cut at NUL everywhere else (record.h) */
	if (v->bv_val != NULL)	/* "cn=" has an empty, NULL value */
		str_add(out, v->bv_val, strnlen(v->bv_val, v->bv_len));
	ldap_dnfree(d);
	free(copy);
	return 0;
}

int
dn_needs_normalize(const char *dn)
{
	int eq = 0;

	for (const unsigned char *p = (const unsigned char *)dn; *p; p++) {
		if (*p >= 0x80 || strchr(" \\\"+;#<>", *p) != NULL)
			return 1;
		if (*p == ',')
			eq = 0;
		else if (*p == '=' && eq++)	/* '=' inside a value */
			return 1;
	}
	return 0;
}
