/*
 * scim_json: the pure half of the SCIM source (see scim.h).  A resource is
 * flattened into record attributes by path (record.h): "userName",
 * "name.givenName", "emails.value" (every email), "emails[work].value",
 * "emails[primary].value" (the primary one, else the first), "active"
 * ("true"/"false"), and the enterprise extension both as plain names
 * ("department", "manager") and full paths ("urn:...:User:department").
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "scim.h"

/* Hostile input bounds: record_builder looks names up linearly, and the
 * walk recurses.  Paths longer than MAX_PATH are dropped. */
#define MAX_DEPTH 6
#define MAX_VALUES 20000
#define MAX_PATH 512
#define NO_PATH ((size_t)-1)

/* The walk builds each attribute's path in one fixed buffer, appending on
 * the way down: children write only past their parent's length, so the
 * parent's prefix stays intact.  No malloc or printf per attribute; the
 * builder copies names and values into the arena. */
struct flat {
	struct record_builder *b;
	size_t nvals;
	char path[MAX_PATH];
};

/* Appends sep, s (n bytes) and end after path[0..len).  Returns the new
 * length, or NO_PATH if it would not fit. */
static size_t
push(struct flat *f, size_t len, const char *sep, const char *s, size_t n,
     const char *end)
{
	size_t ls = strlen(sep), le = strlen(end);

	if (len == NO_PATH || len + ls + n + le >= MAX_PATH)
		return NO_PATH;
	memcpy(f->path + len, sep, ls);
	memcpy(f->path + len + ls, s, n);
	memcpy(f->path + len + ls + n, end, le);
	f->path[len + ls + n + le] = '\0';
	return len + ls + n + le;
}

static void
add_val(struct flat *f, size_t len, const char *v, size_t n)
{
	if (f->nvals >= MAX_VALUES || len == NO_PATH || len == 0)
		return;
	f->path[len] = '\0';
	record_builder_add(f->b, f->path, v, n);
	f->nvals++;
}

/* Adds a scalar's text under path[0..len); ignores null. */
static void
add_scalar(struct flat *f, size_t len, json_t *v)
{
	char buf[64];
	int n;

	switch (json_typeof(v)) {
	case JSON_STRING:
		add_val(f, len, json_string_value(v), json_string_length(v));
		return;
	case JSON_TRUE:
		add_val(f, len, "true", 4);
		return;
	case JSON_FALSE:
		add_val(f, len, "false", 5);
		return;
	case JSON_INTEGER:
		n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			     json_integer_value(v));
		break;
	case JSON_REAL:
		n = snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		break;
	default:
		return;
	}
	add_val(f, len, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void walk(struct flat *f, json_t *v, size_t len, int depth);

static void
walk_object(struct flat *f, json_t *obj, size_t len, int depth)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
		walk(f, v, push(f, len, len ? "." : "", k, strlen(k), ""), depth + 1);
}

/* Multi-valued complex attribute (emails, phoneNumbers, members...):
 * every element under "name", typed ones also under "name[type]", and
 * the primary one (else the first object) under "name[primary]". */
static void
walk_array(struct flat *f, json_t *arr, size_t len, int depth)
{
	size_t i;
	json_t *el, *primary = NULL, *first = NULL;

	json_array_foreach(arr, i, el) {
		if (!json_is_object(el)) {
			walk(f, el, len, depth);
			continue;
		}
		if (first == NULL)
			first = el;
		if (primary == NULL && json_is_true(json_object_get(el, "primary")))
			primary = el;
		walk_object(f, el, len, depth);
		json_t *type = json_object_get(el, "type");
		if (json_is_string(type) && json_string_length(type) > 0 &&
		    json_string_length(type) < 64)
			walk_object(f, el, push(f, len, "[", json_string_value(type),
						json_string_length(type), "]"), depth);
	}
	if (primary == NULL)
		primary = first;
	if (primary != NULL)
		walk_object(f, primary, push(f, len, "", "[primary]", 9, ""), depth);
}

static void
walk(struct flat *f, json_t *v, size_t len, int depth)
{
	if (depth > MAX_DEPTH || len == NO_PATH)
		return;
	if (json_is_object(v))
		walk_object(f, v, len, depth);
	else if (json_is_array(v))
		walk_array(f, v, len, depth);
	else
		add_scalar(f, len, v);
}

/* Starts a path at name (n bytes) and walks v under it. */
static void
walk_named(struct flat *f, json_t *v, const char *name, size_t n)
{
	walk(f, v, push(f, 0, "", name, n, ""), 1);
}

/* An extension object "urn:...:User": its attributes under full paths
 * ("urn:...:User:department"), and the enterprise one's also under plain
 * names, as mappings write them (DESIGN §5).  Providers send manager as
 * {"value": id} or as a bare id string: both give "manager" = id. */
