/*
 * ldap_sync: the RFC 4533 (Content Synchronization) values harmony-sync
 * sends and reads, encoded and decoded with lber.  Debian's libldap 2.5
 * ships no ldap_sync.h (FIELD-NOTES), hence this small codec.  Only
 * refreshOnly is used: a run asks for what changed since its cookie and
 * stops at the server's syncDone.
 *
 * Decoders never trust the server: a value that does not parse returns -1
 * and the caller fails the fetch.  Returned cookies and UUIDs point into
 * the value decoded (no allocation) except where noted.
 */
#ifndef HS_LDAP_SYNC_H
#define HS_LDAP_SYNC_H

#include <ldap.h>
#include <stddef.h>

/* Text form of a 16-byte syncUUID, as entryUUID prints it. */
#define SYNC_UUID_TEXT 37

/* A sync request control (critical, refreshOnly) with cookie (NULL: the
 * first refresh).  Returns an LDAP result code; *out is freed with
 * ldap_control_free(). */
int ldap_sync_request(const struct berval *cookie, LDAPControl **out);

/* syncStateValue of an entry: state (LDAP_SYNC_PRESENT, _ADD, _MODIFY,
 * _DELETE) and the entry's UUID as text. */
int ldap_sync_state(const struct berval *val, int *state,
		    char uuid[SYNC_UUID_TEXT]);

/* syncDoneValue: cookie (bv_len 0 when absent) and refreshDeletes. */
int ldap_sync_done(const struct berval *val, struct berval *cookie,
		   int *refresh_deletes);

/* syncInfoValue (an intermediate response). */
struct sync_info {
	ber_tag_t tag;		/* LDAP_TAG_SYNC_NEW_COOKIE, _REFRESH_DELETE,
				 * _REFRESH_PRESENT or _ID_SET */
	struct berval cookie;	/* bv_len 0 when absent */
	int flag;		/* refreshDone, or for an ID set refreshDeletes */
	BerVarray uuids;	/* ID set only: allocated, 16-byte values;
				 * free with ber_bvarray_free() */
};

int ldap_sync_info(const struct berval *val, struct sync_info *out);

/* Writes the text form of a 16-byte UUID; -1 if uuid is not 16 bytes. */
int ldap_sync_uuid_text(const struct berval *uuid, char out[SYNC_UUID_TEXT]);

#endif
