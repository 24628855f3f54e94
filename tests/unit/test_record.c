/* record: builder layout, lookups, recordset indexes and group linking. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dn.h"
#include "record.h"
#include "util/str.h"
#include "t.h"

/* Builds an LDAP-style record in b's arena (keys in rs's): attrs is
 * "name=value" pairs, members DNs. */
static struct record *
build(struct recordset *rs, struct record_builder *b, enum record_kind kind,
      const char *anchor, const char *dn, const char **attrs,
      const char **members)
{
	for (size_t i = 0; attrs && attrs[i]; i++) {
		const char *eq = strchr(attrs[i], '=');
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)(eq - attrs[i]),
			 attrs[i]);
		record_builder_add(b, name, eq + 1, strlen(eq + 1));
	}
	for (size_t i = 0; members && members[i]; i++)
		record_builder_add_member(b, members[i],
			dn_normalize_arena(&rs->arena, members[i]));
	return record_builder_finish(b, kind, anchor, dn,
				     dn_normalize_arena(&rs->arena, dn));
}

/* build(), then recordset_add(), which must accept it. */
static struct record *
mk(struct recordset *rs, struct record_builder *b, enum record_kind kind,
   const char *anchor, const char *dn, const char **attrs,
   const char **members)
{
	struct record *r = build(rs, b, kind, anchor, dn, attrs, members);

	CHECK_INT(recordset_add(rs, r), 0);
	return r;
}

/* memberOf values joined by '|' in a static buffer. */
static const char *
member_of(const struct record *r)
{
	static char buf[1024];
	const struct attr *a = record_attr(r, "memberof");
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; a && i < a->n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? "|" : "", a->vals[i]);
	return buf;
}

static void
test_record_builder_groups_attrs(void)
{
	struct recordset rs;
	struct record_builder b;
	struct record *r;
	const struct attr *a;

	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	record_builder_add(&b, "cn", "Ann", 3);
	record_builder_add(&b, "mail", "ann@x.test", 10);
	record_builder_add(&b, "CN", "Annie", 5);
	record_builder_add(&b, "desc", "cut\0here", 8);
	record_builder_add(&b, "mail", "ANN@x.test", 4);	/* n bytes only */
	record_builder_add_member(&b, "cn=g,dc=x", NULL);
	r = record_builder_finish(&b, RECORD_GROUP, "A1", "cn=Ann", "cn=ann");
	CHECK_INT(r->nattrs, 3);
	CHECK_STR(r->attrs[0].name, "cn");
	CHECK_STR(r->attrs[1].name, "mail");
	CHECK_STR(r->attrs[2].name, "desc");
	a = record_attr(r, "CN");
	CHECK(a != NULL && a->n == 2);
	CHECK_STR(a->vals[0], "Ann");
	CHECK_STR(a->vals[1], "Annie");
	CHECK_STR(record_attr(r, "MAIL")->vals[1], "ANN@");
	CHECK_STR(record_first(r, "desc"), "cut");
	CHECK(record_first(r, "nope") == NULL);
	CHECK_INT(r->nmembers, 1);
	CHECK(r->member_keys[0] == NULL);
	CHECK_STR(r->anchor, "A1");
	/* the builder is reset: the next record starts empty */
	record_builder_add(&b, "uid", "b", 1);
	r = record_builder_finish(&b, RECORD_USER, "A2", "uid=b", "uid=b");
	CHECK_INT(r->nattrs, 1);
	CHECK_INT(r->nmembers, 0);
	CHECK_STR(record_first(r, "uid"), "b");
	record_builder_release(&b);
	recordset_release(&rs);
}

static void
test_recordset_duplicate_anchor(void)
{
	struct recordset rs;
	struct record_builder b;
	struct record *r1, *r2;

	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	r1 = record_builder_finish(&b, RECORD_USER, "same", "uid=a", "uid=a");
	r2 = record_builder_finish(&b, RECORD_USER, "same", "uid=b", "uid=b");
	CHECK_INT(recordset_add(&rs, r1), 0);
	CHECK_INT(recordset_add(&rs, r2), -1);
	CHECK_INT(rs.nusers, 1);
	CHECK(recordset_find(&rs, "uid=a") == r1);
	CHECK(recordset_find(&rs, "uid=b") == NULL);
	CHECK(recordset_find(&rs, NULL) == NULL);
	record_builder_release(&b);
	recordset_release(&rs);
}

