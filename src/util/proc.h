/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Small files of /proc and /sys, read in one go. */
#ifndef VMLOCK_UTIL_PROC_H
#define VMLOCK_UTIL_PROC_H

#include <vmlock/util.h>

#include <stddef.h>

/* The whole of name (relative to dirfd, or AT_FDCWD), up to 8 KiB,
 * NUL-terminated, its length in *len when len is not NULL; NULL when it
 * cannot be read. Newly allocated. */
char *vl_read_small(int dirfd, const char *name, size_t *len);
/* vl_read_line(), its first line, is in <vmlock/util.h>. */

#endif
