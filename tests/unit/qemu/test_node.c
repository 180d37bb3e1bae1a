/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/node.c, the files a node's image header names: backing
 * chains, data files and extents of real files in a scratch directory. */
#include "config.h"
#include "image/image.h"
#include "qemu/qemu.h"
#include "api/api.h"
#include "util/util.h"
#include "../image/image_build.h"
#include "../tap.h"
#include "../testdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

static char *in_dir(const char *name)
{
	return vl_asprintf("%s/%s", dir, name);
}

static void make_dir(const char *name)
{
	char *path = in_dir(name);

	mkdir(path, 0755);
	free(path);
}

static void write_file(const char *name, const unsigned char *buf,
		       size_t len)
{
	char *path = in_dir(name);
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		fprintf(stderr, "cannot write %s\n", path);
	free(path);
}

static void write_qcow2(const char *name, const char *backing,
			const char *backing_fmt, const char *data_file)
{
	unsigned char b[CLUSTER];

	make_qcow2(b, backing, backing_fmt, data_file);
	write_file(name, b, sizeof b);
}

/* Reads "-drive file=PATH,if=none,id=d0[,format=F][,readonly=on]" (and
 * a share-rw=on device for shared) with its chains, and describes the
 * files beside the image itself: "MODE:PATH@DEPTH ..." with dir shown as
 * "D", or "error CODE: MESSAGE". */
static const char *chain(const char *name, const char *format,
			 enum vl_mode mode)
{
	static const char *const modes[] = { "excl", "shared", "ro" };
	static char out[4096];
	struct qemu_disks d = {0};
	struct vl_error e = {0};
	char *path = name[0] == '/' ? vl_strdup(name) : in_dir(name);
	char *drive = vl_asprintf("file=%s,if=none,id=d0%s%s%s", path,
				  format ? ",format=" : "", format ? format : "",
				  mode == VL_READONLY ? ",readonly=on" : "");
	char *argv[] = { "qemu-system-x86_64", "-drive", drive,
			 mode == VL_SHARED ? "-device" : NULL,
			 "virtio-blk-pci,drive=d0,share-rw=on", NULL };
	int rc = qemu_read_args(mode == VL_SHARED ? 5 : 3, argv, NULL, true,
				&d, &e);
	size_t n = 0, dlen = strlen(dir), first = 0;

	out[0] = '\0';
	if (rc)
		n = (size_t)snprintf(out, sizeof out, "error %d: %s", rc, e.msg);
	if (!rc && d.n && !strcmp(d.v[0].path, path))
		first = 1;	/* the image itself */
	for (size_t i = first; !rc && i < d.n && n < sizeof out; i++) {
		const char *p = d.v[i].path;
		bool under = !strncmp(p, dir, dlen);

		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s:%s%s@%u",
				      i > first ? " " : "", modes[d.v[i].mode],
				      under ? "D" : "", under ? p + dlen : p,
				      d.v[i].depth);
	}
	/* messages name files by full path; show dir as D there too */
	for (char *x; (x = strstr(out, dir));)
		memmove(x + 1, x + dlen, strlen(x + dlen) + 1), *x = 'D';
	qemu_disks_free(&d);
	free(drive);
	free(path);
	return out;
}

/* what: the image given (name, format, mode) and what its header says. */
#define expect_chain(what, want, ...) do { \
	const char *want_ = (want); \
	const char *got_ = chain(__VA_ARGS__); \
	if (!ok(!strncmp(got_, want_, strlen(want_)), "%s -> %s", what, \
		*want_ ? want_ : "no other file")) \
		printf("#   got: %s\n", got_); \
} while (0)

