/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The source side of a migration for drivers whose locks live on files:
 * guard, check the source still holds, offer, wait for the target. */
#include "config.h"
#include "lock/holders.h"
#include "lock/lockproto.h"
#include "lock/lockspace.h"
#include "util/proc.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct offer {
	int fd, slot;
	dev_t dev;
	ino_t ino;
	char *path;		/* what it stands for: image path or lease */
};

struct source {
	long pid;
	int pidfd;		/* readable once the source exits; -1 */
};

/* Opens the very file the process holds, through its fd. */
static int open_held(long pid, const struct pid_lock *pl)
{
	char proc[64];
	struct stat st;

	/* read-write: an offer is a write lock, proof that it comes from
	 * someone who may write the resource */
	snprintf(proc, sizeof proc, "/proc/%ld/fd/%d", pid, pl->fd);
	int fd = open(proc, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && pl->path)
		fd = open(pl->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) || st.st_dev != pl->dev ||
			st.st_ino != pl->ino)) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

static bool source_alive(const struct source *src, int wait_ms)
{
	if (src->pidfd >= 0)
		return !vl_pidfd_exited(src->pidfd, wait_ms);
	if (wait_ms)
		nanosleep(&(struct timespec){ 0, wait_ms * 1000000L }, NULL);
	return kill((pid_t)src->pid, 0) == 0 || errno == EPERM;
}

/* Guards every exclusive resource of the source. */
static int guard_all(const struct source *src, struct pid_lock *pl, size_t n,
		     struct offer *o, size_t *count, struct vl_error *e)
{
	*count = 0;
	for (size_t i = 0; i < n; i++) {
		if (pl[i].mode != VL_EXCLUSIVE || pl[i].role == VL_ROLE_OFFER)
			continue;
		struct offer *of = &o[(*count)++];
		*of = (struct offer){ .fd = open_held(src->pid, &pl[i]),
				      .slot = lp_slot_to_offer(pl[i].byte),
				      .dev = pl[i].dev, .ino = pl[i].ino };
		if (of->fd < 0)
			return vl_fail(e, vl_errno_code(errno), "%s: cannot open "
				       "it read-write as pid %ld holds it: %s",
				       pl[i].path ? pl[i].path : "?", src->pid,
				       strerror(errno));
		of->path = lockspace_display_name(of->fd, pl[i].path);
		if (lp_slot_taken(of->fd, of->slot))
			return vl_fail(e, EX_TEMPFAIL, "%s: handover slot %d is "
				       "held already, by an earlier incoming "
				       "target (see vmlock inquire); stop it "
				       "first", of->path, of->slot);
		int rc = lp_guard(of->fd);
		if (rc == EAGAIN)
			return vl_fail(e, EX_TEMPFAIL, "%s: another handover "
				       "guards it already (see vmlock inquire)",
				       of->path);
		if (rc)
			return vl_fail(e, EX_OSERR, "%s: cannot guard: %s",
				       of->path, strerror(rc));
	}
	return 0;
}

/* Under the guard no one acquires anew; if the source still holds every
 * resource now, no one but the source held them since the guard rose. */
static int check_source_holds(const struct source *src, struct offer *o,
			      size_t count, struct vl_error *e)
{
	struct pid_lock *pl;
	size_t n;
	int rc = 0, err = holders_of_pid(src->pid, &pl, &n);

	if (err)
		rc = vl_fail(e, EX_TEMPFAIL, "pid %ld: %s; nothing handed over",
			     src->pid, strerror(err));
	for (size_t i = 0; i < count && !rc; i++) {
		bool held = false;
		for (size_t j = 0; j < n; j++)
			held |= pl[j].dev == o[i].dev && pl[j].ino == o[i].ino &&
				pl[j].mode == VL_EXCLUSIVE;
		if (!held)
			rc = vl_fail(e, EX_TEMPFAIL, "%s: pid %ld no longer "
				     "holds it; nothing handed over", o[i].path,
				     src->pid);
	}
	if (!rc && !source_alive(src, 0))
		rc = vl_fail(e, EX_TEMPFAIL, "pid %ld exited; nothing handed "
			     "over", src->pid);
	pid_locks_free(pl, n);
	return rc;
}

