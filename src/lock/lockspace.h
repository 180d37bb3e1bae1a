/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The lockspace directory: lease files named by a hash of a stable key,
 * one per user of a resource, carrying the same lock bytes as an image
 * would. For block devices seen by several hosts, storage without POSIX
 * locks, and named leases. What modules may use is in <vmlock/fdlock.h>. */
#ifndef VMLOCK_LOCK_LOCKSPACE_H
#define VMLOCK_LOCK_LOCKSPACE_H

#include <vmlock/fdlock.h>

#define LOCKSPACE_DEFAULT "/run/vmlock/lockspace"

/* dir NULL: the default. file_mode: of new lease files, 0644 (0) or
 * 0640 or 0600. */
void lockspace_configure(const char *dir, mode_t file_mode);
const char *lockspace_dir(void);

/* How a file open on fd, known by path, is shown: for a lease file of
 * the lockspace what it stands for (an image path, "lease:NAME", ...),
 * else path. Newly allocated. */
char *lockspace_display_name(int fd, const char *path);
/* Is path a lease file of the lockspace? */
bool lockspace_contains(const char *path);

#endif
