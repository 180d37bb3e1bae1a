/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The JSON that the commands print (see json.h). */
#include "config.h"
#include "cmd/json.h"
#include "util/escape.h"

/* Before each member of an object and each element of an array. */
void json_item(struct json *j)
{
	if (!j->first)
		fputc(',', j->out);
	if (j->pretty)
		fprintf(j->out, "\n%*s", 2 * j->depth, "");
	else if (!j->first)
		fputc(' ', j->out);
	j->first = false;
}

void json_open(struct json *j, char bracket)
{
	fputc(bracket, j->out);
	j->depth++;
	j->first = true;
}

void json_close(struct json *j, char bracket)
{
	j->depth--;
	if (j->pretty && !j->first)
		fprintf(j->out, "\n%*s", 2 * j->depth, "");
	fputc(bracket, j->out);
	j->first = false;
}

/* Valid UTF-8 as it is; a byte that is not as the text \xHH, and so that
 * this stays unambiguous, a backslash before x as \x5c (vmlock(1)). */
void json_string(struct json *j, const char *s)
{
	if (!s) {
		fputs("null", j->out);
		return;
	}
	fputc('"', j->out);
	for (size_t n; *s; s += n ? n : 1) {
		unsigned char c = (unsigned char)*s;
		n = vl_utf8_len(s);
		if (!n || (c == '\\' && s[1] == 'x'))
			fprintf(j->out, "\\\\x%02x", c);
		else if (c == '"' || c == '\\')
			fprintf(j->out, "\\%c", c);
		else if (c < 0x20)
			fprintf(j->out, "\\u%04x", c);
		else
			fwrite(s, 1, n, j->out);
	}
	fputc('"', j->out);
}

void json_key(struct json *j, const char *key)
{
	json_item(j);
	json_string(j, key);
	fputs(": ", j->out);
}
