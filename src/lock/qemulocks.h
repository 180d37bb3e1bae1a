/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* QEMU's own image locks (its file-posix driver): an OFD read lock on
 * byte 100 + n for each permission QEMU holds on an image and on byte
 * 200 + n for each it refuses to share, n being 0 consistent read, 1
 * write, 2 write unchanged, 3 resize (4: graph change, before QEMU 6.2).
 * vmlock never takes these bytes (vmlock(1), LOCK BYTES); it reads them
 * to see the QEMU processes it did not start, and what they do. */
#ifndef VMLOCK_LOCK_QEMULOCKS_H
#define VMLOCK_LOCK_QEMULOCKS_H

#include "lock/lockproto.h"

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#define QL_HELD		((off_t)100)	/* + n: permission n held */
#define QL_REFUSED	((off_t)200)	/* + n: permission n refused */
#define QL_PERMS	5
#define QL_WRITE	1		/* the permission to write */

/* What QEMU's locks on a file say, of one holder or of several. */
struct ql_use {
	bool locked;		/* some of QEMU's bytes */
	bool writes;		/* byte 101: QEMU may write */
	bool excludes;		/* byte 201: QEMU lets no one else write */
};

/* Adds what a lock over [start, end] says to u; false when the lock
 * lies outside QEMU's bytes. */
bool ql_add_lock(struct ql_use *u, off_t start, off_t end);
/* Adds what u says to into: of several holders, or several fds. */
void ql_add_use(struct ql_use *into, const struct ql_use *u);
/* The locks of one open file description, from its fdinfo text. */
struct ql_use ql_from_fdinfo(const char *fdinfo);
/* The mode u stands for: exclusive when QEMU writes and lets no one
 * else write, shared when it writes and shares writing, readonly when
 * it does not write. False when u holds nothing. */
bool ql_mode(const struct ql_use *u, enum vl_mode *mode);

/* QEMU's locks that other open file descriptions hold on fd's file (of
 * any process, of any host), as F_OFD_GETLK sees them. */
struct ql_use ql_probe(int fd);
/* Do QEMU's own locks, held through other open file descriptions, stand
 * in the way of mode on fd's file? 0, or EAGAIN with c filled (role
 * qemu, the mode they stand for). */
int ql_check(int fd, enum vl_mode mode, struct lp_conflict *c);

/* Before a holder (pid, mode, role) is added to h: false when it is
 * merged into an entry of the same process instead. A process with a
 * vmlock lock on the file is shown by it alone (a QEMU started under
 * vmlock is a holder, not also a qemu), and one with QEMU's locks on
 * several fds of the file once, in the strongest mode. */
bool ql_merge_holder(struct vl_holders *h, long pid, enum vl_mode mode,
		     enum vl_role role);
/* Adds to out a qemu holder with no pid for QEMU's locks on the file
 * (seen through fd, or in /proc/locks when fd is -1) that the processes
 * already seen do not explain (seen: the union of their QEMU locks):
 * another user's (local), or another host's (remote). */
void ql_add_unseen(int fd, const struct stat *st, const struct ql_use *seen,
		   struct vl_holders *out);

#endif
