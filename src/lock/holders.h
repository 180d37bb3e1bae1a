/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Finding who holds a file: OFD locks show pid -1 in /proc/locks, so the
 * holder is found through /proc/PID/fd and the lock: lines of
 * /proc/PID/fdinfo/FD. */
#ifndef VMLOCK_LOCK_HOLDERS_H
#define VMLOCK_LOCK_HOLDERS_H

#include "lock/qemulocks.h"

#include <vmlock/driver.h>

#include <sys/stat.h>
#include <sys/types.h>

struct holders_target {
	dev_t dev;
	ino_t ino;
	char *path;		/* found from a holder's fd when NULL */
	struct vl_holders holders;
	struct ql_use qemu;	/* QEMU's own locks of the processes seen */
};

/* Holders of the file open on fd (-1 when unreadable) with identity st:
 * this host's processes, then those only the kernel's view shows. */
void fdlock_holders(int fd, const struct stat *st, struct vl_holders *out);

/* The program's whole name: the kernel cuts comm to 15 characters, so
 * argv[0]'s base name when comm begins it (a process may rewrite its
 * argv[0]; then comm). Takes comm over. */
char *holders_program_name(char *comm, const char *argv0);
/* One pass over /proc: appends each local holder of each target. */
void holders_scan(struct holders_target *t, size_t n);
/* How holders_scan names a holder's VM from its command line (NULL, the
 * default: it does not). */
void holders_name_vms(char *(*vm_name)(int argc, char *const argv[]));

/* A lock in vmlock's byte range held through one fd of a process. */
struct pid_lock {
	int fd;			/* the fd number in that process */
	dev_t dev;
	ino_t ino;
	enum vl_mode mode;
	enum vl_role role;
	off_t byte;		/* first byte of the lock */
	char *path;
};

/* Every file pid holds through vmlock, one entry per fd. Returns 0 or an
 * errno (ESRCH: no such process; EACCES: not ours to look at). */
int holders_of_pid(long pid, struct pid_lock **out, size_t *n);
void pid_locks_free(struct pid_lock *l, size_t n);
/* The vmlock lock one fd of a process holds (its fdinfo, from
 * holders_each_fd), into *out; false when it holds none. */
bool holders_pid_lock(int fddir, const char *fdname, const struct stat *st,
		      const char *fdinfo, struct pid_lock *out);
/* Does the write lock over byte offer of the file dev:ino come from a live
 * `vmlock handover`? When a process of this host holds it: only if that
 * process is `vmlock handover` and holds a write lock over byte guard
 * too. When /proc/locks does not list it at all, another host's process
 * holds it, and its write lock, which only a writer can take, must do. */
bool holders_offer_genuine(dev_t dev, ino_t ino, off_t offer, off_t guard);

/* Calls fn for every fd of pid that refers to a file, with its fdinfo
 * (NULL when unreadable). Returns 0 or the errno of opening the fds. */
typedef void pid_fd_fn(int fddir, const char *fdname, const struct stat *st,
		       const char *fdinfo, void *arg);
int holders_each_fd(long pid, pid_fd_fn *fn, void *arg);

/* Calls fn for every byte-range lock (POSIX or OFD) that /proc/locks
 * lists, waiters aside; readable by anyone. False if unreadable. */
typedef void holders_lock_fn(dev_t dev, ino_t ino, off_t start, off_t end,
			     short type, void *arg);
bool holders_proc_locks(holders_lock_fn *fn, void *arg);
/* Calls fn for every byte-range lock of an fdinfo text. */
void holders_each_lock_line(const char *fdinfo, holders_lock_fn *fn,
			    void *arg);

/* Parses one "lock:" line of fdinfo (or a /proc/locks line); false when it
 * is not a byte-range lock line (flock(2) locks and leases are not). */
bool holders_parse_lock_line(const char *line, dev_t *dev, ino_t *ino,
			     off_t *start, off_t *end, short *type);

#endif
