/*
 * source_file: records from a JSON Lines file (tests, demo, bench).
 *
 * One object per line:
 *   {"kind":"user"|"group", "anchor":"...", "id":"...",
 *    "attrs":{"name":["v1","v2"] or "v"}, "members":["id",...]}
 * "id" defaults to the anchor.  A record's key (and each member's key) is
 * dn_normalize(id) when the id parses as a DN, else the id itself, so
 * that LDAP-shaped fixtures resolve references like the LDAP source does.
 * Blank lines and lines starting with '#' are skipped.
 *
 * Like every source, any bad line fails the whole fetch (DESIGN §4): the
 * error is "FILE:LINE: message" with code ERR_FETCH.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dn.h"
#include "source.h"
#include "util/xmalloc.h"

struct source {
	char *path;
};

struct reader {
	const char *path;
	size_t line;
	struct recordset *rs;
	struct record_builder b;
	struct err *e;
};

static int __attribute__((format(printf, 2, 3)))
bad(struct reader *r, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_setc(r->e, ERR_FETCH, "%.300s:%zu: %s", r->path, r->line,
			msg);
}

/* The normalised key of a reference: its DN form if it is a DN. */
static const char *
key_of(struct reader *r, const char *id)
{
	const char *k = dn_normalize_arena(&r->rs->arena, id);

	return k ? k : id;
}

static int
add_value(struct reader *r, const char *name, json_t *v)
{
	char num[64];

	if (json_is_string(v)) {
		record_builder_add(&r->b, name, json_string_value(v),
				   json_string_length(v));
		return 0;
	}
	if (json_is_integer(v))
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(num, sizeof(num), "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_null(v))
		return 0;
	else
		return bad(r, "attribute '%.100s': values must be strings", name);
	record_builder_add(&r->b, name, num, strlen(num));
	return 0;
}

static int
add_attrs(struct reader *r, json_t *attrs)
{
	const char *name;
	json_t *v, *item;
	size_t i;

	if (attrs == NULL)
		return 0;
	if (!json_is_object(attrs))
		return bad(r, "'attrs' must be an object");
	json_object_foreach(attrs, name, v) {
		if (name[0] == '\0')
			return bad(r, "empty attribute name");
		if (!json_is_array(v)) {
			if (add_value(r, name, v) < 0)
				return -1;
			continue;
		}
		json_array_foreach(v, i, item) {
			if (json_is_array(item) || json_is_object(item))
				return bad(r, "attribute '%.100s': values must "
					   "be strings", name);
			if (add_value(r, name, item) < 0)
				return -1;
		}
	}
	return 0;
}

static int
add_members(struct reader *r, json_t *members)
{
	json_t *m;
	size_t i;

	if (members == NULL)
		return 0;
	if (!json_is_array(members))
		return bad(r, "'members' must be an array of strings");
	json_array_foreach(members, i, m) {
		const char *ref = json_string_value(m);

		if (ref == NULL || ref[0] == '\0')
			return bad(r, "'members' must be an array of "
				   "non-empty strings");
		record_builder_add_member(&r->b, ref, key_of(r, ref));
	}
	return 0;
}

static int
check_keys(struct reader *r, json_t *o)
{
	static const char *const keys[] = { "kind", "anchor", "id", "attrs",
		"members", NULL };
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(o, k, v) {
		for (i = 0; keys[i]; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (keys[i] == NULL)
			return bad(r, "unknown key '%.100s'", k);
	}
	return 0;
}

static int
add_record(struct reader *r, json_t *o)
{
	const char *kind, *anchor, *id;
	enum record_kind rk;
	struct record *rec;

	if (!json_is_object(o))
		return bad(r, "expected a JSON object");
	if (check_keys(r, o) < 0)
		return -1;
	kind = json_string_value(json_object_get(o, "kind"));
	if (kind && strcmp(kind, "user") == 0)
		rk = RECORD_USER;
	else if (kind && strcmp(kind, "group") == 0)
		rk = RECORD_GROUP;
	else
		return bad(r, "'kind' must be \"user\" or \"group\"");
	anchor = json_string_value(json_object_get(o, "anchor"));
	if (anchor == NULL || anchor[0] == '\0')
		return bad(r, "missing 'anchor'");
	id = json_string_value(json_object_get(o, "id"));
	if (json_object_get(o, "id") && (id == NULL || id[0] == '\0'))
		return bad(r, "'id' must be a non-empty string");
	if (id == NULL)
		id = anchor;
	if (add_attrs(r, json_object_get(o, "attrs")) < 0 ||
	    add_members(r, json_object_get(o, "members")) < 0)
		return -1;
	rec = record_builder_finish(&r->b, rk, anchor, id, key_of(r, id));
	if (recordset_add(r->rs, rec) < 0)
		return bad(r, "duplicate anchor '%.200s'", anchor);
	return 0;
}

static int
do_line(struct reader *r, char *line, size_t n)
{
	json_error_t je;
	json_t *o;
	int rc;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n] = '\0';
	if (strspn(line, " \t") == n || line[strspn(line, " \t")] == '#')
		return 0;
	o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		return bad(r, "invalid JSON: %s", je.text);
	rc = add_record(r, o);
	json_decref(o);
	return rc;
}

static int
file_fetch(struct source *s, struct recordset *rs, struct err *e)
{
	struct reader r;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	f = fopen(s->path, "rb");
	if (f == NULL)
		return err_setc(e, ERR_FETCH, "cannot read '%.300s': %s",
				s->path, strerror(errno));
	memset(&r, 0, sizeof(r));
	r.path = s->path;
	r.rs = rs;
	r.e = e;
	record_builder_init(&r.b, &rs->arena);
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		r.line++;
		rc = do_line(&r, line, (size_t)n);
	}
	if (rc == 0 && ferror(f))
		rc = err_setc(e, ERR_FETCH, "cannot read '%.300s': %s",
			      s->path, strerror(errno));
	record_builder_release(&r.b);
	free(line);
	fclose(f);
	return rc;
}

static int
file_open(const struct job_cfg *job, struct source **out, struct err *e)
{
	struct source *s;

	if (job->source.path == NULL)
		return err_setc(e, ERR_FETCH, "job '%s': no source path",
				job->name ? job->name : "");
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(job->source.path);
	*out = s;
	return 0;
}

static void
file_info(struct source *s, struct str *out)
{
	str_addf(out, "file: %s\n", s->path);
}

static void
file_close(struct source *s)
{
	if (s == NULL)
		return;
	free(s->path);
	free(s);
}

const struct source_ops source_file_ops = {
	.type = "file",
	.open = file_open,
	.fetch = file_fetch,
	.info = file_info,
	.close = file_close,
};
