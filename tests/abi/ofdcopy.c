/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* A driver module built out of tree, against the installed headers
 * alone: the fcntl driver's engine with an opener of its own, which
 * counts the files it opens. The abi suite builds and loads it. */
#include <vmlock/fdlock.h>

static unsigned opened;

static int count_open(struct vl_resource *r, struct vl_error *e)
{
	int rc = fdlock_open_image(r, e);

	if (!rc)
		opened++;
	return rc;
}

static const struct fdlock_ops ops = { count_open, NULL };

static int ofdcopy_acquire(struct vl_reslist *l,
			   const struct vl_acquire_opts *o, struct vl_error *e)
{
	int rc = fdlock_acquire(l, o, &ops, e);

	if (!rc)
		vl_note("ofdcopy: %u file(s) locked", opened);
	return rc;
}

VL_DRIVER_DEFINE(ofdcopy) = {
	.abi = VL_DRIVER_ABI,
	.name = "ofdcopy",
	.init = fdlock_init,
	.acquire = ofdcopy_acquire,
	.release = fdlock_release,
	.prepare_exec = fdlock_prepare_exec,
	.inquire = fdlock_inquire_image,
	.inquire_all = fdlock_inquire_all,
	.handover = fdlock_handover,
};
