/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Reading image headers from files (vmlock(1), READING QEMU COMMAND
 * LINES): what the QEMU reader needs to follow backing chains. */
#ifndef VMLOCK_IMAGE_IMAGE_H
#define VMLOCK_IMAGE_IMAGE_H

#include "image/header.h"

#include <sys/stat.h>

/* Deepest backing chain followed; deeper is exit 65. */
#define IMAGE_CHAIN_MAX 1024

/* Reads and parses the header of the image at path (a regular file or
 * block device), in format (NULL: probed); st its identity. what names
 * it in messages ("X", or "X (backing file of Y)"). Returns 0, or an exit
 * code with e set (65: corrupt header; 66: missing, not a file). */
int image_read(const char *path, const char *what, const char *format,
	       struct stat *st, struct image_header *h, struct vl_error *e);

#endif
