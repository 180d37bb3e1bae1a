/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/audit/audit.c: the findings, and a process's files as audit reads
 * them from /proc: a child that locks scratch files as QEMU and vmlock
 * would (fake_qemu.h). */
#include "config.h"
#include "api/api.h"
#include "audit/audit.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"
#include "fake_qemu.h"

#include <stdlib.h>
#include <string.h>

static void test_judge(void)
{
	struct audit_lock ro = { .mode = VL_READONLY };
	struct audit_lock ex = { .mode = VL_EXCLUSIVE };
	struct audit_file f = { .qemu = AUDIT_READ_WRITE };

	ok(audit_judge(&f) == AUDIT_UNLOCKED && audit_lock_mode(&f) == -1,
	   "QEMU writes, no lock: unlocked");
	f.locks = &ro;
	f.nlocks = 1;
	ok(audit_judge(&f) == AUDIT_WEAKER, "QEMU writes, readonly lock: weaker");
	f.qemu = AUDIT_READ_ONLY;
	ok(audit_judge(&f) == AUDIT_OK && audit_wanted_mode(&f) == VL_READONLY,
	   "QEMU reads, readonly lock: ok, readonly wanted");
	f.locks = &ex;
	ok(audit_judge(&f) == AUDIT_OK, "QEMU reads, exclusive lock: ok");
	f.qemu = AUDIT_CLOSED;
	ok(audit_judge(&f) == AUDIT_STALE && audit_wanted_mode(&f) == -1,
	   "not open, exclusive lock: stale, nothing wanted");
	f.open = true;
	ok(audit_judge(&f) == AUDIT_OK,
	   "open by an fd without QEMU's locks, exclusive lock: ok");
	f.qemu = AUDIT_READ_WRITE;
	f.qemu_locks = (struct ql_use){ true, true, false };
	ok(audit_wanted_mode(&f) == VL_SHARED,
	   "QEMU writes and shares writing: shared wanted");
	f.qemu_locks.excludes = true;
	ok(audit_wanted_mode(&f) == VL_EXCLUSIVE,
	   "QEMU writes and lets no one else write: exclusive wanted");
	f.qemu_locks = (struct ql_use){ 0 };
	ok(audit_wanted_mode(&f) == VL_EXCLUSIVE,
	   "QEMU writes, without its own locks (locking=off): exclusive");
	ok(!strcmp(audit_finding_name(AUDIT_OK), "ok") &&
	   !strcmp(audit_finding_name(AUDIT_UNLOCKED), "unlocked") &&
	   !strcmp(audit_finding_name(AUDIT_WEAKER), "weaker") &&
	   !strcmp(audit_finding_name(AUDIT_STALE), "stale") &&
	   !strcmp(audit_use_name(AUDIT_READ_WRITE), "read-write") &&
	   !strcmp(audit_use_name(AUDIT_READ_ONLY), "read-only") &&
	   !audit_use_name(AUDIT_CLOSED),
	   "names: ok, unlocked, weaker, stale; read-write, read-only, none");
}

static const struct audit_file *find(const struct audit_proc *p,
				     const char *dir, const char *name)
{
	char *path = vl_asprintf("%s/%s", dir, name);
	const struct audit_file *f = NULL;

	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].path && !strcmp(p->v[i].path, path))
			f = &p->v[i];
	free(path);
	return f;
}

static void file_is(const struct audit_proc *p, const char *dir,
		    const char *name, enum audit_finding finding,
		    enum audit_use use, int lock)
{
	const struct audit_file *f = find(p, dir, name);

	if (!ok(f && f->finding == finding && f->qemu == use &&
		audit_lock_mode(f) == lock, "%s: %s, QEMU %s, lock %s", name,
		audit_finding_name(finding),
		use == AUDIT_CLOSED ? "-" : audit_use_name(use),
		lock < 0 ? "-" : vl_mode_name(lock)) && f)
		printf("#   got %s, QEMU %d, lock %d\n",
		       audit_finding_name(f->finding), f->qemu,
		       audit_lock_mode(f));
}

static void test_process(const char *dir)
{
	static const char *const names[] = {
		"w.img", "r.img", "weak.img", "stale.img", "share.img",
		"slot.img", "plain.img", "unused.img",
	};
	char *paths[8];

	for (int i = 0; i < 8; i++) {
		paths[i] = vl_asprintf("%s/%s", dir, names[i]);
		close(open(paths[i], O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	}
	struct fake_file files[] = {
		{ paths[0], FAKE_WRITE, -1, -1 },
		{ paths[1], FAKE_READ, VL_READONLY, -1 },
		{ paths[2], FAKE_WRITE, VL_READONLY, -1 },
		{ paths[3], FAKE_NONE, VL_EXCLUSIVE, -1 },
		{ paths[4], FAKE_SHARE_WRITE, VL_SHARED, -1 },
		{ paths[5], FAKE_WRITE, VL_EXCLUSIVE, 0 },
		{ paths[6], FAKE_OPEN, VL_READONLY, -1 },
		{ paths[7], FAKE_OPEN, -1, -1 },
	};
	pid_t pid = fake_qemu(files, 8);
	struct audit_proc p;
	struct vl_error e;

	ok(audit_process(pid, NULL, 1, &p, &e) == 0 && p.pid == pid &&
	   p.command && !p.name && !p.qmp && !p.qmp_answered,
	   "audit of a child: its command, no VM name, no QMP socket");
	ok(p.n == 7, "seven files: six locked by QEMU or vmlock, one open "
	   "and locked; the file open without a lock is none (%zu)", p.n);
	file_is(&p, dir, "w.img", AUDIT_UNLOCKED, AUDIT_READ_WRITE, -1);
	file_is(&p, dir, "r.img", AUDIT_OK, AUDIT_READ_ONLY, VL_READONLY);
	file_is(&p, dir, "weak.img", AUDIT_WEAKER, AUDIT_READ_WRITE,
		VL_READONLY);
	file_is(&p, dir, "stale.img", AUDIT_STALE, AUDIT_CLOSED, VL_EXCLUSIVE);
	file_is(&p, dir, "share.img", AUDIT_OK, AUDIT_READ_WRITE, VL_SHARED);
	file_is(&p, dir, "slot.img", AUDIT_OK, AUDIT_READ_WRITE, VL_EXCLUSIVE);
	file_is(&p, dir, "plain.img", AUDIT_OK, AUDIT_CLOSED, VL_READONLY);
	const struct audit_file *slot = find(&p, dir, "slot.img");
	ok(slot && slot->nlocks == 1 && slot->locks[0].role == VL_ROLE_INCOMING,
	   "slot.img: held through a handover slot (role incoming)");
	ok(!audit_proc_ok(&p), "a process with findings is not ok");
	audit_proc_free(&p);
	fake_qemu_stop(pid);
	ok(audit_process(pid, NULL, 1, &p, &e) == EX_NOINPUT &&
	   strstr(e.msg, "no such process"),
	   "audit of a pid that has exited: 66 (%s)", e.msg);
	audit_proc_free(&p);
	for (int i = 0; i < 8; i++)
		free(paths[i]);
}

int main(void)
{
	char *dir = testdir_make();

	if (!dir)
		return 99;
	test_judge();
	test_process(dir);
	testdir_remove(dir);
	return done_testing();
}
