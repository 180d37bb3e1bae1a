/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock sync: a running QEMU's vmlock locks made to match what it
 * uses. */
#include "config.h"
#include "audit/sync.h"
#include "cmd/commands.h"
#include "util/escape.h"
#include "util/util.h"

#include <popt.h>
#include <stdio.h>
#include <stdlib.h>

static void changed(const char *path, const char *what)
{
	char *shown = vl_escape(path, "");

	printf("%s: %s\n", shown, what);
	fflush(stdout);
	free(shown);
}

/* After the changes: what audit finds now (1, said, unless all is ok). */
static int audit_again(long pid, const char *qmp, double timeout,
		       struct vl_error *e)
{
	struct audit_proc a;
	int rc = audit_process(pid, qmp, timeout, &a, e);

	if (!rc && !audit_proc_ok(&a)) {
		vl_print_findings(stdout, &a, 1);
		rc = vl_fail(e, 1, "pid %ld: QEMU changed its files meanwhile; "
			     "run vmlock sync again", pid);
	}
	audit_proc_free(&a);
	return rc;
}

int cmd_sync(int argc, const char **argv)
{
	char *pid_arg = NULL, *qmp = NULL, *timeout_arg = NULL;
	const struct poptOption table[] = {
		{ "pid", 'p', POPT_ARG_STRING, &pid_arg, 0,
		  "the QEMU process whose locks to make match", "PID" },
		{ "qmp", 0, POPT_ARG_STRING, &qmp, 0,
		  "its QMP socket (default: the one its command line names)",
		  "SOCKET" },
		VL_QMP_TIMEOUT_OPTION(timeout_arg),
		VL_VERBOSITY_OPTIONS,
		VL_HELP_OPTIONS,
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext(argv[0], argc, argv, table, 0);
	struct vl_error e = {0};
	struct audit_proc a = {0};
	double timeout = 5;
	long pid = 0;
	int rc;

	poptSetOtherOptionHelp(ctx, "[OPTIONS] --pid PID");
	rc = vl_pid_command(ctx, &pid_arg, &pid, &timeout_arg, &timeout,
			    "vmlock sync --pid PID [--qmp SOCKET] [--timeout "
			    "SECONDS]", &e);

	if (!rc)
		rc = audit_process(pid, qmp, timeout, &a, &e);
	if (!rc)
		rc = audit_sync(&a, &(struct audit_sync_opts){
					.timeout = timeout,
					.done = vl_verbosity < 0 ? NULL : changed },
				&e);
	if (!rc)
		rc = audit_again(pid, qmp, timeout, &e);
	if (rc)
		vl_warn("%s", e.msg);
	audit_proc_free(&a);
	free(pid_arg);
	free(qmp);
	free(timeout_arg);
	poptFreeContext(ctx);
	return rc;
}
