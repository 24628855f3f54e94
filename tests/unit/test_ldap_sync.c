/* ldap_sync: the RFC 4533 codec.  Server values are built here with lber
 * as syncprov sends them (RFC 4533 §2.2-2.5), then decoded; the
 * decoders must reject damage without crashing.
 *
 * The decoders must not write into their const value (ber_scanf's "m"
 * once NUL-terminated strings in place, so a second decode of the same
 * value went wrong: test_sync_decode_is_read_only).  The values below
 * have one spare byte after bv_len, as libldap's do. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_sync.h"
#include "t.h"

static const unsigned char uuid_a[16] = {
	0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67,
	0x89, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22, 0x33,
};
#define UUID_A_TEXT "deadbeef-0123-4567-89ab-cdef00112233"

static const char cookie_text[] =
	"rid=001,csn=20240101000000.000000Z#000000#000#000000";

/* A berval over static bytes (lber's API is not const-correct). */
static struct berval
bv(const void *p, size_t n)
{
	struct berval b = { (ber_len_t)n, (char *)(uintptr_t)p };

	return b;
}

static struct berval
bv_str(const char *s)
{
	return bv(s, strlen(s));
}

/* ber_printf(fmt, ...) into a fresh DER element, flattened into *out
 * (free with ber_memfree(out->bv_val)). */
static void
encode(struct berval *out, const char *fmt, ...)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	/* ber_printf has no va_list form: build the value by pieces */
	rc = ber != NULL ? 0 : -1;
	for (const char *f = fmt; rc >= 0 && *f; f++) {
		char one[2] = { *f, '\0' };

		switch (*f) {
		case 'e':
		case 'b':
			rc = ber_printf(ber, one, va_arg(ap, ber_int_t));
			break;
		case 't':
			rc = ber_printf(ber, one, va_arg(ap, ber_tag_t));
			break;
		case 'O':
			rc = ber_printf(ber, one, va_arg(ap, struct berval *));
			break;
		case 'W':
			rc = ber_printf(ber, one, va_arg(ap, BerVarray));
			break;
		default:	/* { } [ ] N */
			rc = ber_printf(ber, one);
			break;
		}
	}
	va_end(ap);
	out->bv_len = 0;
	out->bv_val = NULL;
	CHECK(rc >= 0);
	CHECK(rc >= 0 && ber_flatten2(ber, out, 1) == 0);
	ber_free(ber, 1);
}

static int
same_bytes(const struct berval *b, const void *p, size_t n)
{
	return b->bv_len == n && (n == 0 || memcmp(b->bv_val, p, n) == 0);
}

/* 1 if p lies inside val: decoded cookies point into the value. */
static int
inside(const struct berval *val, const char *p)
{
	return p >= val->bv_val && p < val->bv_val + val->bv_len;
}

static void
test_sync_uuid_text(void)
{
	struct berval u = bv(uuid_a, 16), shorter = bv(uuid_a, 15);
	char text[SYNC_UUID_TEXT];

	CHECK_INT(ldap_sync_uuid_text(&u, text), 0);
	CHECK_STR(text, UUID_A_TEXT);
	CHECK_INT(strlen(text), SYNC_UUID_TEXT - 1);
	CHECK_INT(ldap_sync_uuid_text(&shorter, text), -1);
	shorter.bv_len = 0;
	CHECK_INT(ldap_sync_uuid_text(&shorter, text), -1);
}

