/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock sync: the vmlock locks of a running QEMU made to match what it
 * uses (vmlock(1), sync), as audit_process saw it:
 *
 * - a file QEMU uses with no vmlock lock, or written while the lock is
 *   readonly: a new lock fd, locked in the mode QEMU needs, handed to
 *   QEMU with QMP getfd (named vmlock-MODE-DEV-INO), the weaker lock
 *   given up only once the new one is held (a guard keeps newcomers out
 *   meanwhile);
 * - a handover slot: settled into the exclusive lock with byte 0;
 * - a lock stronger than a read-only use: lowered to readonly;
 * - a lock on a file QEMU no longer has open: released.
 * The last three work on the process's own lock fds, through copies
 * taken with pidfd_getfd(2). Additions and upgrades come first,
 * lowering and releases last, so that no file is ever locked weaker than
 * QEMU uses it. */
#ifndef VMLOCK_AUDIT_SYNC_H
#define VMLOCK_AUDIT_SYNC_H

#include "audit/audit.h"

struct qmp;

struct audit_sync_opts {
	double timeout;		/* seconds for each QMP reply */
	double patience;	/* seconds a busy file is tried again */
	/* when not NULL, called for each change made */
	void (*done)(const char *path, const char *what);
	struct qmp *q;		/* a connection to a->qmp to use, or NULL */
};

/* Makes the locks of a->pid match a, its files marked skip aside.
 * Returns 0; 75 when a lock it needs is held by another (e names it;
 * nothing changed); 69 when it had no QMP socket to hand new locks
 * through (the rest done; e names what was not locked); 77 when it may
 * not take the process's fds; another exit code with e set. */
int audit_sync(const struct audit_proc *a, const struct audit_sync_opts *o,
	       struct vl_error *e);

#endif
