/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "drivers/builtin.h"

extern const struct vl_driver vl_driver_fcntl, vl_driver_lockspace,
	vl_driver_nop;

const struct vl_driver *const vl_builtin_drivers[] = {
	&vl_driver_fcntl, &vl_driver_lockspace, &vl_driver_nop, NULL,
};