static void
test_recordset_link_groups_nested(void)
{
	struct recordset rs;
	struct record_builder b;
	struct record *ann, *bob, *cy;
	const char *ann_a[] = { "uid=ann",
		"memberOf=CN=Outer, OU=Groups,DC=x", NULL };
	const char *inner_m[] = { "uid=Ann,ou=p,dc=x", "UID=bob, ou=p,dc=x",
				  "uid=ghost,ou=p,dc=x", "not a dn", NULL };
	const char *outer_m[] = { "cn=Inner,ou=groups,dc=x", NULL };
	const char *top_m[] = { "cn=outer,ou=groups,dc=x",
				"uid=cy,ou=p,dc=x", NULL };

	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	ann = mk(&rs, &b, RECORD_USER, "u1", "uid=ann,ou=p,dc=x", ann_a, NULL);
	bob = mk(&rs, &b, RECORD_USER, "u2", "uid=bob,ou=p,dc=x", NULL, NULL);
	cy = mk(&rs, &b, RECORD_USER, "u3", "uid=cy,ou=p,dc=x", NULL, NULL);
	mk(&rs, &b, RECORD_GROUP, "g1", "cn=Inner,ou=Groups,dc=x", NULL,
	   inner_m);
	mk(&rs, &b, RECORD_GROUP, "g2", "cn=Outer,ou=Groups,dc=x", NULL,
	   outer_m);
	mk(&rs, &b, RECORD_GROUP, "g3", "cn=Top,ou=Groups,dc=x", NULL, top_m);
	recordset_link_groups(&rs);
	/* ann already had Outer (spelt differently): not repeated */
	CHECK_STR(member_of(ann), "CN=Outer, OU=Groups,DC=x|"
		  "cn=Inner,ou=Groups,dc=x|cn=Top,ou=Groups,dc=x");
	CHECK_STR(member_of(bob), "cn=Inner,ou=Groups,dc=x|"
		  "cn=Outer,ou=Groups,dc=x|cn=Top,ou=Groups,dc=x");
	CHECK_STR(member_of(cy), "cn=Top,ou=Groups,dc=x");
	CHECK_STR(record_first(ann, "uid"), "ann");
	record_builder_release(&b);
	recordset_release(&rs);
}

static void
test_recordset_link_groups_cycle(void)
{
	struct recordset rs;
	struct record_builder b;
	struct record *ann;
	const char *a_m[] = { "cn=b,dc=x", "uid=ann,dc=x", NULL };
	const char *b_m[] = { "cn=a,dc=x", "cn=b,dc=x", NULL };

	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	ann = mk(&rs, &b, RECORD_USER, "u1", "uid=ann,dc=x", NULL, NULL);
	mk(&rs, &b, RECORD_GROUP, "ga", "cn=a,dc=x", NULL, a_m);
	mk(&rs, &b, RECORD_GROUP, "gb", "cn=b,dc=x", NULL, b_m);
	recordset_link_groups(&rs);
	CHECK_STR(member_of(ann), "cn=a,dc=x|cn=b,dc=x");
	CHECK_INT(ann->nattrs, 1);
	record_builder_release(&b);
	recordset_release(&rs);
}

/* on_user: records each user's memberOf as it was when the user arrived. */
static void
seen_user(void *arg, struct record *u)
{
	struct str *log = arg;

	str_addf(log, "%s:%s;", u->anchor, member_of(u));
}

/* Groups first, then users: each user is linked on arrival, exactly as
 * recordset_link_groups() would link it after the fetch. */
