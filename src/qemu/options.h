/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The options of qemu-system, as data: which take a value, and which of
 * those name disks. Taken from QEMU 7.2 (qemu-options.hx). */
#ifndef VMLOCK_QEMU_OPTIONS_H
#define VMLOCK_QEMU_OPTIONS_H

#define QEMU_OPTIONS_VERSION "7.2"

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

/* -foo and --foo alike, as QEMU's lookup_opt(); NULL when unknown. */
const struct sys_option *qemu_find_option(const char *arg);

#endif
