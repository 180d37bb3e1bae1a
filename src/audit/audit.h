/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* What a running QEMU has open, against the vmlock locks it holds
 * (vmlock(1), audit and sync). QEMU's files are those its own image
 * locks are on (lock/qemulocks.h) and, when its QMP socket answers,
 * those its block nodes have open (qmp/qmp.h); its vmlock locks are
 * those of its fds (lock/holders.h). Locks on the image itself only:
 * lease files of a lockspace are left out. */
#ifndef VMLOCK_AUDIT_AUDIT_H
#define VMLOCK_AUDIT_AUDIT_H

#include "lock/qemulocks.h"

#include <vmlock/driver.h>

#include <sys/types.h>

enum audit_finding {
	AUDIT_OK,
	AUDIT_UNLOCKED,		/* QEMU has it open, no vmlock lock */
	AUDIT_WEAKER,		/* QEMU may write it, the vmlock lock is readonly */
	AUDIT_STALE,		/* a vmlock lock on a file no longer open */
};

enum audit_use { AUDIT_CLOSED, AUDIT_READ_ONLY, AUDIT_READ_WRITE };

/* A vmlock lock of the process: one fd of it. */
struct audit_lock {
	int fd;			/* its number in the process */
	enum vl_mode mode;
	enum vl_role role;	/* holder, or incoming: a handover slot */
	off_t byte;		/* first byte of the lock */
	bool handed;		/* QEMU got the fd by getfd (close-on-exec):
				 * a sync named it */
};

/* A file by its identity. */
struct audit_ident {
	dev_t dev;
	ino_t ino;
};

struct audit_file {
	char *path;
	dev_t dev;
	ino_t ino;
	enum audit_use qemu;	/* what QEMU does with it */
	struct ql_use qemu_locks;	/* QEMU's own locks on it */
	bool open;		/* some fd of the process, lock fds aside */
	bool bare;		/* an fd of QEMU's carries no lock at all
				 * (or the guard alone): maybe one a sync
				 * named, its lock gone; name unknown */
	struct audit_lock *locks;
	size_t nlocks, locks_cap;
	enum audit_finding finding;
	/* set by the caller, for sync */
	bool expected;		/* a command about to be sent needs expect */
	enum vl_mode expect;
	bool skip;		/* sync leaves it as it is */
};

struct audit_proc {
	long pid;
	char *command;		/* as /proc/PID/comm has it */
	char *name;		/* the VM name (QEMU's -name), or NULL */
	char *qmp;		/* its QMP socket, absolute, or NULL */
	char *cwd;		/* its directory, or NULL */
	bool qmp_answered;	/* its block nodes were read */
	struct audit_file *v;
	size_t n, cap;
	/* files of its close-on-exec fds that hold no lock, neither
	 * vmlock's nor QEMU's (or the handover guard alone) */
	struct audit_ident *bare;
	size_t nbare, bare_cap;
};

/* "ok", "unlocked", "weaker", "stale". */
const char *audit_finding_name(enum audit_finding f);
/* "read-write", "read-only", or NULL for a file QEMU does not use. */
const char *audit_use_name(enum audit_use u);
/* The strongest mode of f's locks, or -1 for none. */
int audit_lock_mode(const struct audit_file *f);
/* The mode a lock on f needs for what QEMU does with it (shared when QEMU
 * shares writing, exclusive when it writes alone, readonly when it only
 * reads) and what f is expected in, or -1 when QEMU does not use f. */
int audit_wanted_mode(const struct audit_file *f);
/* f's finding, from what QEMU does with it and f's locks. */
enum audit_finding audit_judge(const struct audit_file *f);

/* Audits process pid. qmp: its QMP socket (NULL: the one its command
 * line names); timeout: seconds for each QMP reply. 0, or an exit code
 * with e set: 66 no such process, 77 not the caller's to look at. An
 * unreachable QMP socket is no error: qmp_answered stays false. */
int audit_process(long pid, const char *qmp, double timeout,
		  struct audit_proc *out, struct vl_error *e);
/* The same over q, a connection to its QMP socket qmp (not NULL). */
struct qmp;
int audit_process_over(long pid, const char *qmp, struct qmp *q,
		       double timeout, struct audit_proc *out,
		       struct vl_error *e);
/* The QMP socket pid's command line names, absolute, newly allocated, or
 * NULL (none; no such process). */
char *audit_qmp_socket(long pid);
/* A QMP command about to be sent will make QEMU use path in mode: its
 * file is expected in it (added to p when new), judged again. 0; 66 no
 * such file; 71 another error (e set). */
int audit_expect(struct audit_proc *p, const char *path, enum vl_mode mode,
		 struct vl_error *e);
/* audit_process for each of n pids, several at once (their QMP replies
 * waited for together): out[i], rc[i] and e[i] for pids[i]. */
void audit_processes(const long *pids, size_t n, double timeout,
		     struct audit_proc *out, int *rc, struct vl_error *e);
/* Is every file of p ok? */
bool audit_proc_ok(const struct audit_proc *p);
void audit_proc_free(struct audit_proc *p);

/* Every QEMU process (qemu-system-*, qemu-kvm, qemu-img, qemu-io,
 * qemu-nbd, qemu-storage-daemon) whose fds the caller may read, in
 * ascending pid order. Newly allocated. */
long *audit_qemu_pids(size_t *n);

#endif
