/* Unit tests of the QEMU command-line reader. */
#include "config.h"
#include "qemu/qemu.h"
#include "qemu/kv.h"
#include "qemu/opts.h"
#include "qemu/json.h"
#include "qemu/filename.h"
#include "util/util.h"
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char result[8192];
static char tmpdir[] = "/tmp/vmlock-test-args.XXXXXX";

/* Reads a command line (NULL-terminated) with cwd /cwd and describes
 * the outcome: "MODE:PATH[(FORMAT)][!][@DEPTH] ..." ("!" when the command
 * line fixes the backing chain), then "| note" per note; or "error CODE:
 * MESSAGE". */
static const char *read_cmd(const char *arg0, ...)
{
	static const char *const modes[] = { "excl", "shared", "ro" };
	char *argv[64];
	int argc = 0;
	va_list ap;
	struct qemu_disks d = {0};
	struct vl_error e = {0};
	size_t n = 0;

	va_start(ap, arg0);
	for (const char *a = arg0; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	result[0] = '\0';
	int rc = qemu_read_args(argc, argv, "/cwd", &d, &e);
	if (rc) {
		snprintf(result, sizeof result, "error %d: %s", rc, e.msg);
		qemu_disks_free(&d);
		return result;
	}
	for (size_t i = 0; i < d.n; i++) {
		const struct qemu_disk *k = &d.v[i];
		n += (size_t)snprintf(result + n, sizeof result - n, "%s%s:%s",
				      i ? " " : "", modes[k->mode], k->path);
		if (k->format)
			n += (size_t)snprintf(result + n, sizeof result - n,
					      "(%s)", k->format);
		if (!k->chain)
			n += (size_t)snprintf(result + n, sizeof result - n, "!");
		if (k->depth)
			n += (size_t)snprintf(result + n, sizeof result - n,
					      "@%u", k->depth);
	}
	for (size_t i = 0; i < d.nnotes; i++)
		n += (size_t)snprintf(result + n, sizeof result - n, " | %s",
				      d.notes[i]);
	qemu_disks_free(&d);
	return result;
}

#define expect(want, ...) do { \
	const char *got_ = read_cmd(__VA_ARGS__, NULL); \
	if (!ok(!strcmp(got_, want), "%s", want)) \
		printf("#   got: %s\n", got_); \
} while (0)

#define expect_prefix(want, ...) do { \
	const char *got_ = read_cmd(__VA_ARGS__, NULL); \
	if (!ok(!strncmp(got_, want, strlen(want)), "%s", want)) \
		printf("#   got: %s\n", got_); \
} while (0)

#define Q "qemu-system-x86_64"

static void test_is_qemu(void)
{
	ok(qemu_command_is_qemu("/usr/bin/qemu-system-x86_64"), "qemu-system-");
	ok(qemu_command_is_qemu("qemu-kvm"), "qemu-kvm");
	ok(qemu_command_is_qemu("/bin/qemu-img"), "qemu-img");
	ok(qemu_command_is_qemu("qemu-nbd"), "qemu-nbd");
	ok(qemu_command_is_qemu("qemu-io"), "qemu-io");
	ok(!qemu_command_is_qemu("/usr/bin/qemu"), "not plain qemu");
	ok(!qemu_command_is_qemu("/opt/qemu-system-x86_64/bin/sh"),
	   "basename only");
	ok(!qemu_command_is_qemu("xqemu-img"), "prefix only");
}

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

