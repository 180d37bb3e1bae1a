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

	qemu_kv_copy_below(kv, "", &it->kv);
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

static bool item_on(const struct item *it, const char *key)
{
	const char *v = qemu_kv_get(&it->kv, key);
	bool on = false;

	return v && vl_parse_bool(v, &on) && on;
}

/* QEMU's blk_new_open() for a -drive: read-only=on, readonly=on and
 * media=cdrom open read-only; a -device without a drive makes its own,
 * read-only for a CD. */
static int item_read_only(struct reader *r, const struct item *it)
{
	const char *media = qemu_kv_get(&it->kv, "media");
	const char *drive = qemu_kv_get(&it->kv, "drive");
	const char *driver = qemu_kv_get(&it->kv, "driver");

	if (it->kind == ITEM_DRIVE)
		return item_on(it, "readonly") || item_on(it, "read-only") ||
		       (media && !strcmp(media, "cdrom"));
	if (drive) {
		const struct item *d = graph_find_item(r, ITEM_DRIVE, drive);
		return d ? item_read_only(r, d) : -1;
	}
	return driver && strstr(driver, "-cd") ? 1 : -1;
}

int qemu_medium_read_only(int argc, char *const argv[], const char *name)
{
	struct qemu_disks d = {0};
	struct vl_error ignored;
	struct reader r = { .cwd = "/", .out = &d, .e = &ignored };
	int ro = -1;

	if (!qemu_read_system_items(argc, argv, &r)) {
		const struct item *it = graph_find_item(&r, ITEM_DRIVE, name);
		if (!it)
			it = graph_find_item(&r, ITEM_DEVICE, name);
		ro = it ? item_read_only(&r, it) : -1;
	}
	graph_free(&r);
	qemu_disks_free(&d);
	return ro;
}
