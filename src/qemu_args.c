/* The QEMU command-line reader (DESIGN.md section 5): argv in, the disks
 * QEMU will open out, each with its mode. It never prints nor exits. */
#include "config.h"
#include "qemu_args.h"
#include "image.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deepest JSON nesting, and deepest chain of -blockdev references and
 * json: filenames followed; QEMU's own graphs are far shallower. */
#define JSON_DEPTH_MAX 32
#define QEMU_DEFAULT_CONFIG "/etc/qemu/qemu.conf"
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

/* ---- the disks of a qemu-system command line ----------------------- */

enum item_kind { ITEM_DRIVE, ITEM_BLOCKDEV, ITEM_DEVICE };

/* One -drive (or legacy disk option), -blockdev or -device. */
struct item {
	enum item_kind kind;
	const char *opt;	/* option name, for messages */
	const char *arg;	/* its argument as written */
	struct qemu_kvlist kv;
	bool shared;		/* a -device with share-rw=on uses it */
	bool referenced;	/* another -blockdev names it as a child */
};

struct reader {
	const char *cwd;
	struct qemu_disks *out;
	struct vl_error *e;
	struct item *items;
	size_t nitems, cap;
	bool snapshot;		/* global -snapshot */
	unsigned nest;		/* node references and json: names followed */
};

/* The image a node makes QEMU open, as seen from the node above it. */
struct node_ctx {
	const struct item *it;	/* whose argument names the node */
	const char *format;	/* format driver above the file node, or NULL */
	enum vl_mode mode;
	unsigned depth;
	bool probe;		/* -drive: QEMU probes a format not given */
	bool chain;		/* the image's own backing chain is followed */
	bool backing;		/* below a backing link: readonly */
};

static const char *const local_drivers[] = {
	"file", "host_device", "host_cdrom", NULL,
};
/* Formats and filters: drivers whose images come from their children. */
static const char *const image_drivers[] = {
	"raw", "qcow2", "qcow", "qed", "vmdk", "vdi", "vhdx", "vpc",
	"parallels", "bochs", "cloop", "dmg", "luks", "throttle",
	"copy-on-read", "blkdebug", "blkverify", "blklogwrites", "preallocate",
	"compress", "copy-before-write", "snapshot-access", "quorum",
	"replication", NULL,
};
/* Keys naming a child node ("children.N" of quorum too). */
static const char *const child_names[] = {
	"file", "backing", "data-file", "image", "test", "log", NULL,
};

__attribute__((format(printf, 4, 5)))
static int arg_fail(struct vl_error *e, const char *opt, const char *arg,
		    const char *fmt, ...)
{
	char detail[sizeof e->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return vl_fail(e, EX_USAGE, "%s \"%s\": %s", opt, arg, detail);
}

__attribute__((format(printf, 2, 3)))
static void add_note(struct qemu_disks *d, const char *fmt, ...)
{
	va_list ap;
	char *note;

	va_start(ap, fmt);
	if (vasprintf(&note, fmt, ap) < 0)
		note = xstrdup("skipped a disk");
	va_end(ap);
	d->notes = xreallocarray(d->notes, d->nnotes + 1, sizeof *d->notes);
	d->notes[d->nnotes++] = note;
}

static void add_disk(struct qemu_disks *d, const char *cwd, const char *name,
		     const char *format, enum vl_mode mode, unsigned depth,
		     bool chain)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof *d->v);
	}
	d->v[d->n++] = (struct qemu_disk){
		.path = join_path(cwd, name),
		.mode = mode,
		.format = format ? xstrdup(format) : NULL,
		.chain = chain,
		.depth = depth,
	};
}

static enum vl_mode read_only_mode(enum vl_mode m)
{
	return m == VL_SHARED ? m : VL_READONLY;
}

static const char *node_get(const struct qemu_kvlist *kv, const char *prefix,
			    const char *key)
{
	char *full = xasprintf("%s%s", prefix, key);
	const char *v = qemu_kv_get(kv, full);

	free(full);
	return v;
}

static int node_bool(struct reader *r, const struct node_ctx *c,
		     const struct qemu_kvlist *kv, const char *prefix,
		     const char *key, bool *value)
{
	const char *v = node_get(kv, prefix, key);

	*value = false;
	if (v && !qemu_parse_bool(v, value))
		return arg_fail(r->e, c->it->opt, c->it->arg,
				"%s%s=%s is not on or off", prefix, key, v);
	return 0;
}

static struct item *find_item(struct reader *r, enum item_kind kind,
			      const char *id)
{
	const char *key = kind == ITEM_BLOCKDEV ? "node-name" : "id";

	for (size_t i = 0; i < r->nitems; i++) {
		const char *v = qemu_kv_get(&r->items[i].kv, key);
		if (r->items[i].kind == kind && v && !strcmp(v, id))
			return &r->items[i];
	}
	return NULL;
}

static int walk_node(struct reader *r, const struct qemu_kvlist *kv,
		     const char *prefix, bool drive_top, struct node_ctx c);

static int walk_json_name(struct reader *r, const char *json,
			  struct node_ctx c)
{
	struct qemu_kvlist kv = {0};
	int rc = qemu_json_parse(json, &kv, r->e);

	if (rc)
		rc = arg_fail(r->e, c.it->opt, c.it->arg, "json: filename: %s",
			      r->e->msg);
	else
		rc = walk_node(r, &kv, "", false, c);
	qemu_kvlist_free(&kv);
	return rc;
}

/* A filename= or -drive file= value: a path, json:{...} or a protocol. */
static int add_filename(struct reader *r, const char *name,
			const char *driver, struct node_ctx c)
{
	bool local = in_list(driver, local_drivers);
	const char *format = in_list(driver, image_drivers) ? driver
			     : c.format ? c.format
			     : c.probe ? NULL : driver;

	if (!*name)
		return 0;	/* an empty drive, e.g. a CD-ROM with no disc */
	if (!local && starts_with(name, "json:"))
		return walk_json_name(r, name + strlen("json:"), c);
	if ((!local && qemu_name_is_protocol(name)) ||
	    (driver && !local && !in_list(driver, image_drivers))) {
		add_note(r->out, "skipped network disk %s: not a local file",
			 name);
		return 0;
	}
	if (starts_with(name, "file:"))
		name += strlen("file:");
	add_disk(r->out, r->cwd, name, format, c.mode, c.depth, c.chain);
	return 0;
}

static int walk_reference(struct reader *r, const char *node_name,
			  struct node_ctx c)
{
	struct item *it = find_item(r, ITEM_BLOCKDEV, node_name);

	if (!it)
		return arg_fail(r->e, c.it->opt, c.it->arg,
				"no -blockdev has node-name \"%s\"",
				node_name);
	c.it = it;
	/* QEMU passes read-only on to inline children only: a node named
	 * by reference keeps its own, read-write unless it says otherwise
	 * (and, under a shared parent, shared) */
	if (!c.backing && c.mode == VL_READONLY)
		c.mode = it->shared ? VL_SHARED : VL_EXCLUSIVE;
	return walk_node(r, &it->kv, "", false, c);
}

/* prefix.name: a node reference, a nested node, or (-drive file=) a
 * filename. */