static void test_chains(void)
{
	char *abs_base = in_dir("base.qcow2");
	char *json;

	write_qcow2("base.qcow2", NULL, NULL, NULL);
	write_qcow2("mid.qcow2", abs_base, "qcow2", NULL);
	write_qcow2("top.qcow2", "mid.qcow2", NULL, NULL);
	expect_chain("exclusive top.qcow2, backing mid.qcow2, whose backing "
		     "is D/base.qcow2 (format qcow2)",
		     "ro:D/mid.qcow2@1 ro:D/base.qcow2@2", "top.qcow2", NULL,
		     VL_EXCLUSIVE);
	expect_chain("exclusive base.qcow2, no backing name",
		     "", "base.qcow2", NULL, VL_EXCLUSIVE);
	expect_chain("exclusive top.qcow2 as format raw",
		     "", "top.qcow2", "raw", VL_EXCLUSIVE);
	expect_chain("shared top.qcow2 as format qcow2",
		     "ro:D/mid.qcow2@1 ro:D/base.qcow2@2", "top.qcow2",
		     "qcow2", VL_SHARED);

	/* relative names are resolved beside the path as written */
	make_dir("sub");
	write_qcow2("sub/top.qcow2", "../mid.qcow2", NULL, NULL);
	expect_chain("sub/top.qcow2, backing ../mid.qcow2",
		     "ro:D/sub/../mid.qcow2@1 ro:D/base.qcow2@2",
		     "sub/top.qcow2", NULL, VL_EXCLUSIVE);
	make_dir("other");
	write_qcow2("other/real.qcow2", "mid.qcow2", NULL, NULL);
	char *link = in_dir("link.qcow2");
	if (symlink("other/real.qcow2", link) == 0)
		expect_chain("link.qcow2, a symlink to other/real.qcow2 whose "
			     "backing is mid.qcow2", "ro:D/mid.qcow2@1",
			     "link.qcow2", NULL, VL_EXCLUSIVE);
	free(link);
	expect_chain("other/real.qcow2, backing mid.qcow2 (none in other/)",
		     "error 66: D/other/mid.qcow2 (backing file of "
		     "D/other/real.qcow2): No such file or directory",
		     "other/real.qcow2", NULL, VL_EXCLUSIVE);

	/* the backing format stops probing: a raw base has no chain */
	write_qcow2("rawbase", "never-read", NULL, NULL);
	write_qcow2("over-raw.qcow2", "rawbase", "raw", NULL);
	expect_chain("over-raw.qcow2, backing rawbase (format raw), itself a "
		     "qcow2 header naming never-read", "ro:D/rawbase@1",
		     "over-raw.qcow2", NULL, VL_EXCLUSIVE);

	write_qcow2("loop-a.qcow2", "loop-b.qcow2", NULL, NULL);
	write_qcow2("loop-b.qcow2", "loop-a.qcow2", NULL, NULL);
	expect_chain("loop-a.qcow2, backing loop-b.qcow2, backing "
		     "loop-a.qcow2", "error 65: D/loop-a.qcow2: backing chain "
		     "loops at D/loop-a.qcow2", "loop-a.qcow2", NULL,
		     VL_EXCLUSIVE);
	write_qcow2("self.qcow2", "self.qcow2", NULL, NULL);
	expect_chain("self.qcow2, backing self.qcow2",
		     "error 65: D/self.qcow2: backing chain loops",
		     "self.qcow2", NULL, VL_EXCLUSIVE);

	write_qcow2("orphan.qcow2", "gone.qcow2", NULL, NULL);
	expect_chain("orphan.qcow2, backing gone.qcow2 (missing)",
		     "error 66: D/gone.qcow2 (backing file of "
		     "D/orphan.qcow2): No such file or directory",
		     "orphan.qcow2", NULL, VL_EXCLUSIVE);
	expect_chain("absent (no such file)",
		     "error 66: D/absent: No such file or directory",
		     "absent", NULL, VL_EXCLUSIVE);

	make_dir("adir");
	write_qcow2("over-dir.qcow2", "adir", NULL, NULL);
	expect_chain("over-dir.qcow2, backing adir (a directory)",
		     "error 66: D/adir (backing file of D/over-dir.qcow2): "
		     "not a regular file or block device", "over-dir.qcow2",
		     NULL, VL_EXCLUSIVE);
	char *fifo = in_dir("fifo");
	if (mkfifo(fifo, 0600) == 0) {
		write_qcow2("over-fifo.qcow2", "fifo", NULL, NULL);
		expect_chain("over-fifo.qcow2, backing fifo (a FIFO)",
			     "error 66: D/fifo (backing file of "
			     "D/over-fifo.qcow2): not a regular file",
			     "over-fifo.qcow2", NULL, VL_EXCLUSIVE);
	}
	free(fifo);

	write_qcow2("net.qcow2", "nbd://host/export", NULL, NULL);
	expect_chain("net.qcow2, backing nbd://host/export", "", "net.qcow2",
		     NULL, VL_EXCLUSIVE);

	json = vl_asprintf("json:{\"driver\": \"qcow2\", \"file\": {\"driver\": "
			   "\"file\", \"filename\": \"%s\"}}", abs_base);
	write_qcow2("over-json.qcow2", json, NULL, NULL);
	expect_chain("over-json.qcow2, backing json:{\"driver\": \"qcow2\", "
		     "\"file\": {\"driver\": \"file\", \"filename\": "
		     "\"D/base.qcow2\"}}", "ro:D/base.qcow2@1",
		     "over-json.qcow2", NULL, VL_EXCLUSIVE);
	free(json);
	write_qcow2("bad-json.qcow2", "json:{\"driver\": ", NULL, NULL);
	expect_chain("bad-json.qcow2, backing json:{\"driver\": (cut short)",
		     "error 65: D/bad-json.qcow2: backing file name json:",
		     "bad-json.qcow2", NULL, VL_EXCLUSIVE);

	/* corrupt headers in files name the file */
	unsigned char b[CLUSTER];
	make_qcow2(b, "x", NULL, NULL);
	put_be32(b + 16, 2000);
	write_file("corrupt.qcow2", b, sizeof b);
	expect_chain("corrupt.qcow2, backing_file_size 2000",
		     "error 65: D/corrupt.qcow2: qcow2 backing file name "
		     "length 2000 > 1023", "corrupt.qcow2", NULL, VL_EXCLUSIVE);
	write_qcow2("over-corrupt.qcow2", "corrupt.qcow2", NULL, NULL);
	expect_chain("over-corrupt.qcow2, backing corrupt.qcow2",
		     "error 65: D/corrupt.qcow2: qcow2", "over-corrupt.qcow2",
		     NULL, VL_EXCLUSIVE);

	/* external data files: relative to the current directory, with the
	 * image's mode; readonly below the top */
	char *abs_data = in_dir("data.raw");
	write_qcow2("with-data.qcow2", NULL, NULL, abs_data);
	expect_chain("shared with-data.qcow2, data file D/data.raw",
		     "shared:D/data.raw@0", "with-data.qcow2", NULL,
		     VL_SHARED);
	write_qcow2("over-data.qcow2", "with-data.qcow2", NULL, NULL);
	expect_chain("exclusive over-data.qcow2, backing with-data.qcow2",
		     "ro:D/with-data.qcow2@1 ro:D/data.raw@1",
		     "over-data.qcow2", NULL, VL_EXCLUSIVE);
	free(abs_data);
	char *cwd = getcwd(NULL, 0);
	write_qcow2("rel-data.qcow2", NULL, NULL, "rel.raw");
	char *want = vl_asprintf("excl:%s/rel.raw@0", cwd);
	expect_chain("exclusive rel-data.qcow2, data file rel.raw (relative: "
		     "to the current directory)", want, "rel-data.qcow2",
		     NULL, VL_EXCLUSIVE);
	free(want);
	free(cwd);

	write_file("d.vmdk", (const unsigned char *)vmdk_descriptor,
		   strlen(vmdk_descriptor));
	write_file("parent.vmdk", (const unsigned char *)"version=1\n", 10);
	expect_chain("exclusive d.vmdk, a descriptor with the RW extent "
		     "d-f001.vmdk (and RDONLY /abs/d-s002.vmdk, which QEMU does "
		     "not open), parent parent.vmdk",
		     "excl:D/d-f001.vmdk@0 ro:D/parent.vmdk@1", "d.vmdk", NULL,
		     VL_EXCLUSIVE);

	unsigned char q[CLUSTER];
	make_qed(q, "base.qcow2", false);
	write_file("top.qed", q, sizeof q);
	expect_chain("top.qed, QED with backing base.qcow2",
		     "ro:D/base.qcow2@1", "top.qed", NULL, VL_EXCLUSIVE);

	free(abs_base);
}

