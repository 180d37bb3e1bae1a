/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The QEMU reader: from a command line (qemu-system-*, qemu-img,
 * qemu-io, qemu-nbd) to the disks QEMU will open, each with the mode it
 * needs (vmlock(1), READING QEMU COMMAND LINES). It reads files (image
 * headers, -readconfig) but locks nothing, never prints nor exits. */
#ifndef VMLOCK_QEMU_QEMU_H
#define VMLOCK_QEMU_QEMU_H

#include "qemu/kv.h"

#include <vmlock/resource.h>

struct qemu_disk {
	char *path;		/* absolute: joined lexically to the cwd */
	enum vl_mode mode;
	unsigned depth;		/* 0, or n for a backing image n levels below
				 * a node of the command line */
};

struct qemu_disks {
	struct qemu_disk *v;
	size_t n, cap;
	char **notes;		/* disks skipped, e.g. network URIs */
	size_t nnotes, notes_cap;
};

/* True when argv0's basename names a QEMU program (qemu-system-*, ...). */
bool qemu_command_is_qemu(const char *argv0);

/* Reads argv (argv[0] is the QEMU binary): every file QEMU opens at
 * start. chains: read image headers for the files they name (backing
 * chains, data files, extents); false: only what the command line names.
 * Returns 0, or an exit code with e set (64: an argument it cannot
 * understand, or whose effect it cannot tell; 65: a corrupt image
 * header, a loop; 66: an image missing). cwd: directory that relative
 * paths are joined to (NULL: the current one). */
int qemu_read_args(int argc, char *const argv[], const char *cwd, bool chains,
		   struct qemu_disks *out, struct vl_error *e);
void qemu_disks_free(struct qemu_disks *d);

/* The guest name of a QEMU command line (-name NAME or -name guest=NAME),
 * newly allocated, or NULL. */
char *qemu_vm_name(int argc, char *const argv[]);
/* The -uuid of a QEMU command line, lower case, or NULL. */
char *qemu_vm_uuid(int argc, char *const argv[]);
/* The unix socket of a QEMU command line's QMP monitor, as written
 * (relative to QEMU's directory, maybe): the first -qmp unix:PATH,
 * server=on, else the first -chardev socket,path=PATH,server=on that a
 * -mon ...,mode=control uses; newly allocated, or NULL (no such monitor,
 * or a monitor on an inherited fd= or over TCP). */
char *qemu_qmp_socket(int argc, char *const argv[]);

/* A block node of a running QEMU (QMP query-named-block-nodes). */
struct qemu_live_node {
	const char *name;	/* its node-name */
	const char *file;	/* its file name: absolute, or NULL when none
				 * is a local file */
	bool protocol;		/* it presents that file as it is (file,
				 * host_device, host_cdrom) */
};

/* What a running QEMU has: the nodes that new options may name. */
struct qemu_live {
	const char *cwd;	/* QEMU's directory */
	const struct qemu_live_node *v;
	size_t n;
	bool inherit;		/* a reopen: nodes named are reopened with
				 * their parent's read-write */
};

const struct qemu_live_node *qemu_live_find(const struct qemu_live *l,
					    const char *name);
/* The files a QMP blockdev-add with options kv (its "arguments",
 * flattened) opens, as -blockdev with the same JSON would, nodes named
 * being l's. 0 or qemu_read_args's codes. */
int qemu_read_blockdev(const struct qemu_live *l, const struct qemu_kvlist *kv,
		       struct qemu_disks *out, struct vl_error *e);
/* The files a -drive option string opens (HMP drive_add), or the image
 * named with format (NULL: probed) read-only or not (a medium, a job's
 * target): the same reader. */
int qemu_read_drive(const struct qemu_live *l, const char *opts,
		    struct qemu_disks *out, struct vl_error *e);
/* Does QEMU (its command line argv) open the medium of its empty drive
 * name (a -drive id, or a -device id) read-only, as blockdev-change-
 * medium's read-only-mode retain does? 1 yes, 0 no, -1 cannot tell (a
 * drive added later). */
int qemu_medium_read_only(int argc, char *const argv[], const char *name);
int qemu_read_image(const struct qemu_live *l, const char *file,
		    const char *format, bool read_only,
		    struct qemu_disks *out, struct vl_error *e);

#endif
