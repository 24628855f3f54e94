/*
 * view_members: the users table of `members` (DESIGN §3) as a text table,
 * JSON or CSV, from a store snapshot.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "view.h"
#include "util/xmalloc.h"

static int
by_email(const void *a, const void *b)
{
	const struct smember *x = *(const struct smember *const *)a;
	const struct smember *y = *(const struct smember *const *)b;
	int r = strcmp(x->email_key ? x->email_key : "",
		       y->email_key ? y->email_key : "");

	return r ? r : strcmp(x->email ? x->email : "",
			      y->email ? y->email : "");
}

/* ASCII case-insensitive substring; names in other scripts still match
 * byte for byte. */
static int
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (hay == NULL)
		return 0;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return n == 0;
}

/* The members to show, sorted by email; free() the array. */
static const struct smember **
select_members(const struct snapshot *snap, const char *search, size_t *n)
{
	const struct smember **v = xcalloc(snap->nmembers + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < snap->nmembers; i++) {
		const struct smember *m = snap->members[i];

		if (search == NULL || contains(m->name, search) ||
		    contains(m->email, search))
			v[(*n)++] = m;
	}
	qsort(v, *n, sizeof(*v), by_email);
	return v;
}

static void
join_teams(struct str *out, const struct smember *m, const char *sep)
{
	size_t i;

	for (i = 0; i < m->nteams; i++) {
		if (i)
			str_adds(out, sep);
		str_adds(out, m->teams[i] ? m->teams[i] : "");
	}
}

static const char *
manager_email(const struct smember *m)
{
	return m->manager != NULL ? m->manager->email : NULL;
}

static void
write_table(const struct smember **v, size_t n, struct str *out)
{
	static const char *const head[] = { "NAME", "EMAIL", "ROLE",
		"MANAGER", "TEAMS", "SEAT" };
	struct view_table t;
	struct str teams = STR_INIT;
	size_t i;

	view_table_init(&t, 6);
	for (i = 0; i < 6; i++)
		view_table_cell(&t, head[i]);
	for (i = 0; i < n; i++) {
		str_reset(&teams);
		join_teams(&teams, v[i], ", ");
		view_table_cell(&t, v[i]->name);
		view_table_cell(&t, v[i]->email);
		view_table_cell(&t, v[i]->role);
		view_table_cell(&t, manager_email(v[i]));
		view_table_cell(&t, str_cstr(&teams));
		view_table_cell(&t, v[i]->seat ? "yes" : "no");
	}
	view_table_write(&t, out);
	view_table_release(&t);
	str_release(&teams);
}

static void
json_field(struct str *out, const char *key, const char *val)
{
	str_addf(out, ", \"%s\": ", key);
	if (val == NULL)
		str_adds(out, "null");
	else
		str_add_json(out, val);
}

/* custom_fields is JSON text in the store; re-encoding it (rather than
 * pasting it) keeps the output valid even if a row was damaged. */
static void
json_custom(struct str *out, const char *text)
{
	json_t *obj = text ? json_loads(text, 0, NULL) : NULL;
	char *dump = NULL;

	if (json_is_object(obj))
		dump = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	str_adds(out, dump != NULL ? dump : "{}");
	free(dump);
	json_decref(obj);
}

static void
write_json_member(const struct smember *m, struct str *out)
{
	size_t i;

	str_adds(out, "{\"name\": ");
	if (m->name == NULL)
		str_adds(out, "null");
	else
		str_add_json(out, m->name);
	json_field(out, "email", m->email);
	json_field(out, "role", m->role);
	json_field(out, "manager", manager_email(m));
	str_adds(out, ", \"teams\": [");
	for (i = 0; i < m->nteams; i++) {
		str_adds(out, i ? ", " : "");
		str_add_json(out, m->teams[i] ? m->teams[i] : "");
	}
	str_addf(out, "], \"seat\": %s", m->seat ? "true" : "false");
	json_field(out, "status", m->suspended ? "suspended" : "active");
	json_field(out, "managed_by", m->job);
	str_adds(out, ", \"custom_fields\": ");
	json_custom(out, m->custom_fields);
	str_addc(out, '}');
}

static void
write_json(const struct smember **v, size_t n, struct str *out)
{
	size_t i;

	str_addc(out, '[');
	for (i = 0; i < n; i++) {
		str_adds(out, i ? ",\n  " : "\n  ");
		write_json_member(v[i], out);
	}
	str_adds(out, n ? "\n]\n" : "]\n");
}

/* RFC 4180: CRLF line ends; teams joined by ';' so that the usual case
 * needs no quoting. */
static void
write_csv(const struct smember **v, size_t n, struct str *out)
{
	struct str teams = STR_INIT;
	size_t i;

	str_adds(out, "name,email,role,manager,teams,seat,status,"
		 "managed_by\r\n");
	for (i = 0; i < n; i++) {
		const struct smember *m = v[i];

		str_reset(&teams);
		join_teams(&teams, m, ";");
		view_add_csv(out, m->name);
		str_addc(out, ',');
		view_add_csv(out, m->email);
		str_addc(out, ',');
		view_add_csv(out, m->role);
		str_addc(out, ',');
		view_add_csv(out, manager_email(m));
		str_addc(out, ',');
		view_add_csv(out, str_cstr(&teams));
		str_addf(out, ",%s,%s,", m->seat ? "yes" : "no",
			 m->suspended ? "suspended" : "active");
		view_add_csv(out, m->job);
		str_adds(out, "\r\n");
	}
	str_release(&teams);
}

void
view_members(const struct snapshot *snap, const char *search,
	     enum out_format fmt, struct str *out)
{
	size_t n;
	const struct smember **v = select_members(snap, search, &n);

	if (fmt == FMT_JSON)
		write_json(v, n, out);
	else if (fmt == FMT_CSV)
		write_csv(v, n, out);
	else
		write_table(v, n, out);
	free(v);
}
