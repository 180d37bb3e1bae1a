/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "drivers/builtin.h"
#include "setup/modules.h"
#include "util/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* One file or directory a module of root's comes through: root's, and
 * writable by no one but root, or a sticky directory (where only root
 * may replace what root owns). */
static int check_one(const char *name, const char *path, const char *what,
		     struct vl_error *e)
{
	struct stat st;

	if (stat(what, &st) < 0)
		return vl_fail(e, EX_CONFIG, "driver %s: %s: %s", name, what,
			       strerror(errno));
	if (st.st_uid != 0)
		return vl_fail(e, EX_CONFIG, "driver %s: %s: refused, as root: "
			       "%s is owned by uid %u, not root", name, path,
			       what, (unsigned)st.st_uid);
	if (vl_others_may_write(&st) && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX)))
		return vl_fail(e, EX_CONFIG, "driver %s: %s: refused, as root: "
			       "%s is writable by others than root (mode %04o)",
			       name, path, what, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* As root, a module runs its constructors as uid 0: the module and every
 * directory above it must be root's alone (vmlock(1), DRIVERS). */
static int check_trusted(const char *name, const char *real,
			 struct vl_error *e)
{
	char *p = vl_strdup(real);
	size_t len = strlen(p);
	int rc = 0;

	while (!rc) {
		rc = check_one(name, real, len ? p : "/", e);
		if (!len)
			break;
		while (len && p[len - 1] != '/')
			len--;
		p[len ? --len : 0] = '\0';
	}
	free(p);
	return rc;
}

static const struct vl_driver *open_module(const char *name, const char *real,
					   struct vl_error *e)
{
	const struct vl_driver *drv = NULL;
	void *handle;

	if (geteuid() == 0 && check_trusted(name, real, e))
		return NULL;
	if (!(handle = dlopen(real, RTLD_NOW | RTLD_LOCAL)))
		vl_fail(e, EX_CONFIG, "driver %s: %s", name, dlerror());
	else if (!(drv = dlsym(handle, "vmlock_driver")))
		vl_fail(e, EX_CONFIG, "driver %s: %s exports no vmlock_driver",
			name, real);
	else if (drv->abi != VL_DRIVER_ABI)
		vl_fail(e, EX_CONFIG, "driver %s: %s was built for driver "
			"interface %u, this vmlock speaks %u", name, real,
			drv->abi, VL_DRIVER_ABI);
	else
		vl_debug("driver %s: module %s", name, real);
	if (e->code && handle) {
		dlclose(handle);
		drv = NULL;
	}
	return drv;
}

/* NAME.so in $VMLOCK_DRIVER_DIR, then in the default directory. Each
 * launch looks, and most find none: one access(2) (no printf, no
 * realpath's readlink per component) before the module is resolved. */
static const struct vl_driver *load_module(const char *name, bool *found,
					   struct vl_error *e)
{
	const char *env = getenv("VMLOCK_DRIVER_DIR");
	const char *dirs[] = { env && *env ? env : NULL, vl_module_dir() };
	const struct vl_driver *drv = NULL;
	char path[PATH_MAX];

	*found = false;
	for (size_t i = 0; i < 2 && !*found; i++) {
		if (!dirs[i] ||
		    strlen(dirs[i]) + strlen(name) + sizeof "/.so" > sizeof path)
			continue;
		stpcpy(stpcpy(stpcpy(stpcpy(path, dirs[i]), "/"), name), ".so");
		char *real = access(path, F_OK) ? NULL : realpath(path, NULL);
		if ((*found = real != NULL))
			drv = open_module(name, real, e);
		free(real);
	}
	return drv;
}

const struct vl_driver *vl_driver_load(const char *name,
				       const struct vl_driver_config *c,
				       struct vl_error *e)
{
	const struct vl_driver *drv = NULL;
	const char *env = getenv("VMLOCK_DRIVER_DIR");
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
			"module in %s%s%s, none built in)", name,
			env && *env ? env : "", env && *env ? " or " : "",
			vl_module_dir());
	if (drv && drv->init && drv->init(c, e))
		drv = NULL;
	return drv;
}
