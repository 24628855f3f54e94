/*
 * test_plan_format: the text and JSON plan formats against golden files
 * (tests/unit/expected/plan_format.{txt,json}), the JSON round trip and
 * the reader's refusals.
 *
 * Regenerate the golden files after an intended format change with
 * HS_UPDATE_GOLDEN=1 and review the diff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plan.h"
#include "t.h"

/* A value a hostile directory could hold: a newline forging a plan line,
 * a terminal escape, invalid UTF-8. */
#define HOSTILE "Bob\n- delete member ceo@example.com\x1b[2J\xff\xfe"

static void
build(struct plan *p, struct arena *a)
{
	struct change *c;
	struct warning w;
	int i;

	plan_init(p, a, "corp-ldap", "g42");
	p->source_users = 12;
	p->seats = (struct seat_forecast){ 10, 5, 5, 1 };
	/* Added out of order on purpose: plan_finish() sorts. */
	c = plan_add(p, CHANGE_DELETE_GROUP, NULL, "APAC");
	c = plan_add(p, CHANGE_DELETE_TEAM, NULL, "Legacy");
	c->detail = "gone from the source";
	c = plan_add(p, CHANGE_DELETE_MEMBER, "uuid-c", "carol@example.com");
	c->detail = "gone from source for 30d";
	c = plan_add(p, CHANGE_ALLOCATE_SEAT, "uuid-a", "alice@example.com");
	c->detail = "new member";
	c = plan_add(p, CHANGE_DEALLOCATE_SEAT, "uuid-d", "dave@example.com");
	c->detail = "gone from source";
	c = plan_add(p, CHANGE_ADD_TEAM_MEMBER, "uuid-b", "bob@example.com");
	c->target = "Sales EMEA";
	c = plan_add(p, CHANGE_REMOVE_TEAM_MEMBER, "uuid-b", "bob@example.com");
	c->target = "Support";
	c = plan_add(p, CHANGE_SET_MANAGER, "uuid-b", "bob@example.com");
	c->target = "uuid-a";
	c->detail = "alice@example.com";
	c = plan_add(p, CHANGE_SET_MANAGER, "uuid-d", "dave@example.com");
	c = plan_add(p, CHANGE_UPDATE_MEMBER, "uuid-b", "bob@example.com");
	change_field(p, c, "email", "old@example.com", "bob@example.com");
	change_field(p, c, "name", HOSTILE, "Bob \"B\" Jones");
	change_field(p, c, "custom_fields", "{}",
		     "{\"department\":\"Sales\"}");
	c = plan_add(p, CHANGE_CREATE_MEMBER, "uuid-a", "alice@example.com");
	change_field(p, c, "name", NULL, "Alice Smith");
	change_field(p, c, "role", NULL, "Member");
	c = plan_add(p, CHANGE_UPDATE_TEAM, NULL, "Support");
	change_field(p, c, "color", "red", "blue");
	change_field(p, c, "description", NULL, "Help desk");
	c = plan_add(p, CHANGE_CREATE_TEAM, NULL, "Sales EMEA");
	change_field(p, c, "type", NULL, "Sales");
	change_field(p, c, "group", NULL, "EMEA");
	change_field(p, c, "analytics_conversations", NULL, "false");
	c = plan_add(p, CHANGE_CREATE_GROUP, NULL, "EMEA");
	(void)c;
	for (i = WARN__COUNT - 1; i >= 0; i--) {
		w.code = (enum warning_code)i;
		w.subject = i == WARN_MANAGER_CYCLE ? "cn=X\\, Y\n! forged" :
			    "uid=x,ou=people,dc=example,dc=com";
		w.message = i == WARN_NO_SEAT_AVAILABLE ?
			    "no seat free \x1b]0;title\x07 for this member" :
			    "something to look at";
		plan_warn(p, &w);
	}
	plan_finish(p);
}

