/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* A stand-in for a running QEMU, for the audit and sync tests: a child
 * process that opens scratch files and locks them as QEMU's file-posix
 * driver (bytes 100-103, 200-203) and as vmlock (its lock bytes) would,
 * then waits to be killed. */
#ifndef VMLOCK_TEST_FAKE_QEMU_H
#define VMLOCK_TEST_FAKE_QEMU_H

#include "lock/lockproto.h"
#include "lock/qemulocks.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child does with one file. */
enum fake_use { FAKE_NONE, FAKE_OPEN, FAKE_READ, FAKE_WRITE,
		FAKE_SHARE_WRITE };

struct fake_file {
	const char *path;
	enum fake_use qemu;	/* QEMU's own locks on an fd of its own
				 * (FAKE_OPEN: an fd without locks) */
	int lock;		/* a vmlock lock fd in this mode, -1: none */
	int slot;		/* ... or, with lock exclusive, this slot */
};

/* QEMU's locks, as file-posix takes them, on a new fd of path. */
static inline void fake_qemu_locks(const char *path, enum fake_use use)
{
	static const off_t write[] = { 100, 101, 103, 201, 203 };
	static const off_t share[] = { 100, 101, 103, 203 };
	static const off_t read[] = { 100, 201, 203 };
	const off_t *bytes = use == FAKE_WRITE ? write :
			     use == FAKE_SHARE_WRITE ? share : read;
	size_t n = use == FAKE_WRITE ? 5 : use == FAKE_SHARE_WRITE ? 4 :
		   use == FAKE_READ ? 3 : 0;
	int fd = open(path, (use == FAKE_WRITE || use == FAKE_SHARE_WRITE ?
			     O_RDWR : O_RDONLY) | O_CLOEXEC);

	for (size_t i = 0; i < n; i++) {
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
				    .l_start = bytes[i], .l_len = 1 };
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
			perror("fake QEMU lock");
	}
}

static inline void fake_vmlock(const struct fake_file *f)
{
	int fd = open(f->path, (f->lock == VL_READONLY ? O_RDONLY : O_RDWR) |
		      O_CLOEXEC);
	struct lp_conflict c;

	if (f->slot >= 0) {
		struct flock slot = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				      .l_start = LP_SLOT0 + f->slot,
				      .l_len = 1 };
		fcntl(fd, F_OFD_SETLK, &slot);
		lp_accept(fd, f->slot);
	} else if (lp_lock(fd, (enum vl_mode)f->lock, &c)) {
		perror("fake vmlock lock");
	}
}

/* Starts the child with files (n of them), none of this process's fds
 * kept; its pid, once all is held. */
static inline pid_t fake_qemu(const struct fake_file *files, size_t n)
{
	int ready[2];
	char byte = 0;

	if (pipe(ready))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		/* what the test holds stays the test's, not the child's */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != ready[1])
				close(fd);
		for (size_t i = 0; i < n; i++) {
			if (files[i].lock >= 0)
				fake_vmlock(&files[i]);
			if (files[i].qemu != FAKE_NONE)
				fake_qemu_locks(files[i].path, files[i].qemu);
		}
		if (write(ready[1], &byte, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

static inline void fake_qemu_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

#endif
