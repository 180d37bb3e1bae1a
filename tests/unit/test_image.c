/* Unit tests of image header parsing and backing chains. Headers are
 * built byte by byte; chains are real files in a temporary directory. */
#include "config.h"
#include "image/header.h"
#include "image/image.h"
#include "qemu/filename.h"
#include "api/api.h"
#include "util/util.h"
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLUSTER 4096

static char dir[] = "/tmp/vmlock-test-image.XXXXXX";

static void put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void put_be64(unsigned char *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Appends a header extension at *off. */
static void put_ext(unsigned char *buf, size_t *off, uint32_t type,
		    const char *data)
{
	size_t len = strlen(data);

	put_be32(buf + *off, type);
	put_be32(buf + *off + 4, (uint32_t)len);
	memcpy(buf + *off + 8, data, len);
	*off += 8 + ((len + 7) & ~(size_t)7);
}

/* A qcow2 v3 header (4 KiB clusters, 104-byte header) in a zeroed
 * CLUSTER-byte buffer; backing name at 512. */
static void make_qcow2(unsigned char *buf, const char *backing,
		       const char *backing_fmt, const char *data_file)
{
	size_t off = 104;

	memset(buf, 0, CLUSTER);
	memcpy(buf, "QFI\xfb", 4);
	put_be32(buf + 4, 3);
	put_be32(buf + 20, 12);
	put_be32(buf + 100, 104);
	if (backing) {
		put_be64(buf + 8, 512);
		put_be32(buf + 16, (uint32_t)strlen(backing));
		memcpy(buf + 512, backing, strlen(backing));
	}
	if (backing_fmt)
		put_ext(buf, &off, 0xe2792aca, backing_fmt);
	if (data_file) {
		put_be64(buf + 72, 1u << 2);
		put_ext(buf, &off, 0x44415441, data_file);
	}
}

/* A QED header: 4 KiB clusters, 1-cluster header, backing name at 64. */
static void make_qed(unsigned char *buf, const char *backing, bool raw)
{
	memset(buf, 0, CLUSTER);
	memcpy(buf, "QED\0", 4);
	put_le32(buf + 4, CLUSTER);
	put_le32(buf + 8, 4);
	put_le32(buf + 12, 1);
	if (backing) {
		buf[16] = 0x01 | (raw ? 0x04 : 0);
		put_le32(buf + 56, 64);
		put_le32(buf + 60, (uint32_t)strlen(backing));
		memcpy(buf + 64, backing, strlen(backing));
	}
}

static int parse(const unsigned char *buf, size_t len, const char *fmt,
		 struct image_header *h, struct vl_error *e)
{
	return image_parse_header(buf, len, fmt, "img", h, e);
}

static void test_qcow2_header(void)
{
	unsigned char b[CLUSTER];
	struct image_header h;
	struct vl_error e;

	make_qcow2(b, NULL, NULL, NULL);
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && h.qcow2 && !h.backing,
	   "qcow2 without backing");
	image_header_free(&h);

	make_qcow2(b, "base.qcow2", "qcow2", NULL);
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && h.backing &&
	   !strcmp(h.backing, "base.qcow2") && h.backing_format &&
	   !strcmp(h.backing_format, "qcow2") && !h.external_data,
	   "qcow2 backing name and format");
	image_header_free(&h);

	make_qcow2(b, NULL, NULL, "data.raw");
	ok(parse(b, sizeof b, "qcow2", &h, &e) == 0 && h.external_data &&
	   h.data_file && !strcmp(h.data_file, "data.raw"),
	   "qcow2 external data file");
	image_header_free(&h);

	make_qcow2(b, "base", NULL, NULL);
	ok(parse(b, sizeof b, "raw", &h, &e) == 0 && !h.qcow2 && !h.backing,
	   "format raw: a qcow2-looking header is not read");
	ok(parse(b, sizeof b, "vpc", &h, &e) == 0 && !h.backing,
	   "other formats: no chain");
	ok(parse((const unsigned char *)"plain data", 10, NULL, &h, &e) == 0 &&
	   !h.qcow2 && !h.qed, "probe: raw");
	ok(parse((const unsigned char *)"plain data", 10, "qcow2", &h, &e) ==
	   EX_DATAERR && strstr(e.msg, "img: not a qcow2 image"),
	   "format qcow2 but no magic: 65");

	make_qcow2(b, "base", NULL, NULL);
	put_be32(b + 16, 1024);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "img: ") && strstr(e.msg, "1024"),
	   "backing_file_size 1024: 65 (%s)", e.msg);

	make_qcow2(b, "base", NULL, NULL);
	put_be64(b + 8, CLUSTER + 8);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "out of range"), "backing offset past the cluster");

	make_qcow2(b, "base", NULL, NULL);
	put_be64(b + 8, CLUSTER - 2);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "backing name past the end of the data");
	put_be64(b + 8, UINT64_MAX - 1);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "backing offset near 2^64");

	make_qcow2(b, "base", NULL, NULL);
	put_be64(b + 8, 50);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "overlaps"), "backing name inside the header");

	make_qcow2(b, NULL, NULL, NULL);
	put_be32(b + 100, 50);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "header length 50 bad"), "header length too short");
	put_be32(b + 100, CLUSTER + 8);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "header length past the cluster");

	make_qcow2(b, NULL, NULL, NULL);
	put_be32(b + 104, 0x12345678);
	put_be32(b + 108, 100000);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "overflows"), "extension length overflowing");

	make_qcow2(b, "base", NULL, NULL);
	put_be64(b + 8, 108);
	memcpy(b + 108, "base", 4);
	put_be32(b + 104, 0x12345678);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "overflows"), "extension header overflowing");

	make_qcow2(b, NULL, NULL, NULL);
	put_be32(b + 104, 0xe2792aca);
	put_be32(b + 108, 40);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "backing format extension too long");

	make_qcow2(b, NULL, NULL, NULL);
	put_be32(b + 4, 4);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "version"), "qcow2 version 4");
	put_be32(b + 4, 3);
	put_be32(b + 20, 30);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "cluster_bits 30");
	ok(parse(b, 60, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "truncated"), "truncated header");

	make_qcow2(b, "old", NULL, NULL);
	put_be32(b + 4, 2);
	put_be64(b + 72, 1u << 2);	/* no feature bits in v2 */
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && h.backing &&
	   !strcmp(h.backing, "old") && !h.external_data, "qcow2 version 2");
	image_header_free(&h);

	ok(image_header_span(b, sizeof b) == CLUSTER + 1023,
	   "span: one cluster and a backing name");
	put_be32(b + 20, 21);
	ok(image_header_span(b, sizeof b) == (2u << 20) + 1023,
	   "span: largest cluster");
	put_be32(b + 20, 22);
	ok(image_header_span(b, sizeof b) == IMAGE_HEADER_MAX, "span: capped");
	ok(image_header_span((const unsigned char *)"x", 1) ==
	   IMAGE_PROBE_SIZE, "span: raw");
}