static void
test_recordset_groups_done_streams(void)
{
	struct recordset rs;
	struct record_builder b;
	struct record *ann;
	struct str log = STR_INIT;
	const char *ann_a[] = { "memberOf=CN=Outer, OU=Groups,DC=x", NULL };
	const char *inner_m[] = { "uid=Ann,ou=p,dc=x", "UID=bob, ou=p,dc=x",
				  "uid=ann,ou=p,dc=x", NULL };
	const char *outer_m[] = { "cn=Inner,ou=groups,dc=x", NULL };
	const char *top_m[] = { "cn=outer,ou=groups,dc=x",
				"uid=cy,ou=p,dc=x", "uid=ann,ou=p,dc=x", NULL };

	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	rs.on_user = seen_user;
	rs.on_user_arg = &log;
	mk(&rs, &b, RECORD_GROUP, "g1", "cn=Inner,ou=Groups,dc=x", NULL,
	   inner_m);
	mk(&rs, &b, RECORD_GROUP, "g2", "cn=Outer,ou=Groups,dc=x", NULL,
	   outer_m);
	mk(&rs, &b, RECORD_GROUP, "g3", "cn=Top,ou=Groups,dc=x", NULL, top_m);
	recordset_groups_done(&rs);
	ann = mk(&rs, &b, RECORD_USER, "u1", "uid=ann,ou=p,dc=x", ann_a, NULL);
	mk(&rs, &b, RECORD_USER, "u2", "uid=bob,ou=p,dc=x", NULL, NULL);
	mk(&rs, &b, RECORD_USER, "u3", "uid=cy,ou=p,dc=x", NULL, NULL);
	mk(&rs, &b, RECORD_USER, "u4", "uid=dee,ou=p,dc=x", NULL, NULL);
	recordset_link_groups(&rs);	/* only frees the index now */
	CHECK_STR(str_cstr(&log),
		  "u1:CN=Outer, OU=Groups,DC=x|cn=Inner,ou=Groups,dc=x|"
		  "cn=Top,ou=Groups,dc=x;"
		  "u2:cn=Inner,ou=Groups,dc=x|cn=Outer,ou=Groups,dc=x|"
		  "cn=Top,ou=Groups,dc=x;"
		  "u3:cn=Top,ou=Groups,dc=x;u4:;");
	/* in_groups: every containing group once, in group order */
	CHECK_INT(ann->nin_groups, 3);
	CHECK_INT(ann->in_groups[0], 0);
	CHECK_INT(ann->in_groups[2], 2);
	CHECK_INT(rs.users[2]->nin_groups, 1);
	CHECK_INT(rs.users[2]->in_groups[0], 2);
	CHECK_INT(rs.users[3]->nin_groups, 0);
	str_release(&log);
	record_builder_release(&b);
	recordset_release(&rs);
}

/* 100,000 users in 2,500 groups nested 50 deep must link in well under
 * a second; the bound is loose so that slow CI and ASan pass. */
static void
test_recordset_link_groups_scale(void)
{
	enum { NU = 100000, NG = 2500 };
	struct recordset rs;
	struct record_builder b;
	char dn[64], key[64];
	clock_t t0;
	double secs;
	size_t total = 0;

	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	for (int u = 0; u < NU; u++) {
		snprintf(dn, sizeof(dn), "uid=u%d,ou=p,dc=x", u);
		record_builder_add(&b, "uid", dn + 4, 3);
		recordset_add(&rs, record_builder_finish(&b, RECORD_USER,
							 dn, dn, dn));
	}
	for (int g = 0; g < NG; g++) {
		for (int u = g * 40; u < g * 40 + 40; u++) {
			snprintf(key, sizeof(key), "uid=u%d,ou=p,dc=x", u);
			record_builder_add_member(&b, key, key);
		}
		if (g % 50 != 49) {	/* chains of 50 nested groups */
			snprintf(key, sizeof(key), "cn=g%d,dc=x", g + 1);
			record_builder_add_member(&b, key, key);
		}
		snprintf(dn, sizeof(dn), "cn=g%d,dc=x", g);
		recordset_add(&rs, record_builder_finish(&b, RECORD_GROUP,
							 dn, dn, dn));
	}
	t0 = clock();
	recordset_link_groups(&rs);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	for (int u = 0; u < NU; u++) {
		const struct attr *a = record_attr(rs.users[u], "memberOf");

		total += a ? a->n : 0;
	}
	/* a user in chain position p is in p + 1 groups */
	CHECK_INT(total, (size_t)40 * 50 * 51 / 2 * (NG / 50));
	CHECK_STR(record_first(rs.users[40 * 49], "memberOf"), "cn=g0,dc=x");
	CHECK(secs < 5.0);
	printf("  link_groups: %d users, %d groups: %.3fs\n", NU, NG, secs);
	record_builder_release(&b);
	recordset_release(&rs);
}

