/*
 * dn: LDAP distinguished names (RFC 4514), parsed by libldap's own
 * ldap_str2dn()/ldap_dn2str() (no second DN parser here).
 *
 * The normal form compares equal for DNs that name the same entry as
 * directories return them (FIELD-NOTES): attribute types and values lower
 * case, no spaces around separators, one canonical escaping
 * ("cn=O'Neil\2C Pat" and "CN=O'Neil\, Pat" normalise alike).
 */
#ifndef HS_DN_H
#define HS_DN_H

#include "util/arena.h"
#include "util/str.h"

/* Normalises dn into out (appended).  Returns 0, or -1 if dn does not
 * parse (out unchanged). */
int dn_normalize(const char *dn, struct str *out);
/* Same, returning an arena copy; NULL if dn does not parse. */
char *dn_normalize_arena(struct arena *a, const char *dn);
/* Appends the unescaped value of the first RDN's first AVA ("Pat, O'Neil"
 * for "cn=Pat\, O'Neil,ou=x").  Returns 0, or -1 if dn does not parse. */
int dn_rdn_value(const char *dn, struct str *out);
/* 0 if dn, should it parse, compares with normal forms by ASCII case
 * folding alone (no spaces, escapes, quotes, multi-valued RDNs or
 * non-ASCII bytes), so callers can skip dn_normalize(); else 1. */
int dn_needs_normalize(const char *dn);

#endif
