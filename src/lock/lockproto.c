/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The lock bytes (vmlock(1), LOCK BYTES) as OFD locks on one fd. */
#include "config.h"
#include "api/api.h"
#include "lock/lockproto.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct span {
	off_t start, len;
};

static int ofd(int fd, int cmd, short type, struct span s, struct flock *out)
{
	struct flock fl = {
		.l_type = type, .l_whence = SEEK_SET,
		.l_start = s.start, .l_len = s.len,
	};
	int rc = fcntl(fd, cmd, &fl);

	if (out)
		*out = fl;
	return rc < 0 ? errno : 0;
}

/* The lock a mode takes first, atomically: its class byte(s). */
static struct span class_span(enum vl_mode mode)
{
	switch (mode) {
	case VL_EXCLUSIVE:
		return (struct span){ LP_EXCLUSIVE, 3 };
	case VL_SHARED:
		return (struct span){ LP_SHARED, 1 };
	default:
		return (struct span){ LP_READONLY, 1 };
	}
}

static short class_type(enum vl_mode mode)
{
	return mode == VL_EXCLUSIVE ? F_WRLCK : F_RDLCK;
}

bool lp_classify(off_t start, off_t end, short type, enum vl_mode *mode,
		 enum vl_role *role)
{
	if (start <= LP_LIBVIRT && end >= LP_LIBVIRT) {
		*mode = type == F_WRLCK ? VL_EXCLUSIVE : VL_SHARED;
		*role = VL_ROLE_FOREIGN;
		return true;
	}
	if (end < LP_BASE || start >= LP_END)
		return false;
	if (start >= LP_ACCEPT0) {
		*mode = VL_EXCLUSIVE;
		*role = VL_ROLE_INCOMING;
	} else if (start >= LP_OFFER0) {
		*mode = VL_EXCLUSIVE;
		*role = VL_ROLE_OFFER;
	} else if (start >= LP_SLOT0) {
		*mode = VL_EXCLUSIVE;
		*role = VL_ROLE_INCOMING;
	} else {
		*role = VL_ROLE_HOLDER;
		*mode = type == F_WRLCK ? VL_EXCLUSIVE :
			start == LP_SHARED ? VL_SHARED : VL_READONLY;
	}
	return true;
}

static void describe(const struct flock *fl, struct lp_conflict *c)
{
	off_t end = fl->l_len ? fl->l_start + fl->l_len - 1 : LP_END;

	c->byte = fl->l_start;
	c->type = fl->l_type;
	if (!lp_classify(fl->l_start, end, fl->l_type, &c->mode, &c->role)) {
		c->mode = VL_EXCLUSIVE;
		c->role = VL_ROLE_FOREIGN;
	}
}

/* Is a lock of type held by someone else anywhere in s? */
static int probe(int fd, short type, struct span s, struct lp_conflict *c)
{
	struct flock fl;
	int rc = ofd(fd, F_OFD_GETLK, type, s, &fl);

	if (rc)
		return rc;
	if (fl.l_type == F_UNLCK)
		return 0;
	describe(&fl, c);
	return EAGAIN;
}

/* After a class lock of mode is held: would another holder conflict?
 * Holders lock first and check second, so of two racing incompatible
 * acquirers at least one sees the other. */
static int check_others(int fd, enum vl_mode mode, struct lp_conflict *c)
{
	/* Slots (write-locked), offers and the guard (read-locked) all stand
	 * in the way: one write probe from the first slot to the end. A
	 * shared holder's probe starts one byte earlier, at the readonly
	 * class byte. */
	off_t from = mode == VL_SHARED ? LP_READONLY : LP_SLOT0;
	int rc = 0;

	if (mode == VL_READONLY)
		rc = probe(fd, F_WRLCK, (struct span){ LP_SHARED, 1 }, c);
	if (!rc)
		rc = probe(fd, F_WRLCK, (struct span){ from, LP_END - from }, c);
	return rc;
}

/* check_others, after one look from byte below to the region's end:
 * when no one else holds anything there (the common case) that answers
 * every check at once, and the caller's below the region too (*clear). */
static int check_clear(int fd, enum vl_mode mode, off_t below, bool *clear,
		       struct lp_conflict *c)
{
	struct lp_conflict ignored;