static void test_drive(void)
{
	expect("excl:/cwd/a.img", Q, "-drive", "file=a.img,if=virtio,id=d0");
	expect("excl:/cwd/a,b.img", Q, "-drive", "file=a,,b.img");
	expect("excl:/cwd/a.img(qcow2)", Q, "-drive", "format=qcow2,file=a.img");
	expect("excl:/cwd/a.img(raw)", Q, "-drive", "file=a.img,format=raw");
	expect("ro:/cwd/a", Q, "-drive", "file=a,readonly=on");
	expect("ro:/cwd/a", Q, "-drive", "file=a,read-only=yes");
	expect("ro:/cwd/a", Q, "-drive", "file=a,readonly");
	expect("excl:/cwd/a", Q, "-drive", "file=a,readonly=false");
	expect("ro:/cwd/a", Q, "-drive", "file=a,snapshot=on");
	expect("ro:/cwd/a", Q, "-drive", "file=a,media=cdrom");
	expect("ro:/cwd/a", Q, "-snapshot", "-drive", "file=a");
	expect("ro:/cwd/a", Q, "-drive", "file=a", "-snapshot");
	expect("excl:/cwd/a", Q, "-snapshot", "-drive", "file=a,snapshot=off");
	expect("excl:/cwd/a", Q, "-drive", "file.filename=a");
	expect("excl:/cwd/a(qcow2)", Q, "-drive",
	       "file.driver=file,file.filename=a,format=qcow2");
	expect("excl:/cwd/a", Q, "-drive", "file.driver=file,file.filename=a");
	expect("excl:/cwd/a.img", Q, "-drive", "file=a.img,file.locking=off");
	expect("", Q, "-drive", "if=none,id=empty,media=cdrom");
	expect("", Q, "-drive", "file=,if=ide");
	expect("excl:/cwd/top(qcow2)! ro:/cwd/base@1", Q, "-drive",
	       "file=top,format=qcow2,backing.file.filename=base");
	expect("excl:/cwd/top! ro:/cwd/b1!@1 ro:/cwd/b2@2", Q, "-drive",
	       "file=top,backing.file.filename=b1,"
	       "backing.backing.file.filename=b2");
	expect("excl:/cwd/top(qcow2)! excl:/cwd/data(raw)!", Q, "-drive",
	       "file=top,format=qcow2,data-file.filename=data,backing=");
	expect("error 64: -drive \"file=a,file=b\": duplicate key \"file\"",
	       Q, "-drive", "file=a,file=b");
	expect("error 64: -drive \"file=a,readonly=maybe\": readonly=maybe "
	       "is not on or off", Q, "-drive", "file=a,readonly=maybe");
	expect("error 64: -drive \"=a\": empty key", Q, "-drive", "=a");
}

static void test_protocols(void)
{
	expect(" | skipped network disk nbd://h/x: not a local file",
	       Q, "-drive", "file=nbd://h/x");
	expect(" | skipped network disk nbd+unix:///e?socket=/s: not a local "
	       "file", Q, "-drive", "file=nbd+unix:///e?socket=/s");
	expect(" | skipped network disk iscsi://h/iqn/1: not a local file",
	       Q, "-drive", "file=iscsi://h/iqn/1");
	expect(" | skipped network disk rbd:pool/img: not a local file",
	       Q, "-drive", "file=rbd:pool/img");
	expect(" | skipped network disk fat:rw:/dir: not a local file",
	       Q, "-drive", "file=fat:rw:/dir");
	expect(" | skipped network disk null-co://: not a local file",
	       Q, "-drive", "file=null-co://");
	expect(" | skipped network disk https://h/a.iso: not a local file",
	       Q, "-cdrom", "https://h/a.iso");
	expect("excl:/cwd/dir/a:b", Q, "-drive", "file=dir/a:b");
	expect("excl:/x", Q, "-drive", "file=file:/x");
	expect(" | skipped network disk (driver nbd) in -drive "
	       "\"file.driver=nbd,file.host=h\": not a local file",
	       Q, "-drive", "file.driver=nbd,file.host=h");
	expect("excl:/cwd/a:b(file)", Q, "-blockdev",
	       "driver=file,node-name=n,filename=a:b");
}

static void test_json_filenames(void)
{
	expect("excl:/x/a(qcow2)", Q, "-drive",
	       "file=json:{\"driver\": \"qcow2\",, \"file\": {\"driver\": "
	       "\"file\",, \"filename\": \"/x/a\"}}");
	expect("ro:/x/a", Q, "-drive",
	       "file=json:{'file': {'filename': '/x/a'}},readonly=on");
	expect("excl:/cwd/\xc3\xa9", Q, "-drive",
	       "file=json:{\"filename\": \"\\u00e9\"}");
	expect_prefix("error 64: -drive \"file=json:{\": json: filename: "
		      "invalid JSON", Q, "-drive", "file=json:{");
	expect_prefix("error 64: -drive \"file=json:{\"filename\": \"a\"\": "
		      "json: filename: invalid JSON at offset 16",
		      Q, "-drive", "file=json:{\"filename\": \"a\"");
	expect_prefix("error 64: -drive \"file=json:[1]\": json: filename: "
		      "invalid JSON at offset 0: expected an object",
		      Q, "-drive", "file=json:[1]");
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":1}x");
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":01}");
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":\"\\x\"}");
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":\"\\ud800\"}");
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":tru}");
	expect_prefix("error 64", Q, "-drive",
		      "file=json:{\"a\":1,,\"a\":2}");
	expect("", Q, "-drive",
	       "file=json:{\"x\":[1,,-2.5e3,,true,,false,,null,,{\"y\":[]}]}");
	/* a nesting bomb is refused, not recursed into */
	char deep[512] = "file=json:";
	for (int i = 0; i < 40; i++)
		strcat(deep, "{\"a\":");
	expect_prefix("error 64", Q, "-drive", deep);
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

