/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/lock/lockproto.c: the lock byte protocol: the compatibility matrix
 * between open file descriptions, waiting, racing acquirers in forked
 * processes, and which bytes are whose. One file in a scratch directory
 * carries the locks. */
#include "config.h"
#include "api/api.h"
#include "util/util.h"
#include "lock/lockproto.h"
#include "../tap.h"
#include "../testdir.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *path;

static int open_for(enum vl_mode m)
{
	return open(path, (m == VL_READONLY ? O_RDONLY : O_RDWR) | O_CLOEXEC);
}

static void test_matrix(void)
{
	for (int a = VL_EXCLUSIVE; a <= VL_READONLY; a++)
		for (int b = VL_EXCLUSIVE; b <= VL_READONLY; b++) {
			int fa = open_for(a), fb = open_for(b);
			struct lp_conflict c = { 0 };
			ok(lp_lock(fa, a, &c) == 0,
			   "%s on a file nobody locks", vl_mode_name(a));
			int rc = lp_lock(fb, b, &c);
			bool want = vl_modes_compatible(a, b);
			ok(want ? rc == 0 : rc == EAGAIN,
			   "%s, then %s through another open file "
			   "description: %s",
			   vl_mode_name(a), vl_mode_name(b),
			   want ? "both hold" : "busy");
			if (!want)
				ok(c.mode == (enum vl_mode)a && c.role == VL_ROLE_HOLDER,
				   "%s, then %s: the conflict names the "
				   "holder's mode %s (got %s)",
				   vl_mode_name(a), vl_mode_name(b),
				   vl_mode_name(a), vl_mode_name(c.mode));
			close(fa);	/* closing drops the OFD's locks */
			ok(lp_lock(fb, b, &c) == 0, "%s again once the %s "
			   "holder closed", vl_mode_name(b), vl_mode_name(a));
			close(fb);
		}
}

static void test_slot_is_exclusive(void)
{
	int slot = open(path, O_RDWR | O_CLOEXEC);
	struct flock fl = { .l_type = F_WRLCK, .l_start = LP_SLOT0 + 1,
			    .l_len = 1 };
	struct lp_conflict c;

	ok(fcntl(slot, F_OFD_SETLK, &fl) == 0,
	   "write lock on handover slot byte LP_SLOT0 + 1");
	for (int m = VL_EXCLUSIVE; m <= VL_READONLY; m++) {
		int fd = open_for(m);
		ok(lp_lock(fd, m, &c) == EAGAIN && c.role == VL_ROLE_INCOMING &&
		   c.mode == VL_EXCLUSIVE,
		   "%s while slot LP_SLOT0 + 1 is held: busy, an "
		   "exclusive incoming holder",
		   vl_mode_name(m));
		close(fd);
	}
	close(slot);
}

static void test_foreign_byte0(void)
{
	int other = open(path, O_RDWR | O_CLOEXEC), fd = open_for(VL_READONLY);
	struct flock fl = { .l_type = F_WRLCK, .l_start = 0, .l_len = 1 };
	struct lp_conflict c;

	fcntl(other, F_OFD_SETLK, &fl);
	ok(lp_lock(fd, VL_READONLY, &c) == EAGAIN && c.role == VL_ROLE_FOREIGN,
	   "readonly while byte 0 is write-locked (virtlockd): "
	   "busy, a foreign holder");
	close(other);
	ok(lp_lock(fd, VL_READONLY, &c) == 0,
	   "readonly once byte 0 is unlocked");
	close(fd);
}

static void test_qemu_bytes_untouched(void)
{
	/* QEMU's file-posix locks: bytes 100-104 and 200-204 */
	int q = open(path, O_RDONLY | O_CLOEXEC), fd = open_for(VL_EXCLUSIVE);
	struct flock fl = { .l_type = F_WRLCK, .l_start = 100, .l_len = 200 };
	struct lp_conflict c;

	ok(lp_lock(fd, VL_EXCLUSIVE, &c) == 0,
	   "exclusive on a file nobody locks");
	fl.l_type = F_RDLCK;
	ok(fcntl(q, F_OFD_SETLK, &fl) == 0,
	   "read lock on QEMU's bytes 100-299 beside an "
	   "exclusive lock: free");
	close(q);
	close(fd);
}

