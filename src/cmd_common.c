/* What every command shares: the configuration and the driver. */
#include "config.h"
#include "commands.h"
#include "util.h"

#include <stdlib.h>

struct vl_setup vl_setup = { .conf = { .backing = -1 } };

const struct poptOption vl_setup_options[] = {
	{ "driver", 0, POPT_ARG_STRING, &vl_setup.driver, 0,
	  "lock driver: fcntl (default), lockspace, nop, or a module",
	  "NAME" },
	{ "lockspace", 0, POPT_ARG_STRING, &vl_setup.lockspace, 0,
	  "lockspace directory for lease files (default "
	  "/run/vmlock/lockspace)", "DIR" },
	{ "config", 'c', POPT_ARG_STRING, &vl_setup.config, 0,
	  "configuration file (default $VMLOCK_CONFIG, else "
	  VL_CONFIG_DEFAULT ")", "FILE" },
	POPT_TABLEEND
};

static const char *option(const void *ctx, const char *key)
{
	return vl_config_option(ctx, key);
}

const struct vl_driver *vl_setup_driver(struct vl_error *e)
{
	struct vl_config *c = &vl_setup.conf;

	if (vl_config_load(vl_setup.config, c, e))
		return NULL;
	struct vl_driver_config dc = {
		.lockspace = vl_setup.lockspace ? vl_setup.lockspace
						: c->lockspace,
		.option = option, .ctx = c,
	};
	const char *name = vl_setup.driver ? vl_setup.driver :
			   c->driver ? c->driver : "fcntl";
	return vl_driver_load(name, &dc, e);
}

void vl_setup_free(void)
{
	free(vl_setup.driver);
	free(vl_setup.lockspace);
	free(vl_setup.config);
	vl_config_free(&vl_setup.conf);
}