/*
 * Slimming.  slim_log is both callbacks' argument: on_user writes what the
 * full record held (its scratch copy is gone by the time the test looks),
 * on_slim checks it is told the record just added and its slim copy.
 */
struct slim_log {
	struct recordset *rs;
	const struct record *adding;	/* what recordset_add was given */
	size_t nusers, nslim, bad_user, bad_old, bad_slim;
	struct str seen;		/* per user: "anchor nattrs:values;" */
};

static void
slim_user(void *arg, struct record *u)
{
	struct slim_log *L = arg;
	const char *mail = record_first(u, "mail");
	const char *cn = record_first(u, "cn");
	const char *mgr = record_first(u, "manager");

	L->nusers++;
	L->bad_user += u != L->adding;
	str_addf(&L->seen, "%s %zu:%s|%s|%s|%s;", u->anchor, u->nattrs,
		 mail ? mail : "-", cn ? cn : "-", mgr ? mgr : "-",
		 member_of(u));
}

static void
slim_done(void *arg, const struct record *old, struct record *slim)
{
	struct slim_log *L = arg;

	L->nslim++;
	L->bad_old += old != L->adding;
	L->bad_slim += L->rs->nusers == 0 ||
		       slim != L->rs->users[L->rs->nusers - 1] || slim == old;
}

static void
slim_log_init(struct slim_log *L, struct recordset *rs,
	      const char *const *keep)
{
	memset(L, 0, sizeof(*L));
	L->rs = rs;
	L->seen = (struct str)STR_INIT;
	rs->keep = keep;
	rs->on_user = slim_user;
	rs->on_slim = slim_done;
	rs->on_user_arg = L;
}

/* build() a user and recordset_add() it; returns what add returned. */
static int
add_user(struct slim_log *L, struct record_builder *b, const char *anchor,
	 const char *dn, const char **attrs)
{
	struct record *u = build(L->rs, b, RECORD_USER, anchor, dn, attrs,
				 NULL);

	L->adding = u;
	return recordset_add(L->rs, u);
}

/* Groups inner (ann) and outer (inner, bob): ann is in both. */
static void
add_two_groups(struct recordset *rs, struct record_builder *b)
{
	const char *inner_m[] = { "uid=ann,ou=p,dc=x", NULL };
	const char *outer_m[] = { "cn=inner,dc=x", "uid=bob,ou=p,dc=x", NULL };

	mk(rs, b, RECORD_GROUP, "g1", "cn=inner,dc=x", NULL, inner_m);
	mk(rs, b, RECORD_GROUP, "g2", "cn=outer,dc=x", NULL, outer_m);
}

static const char *const keep_manager[] = { "manager", NULL };

/* on_user sees each user whole; the recordset keeps only manager (plus
 * anchor, id, key and groups), in a copy that outlives the scratch. */