static void test_set_and_device(void)
{
	expect("excl:/cwd/b", Q, "-drive", "file=a,id=d0", "-set",
	       "drive.d0.file=b");
	expect("ro:/cwd/a", Q, "-drive", "file=a,id=d0", "-set",
	       "drive.d0.readonly=on");
	expect("excl:/cwd/a(qcow2)", Q, "-drive", "file=a,id=d0", "-set",
	       "drive.d0.format=qcow2", "-set", "machine.x.y=z");
	expect("error 64: -set \"drive.d1.file=b\": no -drive has that id",
	       Q, "-drive", "file=a,id=d0", "-set", "drive.d1.file=b");
	expect("error 64: -set \"drive.d0\": expected GROUP.ID.KEY=VALUE",
	       Q, "-set", "drive.d0");
	expect("shared:/cwd/a", Q, "-drive", "file=a,if=none,id=d0",
	       "-device", "virtio-blk-pci,drive=d0,share-rw=on");
	expect("shared:/cwd/a", Q, "-device",
	       "{\"driver\": \"virtio-blk-pci\", \"drive\": \"d0\", "
	       "\"share-rw\": true}", "-drive", "file=a,if=none,id=d0");
	expect("shared:/cwd/a", Q, "-drive", "file=a,if=none,id=d0,readonly=on",
	       "--device", "scsi-hd,drive=d0,share-rw=yes");
	expect("excl:/cwd/a", Q, "-drive", "file=a,if=none,id=d0",
	       "-device", "virtio-blk-pci,drive=d0,share-rw=off");
	expect("shared:/cwd/a", Q, "-drive", "file=a,if=none,id=d0",
	       "-device", "virtio-blk-pci,drive=d0,id=v", "-set",
	       "device.v.share-rw=on");
	expect("error 64: -device \"virtio-blk,drive=d0,share-rw=x\": "
	       "share-rw=x is not on or off", Q, "-device",
	       "virtio-blk,drive=d0,share-rw=x");
	expect_prefix("error 64: -device \"{\"driver\"\": invalid JSON", Q,
		      "-device", "{\"driver\"");
}