/* The JSON parser's reason survives in the chain's message (vl_fail may
 * be given e->msg). */
static void test_json_reason(void)
{
	write_qcow2("json-reason.qcow2", "json:{bad", NULL, NULL);
	expect_chain("qcow2 v3, backing name json:{bad (the message keeps the "
		     "JSON parser's reason)", "error 65: D/json-reason.qcow2: "
		     "backing file name json:{bad: invalid JSON at offset",
		     "json-reason.qcow2", NULL,
		     VL_EXCLUSIVE);
}

static void test_depth(void)
{
	char name[64], next[64];

	/* c0 -> c1 -> ... -> c1025 */
	for (int i = 0; i <= IMAGE_CHAIN_MAX + 1; i++) {
		snprintf(name, sizeof name, "c%d", i);
		snprintf(next, sizeof next, "c%d", i + 1);
		write_qcow2(name, i <= IMAGE_CHAIN_MAX ? next : NULL, NULL, NULL);
	}
	expect_chain("c0 -> c1 -> ... -> c1025, 1025 backing images",
		     "error 65: D/c0: backing chain deeper than 1024", "c0",
		     NULL, VL_EXCLUSIVE);
	struct qemu_disks d = {0};
	struct vl_error e;
	char *c1 = in_dir("c1");
	char *drive = vl_asprintf("file=%s,if=none", c1);
	char *argv[] = { "qemu-system-x86_64", "-drive", drive, NULL };
	ok(qemu_read_args(3, argv, NULL, true, &d, &e) == 0 &&
	   d.n == IMAGE_CHAIN_MAX + 1 && d.v[d.n - 1].depth == IMAGE_CHAIN_MAX,
	   "c1 -> c2 -> ... -> c1025: a chain of exactly %d backing images "
	   "is fine", IMAGE_CHAIN_MAX);
	qemu_disks_free(&d);
	free(drive);
	free(c1);
}

int main(void)
{
	if (!(dir = testdir_make()))
		return 99;
	test_chains();
	test_json_reason();
	test_depth();
	testdir_remove(dir);
	return done_testing();
}
