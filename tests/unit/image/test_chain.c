/* src/image/chain.c: backing chains, data files and extents of real
 * files in a scratch directory, their backing names resolved as QEMU
 * does (qemu_image_names). */
#include "config.h"
#include "image/image.h"
#include "qemu/filename.h"
#include "api/api.h"
#include "util/util.h"
#include "image_build.h"
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

/* Runs image_chain and describes it: "MODE:PATH@DEPTH ..." with dir
 * shown as "D", or "error CODE: MESSAGE". */
static const char *chain(const char *name, const char *format,
			 enum vl_mode mode)
{
	static const char *const modes[] = { "excl", "shared", "ro" };
	static char out[4096];
	struct vl_reslist l = {0};
	struct vl_error e = {0};
	char *path = name[0] == '/' ? vl_strdup(name) : in_dir(name);
	int rc = image_chain(path, format, mode, &qemu_image_names, &l, &e);
	size_t n = 0, dlen = strlen(dir);

	out[0] = '\0';
	if (rc)
		n = (size_t)snprintf(out, sizeof out, "error %d: %s", rc, e.msg);
	for (size_t i = 0; !rc && i < l.n && n < sizeof out; i++) {
		const char *p = l.v[i].path;
		bool under = !strncmp(p, dir, dlen);

		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s:%s%s@%u",
				      i ? " " : "", modes[l.v[i].mode],
				      under ? "D" : "", under ? p + dlen : p,
				      l.v[i].depth);
	}
	/* messages name files by full path; show dir as D there too */
	for (char *d; (d = strstr(out, dir));)
		memmove(d + 1, d + dlen, strlen(d + dlen) + 1), *d = 'D';
	vl_reslist_free(&l);
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
	expect_chain("exclusive d.vmdk, a descriptor with extents "
		     "d-f001.vmdk and RDONLY /abs/d-s002.vmdk, parent "
		     "parent.vmdk",
		     "excl:D/d-f001.vmdk@0 ro:/abs/d-s002.vmdk@0 "
		     "ro:D/parent.vmdk@1", "d.vmdk", NULL, VL_EXCLUSIVE);

	unsigned char q[CLUSTER];
	make_qed(q, "base.qcow2", false);
	write_file("top.qed", q, sizeof q);
	expect_chain("top.qed, QED with backing base.qcow2",
		     "ro:D/base.qcow2@1", "top.qed", NULL, VL_EXCLUSIVE);

	char *backing;
	struct vl_error e;
	char *top = in_dir("top.qcow2");
	ok(image_backing(top, NULL, &qemu_image_names, &backing, &e) == 0 &&
	   backing && !strcmp(backing + strlen(dir), "/mid.qcow2"),
	   "image_backing of top.qcow2, backing mid.qcow2: D/mid.qcow2");
	free(backing);
	free(top);
	free(abs_base);
}

/* The JSON parser's reason survives in the chain's message (vl_fail may
 * be given e->msg). */
static void test_json_reason(void)
{
	struct vl_reslist l = {0};
	struct vl_error e = {0};
	char *path = in_dir("json-reason.qcow2");

	write_qcow2("json-reason.qcow2", "json:{bad", NULL, NULL);
	int rc = image_chain(path, NULL, VL_EXCLUSIVE, &qemu_image_names, &l,
			     &e);
	if (!ok(rc == EX_DATAERR && strstr(e.msg, "backing file name json:") &&
		strstr(e.msg, "invalid JSON at offset"),
		"qcow2 v3, backing name json:{bad -> 65, the message keeps "
		"the JSON parser's reason"))
		printf("#   got: %d: %s\n", rc, e.msg);
	vl_reslist_free(&l);
	free(path);
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
	struct vl_reslist l = {0};
	struct vl_error e;
	char *c1 = in_dir("c1");
	ok(image_chain(c1, NULL, VL_EXCLUSIVE, &qemu_image_names, &l, &e) == 0 &&
	   l.n == IMAGE_CHAIN_MAX && l.v[l.n - 1].depth == IMAGE_CHAIN_MAX,
	   "c1 -> c2 -> ... -> c1025: a chain of exactly %d backing images "
	   "is fine", IMAGE_CHAIN_MAX);
	vl_reslist_free(&l);
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
