/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The commands, and what they share: --driver, --lockspace, --config.
 * Each command returns its exit status (vmlock(1), EXIT STATUS), or
 * execs. */
#ifndef VMLOCK_CMD_COMMANDS_H
#define VMLOCK_CMD_COMMANDS_H

/* Each returns the exit status, or execs. argv[0] is the command name. */
int cmd_run(int argc, const char **argv);
int cmd_inquire(int argc, const char **argv);
int cmd_revoke(int argc, const char **argv);
int cmd_handover(int argc, const char **argv);
int cmd_sanlock_join(int argc, const char **argv);
int cmd_audit(int argc, const char **argv);
int cmd_sync(int argc, const char **argv);
int cmd_qmp(int argc, const char **argv);

#include "setup/conf.h"
#include "util/util.h"

#include <vmlock/driver.h>

#include <libsmartcols.h>
#include <popt.h>
#include <stdio.h>

/* --driver, --lockspace, --config: every command that locks or looks. */
struct vl_setup {
	char *driver, *lockspace, *config;
	struct vl_config conf;
};

extern struct vl_setup vl_setup;
extern const struct poptOption vl_setup_options[];

/* Loads the configuration and the driver, the command line winning. */
const struct vl_driver *vl_setup_driver(struct vl_error *e);
void vl_setup_free(void);

/* -h/--help and --usage, for every command: they print and exit 0. */
extern const struct poptOption vl_help_options[];
/* -v/--verbose and -q/--quiet, which set vl_verbosity. */
extern const struct poptOption vl_verbosity_options[];

/* The options of commands that name resources, and --driver and kin.
 * A short option means one thing in every command (vmlock(1), OPTIONS). */
enum { VL_OPT_LEASE = 1 };
#define VL_LEASE_OPTION { "lease", 'L', POPT_ARG_STRING, NULL, VL_OPT_LEASE, \
	"the named resource NAME; repeatable", "NAME" }
#define VL_SETUP_OPTIONS { NULL, 0, POPT_ARG_INCLUDE_TABLE, \
	(void *)vl_setup_options, 0, "Driver and configuration:", NULL }
/* --timeout of the commands that talk QMP, into the string var. */
#define VL_QMP_TIMEOUT_OPTION(var) { "timeout", 't', POPT_ARG_STRING, \
	&(var), 0, "seconds to wait for each QMP reply (default 5; -1: " \
	"forever)", "SECONDS" }
#define VL_VERBOSITY_OPTIONS { NULL, 0, POPT_ARG_INCLUDE_TABLE, \
	(void *)vl_verbosity_options, 0, NULL, NULL }
#define VL_HELP_OPTIONS { NULL, 0, POPT_ARG_INCLUDE_TABLE, \
	(void *)vl_help_options, 0, "Help options:", NULL }

/* PATH arguments and --lease NAME options, in order; 64 with e set on a
 * bad option, or when what is given and there are none (what says so). */
int vl_read_resources(poptContext ctx, struct vl_reslist *l, const char *what,
		      struct vl_error *e);
/* The message of a bad option (rc from poptGetNextOpt, < -1): 64. */
int vl_bad_option(poptContext ctx, int rc, struct vl_error *e);
/* The holders of every resource of l, canonical paths; one that cannot
 * be inquired is said and skipped, its code returned. */
int vl_find_holders(const struct vl_driver *drv, const struct vl_reslist *l,
		    struct vl_found_list *out, struct vl_error *e);

/* Reads the options of a command on one process, whose table sets
 * *pid_arg and *timeout_arg: 64 (e set) on a bad option, a missing or bad
 * --pid, an argument left over or a bad --timeout (seconds, -1 forever);
 * usage: how the command is called. */
int vl_pid_command(poptContext ctx, char *const *pid_arg, long *pid,
		   char *const *timeout_arg, double *timeout, const char *usage,
		   struct vl_error *e);
/* The table of audit's findings that are not ok (none: nothing). */
struct audit_proc;
void vl_print_findings(FILE *out, const struct audit_proc *p, size_t n);

/* libsmartcols, loaded only to print a table (vl_load_scols, or exit):
 * linked, every start (vmlock run's too) would load and relocate it. */
#define SCOLS_FUNCS(X) X(scols_new_table) X(scols_table_enable_raw) \
	X(scols_table_enable_noheadings) X(scols_table_set_stream) \
	X(scols_table_new_column) X(scols_table_new_line) \
	X(scols_line_set_data) X(scols_print_table) X(scols_unref_table)
VL_LIB_EXTERNS(SCOLS_FUNCS)
void vl_load_scols(void);

#endif