	*clear = below >= 0 && probe(fd, F_WRLCK, (struct span){
		below, LP_END - below }, &ignored) == 0;
	return *clear ? 0 : check_others(fd, mode, c);
}

/* Takes span, or says what holds it; a holder that left in between
 * is simply gone, so try again. */
static int take(int fd, short type, struct span s, struct lp_conflict *c)
{
	for (int tries = 0;; tries++) {
		int rc = ofd(fd, F_OFD_SETLK, type, s, NULL);
		if (rc != EAGAIN || probe(fd, type, s, c) == EAGAIN)
			return rc;
		if (tries == 8) {	/* churn: report a plain holder */
			*c = (struct lp_conflict){ VL_EXCLUSIVE, VL_ROLE_HOLDER,
						   s.start, F_WRLCK };
			return EAGAIN;
		}
	}
}

/* mode's class lock, the check, byte 0; *first: the class lock failed. */
static int take_mode(int fd, enum vl_mode mode, off_t below, bool *clear,
		     struct lp_conflict *c, bool *first)
{
	short type = class_type(mode);
	int rc = take(fd, type, class_span(mode), c);

	*first = rc != 0;
	*clear = false;
	if (!rc)
		rc = check_clear(fd, mode, below, clear, c);
	if (!rc)
		rc = take(fd, type, (struct span){ LP_LIBVIRT, 1 }, c);
	return rc;
}

int lp_lock_clear(int fd, enum vl_mode mode, off_t below, bool *clear,
		  struct lp_conflict *c)
{
	bool first;
	int rc = take_mode(fd, mode, below, clear, c, &first);

	if (rc && !(first && rc == EAGAIN))
		lp_unlock(fd);
	return rc;
}

int lp_lock(int fd, enum vl_mode mode, struct lp_conflict *c)
{
	bool clear;

	return lp_lock_clear(fd, mode, -1, &clear, c);
}

int lp_test(int fd, enum vl_mode mode, struct lp_conflict *c)
{
	short type = class_type(mode);
	int rc = probe(fd, type, class_span(mode), c);

	if (!rc)
		rc = check_others(fd, mode, c);
	if (!rc)
		rc = probe(fd, type, (struct span){ LP_LIBVIRT, 1 }, c);
	return rc;
}

bool lp_in_the_way(off_t start, off_t end, short type, enum vl_mode mode,
		   struct lp_conflict *c)
{
	if (!lp_classify(start, end, type, &c->mode, &c->role))
		return false;
	c->byte = start;
	c->type = type;
	switch (c->role) {
	case VL_ROLE_HOLDER:
		return !vl_modes_compatible(c->mode, mode);
	case VL_ROLE_FOREIGN:	/* byte 0 */
		return type == F_WRLCK || mode == VL_EXCLUSIVE;
	default:		/* slots, offers, the guard */
		return true;
	}
}

void lp_unlock(int fd)
{
	ofd(fd, F_OFD_SETLK, F_UNLCK, (struct span){ LP_LIBVIRT, 1 }, NULL);
	ofd(fd, F_OFD_SETLK, F_UNLCK, (struct span){ LP_BASE, LP_END - LP_BASE },
	    NULL);
}

/* Does someone else hold a write lock on byte? Only an fd open for
 * writing can take one: a read lock of a reader does not count. */
static bool write_locked(int fd, off_t byte, struct lp_conflict *c)
{
	return probe(fd, F_RDLCK, (struct span){ byte, 1 }, c) == EAGAIN;
}

int lp_lock_incoming(int fd, int *slot_taken, struct lp_conflict *c)
{
	*slot_taken = -1;
	for (int slot = 0; slot < LP_SLOTS; slot++) {
		struct span own = { LP_SLOT0 + slot, 1 };
		struct lp_conflict offer;

		if (ofd(fd, F_OFD_SETLK, F_WRLCK, own, NULL))
			continue;
		/* slot first, offer second: a withdrawn offer is seen */
		if (write_locked(fd, LP_OFFER0 + slot, &offer) &&
		    write_locked(fd, LP_GUARD, &offer)) {
			*slot_taken = slot;
			return 0;
		}
		ofd(fd, F_OFD_SETLK, F_UNLCK, own, NULL);
	}
	return lp_lock(fd, VL_EXCLUSIVE, c);
}