static void
test_recordset_slim_keeps_only_keep(void)
{
	struct recordset rs;
	struct record_builder b;
	struct slim_log L;
	const char *ann_a[] = { "mail=ann@x.test", "cn=Ann",
				"manager=uid=bob,ou=p,dc=x", NULL };
	const char *bob_a[] = { "mail=bob@x.test", "cn=Bob",
				"Manager=uid=boss,ou=p,dc=x", NULL };
	const char *cy_a[] = { "mail=cy@x.test", "cn=Cy", NULL };
	const char *dup_a[] = { "mail=dup@x.test", "manager=uid=z", NULL };
	const char *anchors[] = { "u1", "u2", "u3" };
	const char *dns[] = { "uid=ann,ou=p,dc=x", "uid=bob,ou=p,dc=x",
			      "uid=cy,ou=p,dc=x" };
	const char *mgrs[] = { "uid=bob,ou=p,dc=x", "uid=boss,ou=p,dc=x",
			       NULL };
	const struct record *full[3];

	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	add_two_groups(&rs, &b);
	recordset_groups_done(&rs);
	slim_log_init(&L, &rs, keep_manager);
	CHECK(recordset_user_arena(&rs) == &rs.scratch);
	record_builder_set_arena(&b, recordset_user_arena(&rs));
	CHECK_INT(add_user(&L, &b, "u1", dns[0], ann_a), 0);
	full[0] = L.adding;
	CHECK_INT(add_user(&L, &b, "u2", dns[1], bob_a), 0);
	full[1] = L.adding;
	CHECK_INT(add_user(&L, &b, "u3", dns[2], cy_a), 0);
	full[2] = L.adding;
	/* same anchor as ann: refused, nobody told, nothing added */
	CHECK_INT(add_user(&L, &b, "u1", "uid=dup,ou=p,dc=x", dup_a), -1);
	CHECK_INT(rs.nusers, 3);
	CHECK(recordset_find(&rs, "uid=dup,ou=p,dc=x") == NULL);
	CHECK_INT(L.nusers, 3);
	CHECK_INT(L.nslim, 3);
	CHECK_INT(L.bad_user, 0);
	CHECK_INT(L.bad_old, 0);
	CHECK_INT(L.bad_slim, 0);
	CHECK_STR(str_cstr(&L.seen),
		  "u1 4:ann@x.test|Ann|uid=bob,ou=p,dc=x|"
		  "cn=inner,dc=x|cn=outer,dc=x;"
		  "u2 4:bob@x.test|Bob|uid=boss,ou=p,dc=x|cn=outer,dc=x;"
		  "u3 2:cy@x.test|Cy|-|;");
	/* still small: the full records are intact to compare with */
	CHECK(rs.scratch.used > 0 && rs.scratch.used < (64u << 10));
	for (size_t i = 0; i < 3; i++) {
		const struct record *r = rs.users[i];

		CHECK(r != full[i]);
		CHECK_INT(r->kind, RECORD_USER);
		CHECK_STR(r->anchor, anchors[i]);
		CHECK_STR(r->anchor, full[i]->anchor);
		CHECK_STR(r->id, full[i]->id);
		CHECK_STR(r->key, full[i]->key);
		CHECK_STR(r->key, dns[i]);
		CHECK_INT(r->nattrs, mgrs[i] != NULL);
		CHECK_STR(record_first(r, "manager"), mgrs[i]);
		CHECK(record_attr(r, "mail") == NULL);
		CHECK(record_attr(r, "memberOf") == NULL);
		CHECK(recordset_find(&rs, dns[i]) == r);
		CHECK_INT(r->nmembers, 0);
	}
	CHECK_INT(rs.users[0]->attrs[0].n, 1);
	CHECK_INT(rs.users[0]->nin_groups, 2);
	CHECK(rs.users[0]->nin_groups == 2 && rs.users[0]->in_groups[0] == 0 &&
	      rs.users[0]->in_groups[1] == 1);
	CHECK(rs.users[1]->nin_groups == 1 && rs.users[1]->in_groups[0] == 1);
	CHECK_INT(rs.users[2]->nin_groups, 0);
	CHECK(rs.groups[0] == recordset_find(&rs, "cn=inner,dc=x"));
	recordset_link_groups(&rs);	/* the end of the fetch */
	CHECK_STR(record_first(rs.users[1], "manager"), "uid=boss,ou=p,dc=x");
	str_release(&L.seen);
	record_builder_release(&b);
	recordset_release(&rs);
}

/* 2,000 users of ~400 bytes each: the scratch arena is rewound as it
 * passes 64 KiB, so it never holds more than that plus one record, and
 * every slim copy survives the rewinds. */
