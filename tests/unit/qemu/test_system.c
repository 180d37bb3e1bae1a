/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/system.c: the qemu-system command line: options and their
 * values, legacy disk options, how -drive, -blockdev and -device
 * arguments are read, -set, -readconfig, -name. What the items mean for
 * the disks is test_graph.c's. */
#include "config.h"
#include "qemu_cmd.h"

static void test_legacy_disks(void)
{
	expect("excl:/cwd/a.img", Q, "-hda", "a.img");
	expect("excl:/cwd/a.img", Q, "a.img");
	expect("excl:/abs/a,b.img", Q, "-hdb", "/abs/a,b.img");
	expect("ro:/cwd/cd.iso", Q, "-cdrom", "cd.iso");
	expect("excl:/cwd/f excl:/cwd/m excl:/cwd/s excl:/cwd/v",
	       Q, "-fda", "f", "-mtdblock", "m", "-sd", "s", "-pflash", "v");
	expect("excl:/cwd/c excl:/cwd/d excl:/cwd/b",
	       Q, "-hdc", "c", "-hdd", "d", "-fdb", "b");
	expect("ro:/cwd/a.img ro:/cwd/b", Q, "-snapshot", "-hda", "a.img", "b");
	expect("ro:/cwd/a.img", Q, "-hda", "a.img", "--snapshot");
	expect("excl:/cwd/a.img", Q, "--hda", "a.img");
	expect("excl:/cwd/x", Q, "-hda", "file:x");
	expect(" | skipped network disk nbd:host:10809: not a local file",
	       Q, "-hda", "nbd:host:10809");
}

static void test_options(void)
{
	expect("excl:/cwd/d", Q, "-M", "none", "-m", "512", "-kernel", "bz",
	       "-initrd", "i", "-append", "root=x", "-name", "vm", "-uuid",
	       "u", "-chardev", "stdio,id=c", "-serial", "mon:stdio",
	       "-monitor", "none", "-pidfile", "p", "-D", "log", "-incoming",
	       "defer", "-loadvm", "tag", "-smp", "2", "-netdev", "user,id=n",
	       "-nic", "none", "-object", "memory-backend-file,id=m,mem-path=f",
	       "-nographic", "-S", "-nodefaults", "-no-user-config",
	       "-daemonize", "-enable-kvm", "-bios", "b", "-L", ".", "-vga",
	       "none", "-display", "none", "-fsdev", "local,id=f,path=/p",
	       "-virtfs", "local,path=/p,mount_tag=t", "-dtb", "x", "d");
	expect("error 64: unknown QEMU option \"-frobnicate\"", Q,
	       "-frobnicate", "x");
	expect("error 64: unknown QEMU option \"--\"", Q, "--", "x");
	expect("error 64: QEMU option \"-hda=/x\": QEMU takes the value as "
	       "the next argument (-hda VALUE)", Q, "-hda=/x");
	expect("error 64: QEMU option \"--hda=/x\": QEMU takes the value as "
	       "the next argument (--hda VALUE)", Q, "--hda=/x");
	expect("error 64: QEMU option \"-drive\" needs a value", Q, "-drive");
	expect("error 64: QEMU option \"-kernel\" needs a value", Q, "-hda",
	       "a", "-kernel");
}

/* -drive key=value; -blockdev and -device key=value (implied key
 * driver) or JSON. */
static void test_items(void)
{
	expect("excl:/cwd/a", Q, "-blockdev",
	       "file,node-name=f,filename=a");
	expect_prefix("error 64: -device \"{\"driver\"\": invalid JSON", Q,
		      "-device", "{\"driver\"");
	expect_prefix("error 64: -blockdev \"{\"driver\": \"file\",\": "
		      "invalid JSON", Q, "-blockdev", "{\"driver\": \"file\",");
}

static void test_set(void)
{
	expect("excl:/cwd/b", Q, "-drive", "file=a,id=d0", "-set",
	       "drive.d0.file=b");
	/* -set adds a readonly after the first: QEMU reads the first */
	expect("excl:/cwd/a", Q, "-drive", "file=a,id=d0,readonly=off", "-set",
	       "drive.d0.readonly=on");
	expect("ro:/cwd/a", Q, "-drive", "file=a,id=d0", "-set",
	       "drive.d0.readonly=on");
	expect("excl:/cwd/a", Q, "-drive", "file=a,id=d0", "-set",
	       "drive.d0.format=qcow2", "-set", "machine.x.y=z");
	expect("error 64: -set \"drive.d1.file=b\": no -drive has that id",
	       Q, "-drive", "file=a,id=d0", "-set", "drive.d1.file=b");
	expect("error 64: -set \"drive.d0\": expected GROUP.ID.KEY=VALUE",
	       Q, "-set", "drive.d0");
	expect("shared:/cwd/a", Q, "-drive", "file=a,if=none,id=d0",
	       "-device", "virtio-blk-pci,drive=d0,id=v", "-set",
	       "device.v.share-rw=on");
}

static char *write_config(const char *dir, const char *name,
			  const char *text)
{
	char *path = vl_asprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		printf("# cannot write %s\n", path);
	return path;
}