static int walk_child(struct reader *r, const struct qemu_kvlist *kv,
		      const char *prefix, const char *name, bool is_filename,
		      struct node_ctx c)
{
	char *key = xasprintf("%s%s", prefix, name);
	char *sub = xasprintf("%s.", key);
	struct qemu_kv *ref = kv_find(kv, key);
	int rc = 0;

	if (ref && ref->val && *ref->val)
		rc = is_filename ? add_filename(r, ref->val, NULL, c)
				 : walk_reference(r, ref->val, c);
	else if (!ref && kv_has_prefix(kv, sub))
		rc = walk_node(r, kv, sub, false, c);
	free(key);
	free(sub);
	return rc;
}

static int walk_children(struct reader *r, const struct qemu_kvlist *kv,
			 const char *prefix, bool drive_top,
			 const char *driver, struct node_ctx c)
{
	char *backing = xasprintf("%sbacking", prefix);
	char *backing_sub = xasprintf("%s.", backing);
	struct node_ctx file_c = c, backing_c = c, data_c = c;
	int rc = 0;

	if (driver && !in_list(driver, local_drivers))
		file_c.format = driver;
	file_c.chain = c.chain && !kv_find(kv, backing) &&
		       !kv_has_prefix(kv, backing_sub);
	free(backing);
	free(backing_sub);
	backing_c.format = NULL;
	backing_c.mode = VL_READONLY;
	backing_c.backing = true;
	backing_c.depth++;
	backing_c.chain = true;
	data_c.format = "raw";
	data_c.chain = false;

	for (const char *const *n = child_names; !rc && *n; n++) {
		struct node_ctx ctx = !strcmp(*n, "backing") ? backing_c
				      : !strcmp(*n, "data-file") ? data_c
				      : file_c;
		rc = walk_child(r, kv, prefix, *n,
				drive_top && !strcmp(*n, "file"), ctx);
	}
	for (unsigned i = 0; !rc; i++) {
		char *name = xasprintf("children.%u", i);
		char *key = xasprintf("%s%s", prefix, name);
		char *sub = xasprintf("%s.", key);
		bool present = kv_find(kv, key) || kv_has_prefix(kv, sub);

		if (present)
			rc = walk_child(r, kv, prefix, name, false, file_c);
		free(name);
		free(key);
		free(sub);
		if (!present)
			break;
	}
	return rc;
}

static int walk_node(struct reader *r, const struct qemu_kvlist *kv,
		     const char *prefix, bool drive_top, struct node_ctx c)
{
	const char *driver = node_get(kv, prefix, "driver");
	const char *filename = node_get(kv, prefix, "filename");
	bool read_only;
	int rc;

	if (drive_top && !driver)
		driver = qemu_kv_get(kv, "format");
	if (++r->nest > NODE_NEST_MAX) {
		rc = arg_fail(r->e, c.it->opt, c.it->arg,
			      "nodes nest too deeply (a reference loop?)");
		goto out;
	}
	rc = node_bool(r, &c, kv, prefix, "read-only", &read_only);
	if (rc)
		goto out;
	if (read_only)
		c.mode = read_only_mode(c.mode);
	if (filename)
		rc = add_filename(r, filename, driver, c);
	else if (driver && !in_list(driver, local_drivers) &&
		 !in_list(driver, image_drivers))
		add_note(r->out, "skipped network disk (driver %s) in %s "
			 "\"%s\": not a local file", driver, c.it->opt,
			 c.it->arg);
	if (!rc)
		rc = walk_children(r, kv, prefix, drive_top, driver, c);
out:
	r->nest--;
	return rc;
}

static int drive_mode(struct reader *r, const struct item *it,
		      enum vl_mode *mode)
{
	struct node_ctx c = { .it = it };
	bool ro, read_only, snapshot = r->snapshot;
	const char *media = qemu_kv_get(&it->kv, "media");
	int rc = node_bool(r, &c, &it->kv, "", "readonly", &ro);

	if (!rc)
		rc = node_bool(r, &c, &it->kv, "", "read-only", &read_only);
	if (!rc && qemu_kv_get(&it->kv, "snapshot"))
		rc = node_bool(r, &c, &it->kv, "", "snapshot", &snapshot);
	if (rc)
		return rc;
	if (it->shared)
		*mode = VL_SHARED;
	else if (ro || read_only || snapshot || (media && !strcmp(media, "cdrom")))
		*mode = VL_READONLY;
	else
		*mode = VL_EXCLUSIVE;
	return 0;
}

/* A key naming a child node: "file", "x.backing", "children.N", ... */
static bool is_child_key(const char *key)
{
	const char *last = strrchr(key, '.');
	size_t parent_len = last ? (size_t)(last - key) : 0;
	size_t n = strlen("children");

	if (in_list(last ? last + 1 : key, child_names))
		return true;
	return parent_len >= n && !strncmp(key + parent_len - n, "children", n) &&
	       (parent_len == n || key[parent_len - n - 1] == '.');
}

/* -device drive=ID,share-rw=on marks the drive or node shared. */
static int mark_shared(struct reader *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		struct item *dev = &r->items[i], *target;
		struct node_ctx c = { .it = dev };
		const char *drive = qemu_kv_get(&dev->kv, "drive");
		bool share;
		int rc;

		if (dev->kind != ITEM_DEVICE || !drive)
			continue;
		rc = node_bool(r, &c, &dev->kv, "", "share-rw", &share);
		if (rc)
			return rc;
		target = find_item(r, ITEM_DRIVE, drive);
		if (!target)
			target = find_item(r, ITEM_BLOCKDEV, drive);
		if (target && share)
			target->shared = true;
	}
	return 0;
}

static void mark_referenced(struct reader *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		const struct qemu_kvlist *kv = &r->items[i].kv;

		if (r->items[i].kind != ITEM_BLOCKDEV)
			continue;
		for (size_t k = 0; k < kv->n; k++) {
			struct item *child;

			if (!kv->v[k].val || !is_child_key(kv->v[k].key))
				continue;
			child = find_item(r, ITEM_BLOCKDEV, kv->v[k].val);
			if (child)
				child->referenced = true;
		}
	}
}

static int resolve_items(struct reader *r)
{
	int rc = mark_shared(r);

	mark_referenced(r);
	for (size_t i = 0; !rc && i < r->nitems; i++) {
		struct item *it = &r->items[i];
		struct node_ctx c = { .it = it, .chain = true };

		if (it->kind == ITEM_DRIVE) {
			c.probe = true;
			rc = drive_mode(r, it, &c.mode);
			if (!rc)
				rc = walk_node(r, &it->kv, "", true, c);
		} else if (it->kind == ITEM_BLOCKDEV && !it->referenced) {
			c.mode = it->shared ? VL_SHARED : VL_EXCLUSIVE;
			rc = walk_node(r, &it->kv, "", false, c);
		}
	}
	return rc;
}

/* ---- qemu-system options -------------------------------------------- */

enum sys_kind {
	SYS_FLAG,		/* takes no value */
	SYS_VALUE,		/* takes a value that names no disk */
	SYS_DRIVE, SYS_DISK, SYS_CDROM, SYS_BLOCKDEV, SYS_DEVICE,
	SYS_SET, SYS_SNAPSHOT, SYS_NAME, SYS_READCONFIG,
	SYS_NO_USER_CONFIG,	/* no value */
};

