/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The drivers built into the executable, for when no module of that
 * name is installed (as when vmlock runs from its build tree). */
#ifndef VMLOCK_DRIVERS_BUILTIN_H
#define VMLOCK_DRIVERS_BUILTIN_H

#include <vmlock/driver.h>

/* NULL-ended. */
extern const struct vl_driver *const vl_builtin_drivers[];

#endif
