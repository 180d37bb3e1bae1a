/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "api/api.h"
#include "cmd/commands.h"
#include "util/util.h"

#include <popt.h>
#include <string.h>

/* vmlock sanlock-join: joins this host to the sanlock lockspace now (at
 * boot, say) rather than on first use; the driver's acquire of nothing
 * does exactly that. */
int cmd_sanlock_join(int argc, const char **argv)
{
	const struct poptOption table[] = {
		{ "verbose", 'v', POPT_ARG_VAL, &vl_verbosity, 1,
		  "say more", NULL },
		VL_SETUP_OPTIONS,
		VL_HELP_OPTIONS,
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext(argv[0], argc, argv,
					 table, 0);
	const struct vl_driver *drv;
	struct vl_acquire_opts o = { .deadline = vl_deadline_in(0) };
	struct vl_reslist none = {0};
	struct vl_error e = {0};
	int opt, rc = 0;

	poptSetOtherOptionHelp(ctx, "[OPTIONS]");
	while ((opt = poptGetNextOpt(ctx)) > 0)
		;
	if (opt < -1)
		rc = vl_bad_option(ctx, opt, &e);
	else if (poptPeekArg(ctx))
		rc = vl_fail(&e, EX_USAGE, "usage: vmlock sanlock-join "
			     "[--config FILE]");
	if (!rc && !vl_setup.driver)
		vl_setup.driver = vl_strdup("sanlock");
	if (!rc && strcmp(vl_setup.driver, "sanlock"))
		rc = vl_fail(&e, EX_USAGE, "sanlock-join: --driver %s: only "
			     "the sanlock driver joins a lockspace",
			     vl_setup.driver);
	if (!rc && !(drv = vl_setup_driver(&e)))
		rc = e.code;
	if (!rc && !(rc = drv->acquire(&none, &o, &e)))
		drv->release(&none);
	if (rc)
		vl_warn("%s", e.msg);
	vl_setup_free();
	poptFreeContext(ctx);
	return rc;
}
