/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/img.c (and tools.c, the options): qemu-img command lines,
 * what each command opens and writes. */
#include "config.h"
#include "qemu_cmd.h"

#include <unistd.h>

static void test_qemu_img(void)
{
	/* an output file that exists already */
	char *out = vl_asprintf("%s/exists", qc_dir), *want;
	FILE *f = fopen(out, "w");

	if (f)
		fclose(f);
	expect("ro:/cwd/a", "qemu-img", "info", "a");
	expect("ro:/cwd/a", "qemu-img", "info", "-f", "qcow2", "a");
	expect("ro:/cwd/a", "qemu-img", "info", "-fqcow2", "a");
	expect("ro:/cwd/a", "qemu-img", "info", "--format=qcow2", "a");
	expect("ro:/cwd/a", "qemu-img", "info", "--form", "qcow2", "a");
	expect(" | not locked: a (force-share)", "qemu-img", "info", "-U", "a");
	expect(" | not locked: a (force-share)", "qemu-img", "info", "-Uf",
	       "qcow2", "a");
	expect("ro:/cwd/a", "/usr/bin/qemu-img", "-T", "x", "info", "a",
	       "--output", "json", "--backing-chain");
	expect("ro:/cwd/a ro:/cwd/b", "qemu-img", "compare", "a", "-F",
	       "raw", "b");
	expect("ro:/cwd/a", "qemu-img", "check", "a");
	expect("excl:/cwd/a", "qemu-img", "check", "-r", "all", "a");
	expect("excl:/cwd/a", "qemu-img", "resize", "a", "-1G");
	expect("excl:/cwd/a", "qemu-img", "amend", "-o", "compat=1.1", "a");
	expect("excl:/cwd/a", "qemu-img", "snapshot", "-c", "s1", "a");
	expect("ro:/cwd/a", "qemu-img", "snapshot", "-l", "a");
	expect("ro:/cwd/a", "qemu-img", "bench", "a");
	expect("excl:/cwd/a", "qemu-img", "bench", "-w", "a");
	expect("ro:/cwd/a", "qemu-img", "map", "a");
	expect("ro:/cwd/a", "qemu-img", "measure", "-O", "qcow2", "a");
	expect("", "qemu-img", "measure", "--size", "1G", "-O", "qcow2");
	expect("excl:/cwd/t excl:/cwd/b", "qemu-img", "commit", "-b", "b", "t");
	expect("error 66: /cwd/t: No such file or directory", "qemu-img",
	       "commit", "t");
	expect("excl:/cwd/d/t ro:/cwd/d/n", "qemu-img", "rebase", "-b",
	       "n", "-F", "qcow2", "d/t");
	expect("excl:/cwd/d/t", "qemu-img", "rebase", "-u", "-b", "n", "d/t");
	expect("excl:/cwd/a ro:/cwd/src", "qemu-img", "bitmap", "--merge", "x",
	       "-b", "src", "a", "bm");
	expect("ro:/cwd/d/base", "qemu-img", "create", "-f", "qcow2",
	       "-b", "base", "-F", "qcow2", "d/new.qcow2");
	expect("ro:/cwd/d/base", "qemu-img", "create", "-f", "qcow2", "-o",
	       "backing_file=base", "d/new.qcow2", "1G");
	expect("", "qemu-img", "create", "-u", "-b", "base", "new", "1G");
	expect("", "qemu-img", "create", "-o", "a=1,a=2", "new", "1G");
	want = vl_asprintf("excl:%s", out);
	expect(want, "qemu-img", "create", "-f", "qcow2", out, "1G");
	free(want);
	expect("ro:/cwd/a ro:/cwd/b", "qemu-img", "convert", "a", "b", "new");
	want = vl_asprintf("ro:/cwd/a excl:%s", out);
	expect(want, "qemu-img", "convert", "-O", "raw", "a", out);
	free(want);
	want = vl_asprintf("ro:/cwd/a excl:%s", out);
	expect(want, "qemu-img", "convert", "-n", "a", out);
	free(want);
	expect("ro:/cwd/a ro:/cwd/d/b", "qemu-img", "convert", "-B", "b", "a",
	       "d/new");
	expect("ro:/cwd/a", "qemu-img", "convert", "--image-opts",
	       "driver=qcow2,file.filename=a", "new");
	expect("ro:/cwd/i", "qemu-img", "dd", "if=i", "of=o", "bs=1M");
	expect("", "qemu-img", "--help");
	expect("", "qemu-img", "info", "-h");
	expect("error 64: unknown qemu-img command \"frob\"", "qemu-img",
	       "frob");
	expect("error 64: qemu-img: no command given", "qemu-img");
	expect("error 64: qemu-img info: unknown option -z in \"-z\"",
	       "qemu-img", "info", "-z", "a");
	expect("error 64: qemu-img info: unknown option \"--bogus\"",
	       "qemu-img", "info", "--bogus", "a");
	expect("error 64: qemu-img info: option -f needs a value",
	       "qemu-img", "info", "a", "-f");
	expect("error 64: qemu-img convert: expected 2 file names",
	       "qemu-img", "convert", "a");
	expect("error 64: qemu-img dd: expected if= and of=", "qemu-img",
	       "dd", "if=a");
	expect(" | skipped network disk nbd://h/e: not a local file",
	       "qemu-img", "info", "nbd://h/e");
	unlink(out);
	free(out);
}

int main(void)
{
	if (qemu_cmd_setup())
		return 99;
	test_qemu_img();
	qemu_cmd_cleanup();
	return done_testing();
}
