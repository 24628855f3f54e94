/* template: DESIGN §5 examples, filters, provenance, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "template.h"
#include "t.h"
#include "t_record.h"

/* Renders text for r; "ERR COL: msg" if it does not parse.  The
 * provenance goes to prov_out (static). */
static char prov_out[512];

static const char *
render(const char *text, const struct record *r)
{
	static char buf[4096];
	struct err e = { 0 };
	struct str out = STR_INIT, prov = STR_INIT;
	int col = 0, rc;
	struct template *t = template_parse(text, &col, &e);

	if (t == NULL) {
		snprintf(buf, sizeof(buf), "ERR %d: %s", col, e.msg);
		return buf;
	}
	CHECK_STR(template_text(t), text);
	str_adds(&out, "<");	/* rendering appends */
	rc = template_render(t, r, &out, &prov);
	CHECK_INT(rc, out.len > 1);
	snprintf(buf, sizeof(buf), "%s", str_cstr(&out) + 1);
	snprintf(prov_out, sizeof(prov_out), "%s", str_cstr(&prov));
	str_release(&out);
	str_release(&prov);
	template_free(t);
	return buf;
}

static const char *ann[] = {
	"mail=Ann.Smith@Example.COM", "givenName=Ann", "sn=Smith",
	"cn=team-sales", "description=EU team; region=emea; x",
	"manager=CN=O'Neil\\2C Pat,OU=People,dc=x", "title=  lead   dev ",
	"cn=second", NULL,
};

static void
test_template_design_examples(void)
{
	struct record *r = user(ann);

	CHECK_STR(render("{mail|lower}", r), "ann.smith@example.com");
	CHECK_STR(prov_out, "mail");
	CHECK_STR(render("{displayName|default:{givenName} {sn}}", r),
		  "Ann Smith");
	CHECK_STR(prov_out, "givenName,sn (default)");
	CHECK_STR(render("{cn|strip_prefix:team-}", r), "sales");
	CHECK_STR(render("{description|match:region=(\\w+)}", r), "emea");
	CHECK_STR(render("{employeeNumber}", r), "");
	CHECK_STR(prov_out, "employeeNumber");
}

static void
test_template_filters(void)
{
	struct record *r = user(ann);

	CHECK_STR(render("{mail|upper}", r), "ANN.SMITH@EXAMPLE.COM");
	CHECK_STR(render("[{title|trim}]", r), "[lead   dev]");
	CHECK_STR(render("{title|trim|title}", r), "Lead   Dev");
	CHECK_STR(render("{mail|title}", r), "Ann.Smith@Example.Com");
	CHECK_STR(render("{manager|rdn}", r), "O'Neil, Pat");
	CHECK_STR(render("{givenName|rdn}", r), "Ann");	/* not a DN */
	CHECK_STR(render("{cn|first}", r), "team-sales");
	CHECK_STR(render("{cn|strip_prefix:x-}", r), "team-sales");
	CHECK_STR(render("{description|match:nomatch}", r), "");
	CHECK_STR(render("{description|match:re[a-z]+}", r), "region");
	CHECK_STR(render("{mail|replace:[.@]:_}", r),
		  "Ann_Smith_Example_COM");
	CHECK_STR(render("{mail|lower|replace:^([a-z]+)\\.([a-z]+)@.*:\\2, \\1}",
			 r), "smith, ann");
	CHECK_STR(render("{sn|replace:x*:-}", r), "-S-m-i-t-h-");
	CHECK_STR(render("{sn|replace:^:>}", r), ">Smith");
	CHECK_STR(render("{cn|replace:\\::x}", r), "team-sales");
	CHECK_STR(render("{title|match:\\d|default:none}", r), "none");
	CHECK_STR(render("{description|replace:\\s*;\\s*:/}", r),
		  "EU team/region=emea/x");
	CHECK_STR(render("{none|default:}", r), "");
	CHECK_STR(prov_out, "default");
	CHECK_STR(render("{none|default:n/a|upper}", r), "N/A");
	CHECK_STR(render("{none|default:{none2|default:{sn|lower}}}", r),
		  "smith");
	CHECK_STR(prov_out, "sn (default)");
	CHECK_STR(render("{sn}, {givenName} <{sn}>", r), "Smith, Ann <Smith>");
	CHECK_STR(prov_out, "sn,givenName");
	CHECK_STR(render("\\{literal\\} \\| \\: \\\\ \\n", r),
		  "{literal} | : \\ \\n");
	CHECK_STR(render("{ sn }", r), "Smith");
}