static void test_blockdev(void)
{
	expect("excl:/cwd/a(file)", Q, "-blockdev",
	       "driver=file,node-name=f,filename=a");
	expect("excl:/cwd/a(file)", Q, "-blockdev",
	       "file,node-name=f,filename=a");
	expect("excl:/cwd/a(qcow2)", Q, "-blockdev",
	       "driver=qcow2,node-name=q,file.driver=file,file.filename=a");
	expect("excl:/cwd/a(qcow2)", Q,
	       "-blockdev", "driver=file,node-name=f,filename=a",
	       "-blockdev", "driver=qcow2,node-name=q,file=f");
	/* read-only passes to inline children only: node f, named by
	 * reference, stays read-write in QEMU 7.2 ("ro": false) */
	expect("excl:/cwd/a(qcow2)", Q,
	       "-blockdev", "driver=file,node-name=f,filename=a",
	       "-blockdev", "driver=qcow2,node-name=q,file=f,read-only=on");
	expect("ro:/cwd/a(qcow2)", Q,
	       "-blockdev", "driver=file,node-name=f,filename=a,read-only=on",
	       "-blockdev", "driver=qcow2,node-name=q,file=f,read-only=on");
	expect("excl:/cwd/a(raw)", Q,
	       "-blockdev", "driver=file,filename=a,node-name=f",
	       "-blockdev", "driver=raw,file=f,read-only=on,node-name=r",
	       "-device", "virtio-blk,drive=f");
	expect("ro:/cwd/a(qcow2)", Q,
	       "-blockdev", "driver=qcow2,node-name=q,read-only=on,"
	       "file.driver=file,file.filename=a");
	expect("excl:/cwd/a(qcow2)", Q, "-snapshot",
	       "-blockdev", "driver=file,node-name=f,filename=a",
	       "-blockdev", "driver=qcow2,node-name=q,file=f");
	expect("shared:/cwd/a(qcow2)", Q,
	       "-blockdev", "driver=file,node-name=f,filename=a",
	       "-blockdev", "driver=qcow2,node-name=q,file=f",
	       "-device", "virtio-blk-pci,drive=q,share-rw=on");
	expect("excl:/cwd/top(qcow2)! ro:/cwd/base(qcow2)@1", Q,
	       "-blockdev", "driver=file,node-name=bf,filename=base",
	       "-blockdev", "driver=qcow2,node-name=b,file=bf",
	       "-blockdev", "driver=file,node-name=tf,filename=top",
	       "-blockdev", "driver=qcow2,node-name=t,file=tf,backing=b");
	expect("excl:/cwd/top(qcow2)!", Q, "-blockdev",
	       "{\"driver\": \"qcow2\", \"node-name\": \"t\", \"backing\": null,"
	       " \"file\": {\"driver\": \"file\", \"filename\": \"top\"}}");
	expect("ro:/x/a(raw)", Q, "-blockdev",
	       "{\"driver\":\"raw\",\"read-only\":true,\"node-name\":\"r\","
	       "\"file\":{\"driver\":\"host_device\",\"filename\":\"/x/a\"}}");
	expect("excl:/cwd/a(qcow2) excl:/cwd/d(raw)!", Q, "-blockdev",
	       "driver=qcow2,node-name=q,file.driver=file,file.filename=a,"
	       "data-file.driver=file,data-file.filename=d");
	expect("excl:/cwd/a(throttle)", Q, "-blockdev",
	       "driver=throttle,node-name=t,throttle-group=g,"
	       "file.driver=file,file.filename=a");
	expect(" | skipped network disk (driver nbd) in -blockdev "
	       "\"driver=nbd,node-name=n,server.type=inet,server.host=h\": "
	       "not a local file", Q, "-blockdev",
	       "driver=nbd,node-name=n,server.type=inet,server.host=h");
	expect("excl:/cwd/a(quorum) excl:/cwd/b(quorum)", Q, "-blockdev",
	       "driver=quorum,node-name=q,vote-threshold=1,"
	       "children.0.driver=file,children.0.filename=a,"
	       "children.1.driver=file,children.1.filename=b");
	expect("excl:/cwd/a(quorum)", Q,
	       "-blockdev", "driver=file,node-name=f,filename=a",
	       "-blockdev", "driver=quorum,node-name=q,children.0=f");
	expect("error 64: -blockdev \"driver=qcow2,node-name=q,file=nope\": "
	       "no -blockdev has node-name \"nope\"", Q, "-blockdev",
	       "driver=qcow2,node-name=q,file=nope");
	expect_prefix("error 64: -blockdev \"driver=raw,node-name=b,file=a\": "
		      "nodes nest too deeply", Q,
		      "-blockdev", "driver=raw,node-name=a,file=b",
		      "-blockdev", "driver=raw,node-name=b,file=a",
		      "-blockdev", "driver=raw,node-name=c,file=a");
	expect("error 64: -blockdev \"driver=file,filename=a,read-only=2\": "
	       "read-only=2 is not on or off", Q, "-blockdev",
	       "driver=file,filename=a,read-only=2");
	expect_prefix("error 64: -blockdev \"{\"driver\": \"file\",\": "
		      "invalid JSON", Q, "-blockdev", "{\"driver\": \"file\",");
}

