/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The lock byte protocol shared by the fcntl and lockspace drivers: which
 * OFD locks on which bytes of a file stand for which mode (vmlock(1),
 * LOCK BYTES). Kernel state only: nothing to go stale. */
#ifndef VMLOCK_LOCK_LOCKPROTO_H
#define VMLOCK_LOCK_LOCKPROTO_H

#include <vmlock/driver.h>

#include <stdbool.h>
#include <sys/types.h>

#define LP_BASE		((off_t)1 << 40)
#define LP_EXCLUSIVE	(LP_BASE + 0)	/* class bytes: one per mode */
#define LP_SHARED	(LP_BASE + 1)
#define LP_READONLY	(LP_BASE + 2)
#define LP_SLOT0	(LP_BASE + 3)	/* handover slots, write-locked */
#define LP_SLOTS	2
#define LP_OFFER0	(LP_BASE + 5)	/* offer for slot 0, then slot 1 */
#define LP_GUARD	(LP_BASE + 7)	/* a handover is under way */
#define LP_ACCEPT0	(LP_BASE + 8)	/* a target took slot 0 (or 1) for good */
#define LP_END		(LP_BASE + 10)	/* first byte past the region */
#define LP_LIBVIRT	((off_t)0)	/* virtlockd's byte, for mutual exclusion */

/* What stands in the way of a lock. */
struct lp_conflict {
	enum vl_mode mode;	/* mode that the conflicting lock stands for */
	enum vl_role role;
	off_t byte;		/* a byte of the conflicting lock */
	short type;		/* F_RDLCK or F_WRLCK */
};

/* Takes the locks of mode on fd without blocking. Returns 0, EAGAIN with
 * c filled when busy (nothing left locked), or another errno. */
int lp_lock(int fd, enum vl_mode mode, struct lp_conflict *c);
/* lp_lock, whose check (after the class lock) first looks at once from
 * byte below (>= 0) to the end of the region: *clear when no one else
 * holds anything there, so that the caller need not look below the
 * region either. One fcntl instead of two or three on a free file. */
int lp_lock_clear(int fd, enum vl_mode mode, off_t below, bool *clear,
		  struct lp_conflict *c);
/* Waits until the conflict c may be gone or the deadline passes; returns
 * 0 (try again), ETIMEDOUT, or another errno. May leave mode's first lock
 * taken, which a following lp_lock takes over or lp_unlock drops. */
int lp_wait(int fd, enum vl_mode mode, const struct lp_conflict *c,
	    const struct vl_deadline *d);
/* Sleeps a growing, jittered pause (4 ms to 256 ms); 0 or ETIMEDOUT. */
int lp_pause(const struct vl_deadline *d);
void lp_unlock(int fd);
/* Would lp_lock of mode on fd meet a conflict? Takes nothing, so an fd
 * open read-only will do: 0, EAGAIN with c filled, or another errno. */
int lp_test(int fd, enum vl_mode mode, struct lp_conflict *c);
/* Does a lock at [start, end] of type, held by another, stand in the way
 * of acquiring mode? c says what it stands for. */
bool lp_in_the_way(off_t start, off_t end, short type, enum vl_mode mode,
		   struct lp_conflict *c);

/* Every lock of a handover (slot, offer, guard, accept) is a write lock,
 * which only an fd open for writing can take: a reader can fake none.
 *
 * Target side of a handover: the exclusive lock through a handover slot
 * while a source offers that slot under the guard (*slot: which; -1 when
 * none), else the exclusive lock as usual. Same returns as lp_lock. */
int lp_lock_incoming(int fd, int *slot, struct lp_conflict *c);
/* Source side: the slot a target must take from a holder whose lock
 * starts at byte (a class byte, or the slot a previous handover gave). */
int lp_slot_to_offer(off_t holder_byte);
/* Raises the guard: from now on no one acquires the resource anew.
 * 0 or errno (EBADF: fd is not open for writing). */
int lp_guard(int fd);
/* Offers slot on fd, under the guard; 0 or errno. */
int lp_offer(int fd, int slot);
/* Has a target taken slot? */
bool lp_slot_taken(int fd, int slot);
/* Target side, once every lock of the launch is held: slot is taken for
 * good. A source counts only accepted slots. */
int lp_accept(int fd, int slot);
bool lp_slot_accepted(int fd, int slot);

/* Changes in place, on an fd that holds a lock already (vmlock sync,
 * through a copy of a QEMU's lock fd): never less held on the way.
 *
 * Takes the lock of mode on fd beside what it holds already (a handover
 * slot that may then go, a guard): class bytes, then byte 0. 0; EAGAIN
 * with c filled (another holder, such as the migration source); or
 * another errno. On failure fd holds what it held before, and no more. */
int lp_lock_beside(int fd, enum vl_mode mode, struct lp_conflict *c);
/* Gives back the class bytes and byte 0, nothing else. */
void lp_unlock_class(int fd);
/* The handover slot a lock starting at byte stands for (a slot or its
 * accept byte), or -1. */
int lp_slot_of(off_t byte);
/* Drops handover slot slot and its accept byte, nothing else. */
void lp_drop_slot(int fd, int slot);
/* Lowers the lock held on fd (exclusive or shared) to readonly. 0;
 * EAGAIN with c filled (another shared holder: it stays shared); or
 * another errno. */
int lp_lower(int fd, enum vl_mode held, struct lp_conflict *c);
/* Drops the guard lp_guard raised, nothing else. */
void lp_unguard(int fd);

/* What a lock at [start, end] of the given type, held by someone, stands
 * for. Returns false for bytes outside the protocol (QEMU's own, say). */
bool lp_classify(off_t start, off_t end, short type, enum vl_mode *mode,
		 enum vl_role *role);

/* Who else holds fd's file, as seen through F_OFD_GETLK: at most one
 * conflict per role and mode. Returns the number found (up to max). */
size_t lp_probe(int fd, struct lp_conflict *out, size_t max);

#endif
