/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/lock/qemulocks.c: QEMU's own image locks read from fdinfo text and
 * through F_OFD_GETLK, on a scratch file that a second open file
 * description locks as QEMU's file-posix driver does. */
#include "config.h"
#include "api/api.h"
#include "lock/qemulocks.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *path;

/* An fdinfo text with lock lines over the given [start, end] pairs. */
static char *fdinfo_of(const long *ranges, size_t n)
{
	char *text = vl_strdup("pos:\t0\nflags:\t02\n");

	for (size_t i = 0; i < n; i += 2) {
		char *more = vl_asprintf("%slock:\t%zu: OFDLCK ADVISORY  READ -1 "
					 "fe:00:42 %ld %ld\n", text, i / 2 + 1,
					 ranges[i], ranges[i + 1]);
		free(text);
		text = more;
	}
	return text;
}

static void mode_of(const long *ranges, size_t n, int want, const char *what)
{
	char *info = fdinfo_of(ranges, n);
	struct ql_use u = ql_from_fdinfo(info);
	enum vl_mode m = VL_EXCLUSIVE;
	bool has = ql_mode(&u, &m);

	ok(want < 0 ? !has : has && (int)m == want, "%s: %s", what,
	   want < 0 ? "none of QEMU's locks" : vl_mode_name(want));
	free(info);
}

static void test_fdinfo(void)
{
	static const long rw[] = { 100, 101, 103, 103, 201, 201, 203, 203 };
	static const long share_rw[] = { 100, 101, 103, 103, 203, 203 };
	static const long ro[] = { 100, 100, 201, 201, 203, 203 };
	static const long merged[] = { 100, 103, 200, 203 };
	static const long refuses_only[] = { 201, 201 };
	static const long vmlock[] = { 0, 0, 1099511627776, 1099511627778 };

	mode_of(rw, 8, VL_EXCLUSIVE, "read-write image (100-101, 103, 201, 203)");
	mode_of(share_rw, 6, VL_SHARED, "share-rw=on (100-101, 103, 203)");
	mode_of(ro, 6, VL_READONLY, "read-only image (100, 201, 203)");
	mode_of(merged, 4, VL_EXCLUSIVE, "merged ranges 100-103, 200-203");
	mode_of(refuses_only, 2, VL_READONLY, "byte 201 alone");
	mode_of(vmlock, 4, -1, "vmlock's bytes (0, 2^40..2^40+2)");
	mode_of(NULL, 0, -1, "no lock line");

	struct ql_use u = { 0 };
	ok(!ql_add_lock(&u, 99, 99) && !ql_add_lock(&u, 105, 199) &&
	   !ql_add_lock(&u, 205, 300) && !u.locked,
	   "locks on 99, 105-199 and 205-300 are not QEMU's");
	ok(ql_add_lock(&u, 0, 1000) && u.locked && u.writes && u.excludes,
	   "a lock over 0-1000 covers 101 and 201");
}

static int qemu_like(const long *bytes, size_t n)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	for (size_t i = 0; i < n; i++) {
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
				    .l_start = bytes[i], .l_len = 1 };
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
			printf("# cannot lock byte %ld: %s\n", bytes[i],
			       strerror(errno));
	}
	return fd;
}

static void check_is(int fd, enum vl_mode want, int rc_want, int held)
{
	struct lp_conflict c = { 0 };
	int rc = ql_check(fd, want, &c);

	ok(rc == rc_want && (rc == 0 || (c.role == VL_ROLE_QEMU &&
					 (int)c.mode == held)),
	   "%s wanted beside QEMU's locks of mode %s: %s", vl_mode_name(want),
	   vl_mode_name(held), rc_want ? "busy, role qemu" : "no conflict");
}

/* The probe's first, wide look (100 to 204) must neither miss a lock on
 * the ranges' first and last bytes nor take one between them for QEMU's. */
static void probe_alone(int me)
{
	static const long first[] = { 100 }, last[] = { 204 }, gap[] = { 150 };
	int q = qemu_like(first, 1);

	ok(ql_probe(me).locked, "a lock on byte 100 alone: probed locked");
	close(q);
	q = qemu_like(last, 1);
	ok(ql_probe(me).locked, "a lock on byte 204 alone: probed locked");
	close(q);
	q = qemu_like(gap, 1);
	ok(!ql_probe(me).locked, "a lock on byte 150 (between the ranges): "
	   "not QEMU's");
	close(q);
}