struct sys_option {
	const char *name;
	enum sys_kind kind;
};

/* QEMU 7.2's options (qemu-options.hx), checked one by one against
 * qemu-system-x86_64: those it answers "requires an argument" take a
 * value; -g, -prom-env, -semihosting-config, -xen-domid are from other
 * targets or builds. */
static const struct sys_option sys_options[] = {
	{ "-async-teardown", SYS_FLAG }, { "-audio-help", SYS_FLAG },
	{ "-daemonize", SYS_FLAG }, { "-enable-kvm", SYS_FLAG },
	{ "-enable-sync-profile", SYS_FLAG }, { "-full-screen", SYS_FLAG },
	{ "-h", SYS_FLAG }, { "-help", SYS_FLAG }, { "-mem-prealloc", SYS_FLAG },
	{ "-no-acpi", SYS_FLAG }, { "-no-fd-bootchk", SYS_FLAG },
	{ "-no-hpet", SYS_FLAG }, { "-no-reboot", SYS_FLAG },
	{ "-no-shutdown", SYS_FLAG }, { "-no-user-config", SYS_NO_USER_CONFIG },
	{ "-nodefaults", SYS_FLAG }, { "-nographic", SYS_FLAG },
	{ "-old-param", SYS_FLAG }, { "-only-migratable", SYS_FLAG },
	{ "-portrait", SYS_FLAG }, { "-preconfig", SYS_FLAG }, { "-S", SYS_FLAG },
	{ "-s", SYS_FLAG }, { "-semihosting", SYS_FLAG },
	{ "-singlestep", SYS_FLAG }, { "-usb", SYS_FLAG },
	{ "-version", SYS_FLAG }, { "-win2k-hack", SYS_FLAG },
	{ "-xen-attach", SYS_FLAG }, { "-xen-domid-restrict", SYS_FLAG },

	{ "-accel", SYS_VALUE }, { "-acpitable", SYS_VALUE },
	{ "-action", SYS_VALUE }, { "-add-fd", SYS_VALUE },
	{ "-append", SYS_VALUE }, { "-audio", SYS_VALUE },
	{ "-audiodev", SYS_VALUE }, { "-bios", SYS_VALUE }, { "-boot", SYS_VALUE },
	{ "-chardev", SYS_VALUE }, { "-chroot", SYS_VALUE },
	{ "-compat", SYS_VALUE }, { "-cpu", SYS_VALUE }, { "-d", SYS_VALUE },
	{ "-D", SYS_VALUE }, { "-debugcon", SYS_VALUE }, { "-dfilter", SYS_VALUE },
	{ "-display", SYS_VALUE }, { "-dtb", SYS_VALUE },
	{ "-dump-vmstate", SYS_VALUE }, { "-echr", SYS_VALUE },
	{ "-fsdev", SYS_VALUE }, { "-fw_cfg", SYS_VALUE }, { "-g", SYS_VALUE },
	{ "-gdb", SYS_VALUE }, { "-global", SYS_VALUE }, { "-icount", SYS_VALUE },
	{ "-incoming", SYS_VALUE }, { "-initrd", SYS_VALUE },
	{ "-iscsi", SYS_VALUE }, { "-k", SYS_VALUE }, { "-kernel", SYS_VALUE },
	{ "-L", SYS_VALUE }, { "-loadvm", SYS_VALUE }, { "-m", SYS_VALUE },
	{ "-M", SYS_VALUE }, { "-machine", SYS_VALUE },
	{ "-mem-path", SYS_VALUE }, { "-mon", SYS_VALUE },
	{ "-monitor", SYS_VALUE }, { "-msg", SYS_VALUE }, { "-net", SYS_VALUE },
	{ "-netdev", SYS_VALUE }, { "-nic", SYS_VALUE }, { "-numa", SYS_VALUE },
	{ "-object", SYS_VALUE }, { "-option-rom", SYS_VALUE },
	{ "-overcommit", SYS_VALUE }, { "-parallel", SYS_VALUE },
	{ "-pidfile", SYS_VALUE }, { "-plugin", SYS_VALUE },
	{ "-prom-env", SYS_VALUE }, { "-qmp", SYS_VALUE },
	{ "-qmp-pretty", SYS_VALUE }, { "-qtest", SYS_VALUE },
	{ "-qtest-log", SYS_VALUE }, { "-rotate", SYS_VALUE },
	{ "-rtc", SYS_VALUE }, { "-runas", SYS_VALUE }, { "-sandbox", SYS_VALUE },
	{ "-seed", SYS_VALUE }, { "-semihosting-config", SYS_VALUE },
	{ "-serial", SYS_VALUE }, { "-smbios", SYS_VALUE }, { "-smp", SYS_VALUE },
	{ "-spice", SYS_VALUE }, { "-tpmdev", SYS_VALUE }, { "-trace", SYS_VALUE },
	{ "-usbdevice", SYS_VALUE }, { "-uuid", SYS_VALUE }, { "-vga", SYS_VALUE },
	{ "-virtfs", SYS_VALUE }, { "-vnc", SYS_VALUE },
	{ "-watchdog-action", SYS_VALUE }, { "-xen-domid", SYS_VALUE },

	{ "-drive", SYS_DRIVE },
	{ "-hda", SYS_DISK }, { "-hdb", SYS_DISK }, { "-hdc", SYS_DISK },
	{ "-hdd", SYS_DISK }, { "-fda", SYS_DISK }, { "-fdb", SYS_DISK },
	{ "-mtdblock", SYS_DISK }, { "-sd", SYS_DISK }, { "-pflash", SYS_DISK },
	{ "-cdrom", SYS_CDROM },
	{ "-blockdev", SYS_BLOCKDEV },
	{ "-device", SYS_DEVICE },
	{ "-set", SYS_SET },
	{ "-snapshot", SYS_SNAPSHOT },
	{ "-name", SYS_NAME },
	{ "-readconfig", SYS_READCONFIG },
};

/* -foo and --foo alike, as QEMU's lookup_opt(). */
static const struct sys_option *find_sys_option(const char *arg)
{
	const char *name = arg + (arg[1] == '-' ? 1 : 0);

	for (size_t i = 0; i < sizeof sys_options / sizeof *sys_options; i++)
		if (!strcmp(sys_options[i].name, name))
			return &sys_options[i];
	return NULL;
}

static int unknown_sys_option(const char *arg, struct vl_error *e)
{
	size_t n = strcspn(arg, "=");
	char *name = xstrndup(arg, n);
	bool known = arg[n] == '=' && find_sys_option(name);
	int rc = known
		? vl_fail(e, EX_USAGE, "QEMU option \"%s\": QEMU takes the "
			  "value as the next argument (%s VALUE)", arg, name)
		: vl_fail(e, EX_USAGE, "unknown QEMU option \"%s\"", arg);

	free(name);
	return rc;
}

typedef int (*sys_visit)(void *ctx, const struct sys_option *o,
			 const char *value);

/* Calls visit for each option of a qemu-system command line, with its
 * value; a bare argument is an -hda. */
