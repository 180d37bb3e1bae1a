/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/reader.c: which program a command line runs, and the
 * directory relative names are joined to. */
#include "config.h"
#include "qemu/qemu.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_is_qemu(void)
{
	ok(qemu_command_is_qemu("/usr/bin/qemu-system-x86_64"),
	   "/usr/bin/qemu-system-x86_64 is QEMU (qemu-system-*)");
	ok(qemu_command_is_qemu("qemu-kvm"), "qemu-kvm is QEMU");
	ok(qemu_command_is_qemu("/bin/qemu-img"), "/bin/qemu-img is QEMU");
	ok(qemu_command_is_qemu("qemu-nbd"), "qemu-nbd is QEMU");
	ok(qemu_command_is_qemu("qemu-io"), "qemu-io is QEMU");
	ok(!qemu_command_is_qemu("/usr/bin/qemu"),
	   "/usr/bin/qemu is not (plain qemu)");
	ok(!qemu_command_is_qemu("/opt/qemu-system-x86_64/bin/sh"),
	   "/opt/qemu-system-x86_64/bin/sh is not (basename only)");
	ok(!qemu_command_is_qemu("xqemu-img"),
	   "xqemu-img is not (prefix only)");
}

static void test_cwd(void)
{
	char *argv[] = { "qemu-system-x86_64", "-hda", "rel.img", NULL };
	char *saved = getcwd(NULL, 0);
	char *dir = testdir_make(), *here = NULL;
	struct qemu_disks d = {0};
	struct vl_error e = {0};

	if (!dir || chdir(dir) != 0 || !(here = getcwd(NULL, 0))) {
		ok(0, "a scratch directory under $TMPDIR to run in");
		free(saved);
		testdir_remove(dir);
		return;
	}
	int rc = qemu_read_args(3, argv, NULL, false, &d, &e);
	char *want = vl_asprintf("%s/rel.img", here);
	ok(rc == 0 && d.n == 1 && !strcmp(d.v[0].path, want),
	   "-hda rel.img with cwd NULL, run in a scratch directory: joined "
	   "to the current directory");
	free(want);
	free(here);
	qemu_disks_free(&d);
	if (saved && chdir(saved) != 0)
		ok(0, "chdir back to %s", saved);
	testdir_remove(dir);
	free(saved);
}

int main(void)
{
	test_is_qemu();
	test_cwd();
	return done_testing();
}
