/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The JSON writer of the commands' output (inquire, audit; vmlock(1),
 * OUTPUT): objects and arrays, compact or pretty, strings valid UTF-8. */
#ifndef VMLOCK_CMD_JSON_H
#define VMLOCK_CMD_JSON_H

#include <stdbool.h>
#include <stdio.h>

/* A JSON writer, compact ("a": 1, "b": 2) or pretty (two spaces a level);
 * start it as { .out = FILE, .pretty = ..., .first = true }. */
struct json {
	FILE *out;
	bool pretty, first;
	int depth;
};

/* Before each member of an object and each element of an array. */
void json_item(struct json *j);
/* bracket: '{' or '['; json_close with its partner. */
void json_open(struct json *j, char bracket);
void json_close(struct json *j, char bracket);
/* Valid UTF-8 as it is; a byte that is not as the text \xHH, and so that
 * this stays unambiguous, a backslash before x as \x5c; NULL as null. */
void json_string(struct json *j, const char *s);
/* An object's member name: json_item, the name, ": ". */
void json_key(struct json *j, const char *key);

#endif
