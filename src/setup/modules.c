/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "drivers/builtin.h"
#include "setup/modules.h"
#include "util/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *vl_module_dir(void)
{
	return PKGLIBDIR "/drivers";
}

const char *const *vl_builtin_driver_names(void)
{
	static const char *names[8];
	size_t n = 0;

	for (; vl_builtin_drivers[n] && n + 1 < 8; n++)
		names[n] = vl_builtin_drivers[n]->name;
	names[n] = NULL;
	return names;
}

static const struct vl_driver *load_module(const char *name, bool *found,
					   struct vl_error *e)
{
	const char *dir = getenv("VMLOCK_DRIVER_DIR");
	char *path = vl_asprintf("%s/%s.so", dir && *dir ? dir :
			       PKGLIBDIR "/drivers", name);
	const struct vl_driver *drv = NULL;
	void *handle;

	*found = access(path, F_OK) == 0;
	if (!*found) {
		free(path);
		return NULL;
	}
	if (!(handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
		vl_fail(e, EX_CONFIG, "driver %s: %s", name, dlerror());
	else if (!(drv = dlsym(handle, "vmlock_driver")))
		vl_fail(e, EX_CONFIG, "driver %s: %s exports no vmlock_driver",
			name, path);
	else if (drv->abi != VL_DRIVER_ABI)
		vl_fail(e, EX_CONFIG, "driver %s: %s was built for driver "
			"interface %u, this vmlock speaks %u", name, path,
			drv->abi, VL_DRIVER_ABI);
	else
		vl_debug("driver %s: module %s", name, path);
	if (e->code && handle) {
		dlclose(handle);
		drv = NULL;
	}
	free(path);
	return drv;
}

const struct vl_driver *vl_driver_load(const char *name,
				       const struct vl_driver_config *c,
				       struct vl_error *e)
{
	const struct vl_driver *drv = NULL;
	bool found = false;

	e->code = 0;
	if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
		      strlen(name)) {
		vl_fail(e, EX_CONFIG, "driver \"%s\": not a driver name", name);
		return NULL;
	}
	drv = load_module(name, &found, e);
	for (size_t i = 0; !found && vl_builtin_drivers[i]; i++)
		if (!strcmp(vl_builtin_drivers[i]->name, name)) {
			drv = vl_builtin_drivers[i];
			found = true;
		}
	if (!found)
		vl_fail(e, EX_CONFIG, "driver \"%s\": no such driver (no "
			"module in %s, none built in)", name,
			getenv("VMLOCK_DRIVER_DIR") ? getenv("VMLOCK_DRIVER_DIR")
						    : PKGLIBDIR "/drivers");
	if (drv && drv->init && drv->init(c, e))
		drv = NULL;
	return drv;
}
