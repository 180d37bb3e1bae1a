/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The lockspace driver: every resource through a lease file in a
 * directory that all hosts share (block devices, storage without POSIX
 * locks, named leases). */
#include <vmlock/fdlock.h>

static const struct fdlock_ops ops = {
	lockspace_open_resource, lockspace_check_resource
};

static int lockspace_acquire(struct vl_reslist *l,
			     const struct vl_acquire_opts *o, struct vl_error *e)
{
	return fdlock_acquire(l, o, &ops, e);
}

VL_DRIVER_DEFINE(lockspace) = {
	.abi = VL_DRIVER_ABI,
	.name = "lockspace",
	.init = fdlock_init,
	.acquire = lockspace_acquire,
	.release = fdlock_release,
	.prepare_exec = fdlock_prepare_exec,
	.inquire = lockspace_inquire,
	.inquire_all = fdlock_inquire_all,
	.prune = lockspace_prune,
	.handover = fdlock_handover,
};
