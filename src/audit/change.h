/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock qmp: one QMP command sent to a running QEMU with the files it
 * will open locked first (vmlock(1), qmp):
 *
 * 1. what the command opens or writes, and how (qmp/judge.h);
 * 2. files QEMU is to create made first, empty, by vmlock;
 * 3. each locked as sync locks (new lock fds handed to QEMU with getfd,
 *    upgrades under the guard): all or nothing; busy: not sent;
 * 4. the command sent, QEMU's reply read;
 * 5. success: every lock of QEMU synced, but what a job started by the
 *    command will write stays locked as it was; an error: what step 3
 *    took given back, what step 2 made (still empty) removed. */
#ifndef VMLOCK_AUDIT_CHANGE_H
#define VMLOCK_AUDIT_CHANGE_H

#include <vmlock/resource.h>

struct audit_change_opts {
	long pid;		/* the QEMU, or 0: the peer of socket qmp */
	const char *qmp;	/* its QMP socket, or NULL: PID's own */
	const char *command;	/* the QMP command, as written */
	double timeout;		/* seconds for each QMP reply */
	double wait;		/* seconds a busy file is waited for */
	bool unchecked;		/* send what vmlock cannot judge */
	/* when not NULL, called for each lock change */
	void (*done)(const char *path, const char *what);
};

/* Runs o->command. *reply: QEMU's reply, newly allocated, or NULL when
 * the command was not sent. Returns 0 when QEMU answered success, 1 when
 * it answered an error, else an exit code with e set: 64 a command
 * unreadable or not judged, 65, 66, 77 as for run, 75 busy (not sent),
 * 69 no QMP socket or no answer; after a reply, a code of the sync. */
int audit_change(const struct audit_change_opts *o, char **reply,
		 struct vl_error *e);

#endif
