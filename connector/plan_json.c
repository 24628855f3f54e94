/*
 * plan_json: the machine plan format (DESIGN §6) and its reader, used by
 * `plan --out FILE` and `apply --plan FILE`.
 *
 * The writer emits keys in a fixed order, one change or warning per line,
 * so that the same plan gives the same bytes (write -> read -> write is the
 * identity; tests check it).  The reader is strict: a saved plan is about
 * to be executed, so an unknown key, op or code, a wrong type or a summary
 * that does not match the changes is refused rather than guessed at.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "plan.h"
#include "view.h"

static void
add_str(struct str *out, const char *s)
{
	if (s == NULL)
		str_adds(out, "null");
	else
		str_add_json(out, s);
}

static void
add_key(struct str *out, const char *key, const char *val)
{
	str_addf(out, ", \"%s\": ", key);
	add_str(out, val);
}

static void
add_change(struct str *out, const struct change *c)
{
	size_t i;

	str_addf(out, "{\"op\": \"%s\"", change_op_name(c->op));
	add_key(out, "anchor", c->anchor);
	add_key(out, "subject", c->subject);
	if (c->target != NULL)
		add_key(out, "target", c->target);
	if (c->detail != NULL)
		add_key(out, "detail", c->detail);
	if (c->nfields > 0) {
		str_adds(out, ", \"fields\": {");
		for (i = 0; i < c->nfields; i++) {
			str_adds(out, i ? ", " : "");
			add_str(out, c->fields[i].field ? c->fields[i].field :
				"");
			str_adds(out, ": {\"old\": ");
			add_str(out, c->fields[i].old);
			str_adds(out, ", \"new\": ");
			add_str(out, c->fields[i].new);
			str_addc(out, '}');
		}
		str_addc(out, '}');
	}
	str_addc(out, '}');
}

static void
add_warning(struct str *out, const struct warning *w)
{
	str_addf(out, "{\"code\": \"%s\"", warning_code_name(w->code));
	add_key(out, "subject", w->subject);
	add_key(out, "message", w->message);
	str_addc(out, '}');
}

void
plan_json_write(const struct plan *p, struct str *out)
{
	plan_json_write_to(p, out, NULL);
}

void
plan_json_write_to(const struct plan *p, struct str *out, FILE *fp)
{
	const struct plan_summary *s = &p->summary;
	const struct seat_forecast *f = &p->seats;
	size_t i;

	str_adds(out, "{\n  \"version\": 1,\n  \"job\": ");
	add_str(out, p->job);
	str_adds(out, ",\n  \"store_fingerprint\": ");
	add_str(out, p->fingerprint);
	str_addf(out, ",\n  \"summary\": {\"create\": %zu, \"update\": %zu, "
		 "\"delete\": %zu, \"seats_allocated\": %zu, "
		 "\"seats_deallocated\": %zu, \"warnings\": %zu},\n",
		 s->create, s->update, s->delete, s->seats_allocated,
		 s->seats_deallocated, s->warnings);
	str_addf(out, "  \"seats\": {\"capacity\": %d, \"allocated_now\": %d, "
		 "\"allocated_after\": %d, \"unseated_eligible\": %d},\n",
		 f->capacity, f->allocated_now, f->allocated_after,
		 f->unseated_eligible);
	if (p->source_users < 0)
		str_adds(out, "  \"source_users\": null,\n");
	else
		str_addf(out, "  \"source_users\": %ld,\n", p->source_users);
	str_adds(out, "  \"changes\": [");
	for (i = 0; i < p->nchanges; i++) {
		str_adds(out, i ? ",\n    " : "\n    ");
		add_change(out, &p->changes[i]);
		plan_flush(out, fp);
	}
	str_adds(out, p->nchanges ? "\n  ],\n" : "],\n");
	str_adds(out, "  \"warnings\": [");
	for (i = 0; i < p->nwarnings; i++) {
		str_adds(out, i ? ",\n    " : "\n    ");
		add_warning(out, &p->warnings[i]);
	}
	str_adds(out, p->nwarnings ? "\n  ]\n}\n" : "]\n}\n");
}

/* The reader.  `where` prefixes messages: "plan file: change 3: ...". */

struct rd {
	struct arena *arena;
	struct err *e;
	char where[64];
};

static int fail(struct rd *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
fail(struct rd *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->where[0] != '\0')
		return err_set(r->e, "plan file: %s: %s", r->where, msg);
	return err_set(r->e, "plan file: %s", msg);
}