static void
walk_extension(struct flat *f, const char *urn, json_t *ext)
{
	int plain = strcmp(urn, SCIM_ENTERPRISE) == 0;
	size_t ul = strlen(urn), len;
	const char *k;
	json_t *v;

	json_object_foreach(ext, k, v) {
		int is_mgr = plain && strcmp(k, "manager") == 0;

		len = push(f, push(f, 0, "", urn, ul, ""), ":", k, strlen(k), "");
		if (is_mgr && json_is_string(v)) {
			add_val(f, push(f, len, "", ".value", 6, ""),
				json_string_value(v), json_string_length(v));
			add_val(f, push(f, 0, "", "manager", 7, ""),
				json_string_value(v), json_string_length(v));
			continue;
		}
		walk(f, v, len, 1);
		if (is_mgr && json_is_object(v)) {
			json_t *id = json_object_get(v, "value");

			if (json_is_string(id))
				add_val(f, push(f, 0, "", "manager", 7, ""),
					json_string_value(id), json_string_length(id));
			continue;
		}
		if (plain)
			walk_named(f, v, k, strlen(k));
	}
}

static int
inactive(json_t *res)
{
	json_t *a = json_object_get(res, "active");

	/* Some providers send the string "False". */
	return json_is_false(a) ||
	       (json_is_string(a) && strcasecmp(json_string_value(a), "false") == 0);
}

static void
add_members(struct record_builder *b, json_t *members)
{
	size_t i;
	json_t *m;

	/* Members without "type" or "$ref", or as bare id strings, are
	 * accepted: the id resolves to a user or a group by key. */
	json_array_foreach(members, i, m) {
		const char *id = json_is_string(m) ? json_string_value(m)
			: json_string_value(json_object_get(m, "value"));

		if (id != NULL && *id)
			record_builder_add_member(b, id, id);
	}
}

static struct record *
build(json_t *res, const char *id, enum record_kind kind,
      struct record_builder *b)
{
	struct flat f;
	const char *k;
	json_t *v;

	f.b = b;
	f.nvals = 0;
	json_object_foreach(res, k, v) {
		if (strcmp(k, "schemas") == 0)
			continue;
		if (kind == RECORD_GROUP && strcmp(k, "members") == 0) {
			if (json_is_array(v))
				add_members(b, v);
			continue;
		}
		if (strncmp(k, "urn:", 4) == 0 && json_is_object(v))
			walk_extension(&f, k, v);
		else
			walk_named(&f, v, k, strlen(k));
	}
	return record_builder_finish(b, kind, id, id, id);
}

/*
 * Page memory.  A 78 KB page is thousands of small jansson allocations (a
 * hashtable per object, a node and a copy per string), each freed again
 * by json_decref: without them the 100k-user fetch takes 1.75 s of CPU,
 * not 2.1 s.  While a thread parses a page with scim_page_parse, jansson
 * allocates from that thread's bump chunks instead, frees are no-ops, and
 * the whole document goes at once when the page is built (no json_decref
 * walk).  The hooks are process-wide but behave as malloc/free on any
 * thread outside such a scope, so other jansson users are unaffected; a
 * document made in a scope never leaves it.
 */
#define CHUNK_SIZE (512u * 1024)

struct chunk {
	struct chunk *next;
	size_t size, off;
	_Alignas(16) unsigned char data[];
};

static _Thread_local struct chunk *tl_chunks;
static _Thread_local int tl_scope;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void *
page_malloc(size_t n)
{
	struct chunk *c = tl_chunks;

	if (!tl_scope)
		return malloc(n);
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->size - c->off < n) {
		size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;	/* jansson reports it */
		c->size = size;
		c->off = 0;
		c->next = tl_chunks;
		tl_chunks = c;
	}
	c->off += n;
	return c->data + c->off - n;
}

static void
page_free(void *p)
{
	if (!tl_scope)
		free(p);
}

static void
install_hooks(void)
{
	json_set_alloc_funcs(page_malloc, page_free);
}

static void
scope_begin(void)
{
	pthread_once(&hooks_once, install_hooks);
	tl_scope = 1;
}

/* Frees everything jansson allocated in the scope. */
static void
scope_end(void)
{
	struct chunk *c, *next;

	for (c = tl_chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	tl_chunks = NULL;
	tl_scope = 0;
}

static json_t *
load(const char *body, size_t len, struct err *e)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (root == NULL)
		err_setc(e, ERR_FETCH, "malformed JSON at line %d: %s", je.line,
			 je.text);
	return root;
}

/* Builds the records; values are copied, root is left alone. */
static int
build_page(json_t *root, enum record_kind kind, int drop_inactive,
	   struct record_builder *b, struct scim_page *out, struct err *e)
{
	json_t *res, *tot, *el;
	struct scim_page p = { -1, 0, NULL, NULL };
	size_t i;
	int rc = -1;

