/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/audit/sync.c: a process's locks made to match its use, on a child
 * that locks scratch files as QEMU and vmlock would (fake_qemu.h), with
 * no QMP socket: slots settle, locks lower and go, what needs QMP is
 * named (69); a lock someone else holds stops it all (75). */
#include "config.h"
#include "api/api.h"
#include "audit/sync.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"
#include "fake_qemu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *dir, *said;

static void done(const char *path, const char *what)
{
	char *more = vl_asprintf("%s%s: %s\n", said ? said : "",
				 strrchr(path, '/') + 1, what);
	free(said);
	said = more;
}

static const struct audit_sync_opts opts = { .timeout = 1, .done = done };

static char *make(const char *name)
{
	char *path = vl_asprintf("%s/%s", dir, name);

	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	return path;
}

static const struct audit_file *find(const struct audit_proc *p,
				     const char *path)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].path && !strcmp(p->v[i].path, path))
			return &p->v[i];
	return NULL;
}

/* Who a newcomer wanting mode meets on path: 0 (free) or EAGAIN. */
static int newcomer(const char *path, enum vl_mode mode,
		    struct lp_conflict *c)
{
	int fd = open(path, (mode == VL_READONLY ? O_RDONLY : O_RDWR) |
		      O_CLOEXEC);
	int rc = lp_lock(fd, mode, c);

	close(fd);
	return rc;
}

static void test_without_qmp(void)
{
	char *add = make("add.img"), *slot = make("slot.img");
	char *low = make("lower.img"), *stale = make("stale.img");
	char *weak = make("weak.img");
	struct fake_file files[] = {
		{ add, FAKE_WRITE, -1, -1 },
		{ slot, FAKE_WRITE, VL_EXCLUSIVE, 1 },
		{ low, FAKE_READ, VL_EXCLUSIVE, -1 },
		{ stale, FAKE_NONE, VL_READONLY, -1 },
		{ weak, FAKE_WRITE, VL_READONLY, -1 },
	};
	pid_t pid = fake_qemu(files, 5);
	struct audit_proc p;
	struct lp_conflict c;
	struct vl_error e;

	audit_process(pid, NULL, 1, &p, &e);
	int rc = audit_sync(&p, &opts, &e);
	ok(rc == EX_UNAVAILABLE && strstr(e.msg, add) && strstr(e.msg, weak) &&
	   strstr(e.msg, "no QMP socket"),
	   "no QMP socket: 69, naming add.img and weak.img (%s)", e.msg);
	ok(said && strstr(said, "slot.img: handover slot 1 settled") &&
	   strstr(said, "lower.img: lowered exclusive to readonly") &&
	   strstr(said, "stale.img: released readonly"),
	   "the rest done: slot settled, lock lowered, stale lock released:\n%s",
	   said ? said : "(nothing said)");
	audit_proc_free(&p);

	audit_process(pid, NULL, 1, &p, &e);
	const struct audit_file *f = find(&p, slot);
	ok(f && f->nlocks == 1 && f->locks[0].role == VL_ROLE_HOLDER &&
	   f->locks[0].mode == VL_EXCLUSIVE,
	   "slot.img afterwards: an exclusive holder, no longer incoming");
	f = find(&p, low);
	ok(f && f->finding == AUDIT_OK && audit_lock_mode(f) == VL_READONLY,
	   "lower.img afterwards: readonly, ok");
	ok(!find(&p, stale) && newcomer(stale, VL_EXCLUSIVE, &c) == 0,
	   "stale.img afterwards: no longer the process's, free");
	ok(find(&p, add)->finding == AUDIT_UNLOCKED &&
	   find(&p, weak)->finding == AUDIT_WEAKER,
	   "add.img and weak.img afterwards: still unlocked and weaker");
	ok(newcomer(low, VL_READONLY, &c) == 0 &&
	   newcomer(low, VL_SHARED, &c) == EAGAIN,
	   "lower.img: a readonly newcomer gets in, a shared one is refused");
	audit_proc_free(&p);
	fake_qemu_stop(pid);
	free(said);
	said = NULL;
	free(add);
	free(slot);
	free(low);
	free(stale);
	free(weak);
}

static void test_busy(void)
{
	char *slot = make("busy-slot.img"), *stale = make("busy-stale.img");
	struct fake_file files[] = {
		{ slot, FAKE_WRITE, VL_EXCLUSIVE, 0 },
		{ stale, FAKE_NONE, VL_EXCLUSIVE, -1 },
	};
	int source = open(slot, O_RDWR | O_CLOEXEC);
	struct lp_conflict c;
	struct audit_proc p;
	struct vl_error e;

	/* the migration source: this process, which /proc scans leave out */
	lp_lock(source, VL_EXCLUSIVE, &c);
	pid_t pid = fake_qemu(files, 2);
	audit_process(pid, NULL, 1, &p, &e);
	ok(audit_sync(&p, &opts, &e) == EX_TEMPFAIL &&
	   strstr(e.msg, "busy: wanted exclusive, held exclusive by a process "
		  "of this host") &&
	   strstr(e.msg, "nothing changed") && !said,
	   "the slot's source still holds: 75, the holder named, nothing "
	   "said done (%s)", e.msg);
	ok(newcomer(stale, VL_READONLY, &c) == EAGAIN &&
	   newcomer(slot, VL_READONLY, &c) == EAGAIN,
	   "nothing changed: the stale lock is still held, so is the slot");
	audit_proc_free(&p);
	close(source);
	audit_process(pid, NULL, 1, &p, &e);
	ok(audit_sync(&p, &opts, &e) == 0 && said &&
	   strstr(said, "busy-slot.img: handover slot 0 settled") &&
	   strstr(said, "busy-stale.img: released exclusive"),
	   "the source gone: settled and released, exit 0");
	audit_proc_free(&p);
	fake_qemu_stop(pid);
	free(said);
	said = NULL;
	free(slot);
	free(stale);
}

int main(void)
{
	dir = testdir_make();
	if (!dir)
		return 99;
	test_without_qmp();
	test_busy();
	testdir_remove(dir);
	return done_testing();
}