static int scan_sys_args(int argc, char *const argv[], sys_visit visit,
			 void *ctx, struct vl_error *e)
{
	static const struct sys_option bare_disk = { "-hda", SYS_DISK };

	for (int i = 1; i < argc; i++) {
		const struct sys_option *o = &bare_disk;
		const char *value = argv[i];
		int rc;

		if (argv[i][0] == '-') {
			o = find_sys_option(argv[i]);
			if (!o)
				return unknown_sys_option(argv[i], e);
			value = NULL;
			if (o->kind != SYS_FLAG && o->kind != SYS_SNAPSHOT &&
			    o->kind != SYS_NO_USER_CONFIG) {
				if (i + 1 >= argc)
					return vl_fail(e, EX_USAGE, "QEMU option "
						       "\"%s\" needs a value",
						       argv[i]);
				value = argv[++i];
			}
		}
		rc = visit(ctx, o, value);
		if (rc)
			return rc;
	}
	return 0;
}

static struct item *new_item(struct reader *r, enum item_kind kind,
			     const char *opt, const char *arg)
{
	if (r->nitems == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 8;
		r->items = xreallocarray(r->items, r->cap, sizeof *r->items);
	}
	r->items[r->nitems] = (struct item){
		.kind = kind, .opt = opt, .arg = arg,
	};
	return &r->items[r->nitems++];
}

/* -drive, -blockdev, -device: key=value or (but -drive) JSON. */
static int read_item(struct reader *r, enum item_kind kind, const char *opt,
		     const char *arg)
{
	struct item *it = new_item(r, kind, opt, arg);
	int rc;

	if (kind != ITEM_DRIVE && arg[0] == '{')
		rc = qemu_json_parse(arg, &it->kv, r->e);
	else
		rc = qemu_opts_parse(arg, kind == ITEM_DRIVE ? NULL : "driver",
				     &it->kv, r->e);
	return rc ? arg_fail(r->e, opt, arg, "%s", r->e->msg) : 0;
}

/* -hda FILE and its kin take the name literally, no comma escapes. */
static void read_legacy_disk(struct reader *r, const char *opt,
			     const char *file, bool cdrom)
{
	struct item *it = new_item(r, ITEM_DRIVE, opt, file);

	kv_set(&it->kv, "file", file);
	if (cdrom)
		kv_set(&it->kv, "media", "cdrom");
}

/* -set GROUP.ID.KEY=VALUE, for the -drive and -device groups. */
static int read_set(struct reader *r, const char *arg)
{
	const char *id = strchr(arg, '.');
	const char *key = id ? strchr(id + 1, '.') : NULL;
	const char *eq = key ? strchr(key + 1, '=') : NULL;
	enum item_kind kind;
	struct item *it;
	char *group, *name, *k;

	if (!eq)
		return arg_fail(r->e, "-set", arg, "expected GROUP.ID.KEY=VALUE");
	group = xstrndup(arg, (size_t)(id - arg));
	kind = !strcmp(group, "drive") ? ITEM_DRIVE : ITEM_DEVICE;
	if (kind == ITEM_DEVICE && strcmp(group, "device")) {
		free(group);
		return 0;	/* no disk in other groups */
	}
	name = xstrndup(id + 1, (size_t)(key - id - 1));
	it = find_item(r, kind, name);
	if (it) {
		k = xstrndup(key + 1, (size_t)(eq - key - 1));
		kv_set(&it->kv, k, eq + 1);
		free(k);
	}
	free(name);
	free(group);
	return it ? 0 : arg_fail(r->e, "-set", arg, "no -%s has that id",
				 kind == ITEM_DRIVE ? "drive" : "device");
}

/* A section of a QEMU config file: [drive "id"] and [device "id"] become
 * items like -drive and -device; other groups name no disk. */
static struct item *config_section(struct reader *r, const char *group,
				   const char *id, const char *file)
{
	enum item_kind kind = !strcmp(group, "drive") ? ITEM_DRIVE : ITEM_DEVICE;
	struct item *it;

	if (kind == ITEM_DEVICE && strcmp(group, "device"))
		return NULL;
	it = new_item(r, kind, "-readconfig", file);
	if (*id)
		kv_set(&it->kv, "id", id);
	return it;
}

/* -readconfig FILE, in QEMU's format: "[group]" or "[group "id"]"
 * lines, then key = "value" lines; '#' starts a comment line. */
static int read_config(struct reader *r, const char *file)
{
	char line[1200];
	struct item *it = NULL;
	char *path;
	FILE *f;
	int rc = 0;

	if (!strcmp(file, "-"))
		return arg_fail(r->e, "-readconfig", file, "vmlock cannot read "
				"QEMU's standard input; use a file");
	path = join_path(r->cwd, file);
	f = fopen(path, "re");
	free(path);
	if (!f)
		return vl_fail(r->e, vl_errno_code(errno), "-readconfig "
			       "\"%s\": %s", file, strerror(errno));
	for (unsigned n = 1; !rc && fgets(line, sizeof line, f); n++) {
		char group[64], id[64] = "", key[64], value[1024];

		if (line[0] == '\n' || line[0] == '#')
			continue;
		if (sscanf(line, "[%63s \"%63[^\"]\"]", group, id) == 2 ||
		    sscanf(line, "[%63[^]]]", group) == 1)
			it = config_section(r, group, id, file);
		else if (sscanf(line, " %63s = \"%1023[^\"]\"", key, value) != 2)
			rc = arg_fail(r->e, "-readconfig", file, "line %u: "
				      "parse error", n);
		else if (it && kv_add_unique(&it->kv, xstrdup(key),
					     xstrdup(value), r->e))
			rc = arg_fail(r->e, "-readconfig", file, "line %u: %s",
				      n, r->e->msg);
	}
	fclose(f);
	return rc;
}

static int visit_sys_option(void *ctx, const struct sys_option *o,
			    const char *value)
{
	struct reader *r = ctx;

	switch (o->kind) {
	case SYS_DRIVE:
		return read_item(r, ITEM_DRIVE, o->name, value);
	case SYS_BLOCKDEV:
		return read_item(r, ITEM_BLOCKDEV, o->name, value);
	case SYS_DEVICE:
		return read_item(r, ITEM_DEVICE, o->name, value);
	case SYS_DISK:
	case SYS_CDROM:
		read_legacy_disk(r, o->name, value, o->kind == SYS_CDROM);
		return 0;
	case SYS_SET:
		return read_set(r, value);
	case SYS_SNAPSHOT:
		r->snapshot = true;
		return 0;
	case SYS_READCONFIG:
		return read_config(r, value);
	default:
		return 0;
	}
}

static void free_items(struct reader *r)
{
	for (size_t i = 0; i < r->nitems; i++)
		qemu_kvlist_free(&r->items[i].kv);
	free(r->items);
}

static int visit_user_config(void *ctx, const struct sys_option *o,
			     const char *value)
{
	bool *user_config = ctx;

	(void)value;
	if (o->kind == SYS_NO_USER_CONFIG)
		*user_config = false;
	return 0;
}