static size_t count_accepted(const struct offer *o, size_t n)
{
	size_t accepted = 0;

	for (size_t i = 0; i < n; i++)
		accepted += lp_slot_accepted(o[i].fd, o[i].slot);
	return accepted;
}

/* -v: how far the target has come and the seconds left, at the start
 * and every 5 s after. */
static void say_left(const struct vl_deadline *d, double *next, size_t taken,
		     size_t count)
{
	double left = vl_deadline_left(d);

	if (left > *next)
		return;
	*next = d->forever ? -1 : left - 5;
	if (d->forever)
		vl_debug("waiting for the target: %zu of %zu taken, no time "
			 "limit", taken, count);
	else
		vl_debug("waiting for the target: %zu of %zu taken, %.0f s left",
			 taken, count, left);
}

/* Waits until a target has accepted every slot (it does so once all its
 * locks are held), the source exits or time is up; withdraws, and judges
 * by the acceptances, which a target never takes back. */
static int wait_for_target(const struct source *src, struct offer *o,
			   size_t count, const struct vl_deadline *d,
			   void (*done)(const char *path), struct vl_error *e)
{
	bool alive = true;
	double next = 1e18;
	size_t taken;

	while ((taken = count_accepted(o, count)) < count &&
	       !vl_deadline_passed(d) && (alive = source_alive(src, 5)))
		say_left(d, &next, taken, count);
	for (size_t i = 0; i < count; i++)
		lp_unlock(o[i].fd);
	size_t missing = 0;
	for (size_t i = 0; i < count; i++) {
		if (lp_slot_accepted(o[i].fd, o[i].slot)) {
			done(o[i].path);
			continue;
		}
		missing++;
		vl_warn("%s: not taken by a target%s; offer withdrawn", o[i].path,
			alive ? " within the timeout" : " before its source exited");
	}
	if (!missing)
		return 0;
	return vl_fail(e, EX_TEMPFAIL, "handover of pid %ld %s", src->pid,
		       alive ? "timed out" : "failed: the source exited");
}

int fdlock_handover(long pid, const struct vl_deadline *d,
		    void (*done)(const char *path), struct vl_error *e)
{
	struct source src = { pid, vl_pidfd_open(pid) };
	struct pid_lock *pl;
	size_t n, count = 0;
	int rc = holders_of_pid(pid, &pl, &n);

	if (rc) {
		if (src.pidfd >= 0)
			close(src.pidfd);
		return vl_fail(e, rc == ESRCH || rc == ENOENT ? EX_NOINPUT :
			       vl_errno_code(rc), "pid %ld: %s", pid,
			       rc == ENOENT ? "no such process" : strerror(rc));
	}
	struct offer *o = vl_calloc(n, sizeof *o);
	rc = guard_all(&src, pl, n, o, &count, e);
	if (!rc)
		rc = check_source_holds(&src, o, count, e);
	for (size_t i = 0; i < count && !rc; i++)
		if ((rc = lp_offer(o[i].fd, o[i].slot)))
			rc = vl_fail(e, EX_OSERR, "%s: cannot offer: %s",
				     o[i].path, strerror(rc));
		else
			vl_debug("%s: offered to an incoming target (slot %d)",
				 o[i].path, o[i].slot);
	if (!rc && count == 0)
		vl_note("pid %ld holds nothing exclusive through vmlock: "
			"nothing to hand over", pid);
	if (!rc)
		rc = wait_for_target(&src, o, count, d, done, e);
	for (size_t i = 0; i < count; i++) {
		if (o[i].fd >= 0)
			close(o[i].fd);	/* withdraws, if not done yet */
		free(o[i].path);
	}
	if (src.pidfd >= 0)
		close(src.pidfd);
	free(o);
	pid_locks_free(pl, n);
	return rc;
}
