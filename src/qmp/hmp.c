/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* HMP command lines, split as QEMU's monitor does for the commands that
 * open images (monitor_parse_arguments with types B, s, F and -X):
 *
 *   line  = space* word (space+ arg)* space*
 *   arg   = flag | word
 *   flag  = "-" letter             (before the first word argument)
 *   word  = '"' (char | "\" esc)* '"' | non-space+
 *   esc   = "n" | "r" | "\" | "'" | '"'
 *
 * A quoted word is its characters with escapes undone. */
#include "config.h"
#include "qmp/hmp.h"
#include "util/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

static char unescape(char c)
{
	return c == 'n' ? '\n' : c == 'r' ? '\r' : c;
}

/* A quoted word starting at *p (on its quote): its text, or NULL. */
static char *quoted(const char **p)
{
	const char *s = *p + 1;
	char *out = vl_calloc(strlen(s) + 1, 1), *o = out;

	for (; *s && *s != '"'; s++)
		*o++ = *s == '\\' && s[1] ? unescape(*++s) : *s;
	if (*s != '"') {
		free(out);
		return NULL;
	}
	*p = s + 1;
	return out;
}

static char *bare(const char **p)
{
	size_t n = 0;

	while ((*p)[n] && !isspace((unsigned char)(*p)[n]))
		n++;
	char *w = vl_strndup(*p, n);
	*p += n;
	return w;
}

static int add_flag(struct hmp_line *l, const char *w, struct vl_error *e)
{
	size_t n = strlen(l->flags);

	if (strlen(w) != 2 || !isalpha((unsigned char)w[1]) ||
	    n + 1 >= sizeof l->flags)
		return vl_fail(e, EX_USAGE, "HMP command %s: option \"%s\" is "
			       "not one vmlock can tell", l->words[0], w);
	l->flags[n] = w[1];
	return 0;
}

int hmp_split(const char *line, struct hmp_line *out, struct vl_error *e)
{
	const char *p = skip_space(line);

	*out = (struct hmp_line){0};
	while (*p) {
		char *w = *p == '"' ? quoted(&p) : bare(&p);
		if (!w)
			return vl_fail(e, EX_USAGE, "HMP command line \"%s\": a "
				       "quote is not closed", line);
		if (out->n == 1 && w[0] == '-' && w[1]) {
			int rc = add_flag(out, w, e);
			free(w);
			if (rc)
				return rc;
		} else {
			*VL_PUSH(out->words, out->n, out->cap) = w;
		}
		p = skip_space(p);
	}
	if (!out->n)
		return vl_fail(e, EX_USAGE, "an empty HMP command line");
	return 0;
}

bool hmp_flag(const struct hmp_line *l, char c)
{
	return strchr(l->flags, c) != NULL && c;
}

const char *hmp_arg(const struct hmp_line *l, size_t i)
{
	return i + 1 < l->n ? l->words[i + 1] : NULL;
}

void hmp_line_free(struct hmp_line *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->words[i]);
	free(l->words);
	*l = (struct hmp_line){0};
}