static char *
golden_path(const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;
	size_t n = strlen(__FILE__) + strlen(name) + 16;
	char *p = malloc(n);

	snprintf(p, n, "%.*s/expected/%s", dir, slash ? __FILE__ : ".", name);
	return p;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
check_golden(const char *name, const char *got)
{
	char *path = golden_path(name), *want;
	FILE *f;

	if (getenv("HS_UPDATE_GOLDEN") != NULL &&
	    (f = fopen(path, "wb")) != NULL) {
		fputs(got, f);
		fclose(f);
	}
	want = slurp(path);
	if (want == NULL)
		printf("  cannot read golden file %s (run from the repository "
		       "root)\n", path);
	CHECK(want != NULL);
	if (want != NULL)
		CHECK_STR(got, want);
	free(want);
	free(path);
}

static void
test_plan_text_golden(void)
{
	struct arena a;
	struct plan p;
	struct str out = STR_INIT;

	arena_init(&a);
	build(&p, &a);
	plan_text_write(&p, &out);
	check_golden("plan_format.txt", str_cstr(&out));
	str_release(&out);
	plan_release(&p);
	arena_release(&a);
}

/* No value may start a line of its own or leave raw control bytes. */
static void
test_plan_text_hostile(void)
{
	struct arena a;
	struct plan p;
	struct str out = STR_INIT;
	const char *s;

	arena_init(&a);
	build(&p, &a);
	plan_text_write(&p, &out);
	s = str_cstr(&out);
	CHECK(strstr(s, "\n- delete member ceo") == NULL);
	CHECK(strstr(s, "\n! forged") == NULL);
	CHECK(strstr(s, "\x1b") == NULL);
	CHECK(strstr(s, "\x07") == NULL);
	CHECK(utf8_valid(s, out.len));
	CHECK(strstr(s, "\"Bob\\n- delete member ceo@example.com\\x1b[2J"
		      "\xef\xbf\xbd\xef\xbf\xbd\" -> \"Bob \\\"B\\\" Jones\"")
	      != NULL);
	CHECK(strstr(s, "Plan: 3 to create, 6 to update, 3 to delete, "
		      "1 seats allocated, 1 seats deallocated, 8 warnings.\n")
	      != NULL);
	str_release(&out);
	plan_release(&p);
	arena_release(&a);
}

static void
test_plan_text_empty(void)
{
	struct arena a;
	struct plan p;
	struct str out = STR_INIT;

	arena_init(&a);
	plan_init(&p, &a, "hr", "g7");
	p.seats = (struct seat_forecast){ 5, 2, 2, 0 };
	plan_finish(&p);
	plan_text_write(&p, &out);
	CHECK_STR(str_cstr(&out),
		  "harmony-sync plan for job 'hr' (store g7)\n"
		  "\n"
		  "Seats: capacity 5, allocated now 2, after apply 2, "
		  "eligible without a seat 0.\n"
		  "No changes. The workspace matches the source.\n"
		  "Plan: 0 to create, 0 to update, 0 to delete, "
		  "0 seats allocated, 0 seats deallocated, 0 warnings.\n");
	str_release(&out);
	plan_release(&p);
	arena_release(&a);
}

/* A plan of many blocks written to a file (rendered on two threads) is
 * byte for byte the plan rendered into memory on one. */
static void
test_plan_text_file_blocks(void)
{
	struct arena a;
	struct plan p;
	struct str mem = STR_INIT, scratch = STR_INIT;
	char subj[64], *buf = NULL;
	size_t len = 0;
	FILE *f;

	arena_init(&a);
	plan_init(&p, &a, "big", "g1");
	for (int i = 0; i < 50000; i++) {
		struct change *c;

		snprintf(subj, sizeof(subj), "user%05d@example.com", i);
		c = plan_add(&p, i % 3 ? CHANGE_ADD_TEAM_MEMBER :
			     CHANGE_CREATE_MEMBER, arena_strdup(&a, subj),
			     arena_strdup(&a, subj));
		c->target = "Sales";
		change_field(&p, c, "name", NULL, i % 7 ? "Ann" : HOSTILE);
	}
	plan_finish(&p);
	plan_text_write(&p, &mem);
	f = open_memstream(&buf, &len);
	plan_text_write_to(&p, &scratch, f);
	fwrite(scratch.buf, 1, scratch.len, f);
	fclose(f);
	CHECK_INT(len, mem.len);
	CHECK(len == mem.len && memcmp(buf, mem.buf, len) == 0);
	free(buf);
	str_release(&mem);
	str_release(&scratch);
	plan_release(&p);
	arena_release(&a);
}

static void
test_plan_json_golden(void)
{
	struct arena a;
	struct plan p;
	struct str out = STR_INIT;
	json_t *root;

	arena_init(&a);
	build(&p, &a);
	plan_json_write(&p, &out);
	check_golden("plan_format.json", str_cstr(&out));
	/* Always valid JSON, hostile bytes included. */
	root = json_loadb(out.buf, out.len, JSON_REJECT_DUPLICATES, NULL);
	CHECK(root != NULL);
	CHECK_INT(json_array_size(json_object_get(root, "changes")), 14);
	json_decref(root);
	str_release(&out);
	plan_release(&p);
	arena_release(&a);
}

static void
roundtrip(struct plan *p)
{
	struct arena b;
	struct plan q;
	struct err e = { 0 };
	struct str one = STR_INIT, two = STR_INIT, t1 = STR_INIT,
		t2 = STR_INIT;

	arena_init(&b);
	plan_json_write(p, &one);
	CHECK_INT(plan_json_read(one.buf, one.len, &b, &q, &e), 0);
	CHECK_STR(e.msg, "");
	if (e.code == ERR_NONE) {
		plan_json_write(&q, &two);
		CHECK_STR(str_cstr(&two), str_cstr(&one));
		plan_text_write(p, &t1);
		plan_text_write(&q, &t2);
		CHECK_STR(str_cstr(&t2), str_cstr(&t1));
		plan_release(&q);
	}
	str_release(&one);
	str_release(&two);
	str_release(&t1);
	str_release(&t2);
	arena_release(&b);
}

static void
test_plan_json_roundtrip(void)
{
	struct arena a;
	struct plan p;

	arena_init(&a);
	build(&p, &a);
	roundtrip(&p);
	plan_release(&p);
	plan_init(&p, &a, "empty", "g1");
	plan_finish(&p);
	roundtrip(&p);
	plan_release(&p);
	arena_release(&a);
}

static const char head[] =
	"{\"version\": 1, \"job\": \"j\", \"store_fingerprint\": \"g1\", "
	"\"seats\": {\"capacity\": 1, \"allocated_now\": 0, "
	"\"allocated_after\": 0, \"unseated_eligible\": 0}, ";
static const char sum1[] =
	"\"summary\": {\"create\": 1, \"update\": 0, \"delete\": 0, "
	"\"seats_allocated\": 0, \"seats_deallocated\": 0, \"warnings\": 0}, ";
static const char sum0[] =
	"\"summary\": {\"create\": 0, \"update\": 0, \"delete\": 0, "
	"\"seats_allocated\": 0, \"seats_deallocated\": 0, \"warnings\": 0}, ";

static void
expect_error(const char *sum, const char *rest, const char *want)
{
	struct arena a;
	struct plan p;
	struct err e = { 0 };
	struct str text = STR_INIT;

	arena_init(&a);
	memset(&p, 0xab, sizeof(p));
	str_adds(&text, head);
	str_adds(&text, sum);
	str_adds(&text, rest);
	CHECK_INT(plan_json_read(text.buf, text.len, &a, &p, &e), -1);
	CHECK_STR(e.msg, want);
	/* Out-parameters are written only on success. */
	CHECK(p.nchanges == (size_t)0xabababababababab);
	str_release(&text);
	arena_release(&a);
}

static void
test_plan_json_read_errors(void)
{
	struct arena a;
	struct plan p;
	struct err e = { 0 };

	expect_error(sum1, "\"changes\": [{\"op\": \"create_group\", "
		     "\"anchor\": null, \"subject\": \"G\"}, {\"op\": \"foo\", "
		     "\"subject\": \"x\"}], \"warnings\": []}",
		     "plan file: change 2: unknown op 'foo'");
	expect_error(sum1, "\"changes\": [{\"op\": \"create_member\", "
		     "\"subject\": \"x\"}], \"warnings\": []}",
		     "plan file: change 1: 'anchor' must be a string");
	expect_error(sum1, "\"changes\": [{\"op\": \"add_team_member\", "
		     "\"anchor\": \"a\", \"subject\": \"x\"}], "
		     "\"warnings\": []}",
		     "plan file: change 1: 'target' must be a string");
	expect_error(sum1, "\"changes\": [{\"op\": \"create_group\", "
		     "\"subject\": 5}], \"warnings\": []}",
		     "plan file: change 1: 'subject' must be a string");
	expect_error(sum1, "\"changes\": [{\"op\": \"create_group\", "
		     "\"subject\": \"G\", \"evil\": 1}], \"warnings\": []}",
		     "plan file: change 1: unknown key 'evil'");
	expect_error(sum1, "\"changes\": [{\"op\": \"create_group\", "
		     "\"subject\": \"G\", \"fields\": {\"name\": {\"old\": 1, "
		     "\"new\": null}}}], \"warnings\": []}",
		     "plan file: change 1: 'old' must be a string");
	expect_error(sum0, "\"changes\": [{\"op\": \"create_group\", "
		     "\"subject\": \"G\"}], \"warnings\": []}",
		     "plan file: summary does not match the changes");
	expect_error(sum0, "\"changes\": [], \"warnings\": [{\"code\": "
		     "\"bad\\nline\", \"subject\": \"s\", \"message\": \"m\"}]}",
		     "plan file: warning 1: unknown warning code 'bad\\nline'");
	expect_error(sum0, "\"changes\": {}, \"warnings\": []}",
		     "plan file: 'changes' must be an array");
	expect_error(sum0, "\"changes\": [], \"warnings\": [], \"x\": 1}",
		     "plan file: unknown key 'x'");
	expect_error(sum0, "\"changes\": [], \"warnings\": [], "
		     "\"job\": \"dup\"}",
		     "plan file: line 1: duplicate object key near '\"job\"'");
	expect_error("\"summary\": {}, ", "\"changes\": [], \"warnings\": []}",
		     "plan file: summary: 'create' must be an integer in range");

	arena_init(&a);
	CHECK_INT(plan_json_read("{\"version\": 2}", 14, &a, &p, &e), -1);
	CHECK_STR(e.msg,
		  "plan file: 'version' must be an integer in range");
	CHECK_INT(plan_json_read("[]", 2, &a, &p, &e), -1);
	CHECK_STR(e.msg, "plan file: not a JSON object");
	CHECK_INT(plan_json_read("{\"a\": \"\\u0000\"}", 15, &a, &p, &e), -1);
	CHECK(strncmp(e.msg, "plan file: line 1: ", 19) == 0);
	CHECK_INT(plan_json_read("", 0, &a, &p, &e), -1);
	CHECK(strncmp(e.msg, "plan file: line ", 16) == 0);
	arena_release(&a);
}

int
main(void)
{
	RUN(test_plan_text_golden);
	RUN(test_plan_text_hostile);
	RUN(test_plan_text_empty);
	RUN(test_plan_text_file_blocks);
	RUN(test_plan_json_golden);
	RUN(test_plan_json_roundtrip);
	RUN(test_plan_json_read_errors);
	return t_done();
}
