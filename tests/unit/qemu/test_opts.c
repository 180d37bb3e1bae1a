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
	ok(qemu_opts_parse("a=1,a=2", NULL, &kv, &e) == EX_USAGE &&
	   !strcmp(e.msg, "duplicate key \"a\""),
	   "a=1,a=2: duplicate key \"a\"");
	qemu_kvlist_free(&kv);
}

/* The grammar as -drive reads its argument. */
static void test_drive_syntax(void)
{
	expect("excl:/cwd/a,b.img", Q, "-drive", "file=a,,b.img");
	expect("error 64: -drive \"file=a,file=b\": duplicate key \"file\"",
	       Q, "-drive", "file=a,file=b");
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
