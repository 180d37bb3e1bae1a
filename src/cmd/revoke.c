/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock revoke: stop the local holders of resources. */
#include "config.h"
#include "api/api.h"
#include "cmd/commands.h"
#include "util/proc.h"
#include "util/util.h"

#include <errno.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

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

/* One process revoke set out to stop: a holder when it began, pinned by
 * its pidfd, so that neither a launcher that takes the resource later
 * nor a process that reuses the pid is ever signalled. */
struct target {
	long pid;
	int pidfd;		/* -1 once it has exited */
	const char *path;	/* the first resource it held */
	char *who;		/* "pid N (COMMAND)", as it held */
};

struct targets {
	struct target *v;
	size_t n, cap;
};

static bool is_target(const struct targets *t, long pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].pid == pid)
			return true;
	return false;
}

static bool holds(const struct vl_found *f, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < f[i].holders.n; j++)
			if (f[i].holders.v[j].pid == pid)
				return true;
	return false;
}

/* Refreshes every resource's holders; true when all are free. */
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

/* The local holders of f, each pinned by a pidfd, then checked to hold
 * still: a pid that left before its pidfd was open may be another
 * process by now. */
static int pin_targets(const struct vl_driver *drv, const struct vl_reslist *l,
		       struct vl_found *f, size_t n, struct targets *t)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < f[i].holders.n; j++) {
			const struct vl_holder *h = &f[i].holders.v[j];
			if (h->pid <= 0 || is_target(t, h->pid))
				continue;
			int pidfd = vl_pidfd_open(h->pid);
			if (pidfd < 0 && errno != ESRCH) {
				vl_warn("pid %ld: pidfd_open: %s; nothing "
					"signalled", h->pid, strerror(errno));
				return EX_OSERR;
			}
			if (pidfd >= 0)
				*VL_PUSH(t->v, t->n, t->cap) = (struct target){
					h->pid, pidfd, f[i].path,
					vl_holder_describe(h) };
		}
	all_free(drv, l, f, n);
	for (size_t i = 0; i < t->n; i++)
		if (!holds(f, n, t->v[i].pid)) {
			close(t->v[i].pidfd);
			t->v[i].pidfd = -1;	/* left already: not ours */
		}
	return 0;
}

static const char *sig_name(int sig)
{
	static char name[32];
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(name, sizeof name, "SIG%s", abbrev);
	else
		snprintf(name, sizeof name, "signal %d", sig);
	return name;
}

static int send_all(struct targets *t, int sig, const char *why)
{
	int rc = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct target *g = &t->v[i];
		if (g->pidfd < 0)
			continue;
		int err = vl_pidfd_signal(g->pidfd, sig);
		if (!err)
			vl_note("%s: sent %s to %s%s", g->path, sig_name(sig),
				g->who, why);
		else if (err != ESRCH) {
			vl_warn("%s: may not send %s to %s: %s", g->path,
				sig_name(sig), g->who, strerror(err));
			rc = EX_NOPERM;
		}
	}
	return rc;
}

/* Waits until every target has exited (its pidfd says so only once
 * its files, and so its locks, are gone), or the deadline; says which
 * went. True when all did. */
static bool wait_targets(struct targets *t, const struct vl_deadline *d)
{
	for (;;) {
		size_t left = 0;
		for (size_t i = 0; i < t->n; i++) {
			struct target *g = &t->v[i];
			if (g->pidfd < 0)
				continue;
			if (vl_pidfd_exited(g->pidfd, 0)) {
				vl_note("pid %ld: exited", g->pid);
				close(g->pidfd);
				g->pidfd = -1;
			} else {
				left++;
			}
		}
		if (!left || vl_deadline_passed(d))
			return !left;
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
}

/* What holds each resource now: a target that would not go, or a
 * launcher that took it after the revoke began, never signalled. */
static int report(const struct vl_found *f, size_t n, const struct targets *t)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (!f[i].holders.n)
			vl_note("%s: free", f[i].path);
		for (size_t j = 0; j < f[i].holders.n; j++) {
			const struct vl_holder *h = &f[i].holders.v[j];
			char *who = vl_holder_describe(h);
			vl_warn("%s: still held by %s%s", f[i].path, who,
				is_target(t, h->pid) ? "" : ", which took it "
				"after the revoke began: not signalled");
			free(who);
			rc = EX_TEMPFAIL;
		}
	}
	return rc;
}

static int revoke_all(const struct vl_driver *drv, const struct vl_reslist *l,
		      struct vl_found *f, size_t n, int sig, double grace)
{
	struct vl_deadline d = vl_deadline_in(grace);
	struct targets t = {0};
	int rc = check_signallable(f, n);

	if (rc)
		return rc;	/* nothing signalled */
	rc = pin_targets(drv, l, f, n, &t);
	if (!rc)
		rc = send_all(&t, sig, "");
	if (!rc && !wait_targets(&t, &d)) {
		char *why = vl_asprintf(" (still holding after the %g s grace)",
					grace);
		struct vl_deadline kill_wait = vl_deadline_in(2);
		rc = send_all(&t, SIGKILL, why);
		wait_targets(&t, &kill_wait);
		free(why);
	}
	if (rc != EX_OSERR) {
		all_free(drv, l, f, n);	/* as it is now */
		rc = report(f, n, &t) ?: rc;
	}
	for (size_t i = 0; i < t.n; i++) {
		if (t.v[i].pidfd >= 0)
			close(t.v[i].pidfd);
		free(t.v[i].who);
	}
	free(t.v);
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
