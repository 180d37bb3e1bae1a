/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock handover: the source side of a live migration. */
#include "config.h"
#include "api/api.h"
#include "cmd/commands.h"
#include "util/util.h"

#include <errno.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Drivers that hand over through a lease state (those with adopt, e.g.
 * sanlock) pass that state to done(); it is printed as it is, one line. */
static bool state_driver;

static void handed_over(const char *what)
{
	if (state_driver)
		printf("%s\n", what);
	else
		printf("%s: handed over\n", what);
	fflush(stdout);
}

/* The whole of a state file, or of stdin for "-". */
static int read_state(const char *name, char **out, struct vl_error *e)
{
	FILE *f = strcmp(name, "-") ? fopen(name, "re") : stdin;
	size_t len = 0, cap = 4096;
	char *buf;

	if (!f)
		return vl_fail(e, vl_errno_code(errno), "--adopt %s: %s", name,
			       strerror(errno));
	buf = vl_malloc(cap);
	for (size_t got; (got = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
		len += got;
		if (len + 1 == cap)
			buf = vl_reallocarray(buf, cap *= 2, 1);
	}
	buf[len] = 0;
	if (f != stdin)
		fclose(f);
	while (len && strchr(" \t\r\n", buf[len - 1]))
		buf[--len] = 0;
	*out = buf;
	return 0;
}

static int adopt(const struct vl_driver *drv, long pid, const char *file,
		 struct vl_error *e)
{
	char *state = NULL;
	int rc;

	if (!drv->adopt)
		return vl_fail(e, EX_USAGE, "--adopt: the %s driver hands over "
			       "through vmlock run --incoming, without a "
			       "state", drv->name);
	rc = read_state(file, &state, e);
	if (!rc)
		rc = drv->adopt(pid, state, e);
	free(state);
	return rc;
}

int cmd_handover(int argc, const char **argv)
{
	char *pid_arg = NULL, *timeout_arg = NULL, *adopt_arg = NULL;
	const struct poptOption table[] = {
		{ "pid", 'p', POPT_ARG_STRING, &pid_arg, 0,
		  "the source QEMU process (with --adopt: the target's)",
		  "PID" },
		{ "adopt", 'A', POPT_ARG_STRING, &adopt_arg, 0,
		  "target side (sanlock): acquire for PID the leases of the "
		  "STATE that handover printed on the source (a file, or - "
		  "for stdin)", "STATE" },
		{ "timeout", 't', POPT_ARG_STRING, &timeout_arg, 0,
		  "seconds to wait for the target (default 60; -1: forever)",
		  "SECONDS" },
		VL_VERBOSITY_OPTIONS,
		VL_SETUP_OPTIONS,
		VL_HELP_OPTIONS,
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext(argv[0], argc, argv, table, 0);
	const struct vl_driver *drv = NULL;
	struct vl_error e = {0};
	double timeout = 60;
	long pid = 0;
	int rc;

	poptSetOtherOptionHelp(ctx, "[OPTIONS] --pid PID");
	rc = vl_pid_command(ctx, &pid_arg, &pid, &timeout_arg, &timeout,
			    "vmlock handover --pid PID [--timeout SECONDS] | "
			    "--adopt STATE --pid PID", &e);

	if (!rc && !(drv = vl_setup_driver(&e)))
		rc = e.code;
	else if (!rc && adopt_arg)
		rc = adopt(drv, pid, adopt_arg, &e);
	else if (!rc) {
		struct vl_deadline d = vl_deadline_in(timeout);
		state_driver = drv->adopt != NULL;
		rc = drv->handover(pid, &d, handed_over, &e);
	}
	if (rc)
		vl_warn("%s", e.msg);
	free(pid_arg);
	free(timeout_arg);
	free(adopt_arg);
	vl_setup_free();
	poptFreeContext(ctx);
	return rc;
}