static int read_system_args(int argc, char *const argv[], struct reader *r)
{
	bool user_config = true;
	int rc = scan_sys_args(argc, argv, visit_user_config, &user_config,
			       r->e);

	/* QEMU reads its default config file before the other options */
	if (!rc && user_config && access(QEMU_DEFAULT_CONFIG, F_OK) == 0)
		rc = read_config(r, QEMU_DEFAULT_CONFIG);
	if (!rc)
		rc = scan_sys_args(argc, argv, visit_sys_option, r, r->e);

	if (!rc)
		rc = resolve_items(r);
	free_items(r);
	return rc;
}

/* ---- -name ---------------------------------------------------------- */

static int visit_name(void *ctx, const struct sys_option *o,
		      const char *value)
{
	char **name = ctx;
	struct qemu_kvlist kv = {0};
	struct vl_error ignored;

	if (o->kind != SYS_NAME)
		return 0;
	free(*name);
	*name = NULL;
	if (!qemu_opts_parse(value, "guest", &kv, &ignored) &&
	    qemu_kv_get(&kv, "guest"))
		*name = xstrdup(qemu_kv_get(&kv, "guest"));
	qemu_kvlist_free(&kv);
	return 0;
}

char *qemu_vm_name(int argc, char *const argv[])
{
	char *name = NULL;
	struct vl_error ignored;

	/* the last -name wins, as in QEMU; a bad command line has none */
	if (scan_sys_args(argc, argv, visit_name, &name, &ignored)) {
		free(name);
		name = NULL;
	}
	return name;
}

static int visit_uuid(void *ctx, const struct sys_option *o,
		      const char *value)
{
	char **uuid = ctx;

	if (strcmp(o->name, "-uuid"))
		return 0;
	free(*uuid);
	*uuid = NULL;
	if (strlen(value) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? value[i] != '-' : !isxdigit((unsigned char)value[i]))
			return 0;
	}
	*uuid = xstrdup(value);
	for (char *p = *uuid; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

char *qemu_vm_uuid(int argc, char *const argv[])
{
	char *uuid = NULL;
	struct vl_error ignored;

	if (scan_sys_args(argc, argv, visit_uuid, &uuid, &ignored)) {
		free(uuid);
		uuid = NULL;
	}
	return uuid;
}

/* ---- qemu-img, qemu-io, qemu-nbd -------------------------------------- */

/* What an option of these tools means for locking. An operator who runs
 * a read-only command (qemu-img info, compare, map, check without -r,
 * qemu-io -r, qemu-nbd -r) expects to be refused while a guest writes the
 * image, so such images are locked readonly; -U (force-share) says "I
 * know it is in use", so those images are not locked at all. Commands
 * that write take exclusive locks. A file a command creates is locked only
 * when it exists already (it is about to be overwritten). */
enum tool_role {
	T_NONE,			/* changes nothing we lock */
	T_NO_IMAGE,		/* -h, -V, qemu-nbd -d/-L: no image opened */
	T_FORMAT,		/* -f */
	T_SECOND_FORMAT,	/* -F: backing, source or second image */
	T_OUT_FORMAT,		/* -O */
	T_FORCE_SHARE,		/* -U */
	T_READ_ONLY,		/* -r, -s (snapshot), -l (load snapshot) */
	T_WRITE,		/* check -r, bench -w, snapshot -a/-c/-d */
	T_IMAGE_OPTS,		/* --image-opts */
	T_TARGET_IMAGE_OPTS,	/* --target-image-opts */
	T_BACKING,		/* -b, convert -B */
	T_OPTIONS,		/* -o */
	T_UNSAFE,		/* -u: the backing file is not opened */
	T_NO_CREATE,		/* convert -n */
};

struct tool_option {
	const char *name;	/* long name, or NULL */
	char letter;		/* short option, or 0 */
	bool has_value;
	enum tool_role role;
};

struct tool_args {
	const char *format, *second_format, *out_format, *backing;
	struct qemu_kvlist options;
	bool no_image, force_share, read_only, write, image_opts,
	     target_image_opts, unsafe, no_create;
	const char **pos;
	size_t npos;
};


#define SHORT(l, v, role) { NULL, l, v, role }
#define LONG(n, l, v, role) { n, l, v, role }
#define COMMON_OPTIONS \
	LONG("help", 'h', false, T_NO_IMAGE), \
	LONG("object", 0, true, T_NONE), \
	LONG("image-opts", 0, false, T_IMAGE_OPTS)
#define FORCE_SHARE LONG("force-share", 'U', false, T_FORCE_SHARE)
#define FORMAT LONG("format", 'f', true, T_FORMAT)
#define QUIET SHORT('q', false, T_NONE)
#define END { NULL, 0, false, T_NONE }

static const struct tool_option img_amend_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, SHORT('o', true, T_NONE),
	SHORT('t', true, T_NONE), SHORT('p', false, T_NONE),
	LONG("force", 0, false, T_NONE), END,
};
static const struct tool_option img_bench_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE, SHORT('c', true, T_NONE),
	SHORT('d', true, T_NONE), SHORT('n', false, T_NONE),
	SHORT('i', true, T_NONE), SHORT('o', true, T_NONE),
	SHORT('s', true, T_NONE), SHORT('S', true, T_NONE),
	SHORT('t', true, T_NONE), SHORT('w', false, T_WRITE),
	LONG("flush-interval", 0, true, T_NONE),
	LONG("pattern", 0, true, T_NONE), LONG("no-drain", 0, false, T_NONE),
	END,
};
static const struct tool_option img_bitmap_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, SHORT('b', true, T_BACKING),
	SHORT('F', true, T_SECOND_FORMAT), SHORT('g', true, T_NONE),
	LONG("granularity", 0, true, T_NONE), LONG("add", 0, false, T_NONE),
	LONG("remove", 0, false, T_NONE), LONG("clear", 0, false, T_NONE),
	LONG("enable", 0, false, T_NONE), LONG("disable", 0, false, T_NONE),
	LONG("merge", 0, true, T_NONE), END,
};
static const struct tool_option img_check_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE,
	LONG("repair", 'r', true, T_WRITE), SHORT('T', true, T_NONE),
	LONG("output", 0, true, T_NONE), END,
};
static const struct tool_option img_commit_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, SHORT('t', true, T_NONE),
	SHORT('b', true, T_BACKING), SHORT('d', false, T_NONE),
	SHORT('p', false, T_NONE), SHORT('r', true, T_NONE), END,
};
static const struct tool_option img_compare_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE,
	SHORT('F', true, T_SECOND_FORMAT), SHORT('T', true, T_NONE),
	SHORT('p', false, T_NONE), SHORT('s', false, T_NONE), END,
};
static const struct tool_option img_convert_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE,
	SHORT('O', true, T_OUT_FORMAT), SHORT('B', true, T_BACKING),
	SHORT('F', true, T_SECOND_FORMAT), SHORT('C', false, T_NONE),
	SHORT('c', false, T_NONE), SHORT('o', true, T_OPTIONS),
	SHORT('l', true, T_NONE), SHORT('S', true, T_NONE),
	SHORT('p', false, T_NONE), SHORT('t', true, T_NONE),
	SHORT('T', true, T_NONE), SHORT('n', false, T_NO_CREATE),
	SHORT('m', true, T_NONE), SHORT('W', false, T_NONE),
	SHORT('r', true, T_NONE),
	LONG("target-image-opts", 0, false, T_TARGET_IMAGE_OPTS),
	LONG("salvage", 0, false, T_NONE),
	LONG("target-is-zero", 0, false, T_NONE),
	LONG("bitmaps", 0, false, T_NONE),
	LONG("skip-broken-bitmaps", 0, false, T_NONE), END,
};
static const struct tool_option img_create_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, SHORT('F', true, T_SECOND_FORMAT),
	SHORT('b', true, T_BACKING), SHORT('o', true, T_OPTIONS),
	SHORT('u', false, T_UNSAFE), END,
};
static const struct tool_option img_dd_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE, SHORT('O', true, T_OUT_FORMAT),
	END,
};
static const struct tool_option img_info_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE, LONG("output", 0, true, T_NONE),
	LONG("backing-chain", 0, false, T_NONE), END,
};
static const struct tool_option img_map_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE, LONG("output", 0, true, T_NONE),
	LONG("start-offset", 0, true, T_NONE),
	LONG("max-length", 0, true, T_NONE), END,
};
static const struct tool_option img_measure_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE, SHORT('O', true, T_NONE),
	SHORT('o', true, T_NONE), SHORT('l', true, T_NONE),
	LONG("output", 0, true, T_NONE), LONG("size", 0, true, T_NONE),
	LONG("target-image-opts", 0, false, T_NONE), END,
};
static const struct tool_option img_rebase_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE,
	SHORT('F', true, T_SECOND_FORMAT), SHORT('b', true, T_BACKING),
	SHORT('u', false, T_UNSAFE), SHORT('p', false, T_NONE),
	SHORT('t', true, T_NONE), SHORT('T', true, T_NONE), END,
};
static const struct tool_option img_resize_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, LONG("preallocation", 0, true, T_NONE),
	LONG("shrink", 0, false, T_NONE), END,
};
static const struct tool_option img_snapshot_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE, SHORT('l', false, T_NONE),
	SHORT('a', true, T_WRITE), SHORT('c', true, T_WRITE),
	SHORT('d', true, T_WRITE), END,
};
static const struct tool_option img_global_opts[] = {
	LONG("help", 'h', false, T_NO_IMAGE),
	LONG("version", 'V', false, T_NO_IMAGE),
	LONG("trace", 'T', true, T_NONE), END,
};
static const struct tool_option io_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE,
	LONG("version", 'V', false, T_NO_IMAGE),
	LONG("cmd", 'c', true, T_NONE), LONG("read-only", 'r', false, T_READ_ONLY),
	LONG("snapshot", 's', false, T_READ_ONLY),
	LONG("nocache", 'n', false, T_NONE), LONG("misalign", 'm', false, T_NONE),
	LONG("native-aio", 'k', false, T_NONE), LONG("aio", 'i', true, T_NONE),
	LONG("discard", 'd', true, T_NONE), LONG("cache", 't', true, T_NONE),
	LONG("trace", 'T', true, T_NONE), END,
};
static const struct tool_option nbd_opts[] = {
	COMMON_OPTIONS, FORMAT, LONG("force-share", 0, false, T_FORCE_SHARE),
	LONG("version", 'V', false, T_NO_IMAGE),
	LONG("bind", 'b', true, T_NONE), LONG("port", 'p', true, T_NONE),
	LONG("socket", 'k', true, T_NONE), LONG("offset", 'o', true, T_NONE),
	LONG("read-only", 'r', false, T_READ_ONLY),
	LONG("allocation-depth", 'A', false, T_NONE),
	LONG("bitmap", 'B', true, T_NONE),
	LONG("snapshot", 's', false, T_READ_ONLY),
	LONG("load-snapshot", 'l', true, T_READ_ONLY),
	LONG("nocache", 'n', false, T_NONE), LONG("cache", 0, true, T_NONE),
	LONG("aio", 0, true, T_NONE), LONG("discard", 0, true, T_NONE),
	LONG("detect-zeroes", 0, true, T_NONE),
	LONG("shared", 'e', true, T_NONE), LONG("persistent", 't', false, T_NONE),
	LONG("export-name", 'x', true, T_NONE),
	LONG("description", 'D', true, T_NONE),
	LONG("tls-creds", 0, true, T_NONE), LONG("tls-hostname", 0, true, T_NONE),
	LONG("tls-authz", 0, true, T_NONE), LONG("trace", 'T', true, T_NONE),
	LONG("fork", 0, false, T_NONE), LONG("pid-file", 0, true, T_NONE),
	LONG("connect", 'c', true, T_NONE),
	LONG("disconnect", 'd', false, T_NO_IMAGE),
	LONG("list", 'L', false, T_NO_IMAGE), LONG("verbose", 'v', false, T_NONE),
	END,
};