static void test_probe(void)
{
	static const long rw[] = { 100, 101, 103, 201, 203 };
	static const long share_rw[] = { 100, 101, 103, 203 };
	static const long ro[] = { 100, 201, 203 };
	int me = open(path, O_RDONLY | O_CLOEXEC);
	struct ql_use u = ql_probe(me);

	ok(!u.locked && ql_check(me, VL_EXCLUSIVE, &(struct lp_conflict){0}) == 0,
	   "no one locks the file: nothing probed, no conflict");
	int q = qemu_like(rw, 5);
	u = ql_probe(me);
	ok(u.locked && u.writes && u.excludes,
	   "QEMU read-write: probed locked, writes, excludes");
	check_is(me, VL_READONLY, EAGAIN, VL_EXCLUSIVE);
	ok(!ql_probe(q).locked, "its own open file description probes nothing");
	close(q);
	q = qemu_like(share_rw, 4);
	check_is(me, VL_SHARED, 0, VL_SHARED);
	check_is(me, VL_EXCLUSIVE, EAGAIN, VL_SHARED);
	check_is(me, VL_READONLY, EAGAIN, VL_SHARED);
	close(q);
	q = qemu_like(ro, 3);
	check_is(me, VL_READONLY, 0, VL_READONLY);
	check_is(me, VL_SHARED, EAGAIN, VL_READONLY);
	check_is(me, VL_EXCLUSIVE, EAGAIN, VL_READONLY);

	close(q);
	probe_alone(me);
	q = qemu_like(ro, 3);

	struct stat st;
	struct vl_holders h = { 0 };
	struct ql_use seen = { 0 };
	fstat(me, &st);
	ql_add_unseen(me, &st, &seen, &h);
	ok(h.n == 1 && h.v[0].pid == -1 && h.v[0].role == VL_ROLE_QEMU &&
	   h.v[0].mode == VL_READONLY && !h.v[0].remote,
	   "read-only QEMU locks no process explains: one local qemu holder, "
	   "no pid, readonly");
	ql_add_unseen(-1, &st, &seen, &h);
	ok(h.n == 1, "the same again from /proc/locks alone: not added twice");
	vl_holders_free(&h);
	seen = ql_probe(me);
	ql_add_unseen(me, &st, &seen, &h);
	ok(h.n == 0, "locks the processes seen explain: no holder added");
	close(q);
	close(me);
}

static void test_merge(void)
{
	struct vl_holders h = { 0 };

	ok(ql_merge_holder(&h, 7, VL_READONLY, VL_ROLE_QEMU),
	   "first qemu entry of pid 7: added");
	*vl_holders_add(&h) = (struct vl_holder){ .pid = 7, .mode = VL_READONLY,
						  .role = VL_ROLE_QEMU };
	ok(!ql_merge_holder(&h, 7, VL_EXCLUSIVE, VL_ROLE_QEMU) && h.n == 1 &&
	   h.v[0].mode == VL_EXCLUSIVE,
	   "a second QEMU fd of pid 7, exclusive: merged, stronger mode");
	ok(!ql_merge_holder(&h, 7, VL_SHARED, VL_ROLE_HOLDER) && h.n == 1 &&
	   h.v[0].role == VL_ROLE_HOLDER && h.v[0].mode == VL_SHARED,
	   "pid 7's vmlock lock, shared: replaces its qemu entry");
	ok(!ql_merge_holder(&h, 7, VL_EXCLUSIVE, VL_ROLE_QEMU) && h.n == 1 &&
	   h.v[0].role == VL_ROLE_HOLDER && h.v[0].mode == VL_SHARED,
	   "QEMU's locks of pid 7 after its vmlock lock: shown by vmlock's");
	ok(ql_merge_holder(&h, 8, VL_READONLY, VL_ROLE_QEMU) &&
	   ql_merge_holder(&h, 7, VL_EXCLUSIVE, VL_ROLE_OFFER),
	   "another pid, or another vmlock role of pid 7: added");
	vl_holders_free(&h);
}

int main(void)
{
	char *dir = testdir_make();

	if (!dir)
		return 1;
	path = vl_asprintf("%s/image", dir);
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	test_fdinfo();
	test_probe();
	test_merge();
	free(path);
	testdir_remove(dir);
	return done_testing();
}