int lp_slot_to_offer(off_t holder_byte)
{
	return holder_byte == LP_SLOT0 ? 1 : 0;
}

int lp_guard(int fd)
{
	return ofd(fd, F_OFD_SETLK, F_WRLCK, (struct span){ LP_GUARD, 1 }, NULL);
}

int lp_offer(int fd, int slot)
{
	return ofd(fd, F_OFD_SETLK, F_WRLCK,
		   (struct span){ LP_OFFER0 + slot, 1 }, NULL);
}

bool lp_slot_taken(int fd, int slot)
{
	struct lp_conflict c;

	return write_locked(fd, LP_SLOT0 + slot, &c);
}

int lp_accept(int fd, int slot)
{
	return ofd(fd, F_OFD_SETLK, F_WRLCK,
		   (struct span){ LP_ACCEPT0 + slot, 1 }, NULL);
}

bool lp_slot_accepted(int fd, int slot)
{
	struct lp_conflict c;

	return lp_slot_taken(fd, slot) &&
	       write_locked(fd, LP_ACCEPT0 + slot, &c);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* SIGALRM at the deadline interrupts a blocking fcntl; whatever the caller
 * had (a blocked or ignored SIGALRM) is restored after, and no alarm is
 * left pending for the command to meet after exec. */
struct alarm_state {
	struct sigaction action;
	sigset_t mask;
};

static void arm_alarm(const struct vl_deadline *d, struct alarm_state *saved)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { 0 };
	sigset_t alrm;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &saved->action);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &alrm, &saved->mask);
	if (!d->forever) {
		double left = vl_deadline_left(d);
		it.it_value.tv_sec = (time_t)left;
		it.it_value.tv_usec = (suseconds_t)((left - (double)(time_t)left) * 1e6);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_alarm(const struct alarm_state *saved)
{
	struct itimerval it = { 0 };
	struct timespec now = { 0, 0 };
	sigset_t alrm;

	setitimer(ITIMER_REAL, &it, NULL);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, NULL);
	while (sigtimedwait(&alrm, NULL, &now) == SIGALRM)
		;	/* fired after the fcntl returned */
	sigprocmask(SIG_SETMASK, &saved->mask, NULL);
	sigaction(SIGALRM, &saved->action, NULL);
}

