/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/image/header.c: image headers parsed without I/O; each header is
 * built byte by byte in memory. */
#include "config.h"
#include "image/header.h"
#include "image_build.h"
#include "../tap.h"

#include <stdint.h>
#include <string.h>

static int parse(const unsigned char *buf, size_t len, const char *fmt,
		 struct image_header *h, struct vl_error *e)
{
	return image_parse_header(buf, len, true, fmt, "img", h, e);
}

static void test_qcow2_header(void)
{
	unsigned char b[CLUSTER];
	struct image_header h;
	struct vl_error e;

	make_qcow2(b, NULL, NULL, NULL);
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && h.qcow2 && !h.backing,
	   "qcow2 v3 without backing name, probed: no backing");
	image_header_free(&h);

	make_qcow2(b, "base.qcow2", "qcow2", NULL);
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && h.backing &&
	   !strcmp(h.backing, "base.qcow2") && h.backing_format &&
	   !strcmp(h.backing_format, "qcow2") && !h.external_data,
	   "qcow2 v3, backing name base.qcow2 at 512, backing format extension "
	   "qcow2");
	image_header_free(&h);

	make_qcow2(b, NULL, NULL, "data.raw");
	ok(parse(b, sizeof b, "qcow2", &h, &e) == 0 && h.external_data &&
	   h.data_file && !strcmp(h.data_file, "data.raw"),
	   "qcow2 v3 as format qcow2, external data bit, data file extension "
	   "data.raw");
	image_header_free(&h);

	make_qcow2(b, "base", NULL, NULL);
	ok(parse(b, sizeof b, "raw", &h, &e) == 0 && !h.qcow2 && !h.backing,
	   "qcow2 v3 with backing base as format raw: the header is not read");
	ok(parse(b, sizeof b, "vpc", &h, &e) == 0 && !h.backing,
	   "qcow2 v3 with backing base as format vpc: no chain");
	ok(parse((const unsigned char *)"plain data", 10, NULL, &h, &e) == 0 &&
	   !h.qcow2 && !h.qed, "10 bytes \"plain data\", probed: raw");
	ok(parse((const unsigned char *)"plain data", 10, "qcow2", &h, &e) ==
	   EX_DATAERR && strstr(e.msg, "img: not a qcow2 image"),
	   "10 bytes \"plain data\" as format qcow2: 65, not a qcow2 image");

	make_qcow2(b, "base", NULL, NULL);
	put_be32(b + 16, 1024);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "img: ") && strstr(e.msg, "1024"),
	   "qcow2 v3, backing_file_size 1024: 65 (%s)", e.msg);

	make_qcow2(b, "base", NULL, NULL);
	put_be64(b + 8, CLUSTER + 8);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "out of range"),
	   "qcow2 v3, backing offset 4104, past the 4096 bytes read: out of "
	   "range");

	make_qcow2(b, "base", NULL, NULL);
	put_be64(b + 8, CLUSTER - 2);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "qcow2 v3, 4-byte backing name at 4094 of 4096 bytes: 65");
	put_be64(b + 8, UINT64_MAX - 1);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "qcow2 v3, backing offset 2^64 - 2: 65");

	make_qcow2(b, "base", NULL, NULL);
	put_be64(b + 8, 50);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "overlaps"),
	   "qcow2 v3, backing name at 50, inside the 104-byte header: "
	   "overlaps");

	make_qcow2(b, NULL, NULL, NULL);
	put_be32(b + 100, 50);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "header length 50 bad"),
	   "qcow2 v3, header_length 50: bad");
	put_be32(b + 100, CLUSTER + 8);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "qcow2 v3, header_length 4104, past the cluster: 65");

	make_qcow2(b, NULL, NULL, NULL);
	put_be32(b + 104, 0x12345678);
	put_be32(b + 108, 100000);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "overflows"),
	   "qcow2 v3, extension 0x12345678 at 104 of length 100000: overflows");

	make_qcow2(b, "base", NULL, NULL);
	put_be64(b + 8, 108);
	memcpy(b + 108, "base", 4);
	put_be32(b + 104, 0x12345678);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "overflows"),
	   "qcow2 v3, backing name at 108, extension 0x12345678 at 104: its "
	   "header overflows");

	make_qcow2(b, NULL, NULL, NULL);
	put_be32(b + 104, 0xe2792aca);
	put_be32(b + 108, 40);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "qcow2 v3, backing format extension 0xe2792aca of length 40: 65");

	make_qcow2(b, NULL, NULL, NULL);
	put_be32(b + 4, 4);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "version"), "qcow2 version 4: 65, naming the version");
	put_be32(b + 4, 3);
	put_be32(b + 20, 30);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "qcow2 v3, cluster_bits 30: 65");
	ok(parse(b, 60, NULL, &h, &e) == EX_DATAERR &&
	   strstr(e.msg, "truncated"),
	   "qcow2 v3 header cut to 60 bytes: truncated");

	make_qcow2(b, "old", NULL, NULL);
	put_be32(b + 4, 2);
	put_be64(b + 72, 1u << 2);	/* no feature bits in v2 */
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && h.backing &&
	   !strcmp(h.backing, "old") && !h.external_data,
	   "qcow2 v2, backing name old, incompatible feature bit 2 set (no "
	   "such field in v2): no external data");
	image_header_free(&h);

	make_qcow2(b, NULL, NULL, "data.raw");
	ok(image_parse_header(b, 112, false, NULL, "img", &h, &e) == 0 &&
	   h.needed == CLUSTER && !h.data_file,
	   "qcow2 v3 without backing name, its first 112 bytes (a data file "
	   "extension cut short): needs the whole first cluster of %d",
	   CLUSTER);
	image_header_free(&h);
	ok(image_parse_header(b, 512, false, NULL, "img", &h, &e) == 0 &&
	   h.needed <= 512 && h.data_file && !strcmp(h.data_file, "data.raw"),
	   "its first 512 bytes, the end marker in them: parsed, data file "
	   "data.raw, no more needed");
	image_header_free(&h);
}