static void
test_sync_state_each(void)
{
	static const int states[] = { LDAP_SYNC_PRESENT, LDAP_SYNC_ADD,
				      LDAP_SYNC_MODIFY, LDAP_SYNC_DELETE };
	struct berval u = bv(uuid_a, 16), c = bv_str(cookie_text), val;
	char text[SYNC_UUID_TEXT];
	int state;

	for (size_t i = 0; i < 4; i++) {
		encode(&val, "{eO}", (ber_int_t)states[i], &u);
		state = -1;
		memset(text, 'x', sizeof(text));
		CHECK_INT(ldap_sync_state(&val, &state, text), 0);
		CHECK_INT(state, states[i]);
		CHECK_STR(text, UUID_A_TEXT);
		ber_memfree(val.bv_val);
	}
	/* with the optional cookie */
	encode(&val, "{eOO}", (ber_int_t)LDAP_SYNC_ADD, &u, &c);
	CHECK_INT(ldap_sync_state(&val, &state, text), 0);
	CHECK_INT(state, LDAP_SYNC_ADD);
	CHECK_STR(text, UUID_A_TEXT);
	ber_memfree(val.bv_val);
}

static void
test_sync_state_bad(void)
{
	struct berval u15 = bv(uuid_a, 15), u17, u = bv(uuid_a, 16), val;
	unsigned char big[17];
	char text[SYNC_UUID_TEXT];
	int state = 99;

	encode(&val, "{eO}", (ber_int_t)LDAP_SYNC_ADD, &u15);
	CHECK_INT(ldap_sync_state(&val, &state, text), -1);
	CHECK_INT(state, 99);			/* written only on success */
	ber_memfree(val.bv_val);

	memcpy(big, uuid_a, 16);
	big[16] = 0x44;
	u17 = bv(big, 17);
	encode(&val, "{eO}", (ber_int_t)LDAP_SYNC_ADD, &u17);
	CHECK_INT(ldap_sync_state(&val, &state, text), -1);
	ber_memfree(val.bv_val);

	encode(&val, "{eO}", (ber_int_t)7, &u);
	CHECK_INT(ldap_sync_state(&val, &state, text), -1);
	CHECK_INT(state, 99);
	ber_memfree(val.bv_val);

	encode(&val, "{eO}", (ber_int_t)-1, &u);
	CHECK_INT(ldap_sync_state(&val, &state, text), -1);
	ber_memfree(val.bv_val);

	encode(&val, "{e}", (ber_int_t)LDAP_SYNC_ADD);	/* no UUID */
	CHECK_INT(ldap_sync_state(&val, &state, text), -1);
	ber_memfree(val.bv_val);

	val = bv("", 0);
	CHECK_INT(ldap_sync_state(&val, &state, text), -1);
	CHECK_INT(state, 99);
}

static void
test_sync_done(void)
{
	struct berval c = bv_str(cookie_text), val, cookie;
	int deletes;

	encode(&val, "{Ob}", &c, (ber_int_t)1);
	deletes = -1;
	CHECK_INT(ldap_sync_done(&val, &cookie, &deletes), 0);
	CHECK(same_bytes(&cookie, cookie_text, strlen(cookie_text)));
	CHECK(inside(&val, cookie.bv_val));
	CHECK_INT(deletes, 1);
	ber_memfree(val.bv_val);

	/* neither: no cookie, refreshDeletes DEFAULT FALSE */
	encode(&val, "{}");
	deletes = -1;
	cookie = bv("junk", 4);
	CHECK_INT(ldap_sync_done(&val, &cookie, &deletes), 0);
	CHECK_INT(cookie.bv_len, 0);
	CHECK_INT(deletes, 0);
	ber_memfree(val.bv_val);

	encode(&val, "{O}", &c);		/* cookie only */
	deletes = -1;
	CHECK_INT(ldap_sync_done(&val, &cookie, &deletes), 0);
	CHECK(same_bytes(&cookie, cookie_text, strlen(cookie_text)));
	CHECK_INT(deletes, 0);
	ber_memfree(val.bv_val);

	encode(&val, "{b}", (ber_int_t)0);	/* explicit FALSE */
	deletes = -1;
	CHECK_INT(ldap_sync_done(&val, &cookie, &deletes), 0);
	CHECK_INT(cookie.bv_len, 0);
	CHECK_INT(deletes, 0);
	ber_memfree(val.bv_val);

	val = bv("", 0);
	CHECK_INT(ldap_sync_done(&val, &cookie, &deletes), -1);
}

