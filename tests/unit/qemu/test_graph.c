/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/graph.c: what -drive, -blockdev and -device items make QEMU
 * open: modes, file names, protocols, json: names, child nodes,
 * references and share-rw. */
#include "config.h"
#include "qemu_cmd.h"

static void test_drive(void)
{
	expect("excl:/cwd/a.img", Q, "-drive", "file=a.img,if=virtio,id=d0");
	expect("excl:/cwd/a.img", Q, "-drive", "format=qcow2,file=a.img");
	expect("excl:/cwd/a.img", Q, "-drive", "file=a.img,format=raw");
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
	expect("excl:/cwd/a", Q, "-drive",
	       "file.driver=file,file.filename=a,format=qcow2");
	expect("excl:/cwd/a", Q, "-drive", "file.driver=file,file.filename=a");
	expect("excl:/cwd/a.img", Q, "-drive", "file=a.img,file.locking=off");
	expect("", Q, "-drive", "if=none,id=empty,media=cdrom");
	expect("", Q, "-drive", "file=,if=ide");
	expect("excl:/cwd/top ro:/cwd/base@1", Q, "-drive",
	       "file=top,format=qcow2,backing.file.filename=base");
	expect("excl:/cwd/top ro:/cwd/b1@1 ro:/cwd/b2@2", Q, "-drive",
	       "file=top,backing.file.filename=b1,"
	       "backing.backing.file.filename=b2");
	expect("excl:/cwd/top excl:/cwd/data", Q, "-drive",
	       "file=top,format=qcow2,data-file.filename=data,backing=");
	expect("error 64: -drive \"file=a,readonly=maybe\": readonly=maybe "
	       "is not on or off", Q, "-drive", "file=a,readonly=maybe");
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
	expect("excl:/cwd/a:b", Q, "-blockdev",
	       "driver=file,node-name=n,filename=a:b");
}

static void test_json_filenames(void)
{
	expect("excl:/x/a", Q, "-drive",
	       "file=json:{\"driver\": \"qcow2\",, \"file\": {\"driver\": "
	       "\"file\",, \"filename\": \"/x/a\"}}");
	expect("ro:/x/a", Q, "-drive",
	       "file=json:{'file': {'filename': '/x/a'}},readonly=on");
	/* a filename at the top of a -drive, which is no file node: QEMU
	 * says the same */
	expect("error 64: -drive \"file=json:{\"filename\": \"\\u00e9\"}\": "
	       "neither driver nor file", Q, "-drive",
	       "file=json:{\"filename\": \"\\u00e9\"}");
	expect("excl:/cwd/\xc3\xa9", Q, "-drive",
	       "file=json:{\"file\": {\"filename\": \"\\u00e9\"}}");
	expect_prefix("error 64: -drive \"file=json:{\": json: filename: "
		      "invalid JSON", Q, "-drive", "file=json:{");
	expect_prefix("error 64: -drive \"file=json:{\"filename\": \"a\"\": "
		      "json: filename: invalid JSON at offset 16",
		      Q, "-drive", "file=json:{\"filename\": \"a\"");
	expect_prefix("error 64: -drive \"file=json:[1]\": json: filename: "
		      "invalid JSON at offset 0: expected an object",
		      Q, "-drive", "file=json:[1]");
}

static void test_share_rw(void)
{
	expect("shared:/cwd/a", Q, "-drive", "file=a,if=none,id=d0",
	       "-device", "virtio-blk-pci,drive=d0,share-rw=on");
	expect("shared:/cwd/a", Q, "-device",
	       "{\"driver\": \"virtio-blk-pci\", \"drive\": \"d0\", "
	       "\"share-rw\": true}", "-drive", "file=a,if=none,id=d0");
	expect("shared:/cwd/a", Q, "-drive", "file=a,if=none,id=d0,readonly=on",
	       "--device", "scsi-hd,drive=d0,share-rw=yes");
	expect("excl:/cwd/a", Q, "-drive", "file=a,if=none,id=d0",
	       "-device", "virtio-blk-pci,drive=d0,share-rw=off");
	expect("error 64: -device \"virtio-blk,drive=d0,share-rw=x\": "
	       "share-rw=x is not on or off", Q, "-device",
	       "virtio-blk,drive=d0,share-rw=x");
}

