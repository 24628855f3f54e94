/* record: builder layout, lookups, recordset indexes and group linking. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dn.h"
#include "record.h"
#include "util/str.h"
#include "t.h"

/* Adds an LDAP-style record: attrs is "name=value" pairs, members DNs. */
static struct record *
mk(struct recordset *rs, struct record_builder *b, enum record_kind kind,
   const char *anchor, const char *dn, const char **attrs,
   const char **members)
{
	struct record *r;

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
	r = record_builder_finish(b, kind, anchor, dn,
				  dn_normalize_arena(&rs->arena, dn));
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

int
main(void)
{
	RUN(test_record_builder_groups_attrs);
	RUN(test_recordset_duplicate_anchor);
	RUN(test_recordset_link_groups_nested);
	RUN(test_recordset_link_groups_cycle);
	RUN(test_recordset_groups_done_streams);
	RUN(test_recordset_link_groups_scale);
	return t_done();
}