/* Untrusted text for a message: escaped and cut to a sane length. */
static const char *
q(struct rd *r, const char *s)
{
	struct str out = STR_INIT;
	size_t n;
	const char *res;

	view_add_text(&out, s, 0);
	n = out.len;
	if (n > 64) {
		n = 64;
		while (n > 0 && ((unsigned char)out.buf[n] & 0xc0) == 0x80)
			n--;
	}
	res = arena_strndup(r->arena, str_cstr(&out), n);
	str_release(&out);
	return res;
}

static int
check_keys(struct rd *r, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return fail(r, "unknown key '%s'", q(r, key));
	}
	return 0;
}

/* Reads obj[key] as a string (copied to the arena) or null/absent (NULL;
 * refused if required). */
static int
get_str(struct rd *r, json_t *obj, const char *key, int required,
	const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (json_is_string(v)) {
		*out = arena_strndup(r->arena, json_string_value(v),
				     json_string_length(v));
		return 0;
	}
	if ((v == NULL || json_is_null(v)) && !required)
		return 0;
	return fail(r, "'%s' must be a string", key);
}

static int
get_int(struct rd *r, json_t *obj, const char *key, long long min,
	long long max, long long *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return fail(r, "'%s' must be an integer in range", key);
	*out = json_integer_value(v);
	return 0;
}

static int
read_summary(struct rd *r, json_t *obj, struct plan_summary *s)
{
	static const char *const keys[] = { "create", "update", "delete",
		"seats_allocated", "seats_deallocated", "warnings", NULL };
	size_t *dst[] = { &s->create, &s->update, &s->delete,
		&s->seats_allocated, &s->seats_deallocated, &s->warnings };
	long long v;
	size_t i;

	snprintf(r->where, sizeof(r->where), "summary");
	if (!json_is_object(obj))
		return fail(r, "must be an object");
	if (check_keys(r, obj, keys) < 0)
		return -1;
	for (i = 0; keys[i] != NULL; i++) {
		if (get_int(r, obj, keys[i], 0, 1LL << 40, &v) < 0)
			return -1;
		*dst[i] = (size_t)v;
	}
	return 0;
}

static int
read_seats(struct rd *r, json_t *obj, struct seat_forecast *f)
{
	static const char *const keys[] = { "capacity", "allocated_now",
		"allocated_after", "unseated_eligible", NULL };
	int *dst[] = { &f->capacity, &f->allocated_now, &f->allocated_after,
		&f->unseated_eligible };
	long long v;
	size_t i;

	snprintf(r->where, sizeof(r->where), "seats");
	if (!json_is_object(obj))
		return fail(r, "must be an object");
	if (check_keys(r, obj, keys) < 0)
		return -1;
	for (i = 0; keys[i] != NULL; i++) {
		if (get_int(r, obj, keys[i], -2147483647LL - 1, 2147483647LL,
			    &v) < 0)
			return -1;
		*dst[i] = (int)v;
	}
	return 0;
}

static int
read_fields(struct rd *r, struct plan *p, struct change *c, json_t *obj)
{
	static const char *const keys[] = { "old", "new", NULL };
	const char *key, *old, *new;
	json_t *v;

	if (obj == NULL)
		return 0;
	if (!json_is_object(obj))
		return fail(r, "'fields' must be an object");
	json_object_foreach(obj, key, v) {
		if (!json_is_object(v))
			return fail(r, "field '%s' must be an object", q(r, key));
		if (check_keys(r, v, keys) < 0 ||
		    get_str(r, v, "old", 0, &old) < 0 ||
		    get_str(r, v, "new", 0, &new) < 0)
			return -1;
		change_field(p, c, arena_strdup(r->arena, key), old, new);
	}
	return 0;
}

/* Member ops name a member by anchor; team membership ops a team too. */
static int
needs_anchor(enum change_op op)
{
	return op >= CHANGE_CREATE_MEMBER && op != CHANGE_DELETE_TEAM &&
	       op != CHANGE_DELETE_GROUP;
}