static void test_qed_header(void)
{
	unsigned char b[CLUSTER];
	struct image_header h;
	struct vl_error e;

	make_qed(b, "base.qed", false);
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && h.qed && h.backing &&
	   !strcmp(h.backing, "base.qed") && !h.backing_format,
	   "QED, backing name base.qed at 64, probed");
	image_header_free(&h);
	make_qed(b, "base.raw", true);
	ok(parse(b, sizeof b, "qed", &h, &e) == 0 && h.backing_format &&
	   !strcmp(h.backing_format, "raw"),
	   "QED as format qed, backing base.raw with the raw-backing feature: "
	   "backing format raw");
	image_header_free(&h);
	make_qed(b, NULL, false);
	ok(parse(b, sizeof b, NULL, &h, &e) == 0 && !h.backing,
	   "QED without backing name");
	make_qed(b, "base", false);
	put_le32(b + 56, CLUSTER - 2);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "QED, backing name offset 4094: out of range");
	make_qed(b, "base", false);
	put_le32(b + 60, 2000);
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "QED, backing name size 2000: too long");
	ok(parse(b, 20, NULL, &h, &e) == 0 && !h.qed,
	   "QED magic in a 20-byte file, probed: not QED (QEMU's probe wants "
	   "a whole header)");
	ok(parse(b, 20, "qed", &h, &e) == EX_DATAERR,
	   "the same 20 bytes as format qed: 65");
}

static void test_vmdk_header(void)
{
	unsigned char b[CLUSTER];
	struct image_header h;
	struct vl_error e;
	const unsigned char *text = (const unsigned char *)vmdk_descriptor;

	ok(parse(text, strlen(vmdk_descriptor), NULL, &h, &e) == 0 && h.vmdk &&
	   h.backing && !strcmp(h.backing, "parent.vmdk") && h.nextents == 1 &&
	   !strcmp(h.extents[0].name, "d-f001.vmdk"),
	   "VMDK text descriptor, probed: parent parent.vmdk, the RW extent "
	   "d-f001.vmdk (QEMU opens no RDONLY, NOACCESS or ZERO extent)");
	image_header_free(&h);
	make_vmdk_sparse(b, "version=1\nRW 8 SPARSE \"self.vmdk\"\n"
			 "parentFileNameHint=\"\"\n");
	ok(parse(b, sizeof b, "vmdk", &h, &e) == 0 && !h.backing &&
	   h.nextents == 1,
	   "VMDK monolithicSparse as format vmdk, descriptor at sector 1, one "
	   "extent, empty parentFileNameHint: no backing");
	image_header_free(&h);
	b[28] = 20;
	ok(parse(b, 4096, NULL, &h, &e) == 0 && !h.nextents,
	   "VMDK sparse with capacity 0, descriptor at sector 20, past the "
	   "end of a 4096-byte file: read as zeros, no extent");
	image_header_free(&h);
	make_vmdk_sparse(b, "parentFileNameHint=\"unterminated\n");
	ok(parse(b, sizeof b, NULL, &h, &e) == EX_DATAERR,
	   "VMDK monolithicSparse, parentFileNameHint=\"unterminated with no "
	   "closing quote: 65");
	ok(parse((const unsigned char *)"# x\n  \nversion=1\n", 18, NULL, &h,
		 &e) == 0 && h.vmdk,
	   "\"# x\\n  \\nversion=1\\n\", probed: VMDK after a comment and "
	   "a line of spaces");
	image_header_free(&h);
	ok(parse((const unsigned char *)"# x\n\nversion=1\n", 16, NULL, &h,
		 &e) == 0 && !h.vmdk,
	   "\"# x\\n\\nversion=1\\n\", probed: not VMDK (QEMU's probe takes "
	   "no empty line before version=)");
	ok(parse((const unsigned char *)"hello\nversion=1\n", 16, NULL, &h,
		 &e) == 0 && !h.vmdk,
	   "\"hello\\nversion=1\\n\", probed: not VMDK, version= not first");
	ok(parse((const unsigned char *)"raw", 3, "vmdk", &h, &e) ==
	   EX_DATAERR, "3 bytes \"raw\" as format vmdk: 65, no descriptor");
}

int main(void)
{
	test_qcow2_header();
	test_qed_header();
	test_vmdk_header();
	return done_testing();
}