static void
test_sync_info_new_cookie(void)
{
	struct berval c = bv_str(cookie_text), val;
	struct sync_info in;

	encode(&val, "tO", (ber_tag_t)LDAP_TAG_SYNC_NEW_COOKIE, &c);
	CHECK_INT(ldap_sync_info(&val, &in), 0);
	CHECK_INT(in.tag, LDAP_TAG_SYNC_NEW_COOKIE);
	CHECK(same_bytes(&in.cookie, cookie_text, strlen(cookie_text)));
	CHECK(inside(&val, in.cookie.bv_val));
	CHECK(in.uuids == NULL);
	ber_memfree(val.bv_val);
}

static void
test_sync_info_refresh_delete(void)
{
	struct berval c = bv_str(cookie_text), val;
	struct sync_info in;

	/* refreshDone absent: DEFAULT TRUE */
	encode(&val, "t{O}", (ber_tag_t)LDAP_TAG_SYNC_REFRESH_DELETE, &c);
	CHECK_INT(ldap_sync_info(&val, &in), 0);
	CHECK_INT(in.tag, LDAP_TAG_SYNC_REFRESH_DELETE);
	CHECK(same_bytes(&in.cookie, cookie_text, strlen(cookie_text)));
	CHECK_INT(in.flag, 1);
	CHECK(in.uuids == NULL);
	ber_memfree(val.bv_val);

	encode(&val, "t{}", (ber_tag_t)LDAP_TAG_SYNC_REFRESH_DELETE);
	CHECK_INT(ldap_sync_info(&val, &in), 0);
	CHECK_INT(in.tag, LDAP_TAG_SYNC_REFRESH_DELETE);
	CHECK_INT(in.cookie.bv_len, 0);
	CHECK_INT(in.flag, 1);
	ber_memfree(val.bv_val);
}

static void
test_sync_info_refresh_present(void)
{
	struct berval c = bv_str(cookie_text), val;
	struct sync_info in;

	encode(&val, "t{Ob}", (ber_tag_t)LDAP_TAG_SYNC_REFRESH_PRESENT, &c,
	       (ber_int_t)0);
	CHECK_INT(ldap_sync_info(&val, &in), 0);
	CHECK_INT(in.tag, LDAP_TAG_SYNC_REFRESH_PRESENT);
	CHECK(same_bytes(&in.cookie, cookie_text, strlen(cookie_text)));
	CHECK_INT(in.flag, 0);
	CHECK(in.uuids == NULL);
	ber_memfree(val.bv_val);

	encode(&val, "t{b}", (ber_tag_t)LDAP_TAG_SYNC_REFRESH_PRESENT,
	       (ber_int_t)0);
	CHECK_INT(ldap_sync_info(&val, &in), 0);
	CHECK_INT(in.cookie.bv_len, 0);
	CHECK_INT(in.flag, 0);
	ber_memfree(val.bv_val);

	encode(&val, "t{b}", (ber_tag_t)LDAP_TAG_SYNC_REFRESH_PRESENT,
	       (ber_int_t)1);
	CHECK_INT(ldap_sync_info(&val, &in), 0);
	CHECK_INT(in.flag, 1);
	ber_memfree(val.bv_val);
}

/* Three distinct UUIDs, uuid_a with its first byte set to 1, 2, 3. */
static void
three_uuids(unsigned char raw[3][16], struct berval set[4])
{
	for (size_t i = 0; i < 3; i++) {
		memcpy(raw[i], uuid_a, 16);
		raw[i][0] = (unsigned char)(i + 1);
		set[i] = bv(raw[i], 16);
	}
	set[3] = bv(NULL, 0);
}

