/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Loading a lock driver: a module, else one built in. */
#ifndef VMLOCK_SETUP_MODULES_H
#define VMLOCK_SETUP_MODULES_H

#include <vmlock/driver.h>

/* A module NAME.so from $VMLOCK_DRIVER_DIR, else from PKGLIBDIR/drivers,
 * else the driver built in; initialised. As root, a module that it or a
 * directory above it lets anyone but root replace is refused. Returns
 * NULL with e set (78). */
const struct vl_driver *vl_driver_load(const char *name,
				       const struct vl_driver_config *c,
				       struct vl_error *e);

/* Where modules are installed (PKGLIBDIR/drivers). */
const char *vl_module_dir(void);
/* The names of the drivers built into vmlock, NULL-ended. */
const char *const *vl_builtin_driver_names(void);

#endif
