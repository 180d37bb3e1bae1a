/* vmlock handover: the source side of a live migration. */
#include "config.h"
#include "commands.h"
#include "driver.h"
#include "util.h"

#include <popt.h>
#include <stdio.h>
#include <stdlib.h>

static void handed_over(const char *path)
{
	printf("%s: handed over\n", path);
	fflush(stdout);
}

int cmd_handover(int argc, const char **argv)
{
	char *pid_arg = NULL, *timeout_arg = NULL;
	const struct poptOption table[] = {
		{ "pid", 'p', POPT_ARG_STRING, &pid_arg, 0,
		  "the source QEMU process", "PID" },
		{ "timeout", 't', POPT_ARG_STRING, &timeout_arg, 0,
		  "seconds to wait for the target (default 60; -1: forever)",
		  "SECONDS" },
		{ "verbose", 'v', POPT_ARG_VAL, &vl_verbosity, 1,
		  "say more", NULL },
		{ "quiet", 'q', POPT_ARG_VAL, &vl_verbosity, -1,
		  "print errors only", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)vl_setup_options, 0,
		  "Driver and configuration:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext("vmlock handover", argc, argv, table, 0);
	const struct vl_driver *drv;
	struct vl_error e = {0};
	double timeout = 60;
	char *end = NULL;
	long pid = 0;
	int opt, rc = 0;

	while ((opt = poptGetNextOpt(ctx)) > 0)
		;
	if (pid_arg)
		pid = strtol(pid_arg, &end, 10);
	if (opt < -1)
		rc = vl_fail(&e, EX_USAGE, "%s: %s", poptBadOption(ctx, 0),
			     poptStrerror(opt));
	else if (!pid_arg || *end || pid <= 0 || poptPeekArg(ctx))
		rc = vl_fail(&e, EX_USAGE, "usage: vmlock handover --pid PID "
			     "[--timeout SECONDS]");
	else if (timeout_arg && !vl_parse_seconds(timeout_arg, &timeout))
		rc = vl_fail(&e, EX_USAGE, "--timeout \"%s\": not a number of "
			     "seconds", timeout_arg);
	else if (!(drv = vl_setup_driver(&e)))
		rc = e.code;
	else {
		struct vl_deadline d = vl_deadline_in(timeout);
		rc = drv->handover(pid, &d, handed_over, &e);
	}
	if (rc)
		vl_warn("%s", e.msg);
	free(pid_arg);
	free(timeout_arg);
	vl_setup_free();
	poptFreeContext(ctx);
	return rc;
}
