/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* QEMU 7.2's block drivers (see drivers.h). */
#include "config.h"
#include "qemu/drivers.h"

#include <string.h>

#define LOCAL(n) { n, DRV_LOCAL, true, false, false, false, HDR_NONE, NULL, {{0}} }
#define REMOTE(n) { n, DRV_REMOTE, true, false, false, false, HDR_NONE, NULL, {{0}} }
#define FILE_CHILD { "file", ROLE_FILE, NULL }
#define FORMAT_FILE { "file", ROLE_IMAGE, NULL }
#define FILTER(n) { n, DRV_NODE, false, false, false, true, HDR_NONE, NULL, \
	{ FILE_CHILD } }
#define FORMAT(n, back, hdr) { n, DRV_NODE, false, true, back, false, hdr, \
	NULL, { FORMAT_FILE } }

static const struct qemu_driver drivers[] = {
	LOCAL("file"), LOCAL("host_device"), LOCAL("host_cdrom"),
	REMOTE("nbd"), REMOTE("nfs"), REMOTE("iscsi"), REMOTE("iser"),
	REMOTE("rbd"), REMOTE("gluster"), REMOTE("ssh"), REMOTE("http"),
	REMOTE("https"), REMOTE("ftp"), REMOTE("ftps"), REMOTE("null-co"),
	REMOTE("null-aio"), REMOTE("nvme"), REMOTE("vvfat"),
	REMOTE("io_uring"), REMOTE("nvme-io_uring"),
	REMOTE("virtio-blk-vhost-user"), REMOTE("virtio-blk-vhost-vdpa"),
	REMOTE("virtio-blk-vfio-pci"),
	{ "blkdebug", DRV_NODE, true, false, false, true, HDR_NONE,
	  "blkdebug", { { "image", ROLE_FILE, "x-image" } } },
	{ "blkverify", DRV_NODE, true, false, false, true, HDR_NONE,
	  "blkverify", { { "raw", ROLE_FILE, "x-raw" },
			 { "test", ROLE_DATA, "x-image" } } },
	{ "blklogwrites", DRV_NODE, false, false, false, true, HDR_NONE, NULL,
	  { FILE_CHILD, { "log", ROLE_METADATA, NULL } } },
	{ "blkreplay", DRV_NODE, false, false, false, true, HDR_NONE, NULL,
	  { { "image", ROLE_FILE, NULL } } },
	{ "copy-before-write", DRV_NODE, false, false, false, true, HDR_NONE,
	  NULL, { FILE_CHILD, { "target", ROLE_DATA, NULL } } },
	FILTER("copy-on-read"), FILTER("compress"), FILTER("preallocate"),
	FILTER("throttle"), FILTER("replication"), FILTER("snapshot-access"),
	{ "quorum", DRV_NODE, false, false, false, false, HDR_NONE, NULL,
	  { { "children", ROLE_DATA, NULL } } },
	/* raw's offset= makes its bytes no longer the file's: see node.c */
	{ "raw", DRV_NODE, false, true, false, true, HDR_NONE, NULL,
	  { { "file", ROLE_DATA | ROLE_PRIMARY, NULL } } },
	FORMAT("qcow2", true, HDR_QCOW2), FORMAT("qcow", true, HDR_QCOW),
	FORMAT("qed", true, HDR_QED), FORMAT("parallels", true, HDR_NONE),
	{ "vmdk", DRV_NODE, false, true, true, false, HDR_VMDK, NULL,
	  { FORMAT_FILE } },
	FORMAT("vdi", false, HDR_NONE), FORMAT("vhdx", false, HDR_NONE),
	FORMAT("vpc", false, HDR_NONE), FORMAT("bochs", false, HDR_NONE),
	FORMAT("cloop", false, HDR_NONE), FORMAT("dmg", false, HDR_NONE),
	FORMAT("luks", false, HDR_NONE),
};

/* Protocol prefixes that name a driver of another name. */
static const struct { const char *prefix, *driver; } prefixes[] = {
	{ "nbd+tcp", "nbd" }, { "nbd+unix", "nbd" },
	{ "gluster+tcp", "gluster" }, { "gluster+unix", "gluster" },
	{ "gluster+rdma", "gluster" }, { "fat", "vvfat" },
};

const struct qemu_driver *qemu_find_driver(const char *name)
{
	for (size_t i = 0; name && i < sizeof drivers / sizeof *drivers; i++)
		if (!strcmp(drivers[i].name, name))
			return &drivers[i];
	return NULL;
}

const struct qemu_driver *qemu_find_protocol(const char *prefix)
{
	const struct qemu_driver *d = qemu_find_driver(prefix);

	for (size_t i = 0; !d && i < sizeof prefixes / sizeof *prefixes; i++)
		if (!strcmp(prefixes[i].prefix, prefix))
			d = qemu_find_driver(prefixes[i].driver);
	return d && d->protocol ? d : NULL;
}