static void test_wait(void)
{
	int holder = open_for(VL_EXCLUSIVE), fd = open_for(VL_SHARED);
	struct lp_conflict c;
	struct vl_deadline d = vl_deadline_in(0.3);
	double t0 = tap_now();

	lp_lock(holder, VL_EXCLUSIVE, &c);
	ok(lp_lock(fd, VL_SHARED, &c) == EAGAIN,
	   "shared while another description holds exclusive: busy");
	ok(lp_wait(fd, VL_SHARED, &c, &d) == ETIMEDOUT,
	   "lp_wait for shared, exclusive held, deadline 0.3 s: times out");
	double took = tap_now() - t0;
	ok(took >= 0.25 && took < 2,
	   "lp_wait with a 0.3 s deadline returns after about 0.3 s (%.3f s)",
	   took);

	pid_t child = fork();
	if (child == 0) {
		usleep(200000);
		_exit(0);	/* the holder's fd is shared: close it here */
	}
	close(holder);	/* the child still holds the OFD */
	d = vl_deadline_in(-1);
	t0 = tap_now();
	ok(lp_wait(fd, VL_SHARED, &c, &d) == 0 && lp_lock(fd, VL_SHARED, &c) == 0,
	   "lp_wait for shared, forever, exclusive held by a child exiting "
	   "after 0.2 s: wakes when it exits");
	ok(tap_now() - t0 >= 0.15,
	   "lp_wait forever, holder exiting after 0.2 s: not before (%.3f s)",
	   tap_now() - t0);
	waitpid(child, NULL, 0);
	close(fd);
}

/* Per mode, how many processes hold it right now. */
struct census {
	atomic_int holding[3];
	atomic_int violations, acquired;
};

static void racer(struct census *cs, unsigned seed, double seconds)
{
	struct vl_deadline end = vl_deadline_in(seconds);

	srandom(seed);
	while (!vl_deadline_passed(&end)) {
		enum vl_mode m = (enum vl_mode)(random() % 3);
		int fd = open_for(m);
		struct lp_conflict c;
		struct vl_deadline d = vl_deadline_in(0.05);
		int rc;

		while ((rc = lp_lock(fd, m, &c)) == EAGAIN &&
		       lp_wait(fd, m, &c, &d) == 0)
			;
		if (rc == 0) {
			atomic_fetch_add(&cs->holding[m], 1);
			for (int o = 0; o < 3; o++)
				if (atomic_load(&cs->holding[o]) >
				    (o == (int)m) &&
				    !vl_modes_compatible(m, o))
					atomic_fetch_add(&cs->violations, 1);
			atomic_fetch_add(&cs->acquired, 1);
			usleep((useconds_t)(random() % 500));
			atomic_fetch_sub(&cs->holding[m], 1);
		}
		close(fd);
	}
}

