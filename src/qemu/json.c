/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* JSON as QEMU reads it (its own parser: single-quoted strings too),
 * flattened as QEMU does for -blockdev and json: file names:
 *
 *   {"a": {"b": 1}, "c": [true, null]}  ->  a.b=1  c.0=on  c.1=(null)
 *
 * nested objects become dotted keys, array elements key.N, true/false
 * "on"/"off", null a NULL value, numbers their text. */
#include "config.h"
#include "qemu/json.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

/* Deepest nesting followed; QEMU's own graphs are far shallower. */
#define JSON_DEPTH_MAX 32

struct json_reader {
	const char *start, *p;
	struct qemu_kvlist *out;
	struct vl_error *e;
	int depth;
};

static int json_fail(struct json_reader *j, const char *what)
{
	return vl_fail(j->e, EX_USAGE, "invalid JSON at offset %zu: %s",
		       (size_t)(j->p - j->start), what);
}

static void json_skip_space(struct json_reader *j)
{
	j->p += strspn(j->p, " \t\r\n");
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool json_read_hex4(struct json_reader *j, unsigned *u)
{
	*u = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(j->p[i]);
		if (d < 0)
			return false;
		*u = *u << 4 | (unsigned)d;
	}
	j->p += 4;
	return true;
}

static char *put_utf8(char *q, unsigned u)
{
	if (u < 0x80) {
		*q++ = (char)u;
	} else if (u < 0x800) {
		*q++ = (char)(0xc0 | u >> 6);
		*q++ = (char)(0x80 | (u & 0x3f));
	} else if (u < 0x10000) {
		*q++ = (char)(0xe0 | u >> 12);
		*q++ = (char)(0x80 | (u >> 6 & 0x3f));
		*q++ = (char)(0x80 | (u & 0x3f));
	} else {
		*q++ = (char)(0xf0 | u >> 18);
		*q++ = (char)(0x80 | (u >> 12 & 0x3f));
		*q++ = (char)(0x80 | (u >> 6 & 0x3f));
		*q++ = (char)(0x80 | (u & 0x3f));
	}
	return q;
}

/* \uXXXX, with surrogate pairs; j->p is just past the 'u'. */
static int json_read_unicode(struct json_reader *j, char **q)
{
	unsigned u, low;

	if (!json_read_hex4(j, &u))
		return json_fail(j, "bad \\u escape");
	if (u >= 0xd800 && u < 0xdc00) {
		if (j->p[0] != '\\' || j->p[1] != 'u')
			return json_fail(j, "lone surrogate");
		j->p += 2;
		if (!json_read_hex4(j, &low) || low < 0xdc00 || low > 0xdfff)
			return json_fail(j, "bad surrogate pair");
		u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
	} else if (u >= 0xdc00 && u < 0xe000) {
		return json_fail(j, "lone surrogate");
	}
	if (u == 0)
		return json_fail(j, "\\u0000 in a string");
	*q = put_utf8(*q, u);
	return 0;
}

/* A string in double quotes or, as QEMU also accepts, single quotes. */
static int json_read_string(struct json_reader *j, char **out)
{
	static const char escapes[] = "\"\"''\\\\//b\bf\fn\nr\rt\t";
	char quote = *j->p++;
	/* the decoded string is never longer than the text */
	char *s = vl_malloc(strlen(j->p) + 1), *q = s;
	int rc = 0;

	while (!rc && *j->p != quote) {
		unsigned char c = (unsigned char)*j->p++;
		const char *esc;

		if (c == '\0') {
			j->p--;
			rc = json_fail(j, "unterminated string");
		} else if (c < 0x20) {
			rc = json_fail(j, "control character in a string");
		} else if (c != '\\') {
			*q++ = (char)c;
		} else if (*j->p == 'u') {
			j->p++;
			rc = json_read_unicode(j, &q);
		} else if (*j->p && (esc = strchr(escapes, *j->p)) &&
			   (esc - escapes) % 2 == 0) {
			*q++ = esc[1];
			j->p++;
		} else {
			rc = json_fail(j, "bad escape");
		}
	}
	if (rc) {
		free(s);
		return rc;
	}
	j->p++;
	*q = '\0';
	*out = s;
	return 0;
}