static void test_blockdev(void)
{
	expect("excl:/cwd/a", Q, "-blockdev",
	       "driver=file,node-name=f,filename=a");
	expect("excl:/cwd/a", Q, "-blockdev",
	       "driver=qcow2,node-name=q,file.driver=file,file.filename=a");
	expect("excl:/cwd/a", Q,
	       "-blockdev", "driver=file,node-name=f,filename=a",
	       "-blockdev", "driver=qcow2,node-name=q,file=f");
	/* read-only passes to inline children only: node f, named by
	 * reference, stays read-write in QEMU 7.2 ("ro": false) */
	expect("excl:/cwd/a", Q,
	       "-blockdev", "driver=file,node-name=f,filename=a",
	       "-blockdev", "driver=qcow2,node-name=q,file=f,read-only=on");
	expect("ro:/cwd/a", Q,
	       "-blockdev", "driver=file,node-name=f,filename=a,read-only=on",
	       "-blockdev", "driver=qcow2,node-name=q,file=f,read-only=on");
	expect("excl:/cwd/a", Q,
	       "-blockdev", "driver=file,filename=a,node-name=f",
	       "-blockdev", "driver=raw,file=f,read-only=on,node-name=r",
	       "-device", "virtio-blk,drive=f");
	expect("ro:/cwd/a", Q,
	       "-blockdev", "driver=qcow2,node-name=q,read-only=on,"
	       "file.driver=file,file.filename=a");
	expect("excl:/cwd/a", Q, "-snapshot",
	       "-blockdev", "driver=file,node-name=f,filename=a",
	       "-blockdev", "driver=qcow2,node-name=q,file=f");
	expect("shared:/cwd/a", Q,
	       "-blockdev", "driver=file,node-name=f,filename=a",
	       "-blockdev", "driver=qcow2,node-name=q,file=f",
	       "-device", "virtio-blk-pci,drive=q,share-rw=on");
	/* a node referenced as backing keeps its own read-write */
	expect("excl:/cwd/top excl:/cwd/base@1", Q,
	       "-blockdev", "driver=file,node-name=bf,filename=base",
	       "-blockdev", "driver=qcow2,node-name=b,file=bf",
	       "-blockdev", "driver=file,node-name=tf,filename=top",
	       "-blockdev", "driver=qcow2,node-name=t,file=tf,backing=b");
	expect("excl:/cwd/top ro:/cwd/base@1", Q,
	       "-blockdev", "driver=file,node-name=bf,filename=base,read-only=on",
	       "-blockdev", "driver=qcow2,node-name=b,file=bf,read-only=on",
	       "-blockdev", "driver=file,node-name=tf,filename=top",
	       "-blockdev", "driver=qcow2,node-name=t,file=tf,backing=b");
	expect("excl:/cwd/top", Q, "-blockdev",
	       "{\"driver\": \"qcow2\", \"node-name\": \"t\", \"backing\": null,"
	       " \"file\": {\"driver\": \"file\", \"filename\": \"top\"}}");
	expect("ro:/x/a", Q, "-blockdev",
	       "{\"driver\":\"raw\",\"read-only\":true,\"node-name\":\"r\","
	       "\"file\":{\"driver\":\"host_device\",\"filename\":\"/x/a\"}}");
	expect("excl:/cwd/a excl:/cwd/d", Q, "-blockdev",
	       "driver=qcow2,node-name=q,file.driver=file,file.filename=a,"
	       "data-file.driver=file,data-file.filename=d");
	expect("excl:/cwd/a", Q, "-blockdev",
	       "driver=throttle,node-name=t,throttle-group=g,"
	       "file.driver=file,file.filename=a");
	expect(" | skipped network disk (driver nbd) in -blockdev "
	       "\"driver=nbd,node-name=n,server.type=inet,server.host=h\": "
	       "not a local file", Q, "-blockdev",
	       "driver=nbd,node-name=n,server.type=inet,server.host=h");
	expect("excl:/cwd/a excl:/cwd/b", Q, "-blockdev",
	       "driver=quorum,node-name=q,vote-threshold=1,"
	       "children.0.driver=file,children.0.filename=a,"
	       "children.1.driver=file,children.1.filename=b");
	expect("excl:/cwd/a", Q,
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
	expect("error 64: -blockdev \"driver=file,node-name=f,filename=a,"
	       "read-only=2\": read-only=2 is not on or off", Q, "-blockdev",
	       "driver=file,node-name=f,filename=a,read-only=2");
}

int main(void)
{
	if (qemu_cmd_setup())
		return 99;
	test_drive();
	test_protocols();
	test_json_filenames();
	test_share_rw();
	test_blockdev();
	qemu_cmd_cleanup();
	return done_testing();
}
