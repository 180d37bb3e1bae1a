/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock revoke: stop the local holders of resources. */
#include "config.h"
#include "api/api.h"
#include "cmd/commands.h"
#include "util/util.h"

#include <errno.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A signal by number, or by any name kill(1) knows (sigabbrev_np), with
 * or without SIG, in either case; -1 when none. */
static int signal_number(const char *name)
{
	char *end;
	long n = strtol(name, &end, 10);

	if (*name && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigabbrev_np(sig) && !strcasecmp(name, sigabbrev_np(sig)))
			return sig;
	return -1;
}

/* Holders revoke must not or cannot signal: another user's, another
 * host's, or a lock manager's (virtlockd, sanlock) own process. */
static int check_signallable(const struct vl_found *f, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < f[i].holders.n; j++) {
			const struct vl_holder *h = &f[i].holders.v[j];
			char *who = vl_holder_describe(h);
			if (h->role == VL_ROLE_FOREIGN || h->remote) {
				vl_warn("%s: held by %s: not vmlock's to "
					"revoke", f[i].path, who);
				rc = rc ?: EX_TEMPFAIL;
			} else if (h->pid < 0 || (kill((pid_t)h->pid, 0) < 0 &&
						  errno == EPERM)) {
				vl_warn("%s: held by %s: may not signal it",
					f[i].path, who);
				rc = EX_NOPERM;
			}
			free(who);
		}
	return rc;
}

/* Signals every local vmlock holder of f; EX_NOPERM if one may not be. */
static int signal_holders(const struct vl_found *f, int sig)
{
	int rc = 0;

	for (size_t i = 0; i < f->holders.n; i++) {
		const struct vl_holder *h = &f->holders.v[i];
		if (h->pid <= 0 || h->role == VL_ROLE_FOREIGN)
			continue;
		if (kill((pid_t)h->pid, sig) < 0 && errno == EPERM) {
			vl_warn("%s: may not signal pid %ld: %s", f->path,
				h->pid, strerror(errno));
			rc = EX_NOPERM;
		} else {
			const char *abbrev = sigabbrev_np(sig);
			char *who = vl_holder_describe(h), num[16];
			snprintf(num, sizeof num, "%d", sig);
			vl_note("%s: sent %s%s to %s", f->path,
				abbrev ? "SIG" : "signal ", abbrev ? abbrev : num,
				who);
			free(who);
		}
	}
	return rc;
}

static bool all_free(const struct vl_driver *drv, const struct vl_reslist *l,
		     struct vl_found *f, size_t n)
{
	bool free_now = true;

	for (size_t i = 0; i < n; i++) {
		struct vl_resource r = l->v[i];
		struct vl_error e;
		vl_holders_free(&f[i].holders);
		if (drv->inquire(&r, &f[i].holders, &e) == 0)
			free_now &= f[i].holders.n == 0;
	}
	return free_now;
}

static int revoke_all(const struct vl_driver *drv, const struct vl_reslist *l,
		      struct vl_found *f, size_t n, int sig, double grace)
{
	struct vl_deadline d = vl_deadline_in(grace);
	int rc = check_signallable(f, n);

	if (rc)
		return rc;	/* nothing signalled */
	for (size_t i = 0; i < n; i++)
		rc = signal_holders(&f[i], sig) ?: rc;
	while (!all_free(drv, l, f, n) && !vl_deadline_passed(&d))
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	if (!all_free(drv, l, f, n)) {
		for (size_t i = 0; i < n; i++)
			rc = signal_holders(&f[i], SIGKILL) ?: rc;
		for (int tries = 0; tries < 100 && !all_free(drv, l, f, n); tries++)
			nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < f[i].holders.n; j++) {
			char *who = vl_holder_describe(&f[i].holders.v[j]);
			vl_warn("%s: still held by %s", f[i].path, who);
			free(who);
			if (!rc)
				rc = EX_TEMPFAIL;
		}
	return rc;
}

int cmd_revoke(int argc, const char **argv)
{
	char *signame = NULL, *grace_arg = NULL;
	const struct poptOption table[] = {
		{ "signal", 's', POPT_ARG_STRING, &signame, 0,
		  "signal to send first (default TERM)", "SIG" },
		{ "grace", 'g', POPT_ARG_STRING, &grace_arg, 0,
		  "seconds to wait before SIGKILL (default 10)", "SECONDS" },
		VL_LEASE_OPTION,
		VL_SETUP_OPTIONS,
		VL_HELP_OPTIONS,
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext(argv[0], argc, argv, table, 0);
	const struct vl_driver *drv = NULL;
	struct vl_reslist l = {0};
	struct vl_found_list f = {0};
	struct vl_error e = {0};
	double grace = 10;
	int sig, rc;

	poptSetOtherOptionHelp(ctx, "[OPTIONS] PATH...");
	rc = vl_read_resources(ctx, &l, "no PATH given (or --lease)", &e);
	sig = signame ? signal_number(signame) : SIGTERM;
	if (!rc && sig < 0)
		rc = vl_fail(&e, EX_USAGE, "--signal \"%s\": unknown signal",
			     signame);
	else if (!rc && grace_arg && (!vl_parse_seconds(grace_arg, &grace) ||
				      grace < 0))
		rc = vl_fail(&e, EX_USAGE, "--grace \"%s\": not a number of "
			     "seconds", grace_arg);
	else if (!rc && !(drv = vl_setup_driver(&e)))
		rc = e.code;
	if (rc && e.code)
		vl_warn("%s", e.msg);
	if (!rc)
		rc = vl_find_holders(drv, &l, &f, &e);
	if (!rc)
		rc = revoke_all(drv, &l, f.v, f.n, sig, grace);
	vl_found_free(&f);
	vl_reslist_free(&l);
	vl_setup_free();
	free(signame);
	free(grace_arg);
	poptFreeContext(ctx);
	return rc;
}
