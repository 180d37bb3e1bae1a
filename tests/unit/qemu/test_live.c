/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/live.c: the reader for a running QEMU's monitor: blockdev-add
 * options whose node-names are the running QEMU's nodes, -drive options
 * (HMP drive_add), an image by name, over qcow2 chains written in a
 * scratch directory. Disks are shown as MODE:PATH@DEPTH, the directory
 * as D, or "error CODE: MESSAGE". */
#include "config.h"
#include "qemu/json.h"
#include "qemu/qemu.h"
#include "util/util.h"
#include "../image/image_build.h"
#include "../tap.h"
#include "../testdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;
static char *img, *fmt_file;

static char *in_dir(const char *name)
{
	return vl_asprintf("%s/%s", dir, name);
}

/* The running QEMU: proto0, a file node on img.qcow2 (img -> mid ->
 * base); fmt0, the qcow2 node on it; net0, a node without a local file. */
static struct qemu_live live(bool inherit)
{
	static struct qemu_live_node nodes[3];

	nodes[0] = (struct qemu_live_node){ "proto0", img, true };
	nodes[1] = (struct qemu_live_node){ "fmt0", img, false };
	nodes[2] = (struct qemu_live_node){ "net0", NULL, true };
	return (struct qemu_live){ .cwd = dir, .v = nodes, .n = 3,
				   .inherit = inherit };
}

static const char *describe(int rc, const struct qemu_disks *d,
			    const struct vl_error *e)
{
	static const char *const modes[] = { "excl", "shared", "ro" };
	static char out[4096];
	size_t n = 0, dlen = strlen(dir);

	out[0] = '\0';
	if (rc) {
		snprintf(out, sizeof out, "error %d: %s", rc, e->msg);
		return out;
	}
	for (size_t i = 0; i < d->n && n < sizeof out; i++) {
		const char *p = d->v[i].path;
		bool in = !strncmp(p, dir, dlen) && p[dlen] == '/';
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s:%s%s@%u",
				      i ? " " : "", modes[d->v[i].mode],
				      in ? "D" : "", in ? p + dlen : p,
				      d->v[i].depth);
	}
	return out;
}

/* blockdev-add arguments (JSON) read against the live nodes. */
static void check_blockdev(const char *json, bool inherit, const char *want)
{
	struct qemu_live l = live(inherit);
	struct qemu_kvlist kv = {0};
	struct qemu_disks d = {0};
	struct vl_error e = {0};
	int rc = qemu_json_parse(json, &kv, &e);

	if (!rc)
		rc = qemu_read_blockdev(&l, &kv, &d, &e);
	const char *got = describe(rc, &d, &e);
	ok(!strcmp(got, want) || (!strncmp(want, "error ", 6) &&
				  !strncmp(got, want, strlen(want))),
	   "blockdev-add %s%s: %s (%s)", json, inherit ? " (inherit)" : "",
	   *want ? want : "nothing", got);
	qemu_kvlist_free(&kv);
	qemu_disks_free(&d);
}

/* -drive options, "file=D/" naming the scratch directory. */
static void check_drive(const char *given, const char *want)
{
	struct qemu_live l = live(false);
	struct qemu_disks d = {0};
	struct vl_error e = {0};
	const char *at = strstr(given, "file=D/");
	char *opts = at ? vl_asprintf("%.*sfile=%s/%s", (int)(at - given),
				      given, dir, at + 7) : vl_strdup(given);
	int rc = qemu_read_drive(&l, opts, &d, &e);
	const char *got = describe(rc, &d, &e);

	ok(!strcmp(got, want) || (!strncmp(want, "error ", 6) &&
				  !strncmp(got, want, strlen(want))),
	   "drive_add %s: %s (%s)", given, want, got);
	free(opts);
	qemu_disks_free(&d);
}

static void check_image(const char *name, const char *format, bool ro,
			const char *want)
{
	struct qemu_live l = live(false);
	struct qemu_disks d = {0};
	struct vl_error e = {0};
	int rc = qemu_read_image(&l, name, format, ro, &d, &e);
	const char *got = describe(rc, &d, &e);

	ok(!strcmp(got, want) || (!strncmp(want, "error ", 6) &&
				  !strncmp(got, want, strlen(want))),
	   "image %s%s%s%s: %s (%s)", name, format ? " format " : "",
	   format ? format : "", ro ? " read-only" : "", want, got);
	qemu_disks_free(&d);
}

