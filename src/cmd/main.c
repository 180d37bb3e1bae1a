/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock: start QEMU under locks on its disk images. The dispatcher. */
#include "config.h"
#include "cmd/commands.h"
#include "plan/plan.h"
#include "setup/modules.h"
#include "setup/privileges.h"
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

static const struct {
	const char *name;
	int (*run)(int argc, const char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "lock images, then exec a command (QEMU)" },
	{ "inquire", cmd_inquire, "show who holds resources" },
	{ "revoke", cmd_revoke, "stop the local holders of resources" },
	{ "handover", cmd_handover, "offer a migrating QEMU's locks to its "
	  "target" },
	{ "audit", cmd_audit, "compare what each QEMU has open with its "
	  "locks" },
	{ "sync", cmd_sync, "make a running QEMU's locks match what it uses" },
	{ "qmp", cmd_qmp, "send a QMP command, what it opens locked first" },
	{ "sanlock-join", cmd_sanlock_join, "join this host to the sanlock "
	  "lockspace" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vmlock COMMAND [OPTIONS] [ARGS]\n"
		"       vmlock run [OPTIONS] -- QEMU-BINARY [QEMU-ARGS...]\n"
		"       vmlock run [OPTIONS] --lock PATH[:MODE]... -- COMMAND [ARGS...]\n"
		"       vmlock help [COMMAND] | --help | --version\n"
		"\nCommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-13s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\n'vmlock help COMMAND' (or 'vmlock COMMAND --help') "
		     "describes a command; man vmlock(1) says the rest.\n");
}

static void version(void)
{
	printf("vmlock %s\nreads QEMU command lines as QEMU %s does\n",
	       PACKAGE_VERSION, vl_plan_qemu_version());
	printf("drivers built in:");
	for (const char *const *n = vl_builtin_driver_names(); *n; n++)
		printf(" %s", *n);
	printf("\nmodule directory: %s (first $VMLOCK_DRIVER_DIR)\n",
	       vl_module_dir());
#ifdef HAVE_SANLOCK
	printf("sanlock: supported (module sanlock.so)\n");
#else
	printf("sanlock: not supported (built without libsanlock_client)\n");
#endif
}

/* Runs command name with argv[0] "vmlock NAME", which its usage shows. */
static int dispatch(const char *name, int argc, const char **argv)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(name, commands[i].name)) {
			char prog[32];	/* no printf: it is not needed on run's path */
			stpcpy(stpcpy(prog, "vmlock "), commands[i].name);
			argv[0] = prog;
			return commands[i].run(argc, argv);
		}
	vl_warn("unknown command \"%s\"", name);
	usage(stderr);
	return EX_USAGE;
}

/* vmlock help [COMMAND]: the command's --help. */
static int help(int argc, char **argv)
{
	const char *args[] = { NULL, "--help", NULL };

	if (argc < 3) {
		usage(stdout);
		return 0;
	}
	if (argc > 3) {
		vl_warn("usage: vmlock help [COMMAND]");
		return EX_USAGE;
	}
	return dispatch(argv[2], 2, args);
}

int main(int argc, char **argv)
{
	struct vl_error e;

	if (vl_refuse_setid(&e))
		vl_die(e.code, "%s", e.msg);
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		version();
		return 0;
	}
	if (!strcmp(argv[1], "help"))
		return help(argc, argv);
	return dispatch(argv[1], argc - 1, (const char **)argv + 1);
}