	if (!json_is_object(root)) {
		err_setc(e, ERR_FETCH, "response is not a JSON object");
		goto out;
	}
	tot = json_object_get(root, "totalResults");
	if (tot != NULL && (!json_is_integer(tot) || json_integer_value(tot) < 0)) {
		err_setc(e, ERR_FETCH, "totalResults is not a non-negative integer");
		goto out;
	}
	p.total = tot ? (long)json_integer_value(tot) : -1;
	res = json_object_get(root, "Resources");
	if (res == NULL && p.total > 0) {
		err_setc(e, ERR_FETCH, "response has totalResults %ld but no Resources",
			 p.total);
		goto out;
	}
	if (res != NULL && !json_is_array(res)) {
		err_setc(e, ERR_FETCH, "Resources is not an array");
		goto out;
	}
	p.n = res ? json_array_size(res) : 0;
	p.ids = arena_zalloc(b->arena, (p.n + 1) * sizeof(*p.ids));
	p.recs = arena_zalloc(b->arena, (p.n + 1) * sizeof(*p.recs));
	json_array_foreach(res, i, el) {
		const char *id = json_string_value(json_object_get(el, "id"));

		if (!json_is_object(el) || id == NULL || *id == '\0') {
			err_setc(e, ERR_FETCH, "resource %zu of the page has no id", i + 1);
			goto out;
		}
		p.ids[i] = arena_strdup(b->arena, id);
		if (kind == RECORD_USER && drop_inactive && inactive(el))
			continue;
		p.recs[i] = build(el, id, kind, b);
	}
	*out = p;
	rc = 0;
out:
	return rc;
}

int
scim_page_parse(const char *body, size_t len, enum record_kind kind,
		int drop_inactive, struct record_builder *b,
		struct scim_page *out, struct err *e)
{
	json_t *root;
	int rc = -1;

	scope_begin();
	root = load(body, len, e);
	if (root != NULL)
		rc = build_page(root, kind, drop_inactive, b, out, e);
	scope_end();	/* root and all its nodes */
	return rc;
}

static int
parse_date(const char *v, time_t *t)
{
	static const char *const fmts[] = {
		"%a, %d %b %Y %H:%M:%S GMT",	/* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT",	/* RFC 850 */
		"%a %b %e %H:%M:%S %Y",		/* asctime */
	};
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm;
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(v, fmts[i], &tm);
		if (end == NULL)
			continue;
		while (isspace((unsigned char)*end))
			end++;
		if (*end != '\0')
			continue;
		*t = timegm(&tm);
		return *t == (time_t)-1 ? -1 : 0;
	}
	return -1;
}

int
scim_retry_after(const char *v, time_t now, long *secs)
{
	const char *p;
	time_t t;

	if (v == NULL)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	for (p = v; isdigit((unsigned char)*p); p++)
		;
	if (p > v) {
		const char *q = p;
		long n = 0;

		while (isspace((unsigned char)*q))
			q++;
		if (*q != '\0')
			return -1;
		/* Saturate: the caller caps the wait anyway. */
		for (q = v; q < p && n < 1000000; q++)
			n = n * 10 + (*q - '0');
		*secs = n;
		return 0;
	}
	if (parse_date(v, &t) < 0)
		return -1;
	*secs = t > now ? (long)(t - now) : 0;
	return 0;
}

void
scim_filter_eq(struct str *out, const char *attr, const char *value)
{
	str_addf(out, "%s eq ", attr);
	str_add_json(out, value);
}

void
scim_url_escape(struct str *out, const char *p)
{
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			str_addc(out, (char)c);
		else
			str_addf(out, "%%%02X", c);
	}
}

int
scim_content_type_ok(const char *ct)
{
	static const char *const ok[] = { "application/scim+json",
					   "application/json" };
	size_t i;

	if (ct == NULL)
		return 0;
	while (isspace((unsigned char)*ct))
		ct++;
	for (i = 0; i < 2; i++) {
		size_t n = strlen(ok[i]);

		if (strncasecmp(ct, ok[i], n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';' || isspace((unsigned char)ct[n])))
			return 1;
	}
	return 0;
}

/* Appends s keeping printable ASCII and UTF-8 bytes, control characters
 * as spaces, at most max bytes. */
static void
add_printable(struct str *out, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++)
		str_addc(out, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i]);
	if (s[i])
		str_adds(out, "...");
}

void
scim_error_summary(const char *body, size_t len, struct str *out)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *type, *detail;
	struct str tmp = STR_INIT;

	if (root == NULL)
		return;
	type = json_string_value(json_object_get(root, "scimType"));
	detail = json_string_value(json_object_get(root, "detail"));
	if (type != NULL) {
		add_printable(&tmp, type, 40);
		if (detail != NULL)
			str_adds(&tmp, ": ");
	}
	if (detail != NULL)
		add_printable(&tmp, detail, 160);
	str_add_utf8_clean(out, tmp.buf ? tmp.buf : "", tmp.len);
	str_release(&tmp);
	json_decref(root);
}
