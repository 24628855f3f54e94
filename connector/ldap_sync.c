/*
 * ldap_sync: RFC 4533 values (see ldap_sync.h).  The ASN.1, from RFC 4533
 * §2.2-2.5:
 *
 *   syncRequestValue ::= SEQUENCE { mode ENUMERATED, cookie OCTET STRING
 *                                   OPTIONAL, reloadHint BOOLEAN DEFAULT
 *                                   FALSE }
 *   syncStateValue   ::= SEQUENCE { state ENUMERATED, entryUUID OCTET
 *                                   STRING (16), cookie OPTIONAL }
 *   syncDoneValue    ::= SEQUENCE { cookie OPTIONAL, refreshDeletes
 *                                   BOOLEAN DEFAULT FALSE }
 *   syncInfoValue    ::= CHOICE { newcookie [0] cookie,
 *       refreshDelete  [1] SEQUENCE { cookie OPTIONAL, refreshDone DEFAULT TRUE },
 *       refreshPresent [2] SEQUENCE { cookie OPTIONAL, refreshDone DEFAULT TRUE },
 *       syncIdSet      [3] SEQUENCE { cookie OPTIONAL, refreshDeletes
 *                                     DEFAULT FALSE, syncUUIDs SET OF
 *                                     OCTET STRING (16) } }
 */
#include <stdio.h>
#include <string.h>

#include "ldap_sync.h"

int
ldap_sync_request(const struct berval *cookie, LDAPControl **out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv = { 0, NULL };
	int rc = LDAP_NO_MEMORY;

	*out = NULL;
	if (ber == NULL)
		return rc;
	if (ber_printf(ber, "{e", (ber_int_t)LDAP_SYNC_REFRESH_ONLY) < 0 ||
	    (cookie != NULL && cookie->bv_len > 0 &&
	     ber_printf(ber, "O", cookie) < 0) ||
	    ber_printf(ber, "N}") < 0 || ber_flatten2(ber, &bv, 0) < 0) {
		rc = LDAP_ENCODING_ERROR;
		goto out;
	}
	rc = ldap_control_create(LDAP_CONTROL_SYNC, 1, &bv, 1, out);
out:
	ber_free(ber, 1);
	return rc;
}

int
ldap_sync_uuid_text(const struct berval *uuid, char out[SYNC_UUID_TEXT])
{
	const unsigned char *u = (const unsigned char *)uuid->bv_val;
	size_t i;
	char *p = out;

	if (uuid->bv_len != 16)
		return -1;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		p += snprintf(p, 3, "%02x", u[i]);
	}
	*p = '\0';
	return 0;
}

/* A decoder reading val in place (so that "m" values point into val);
 * NULL when out of memory.  Free with ber_free(ber, 0): val is not its. */
static BerElement *
reader(const struct berval *val)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber != NULL)
		ber_init2(ber, (struct berval *)val, LBER_USE_DER);
	return ber;
}

/* The next element's bytes, pointing into the value: unlike ber_scanf's
 * "m", which writes a NUL after them into the (const) value. */
static int
in_place(BerElement *ber, struct berval *out)
{
	return ber_get_stringbv(ber, out, LBER_BV_NOTERM) == LBER_ERROR ? -1 : 0;
}

/* Opens a SEQUENCE: -1 if the next element is anything else. */
static int
sequence(BerElement *ber)
{
	ber_len_t len;

	if (ber_peek_tag(ber, &len) != LBER_SEQUENCE)
		return -1;
	return ber_scanf(ber, "{") == LBER_ERROR ? -1 : 0;
}

/* Reads an optional cookie, then an optional BOOLEAN into *flag. */
static int
cookie_and_flag(BerElement *ber, struct berval *cookie, int *flag)
{
	ber_len_t len;
	ber_int_t b;

	cookie->bv_len = 0;
	cookie->bv_val = NULL;
	if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE &&
	    in_place(ber, cookie) < 0)
		return -1;
	if (ber_peek_tag(ber, &len) == LBER_BOOLEAN) {
		if (ber_scanf(ber, "b", &b) == LBER_ERROR)
			return -1;
		*flag = b != 0;
	}
	return 0;
}

int
ldap_sync_state(const struct berval *val, int *state,
		char uuid[SYNC_UUID_TEXT])
{
	BerElement *ber = reader(val);
	struct berval u = { 0, NULL };
	ber_int_t st;
	int rc = -1;

	if (ber == NULL)
		return -1;
	if (sequence(ber) == 0 && ber_scanf(ber, "e", &st) != LBER_ERROR &&
	    in_place(ber, &u) == 0 &&
	    st >= LDAP_SYNC_PRESENT && st <= LDAP_SYNC_DELETE &&
	    ldap_sync_uuid_text(&u, uuid) == 0) {
		*state = st;
		rc = 0;
	}
	ber_free(ber, 0);
	return rc;
}

int
ldap_sync_done(const struct berval *val, struct berval *cookie,
	       int *refresh_deletes)
{
	BerElement *ber = reader(val);
	int rc = -1;

	*refresh_deletes = 0;
	if (ber == NULL)
		return -1;
	if (sequence(ber) == 0)
		rc = cookie_and_flag(ber, cookie, refresh_deletes);
	ber_free(ber, 0);
	return rc;
}

static int
info(BerElement *ber, struct sync_info *out)
{
	ber_len_t len;

	out->tag = ber_peek_tag(ber, &len);
	switch (out->tag) {
	case LDAP_TAG_SYNC_NEW_COOKIE:
		return in_place(ber, &out->cookie);
	case LDAP_TAG_SYNC_REFRESH_DELETE:
	case LDAP_TAG_SYNC_REFRESH_PRESENT:
		out->flag = 1;	/* refreshDone DEFAULT TRUE */
		if (ber_scanf(ber, "{") == LBER_ERROR)
			return -1;
		return cookie_and_flag(ber, &out->cookie, &out->flag);
	case LDAP_TAG_SYNC_ID_SET:
		if (ber_scanf(ber, "{") == LBER_ERROR ||
		    cookie_and_flag(ber, &out->cookie, &out->flag) < 0 ||
		    ber_scanf(ber, "[W]", &out->uuids) == LBER_ERROR)
			return -1;
		return 0;
	default:
		return -1;
	}
}

int
ldap_sync_info(const struct berval *val, struct sync_info *out)
{
	BerElement *ber = reader(val);
	int rc;

	memset(out, 0, sizeof(*out));
	if (ber == NULL)
		return -1;
	rc = info(ber, out);
	ber_free(ber, 0);
	if (rc < 0 && out->uuids != NULL) {
		ber_bvarray_free(out->uuids);
		out->uuids = NULL;
	}
	return rc;
}
