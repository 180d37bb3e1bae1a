/* The QEMU command-line reader (DESIGN.md section 5): argv in, the disks
 * QEMU will open out, each with its mode. It never prints nor exits. */
#include "config.h"
#include "qemu_args.h"
#include "image.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deepest JSON nesting, and deepest chain of -blockdev references and
 * json: filenames followed; QEMU's own graphs are far shallower. */
#define JSON_DEPTH_MAX 32
#define NODE_NEST_MAX 64

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* ---- key/value lists ---------------------------------------------- */

const char *qemu_kv_get(const struct qemu_kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return l->v[i].val;
	return NULL;
}

static struct qemu_kv *kv_find(const struct qemu_kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

/* Takes ownership of key and val. */
static void kv_append(struct qemu_kvlist *l, char *key, char *val)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n++] = (struct qemu_kv){ .key = key, .val = val };
}

static int kv_add_unique(struct qemu_kvlist *l, char *key, char *val,
			 struct vl_error *e)
{
	if (kv_find(l, key)) {
		vl_fail(e, EX_USAGE, "duplicate key \"%s\"", key);
		free(key);
		free(val);
		return EX_USAGE;
	}
	kv_append(l, key, val);
	return 0;
}

static void kv_set(struct qemu_kvlist *l, const char *key, const char *val)
{
	struct qemu_kv *kv = kv_find(l, key);

	if (kv) {
		free(kv->val);
		kv->val = xstrdup(val);
	} else {
		kv_append(l, xstrdup(key), xstrdup(val));
	}
}

void qemu_kvlist_free(struct qemu_kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	free(l->v);
	*l = (struct qemu_kvlist){0};
}

/* True when some key lies below prefix ("file." for "file.filename"). */
static bool kv_has_prefix(const struct qemu_kvlist *l, const char *prefix)
{
	for (size_t i = 0; i < l->n; i++)
		if (starts_with(l->v[i].key, prefix))
			return true;
	return false;
}

bool qemu_parse_bool(const char *s, bool *value)
{
	static const char *const yes[] = { "on", "yes", "true", NULL };
	static const char *const no[] = { "off", "no", "false", NULL };

	*value = in_list(s, yes);
	return *value || in_list(s, no);
}

/* ---- QemuOpts ----------------------------------------------------- */

/* Reads up to a lone ',' (",," is a literal comma); *s is left on the
 * ',' or the terminating NUL. */
static char *read_opt_value(const char **s)
{
	const char *p = *s;
	char *val = xmalloc(strlen(p) + 1), *q = val;

	for (; *p; p++) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		}
		*q++ = *p;
	}
	*q = '\0';
	*s = p;
	return val;
}

int qemu_opts_parse(const char *s, const char *implied_key,
		    struct qemu_kvlist *out, struct vl_error *e)
{
	for (bool first = true; *s; first = false) {
		size_t keylen = strcspn(s, "=,");
		char *key, *val;

		if (first && implied_key && s[keylen] != '=') {
			key = xstrdup(implied_key);
			val = read_opt_value(&s);
		} else if (keylen == 0) {
			return vl_fail(e, EX_USAGE, "empty key");
		} else {
			key = xstrndup(s, keylen);
			s += keylen;
			if (*s == '=') {
				s++;
				val = read_opt_value(&s);
			} else {
				val = xstrdup("on");
			}
		}
		int rc = kv_add_unique(out, key, val, e);
		if (rc)
			return rc;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* ---- JSON, flattened ---------------------------------------------- */

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
	char *s = xmalloc(strlen(j->p) + 1), *q = s;
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
	*out = xstrndup(s, (size_t)(j->p - s));
	return 0;
}

static int json_read_value(struct json_reader *j, const char *key);

static char *json_member_key(const char *prefix, const char *name)
{
	return *prefix ? xasprintf("%s.%s", prefix, name) : xstrdup(name);
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
		char *key = xasprintf("%s%s%zu", prefix, *prefix ? "." : "", i);
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

		for (i = 0; i < n && !starts_with(j->p, literals[i].word); i++)
			;
		if (i == n)
			return json_fail(j, "expected a value");
		j->p += strlen(literals[i].word);
		val = literals[i].value ? xstrdup(literals[i].value) : NULL;
		rc = 0;
	}
	if (rc)
		return rc;
	if (!*key) {
		free(val);
		return json_fail(j, "expected an object");
	}
	return kv_add_unique(j->out, xstrdup(key), val, j->e);
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

/* ---- file names --------------------------------------------------- */

bool qemu_name_is_protocol(const char *name)
{
	return name[strcspn(name, ":/")] == ':' && !starts_with(name, "file:");
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (name[0] == '/')
		return xstrdup(name);
	return xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
			 name);
}
