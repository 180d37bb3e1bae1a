/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* File names as QEMU's block layer reads them: protocol prefixes and
 * names relative to an image. */
#ifndef VMLOCK_QEMU_FILENAME_H
#define VMLOCK_QEMU_FILENAME_H

#include <stdbool.h>

/* True when name has a protocol prefix (a ':' before any '/') other than
 * "file:"; QEMU never opens such a name as a local path. */
bool qemu_name_is_protocol(const char *name);

/* name relative to the directory of image as written, lexically, as QEMU
 * resolves backing file names; absolute names, protocols and json: names
 * are returned as they are. Newly allocated. */
char *qemu_name_beside(const char *image, const char *name);


#endif
