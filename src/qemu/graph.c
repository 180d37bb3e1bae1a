/* The block graph of a qemu-system command line: -drive, -blockdev and
 * -device items, walked node by node down to the files QEMU opens, each
 * with the mode it is opened in (vmlock(1), READING QEMU COMMAND LINES). */
#include "config.h"
#include "qemu/filename.h"
#include "qemu/graph.h"
#include "qemu/json.h"
#include "util/path.h"
#include "util/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deepest chain of -blockdev references and json: filenames followed;
 * QEMU's own graphs are far shallower. */
#define NODE_NEST_MAX 64

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

int qemu_arg_fail(struct vl_error *e, const char *opt, const char *arg,
		    const char *fmt, ...)
{
	char detail[sizeof e->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return vl_fail(e, EX_USAGE, "%s \"%s\": %s", opt, arg, detail);
}

void qemu_add_note(struct qemu_disks *d, const char *fmt, ...)
{
	va_list ap;
	char *note;

	va_start(ap, fmt);
	if (vasprintf(&note, fmt, ap) < 0)
		note = vl_strdup("skipped a disk");
	va_end(ap);
	*VL_PUSH(d->notes, d->nnotes, d->notes_cap) = note;
}

static void add_disk(struct qemu_disks *d, const char *cwd, const char *name,
		     const char *format, enum vl_mode mode, unsigned depth,
		     bool chain)
{
	*VL_PUSH(d->v, d->n, d->cap) = (struct qemu_disk){
		.path = vl_path_join(cwd, name),
		.mode = mode,
		.format = format ? vl_strdup(format) : NULL,
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
	char *full = vl_asprintf("%s%s", prefix, key);
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
	if (v && !vl_parse_bool(v, value))
		return qemu_arg_fail(r->e, c->it->opt, c->it->arg,
				"%s%s=%s is not on or off", prefix, key, v);
	return 0;
}

struct item *graph_find_item(struct reader *r, enum item_kind kind,
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

static int walk_json_name(struct reader *r, const char *json,
			  struct node_ctx c)
{
	struct qemu_kvlist kv = {0};
	int rc = qemu_json_parse(json, &kv, r->e);

	if (rc)
		rc = qemu_arg_fail(r->e, c.it->opt, c.it->arg, "json: filename: %s",
			      r->e->msg);
	else
		rc = graph_walk_node(r, &kv, "", false, c);
	qemu_kvlist_free(&kv);
	return rc;
}

/* A filename= or -drive file= value: a path, json:{...} or a protocol. */
int graph_add_filename(struct reader *r, const char *name,
			const char *driver, struct node_ctx c)
{
	bool local = vl_in_list(driver, local_drivers);
	const char *format = vl_in_list(driver, image_drivers) ? driver
			     : c.format ? c.format
			     : c.probe ? NULL : driver;

	if (!*name)
		return 0;	/* an empty drive, e.g. a CD-ROM with no disc */
	if (!local && vl_starts_with(name, "json:"))
		return walk_json_name(r, name + strlen("json:"), c);
	if ((!local && qemu_name_is_protocol(name)) ||
	    (driver && !local && !vl_in_list(driver, image_drivers))) {
		qemu_add_note(r->out, "skipped network disk %s: not a local file",
			 name);
		return 0;
	}
	if (vl_starts_with(name, "file:"))
		name += strlen("file:");
	add_disk(r->out, r->cwd, name, format, c.mode, c.depth, c.chain);
	return 0;
}

static int walk_reference(struct reader *r, const char *node_name,
			  struct node_ctx c)
{
	struct item *it = graph_find_item(r, ITEM_BLOCKDEV, node_name);

	if (!it)
		return qemu_arg_fail(r->e, c.it->opt, c.it->arg,
				"no -blockdev has node-name \"%s\"",
				node_name);
	c.it = it;
	/* QEMU passes read-only on to inline children only: a node named
	 * by reference keeps its own, read-write unless it says otherwise
	 * (and, under a shared parent, shared) */
	if (!c.backing && c.mode == VL_READONLY)
		c.mode = it->shared ? VL_SHARED : VL_EXCLUSIVE;
	return graph_walk_node(r, &it->kv, "", false, c);
}

/* prefix.name: a node reference, a nested node, or (-drive file=) a
 * filename. */
static int walk_child(struct reader *r, const struct qemu_kvlist *kv,
		      const char *prefix, const char *name, bool is_filename,
		      struct node_ctx c)
{
	char *key = vl_asprintf("%s%s", prefix, name);
	char *sub = vl_asprintf("%s.", key);
	struct qemu_kv *ref = qemu_kv_find(kv, key);
	int rc = 0;

	if (ref && ref->val && *ref->val)
		rc = is_filename ? graph_add_filename(r, ref->val, NULL, c)
				 : walk_reference(r, ref->val, c);
	else if (!ref && qemu_kv_has_prefix(kv, sub))
		rc = graph_walk_node(r, kv, sub, false, c);
	free(key);
	free(sub);
	return rc;
}

static int walk_children(struct reader *r, const struct qemu_kvlist *kv,
			 const char *prefix, bool drive_top,
			 const char *driver, struct node_ctx c)
{
	char *backing = vl_asprintf("%sbacking", prefix);
	char *backing_sub = vl_asprintf("%s.", backing);
	struct node_ctx file_c = c, backing_c = c, data_c = c;
	int rc = 0;

	if (driver && !vl_in_list(driver, local_drivers))
		file_c.format = driver;
	file_c.chain = c.chain && !qemu_kv_find(kv, backing) &&
		       !qemu_kv_has_prefix(kv, backing_sub);
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
		char *name = vl_asprintf("children.%u", i);
		char *key = vl_asprintf("%s%s", prefix, name);
		char *sub = vl_asprintf("%s.", key);
		bool present = qemu_kv_find(kv, key) || qemu_kv_has_prefix(kv, sub);

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

int graph_walk_node(struct reader *r, const struct qemu_kvlist *kv,
		     const char *prefix, bool drive_top, struct node_ctx c)
{
	const char *driver = node_get(kv, prefix, "driver");
	const char *filename = node_get(kv, prefix, "filename");
	bool read_only;
	int rc;

	if (drive_top && !driver)
		driver = qemu_kv_get(kv, "format");
	if (++r->nest > NODE_NEST_MAX) {
		rc = qemu_arg_fail(r->e, c.it->opt, c.it->arg,
			      "nodes nest too deeply (a reference loop?)");
		goto out;
	}
	rc = node_bool(r, &c, kv, prefix, "read-only", &read_only);
	if (rc)
		goto out;
	if (read_only)
		c.mode = read_only_mode(c.mode);
	if (filename)
		rc = graph_add_filename(r, filename, driver, c);
	else if (driver && !vl_in_list(driver, local_drivers) &&
		 !vl_in_list(driver, image_drivers))
		qemu_add_note(r->out, "skipped network disk (driver %s) in %s "
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

	if (vl_in_list(last ? last + 1 : key, child_names))
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
		target = graph_find_item(r, ITEM_DRIVE, drive);
		if (!target)
			target = graph_find_item(r, ITEM_BLOCKDEV, drive);
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
			child = graph_find_item(r, ITEM_BLOCKDEV, kv->v[k].val);
			if (child)
				child->referenced = true;
		}
	}
}

int graph_resolve(struct reader *r)
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
				rc = graph_walk_node(r, &it->kv, "", true, c);
		} else if (it->kind == ITEM_BLOCKDEV && !it->referenced) {
			c.mode = it->shared ? VL_SHARED : VL_EXCLUSIVE;
			rc = graph_walk_node(r, &it->kv, "", false, c);
		}
	}
	return rc;
}

struct item *graph_new_item(struct reader *r, enum item_kind kind,
			     const char *opt, const char *arg)
{
	struct item *it = VL_PUSH(r->items, r->nitems, r->cap);

	*it = (struct item){ .kind = kind, .opt = opt, .arg = arg };
	return it;
}
