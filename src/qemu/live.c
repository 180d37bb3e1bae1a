/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The reader for a running QEMU's monitor: blockdev-add options, -drive
 * options (HMP drive_add), an image by name (a new medium, a job's
 * target). Nodes they name by node-name are the running QEMU's. */
#include "config.h"
#include "qemu/graph.h"
#include "util/util.h"

#include <string.h>

const struct qemu_live_node *qemu_live_find(const struct qemu_live *l,
					    const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].name && !strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static int resolve(struct reader *r)
{
	int rc = graph_resolve(r);

	graph_free(r);
	return rc;
}

static struct reader live_reader(const struct qemu_live *l,
				 struct qemu_disks *out, struct vl_error *e)
{
	return (struct reader){ .cwd = l->cwd, .live = l, .out = out, .e = e,
				.headers = true };
}

int qemu_read_blockdev(const struct qemu_live *l, const struct qemu_kvlist *kv,
		       struct qemu_disks *out, struct vl_error *e)
{
	struct reader r = live_reader(l, out, e);
	struct item *it = graph_new_item(&r, ITEM_BLOCKDEV, "blockdev-add", "");

	for (size_t i = 0; i < kv->n; i++)
		qemu_kv_append(&it->kv, vl_strdup(kv->v[i].key),
			       kv->v[i].val ? vl_strdup(kv->v[i].val) : NULL);
	return resolve(&r);
}

int qemu_read_drive(const struct qemu_live *l, const char *opts,
		    struct qemu_disks *out, struct vl_error *e)
{
	struct reader r = live_reader(l, out, e);
	int rc = qemu_read_item(&r, ITEM_DRIVE, "drive_add", opts);

	if (rc)
		graph_free(&r);
	return rc ? rc : resolve(&r);
}

int qemu_read_image(const struct qemu_live *l, const char *file,
		    const char *format, bool read_only,
		    struct qemu_disks *out, struct vl_error *e)
{
	struct reader r = live_reader(l, out, e);
	struct item *it = graph_new_item(&r, ITEM_DRIVE, "image", file);

	qemu_kv_set(&it->kv, "file", file);
	if (format)
		qemu_kv_set(&it->kv, "format", format);
	qemu_kv_set(&it->kv, "readonly", read_only ? "on" : "off");
	return resolve(&r);
}
