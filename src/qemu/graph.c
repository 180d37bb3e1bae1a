/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The block graph of a qemu-system command line: -drive, -blockdev and
 * -device items; which nodes QEMU opens at start, from which options
 * (node.c opens each). */
#include "config.h"
#include "qemu/graph.h"
#include "util/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int item_bool(struct reader *r, const struct item *it,
		     const char *key, bool *value)
{
	const char *v = qemu_kv_get(&it->kv, key);

	if (v && !vl_parse_bool(v, value))
		return qemu_arg_fail(r->e, it->opt, it->arg,
				     "%s=%s is not on or off", key, v);
	return 0;
}

/* -device drive=ID,share-rw=on marks the drive or node shared. */
static int mark_shared(struct reader *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		struct item *dev = &r->items[i], *target;
		const char *drive = qemu_kv_get(&dev->kv, "drive");
		bool share = false;
		int rc;

		if (dev->kind != ITEM_DEVICE || !drive)
			continue;
		rc = item_bool(r, dev, "share-rw", &share);
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

/* Keys naming a child node, of every driver (drivers.c), and the
 * numbered ones: children.N (quorum), extents.N (vmdk). */
static const char *const child_names[] = {
	"file", "backing", "data-file", "image", "test", "raw", "log",
	"target", NULL,
};
static const char *const numbered_children[] = { "children", "extents", NULL };

/* A key naming a child node: "file", "x.backing", "children.N", ... */
static bool is_child_key(const char *key)
{
	const char *last = strrchr(key, '.');
	char *parent;
	bool numbered;

	if (vl_in_list(last ? last + 1 : key, child_names))
		return true;
	if (!last || strspn(last + 1, "0123456789") != strlen(last + 1))
		return false;
	parent = vl_strndup(key, (size_t)(last - key));
	last = strrchr(parent, '.');
	numbered = vl_in_list(last ? last + 1 : parent, numbered_children);
	free(parent);
	return numbered;
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

/* The options a -drive keeps for itself (blockdev.c's legacy options):
 * they name no node. */
static const char *const drive_own[] = {
	"bus", "unit", "if", "index", "cyls", "heads", "secs", "trans",
	"media", "snapshot", "addr", "boot", "serial", "copy-on-read",
	"werror", "rerror", "readonly", "read-only", "file", "format", "id",
	"aio", "cache", "discard", "detect-zeroes", "node-name", NULL,
};

/* A -drive with no file and no block options is an empty drive. */
static bool empty_drive(const struct item *it, const char *file)
{
	if (file)
		return false;
	for (size_t i = 0; i < it->kv.n; i++)
		if (!vl_in_list(it->kv.v[i].key, drive_own) ||
		    !strcmp(it->kv.v[i].key, "format"))
			return false;
	return true;
}

/* A -drive's top node: file= is its positional name, format= its driver;
 * read-only from readonly=, read-only= or media=cdrom, final; snapshot
 * from snapshot= or -snapshot; auto-read-only on, as blockdev.c sets. */
static int open_drive(struct reader *r, const struct item *it)
{
	const char *file = qemu_kv_get(&it->kv, "file");
	const char *media = qemu_kv_get(&it->kv, "media");
	bool ro = false, read_only = false, snapshot = r->snapshot;
	struct node_in in = {
		.it = it, .positional = file && *file ? file : NULL,
		.driver = qemu_kv_get(&it->kv, "format"), .fixed_ro = true,
		.auto_ro = true, .shared = it->shared, .headers = r->headers,
	};
	struct node_out out;
	int rc = item_bool(r, it, "readonly", &ro);

	if (!rc)
		rc = item_bool(r, it, "read-only", &read_only);
	if (!rc)
		rc = item_bool(r, it, "snapshot", &snapshot);
	if (!rc && in.driver && qemu_kv_get(&it->kv, "driver"))
		rc = qemu_arg_fail(r->e, it->opt, it->arg, "both driver= and "
				   "format=");
	if (rc || empty_drive(it, in.positional))
		return rc;
	in.read_only = ro || read_only || (media && !strcmp(media, "cdrom"));
	in.snapshot = snapshot;
	/* file= is the top node's file name, not a reference to a node */
	struct qemu_kvlist node = {0};
	for (size_t i = 0; i < it->kv.n; i++)
		if (strcmp(it->kv.v[i].key, "file") &&
		    strcmp(it->kv.v[i].key, "format"))
			qemu_kv_append(&node, vl_strdup(it->kv.v[i].key),
				       it->kv.v[i].val ? vl_strdup(it->kv.v[i].val)
						       : NULL);
	rc = graph_open_node(r, &node, "", &in, &out);
	graph_free_out(&out);
	qemu_kvlist_free(&node);
	return rc;
}

/* A -blockdev, as a node of its own (references reach the same). */
static int open_blockdev(struct reader *r, struct item *it)
{
	struct node_in parent = { .it = it, .headers = r->headers };
	struct node_out out;
	const char *name = qemu_kv_get(&it->kv, "node-name");
	int rc;

	if (!name)
		return qemu_arg_fail(r->e, it->opt, it->arg, "'node-name' must "
				     "be specified for the root node");
	rc = graph_open_reference(r, &parent, name, &out);
	graph_free_out(&out);
	return rc;
}

int graph_resolve(struct reader *r)
{
	int rc = mark_shared(r);

	mark_referenced(r);
	/* roots first, so that a node referenced as a backing file counts
	 * as one (run --no-backing) */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; !rc && i < r->nitems; i++) {
			struct item *it = &r->items[i];

			if (it->kind == ITEM_DRIVE && !pass)
				rc = open_drive(r, it);
			else if (it->kind == ITEM_BLOCKDEV &&
				 it->referenced == pass &&
				 !it->opened[0] && !it->opened[1])
				rc = open_blockdev(r, it);
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

void graph_free(struct reader *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		qemu_kvlist_free(&r->items[i].kv);
		graph_free_out(&r->items[i].presents);
	}
	free(r->items);
	free(r->chain);
}