static void
test_sync_info_id_set(void)
{
	unsigned char raw[3][16];
	struct berval set[4], c = bv_str(cookie_text), val;
	struct sync_info in;
	size_t n;

	three_uuids(raw, set);
	/* as syncprov: "t{" cookie, refreshDeletes, "[W]" "N}" */
	encode(&val, "t{Ob[W]N}", (ber_tag_t)LDAP_TAG_SYNC_ID_SET, &c,
	       (ber_int_t)1, set);
	CHECK_INT(ldap_sync_info(&val, &in), 0);
	CHECK_INT(in.tag, LDAP_TAG_SYNC_ID_SET);
	CHECK(same_bytes(&in.cookie, cookie_text, strlen(cookie_text)));
	CHECK_INT(in.flag, 1);
	CHECK(in.uuids != NULL);
	for (n = 0; in.uuids != NULL && in.uuids[n].bv_val != NULL; n++)
		if (n < 3)
			CHECK(same_bytes(&in.uuids[n], raw[n], 16));
	CHECK_INT(n, 3);
	ber_bvarray_free(in.uuids);
	ber_memfree(val.bv_val);

	/* no cookie, refreshDeletes absent: DEFAULT FALSE */
	encode(&val, "t{[W]N}", (ber_tag_t)LDAP_TAG_SYNC_ID_SET, set);
	CHECK_INT(ldap_sync_info(&val, &in), 0);
	CHECK_INT(in.tag, LDAP_TAG_SYNC_ID_SET);
	CHECK_INT(in.cookie.bv_len, 0);
	CHECK_INT(in.flag, 0);
	for (n = 0; in.uuids != NULL && in.uuids[n].bv_val != NULL; n++)
		;
	CHECK_INT(n, 3);
	ber_bvarray_free(in.uuids);
	ber_memfree(val.bv_val);
}

/* An ID set whose outer lengths agree with the buffer but whose second
 * UUID claims more bytes than are left: lber fails inside the SET, after
 * allocating the first (valgrind: no leak, no double free). */
static void
test_sync_info_id_set_damaged(void)
{
	unsigned char buf[2 + 2 + 18 + 2 + 3 + 1] = { 0 };  /* + spare NUL */
	size_t len = sizeof(buf) - 1, k = 0;
	struct berval val = bv(buf, len);
	struct sync_info in;

	buf[k++] = 0xa3;
	buf[k++] = (unsigned char)(len - 2);
	buf[k++] = 0x31;				/* SET */
	buf[k++] = (unsigned char)(len - 4);
	buf[k++] = 0x04;
	buf[k++] = 16;
	memcpy(buf + k, uuid_a, 16);
	k += 16;
	buf[k++] = 0x04;
	buf[k++] = 16;					/* only 3 follow */
	memset(buf + k, 0x55, 3);
	k += 3;
	CHECK_INT(k, len);
	CHECK_INT(ldap_sync_info(&val, &in), -1);
	CHECK(in.uuids == NULL);
}

static void
test_sync_info_unknown_tag(void)
{
	struct berval c = bv_str(cookie_text), val;
	struct sync_info in;

	encode(&val, "t{O}", (ber_tag_t)0xa5, &c);
	CHECK_INT(ldap_sync_info(&val, &in), -1);
	CHECK(in.uuids == NULL);
	ber_memfree(val.bv_val);

	encode(&val, "{O}", &c);		/* a bare SEQUENCE */
	CHECK_INT(ldap_sync_info(&val, &in), -1);
	ber_memfree(val.bv_val);

	val = bv("", 0);
	CHECK_INT(ldap_sync_info(&val, &in), -1);
}

/* Runs the three decoders on a private copy of p[0..n) (valgrind sees
 * reads past its end), with the NUL after it that libldap's buffers have;
 * returns how many accepted it. */
static int
decode_all(const unsigned char *p, size_t n)
{
	unsigned char *copy = calloc(n + 1, 1);
	struct berval val = bv(copy, n), cookie;
	struct sync_info in;
	char text[SYNC_UUID_TEXT];
	int state, deletes, ok = 0;

	memcpy(copy, p, n);
	ok += ldap_sync_state(&val, &state, text) == 0;
	ok += ldap_sync_done(&val, &cookie, &deletes) == 0;
	if (ldap_sync_info(&val, &in) == 0) {
		ok++;
		ber_bvarray_free(in.uuids);
	} else {
		CHECK(in.uuids == NULL);
	}
	free(copy);
	return ok;
}