static void test_readconfig(void)
{
	char *good, *bad, *dup, *want;

	good = write_config(qc_dir, "good.cfg",
			    "# a comment\n[machine]\n  type = \"none\"\n\n"
			    "[drive \"d0\"]\n  file = \"a.qcow2\"\n"
			    "  if = \"none\"\n[device \"v0\"]\n"
			    "  driver = \"virtio-blk-pci\"\n  drive = \"d0\"\n"
			    "  share-rw = \"on\"\n[drive]\n  file = \"b.img\"\n"
			    "  readonly = \"on\"\n");
	bad = write_config(qc_dir, "bad.cfg", "[drive]\nfile = a\n");
	dup = write_config(qc_dir, "dup.cfg",
			   "[drive]\nfile = \"a\"\nfile = \"b\"\n");
	printf("# good.cfg: [machine], [drive \"d0\"] file a.qcow2, "
	       "[device \"v0\"] drive d0 share-rw on, [drive] file b.img "
	       "readonly on\n# bad.cfg: file = a (unquoted) on line 2\n"
	       "# dup.cfg: file twice in [drive], lines 2 and 3\n");
	expect("shared:/cwd/a.qcow2 ro:/cwd/b.img", Q, "-readconfig", good);
	expect("shared:/cwd/c ro:/cwd/b.img", Q, "-readconfig", good, "-set",
	       "drive.d0.file=c");
	expect("ro:/cwd/a.qcow2 ro:/cwd/b.img", Q, "-readconfig", good,
	       "-set", "device.v0.share-rw=off", "-snapshot");
	/* QEMU's own sscanf takes a key with an unquoted value as key = "" */
	expect("", Q, "-readconfig", bad);
	expect("excl:/cwd/b", Q, "-readconfig", dup);
	expect("error 66: -readconfig \"no.cfg\": No such file or directory",
	       Q, "-readconfig", "no.cfg");
	expect("error 64: -readconfig \"-\": vmlock cannot read QEMU's "
	       "standard input; use a file", Q, "-readconfig", "-");
	expect("excl:/cwd/x", Q, "--no-user-config", "x");
	free(good);
	free(bad);
	free(dup);
}

/* What read (qemu_vm_name, qemu_qmp_socket) makes of a command line. */
static void answer_is(char *(*read)(int, char *const[]), const char *what,
		      const char *want, int argc, char *argv[])
{
	char *got = read(argc, argv);
	size_t n = 0;

	qc_input[0] = '\0';
	for (int i = 1; i < argc; i++)
		qc_describe(&n, argv[i]);
	if (!ok(want ? got && !strcmp(got, want) : !got, "%s -> %s %s",
		qc_input, what, want ? want : "(none)"))
		printf("#   got: %s\n", got ? got : "(null)");
	free(got);
}

static void name_is(const char *want, int argc, char *argv[])
{
	answer_is(qemu_vm_name, "name", want, argc, argv);
}

static void test_vm_name(void)
{
	char *a1[] = { Q, "-name", "vm1" };
	char *a2[] = { Q, "-name", "guest=vm2,process=p" };
	char *a3[] = { Q, "-name", "vm3,debug-threads=on" };
	char *a4[] = { Q, "--name", "a,,b" };
	char *a5[] = { Q, "-name", "process=p" };
	char *a6[] = { Q, "-hda", "x" };
	char *a7[] = { Q, "-name", "one", "-name", "two" };
	char *a8[] = { Q, "-append", "-name", "-name", "real" };
	char *a9[] = { Q, "-bogus", "-name", "x" };

	name_is("vm1", 3, a1);
	name_is("vm2", 3, a2);
	name_is("vm3", 3, a3);
	name_is("a,b", 3, a4);
	name_is(NULL, 3, a5);
	name_is(NULL, 3, a6);
	name_is("two", 5, a7);
	name_is("real", 5, a8);
	name_is(NULL, 4, a9);
}

static void qmp_is(const char *want, int argc, char *argv[])
{
	answer_is(qemu_qmp_socket, "QMP socket", want, argc, argv);
}

static void test_qmp_socket(void)
{
	char *a1[] = { Q, "-qmp", "unix:/run/q.sock,server=on,wait=off" };
	char *a2[] = { Q, "--qmp", "unix:rel,,x.sock,server,nowait" };
	char *a3[] = { Q, "-qmp", "unix:/run/client.sock" };
	char *a4[] = { Q, "-qmp", "tcp:localhost:4444,server=on",
		       "-qmp-pretty", "unix:/p.sock,server=on" };
	char *a5[] = { Q, "-mon", "chardev=m,mode=control", "-chardev",
		       "socket,id=m,path=/run/m.sock,server=on,wait=off" };
	char *a6[] = { Q, "-chardev", "socket,id=m,path=/run/m.sock,server=on",
		       "-mon", "m" };
	char *a7[] = { Q, "-chardev", "socket,id=charmonitor,fd=24,server=on,"
		       "wait=off", "-mon", "chardev=charmonitor,id=monitor,"
		       "mode=control" };
	char *a8[] = { Q, "-monitor", "unix:/run/hmp.sock,server=on",
		       "-hda", "x" };
	char *a9[] = { Q, "-chardev", "socket,id=m,path=/first,server=on",
		       "-qmp", "unix:/second,server=on", "-mon",
		       "m,mode=control" };
	char *a10[] = { Q, "-qmp", "unix:/known,server=on", "-frobnicate",
			"x" };

	qmp_is("/run/q.sock", 3, a1);
	qmp_is("rel,x.sock", 3, a2);
	qmp_is(NULL, 3, a3);
	qmp_is("/p.sock", 5, a4);
	qmp_is("/run/m.sock", 5, a5);
	qmp_is(NULL, 5, a6);
	qmp_is(NULL, 5, a7);
	qmp_is(NULL, 5, a8);
	qmp_is("/second", 7, a9);
	qmp_is("/known", 5, a10);
}

int main(void)
{
	if (qemu_cmd_setup())
		return 99;
	test_legacy_disks();
	test_options();
	test_items();
	test_set();
	test_readconfig();
	test_vm_name();
	test_qmp_socket();
	qemu_cmd_cleanup();
	return done_testing();
}