static int json_read_number(struct json_reader *j, char **out)
{
	const char *s = j->p;

	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		j->p += strspn(j->p, "0123456789");
	else
		return json_fail(j, "bad number");
	if (*j->p == '.') {
		j->p++;
		if (!strspn(j->p, "0123456789"))
			return json_fail(j, "bad number");
		j->p += strspn(j->p, "0123456789");
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!strspn(j->p, "0123456789"))
			return json_fail(j, "bad number");
		j->p += strspn(j->p, "0123456789");
	}
	*out = vl_strndup(s, (size_t)(j->p - s));
	return 0;
}

static int json_read_value(struct json_reader *j, const char *key);

static char *json_member_key(const char *prefix, const char *name)
{
	return *prefix ? vl_asprintf("%s.%s", prefix, name) : vl_strdup(name);
}

static int json_read_object(struct json_reader *j, const char *prefix)
{
	j->p++;
	json_skip_space(j);
	if (*j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		char *name, *key;
		int rc;

		json_skip_space(j);
		if (*j->p != '"' && *j->p != '\'')
			return json_fail(j, "expected a member name");
		rc = json_read_string(j, &name);
		if (rc)
			return rc;
		key = json_member_key(prefix, name);
		free(name);
		json_skip_space(j);
		if (*j->p != ':') {
			free(key);
			return json_fail(j, "expected ':'");
		}
		j->p++;
		rc = json_read_value(j, key);
		free(key);
		if (rc)
			return rc;
		json_skip_space(j);
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p != ',')
			return json_fail(j, "expected ',' or '}'");
		j->p++;
	}
}

static int json_read_array(struct json_reader *j, const char *prefix)
{
	j->p++;
	json_skip_space(j);
	if (*j->p == ']') {
		j->p++;
		return 0;
	}
	for (size_t i = 0;; i++) {
		char *key = vl_asprintf("%s%s%zu", prefix, *prefix ? "." : "", i);
		int rc = json_read_value(j, key);

		free(key);
		if (rc)
			return rc;
		json_skip_space(j);
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		if (*j->p != ',')
			return json_fail(j, "expected ',' or ']'");
		j->p++;
	}
}

static int json_read_scalar(struct json_reader *j, const char *key)
{
	static const struct { const char *word, *value; } literals[] = {
		{ "true", "on" }, { "false", "off" }, { "null", NULL },
	};
	char *val = NULL;
	int rc;

	if (*j->p == '"' || *j->p == '\'')
		rc = json_read_string(j, &val);
	else if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
		rc = json_read_number(j, &val);
	else {
		size_t i, n = sizeof literals / sizeof *literals;

		for (i = 0; i < n && !vl_starts_with(j->p, literals[i].word); i++)
			;
		if (i == n)
			return json_fail(j, "expected a value");
		j->p += strlen(literals[i].word);
		val = literals[i].value ? vl_strdup(literals[i].value) : NULL;
		rc = 0;
	}
	if (rc)
		return rc;
	if (!*key) {
		free(val);
		return json_fail(j, "expected an object");
	}
	return qemu_kv_add_unique(j->out, vl_strdup(key), val, j->e);
}

static int json_read_value(struct json_reader *j, const char *key)
{
	int rc;

	json_skip_space(j);
	if (*j->p != '{' && *j->p != '[')
		return json_read_scalar(j, key);
	if (++j->depth > JSON_DEPTH_MAX)
		return json_fail(j, "nested too deeply");
	rc = *j->p == '{' ? json_read_object(j, key)
			  : json_read_array(j, key);
	j->depth--;
	return rc;
}

int qemu_json_parse(const char *s, struct qemu_kvlist *out,
		    struct vl_error *e)
{
	struct json_reader j = { .start = s, .p = s, .out = out, .e = e };
	int rc;

	json_skip_space(&j);
	if (*j.p != '{')
		return json_fail(&j, "expected an object");
	rc = json_read_value(&j, "");
	if (rc)
		return rc;
	json_skip_space(&j);
	if (*j.p)
		return json_fail(&j, "trailing characters");
	return 0;
}
