/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/io.c: qemu-io (its -c commands) and qemu-nbd command lines. */
#include "config.h"
#include "qemu_cmd.h"

#include <unistd.h>

static void test_qemu_io_nbd(void)
{
	expect("excl:/cwd/a", "qemu-io", "-c", "write 0 1M", "a");
	expect("ro:/cwd/a", "qemu-io", "-r", "-c", "read 0 1M", "a");
	expect("ro:/cwd/a", "qemu-io", "--read-only", "-f", "raw", "a");
	expect("ro:/cwd/a", "qemu-io", "-s", "a");
	expect(" | not locked: a (force-share)", "qemu-io", "-rU", "a");
	expect("error 64: qemu-io: expected 1 file name", "qemu-io", "a", "b");
	expect("excl:/cwd/a", "qemu-nbd", "--fork", "-k", "/s", "-f",
	       "qcow2", "a");
	expect("ro:/cwd/a", "qemu-nbd", "-r", "-p", "10809", "-b", "::",
	       "-x", "e", "-t", "a");
	expect("ro:/cwd/a", "qemu-nbd", "--snapshot", "-c", "/dev/nbd0", "a");
	expect("ro:/cwd/a", "qemu-nbd", "-l", "snap", "a");
	expect("", "qemu-nbd", "-d", "/dev/nbd0");
	expect("", "qemu-nbd", "-L", "-k", "/s");
	expect("excl:/cwd/a", "qemu-nbd", "--image-opts",
	       "driver=file,filename=a");
	expect("error 64: qemu-nbd: option \"--port\" needs a value",
	       "qemu-nbd", "a", "--port");
	expect("error 64: qemu-nbd: option \"--fork=1\" takes no value",
	       "qemu-nbd", "--fork=1", "a");
}

static void test_qemu_io_commands(void)
{
	expect("ro:/cwd/b excl:/cwd/o", "qemu-io", "-r", "-c", "open o", "b");
	expect("ro:/cwd/b ro:/cwd/o", "qemu-io", "-r", "-c", "open -r o", "b");
	expect("ro:/cwd/b | not locked: o (force-share)", "qemu-io", "-r", "-c",
	       "o -U o", "b");
	expect("ro:/cwd/b excl:/cwd/b", "qemu-io", "-r", "-c", "reopen -w", "b");
	expect("ro:/cwd/b excl:/cwd/b", "qemu-io", "-r", "-c",
	       "reopen -o read-only=off", "b");
	expect("ro:/cwd/b", "qemu-io", "-r", "-c", "read 0 512", "-c",
	       "reopen -r", "b");
	expect("ro:/cwd/b excl:/cwd/o excl:/cwd/o", "qemu-io", "-r", "-c",
	       "open o", "-c", "reopen -w", "b");
}

static void test_qemu_storage_daemon(void)
{
	expect("excl:/cwd/a", "qemu-storage-daemon", "--blockdev",
	       "driver=file,node-name=f,filename=a", "--export",
	       "type=nbd,id=e,node-name=f,writable=on");
	expect("ro:/cwd/a", "/usr/bin/qemu-storage-daemon",
	       "--blockdev=driver=file,node-name=f,filename=a,read-only=on");
	expect("error 64: qemu-storage-daemon: unexpected argument \"a\"",
	       "qemu-storage-daemon", "a");
	expect("", "qemu-storage-daemon", "--help");
}

int main(void)
{
	if (qemu_cmd_setup())
		return 99;
	test_qemu_io_nbd();
	test_qemu_io_commands();
	test_qemu_storage_daemon();
	qemu_cmd_cleanup();
	return done_testing();
}