static void test_qed_header(void)
{
	unsigned char b[CLUSTER];
	struct image_header h;
	struct vl_error e;

	make_qed(b, "base.qed", false);
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && h.qed && h.backing &&
	   !strcmp(h.backing, "base.qed") && !h.backing_format, "QED backing");
	image_header_free(&h);
	make_qed(b, "base.raw", true);
	ok(parse(b, sizeof b, "qed", &h, &e) == 0 && h.backing_format &&
	   !strcmp(h.backing_format, "raw"), "QED raw backing");
	image_header_free(&h);
	make_qed(b, NULL, false);
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && !h.backing,
	   "QED without backing");
	make_qed(b, "base", false);
	put_le32(b + 56, CLUSTER - 2);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "QED backing name out of range");
	make_qed(b, "base", false);
	put_le32(b + 60, 2000);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "QED backing name too long");
	ok(parse(b, 20, NULL, &h, &e) == EX_DATAERR, "QED truncated");
}

static const char vmdk_descriptor[] =
	"# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=2\n"
	"createType=\"twoGbMaxExtentFlat\"\n"
	"parentFileNameHint=\"parent.vmdk\"\n"
	"RW 2048 FLAT \"d-f001.vmdk\" 0\n"
	"  RDONLY 2048 SPARSE \"/abs/d-s002.vmdk\"\n"
	"RW 2048 ZERO\nNOACCESS 2048 FLAT \"none.vmdk\" 0\n"
	"ddb.adapterType = \"ide\"\n";

/* A monolithicSparse header with the descriptor at sector 1. */
static void make_vmdk_sparse(unsigned char *buf, const char *descriptor)
{
	memset(buf, 0, CLUSTER);
	memcpy(buf, "KDMV", 4);
	buf[28] = 1;	/* descriptor offset, sectors */
	buf[36] = 4;	/* descriptor size, sectors */
	memcpy(buf + 512, descriptor, strlen(descriptor));
}