static void test_qemu_img(void)
{
	const char *out = "/tmp/vmlock-test-args-exists";
	FILE *f = fopen(out, "w");

	if (f)
		fclose(f);
	expect("ro:/cwd/a", "qemu-img", "info", "a");
	expect("ro:/cwd/a(qcow2)", "qemu-img", "info", "-f", "qcow2", "a");
	expect("ro:/cwd/a(qcow2)", "qemu-img", "info", "-fqcow2", "a");
	expect("ro:/cwd/a(qcow2)", "qemu-img", "info", "--format=qcow2", "a");
	expect("ro:/cwd/a(qcow2)", "qemu-img", "info", "--form", "qcow2", "a");
	expect(" | not locked: a (force-share)", "qemu-img", "info", "-U", "a");
	expect(" | not locked: a (force-share)", "qemu-img", "info", "-Uf",
	       "qcow2", "a");
	expect("ro:/cwd/a", "/usr/bin/qemu-img", "-T", "x", "info", "a",
	       "--output", "json", "--backing-chain");
	expect("ro:/cwd/a ro:/cwd/b(raw)", "qemu-img", "compare", "a", "-F",
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
	expect("excl:/cwd/d/t ro:/cwd/d/n(qcow2)", "qemu-img", "rebase", "-b",
	       "n", "-F", "qcow2", "d/t");
	expect("excl:/cwd/d/t", "qemu-img", "rebase", "-u", "-b", "n", "d/t");
	expect("excl:/cwd/a ro:/cwd/src", "qemu-img", "bitmap", "--merge", "x",
	       "-b", "src", "a", "bm");
	expect("ro:/cwd/d/base(qcow2)", "qemu-img", "create", "-f", "qcow2",
	       "-b", "base", "-F", "qcow2", "d/new.qcow2");
	expect("ro:/cwd/d/base", "qemu-img", "create", "-f", "qcow2", "-o",
	       "backing_file=base", "d/new.qcow2", "1G");
	expect("", "qemu-img", "create", "-u", "-b", "base", "new", "1G");
	expect("error 64: -o \"a=1,a=2\": duplicate key \"a\"", "qemu-img",
	       "create", "-o", "a=1,a=2", "new", "1G");
	expect("excl:/tmp/vmlock-test-args-exists(qcow2)!", "qemu-img",
	       "create", "-f", "qcow2", out, "1G");
	expect("ro:/cwd/a ro:/cwd/b", "qemu-img", "convert", "a", "b", "new");
	expect("ro:/cwd/a excl:/tmp/vmlock-test-args-exists(raw)!", "qemu-img",
	       "convert", "-O", "raw", "a", out);
	expect("ro:/cwd/a excl:/tmp/vmlock-test-args-exists",
	       "qemu-img", "convert", "-n", "a", out);
	expect("ro:/cwd/a ro:/cwd/d/b", "qemu-img", "convert", "-B", "b", "a",
	       "d/new");
	expect("ro:/cwd/a(qcow2)", "qemu-img", "convert", "--image-opts",
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
}

static void test_qemu_io_nbd(void)
{
	expect("excl:/cwd/a", "qemu-io", "-c", "write 0 1M", "a");
	expect("ro:/cwd/a", "qemu-io", "-r", "-c", "read 0 1M", "a");
	expect("ro:/cwd/a(raw)", "qemu-io", "--read-only", "-f", "raw", "a");
	expect("ro:/cwd/a", "qemu-io", "-s", "a");
	expect(" | not locked: a (force-share)", "qemu-io", "-rU", "a");
	expect("error 64: qemu-io: expected 1 file name", "qemu-io", "a", "b");
	expect("excl:/cwd/a(qcow2)", "qemu-nbd", "--fork", "-k", "/s", "-f",
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

static void test_cwd(void)
{
	char *argv[] = { "qemu-system-x86_64", "-hda", "rel.img", NULL };
	char *saved = getcwd(NULL, 0);
	struct qemu_disks d = {0};
	struct vl_error e = {0};

	if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0) {
		ok(0, "temp dir");
		return;
	}
	int rc = qemu_read_args(3, argv, NULL, &d, &e);
	char *want = vl_asprintf("%s/rel.img", tmpdir);
	ok(rc == 0 && d.n == 1 && !strcmp(d.v[0].path, want),
	   "NULL cwd: relative paths joined to the current directory");
	free(want);
	qemu_disks_free(&d);
	if (saved && chdir(saved) != 0)
		ok(0, "chdir back");
	rmdir(tmpdir);
	free(saved);
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
	char dir[] = "/tmp/vmlock-test-config.XXXXXX";
	char *good, *bad, *dup, *want;

	if (!mkdtemp(dir)) {
		ok(0, "temp dir");
		return;
	}
	good = write_config(dir, "good.cfg",
			    "# a comment\n[machine]\n  type = \"none\"\n\n"
			    "[drive \"d0\"]\n  file = \"a.qcow2\"\n"
			    "  if = \"none\"\n[device \"v0\"]\n"
			    "  driver = \"virtio-blk-pci\"\n  drive = \"d0\"\n"
			    "  share-rw = \"on\"\n[drive]\n  file = \"b.img\"\n"
			    "  readonly = \"on\"\n");
	bad = write_config(dir, "bad.cfg", "[drive]\nfile = a\n");
	dup = write_config(dir, "dup.cfg",
			   "[drive]\nfile = \"a\"\nfile = \"b\"\n");
	expect("shared:/cwd/a.qcow2 ro:/cwd/b.img", Q, "-readconfig", good);
	expect("shared:/cwd/c ro:/cwd/b.img", Q, "-readconfig", good, "-set",
	       "drive.d0.file=c");
	expect("ro:/cwd/a.qcow2 ro:/cwd/b.img", Q, "-readconfig", good,
	       "-set", "device.v0.share-rw=off", "-snapshot");
	want = vl_asprintf("error 64: -readconfig \"%s\": line 2: parse error",
			 bad);
	expect(want, Q, "-readconfig", bad);
	free(want);
	want = vl_asprintf("error 64: -readconfig \"%s\": line 3: duplicate "
			 "key \"file\"", dup);
	expect(want, Q, "-readconfig", dup);
	free(want);
	expect("error 66: -readconfig \"no.cfg\": No such file or directory",
	       Q, "-readconfig", "no.cfg");
	expect("error 64: -readconfig \"-\": vmlock cannot read QEMU's "
	       "standard input; use a file", Q, "-readconfig", "-");
	expect("excl:/cwd/x", Q, "--no-user-config", "x");
	unlink(good);
	unlink(bad);
	unlink(dup);
	rmdir(dir);
	free(good);
	free(bad);
	free(dup);
}

static void name_is(const char *want, int argc, char *argv[])
{
	char *got = qemu_vm_name(argc, argv);

	if (!ok(want ? got && !strcmp(got, want) : !got, "name %s",
		want ? want : "(none)"))
		printf("#   got: %s\n", got ? got : "(null)");
	free(got);
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

static void test_opts_parser(void)
{
	struct qemu_kvlist kv = {0};
	struct vl_error e;

	ok(qemu_opts_parse("virtio,,x,a=1,,2,b,c=", "driver", &kv, &e) == 0 &&
	   kv.n == 4 && !strcmp(qemu_kv_get(&kv, "driver"), "virtio,x") &&
	   !strcmp(qemu_kv_get(&kv, "a"), "1,2") &&
	   !strcmp(qemu_kv_get(&kv, "b"), "on") &&
	   !strcmp(qemu_kv_get(&kv, "c"), ""),
	   "QemuOpts: implied key, escapes, bare key, empty value");
	qemu_kvlist_free(&kv);
	ok(qemu_opts_parse("a=1,", NULL, &kv, &e) == 0 && kv.n == 1,
	   "QemuOpts: trailing comma");
	qemu_kvlist_free(&kv);
	ok(qemu_opts_parse("a=1,a=2", NULL, &kv, &e) == EX_USAGE &&
	   !strcmp(e.msg, "duplicate key \"a\""), "QemuOpts: duplicate key");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse(" {\"a\": {\"b\": [\"x\", {\"c\": null}]}} ", &kv,
			   &e) == 0 && kv.n == 2 &&
	   !strcmp(qemu_kv_get(&kv, "a.b.0"), "x") &&
	   qemu_kv_get(&kv, "a.b.1.c") == NULL && kv.v[1].val == NULL,
	   "JSON flattened");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"a\": {\"b\": 1}, \"a.b\": 2}", &kv, &e) ==
	   EX_USAGE, "JSON: duplicate flattened key");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"s\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00\"}",
			   &kv, &e) == 0 &&
	   !strcmp(qemu_kv_get(&kv, "s"), "\"\\/\b\f\n\r\t\xf0\x9f\x98\x80"),
	   "JSON: escapes and surrogate pairs");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"s\": \"a\nb\"}", &kv, &e) == EX_USAGE,
	   "JSON: raw control character refused");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"s\": \"\\u0000\"}", &kv, &e) == EX_USAGE,
	   "JSON: NUL refused");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"s\": \"abc", &kv, &e) == EX_USAGE &&
	   strstr(e.msg, "unterminated string"), "JSON: unterminated string");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"n\": -0.5E+2}", &kv, &e) == 0 &&
	   !strcmp(qemu_kv_get(&kv, "n"), "-0.5E+2"), "JSON: number text");
	qemu_kvlist_free(&kv);
	ok(qemu_name_is_protocol("nbd:x") && !qemu_name_is_protocol("/a:b") &&
	   !qemu_name_is_protocol("file:/a") && !qemu_name_is_protocol("a"),
	   "protocol rule");
}

int main(void)
{
	test_is_qemu();
	test_legacy_disks();
	test_drive();
	test_protocols();
	test_json_filenames();
	test_options();
	test_set_and_device();
	test_blockdev();
	test_qemu_img();
	test_qemu_io_nbd();
	test_cwd();
	test_readconfig();
	test_vm_name();
	test_opts_parser();
	return done_testing();
}