static void test_blockdev(void)
{
	/* the qcow2 header read from proto0's file; its chain readonly */
	check_blockdev("{\"driver\": \"qcow2\", \"node-name\": \"n1\", "
		       "\"file\": \"proto0\"}", false,
		       "ro:D/mid.qcow2@1 ro:D/base.qcow2@2");
	check_blockdev("{\"driver\": \"qcow2\", \"node-name\": \"n1\", "
		       "\"read-only\": true, \"file\": \"proto0\"}", false,
		       "ro:D/mid.qcow2@1 ro:D/base.qcow2@2");
	check_blockdev("{\"driver\": \"qcow2\", \"node-name\": \"n1\", "
		       "\"backing\": null, \"file\": \"proto0\"}", false, "");
	/* reopened with its parent: the node's file in the parent's mode */
	check_blockdev("{\"driver\": \"qcow2\", \"node-name\": \"n1\", "
		       "\"file\": \"proto0\"}", true,
		       "excl:D/img.qcow2@0 ro:D/mid.qcow2@1 ro:D/base.qcow2@2");
	check_blockdev("{\"driver\": \"qcow2\", \"node-name\": \"n1\", "
		       "\"read-only\": true, \"file\": \"proto0\"}", true,
		       "ro:D/img.qcow2@0 ro:D/mid.qcow2@1 ro:D/base.qcow2@2");
	check_blockdev("{\"driver\": \"raw\", \"node-name\": \"n1\", "
		       "\"file\": \"fmt0\"}", true, "excl:D/img.qcow2@0");
	/* a format node presents no file to read a header from */
	check_blockdev("{\"driver\": \"raw\", \"node-name\": \"n1\", "
		       "\"file\": \"fmt0\"}", false, "");
	check_blockdev("{\"driver\": \"raw\", \"node-name\": \"n1\", "
		       "\"file\": \"net0\"}", true, "");
	/* a new file node beside the live ones */
	check_blockdev("{\"driver\": \"qcow2\", \"node-name\": \"n2\", "
		       "\"file\": {\"driver\": \"file\", \"filename\": \"mid.qcow2\"}, "
		       "\"backing\": \"fmt0\"}", false, "excl:D/mid.qcow2@0");
	check_blockdev("{\"driver\": \"qcow2\", \"node-name\": \"n1\", "
		       "\"file\": \"nothere\"}", false, "error 64");
	check_blockdev("{\"driver\": \"qcow2\", \"node-name\": \"n1\", "
		       "\"file\": {\"driver\": \"raw\", \"file\": \"nothere\"}}",
		       true, "error 64");
}

static void test_drive(void)
{
	check_drive("if=none,file=D/img.qcow2,readonly=on",
		    "ro:D/img.qcow2@0 ro:D/mid.qcow2@1 ro:D/base.qcow2@2");
	check_drive("if=none,id=d9,file=D/img.qcow2",
		    "excl:D/img.qcow2@0 ro:D/mid.qcow2@1 ro:D/base.qcow2@2");
	check_drive("if=none,id=d9,format=raw,file=D/img.qcow2",
		    "excl:D/img.qcow2@0");
	check_drive("if=none,id=d9,file=D/missing.qcow2", "error 66");
}

static void test_image(void)
{
	check_image(img, NULL, true,
		    "ro:D/img.qcow2@0 ro:D/mid.qcow2@1 ro:D/base.qcow2@2");
	check_image(img, NULL, false,
		    "excl:D/img.qcow2@0 ro:D/mid.qcow2@1 ro:D/base.qcow2@2");
	check_image("img.qcow2", "qcow2", false,
		    "excl:D/img.qcow2@0 ro:D/mid.qcow2@1 ro:D/base.qcow2@2");
	check_image(img, "raw", false, "excl:D/img.qcow2@0");
	check_image(fmt_file, "qcow2", true, "error 65");
	check_image("missing.qcow2", NULL, true, "error 66");
}

/* An empty drive's medium, by the command line QEMU started with. */
static void test_medium_read_only(void)
{
	char *const argv[] = { "qemu-system-x86_64", "-drive",
		"if=none,id=cdrom,media=cdrom", "-drive", "if=none,id=plain",
		"-drive", "if=none,id=ro,readonly=on", "-device", "ide-cd,id=cd",
		"-device", "ide-cd,id=cdp,drive=plain", "-device",
		"floppy,id=fd", NULL };
	static const struct { const char *name; int ro; } cases[] = {
		{ "cdrom", 1 }, { "plain", 0 }, { "ro", 1 }, { "cd", 1 },
		{ "cdp", 0 }, { "fd", -1 }, { "added-later", -1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int ro = qemu_medium_read_only(13, argv, cases[i].name);
		ok(ro == cases[i].ro, "medium of empty drive %s: %d (%d)",
		   cases[i].name, cases[i].ro, ro);
	}
}

int main(void)
{
	unsigned char junk[CLUSTER];

	dir = testdir_make();
	if (!dir)
		return 99;
	testdir_write_qcow2(dir, "base.qcow2", NULL);
	testdir_write_qcow2(dir, "mid.qcow2", "base.qcow2");
	testdir_write_qcow2(dir, "img.qcow2", "mid.qcow2");
	memset(junk, 'x', sizeof junk);
	testdir_write(dir, "junk.raw", junk, sizeof junk);
	img = in_dir("img.qcow2");
	fmt_file = in_dir("junk.raw");
	test_blockdev();
	test_drive();
	test_image();
	test_medium_read_only();
	free(img);
	free(fmt_file);
	testdir_remove(dir);
	return done_testing();
}