/* Every proper prefix of a value fails: its outer length runs past the
 * end. */
static void
check_prefixes(const struct berval *val, const char *what)
{
	size_t n, bad = 0;

	for (n = 0; n < val->bv_len; n++)
		if (decode_all((const unsigned char *)val->bv_val, n) != 0) {
			printf("  %s: prefix of %zu bytes (of %zu) accepted\n",
			       what, n, (size_t)val->bv_len);
			bad++;
		}
	CHECK_INT(bad, 0);
}

static void
test_sync_truncated(void)
{
	unsigned char raw[3][16];
	struct berval set[4], u = bv(uuid_a, 16), c = bv_str(cookie_text);
	struct berval val;

	three_uuids(raw, set);
	encode(&val, "{eOO}", (ber_int_t)LDAP_SYNC_ADD, &u, &c);
	check_prefixes(&val, "syncStateValue");
	ber_memfree(val.bv_val);
	encode(&val, "{Ob}", &c, (ber_int_t)1);
	check_prefixes(&val, "syncDoneValue");
	ber_memfree(val.bv_val);
	encode(&val, "tO", (ber_tag_t)LDAP_TAG_SYNC_NEW_COOKIE, &c);
	check_prefixes(&val, "newcookie");
	ber_memfree(val.bv_val);
	encode(&val, "t{Ob}", (ber_tag_t)LDAP_TAG_SYNC_REFRESH_PRESENT, &c,
	       (ber_int_t)0);
	check_prefixes(&val, "refreshPresent");
	ber_memfree(val.bv_val);
	encode(&val, "t{Ob[W]N}", (ber_tag_t)LDAP_TAG_SYNC_ID_SET, &c,
	       (ber_int_t)1, set);
	check_prefixes(&val, "syncIdSet");
	ber_memfree(val.bv_val);
}

/* Garbage: huge lengths, then pseudo-random bytes (a fixed LCG, so a
 * failure repeats).  Only "no crash, no leak" is checked: lber accepts
 * some of it as well-formed. */
static void
test_sync_garbage(void)
{
	static const unsigned char huge[] = { 0x30, 0x84, 0xff, 0xff, 0xff,
					      0xff, 0x0a, 0x01, 0x01 };
	static const unsigned char huge_set[] = { 0xa3, 0x84, 0x7f, 0xff,
						  0xff, 0xff, 0x31, 0x00 };
	unsigned char buf[48];
	uint32_t x = 12345;

	CHECK_INT(decode_all(huge, sizeof(huge)), 0);
	CHECK_INT(decode_all(huge_set, sizeof(huge_set)), 0);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(i % (int)sizeof(buf));

		for (size_t k = 0; k < n; k++) {
			x = x * 1103515245u + 12345u;
			buf[k] = (unsigned char)(x >> 16);
		}
		/* a plausible first tag half the time reaches the inner
		 * decoding */
		if (n > 0 && i % 2 == 0)
			buf[0] = (unsigned char[]){ 0x30, 0x80, 0xa1, 0xa2,
						    0xa3 }[i % 5];
		(void)decode_all(buf, n);
	}
}

