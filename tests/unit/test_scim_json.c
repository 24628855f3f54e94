/*
 * test_scim_json: the pure half of the SCIM source (scim_json.c): a page
 * to records, Retry-After, filter and URL escaping, content types, error
 * summaries.  No network.
 */
#include <string.h>
#include <time.h>

#include "scim.h"
#include "t.h"

static const char PAGE[] =
	"{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],"
	"\"totalResults\":7,\"startIndex\":1,\"itemsPerPage\":3,\"Resources\":["
	"{\"id\":\"u1\",\"userName\":\"Ann@Example.com\",\"active\":true,"
	" \"name\":{\"givenName\":\"Ann\",\"familyName\":\"Lee\"},"
	" \"emails\":[{\"value\":\"a@home.net\",\"type\":\"home\"},"
	"   {\"value\":\"ann@example.com\",\"type\":\"work\",\"primary\":true}],"
	" \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
	"   {\"department\":\"Sales\",\"employeeNumber\":\"42\","
	"    \"manager\":{\"value\":\"u9\",\"displayName\":\"Boss\"}}},"
	"{\"id\":\"u2\",\"userName\":\"bob\",\"active\":\"False\","
	" \"emails\":[{\"value\":\"bob@example.com\"}],"
	" \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
	"   {\"manager\":\"u1\"}},"
	"{\"id\":\"u3\",\"userName\":\"cy\",\"emails\":[{\"value\":\"c1@x\"},{\"value\":\"c2@x\"}],"
	" \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"manager\":\"u1\"}}"
	"]}";

struct fx {
	struct arena a;
	struct record_builder b;
	struct scim_page p;
	struct err e;
};

static int
parse(struct fx *f, const char *body, enum record_kind k, int drop)
{
	memset(f, 0, sizeof(*f));
	arena_init(&f->a);
	record_builder_init(&f->b, &f->a);
	return scim_page_parse(body, strlen(body), k, drop, &f->b, &f->p, &f->e);
}

static void
done(struct fx *f)
{
	record_builder_release(&f->b);
	arena_release(&f->a);
}

static void
test_page_users(void)
{
	struct fx f;

	CHECK_INT(parse(&f, PAGE, RECORD_USER, 0), 0);
	CHECK_INT(f.p.total, 7);
	CHECK_INT(f.p.n, 3);
	CHECK_STR(f.p.ids[1], "u2");
	const struct record *r = f.p.recs[0];
	CHECK_STR(r->anchor, "u1");
	CHECK_STR(r->key, "u1");
	CHECK_STR(record_first(r, "userName"), "Ann@Example.com");
	CHECK_STR(record_first(r, "name.givenName"), "Ann");
	CHECK_STR(record_first(r, "emails[primary].value"), "ann@example.com");
	CHECK_STR(record_first(r, "emails[work].value"), "ann@example.com");
	CHECK_STR(record_first(r, "emails[home].value"), "a@home.net");
	CHECK_INT(record_attr(r, "emails.value")->n, 2);
	CHECK_STR(record_first(r, "active"), "true");
	CHECK_STR(record_first(r, "department"), "Sales");
	CHECK_STR(record_first(r, "employeeNumber"), "42");
	CHECK_STR(record_first(r, "manager"), "u9");
	CHECK_STR(record_first(r, SCIM_ENTERPRISE ":manager.value"), "u9");
	CHECK_STR(record_first(r, SCIM_ENTERPRISE ":department"), "Sales");
	CHECK(record_attr(r, "schemas") == NULL);
	/* A bare-string manager; no primary email: the first one. */
	CHECK_STR(record_first(f.p.recs[1], "manager"), "u1");
	CHECK_STR(record_first(f.p.recs[2], "emails[primary].value"), "c1@x");
	CHECK_STR(record_first(f.p.recs[1], "active"), "False");
	done(&f);
}

static void
test_page_drop_inactive(void)
{
	struct fx f;

	CHECK_INT(parse(&f, PAGE, RECORD_USER, 1), 0);
	CHECK_INT(f.p.n, 3);
	CHECK(f.p.recs[0] != NULL);
	CHECK(f.p.recs[1] == NULL);	/* "active": "False" */
	CHECK_STR(f.p.ids[1], "u2");	/* still seen, for paging */
	done(&f);
}

static void
test_page_groups(void)
{
	struct fx f;
	const char *g = "{\"totalResults\":1,\"Resources\":[{\"id\":\"g1\","
		"\"displayName\":\"team-a\",\"members\":[{\"value\":\"u1\",\"type\":\"User\"},"
		"{\"value\":\"g2\",\"type\":\"Group\",\"$ref\":\"../Groups/g2\"},"
		"{\"value\":\"u3\"},\"u4\",{\"display\":\"no value\"}]}]}";

	CHECK_INT(parse(&f, g, RECORD_GROUP, 1), 0);
	const struct record *r = f.p.recs[0];
	CHECK_INT(r->kind, RECORD_GROUP);
	CHECK_STR(record_first(r, "displayName"), "team-a");
	CHECK(record_attr(r, "members.value") == NULL);
	CHECK_INT(r->nmembers, 4);
	CHECK_STR(r->members[1], "g2");
	CHECK_STR(r->member_keys[3], "u4");
	done(&f);
}

