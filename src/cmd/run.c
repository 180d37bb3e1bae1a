/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock run: lock every resource, then exec the command in this process,
 * so that the lock fds live exactly as long as the command. */
#include "config.h"
#include "api/api.h"
#include "cmd/commands.h"
#include "plan/plan.h"
#include "setup/privileges.h"
#include "util/util.h"

#include <errno.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { OPT_LOCK = 1, OPT_LEASE, OPT_WAIT, OPT_QUIET, OPT_VERBOSE,
       OPT_KEEP_CAP };

struct run_opts {
	struct vl_reslist specs;	/* --lock and --lease, as given */
	struct vl_reslist plan;
	double wait;
	bool wait_set;
	int dry_run, no_backing, force_qemu, incoming, no_groups, no_new_privs,
	    no_vm_lease;
	char *user, *group;
	const char **keep_caps;
	size_t n_keep_caps, keep_caps_cap;
	const char **command;
	int argc;
};

/* Extra fds the run itself may need besides the lock fds. */
#define FD_MARGIN 16

static int parse_options(int argc, const char **argv, struct run_opts *o,
			 struct vl_error *e)
{
	char *arg = NULL;
	const struct poptOption table[] = {
		{ "lock", 'l', POPT_ARG_STRING, &arg, OPT_LOCK,
		  "lock PATH in MODE (exclusive, shared, readonly; default "
		  "exclusive); repeatable", "PATH[:MODE]" },
		{ "lease", 'L', POPT_ARG_STRING, &arg, OPT_LEASE,
		  "lock the named resource NAME (a lease file in the "
		  "lockspace); repeatable", "NAME[:MODE]" },
		{ "no-vm-lease", 0, POPT_ARG_NONE, &o->no_vm_lease, 0,
		  "no exclusive lease on the QEMU command line's -uuid", NULL },
		{ "wait", 'w', POPT_ARG_STRING, &arg, OPT_WAIT,
		  "wait up to SECONDS for busy resources (0: fail at once, "
		  "the default; -1: forever)", "SECONDS" },
		{ "dry-run", 'N', POPT_ARG_NONE, &o->dry_run, 0,
		  "print the resources and modes, lock nothing, run nothing",
		  NULL },
		{ "no-backing", 0, POPT_ARG_NONE, &o->no_backing, 0,
		  "do not follow backing chains", NULL },
		{ "incoming", 0, POPT_ARG_NONE, &o->incoming, 0,
		  "migration target: take exclusive resources that a "
		  "'vmlock handover' offers", NULL },
		{ "qemu", 0, POPT_ARG_NONE, &o->force_qemu, 0,
		  "read the command as a QEMU command line whatever its name",
		  NULL },
		{ "user", 'U', POPT_ARG_STRING, &o->user, 0,
		  "as root: after locking, run the command as USER", "USER" },
		{ "group", 'G', POPT_ARG_STRING, &o->group, 0,
		  "as root: after locking, run the command in GROUP (default: "
		  "USER's)", "GROUP" },
		{ "clear-groups", 0, POPT_ARG_NONE, &o->no_groups, 0,
		  "with --user: no supplementary groups (default: USER's)",
		  NULL },
		{ "keep-cap", 0, POPT_ARG_STRING, &arg, OPT_KEEP_CAP,
		  "with --user: keep capability CAP (repeatable)", "CAP" },
		{ "no-new-privs", 0, POPT_ARG_NONE, &o->no_new_privs, 0,
		  "set PR_SET_NO_NEW_PRIVS before exec", NULL },
		{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE,
		  "say what is locked", NULL },
		{ "quiet", 'q', POPT_ARG_NONE, NULL, OPT_QUIET,
		  "print errors only", NULL },
		VL_SETUP_OPTIONS,
		VL_HELP_OPTIONS,
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext(argv[0], argc, argv, table,
					 POPT_CONTEXT_POSIXMEHARDER);
	int rc = 0, opt;

	poptSetOtherOptionHelp(ctx, "[OPTIONS] -- COMMAND [ARGS...]");
	while (!rc && (opt = poptGetNextOpt(ctx)) > 0) {
		switch (opt) {
		case OPT_LOCK:
			rc = vl_plan_add_spec(&o->specs, VL_FILE, arg, e);
			break;
		case OPT_LEASE:
			rc = vl_plan_add_spec(&o->specs, VL_LEASE, arg, e);
			break;
		case OPT_WAIT:
			if (!vl_parse_seconds(arg, &o->wait))
				rc = vl_fail(e, EX_USAGE, "--wait \"%s\": not a "
					     "number of seconds (>= 0, or -1)",
					     arg);
			o->wait_set = true;
			break;
		case OPT_KEEP_CAP:
			*VL_PUSH(o->keep_caps, o->n_keep_caps, o->keep_caps_cap) = arg;
			*VL_PUSH(o->keep_caps, o->n_keep_caps, o->keep_caps_cap) = NULL;
			o->n_keep_caps--;	/* NULL-ended */
			arg = NULL;
			break;
		case OPT_VERBOSE:
			vl_verbosity = 1;
			break;
		case OPT_QUIET:
			vl_verbosity = -1;
			break;
		}
		free(arg);
		arg = NULL;
	}
	if (!rc && opt < -1)
		rc = vl_bad_option(ctx, opt, e);
	const char **rest = poptGetArgs(ctx);
	if (!rc && (!rest || !rest[0]))
		rc = vl_fail(e, EX_USAGE, "no command given: vmlock run "
			     "[OPTIONS] -- COMMAND [ARGS...]");
	if (!rc) {
		for (o->argc = 0; rest[o->argc]; o->argc++)
			;
		o->command = vl_calloc((size_t)o->argc + 1, sizeof *o->command);
		for (int i = 0; i < o->argc; i++)	/* popt frees its copies */
			o->command[i] = vl_strdup(rest[i]);
	}
	poptFreeContext(ctx);
	return rc;
}

/* Finds the program as execvp would, before anything is locked. */
static int resolve_command(const char *cmd, char **path, struct vl_error *e)
{
	const char *dirs = getenv("PATH");
	int denied = 0;
	struct stat st;

	if (strchr(cmd, '/')) {
		if (stat(cmd, &st) < 0)
			return vl_fail(e, errno == ENOENT ? 127 : 126, "%s: %s",
				       cmd, strerror(errno));
		if (!S_ISREG(st.st_mode) || access(cmd, X_OK) < 0)
			return vl_fail(e, 126, "%s: not an executable file",
				       cmd);
		*path = vl_strdup(cmd);
		return 0;
	}
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (const char *d = dirs;; d++) {
		size_t len = strcspn(d, ":");
		char *p = vl_asprintf("%.*s/%s", (int)len, len ? d : ".", cmd);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(p, X_OK) == 0) {
				*path = p;
				return 0;
			}
			denied = 1;
		}
		free(p);
		d += len;
		if (!*d)
			break;
	}
	return vl_fail(e, denied ? 126 : 127, "%s: %s", cmd,
		       denied ? "permission denied" : "command not found");
}