static void test_vmdk_header(void)
{
	unsigned char b[CLUSTER];
	struct image_header h;
	struct vl_error e;
	const unsigned char *text = (const unsigned char *)vmdk_descriptor;

	ok(parse(text, strlen(vmdk_descriptor), NULL, &h, &e) == 0 && h.vmdk &&
	   h.backing && !strcmp(h.backing, "parent.vmdk") && h.nextents == 2 &&
	   !strcmp(h.extents[0].name, "d-f001.vmdk") &&
	   !h.extents[0].read_only &&
	   !strcmp(h.extents[1].name, "/abs/d-s002.vmdk") &&
	   h.extents[1].read_only, "VMDK descriptor: extents and parent");
	image_header_free(&h);
	make_vmdk_sparse(b, "version=1\nRW 8 SPARSE \"self.vmdk\"\n"
			 "parentFileNameHint=\"\"\n");
	ok(parse(b, sizeof b, "vmdk", &h, &e) == 0 && !h.backing &&
	   h.nextents == 1, "VMDK sparse: embedded descriptor");
	image_header_free(&h);
	b[28] = 20;
	ok(parse(b, 4096, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "descriptor out of range"), "VMDK descriptor out of "
	   "range");
	make_vmdk_sparse(b, "parentFileNameHint=\"unterminated\n");
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "VMDK parent hint unterminated");
	ok(parse((const unsigned char *)"# x\n\nversion=1\n", 16, NULL, &h,
		 &e) == 0 && h.vmdk, "VMDK probe after comments");
	image_header_free(&h);
	ok(parse((const unsigned char *)"hello\nversion=1\n", 16, NULL, &h,
		 &e) == 0 && !h.vmdk, "not VMDK: version= not first");
	ok(parse((const unsigned char *)"raw", 3, "vmdk", &h, &e) ==
	   EX_DATAERR, "format vmdk but no descriptor: 65");
}

/* ---- chains of real files ------------------------------------------ */

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

#define expect_chain(want, ...) do { \
	const char *got_ = chain(__VA_ARGS__); \
	if (!ok(!strncmp(got_, want, strlen(want)), "%s", want)) \
		printf("#   got: %s\n", got_); \
} while (0)