static void test_race(void)
{
	struct census *cs = mmap(NULL, sizeof *cs, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	enum { RACERS = 8 };
	pid_t pids[RACERS];

	memset(cs, 0, sizeof *cs);
	for (int i = 0; i < RACERS; i++)
		if ((pids[i] = fork()) == 0) {
			racer(cs, (unsigned)i * 7919u + 1, 1.5);
			_exit(0);
		}
	for (int i = 0; i < RACERS; i++)
		waitpid(pids[i], NULL, 0);
	ok(cs->violations == 0, "%d racers, random modes: %d acquisitions, "
	   "%d matrix violations", RACERS, cs->acquired, cs->violations);
	ok(cs->acquired > 100,
	   "%d racers for 1.5 s: progress, more than 100 acquisitions (%d)",
	   RACERS, cs->acquired);
	munmap(cs, sizeof *cs);
}

static int lock_byte(int fd, short type, off_t byte)
{
	struct flock fl = { .l_type = type, .l_start = byte, .l_len = 1 };

	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* What a newcomer wanting readonly meets. */
static int newcomer(struct lp_conflict *c)
{
	int fd = open_for(VL_READONLY);
	int rc = lp_lock(fd, VL_READONLY, c);

	close(fd);
	return rc;
}

static void test_settle(void)
{
	int src = open_for(VL_EXCLUSIVE), dst = open_for(VL_EXCLUSIVE);
	struct lp_conflict c = { 0 };
	struct flock fl = { .l_type = F_RDLCK, .l_start = 0, .l_len = 1 };

	lp_lock(src, VL_EXCLUSIVE, &c);
	ok(lock_byte(dst, F_WRLCK, LP_SLOT0) == 0 &&
	   lock_byte(dst, F_RDLCK, LP_ACCEPT0) == 0,
	   "a target holds handover slot 0, accepted, beside its source");
	ok(lp_lock_beside(dst, VL_EXCLUSIVE, &c) == EAGAIN && c.role == VL_ROLE_HOLDER &&
	   c.mode == VL_EXCLUSIVE,
	   "settling the slot while the source holds: busy, the source named");
	close(src);
	ok(newcomer(&c) == EAGAIN && c.role == VL_ROLE_INCOMING,
	   "after the refused settle the slot still holds (incoming)");
	ok(lp_lock_beside(dst, VL_EXCLUSIVE, &c) == 0, "settling once the source is gone");
	lp_drop_slot(dst, 0);
	ok(newcomer(&c) == EAGAIN && c.role == VL_ROLE_HOLDER &&
	   c.mode == VL_EXCLUSIVE,
	   "settled, slot dropped: an exclusive holder, no longer incoming");
	int probe = open_for(VL_READONLY);
	ok(fcntl(probe, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_WRLCK,
	   "settled: byte 0 write-locked, as libvirt expects");
	close(probe);
	close(dst);
}

static void test_lower(void)
{
	int ex = open_for(VL_EXCLUSIVE), s1 = open_for(VL_SHARED);
	int s2 = open_for(VL_SHARED), fd = open_for(VL_READONLY);
	struct lp_conflict c = { 0 };

	lp_lock(ex, VL_EXCLUSIVE, &c);
	ok(lp_lower(ex, VL_EXCLUSIVE, &c) == 0,
	   "lowering an exclusive lock to readonly");
	ok(lp_lock(fd, VL_READONLY, &c) == 0 &&
	   lp_lock(s1, VL_SHARED, &c) == EAGAIN && c.mode == VL_READONLY,
	   "lowered: another readonly holder gets in, a shared one is refused");
	close(ex);
	close(fd);
	ok(lp_lock(s1, VL_SHARED, &c) == 0 && lp_lock(s2, VL_SHARED, &c) == 0,
	   "two shared holders");
	ok(lp_lower(s1, VL_SHARED, &c) == EAGAIN && c.mode == VL_SHARED,
	   "lowering one of two shared holders: refused, it stays shared");
	ok(newcomer(&c) == EAGAIN && c.mode == VL_SHARED,
	   "after the refused lowering a readonly newcomer still meets shared");
	close(s2);
	ok(lp_lower(s1, VL_SHARED, &c) == 0 && newcomer(&c) == 0,
	   "the other shared holder gone: lowered, a readonly newcomer gets in");
	close(s1);
}

static void test_unguard(void)
{
	int ex = open_for(VL_EXCLUSIVE), up = open_for(VL_EXCLUSIVE);
	struct lp_conflict c = { 0 };

	lp_lock(ex, VL_EXCLUSIVE, &c);
	lp_lower(ex, VL_EXCLUSIVE, &c);
	ok(lp_guard(ex) == 0 && newcomer(&c) == EAGAIN,
	   "a guard on a readonly holder's description: no newcomer");
	lp_unguard(ex);
	ok(newcomer(&c) == 0, "guard dropped: a readonly newcomer gets in, "
	   "the holder's lock kept");
	ok(lp_guard(up) == 0 && lp_lock_beside(up, VL_EXCLUSIVE, &c) == EAGAIN &&
	   c.mode == VL_READONLY && newcomer(&c) == EAGAIN,
	   "exclusive beside a guard, a readonly holder there: busy, and the "
	   "guard still keeps newcomers out");
	close(ex);
	ok(lp_lock_beside(up, VL_EXCLUSIVE, &c) == 0,
	   "the readonly holder gone: exclusive taken beside the guard");
	lp_unguard(up);
	ok(newcomer(&c) == EAGAIN && c.mode == VL_EXCLUSIVE &&
	   c.role == VL_ROLE_HOLDER, "guard dropped: an exclusive holder stays");
	close(up);
}

static void test_classify(void)
{
	enum vl_mode m;
	enum vl_role r;

	ok(lp_classify(LP_BASE, LP_BASE + 2, F_WRLCK, &m, &r) &&
	   m == VL_EXCLUSIVE && r == VL_ROLE_HOLDER,
	   "write lock on bytes LP_BASE..LP_BASE + 2: exclusive holder");
	ok(lp_classify(LP_SHARED, LP_SHARED, F_RDLCK, &m, &r) &&
	   m == VL_SHARED && r == VL_ROLE_HOLDER,
	   "read lock on byte LP_SHARED: shared holder");
	ok(lp_classify(LP_READONLY, LP_READONLY, F_RDLCK, &m, &r) &&
	   m == VL_READONLY, "read lock on byte LP_READONLY: readonly");
	ok(lp_classify(LP_SLOT0, LP_SLOT0, F_WRLCK, &m, &r) &&
	   r == VL_ROLE_INCOMING, "write lock on byte LP_SLOT0: incoming");
	ok(lp_classify(LP_OFFER0 + 1, LP_OFFER0 + 1, F_RDLCK, &m, &r) &&
	   r == VL_ROLE_OFFER, "read lock on byte LP_OFFER0 + 1: offer");
	ok(!lp_classify(100, 104, F_RDLCK, &m, &r),
	   "read lock on bytes 100-104 (QEMU's): not ours");
}

static int other_lock(off_t byte, short type)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct flock fl = { .l_type = type, .l_start = byte, .l_len = 1 };

	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		printf("# cannot lock byte %lld\n", (long long)byte);
	return fd;
}

/* lp_lock_clear's one wide look (from byte 100) must answer as the
 * checks it stands for: an other's lock anywhere from byte 100 to the
 * region's last byte makes it look again, and a holder of a slot, an
 * offer or an accept byte (the last one of the region) is seen as
 * lp_lock sees it. */
static void test_lock_clear(void)
{
	static const off_t in_the_way[] = { LP_SLOT0, LP_OFFER0 + 1,
					    LP_ACCEPT0 + 1 };
	struct lp_conflict c;
	bool clear;

	for (int m = VL_EXCLUSIVE; m <= VL_READONLY; m++) {
		int fd = open_for(m), other;
		ok(lp_lock_clear(fd, m, 100, &clear, &c) == 0 && clear,
		   "%s on a free file: locked, clear from byte 100 up",
		   vl_mode_name(m));
		lp_unlock(fd);
		other = other_lock(150, F_RDLCK);
		ok(lp_lock_clear(fd, m, 100, &clear, &c) == 0 && !clear,
		   "%s beside another's lock on byte 150: locked, not clear",
		   vl_mode_name(m));
		lp_unlock(fd);
		close(other);
		for (size_t i = 0; i < 3; i++) {
			struct lp_conflict slow;
			other = other_lock(in_the_way[i], F_WRLCK);
			int rc = lp_lock_clear(fd, m, 100, &clear, &c);
			ok(rc == EAGAIN && !clear && lp_lock(fd, m, &slow) == rc &&
			   slow.role == c.role && slow.byte == c.byte,
			   "%s while byte LP_BASE + %lld is held: busy, as "
			   "lp_lock says (%s)", vl_mode_name(m),
			   (long long)(in_the_way[i] - LP_BASE),
			   vl_role_name(c.role));
			close(other);
		}
		close(fd);
	}
}

int main(void)
{
	char *dir = testdir_make();
	int fd;

	if (!dir)
		return 99;
	path = vl_asprintf("%s/locked", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		testdir_remove(dir);
		return 99;
	}
	close(fd);
	test_matrix();
	test_slot_is_exclusive();
	test_lock_clear();
	test_foreign_byte0();
	test_qemu_bytes_untouched();
	test_wait();
	test_race();
	test_settle();
	test_lower();
	test_unguard();
	test_classify();
	free(path);
	testdir_remove(dir);
	return done_testing();
}