/* Room for one fd per resource: raise the soft limit up to the hard one. */
static int make_room_for_fds(size_t n, struct vl_error *e)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n + FD_MARGIN;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		return vl_fail(e, EX_OSERR, "%zu resources need %llu file "
			       "descriptors, more than the hard limit "
			       "RLIMIT_NOFILE %llu (ulimit -Hn); nothing locked",
			       n, (unsigned long long)need,
			       (unsigned long long)rl.rlim_max);
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return vl_fail(e, EX_OSERR, "raising RLIMIT_NOFILE to %llu: %s",
			       (unsigned long long)need, strerror(errno));
	return 0;
}

/* The plan of the run, from the specs and the command line as the files
 * are now. */
static int build_plan(struct run_opts *o, struct vl_reslist *plan,
		      struct vl_error *e)
{
	struct vl_plan_opts po = { .qemu = o->force_qemu,
				   .backing = !o->no_backing,
				   .vm_lease = !o->no_vm_lease };
	int rc;

	for (size_t i = 0; i < o->specs.n; i++)
		vl_reslist_add(plan, o->specs.v[i].kind, o->specs.v[i].path,
			       o->specs.v[i].mode, 0);
	rc = vl_plan_add_command(plan, o->argc, (char *const *)o->command,
				 &po, e);
	return rc ? rc : vl_plan_finish(plan, e);
}

static bool reads_images(const struct run_opts *o)
{
	return o->force_qemu || vl_plan_is_qemu(o->command[0]);
}

/* Bounds how often the images may change under a launcher. */
#define PLAN_ROUNDS 8

/* Locks the plan; then reads the images again, now that nobody else may
 * change them, and starts over (holding nothing) if they name another
 * file or mode than those locked, as when the previous holder rebased an
 * image while this launcher waited. */