static void test_chains(void)
{
	char *abs_base = in_dir("base.qcow2");
	char *json;

	write_qcow2("base.qcow2", NULL, NULL, NULL);
	write_qcow2("mid.qcow2", abs_base, "qcow2", NULL);
	write_qcow2("top.qcow2", "mid.qcow2", NULL, NULL);
	expect_chain("ro:D/mid.qcow2@1 ro:D/base.qcow2@2", "top.qcow2", NULL,
		     VL_EXCLUSIVE);
	expect_chain("", "base.qcow2", NULL, VL_EXCLUSIVE);
	expect_chain("", "top.qcow2", "raw", VL_EXCLUSIVE);
	expect_chain("ro:D/mid.qcow2@1 ro:D/base.qcow2@2", "top.qcow2",
		     "qcow2", VL_SHARED);

	/* relative names are resolved beside the path as written */
	make_dir("sub");
	write_qcow2("sub/top.qcow2", "../mid.qcow2", NULL, NULL);
	expect_chain("ro:D/sub/../mid.qcow2@1 ro:D/base.qcow2@2",
		     "sub/top.qcow2", NULL, VL_EXCLUSIVE);
	make_dir("other");
	write_qcow2("other/real.qcow2", "mid.qcow2", NULL, NULL);
	char *link = in_dir("link.qcow2");
	if (symlink("other/real.qcow2", link) == 0)
		expect_chain("ro:D/mid.qcow2@1", "link.qcow2", NULL,
			     VL_EXCLUSIVE);
	free(link);
	expect_chain("error 66: D/other/mid.qcow2 (backing file of "
		     "D/other/real.qcow2): No such file or directory",
		     "other/real.qcow2", NULL, VL_EXCLUSIVE);

	/* the backing format stops probing: a raw base has no chain */
	write_qcow2("rawbase", "never-read", NULL, NULL);
	write_qcow2("over-raw.qcow2", "rawbase", "raw", NULL);
	expect_chain("ro:D/rawbase@1", "over-raw.qcow2", NULL, VL_EXCLUSIVE);

	write_qcow2("loop-a.qcow2", "loop-b.qcow2", NULL, NULL);
	write_qcow2("loop-b.qcow2", "loop-a.qcow2", NULL, NULL);
	expect_chain("error 65: D/loop-a.qcow2: backing chain loops at "
		     "D/loop-a.qcow2", "loop-a.qcow2", NULL, VL_EXCLUSIVE);
	write_qcow2("self.qcow2", "self.qcow2", NULL, NULL);
	expect_chain("error 65: D/self.qcow2: backing chain loops",
		     "self.qcow2", NULL, VL_EXCLUSIVE);

	write_qcow2("orphan.qcow2", "gone.qcow2", NULL, NULL);
	expect_chain("error 66: D/gone.qcow2 (backing file of "
		     "D/orphan.qcow2): No such file or directory",
		     "orphan.qcow2", NULL, VL_EXCLUSIVE);
	expect_chain("error 66: D/absent: No such file or directory",
		     "absent", NULL, VL_EXCLUSIVE);

	make_dir("adir");
	write_qcow2("over-dir.qcow2", "adir", NULL, NULL);
	expect_chain("error 66: D/adir (backing file of D/over-dir.qcow2): "
		     "not a regular file or block device", "over-dir.qcow2",
		     NULL, VL_EXCLUSIVE);
	char *fifo = in_dir("fifo");
	if (mkfifo(fifo, 0600) == 0) {
		write_qcow2("over-fifo.qcow2", "fifo", NULL, NULL);
		expect_chain("error 66: D/fifo (backing file of "
			     "D/over-fifo.qcow2): not a regular file",
			     "over-fifo.qcow2", NULL, VL_EXCLUSIVE);
	}
	free(fifo);

	write_qcow2("net.qcow2", "nbd://host/export", NULL, NULL);
	expect_chain("", "net.qcow2", NULL, VL_EXCLUSIVE);

	json = vl_asprintf("json:{\"driver\": \"qcow2\", \"file\": {\"driver\": "
			 "\"file\", \"filename\": \"%s\"}}", abs_base);
	write_qcow2("over-json.qcow2", json, NULL, NULL);
	expect_chain("ro:D/base.qcow2@1", "over-json.qcow2", NULL,
		     VL_EXCLUSIVE);
	free(json);
	write_qcow2("bad-json.qcow2", "json:{\"driver\": ", NULL, NULL);
	expect_chain("error 65: D/bad-json.qcow2: backing file name json:",
		     "bad-json.qcow2", NULL, VL_EXCLUSIVE);

	/* corrupt headers in files name the file */
	unsigned char b[CLUSTER];
	make_qcow2(b, "x", NULL, NULL);
	put_be32(b + 16, 2000);
	write_file("corrupt.qcow2", b, sizeof b);
	expect_chain("error 65: D/corrupt.qcow2: qcow2 backing file name "
		     "length 2000 > 1023", "corrupt.qcow2", NULL, VL_EXCLUSIVE);
	write_qcow2("over-corrupt.qcow2", "corrupt.qcow2", NULL, NULL);
	expect_chain("error 65: D/corrupt.qcow2: qcow2", "over-corrupt.qcow2",
		     NULL, VL_EXCLUSIVE);

	/* external data files: relative to the current directory, with the
	 * image's mode; readonly below the top */
	char *abs_data = in_dir("data.raw");
	write_qcow2("with-data.qcow2", NULL, NULL, abs_data);
	expect_chain("shared:D/data.raw@0", "with-data.qcow2", NULL, VL_SHARED);
	write_qcow2("over-data.qcow2", "with-data.qcow2", NULL, NULL);
	expect_chain("ro:D/with-data.qcow2@1 ro:D/data.raw@1",
		     "over-data.qcow2", NULL, VL_EXCLUSIVE);
	free(abs_data);
	char *cwd = getcwd(NULL, 0);
	write_qcow2("rel-data.qcow2", NULL, NULL, "rel.raw");
	char *want = vl_asprintf("excl:%s/rel.raw@0", cwd);
	expect_chain(want, "rel-data.qcow2", NULL, VL_EXCLUSIVE);
	free(want);
	free(cwd);

	write_file("d.vmdk", (const unsigned char *)vmdk_descriptor,
		   strlen(vmdk_descriptor));
	write_file("parent.vmdk", (const unsigned char *)"version=1\n", 10);
	expect_chain("excl:D/d-f001.vmdk@0 ro:/abs/d-s002.vmdk@0 "
		     "ro:D/parent.vmdk@1", "d.vmdk", NULL, VL_EXCLUSIVE);

	unsigned char q[CLUSTER];
	make_qed(q, "base.qcow2", false);
	write_file("top.qed", q, sizeof q);
	expect_chain("ro:D/base.qcow2@1", "top.qed", NULL, VL_EXCLUSIVE);

	char *backing;
	struct vl_error e;
	char *top = in_dir("top.qcow2");
	ok(image_backing(top, NULL, &qemu_image_names, &backing, &e) == 0 && backing &&
	   !strcmp(backing + strlen(dir), "/mid.qcow2"), "image_backing");
	free(backing);
	free(top);
	free(abs_base);
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
	expect_chain("error 65: D/c0: backing chain deeper than 1024", "c0",
		     NULL, VL_EXCLUSIVE);
	struct vl_reslist l = {0};
	struct vl_error e;
	char *c1 = in_dir("c1");
	ok(image_chain(c1, NULL, VL_EXCLUSIVE, &qemu_image_names, &l, &e) == 0 &&
	   l.n == IMAGE_CHAIN_MAX && l.v[l.n - 1].depth == IMAGE_CHAIN_MAX,
	   "a chain of exactly %d backing images is fine", IMAGE_CHAIN_MAX);
	vl_reslist_free(&l);
	free(c1);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_qcow2_header();
	test_qed_header();
	test_vmdk_header();
	test_chains();
	test_depth();
	int rc = done_testing();
	fflush(stdout);
	char *cmd = vl_asprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return rc;
}