static void
test_recordset_slim_scratch_rewound(void)
{
	enum { NU = 2000 };
	struct recordset rs;
	struct record_builder b;
	struct slim_log L;
	char pad[101], mail[160], cn[160], desc[160], mgr[160], dn[64];
	const char *attrs[] = { mail, cn, desc, mgr, NULL };
	size_t max_rec = 0, max_before = 0, max_after = 0, rewinds = 0;
	size_t good = 0;

	memset(pad, 'p', 100);
	pad[100] = '\0';
	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	add_two_groups(&rs, &b);
	recordset_groups_done(&rs);
	slim_log_init(&L, &rs, keep_manager);
	record_builder_set_arena(&b, recordset_user_arena(&rs));
	for (int i = 0; i < NU; i++) {
		size_t before = rs.scratch.used;
		struct record *u;

		snprintf(mail, sizeof(mail), "mail=u%d@x.test.%s", i, pad);
		snprintf(cn, sizeof(cn), "cn=User %d %s", i, pad);
		snprintf(desc, sizeof(desc), "description=%s", pad);
		snprintf(mgr, sizeof(mgr), "manager=uid=m%d,ou=p,dc=x", i / 10);
		snprintf(dn, sizeof(dn), "uid=u%d,ou=p,dc=x", i);
		u = build(&rs, &b, RECORD_USER, dn, dn, attrs, NULL);
		if (rs.scratch.used - before > max_rec)
			max_rec = rs.scratch.used - before;
		if (rs.scratch.used > max_before)
			max_before = rs.scratch.used;
		L.adding = u;
		CHECK_INT(recordset_add(&rs, u), 0);
		rewinds += rs.scratch.used < before;
		if (rs.scratch.used > max_after)
			max_after = rs.scratch.used;
	}
	CHECK(max_rec > 400);
	CHECK(max_before < (64u << 10) + max_rec);
	CHECK(max_after <= (64u << 10));
	CHECK(rewinds >= NU * 400 / (64 << 10));
	printf("  slim: %d users, record %zu B, scratch peak %zu B, "
	       "%zu rewinds\n", NU, max_rec, max_before, rewinds);
	CHECK_INT(rs.nusers, NU);
	CHECK_INT(L.nusers, NU);
	CHECK_INT(L.nslim, NU);
	CHECK_INT(L.bad_user + L.bad_old + L.bad_slim, 0);
	for (int i = 0; i < NU; i++) {
		const struct record *r = rs.users[i];

		snprintf(mgr, sizeof(mgr), "uid=m%d,ou=p,dc=x", i / 10);
		snprintf(dn, sizeof(dn), "uid=u%d,ou=p,dc=x", i);
		good += r->nattrs == 1 && r->attrs[0].n == 1 &&
			strcmp(r->attrs[0].vals[0], mgr) == 0 &&
			strcmp(r->anchor, dn) == 0 && strcmp(r->key, dn) == 0 &&
			recordset_find(&rs, dn) == r;
	}
	CHECK_INT(good, NU);
	str_release(&L.seen);
	record_builder_release(&b);
	recordset_release(&rs);
}

/* Without keep nothing is slimmed: users are built in and kept from
 * rs.arena as they are, and on_slim is never called. */
static void
test_recordset_slim_off_without_keep(void)
{
	struct recordset rs;
	struct record_builder b;
	struct slim_log L;
	const struct record *ann;
	const char *ann_a[] = { "mail=ann@x.test", "cn=Ann",
				"manager=uid=bob,ou=p,dc=x", NULL };

	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	add_two_groups(&rs, &b);
	recordset_groups_done(&rs);
	slim_log_init(&L, &rs, NULL);
	CHECK(recordset_user_arena(&rs) == &rs.arena);
	record_builder_set_arena(&b, recordset_user_arena(&rs));
	CHECK_INT(add_user(&L, &b, "u1", "uid=ann,ou=p,dc=x", ann_a), 0);
	ann = L.adding;
	CHECK_INT(add_user(&L, &b, "u1", "uid=dup,ou=p,dc=x", ann_a), -1);
	CHECK_INT(rs.nusers, 1);
	CHECK(rs.users[0] == ann);
	CHECK_INT(L.nusers, 1);
	CHECK_INT(L.nslim, 0);
	CHECK_INT(rs.scratch.used, 0);
	CHECK(recordset_find(&rs, "uid=ann,ou=p,dc=x") == rs.users[0]);
	CHECK_INT(rs.users[0]->nattrs, 4);
	CHECK_STR(record_first(rs.users[0], "mail"), "ann@x.test");
	CHECK_STR(record_first(rs.users[0], "cn"), "Ann");
	CHECK_STR(member_of(rs.users[0]), "cn=inner,dc=x|cn=outer,dc=x");
	CHECK_INT(rs.users[0]->nin_groups, 2);
	str_release(&L.seen);
	record_builder_release(&b);
	recordset_release(&rs);
}