static void
test_template_digit_class(void)
{
	const char *num[] = { "employeeNumber=E-0042", NULL };
	struct record *n = user(num);

	CHECK_STR(render("{employeeNumber|match:([1-9]\\d*)}", n), "42");
	CHECK_STR(render("{employeeNumber|replace:[\\d]:x}", n), "E-0042");
	CHECK_STR(render("{employeeNumber|replace:\\D:}", n), "0042");
}

static void
test_template_invalid_utf8(void)
{
	const char *bad[] = { "cn=\xff\xc3(\xe2\x82 Ab", NULL };
	struct record *r = user(bad);

	CHECK_STR(render("{cn|lower}", r), "\xff\xc3(\xe2\x82 ab");
	CHECK_STR(render("{cn|title|trim}", r), "\xff\xc3(\xe2\x82 Ab");
	CHECK_STR(render("{cn|replace:(A)b:\\1\\1}", r), "\xff\xc3(\xe2\x82 AA");
	CHECK_STR(render("{cn|match:(\\w+)}", r), "Ab");
	CHECK_STR(render("{cn|rdn}", r), "\xff\xc3(\xe2\x82 Ab");
}

static void
test_template_parse_errors(void)
{
	struct record *r = user(ann);

	CHECK_STR(render("x {mail|foo}", r), "ERR 9: unknown filter 'foo'");
	CHECK_STR(render("{mail|lower", r), "ERR 1: unterminated '{'");
	CHECK_STR(render("ab {mail", r), "ERR 4: unterminated '{'");
	CHECK_STR(render("{a|default:{b}", r), "ERR 1: unterminated '{'");
	CHECK_STR(render("{a|default:{b|bogus}}", r),
		  "ERR 15: unknown filter 'bogus'");
	CHECK_STR(render("{}", r), "ERR 2: missing attribute name");
	CHECK_STR(render("a}b", r), "ERR 2: unmatched '}'");
	CHECK_STR(render("{a|}", r), "ERR 4: missing filter name");
	CHECK_STR(render("{a|lower:x}", r),
		  "ERR 9: filter 'lower' takes no argument");
	CHECK_STR(render("{a|match}", r),
		  "ERR 9: filter 'match' needs an argument");
	CHECK_STR(render("{a|replace:abc}", r), "ERR 12: replace needs 'RE:TO'");
	CHECK_STR(render("{a|lower x}", r), "ERR 9: unexpected ' ' in '{...}'");
	CHECK_STR(render("{a|match:(x}", r),
		  "ERR 10: bad regular expression '(x': Unmatched ( or \\(");
}

static void
test_template_plain_attr(void)
{
	struct err e;
	struct template *t = template_parse("{mail}", NULL, &e);
	const char *attr = NULL;

	CHECK(template_is_plain_attr(t, &attr) == 1);
	CHECK_STR(attr, "mail");
	template_free(t);
	t = template_parse("{mail|lower}", NULL, &e);
	CHECK(template_is_plain_attr(t, &attr) == 0);
	template_free(t);
	t = template_parse("x{mail}", NULL, &e);
	CHECK(template_is_plain_attr(t, &attr) == 0);
	template_free(t);
}

/* 100,000 records x 6 templates; loose bound for ASan. */
static void
test_template_speed(void)
{
	static const char *texts[] = {
		"{mail|lower}", "{displayName|default:{givenName} {sn}}",
		"{cn|strip_prefix:team-}", "{description|match:region=(\\w+)}",
		"{manager}", "{title|trim|title}",
	};
	struct template *t[6];
	struct record *r = user(ann);
	struct str out = STR_INIT;
	struct err e;
	clock_t t0 = clock();

	for (int i = 0; i < 6; i++)
		t[i] = template_parse(texts[i], NULL, &e);
	for (int n = 0; n < 100000; n++)
		for (int i = 0; i < 6; i++) {
			str_reset(&out);
			template_render(t[i], r, &out, NULL);
		}
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	for (int i = 0; i < 6; i++)
		template_free(t[i]);
	str_release(&out);
}

int
main(void)
{
	arena_init(&arena);
	record_builder_init(&builder, &arena);
	RUN(test_template_design_examples);
	RUN(test_template_filters);
	RUN(test_template_digit_class);
	RUN(test_template_invalid_utf8);
	RUN(test_template_parse_errors);
	RUN(test_template_plain_attr);
	RUN(test_template_speed);
	record_builder_release(&builder);
	arena_release(&arena);
	return t_done();
}
