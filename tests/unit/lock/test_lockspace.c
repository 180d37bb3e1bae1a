/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The lockspace's trust in its lease files: a holder holds only through
 * a file of its own that no one else could remove or replace, checked on
 * the open fd after locking, and counts only while no other lease file
 * of the resource carries a lock in the way. */
#include "config.h"
#include "api/api.h"
#include "lock/lockproto.h"
#include "lock/lockspace.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *space;

/* The path of the lease file fd is open on. */
static char *name_of(int fd)
{
	char proc[64], target[4096];
	ssize_t n;

	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	n = readlink(proc, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	return vl_strdup(target);
}

static enum fdlock_verdict check(const struct vl_resource *r)
{
	struct stat st;
	int fd;
	enum fdlock_verdict v = lockspace_check_resource(r, &st, &fd);

	if (fd >= 0)
		close(fd);
	return v;
}

/* Another user's lease file of key, as vmlock would write it (owned by
 * that user when the test runs as root, who may give it away). */
static int plant(const char *name, const char *key, uid_t owner, mode_t mode)
{
	char *path = vl_asprintf("%s/%s", space, name);
	char *text = vl_asprintf("vmlock-lease 1\n%s\n", key);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd >= 0 && (write(fd, text, strlen(text)) < 0 ||
			(geteuid() == 0 && fchown(fd, owner, (gid_t)-1) < 0) ||
			fchmod(fd, mode) < 0))
		fd = -1;
	free(text);
	free(path);
	return fd;
}

static void test_own_file_checked(struct vl_resource *r, const char *own)
{
	char *two = vl_asprintf("%s.two", own);
	char *gone = vl_asprintf("%s/gone", space);

	ok(check(r) == FDLOCK_HELD, "its own lease file, locked: held");
	chmod(own, 0666);
	ok(check(r) == FDLOCK_STALE, "writable by others: not held through");
	chmod(own, 0644);
	ok(link(own, two) == 0 && check(r) == FDLOCK_STALE,
	   "a second link: not held through");
	unlink(two);
	ok(rename(own, gone) == 0 && check(r) == FDLOCK_STALE,
	   "renamed away: not held through");
	rename(gone, own);
	ok(check(r) == FDLOCK_HELD, "back as it was: held");
	if (geteuid() == 0) {
		ok(chown(own, 4242, (gid_t)-1) == 0 && check(r) == FDLOCK_STALE,
		   "another user's (uid 4242): not held through");
		chown(own, 0, (gid_t)-1);
	} else {
		ok(1, "# SKIP another user's: only root may give a file away");
	}
	free(two);
	free(gone);
}

static void test_rivals(struct vl_resource *r, const char *key,
			const char *hash)
{
	char *name = vl_asprintf("%s.4242", hash);
	int other = plant(name, key, 4242, 0644);
	struct lp_conflict c;
	struct stat st, want;
	int fd;

	ok(other >= 0, "another user's lease file of the key: %s", name);
	ok(check(r) == FDLOCK_HELD, "unheld, it is no rival");
	ok(lp_lock(other, VL_READONLY, &c) == 0, "it is held readonly");
	fstat(other, &want);
	enum fdlock_verdict v = lockspace_check_resource(r, &st, &fd);
	ok(v == FDLOCK_RIVAL && fd >= 0 && st.st_ino == want.st_ino,
	   "held: a rival, returned open");
	if (fd >= 0)
		close(fd);
	lp_unlock(other);
	ok(check(r) == FDLOCK_HELD, "released: held again");
	close(other);
	char *path = vl_asprintf("%s/%s", space, name);
	unlink(path);
	other = plant(name, "lease:another", 4242, 0644);
	ok(lp_lock(other, VL_EXCLUSIVE, &c) == 0 && check(r) == FDLOCK_HELD,
	   "a held file of that name recording another key is no rival");
	close(other);
	unlink(path);
	free(path);
	free(name);
}

static void test_planted_name(const char *key, const char *own)
{
	struct vl_reslist l = {0};
	struct vl_error e;
	struct vl_resource *r = vl_reslist_add(&l, VL_LEASE, "t", VL_EXCLUSIVE, 0);
	struct lp_conflict c;

	unlink(own);
	int planted = plant(strrchr(own, '/') + 1, key, 4242, 0666);
	ok(lockspace_open_resource(r, &e) == 0, "a planted file at its name: "
	   "still opens one");
	char *name = r->fd >= 0 ? name_of(r->fd) : vl_strdup("");
	ok(strcmp(name, own) && vl_starts_with(name, own),
	   "of its own, under another name: %s", name);
	ok(lp_lock(r->fd, VL_EXCLUSIVE, &c) == 0 && check(r) == FDLOCK_HELD,
	   "and holds through it");
	free(name);
	close(planted);
	vl_reslist_free(&l);
}

int main(void)
{
	struct vl_reslist l = {0};
	struct vl_error e;
	struct lp_conflict c;

	space = testdir_make();
	if (!space)
		return 99;
	chmod(space, 01777);
	lockspace_configure(space, 0);
	struct vl_resource *r = vl_reslist_add(&l, VL_LEASE, "t", VL_EXCLUSIVE, 0);
	char *key = lockspace_key(r), *hash = lockspace_file_name(key);
	char *own = vl_asprintf("%s/%s.%u", space, hash, (unsigned)geteuid());

	ok(lockspace_open_resource(r, &e) == 0, "opens its lease file");
	char *name = name_of(r->fd);
	ok(!strcmp(name, own), "named hash.uid: %s", name);
	free(name);
	ok(lp_lock(r->fd, VL_EXCLUSIVE, &c) == 0, "locked");
	test_own_file_checked(r, own);
	test_rivals(r, key, hash);
	close(r->fd);
	vl_reslist_free(&l);
	if (geteuid() == 0)
		test_planted_name(key, own);
	else
		ok(1, "# SKIP a file planted by another user: only root may "
		   "make one");
	free(own);
	free(hash);
	free(key);
	testdir_remove(space);
	return done_testing();
}