/*
 * README "Decisions": for fetched groups the member lists decide.  ann's
 * own memberOf names Staff (fetched, lists only bob): dropped; Elsewhere
 * (not fetched): kept; Team lists her: added.  bob's memberOf of Staff is
 * right and is not repeated.  Checked when linking streams (groups first,
 * slim or not) and when it runs after the fetch.
 */
enum link_mode { LINK_AFTER, LINK_STREAM, LINK_STREAM_SLIM };

/* Staff lists bob, Team lists ann. */
static void
add_staff_team(struct recordset *rs, struct record_builder *b)
{
	const char *staff_m[] = { "uid=bob,ou=p,dc=x", NULL };
	const char *team_m[] = { "uid=ann,ou=p,dc=x", NULL };

	mk(rs, b, RECORD_GROUP, "g1", "cn=Staff,ou=g,dc=x", NULL, staff_m);
	mk(rs, b, RECORD_GROUP, "g2", "cn=Team,ou=g,dc=x", NULL, team_m);
}

static void
stale_member_of(enum link_mode mode)
{
	static const char *const keep_mo[] = { "memberOf", NULL };
	struct recordset rs;
	struct record_builder b;
	struct slim_log L;
	const char *ann_a[] = { "memberOf=CN=Staff, OU=g,DC=x",
				"memberOf=cn=Elsewhere,dc=x", NULL };
	const char *bob_a[] = { "memberOf=cn=staff,ou=g,dc=x", NULL };
	const struct record *ann, *bob;

	recordset_init(&rs);
	record_builder_init(&b, &rs.arena);
	slim_log_init(&L, &rs, mode == LINK_STREAM_SLIM ? keep_mo : NULL);
	if (mode != LINK_AFTER) {
		add_staff_team(&rs, &b);
		recordset_groups_done(&rs);
		record_builder_set_arena(&b, recordset_user_arena(&rs));
	}
	CHECK_INT(add_user(&L, &b, "u1", "uid=ann,ou=p,dc=x", ann_a), 0);
	CHECK_INT(add_user(&L, &b, "u2", "uid=bob,ou=p,dc=x", bob_a), 0);
	if (mode == LINK_AFTER)
		add_staff_team(&rs, &b);
	recordset_link_groups(&rs);
	CHECK_INT(rs.nusers, 2);
	ann = rs.users[0];
	bob = rs.users[1];
	CHECK_STR(member_of(ann), "cn=Elsewhere,dc=x|cn=Team,ou=g,dc=x");
	CHECK_STR(member_of(bob), "cn=staff,ou=g,dc=x");
	CHECK_INT(ann->nattrs, 1);
	CHECK(ann->nin_groups == 1 && ann->in_groups[0] == 1);
	CHECK(bob->nin_groups == 1 && bob->in_groups[0] == 0);
	CHECK_INT(L.nslim, mode == LINK_STREAM_SLIM ? 2 : 0);
	str_release(&L.seen);
	record_builder_release(&b);
	recordset_release(&rs);
}

static void
test_recordset_stale_member_of_dropped(void)
{
	stale_member_of(LINK_AFTER);
	stale_member_of(LINK_STREAM);
	stale_member_of(LINK_STREAM_SLIM);
}

int
main(void)
{
	RUN(test_record_builder_groups_attrs);
	RUN(test_recordset_duplicate_anchor);
	RUN(test_recordset_link_groups_nested);
	RUN(test_recordset_link_groups_cycle);
	RUN(test_recordset_groups_done_streams);
	RUN(test_recordset_link_groups_scale);
	RUN(test_recordset_slim_keeps_only_keep);
	RUN(test_recordset_slim_scratch_rewound);
	RUN(test_recordset_slim_off_without_keep);
	RUN(test_recordset_stale_member_of_dropped);
	return t_done();
}