static int acquire_stable(struct run_opts *o, const struct vl_driver *drv,
			  const struct vl_acquire_opts *ao, struct vl_error *e)
{
	for (int round = 0; round < PLAN_ROUNDS; round++) {
		struct vl_reslist now = {0};
		bool held = false;
		int rc = make_room_for_fds(o->plan.n, e);

		if (!rc && !(rc = drv->acquire(&o->plan, ao, e)))
			held = true;
		if (!rc && !reads_images(o))
			return 0;	/* --lock paths only: nothing to read */
		if (!rc)
			rc = build_plan(o, &now, e);
		if (!rc && vl_plan_covers(&o->plan, &now)) {
			vl_reslist_free(&now);
			return 0;
		}
		if (held)
			drv->release(&o->plan);
		if (rc) {
			vl_reslist_free(&now);
			return rc;
		}
		vl_reslist_free(&o->plan);
		o->plan = now;
		vl_debug("the images changed while vmlock locked them; again");
	}
	return vl_fail(e, EX_TEMPFAIL, "the images kept changing while vmlock "
		       "locked them (%d times); nothing started", PLAN_ROUNDS);
}

static struct vl_identity identity(const struct run_opts *o)
{
	return (struct vl_identity){
		.user = o->user, .group = o->group,
		.no_groups = o->no_groups, .keep_caps = o->keep_caps,
		.no_new_privs = o->no_new_privs,
	};
}

/* Settings the command line left open come from the configuration. */
static int apply_config(struct run_opts *o, const struct vl_config *c,
			struct vl_error *e)
{
	if (!o->wait_set && c->wait_set)
		o->wait = c->wait;
	if (!o->no_backing && c->backing == 0)
		o->no_backing = 1;
	/* the file's user and group are for runs started as root */
	if (!o->user && c->user && geteuid() == 0)
		o->user = vl_strdup(c->user);
	if (!o->group && c->group && geteuid() == 0) {
		if (!o->user)
			return vl_fail(e, EX_CONFIG, "group = %s in the "
				       "configuration needs user = (or --user)",
				       c->group);
		o->group = vl_strdup(c->group);
	}
	struct vl_identity id = identity(o);
	return vl_identity_check(&id, e);
}

static int lock_and_exec(struct run_opts *o, const struct vl_driver *drv,
			 struct vl_error *e)
{
	struct vl_identity id = identity(o);
	struct vl_acquire_opts ao = { .deadline = vl_deadline_in(o->wait),
				      .incoming = o->incoming };
	char *path = NULL;
	struct timespec t0, t1;
	int rc = resolve_command(o->command[0], &path, e);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!rc)
		rc = acquire_stable(o, drv, &ao, e);
	if (rc) {
		free(path);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (size_t i = 0; i < o->plan.n; i++)
		if (o->plan.v[i].fd >= 0 || !o->plan.v[i].optional)
			vl_debug("locked %s %s", vl_mode_name(o->plan.v[i].mode),
				 vl_resource_label(&o->plan.v[i]));
	vl_debug("%zu resource(s) locked in %.3f s", o->plan.n,
		 (double)(t1.tv_sec - t0.tv_sec) +
		 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = vl_identity_assume(&id, e);
	if (!rc)
		rc = drv->prepare_exec(&o->plan, e);
	if (!rc) {
		execv(path, (char *const *)o->command);
		rc = vl_fail(e, errno == ENOENT ? 127 : 126, "%s: %s",
			     o->command[0], strerror(errno));
	}
	drv->release(&o->plan);
	free(path);
	return rc;
}

int cmd_run(int argc, const char **argv)
{
	struct run_opts o = {0};
	struct vl_error e = {0};
	const struct vl_driver *drv = NULL;
	int rc = parse_options(argc, argv, &o, &e);

	if (!rc && !(drv = vl_setup_driver(&e)))
		rc = e.code;
	if (!rc)
		rc = apply_config(&o, &vl_setup.conf, &e);
	if (!rc)
		rc = build_plan(&o, &o.plan, &e);
	if (!rc && o.dry_run && !(rc = vl_plan_canonicalize(&o.plan, &e)))
		vl_plan_print(&o.plan, stdout);
	else if (!rc)
		rc = lock_and_exec(&o, drv, &e);
	if (rc)
		vl_warn("%s", e.msg);
	vl_reslist_free(&o.plan);
	vl_reslist_free(&o.specs);
	for (int i = 0; i < o.argc; i++)
		free((char *)o.command[i]);
	free(o.command);
	for (size_t i = 0; i < o.n_keep_caps; i++)
		free((char *)o.keep_caps[i]);
	free(o.keep_caps);
	vl_setup_free();
	free(o.user);
	free(o.group);
	return rc;
}
