/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/lock/holders.c: reading the lock lines of /proc/PID/fdinfo and
 * /proc/locks, the latter while other locks come and go. */
#include "config.h"
#include "lock/holders.h"
#include "lock/lockproto.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_parse_lock_line(void)
{
	dev_t dev;
	ino_t ino;
	off_t start, end;
	short type;

	ok(holders_parse_lock_line("lock:\t2: OFDLCK ADVISORY  WRITE -1 "
				   "fe:00:10952820 1099511627776 1099511627778",
				   &dev, &ino, &start, &end, &type) &&
	   ino == 10952820 && start == LP_BASE && end == LP_BASE + 2 &&
	   type == F_WRLCK,
	   "fdinfo line \"lock:\\t2: OFDLCK ADVISORY  WRITE -1 fe:00:10952820 "
	   "1099511627776 1099511627778\": a write lock on LP_BASE..LP_BASE "
	   "+ 2");
	ok(holders_parse_lock_line("1: POSIX  ADVISORY  READ 42 08:01:7 0 EOF",
				   &dev, &ino, &start, &end, &type) &&
	   end > LP_END && type == F_RDLCK,
	   "/proc/locks line \"1: POSIX  ADVISORY  READ 42 08:01:7 0 EOF\": a "
	   "read lock to EOF");
	ok(!holders_parse_lock_line("flags:\t0100002", &dev, &ino, &start,
				    &end, &type),
	   "fdinfo line \"flags:\\t0100002\": not a lock line");
}

#define CHURN_FILES 400

static int lock_byte(int fd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 1 };

	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* A child that locks and unlocks CHURN_FILES files without end: a
 * /proc/locks of many pages that changes under every read. */
static pid_t start_churn(const char *dir)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int fds[CHURN_FILES];
	for (int i = 0; i < CHURN_FILES; i++) {
		char *path = vl_asprintf("%s/churn%d", dir, i);
		fds[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		lock_byte(fds[i], F_WRLCK);
		free(path);
	}
	for (;;) {		/* all go, then come back */
		for (int i = 0; i < CHURN_FILES; i++)
			lock_byte(fds[i], F_UNLCK);
		for (int i = 0; i < CHURN_FILES; i++)
			lock_byte(fds[i], F_WRLCK);
	}
}

struct wanted {
	dev_t dev;
	ino_t ino;
	bool seen;
};

static void see(dev_t dev, ino_t ino, off_t start, off_t end, short type,
		void *arg)
{
	struct wanted *w = arg;

	(void)start;
	(void)end;
	(void)type;
	w->seen |= dev == w->dev && ino == w->ino;
}

/* A lock held all along is in every read of /proc/locks, however the
 * others change meanwhile. The kernel lists a CPU's locks newest first:
 * on one CPU, the held lock taken before the others is listed after
 * them all, where a read that is not one snapshot loses it. */
static void test_proc_locks_under_churn(const char *dir)
{
	char *path = vl_asprintf("%s/held", dir);
	cpu_set_t one;
	int missed = 0, reads = 1000;

	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof one, &one);	/* the child's too */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;

	ok(fd >= 0 && fstat(fd, &st) == 0 && lock_byte(fd, F_WRLCK) == 0,
	   "a lock held on %s", path);
	pid_t churn = start_churn(dir);
	usleep(200000);		/* its CHURN_FILES locks taken */
	for (int i = 0; i < reads; i++) {
		struct wanted w = { st.st_dev, st.st_ino, false };
		if (!holders_proc_locks(see, &w) || !w.seen)
			missed++;
	}
	kill(churn, SIGKILL);
	waitpid(churn, NULL, 0);
	ok(missed == 0, "/proc/locks read %d times while %d other locks "
	   "change: the held one missed %d times", reads, CHURN_FILES,
	   missed);
	close(fd);
	free(path);
}

int main(void)
{
	char *dir = testdir_make();

	test_parse_lock_line();
	if (dir) {
		test_proc_locks_under_churn(dir);
		testdir_remove(dir);
	}
	return done_testing();
}
