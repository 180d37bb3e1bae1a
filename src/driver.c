#include "config.h"
#include "driver.h"
#include "lockproto.h"
#include "util.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct vl_driver vl_driver_fcntl, vl_driver_lockspace,
	vl_driver_nop;

/* Used when no module is installed, as when running from the build tree. */
static const struct vl_driver *const builtin[] = {
	&vl_driver_fcntl, &vl_driver_lockspace, &vl_driver_nop,
};

static const struct vl_driver *load_module(const char *name, bool *found,
					   struct vl_error *e)
{
	const char *dir = getenv("VMLOCK_DRIVER_DIR");
	char *path = xasprintf("%s/%s.so", dir && *dir ? dir :
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
	for (size_t i = 0; !found && i < sizeof builtin / sizeof *builtin; i++)
		if (!strcmp(builtin[i]->name, name)) {
			drv = builtin[i];
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

struct vl_holder *vl_holders_add(struct vl_holders *h)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 4;
		h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
	}
	h->v[h->n] = (struct vl_holder){ .pid = -1 };
	return &h->v[h->n++];
}

void vl_holders_free(struct vl_holders *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].command);
		free(h->v[i].name);
	}
	free(h->v);
	*h = (struct vl_holders){0};
}

const char *vl_role_name(int role)
{
	switch (role) {
	case LP_INCOMING: return "incoming";
	case LP_OFFER: return "offer";
	case LP_FOREIGN: return "foreign";
	default: return "holder";
	}
}

char *vl_holder_describe(const struct vl_holder *h)
{
	const char *role = h->role == LP_HOLDER ? "" :
			   h->role == LP_INCOMING ? ", incoming handover" :
			   h->role == LP_OFFER ? ", handover offer" :
			   ", a lock manager outside vmlock";

	if (h->remote)
		return xasprintf("a process on another host%s", role);
	if (h->pid < 0)
		return xasprintf("a process of this host not visible to you%s",
				 role);
	if (h->name)
		return xasprintf("pid %ld (%s, VM \"%s\"%s)", h->pid,
				 h->command ? h->command : "?", h->name, role);
	return xasprintf("pid %ld (%s%s)", h->pid,
			 h->command ? h->command : "?", role);
}