static int
read_change(struct rd *r, struct plan *p, json_t *obj)
{
	static const char *const keys[] = { "op", "anchor", "subject",
		"target", "detail", "fields", NULL };
	const char *opname, *anchor, *subject, *target, *detail;
	struct change *c;
	int op;

	if (!json_is_object(obj))
		return fail(r, "must be an object");
	if (check_keys(r, obj, keys) < 0 ||
	    get_str(r, obj, "op", 1, &opname) < 0)
		return -1;
	if ((op = change_op_parse(opname)) < 0)
		return fail(r, "unknown op '%s'", q(r, opname));
	if (get_str(r, obj, "anchor", needs_anchor(op), &anchor) < 0 ||
	    get_str(r, obj, "subject", 1, &subject) < 0 ||
	    get_str(r, obj, "target", op == CHANGE_ADD_TEAM_MEMBER ||
		    op == CHANGE_REMOVE_TEAM_MEMBER, &target) < 0 ||
	    get_str(r, obj, "detail", 0, &detail) < 0)
		return -1;
	c = plan_add(p, (enum change_op)op, anchor, subject);
	c->target = target;
	c->detail = detail;
	return read_fields(r, p, c, json_object_get(obj, "fields"));
}

static int
read_warning(struct rd *r, struct plan *p, json_t *obj)
{
	static const char *const keys[] = { "code", "subject", "message",
		NULL };
	struct warning w;
	const char *code;
	int i;

	if (!json_is_object(obj))
		return fail(r, "must be an object");
	if (check_keys(r, obj, keys) < 0 ||
	    get_str(r, obj, "code", 1, &code) < 0 ||
	    get_str(r, obj, "subject", 1, &w.subject) < 0 ||
	    get_str(r, obj, "message", 1, &w.message) < 0)
		return -1;
	for (i = 0; i < WARN__COUNT; i++)
		if (strcmp(code, warning_code_name((enum warning_code)i)) == 0)
			break;
	if (i == WARN__COUNT)
		return fail(r, "unknown warning code '%s'", q(r, code));
	w.code = (enum warning_code)i;
	plan_warn(p, &w);
	return 0;
}

static int
read_list(struct rd *r, struct plan *p, json_t *root, const char *key,
	  const char *what, int (*fn)(struct rd *, struct plan *, json_t *))
{
	json_t *arr = json_object_get(root, key), *v;
	size_t i;

	r->where[0] = '\0';
	if (!json_is_array(arr))
		return fail(r, "'%s' must be an array", key);
	json_array_foreach(arr, i, v) {
		snprintf(r->where, sizeof(r->where), "%s %zu", what, i + 1);
		if (fn(r, p, v) < 0)
			return -1;
	}
	return 0;
}

static int
read_top(struct rd *r, struct plan *p, json_t *root)
{
	static const char *const keys[] = { "version", "job",
		"store_fingerprint", "summary", "seats", "source_users",
		"changes", "warnings", NULL };
	json_t *su;
	long long v;

	if (!json_is_object(root))
		return fail(r, "not a JSON object");
	if (check_keys(r, root, keys) < 0 ||
	    get_int(r, root, "version", 1, 1, &v) < 0 ||
	    get_str(r, root, "job", 1, &p->job) < 0 ||
	    get_str(r, root, "store_fingerprint", 1, &p->fingerprint) < 0)
		return -1;
	su = json_object_get(root, "source_users");
	if (su != NULL && !json_is_null(su) &&
	    get_int(r, root, "source_users", 0, 1LL << 40, &v) < 0)
		return -1;
	p->source_users = su != NULL && !json_is_null(su) ? (long)v : -1;
	return 0;
}

int
plan_json_read(const char *text, size_t len, struct arena *arena,
	       struct plan *p, struct err *e)
{
	struct rd r = { arena, e, "" };
	struct plan tmp;
	struct plan_summary want;
	json_error_t jerr;
	json_t *root;
	int rc = -1;

	plan_init(&tmp, arena, NULL, NULL);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		err_set(e, "plan file: line %d: %.200s", jerr.line, jerr.text);
		goto out;
	}
	if (read_top(&r, &tmp, root) < 0 ||
	    read_summary(&r, json_object_get(root, "summary"), &want) < 0 ||
	    read_seats(&r, json_object_get(root, "seats"), &tmp.seats) < 0 ||
	    read_list(&r, &tmp, root, "changes", "change", read_change) < 0 ||
	    read_list(&r, &tmp, root, "warnings", "warning", read_warning) < 0)
		goto out;
	/* Sorting puts the changes in apply order whatever the file says;
	 * the summary is what a reviewer read, so it must still agree. */
	plan_finish(&tmp);
	if (memcmp(&want, &tmp.summary, sizeof(want)) != 0) {
		err_set(e, "plan file: summary does not match the changes");
		goto out;
	}
	*p = tmp;
	rc = 0;
out:
	if (rc < 0)
		plan_release(&tmp);
	json_decref(root);
	return rc;
}
