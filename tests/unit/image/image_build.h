/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Image headers built byte by byte, for the unit tests of src/image. */
#ifndef VMLOCK_TEST_IMAGE_BUILD_H
#define VMLOCK_TEST_IMAGE_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../testdir.h"

#define CLUSTER 4096

static inline void put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static inline void put_be64(unsigned char *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static inline void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Appends a header extension at *off. */
static inline void put_ext(unsigned char *buf, size_t *off, uint32_t type,
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
static inline void make_qcow2(unsigned char *buf, const char *backing,
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
static inline void make_qed(unsigned char *buf, const char *backing, bool raw)
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

/* A VMDK text descriptor: a parent, two file extents (one read-only),
 * a ZERO and a NOACCESS extent. */
static const char vmdk_descriptor[] =
	"# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=2\n"
	"createType=\"twoGbMaxExtentFlat\"\n"
	"parentFileNameHint=\"parent.vmdk\"\n"
	"RW 2048 FLAT \"d-f001.vmdk\" 0\n"
	"  RDONLY 2048 SPARSE \"/abs/d-s002.vmdk\"\n"
	"RW 2048 ZERO\nNOACCESS 2048 FLAT \"none.vmdk\" 0\n"
	"ddb.adapterType = \"ide\"\n";

/* A monolithicSparse header with the descriptor at sector 1. */
static inline void make_vmdk_sparse(unsigned char *buf,
				    const char *descriptor)
{
	memset(buf, 0, CLUSTER);
	memcpy(buf, "KDMV", 4);
	buf[28] = 1;	/* descriptor offset, sectors */
	buf[36] = 4;	/* descriptor size, sectors */
	memcpy(buf + 512, descriptor, strlen(descriptor));
}

/* A qcow2 image dir/name, with backing (qcow2) when not NULL. */
static inline void testdir_write_qcow2(const char *dir, const char *name,
				       const char *backing)
{
	unsigned char b[CLUSTER];

	make_qcow2(b, backing, backing ? "qcow2" : NULL, NULL);
	testdir_write(dir, name, b, sizeof b);
}

#endif