/* Decodes a request control's value: mode, and the cookie if any. */
static void
check_request(const struct berval *cookie)
{
	LDAPControl *ctrl = NULL;
	BerElement *ber;
	struct berval got = { 0, NULL };
	ber_int_t mode = -1;
	ber_len_t len;
	ber_tag_t tag;

	CHECK_INT(ldap_sync_request(cookie, &ctrl), LDAP_SUCCESS);
	if (ctrl == NULL)
		return;
	CHECK_STR(ctrl->ldctl_oid, LDAP_CONTROL_SYNC);
	CHECK_STR(ctrl->ldctl_oid, "1.3.6.1.4.1.4203.1.9.1.1");
	CHECK(ctrl->ldctl_iscritical != 0);
	ber = ber_init(&ctrl->ldctl_value);
	CHECK(ber != NULL);
	if (ber != NULL) {
		CHECK(ber_scanf(ber, "{e", &mode) != LBER_ERROR);
		CHECK_INT(mode, LDAP_SYNC_REFRESH_ONLY);
		CHECK_INT(mode, 1);
		tag = ber_peek_tag(ber, &len);
		if (cookie != NULL && cookie->bv_len > 0) {
			CHECK_INT(tag, LBER_OCTETSTRING);
			CHECK(ber_scanf(ber, "m", &got) != LBER_ERROR);
			CHECK(same_bytes(&got, cookie->bv_val,
					 cookie->bv_len));
			tag = ber_peek_tag(ber, &len);
		}
		/* no reloadHint (DEFAULT FALSE), nothing else */
		CHECK_INT(tag, LBER_DEFAULT);
		ber_free(ber, 1);
	}
	ldap_control_free(ctrl);
}

static void
test_sync_request(void)
{
	struct berval c = bv_str(cookie_text), empty = bv("", 0);
	struct berval abc = bv_str("abc");
	static const unsigned char bare[] = { 0x30, 0x03, 0x0a, 0x01, 0x01 };
	static const unsigned char with_abc[] = { 0x30, 0x08, 0x0a, 0x01,
						  0x01, 0x04, 0x03, 'a', 'b',
						  'c' };
	LDAPControl *ctrl = NULL;

	check_request(NULL);
	check_request(&c);
	check_request(&empty);		/* an empty cookie is no cookie */

	/* the exact DER */
	CHECK_INT(ldap_sync_request(NULL, &ctrl), LDAP_SUCCESS);
	CHECK(ctrl != NULL &&
	      same_bytes(&ctrl->ldctl_value, bare, sizeof(bare)));
	ldap_control_free(ctrl);
	ctrl = NULL;
	CHECK_INT(ldap_sync_request(&abc, &ctrl), LDAP_SUCCESS);
	CHECK(ctrl != NULL &&
	      same_bytes(&ctrl->ldctl_value, with_abc, sizeof(with_abc)));
	ldap_control_free(ctrl);
}

/* The header takes a const value: decoding must leave it as it was, and a
 * second decode must give the same answer (with ber_scanf's "m" it gave
 * refreshDeletes FALSE, -1 for an ID set, refreshDone TRUE). */
static void
test_sync_decode_is_read_only(void)
{
	struct berval c = bv_str(cookie_text), val, cookie;
	char *before;
	int deletes = -1;

	encode(&val, "{Ob}", &c, (ber_int_t)1);
	before = malloc(val.bv_len + 1);
	memcpy(before, val.bv_val, val.bv_len + 1);
	CHECK_INT(ldap_sync_done(&val, &cookie, &deletes), 0);
	CHECK_INT(deletes, 1);
	CHECK(memcmp(before, val.bv_val, val.bv_len + 1) == 0);
	CHECK_INT(ldap_sync_done(&val, &cookie, &deletes), 0);
	CHECK_INT(deletes, 1);
	free(before);
	ber_memfree(val.bv_val);
}

int
main(void)
{
	RUN(test_sync_uuid_text);
	RUN(test_sync_state_each);
	RUN(test_sync_state_bad);
	RUN(test_sync_done);
	RUN(test_sync_info_new_cookie);
	RUN(test_sync_info_refresh_delete);
	RUN(test_sync_info_refresh_present);
	RUN(test_sync_info_id_set);
	RUN(test_sync_info_id_set_damaged);
	RUN(test_sync_info_unknown_tag);
	RUN(test_sync_truncated);
	RUN(test_sync_garbage);
	RUN(test_sync_request);
	RUN(test_sync_decode_is_read_only);
	return t_done();
}
