/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The nop driver: locks nothing, for testing scripts. */
#include <vmlock/driver.h>

static int nop_acquire(struct vl_reslist *l, const struct vl_acquire_opts *o,
		       struct vl_error *e)
{
	(void)l; (void)o; (void)e;
	return 0;
}

static void nop_release(struct vl_reslist *l)
{
	(void)l;
}

static int nop_prepare_exec(struct vl_reslist *l, struct vl_error *e)
{
	(void)l; (void)e;
	return 0;
}

static int nop_inquire(const struct vl_resource *r, struct vl_holders *out,
		       struct vl_error *e)
{
	(void)r; (void)out; (void)e;
	return 0;
}

static int nop_inquire_all(struct vl_found_list *out, struct vl_error *e)
{
	(void)out; (void)e;
	return 0;
}

static int nop_handover(long pid, const struct vl_deadline *d,
			void (*done)(const char *path), struct vl_error *e)
{
	(void)pid; (void)d; (void)done; (void)e;
	return 0;
}

VL_DRIVER_DEFINE(nop) = {
	.abi = VL_DRIVER_ABI,
	.name = "nop",
	.acquire = nop_acquire,
	.release = nop_release,
	.prepare_exec = nop_prepare_exec,
	.inquire = nop_inquire,
	.inquire_all = nop_inquire_all,
	.handover = nop_handover,
};
