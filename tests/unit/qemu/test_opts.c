/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/opts.c: the QemuOpts and keyval grammar, on its own and as
 * -drive reads it. */
#include "config.h"
#include "qemu/opts.h"
#include "qemu_cmd.h"

static void test_opts_parser(void)
{
	struct qemu_kvlist kv = {0};
	struct vl_error e;

	ok(qemu_opts_parse("virtio,,x,a=1,,2,b,c=", "driver", &kv, &e) == 0 &&
	   kv.n == 4 && !strcmp(qemu_kv_get(&kv, "driver"), "virtio,x") &&
	   !strcmp(qemu_kv_get(&kv, "a"), "1,2") &&
	   !strcmp(qemu_kv_get(&kv, "b"), "on") &&
	   !strcmp(qemu_kv_get(&kv, "c"), ""),
	   "virtio,,x,a=1,,2,b,c= with implied key driver: driver=virtio,x "
	   "a=1,2 b=on c=");
	qemu_kvlist_free(&kv);
	ok(qemu_opts_parse("a=1,", NULL, &kv, &e) == 0 && kv.n == 1,
	   "a=1, (trailing comma): one key");
	qemu_kvlist_free(&kv);
	ok(qemu_opts_parse("a=1,a=2", NULL, &kv, &e) == 0 && kv.n == 1 &&
	   !strcmp(kv.v[0].val, "2"),
	   "a=1,a=2: a is 2 (QEMU takes the last value)");
	qemu_kvlist_free(&kv);
	ok(qemu_opts_parse("snapshot=on,nosnapshot", NULL, &kv, &e) == 0 &&
	   kv.n == 1 && !strcmp(kv.v[0].key, "snapshot") &&
	   !strcmp(kv.v[0].val, "off"),
	   "snapshot=on,nosnapshot: snapshot is off (the no prefix, the last "
	   "value)");
	qemu_kvlist_free(&kv);
	ok(qemu_opts_parse("id=a,x=1,id=b", NULL, &kv, &e) == 0 &&
	   !strcmp(qemu_kv_get(&kv, "id"), "a"),
	   "id=a,x=1,id=b: id is a (QEMU takes the first id)");
	qemu_kvlist_free(&kv);
}

/* The grammar as -drive reads its argument. */
static void test_drive_syntax(void)
{
	expect("excl:/cwd/a,b.img", Q, "-drive", "file=a,,b.img");
	expect("excl:/cwd/b", Q, "-drive", "file=a,file=b");
	expect("excl:/cwd/a", Q, "-drive", "file=a,snapshot=false,snapshot=on,"
	       "nosnapshot");
	expect("excl:/cwd/a", Q, "-snapshot", "-drive", "file=a,nosnapshot");
	expect("ro:/cwd/a", Q, "-drive", "file=a,snapshot=false,snapshot=on");
	expect("ro:/cwd/a", Q, "-drive", "file=a,snapshot=y");
	/* -drive renames the last readonly and reads the first */
	expect("excl:/cwd/a", Q, "-drive", "file=a,readonly=no,readonly=on");
	expect("ro:/cwd/a", Q, "-drive", "file=a,readonly=on,readonly=no");
	expect("ro:/cwd/a", Q, "-drive", "file=a,read-only=off,read-only=on");
	expect("error 64: -drive \"=a\": empty key", Q, "-drive", "=a");
}

int main(void)
{
	if (qemu_cmd_setup())
		return 99;
	test_opts_parser();
	test_drive_syntax();
	qemu_cmd_cleanup();
	return done_testing();
}