static int apply_tool_option(struct tool_args *t, const struct tool_option *o,
			     const char *value, struct vl_error *e)
{
	switch (o->role) {
	case T_NONE: break;
	case T_NO_IMAGE: t->no_image = true; break;
	case T_FORMAT: t->format = value; break;
	case T_SECOND_FORMAT: t->second_format = value; break;
	case T_OUT_FORMAT: t->out_format = value; break;
	case T_FORCE_SHARE: t->force_share = true; break;
	case T_READ_ONLY: t->read_only = true; break;
	case T_WRITE: t->write = true; break;
	case T_IMAGE_OPTS: t->image_opts = true; break;
	case T_TARGET_IMAGE_OPTS: t->target_image_opts = true; break;
	case T_BACKING: t->backing = value; break;
	case T_UNSAFE: t->unsafe = true; break;
	case T_NO_CREATE: t->no_create = true; break;
	case T_OPTIONS:
		if (qemu_opts_parse(value, NULL, &t->options, e))
			return arg_fail(e, "-o", value, "%s", e->msg);
		break;
	}
	return 0;
}

static const struct tool_option *find_long(const struct tool_option *opts,
					   const char *name, size_t len)
{
	const struct tool_option *found = NULL;
	int matches = 0;

	for (const struct tool_option *o = opts; o->name || o->letter; o++) {
		if (!o->name || strncmp(o->name, name, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		found = o;	/* getopt_long takes an unambiguous prefix */
		matches++;
	}
	return matches == 1 ? found : NULL;
}

static const struct tool_option *find_short(const struct tool_option *opts,
					    char letter)
{
	for (const struct tool_option *o = opts; o->name || o->letter; o++)
		if (o->letter == letter)
			return o;
	return NULL;
}

static int long_option(const char *tool, const struct tool_option *opts,
		       char *const argv[], int argc, int *i,
		       struct tool_args *t, struct vl_error *e)
{
	const char *arg = argv[*i], *name = arg + 2, *value = NULL;
	size_t len = strcspn(name, "=");
	const struct tool_option *o = find_long(opts, name, len);

	if (!o)
		return vl_fail(e, EX_USAGE, "%s: unknown option \"%s\"", tool,
			       arg);
	if (name[len] == '=') {
		if (!o->has_value)
			return vl_fail(e, EX_USAGE, "%s: option \"%s\" takes "
				       "no value", tool, arg);
		value = name + len + 1;
	} else if (o->has_value) {
		if (*i + 1 >= argc)
			return vl_fail(e, EX_USAGE, "%s: option \"%s\" needs "
				       "a value", tool, arg);
		value = argv[++*i];
	}
	return apply_tool_option(t, o, value, e);
}

static int short_options(const char *tool, const struct tool_option *opts,
			 char *const argv[], int argc, int *i,
			 struct tool_args *t, struct vl_error *e)
{
	const char *arg = argv[*i];

	for (const char *p = arg + 1; *p; p++) {
		const struct tool_option *o = find_short(opts, *p);
		const char *value = NULL;
		int rc;

		if (!o)
			return vl_fail(e, EX_USAGE, "%s: unknown option -%c "
				       "in \"%s\"", tool, *p, arg);
		if (o->has_value) {
			if (p[1])
				value = p + 1;
			else if (*i + 1 < argc)
				value = argv[++*i];
			else
				return vl_fail(e, EX_USAGE, "%s: option -%c "
					       "needs a value", tool, *p);
		}
		rc = apply_tool_option(t, o, value, e);
		if (rc || value)
			return rc;
	}
	return 0;
}

/* getopt_long as these tools call it: options and operands mixed, "--"
 * ends options; stop_at_operand for qemu-img's global options. Returns
 * the index of the first argument not read. */
static int read_tool_options(const char *tool, const struct tool_option *opts,
			     int argc, char *const argv[], bool stop_at_operand,
			     struct tool_args *t, int *next, struct vl_error *e)
{
	bool options_done = false;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc = 0;

		if (options_done || a[0] != '-' || !a[1]) {
			if (stop_at_operand)
				break;
			t->pos = xreallocarray(t->pos, t->npos + 1,
					       sizeof *t->pos);
			t->pos[t->npos++] = a;
		} else if (!strcmp(a, "--")) {
			options_done = true;
		} else if (a[1] == '-') {
			rc = long_option(tool, opts, argv, argc, &i, t, e);
		} else {
			rc = short_options(tool, opts, argv, argc, &i, t, e);
		}
		if (rc)
			return rc;
	}
	*next = i;
	return 0;
}

/* One image a tool opens: a file name, or with --image-opts an option
 * list like -drive's. */
static int tool_image(struct reader *r, const struct item *it,
		      const char *name, bool opts, const char *format,
		      enum vl_mode mode, bool chain)
{
	struct node_ctx c = {
		.it = it, .format = format, .mode = mode,
		.probe = !format, .chain = chain,
	};
	struct qemu_kvlist kv = {0};
	int rc;

	if (!opts)
		return add_filename(r, name, NULL, c);
	rc = qemu_opts_parse(name, NULL, &kv, r->e);
	if (rc)
		rc = arg_fail(r->e, it->opt, name, "%s", r->e->msg);
	else
		rc = walk_node(r, &kv, "", true, c);
	qemu_kvlist_free(&kv);
	return rc;
}

static int tool_read_image(struct reader *r, const struct item *it,
			   const struct tool_args *t, const char *name,
			   const char *format)
{
	if (t->force_share) {
		add_note(r->out, "not locked: %s (force-share)", name);
		return 0;
	}
	return tool_image(r, it, name, t->image_opts, format, VL_READONLY,
			  true);
}

/* A file the tool creates, or overwrites when it exists. */
static int tool_output(struct reader *r, const struct item *it,
		       const char *name, bool opts, const char *format,
		       bool keep)
{
	char *path = join_path(r->cwd, name);
	struct stat st;
	bool exists = opts || (!qemu_name_is_protocol(name) &&
			       !starts_with(name, "json:") &&
			       stat(path, &st) == 0);

	free(path);
	if (!exists)
		return 0;
	return tool_image(r, it, name, opts, format, VL_EXCLUSIVE, keep);
}

static int tool_fail_operands(struct reader *r, const struct item *it,
			      size_t want)
{
	return vl_fail(r->e, EX_USAGE, "%s: expected %zu file name%s", it->opt,
		       want, want == 1 ? "" : "s");
}

/* info, map, measure, check, compare, snapshot, bench, amend, resize:
 * every operand an image, the second one's format -F (compare). */
static int img_images(struct reader *r, const struct item *it,
		      struct tool_args *t, bool writes)
{
	for (size_t i = 0; i < t->npos; i++) {
		const char *fmt = i == 1 && t->second_format ? t->second_format
							    : t->format;
		int rc = writes || t->write
			 ? tool_image(r, it, t->pos[i], t->image_opts, fmt,
				      VL_EXCLUSIVE, true)
			 : tool_read_image(r, it, t, t->pos[i], fmt);
		if (rc)
			return rc;
	}
	return 0;
}

static int img_create(struct reader *r, const struct item *it,
		      struct tool_args *t)
{
	const char *backing = t->backing ? t->backing
			      : qemu_kv_get(&t->options, "backing_file");
	const char *backing_fmt = t->second_format ? t->second_format
				  : qemu_kv_get(&t->options, "backing_fmt");
	const char *data_file = qemu_kv_get(&t->options, "data_file");
	int rc;

	if (t->npos < 1 || t->npos > 2)
		return tool_fail_operands(r, it, 1);
	rc = tool_output(r, it, t->pos[0], false, t->format, false);
	if (!rc && data_file)
		rc = tool_output(r, it, data_file, false, "raw", false);
	if (!rc && backing && *backing && !t->unsafe) {
		char *name = image_path_beside(t->pos[0], backing);
		rc = tool_image(r, it, name, false, backing_fmt, VL_READONLY,
				true);
		free(name);
	}
	return rc;
}

static int img_convert(struct reader *r, const struct item *it,
		       struct tool_args *t)
{
	const char *out;
	int rc = 0;

	if (t->npos < 2)
		return tool_fail_operands(r, it, 2);
	out = t->pos[t->npos - 1];
	for (size_t i = 0; !rc && i + 1 < t->npos; i++)
		rc = tool_read_image(r, it, t, t->pos[i], t->format);
	if (!rc)
		rc = tool_output(r, it, out, t->target_image_opts,
				 t->out_format, t->no_create);
	if (!rc && t->backing && *t->backing) {
		char *name = image_path_beside(out, t->backing);
		rc = tool_image(r, it, name, false, t->second_format,
				VL_READONLY, true);
		free(name);
	}
	return rc;
}

/* commit writes its image's base: -b, or the image's backing file. */
static int img_commit(struct reader *r, const struct item *it,
		      struct tool_args *t)
{
	char *base = NULL;
	int rc;

	if (t->npos != 1)
		return tool_fail_operands(r, it, 1);
	rc = tool_image(r, it, t->pos[0], t->image_opts, t->format,
			VL_EXCLUSIVE, true);
	if (rc || t->image_opts)
		return rc;
	if (t->backing) {
		base = image_path_beside(t->pos[0], t->backing);
	} else if (!qemu_name_is_protocol(t->pos[0])) {
		char *path = join_path(r->cwd, t->pos[0]);
		rc = image_backing(path, t->format, &base, r->e);
		free(path);
	}
	if (!rc && base)
		rc = tool_image(r, it, base, false, NULL, VL_EXCLUSIVE, true);
	free(base);
	return rc;
}

static int img_rebase(struct reader *r, const struct item *it,
		      struct tool_args *t)
{
	int rc;

	if (t->npos != 1)
		return tool_fail_operands(r, it, 1);
	rc = tool_image(r, it, t->pos[0], t->image_opts, t->format,
			VL_EXCLUSIVE, true);
	if (!rc && t->backing && *t->backing && !t->unsafe &&
	    !t->image_opts) {
		char *name = image_path_beside(t->pos[0], t->backing);
		rc = tool_image(r, it, name, false, t->second_format,
				VL_READONLY, true);
		free(name);
	}
	return rc;
}

/* bitmap writes its image; -b names a source read for --merge. */
static int img_bitmap(struct reader *r, const struct item *it,
		      struct tool_args *t)
{
	int rc;

	if (t->npos != 2)
		return tool_fail_operands(r, it, 2);
	rc = tool_image(r, it, t->pos[0], t->image_opts, t->format,
			VL_EXCLUSIVE, true);
	if (!rc && t->backing)
		rc = tool_image(r, it, t->backing, false, t->second_format,
				VL_READONLY, true);
	return rc;
}

/* dd if=IN of=OUT */
static int img_dd(struct reader *r, const struct item *it,
		  struct tool_args *t)
{
	const char *in = NULL, *out = NULL;
	int rc = 0;

	for (size_t i = 0; i < t->npos; i++) {
		if (starts_with(t->pos[i], "if="))
			in = t->pos[i] + 3;
		else if (starts_with(t->pos[i], "of="))
			out = t->pos[i] + 3;
	}
	if (!in || !out)
		return vl_fail(r->e, EX_USAGE, "%s: expected if= and of=",
			       it->opt);
	rc = tool_read_image(r, it, t, in, t->format);
	if (!rc)
		rc = tool_output(r, it, out, false, t->out_format, false);
	return rc;
}

static int img_read_only(struct reader *r, const struct item *it,
			 struct tool_args *t)
{
	return img_images(r, it, t, false);
}

static int img_write(struct reader *r, const struct item *it,
		     struct tool_args *t)
{
	return img_images(r, it, t, true);
}

struct img_command {
	const char *name;
	const struct tool_option *options;
	int (*read)(struct reader *r, const struct item *it,
		    struct tool_args *t);
};

static const struct img_command img_commands[] = {
	{ "amend", img_amend_opts, img_write },
	{ "bench", img_bench_opts, img_read_only },
	{ "bitmap", img_bitmap_opts, img_bitmap },
	{ "check", img_check_opts, img_read_only },
	{ "commit", img_commit_opts, img_commit },
	{ "compare", img_compare_opts, img_read_only },
	{ "convert", img_convert_opts, img_convert },
	{ "create", img_create_opts, img_create },
	{ "dd", img_dd_opts, img_dd },
	{ "info", img_info_opts, img_read_only },
	{ "map", img_map_opts, img_read_only },
	{ "measure", img_measure_opts, img_read_only },
	{ "rebase", img_rebase_opts, img_rebase },
	{ "resize", img_resize_opts, img_write },
	{ "snapshot", img_snapshot_opts, img_read_only },
};

static void free_tool_args(struct tool_args *t)
{
	qemu_kvlist_free(&t->options);
	free(t->pos);
	*t = (struct tool_args){0};
}

static int read_img_args(int argc, char *const argv[], struct reader *r)
{
	struct tool_args t = {0};
	const struct img_command *cmd = NULL;
	struct item it = { .opt = "qemu-img" };
	int first, rc;

	rc = read_tool_options("qemu-img", img_global_opts, argc, argv, true,
			       &t, &first, r->e);
	if (rc || t.no_image)
		goto out;
	if (first >= argc) {
		rc = vl_fail(r->e, EX_USAGE, "qemu-img: no command given");
		goto out;
	}
	for (size_t i = 0; i < sizeof img_commands / sizeof *img_commands; i++)
		if (!strcmp(img_commands[i].name, argv[first]))
			cmd = &img_commands[i];
	if (!cmd) {
		rc = vl_fail(r->e, EX_USAGE, "unknown qemu-img command \"%s\"",
			     argv[first]);
		goto out;
	}
	it.opt = xasprintf("qemu-img %s", cmd->name);
	/* resize: the size may be "-1G"; qemu-img takes it off first */
	rc = read_tool_options(it.opt, cmd->options,
			       argc - first - !strcmp(cmd->name, "resize"),
			       argv + first, false, &t, &first, r->e);
	if (!rc && !t.no_image)
		rc = cmd->read(r, &it, &t);
	free((char *)it.opt);
out:
	free_tool_args(&t);
	return rc;
}

/* qemu-io and qemu-nbd: one image, readonly under -r/-s, else written. */
static int read_single_image_tool(const char *tool,
				  const struct tool_option *opts, int argc,
				  char *const argv[], struct reader *r)
{
	struct tool_args t = {0};
	struct item it = { .opt = tool };
	int next, rc;

	rc = read_tool_options(tool, opts, argc, argv, false, &t, &next, r->e);
	if (!rc && !t.no_image && t.npos > 1)
		rc = tool_fail_operands(r, &it, 1);
	if (!rc && !t.no_image && t.npos == 1)
		rc = t.read_only
		     ? tool_read_image(r, &it, &t, t.pos[0], t.format)
		     : tool_image(r, &it, t.pos[0], t.image_opts, t.format,
				  VL_EXCLUSIVE, true);
	free_tool_args(&t);
	return rc;
}

/* ---- entry points ----------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

bool qemu_command_is_qemu(const char *argv0)
{
	static const char *const prefixes[] = {
		"qemu-system-", "qemu-kvm", "qemu-img", "qemu-nbd", "qemu-io",
		NULL,
	};
	const char *name = base_name(argv0);

	for (const char *const *p = prefixes; *p; p++)
		if (starts_with(name, *p))
			return true;
	return false;
}

int qemu_read_args(int argc, char *const argv[], const char *cwd,
		   struct qemu_disks *out, struct vl_error *e)
{
	char here[PATH_MAX];
	struct reader r = { .cwd = cwd, .out = out, .e = e };
	const char *name = argc > 0 ? base_name(argv[0]) : "";

	if (!cwd) {
		if (!getcwd(here, sizeof here))
			return vl_fail(e, EX_OSERR, "cannot get the current "
				       "directory: %s", strerror(errno));
		r.cwd = here;
	}
	if (starts_with(name, "qemu-img"))
		return read_img_args(argc, argv, &r);
	if (starts_with(name, "qemu-io"))
		return read_single_image_tool("qemu-io", io_opts, argc, argv,
					      &r);
	if (starts_with(name, "qemu-nbd"))
		return read_single_image_tool("qemu-nbd", nbd_opts, argc, argv,
					      &r);
	return read_system_args(argc, argv, &r);
}

void qemu_disks_free(struct qemu_disks *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].format);
	}
	for (size_t i = 0; i < d->nnotes; i++)
		free(d->notes[i]);
	free(d->v);
	free(d->notes);
	*d = (struct qemu_disks){0};
}