static void
test_page_errors(void)
{
	static const struct { const char *body, *msg; } bad[] = {
		{ "{\"totalResults\":3", "malformed JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"totalResults\":3}", "no Resources" },
		{ "{\"totalResults\":-1,\"Resources\":[]}", "totalResults" },
		{ "{\"totalResults\":1,\"Resources\":{}}", "not an array" },
		{ "{\"totalResults\":1,\"Resources\":[{\"userName\":\"x\"}]}", "no id" },
		{ "{\"totalResults\":1,\"Resources\":[{\"id\":7}]}", "no id" },
		{ "{\"totalResults\":1,\"Resources\":[\"x\"]}", "no id" },
		{ "{\"a\":1,\"a\":2}", "malformed JSON" },
		{ "", "malformed JSON" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx f;

		CHECK_INT(parse(&f, bad[i].body, RECORD_USER, 1), -1);
		CHECK_INT(f.e.code, ERR_FETCH);
		if (strstr(f.e.msg, bad[i].msg) == NULL)
			CHECK_STR(f.e.msg, bad[i].msg);
		done(&f);
	}
	/* Empty list: fine, with or without Resources. */
	struct fx f;
	CHECK_INT(parse(&f, "{\"totalResults\":0}", RECORD_USER, 1), 0);
	CHECK_INT(f.p.n, 0);
	done(&f);
}

static void
test_page_hostile(void)
{
	struct fx f;
	char deep[4096];
	size_t i, n = 0;

	/* Deep nesting is cut, not recursed into without bound. */
	n += (size_t)snprintf(deep, sizeof(deep), "{\"totalResults\":1,\"Resources\":[{\"id\":\"x\",\"a\":");
	for (i = 0; i < 500; i++)
		deep[n++] = '[';
	for (i = 0; i < 500; i++)
		deep[n++] = ']';
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, ",\"u\":\"\\u00e9z\"}]}");
	CHECK_INT(parse(&f, deep, RECORD_USER, 1), 0);
	CHECK(f.p.n == 1 && f.p.recs[0] != NULL);
	if (f.p.n == 1 && f.p.recs[0] != NULL)
		CHECK_STR(record_first(f.p.recs[0], "u"), "\xc3\xa9z");
	done(&f);
	/* NUL escapes and invalid UTF-8 are refused as malformed, whole. */
	CHECK_INT(parse(&f, "{\"totalResults\":1,\"Resources\":[{\"id\":\"a\\u0000b\"}]}",
			RECORD_USER, 1), -1);
	done(&f);
	CHECK_INT(parse(&f, "{\"totalResults\":1,\"Resources\":[{\"id\":\"a\xff\"}]}",
			RECORD_USER, 1), -1);
	done(&f);
}

static void
test_retry_after(void)
{
	long s = -5;
	time_t now = 784111777;	/* Sun, 06 Nov 1994 08:49:37 GMT */

	CHECK_INT(scim_retry_after("120", now, &s), 0);
	CHECK_INT(s, 120);
	CHECK_INT(scim_retry_after(" 0 ", now, &s), 0);
	CHECK_INT(s, 0);
	CHECK_INT(scim_retry_after("99999999999999999999", now, &s), 0);
	CHECK(s >= 1000000);
	CHECK_INT(scim_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now, &s), 0);
	CHECK_INT(s, 30);
	CHECK_INT(scim_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now, &s), 0);
	CHECK_INT(s, 10);
	CHECK_INT(scim_retry_after("Sun Nov  6 08:49:57 1994", now, &s), 0);
	CHECK_INT(s, 20);
	CHECK_INT(scim_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now, &s), 0);
	CHECK_INT(s, 0);	/* in the past: now */
	CHECK_INT(scim_retry_after("12abc", now, &s), -1);
	CHECK_INT(scim_retry_after("-3", now, &s), -1);
	CHECK_INT(scim_retry_after("", now, &s), -1);
	CHECK_INT(scim_retry_after(NULL, now, &s), -1);
}

static void
test_filter_escape(void)
{
	struct str s = STR_INIT;

	scim_filter_eq(&s, "userName", "o\"brien\\x");
	CHECK_STR(str_cstr(&s), "userName eq \"o\\\"brien\\\\x\"");
	str_reset(&s);
	scim_filter_eq(&s, "externalId", "a\nb\xff");
	CHECK_STR(str_cstr(&s), "externalId eq \"a\\nb\xef\xbf\xbd\"");
	str_reset(&s);
	scim_url_escape(&s, "userName eq \"a+b@x.com\"&x=1~");
	CHECK_STR(str_cstr(&s), "userName%20eq%20%22a%2Bb%40x.com%22%26x%3D1~");
	str_release(&s);
}

static void
test_content_type(void)
{
	CHECK_INT(scim_content_type_ok("application/scim+json"), 1);
	CHECK_INT(scim_content_type_ok("application/json; charset=utf-8"), 1);
	CHECK_INT(scim_content_type_ok("Application/SCIM+JSON;charset=utf-8"), 1);
	CHECK_INT(scim_content_type_ok("application/jsonx"), 0);
	CHECK_INT(scim_content_type_ok("text/html"), 0);
	CHECK_INT(scim_content_type_ok(""), 0);
	CHECK_INT(scim_content_type_ok(NULL), 0);
}

static void
test_error_summary(void)
{
	struct str s = STR_INIT;
	const char *b = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],"
		"\"status\":\"400\",\"scimType\":\"invalidFilter\",\"detail\":\"bad\\nfilter\"}";

	scim_error_summary(b, strlen(b), &s);
	CHECK_STR(str_cstr(&s), "invalidFilter: bad filter");
	str_reset(&s);
	scim_error_summary("<html>", 6, &s);
	CHECK_INT(s.len, 0);
	str_release(&s);
}

int
main(void)
{
	RUN(test_page_users);
	RUN(test_page_drop_inactive);
	RUN(test_page_groups);
	RUN(test_page_errors);
	RUN(test_page_hostile);
	RUN(test_retry_after);
	RUN(test_filter_escape);
	RUN(test_content_type);
	RUN(test_error_summary);
	return t_done();
}