/* Sleeps for a random part of [ms/2, ms], not past the deadline. */
static void nap(unsigned ms, const struct vl_deadline *d)
{
	double s = (ms / 2 + (unsigned)vl_random() % (ms / 2 + 1)) / 1000.0;
	double left = vl_deadline_left(d);
	struct timespec ts;

	if (s > left)
		s = left;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* A conflict that our own first lock would block on: a write lock over a
 * class byte, or (for exclusive) any class lock. The kernel wakes us. */
static bool blockable(enum vl_mode mode, const struct lp_conflict *c)
{
	if (c->role != VL_ROLE_HOLDER)
		return false;
	return mode == VL_EXCLUSIVE || c->type == F_WRLCK;
}

static unsigned backoff_ms = 4;

int lp_pause(const struct vl_deadline *d)
{
	if (vl_deadline_passed(d))
		return ETIMEDOUT;
	nap(backoff_ms, d);
	if (backoff_ms < 256)
		backoff_ms *= 2;
	return vl_deadline_passed(d) ? ETIMEDOUT : 0;
}

int lp_wait(int fd, enum vl_mode mode, const struct lp_conflict *c,
	    const struct vl_deadline *d)
{
	static bool woken;

	if (vl_deadline_passed(d))
		return ETIMEDOUT;
	/* Woken, then busy again: another acquirer woke with us and each
	 * saw the other. Part before waiting again. */
	if (woken)
		nap(2, d);
	woken = false;
	/* Readers of another class, slots, offers, foreign locks: nothing
	 * we may block on, so poll with growing pauses. */
	if (!blockable(mode, c))
		return lp_pause(d);
	struct alarm_state saved;

	backoff_ms = 4;
	arm_alarm(d, &saved);
	int rc = ofd(fd, F_OFD_SETLKW, class_type(mode), class_span(mode), NULL);
	disarm_alarm(&saved);
	if (rc == EINTR)
		return vl_deadline_passed(d) ? ETIMEDOUT : 0;
	woken = rc == 0;
	return rc;
}

size_t lp_probe(int fd, struct lp_conflict *out, size_t max)
{
	static const struct { off_t start; short type; } asks[] = {
		{ LP_EXCLUSIVE, F_RDLCK },	/* exclusive holders */
		{ LP_SHARED, F_WRLCK },		/* shared (or exclusive) */
		{ LP_READONLY, F_WRLCK },	/* readonly (or exclusive) */
		{ LP_SLOT0, F_RDLCK },
		{ LP_SLOT0 + 1, F_RDLCK },
		{ LP_OFFER0, F_WRLCK },
		{ LP_OFFER0 + 1, F_WRLCK },
		{ LP_GUARD, F_WRLCK },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof asks / sizeof *asks && n < max; i++) {
		struct lp_conflict c;

		if (probe(fd, asks[i].type, (struct span){ asks[i].start, 1 }, &c)
		    != EAGAIN)
			continue;
		bool seen = false;
		for (size_t j = 0; j < n; j++)
			seen |= out[j].role == c.role && out[j].mode == c.mode &&
				out[j].byte == c.byte;
		if (!seen)
			out[n++] = c;
	}
	/* byte 0 alone: a lock manager outside vmlock (virtlockd) */
	if (n == 0 && max > 0 &&
	    probe(fd, F_WRLCK, (struct span){ LP_LIBVIRT, 1 }, &out[0]) == EAGAIN)
		n = 1;
	return n;
}

/* ---- changes in place, on an fd that holds a lock already ------------ */

int lp_lock_beside(int fd, enum vl_mode mode, struct lp_conflict *c)
{
	bool first, clear;
	/* what the description holds already is its own: not in the way */
	int rc = take_mode(fd, mode, -1, &clear, c, &first);

	if (rc)
		lp_unlock_class(fd);
	return rc;
}

void lp_unlock_class(int fd)
{
	ofd(fd, F_OFD_SETLK, F_UNLCK, class_span(VL_EXCLUSIVE), NULL);
	ofd(fd, F_OFD_SETLK, F_UNLCK, (struct span){ LP_LIBVIRT, 1 }, NULL);
}

int lp_slot_of(off_t byte)
{
	if (byte >= LP_SLOT0 && byte < LP_SLOT0 + LP_SLOTS)
		return (int)(byte - LP_SLOT0);
	if (byte >= LP_ACCEPT0 && byte < LP_ACCEPT0 + LP_SLOTS)
		return (int)(byte - LP_ACCEPT0);
	return -1;
}

void lp_drop_slot(int fd, int slot)
{
	ofd(fd, F_OFD_SETLK, F_UNLCK, (struct span){ LP_SLOT0 + slot, 1 }, NULL);
	ofd(fd, F_OFD_SETLK, F_UNLCK, (struct span){ LP_ACCEPT0 + slot, 1 },
	    NULL);
}

int lp_lower(int fd, enum vl_mode held, struct lp_conflict *c)
{
	/* converting a lock the description holds is atomic: readonly
	 * first, then the stronger bytes go */
	int rc = ofd(fd, F_OFD_SETLK, F_RDLCK, class_span(VL_READONLY), NULL);

	if (rc)
		return rc;
	if (held == VL_SHARED &&
	    probe(fd, F_WRLCK, class_span(VL_SHARED), c) == EAGAIN) {
		ofd(fd, F_OFD_SETLK, F_UNLCK, class_span(VL_READONLY), NULL);
		return EAGAIN;	/* another shared holder: stay shared */
	}
	ofd(fd, F_OFD_SETLK, F_UNLCK, (struct span){ LP_EXCLUSIVE, 2 }, NULL);
	return ofd(fd, F_OFD_SETLK, F_RDLCK, (struct span){ LP_LIBVIRT, 1 },
		   NULL);
}

void lp_unguard(int fd)
{
	ofd(fd, F_OFD_SETLK, F_UNLCK, (struct span){ LP_GUARD, 1 }, NULL);
}
