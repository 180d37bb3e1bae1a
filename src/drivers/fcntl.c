/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The fcntl driver (the default): OFD locks on the image itself
 * (vmlock(1), LOCK BYTES); named leases in the lockspace directory. Built
 * on the installed module interface alone. */
#include <vmlock/fdlock.h>


static int open_one(struct vl_resource *r, struct vl_error *e)
{
	return r->kind == VL_LEASE ? lockspace_open_resource(r, e)
				   : fdlock_open_image(r, e);
}

static enum fdlock_verdict check_one(const struct vl_resource *r,
				     struct stat *rival, int *rival_fd)
{
	return r->kind == VL_FILE ? FDLOCK_HELD
				  : lockspace_check_resource(r, rival, rival_fd);
}

static const struct fdlock_ops ops = { open_one, check_one };

static int fcntl_acquire(struct vl_reslist *l, const struct vl_acquire_opts *o,
			 struct vl_error *e)
{
	return fdlock_acquire(l, o, &ops, e);
}

static int fcntl_inquire(const struct vl_resource *r, struct vl_holders *out,
			 struct vl_error *e)
{
	return r->kind == VL_LEASE ? lockspace_inquire(r, out, e)
				   : fdlock_inquire_image(r, out, e);
}

VL_DRIVER_DEFINE(fcntl) = {
	.abi = VL_DRIVER_ABI,
	.name = "fcntl",
	.init = fdlock_init,
	.acquire = fcntl_acquire,
	.release = fdlock_release,
	.prepare_exec = fdlock_prepare_exec,
	.inquire = fcntl_inquire,
	.inquire_all = fdlock_inquire_all,
	.prune = lockspace_prune,
	.handover = fdlock_handover,
};
