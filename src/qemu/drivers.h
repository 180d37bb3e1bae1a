/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* QEMU's block drivers as data: what kind of node each makes, which
 * children it opens under which keys, whether it reads a backing file.
 * Taken from QEMU 7.2 (block/ *.c: bdrv_open_child calls, is_format,
 * is_filter, supports_backing, bdrv_file_open). */
#ifndef VMLOCK_QEMU_DRIVERS_H
#define VMLOCK_QEMU_DRIVERS_H

#include <stdbool.h>

/* How a child is attached (QEMU's BdrvChildRole), which decides what it
 * inherits: read-only, and whether it is probed for a format. */
enum qemu_role {
	ROLE_DATA = 1, ROLE_METADATA = 2, ROLE_FILTERED = 4,
	ROLE_PRIMARY = 8, ROLE_COW = 16,
};
#define ROLE_IMAGE (ROLE_DATA | ROLE_METADATA | ROLE_PRIMARY)
#define ROLE_FILE (ROLE_FILTERED | ROLE_PRIMARY)

struct qemu_child {
	const char *key;	/* option key; "children" and "extents" are
				 * numbered: key.0, key.1, ... */
	unsigned role;
	const char *positional;	/* option whose value is the child's
				 * filename, or NULL */
};

enum qemu_driver_kind {
	DRV_LOCAL,		/* file, host_device, host_cdrom */
	DRV_REMOTE,		/* network and other non-file storage */
	DRV_NODE,		/* formats and filters: images of children */
};

/* The format whose header names more files. */
enum qemu_header { HDR_NONE, HDR_QCOW, HDR_QCOW2, HDR_QED, HDR_VMDK };

struct qemu_driver {
	const char *name;
	enum qemu_driver_kind kind;
	bool protocol;		/* opened as a protocol (bdrv_file_open) */
	bool format;		/* is_format: its children are not probed */
	bool backing;		/* supports_backing */
	bool passes_data;	/* presents its primary child's bytes as they
				 * are (filters), so a format above may read
				 * them */
	enum qemu_header header;
	const char *prefix_parser; /* "blkdebug", "blkverify": parses its
				    * own "name:...:image" file name */
	struct qemu_child children[3];
};

/* The driver of a driver= or format= name; NULL when QEMU has none. */
const struct qemu_driver *qemu_find_driver(const char *name);
/* The driver of a protocol prefix ("nbd" of "nbd:host:1"); NULL when
 * QEMU knows none. */
const struct qemu_driver *qemu_find_protocol(const char *prefix);

#endif
