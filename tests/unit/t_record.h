/*
 * t_record.h: a user record from "name=value" strings (NULL-ended), for
 * the filter and template unit tests.  The test file defines the arena
 * and the builder (record_builder_init'ed on that arena).
 */
#ifndef HS_T_RECORD_H
#define HS_T_RECORD_H

#include <stdio.h>
#include <string.h>

#include "record.h"

static struct arena arena;
static struct record_builder builder;

static struct record *
user(const char **attrs)
{
	for (size_t i = 0; attrs[i]; i++) {
		const char *eq = strchr(attrs[i], '=');
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)(eq - attrs[i]),
			 attrs[i]);
		record_builder_add(&builder, name, eq + 1, strlen(eq + 1));
	}
	return record_builder_finish(&builder, RECORD_USER, "a", "uid=x",
				     "uid=x");
}

#endif
