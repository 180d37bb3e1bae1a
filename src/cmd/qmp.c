/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock qmp: one QMP command for a running QEMU, what it opens locked
 * before QEMU sees it. */
#include "config.h"
#include "audit/change.h"
#include "cmd/commands.h"
#include "util/escape.h"
#include "util/util.h"

#include <popt.h>
#include <stdio.h>
#include <stdlib.h>

#define QMP_USAGE "vmlock qmp [--qmp SOCKET | --pid PID] [--wait SECONDS] " \
	"[--timeout SECONDS] [--unchecked] COMMAND-JSON"

/* Lock changes go to stderr: stdout is QEMU's reply alone. */
static void changed(const char *path, const char *what)
{
	char *shown = vl_escape(path, "");

	vl_note("%s: %s", shown, what);
	free(shown);
}

static int seconds(const char *arg, const char *name, double *out,
		   struct vl_error *e)
{
	if (arg && !vl_parse_seconds(arg, out))
		return vl_fail(e, EX_USAGE, "--%s \"%s\": not a number of "
			       "seconds", name, arg);
	return 0;
}

/* The options; 64 with e set when they are not as QMP_USAGE says. */
static int read_options(poptContext ctx, char *const *pid_arg,
			char *const *qmp, struct audit_change_opts *o,
			struct vl_error *e)
{
	int opt;

	while ((opt = poptGetNextOpt(ctx)) > 0)
		;
	if (opt < -1)
		return vl_bad_option(ctx, opt, e);
	o->command = poptGetArg(ctx);
	if (!o->command || poptPeekArg(ctx) || (!*pid_arg && !*qmp))
		return vl_fail(e, EX_USAGE, "usage: %s", QMP_USAGE);
	if (*pid_arg && !vl_parse_pid(*pid_arg, &o->pid))
		return vl_fail(e, EX_USAGE, "--pid \"%s\": not a process id",
			       *pid_arg);
	o->qmp = *qmp;
	return 0;
}

int cmd_qmp(int argc, const char **argv)
{
	char *pid_arg = NULL, *qmp = NULL, *timeout_arg = NULL, *wait_arg = NULL;
	int unchecked = 0;
	const struct poptOption table[] = {
		{ "pid", 'p', POPT_ARG_STRING, &pid_arg, 0,
		  "the QEMU process to send the command to", "PID" },
		{ "qmp", 0, POPT_ARG_STRING, &qmp, 0,
		  "its QMP socket (default: the one its command line names)",
		  "SOCKET" },
		{ "wait", 'w', POPT_ARG_STRING, &wait_arg, 0,
		  "wait up to SECONDS for busy files (default 0; -1: forever)",
		  "SECONDS" },
		VL_QMP_TIMEOUT_OPTION(timeout_arg),
		{ "unchecked", 0, POPT_ARG_NONE, &unchecked, 0,
		  "send a command vmlock cannot judge, and sync after", NULL },
		VL_VERBOSITY_OPTIONS,
		VL_HELP_OPTIONS,
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext(argv[0], argc, argv, table, 0);
	struct audit_change_opts o = { .timeout = 5 };
	struct vl_error e = {0};
	char *reply = NULL;

	poptSetOtherOptionHelp(ctx, "[OPTIONS] COMMAND-JSON");
	int rc = read_options(ctx, &pid_arg, &qmp, &o, &e);
	if (!rc)
		rc = seconds(timeout_arg, "timeout", &o.timeout, &e);
	if (!rc)
		rc = seconds(wait_arg, "wait", &o.wait, &e);
	o.unchecked = unchecked;
	o.done = vl_verbosity > 0 ? changed : NULL;
	if (!rc)
		rc = audit_change(&o, &reply, &e);
	if (reply) {
		printf("%s\n", reply);
		fflush(stdout);
	}
	if (rc > 1)
		vl_warn("%s%s", e.msg, reply || !o.command ? "" :
			"; the command was not sent");
	free(reply);
	free(pid_arg);
	free(qmp);
	free(timeout_arg);
	free(wait_arg);
	poptFreeContext(ctx);
	return rc;
}
