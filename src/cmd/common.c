/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* What every command shares: the configuration and the driver. */
#include "config.h"
#include "cmd/commands.h"
#include "plan/plan.h"
#include "setup/modules.h"
#include "util/util.h"
#include "api/api.h"

#include <stdio.h>
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
		.option = option, .ctx = c, .vm_name = vl_plan_vm_name,
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

int vl_find_holders(const struct vl_driver *drv, const struct vl_reslist *l,
		    struct vl_found_list *out, struct vl_error *e)
{
	int rc = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct vl_resource r = l->v[i];
		char *real = r.kind == VL_FILE ? realpath(r.path, NULL) : NULL;
		struct vl_holders h = {0};

		if (real)
			r.path = real;
		int one = drv->inquire(&r, &h, e);
		if (one) {
			vl_warn("%s", e->msg);
			rc = one;
			free(real);
			continue;
		}
		vl_found_add(out, real ? real : r.kind == VL_LEASE
			     ? vl_asprintf("lease:%s", r.path)
			     : vl_strdup(r.path))->holders = h;
	}
	return rc;
}

static void help(poptContext ctx, enum poptCallbackReason reason,
		 const struct poptOption *opt, const char *arg,
		 const void *data)
{
	(void)reason, (void)arg, (void)data;
	if (opt->shortName == 'h')
		poptPrintHelp(ctx, stdout, 0);
	else
		poptPrintUsage(ctx, stdout, 0);
	exit(0);
}

const struct poptOption vl_verbosity_options[] = {
	{ "verbose", 'v', POPT_ARG_VAL, &vl_verbosity, 1, "say more", NULL },
	{ "quiet", 'q', POPT_ARG_VAL, &vl_verbosity, -1, "print errors only",
	  NULL },
	POPT_TABLEEND
};

const struct poptOption vl_help_options[] = {
	{ NULL, 0, POPT_ARG_CALLBACK, (void *)help, 0, NULL, NULL },
	{ "help", 'h', POPT_ARG_NONE, NULL, 0, "show this help", NULL },
	{ "usage", 0, POPT_ARG_NONE, NULL, 0, "show a short usage", NULL },
	POPT_TABLEEND
};

int vl_bad_option(poptContext ctx, int rc, struct vl_error *e)
{
	return vl_fail(e, EX_USAGE, "%s: %s", poptBadOption(ctx, 0),
		       poptStrerror(rc));
}

/* PATH arguments and --lease NAME options, in order. */
int vl_read_resources(poptContext ctx, struct vl_reslist *l, const char *what,
		      struct vl_error *e)
{
	int opt;
	char *arg;

	while ((opt = poptGetNextOpt(ctx)) > 0)
		if ((arg = poptGetOptArg(ctx))) {
			vl_reslist_add(l, VL_LEASE, arg, VL_EXCLUSIVE, 0);
			free(arg);
		}
	if (opt < -1)
		return vl_bad_option(ctx, opt, e);
	for (const char *p; (p = poptGetArg(ctx));)
		vl_reslist_add(l, VL_FILE, p, VL_EXCLUSIVE, 0);
	if (what && !l->n)
		return vl_fail(e, EX_USAGE, "%s", what);
	return 0;
}

int vl_pid_command(poptContext ctx, char *const *pid_arg, long *pid,
		   char *const *timeout_arg, double *timeout, const char *usage,
		   struct vl_error *e)
{
	int opt;

	while ((opt = poptGetNextOpt(ctx)) > 0)
		;
	if (opt < -1)
		return vl_bad_option(ctx, opt, e);
	if (!*pid_arg || !vl_parse_pid(*pid_arg, pid) || poptPeekArg(ctx))
		return vl_fail(e, EX_USAGE, "usage: %s", usage);
	if (*timeout_arg && !vl_parse_seconds(*timeout_arg, timeout))
		return vl_fail(e, EX_USAGE, "--timeout \"%s\": not a number of "
			       "seconds", *timeout_arg);
	return 0;
}

VL_LIB_PTRS(SCOLS_FUNCS)

void vl_load_scols(void)
{
	static struct vl_lib lib = { SCOLS_SONAME, NULL };
	const char *err = VL_LIB_LOAD(&lib, SCOLS_FUNCS);

	if (err)
		vl_die(EX_OSERR, "%s", err);
}
