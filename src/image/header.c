/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Image headers: what a qcow2, QED or VMDK header says about the other
 * files QEMU opens (vmlock(1), READING QEMU COMMAND LINES). Pure: bytes
 * in, names out. */
#include "config.h"
#include "image/header.h"
#include "util/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QCOW2_MAGIC 0x514649fbu		/* "QFI\xfb" */
#define QCOW2_V2_HEADER_LENGTH 72
#define QCOW2_V3_HEADER_LENGTH 104
#define QCOW2_EXTERNAL_DATA (1u << 2)	/* incompatible feature bit 2 */
#define QCOW2_EXT_END 0
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_DATA_FILE 0x44415441u
#define QED_MAGIC 0x00444551u		/* "QED\0" little-endian */
#define QED_F_BACKING_FILE 0x01
#define QED_F_BACKING_FORMAT_NO_PROBE 0x04
#define QED_HEADER_SIZE 64
#define QCOW_V1_HEADER_LENGTH 48
#define VMDK4_MAGIC 0x564d444bu		/* "KDMV" little-endian */
#define VMDK3_MAGIC 0x44574f43u		/* "COWD" little-endian */
#define VMDK_SECTOR 512
#define VMDK_EXTENTS_MAX 4096
#define VMDK_DESC_MAX ((1u << 20) - 1)	/* QEMU reads no more */
#define VMDK_PARENT_SPAN (20 * 512)	/* where it looks for the parent */
#define VMDK_EMBEDDED_DESC 0x200	/* sparse: descriptor offset */
#define VMDK_PARENT_MAX 4095		/* QEMU's auto_backing_file[4096] */
#define BACKING_NAME_MAX 1023		/* QEMU refuses longer names */
#define BACKING_FORMAT_MAX 15		/* QEMU's backing_format[16] */
#define DATA_FILE_NAME_MAX 4095

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p + 4) << 32 | le32(p);
}

/* qcow (version 1) and qcow2 share a magic; the version tells them
 * apart, as QEMU's probes do. */
static bool is_qcow_magic(const unsigned char *buf, size_t len, bool v1)
{
	return len >= 8 && be32(buf) == QCOW2_MAGIC &&
	       (v1 ? be32(buf + 4) == 1 : be32(buf + 4) >= 2);
}

static bool is_qed(const unsigned char *buf, size_t len)
{
	return len >= QED_HEADER_SIZE && le32(buf) == QED_MAGIC;
}

static bool is_vmdk_sparse(const unsigned char *buf, size_t len)
{
	return len >= 4 && (le32(buf) == VMDK4_MAGIC || le32(buf) == VMDK3_MAGIC);
}

/* QEMU's vmdk_probe of a text descriptor: comment lines and lines of
 * spaces, then "version=1", "=2" or "=3" ending the line. */
static bool is_vmdk_descriptor(const unsigned char *buf, size_t len)
{
	const char *p = (const char *)buf, *end = p + len;
	static const char *const versions[] = {
		"version=1\n", "version=2\n", "version=3\n",
		"version=1\r\n", "version=2\r\n", "version=3\r\n",
	};

	while (p < end) {
		if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
			p++;
			continue;
		}
		if (*p == ' ') {
			while (p < end && *p == ' ')
				p++;
			if (p < end && *p == '\r')
				p++;
			if (p == end || *p != '\n')
				return false;
			p++;
			continue;
		}
		for (size_t i = 0; i < sizeof versions / sizeof *versions; i++)
			if ((size_t)(end - p) >= strlen(versions[i]) &&
			    !strncmp(p, versions[i], strlen(versions[i])))
				return true;
		return false;
	}
	return false;
}

static bool is_vmdk(const unsigned char *buf, size_t len)
{
	return is_vmdk_sparse(buf, len) ||
	       is_vmdk_descriptor(buf, len < IMAGE_PROBE_SIZE ? len
							      : IMAGE_PROBE_SIZE);
}

/* A name stored in a header; QEMU stops at a NUL byte too. */
static char *header_string(const unsigned char *p, size_t n)
{
	size_t len = strnlen((const char *)p, n);
	char *s = vl_malloc(len + 1);

	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/* Asks for more of the file: 0 with h->needed set, unless all of it
 * (eof) is there already. */
static bool need(struct image_header *h, size_t n, size_t len, bool eof)
{
	if (eof || n <= len)
		return false;
	if (n > h->needed)
		h->needed = n;
	return true;
}

/* qcow2 header extensions from start to end (QEMU reads them all, up to
 * the end marker): backing format and external data file name. */
static int qcow2_read_extensions(const unsigned char *buf, size_t len,
				 bool eof, size_t start, size_t end,
				 const char *name, struct image_header *h,
				 struct vl_error *e)
{
	size_t off = start;

	while (off < end) {
		uint32_t type, n;

		if (need(h, off + 8 > end ? end : off + 8, len, eof))
			return need(h, end, len, eof), 0;
		if (end - off < 8)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header "
				       "extension at %zu overflows", name, off);
		type = off + 8 <= len ? be32(buf + off) : QCOW2_EXT_END;
		n = off + 8 <= len ? be32(buf + off + 4) : 0;
		off += 8;
		if (type == QCOW2_EXT_END)
			return 0;
		if (n > end - off)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header "
				       "extension 0x%08x at %zu overflows",
				       name, type, off - 8);
		if (need(h, off + n, len, eof))
			return need(h, end, len, eof), 0;
		if (off + n > len)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header "
				       "extension 0x%08x past the end of the "
				       "file", name, type);
		if (type == QCOW2_EXT_BACKING_FORMAT) {
			if (n > BACKING_FORMAT_MAX)
				return vl_fail(e, EX_DATAERR, "%s: qcow2 "
					       "backing format too long", name);
			free(h->backing_format);
			h->backing_format = header_string(buf + off, n);
		} else if (type == QCOW2_EXT_DATA_FILE) {
			if (n > DATA_FILE_NAME_MAX)
				return vl_fail(e, EX_DATAERR, "%s: qcow2 data "
					       "file name too long", name);
			free(h->data_file);
			h->data_file = header_string(buf + off, n);
		}
		off += (n + 7u) & ~(size_t)7;
	}
	return 0;	/* an extension area filled to its end */
}

/* The stored backing name at offset, size bytes (qcow and qcow2). */
static int stored_backing(const unsigned char *buf, size_t len,
			  uint64_t offset, uint32_t size, const char *what,
			  const char *name, struct image_header *h,
			  struct vl_error *e)
{
	if (size > BACKING_NAME_MAX)
		return vl_fail(e, EX_DATAERR, "%s: %s backing file name "
			       "length %u > %u", name, what, size,
			       BACKING_NAME_MAX);
	if (offset + size > len)
		return vl_fail(e, EX_DATAERR, "%s: %s backing file name at "
			       "%llu past the end of the file", name, what,
			       (unsigned long long)offset);
	if (offset && size)
		h->backing = header_string(buf + offset, size);
	return 0;
}

static int qcow2_parse(const unsigned char *buf, size_t len, bool eof,
		       const char *name, struct image_header *h,
		       struct vl_error *e)
{
	uint32_t version, cluster_bits, backing_size, header_length;
	uint64_t backing_offset, cluster_size, ext_end;

	if (len < QCOW2_V2_HEADER_LENGTH)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 header truncated",
			       name);
	version = be32(buf + 4);
	backing_offset = be64(buf + 8);
	backing_size = be32(buf + 16);
	cluster_bits = be32(buf + 20);
	if (version != 2 && version != 3)
		return vl_fail(e, EX_DATAERR, "%s: unsupported qcow2 version "
			       "%u", name, version);
	if (cluster_bits < 9 || cluster_bits > 21)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 cluster_bits %u out "
			       "of range", name, cluster_bits);
	cluster_size = (uint64_t)1 << cluster_bits;
	header_length = QCOW2_V2_HEADER_LENGTH;
	if (version == 3) {
		if (len < QCOW2_V3_HEADER_LENGTH)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header "
				       "truncated", name);
		header_length = be32(buf + 100);
		if (header_length < QCOW2_V3_HEADER_LENGTH ||
		    header_length > cluster_size)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header length "
				       "%u bad", name, header_length);
		h->external_data = be64(buf + 72) & QCOW2_EXTERNAL_DATA;
	}
	if (backing_offset > cluster_size)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 backing file name "
			       "offset %llu out of range", name,
			       (unsigned long long)backing_offset);
	ext_end = backing_offset ? backing_offset : cluster_size;
	if (ext_end < header_length)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 backing file name "
			       "overlaps the header", name);
	/* both, so that one more read does */
	if (need(h, header_length, len, eof) |
	    need(h, backing_offset + backing_size, len, eof))
		return 0;
	int rc = stored_backing(buf, len, backing_offset, backing_size,
				"qcow2", name, h, e);
	return rc ? rc : qcow2_read_extensions(buf, len, eof, header_length,
					       (size_t)ext_end, name, h, e);
}

/* qcow, version 1: a backing name, no extensions. */
static int qcow_parse(const unsigned char *buf, size_t len, bool eof,
		      const char *name, struct image_header *h,
		      struct vl_error *e)
{
	uint64_t offset;
	uint32_t size;

	if (len < QCOW_V1_HEADER_LENGTH)
		return vl_fail(e, EX_DATAERR, "%s: qcow header truncated", name);
	offset = be64(buf + 8);
	size = be32(buf + 16);
	if (!offset)
		return 0;
	if (offset > IMAGE_HEADER_MAX)
		return vl_fail(e, EX_DATAERR, "%s: qcow backing file name "
			       "offset %llu out of range", name,
			       (unsigned long long)offset);
	if (need(h, offset + size, len, eof))
		return 0;
	return stored_backing(buf, len, offset, size, "qcow", name, h, e);
}

static int qed_parse(const unsigned char *buf, size_t len, bool eof,
		     const char *name, struct image_header *h,
		     struct vl_error *e)
{
	uint64_t features, offset, size, header_bytes;

	if (len < QED_HEADER_SIZE)
		return vl_fail(e, EX_DATAERR, "%s: QED header truncated", name);
	features = le64(buf + 16);
	offset = le32(buf + 56);
	size = le32(buf + 60);
	header_bytes = (uint64_t)le32(buf + 4) * le32(buf + 12);
	if (!(features & QED_F_BACKING_FILE))
		return 0;
	if (size > BACKING_NAME_MAX)
		return vl_fail(e, EX_DATAERR, "%s: QED backing file name length "
			       "%llu > %u", name, (unsigned long long)size,
			       BACKING_NAME_MAX);
	if (offset < QED_HEADER_SIZE || offset + size > header_bytes ||
	    offset + size > IMAGE_HEADER_MAX)
		return vl_fail(e, EX_DATAERR, "%s: QED backing file name offset "
			       "%llu out of range", name,
			       (unsigned long long)offset);
	if (need(h, offset + size, len, eof))
		return 0;
	if (offset + size > len)
		return vl_fail(e, EX_DATAERR, "%s: QED backing file name past "
			       "the end of the file", name);
	h->backing = header_string(buf + offset, (size_t)size);
	if (features & QED_F_BACKING_FORMAT_NO_PROBE)
		h->backing_format = vl_strdup("raw");
	return 0;
}

/* parentFileNameHint, as QEMU finds it: the first occurrence in the
 * first 20 sectors of the descriptor, the name from 20 bytes on up to
 * the next '"'. */
static int vmdk_parent_hint(const char *desc, size_t len, const char *name,
			    struct image_header *h, struct vl_error *e)
{
	char *text = vl_strndup(desc, len < VMDK_PARENT_SPAN ? len
							      : VMDK_PARENT_SPAN);
	const char *start = strstr(text, "parentFileNameHint"), *end = NULL;
	int rc = 0;

	if (start)
		start += strlen("parentFileNameHint") + 2;
	if (start && start > text + strlen(text))
		start = text + strlen(text);
	if (start && (!(end = strchr(start, '"')) ||
		      end - start > VMDK_PARENT_MAX))
		rc = vl_fail(e, EX_DATAERR, "%s: VMDK parentFileNameHint bad",
			     name);
	else if (start && end > start)
		h->backing = vl_strndup(start, (size_t)(end - start));
	if (h->backing)
		h->backing_format = vl_strdup("vmdk");
	free(text);
	return rc;
}

/* QEMU's next_line(). */
static const char *next_line(const char *s)
{
	while (*s)
		if (*s++ == '\n')
			return s;
	return s;
}

/* The extents QEMU opens: lines read with its own sscanf, which skips
 * white space across lines, and only RW extents of a known type. */
static int vmdk_extents(const char *desc, const char *name,
			struct image_header *h, struct vl_error *e)
{
	static const char *const types[] = {
		"FLAT", "SPARSE", "VMFS", "VMFSSPARSE", "SESPARSE", NULL,
	};

	for (const char *p = desc; *p; p = next_line(p)) {
		char access[11], type[11], file[512];
		long long sectors = 0, offset = -1;
		int n = sscanf(p, "%10s %lld %10s \"%511[^\n\r\"]\" %lld", access,
			       &sectors, type, file, &offset);

		if (n < 4 || strcmp(access, "RW"))
			continue;
		if ((!strcmp(type, "FLAT") && (n != 5 || offset < 0)) ||
		    (strcmp(type, "FLAT") && n != 4))
			return vl_fail(e, EX_DATAERR, "%s: VMDK extent line "
				       "invalid", name);
		if (sectors <= 0 || !vl_in_list(type, types))
			continue;
		if (h->nextents == VMDK_EXTENTS_MAX)
			return vl_fail(e, EX_DATAERR, "%s: more than %d VMDK "
				       "extents", name, VMDK_EXTENTS_MAX);
		*VL_PUSH(h->extents, h->nextents, h->extents_cap) =
			(struct image_extent){ .name = vl_strdup(file) };
	}
	return 0;
}

/* A descriptor (text up to a NUL byte) at offset: extents and parent. */
static int vmdk_descriptor(const unsigned char *buf, size_t len, bool eof,
			   size_t offset, bool parent, const char *name,
			   struct image_header *h, struct vl_error *e)
{
	if (need(h, offset + VMDK_DESC_MAX, len, eof))
		return 0;
	if (offset >= len)
		return 0;
	char *desc = vl_strndup((const char *)buf + offset,
				len - offset < VMDK_DESC_MAX ? len - offset
							     : VMDK_DESC_MAX);
	int rc = vmdk_extents(desc, name, h, e);

	if (!rc && parent)
		rc = vmdk_parent_hint(desc, strlen(desc), name, h, e);
	free(desc);
	return rc;
}

/* A sparse VMDK: its parent hint in the embedded descriptor, extents
 * only when it is a descriptor in disguise (capacity 0). */
static int vmdk_parse(const unsigned char *buf, size_t len, bool eof,
		      const char *name, struct image_header *h,
		      struct vl_error *e)
{
	uint64_t capacity, offset;

	if (!is_vmdk_sparse(buf, len))
		return vmdk_descriptor(buf, len, eof, 0, true, name, h, e);
	if (le32(buf) == VMDK3_MAGIC)
		return 0;	/* VMDK3 has no descriptor */
	if (len < 44)
		return vl_fail(e, EX_DATAERR, "%s: VMDK header truncated", name);
	capacity = le64(buf + 12);
	offset = le64(buf + 28);
	if (!capacity && offset) {
		if (offset > IMAGE_HEADER_MAX / VMDK_SECTOR)
			return vl_fail(e, EX_DATAERR, "%s: VMDK descriptor "
				       "out of range", name);
		int rc = vmdk_descriptor(buf, len, eof, offset * VMDK_SECTOR,
					 false, name, h, e);
		if (rc || h->needed > len)
			return rc;
	}
	if (need(h, VMDK_EMBEDDED_DESC + VMDK_PARENT_SPAN, len, eof))
		return 0;
	return len > VMDK_EMBEDDED_DESC
	       ? vmdk_parent_hint((const char *)buf + VMDK_EMBEDDED_DESC,
				  len - VMDK_EMBEDDED_DESC, name, h, e)
	       : 0;
}

/* The format: given, or probed as QEMU probes. */
static int choose_format(const unsigned char *buf, size_t len,
			 const char *format, const char *name,
			 struct image_header *h, struct vl_error *e)
{
	h->qcow = format ? !strcmp(format, "qcow") : is_qcow_magic(buf, len, true);
	h->qcow2 = format ? !strcmp(format, "qcow2")
			  : is_qcow_magic(buf, len, false);
	h->qed = format ? !strcmp(format, "qed") : is_qed(buf, len);
	h->vmdk = format ? !strcmp(format, "vmdk") : is_vmdk(buf, len);
	if ((h->qcow || h->qcow2) && !(len >= 4 && be32(buf) == QCOW2_MAGIC))
		return vl_fail(e, EX_DATAERR, "%s: not a %s image", name,
			       h->qcow ? "qcow" : "qcow2");
	if (h->qed && !is_qed(buf, len))
		return vl_fail(e, EX_DATAERR, "%s: not a QED image", name);
	if (h->vmdk && !is_vmdk(buf, len))
		return vl_fail(e, EX_DATAERR, "%s: not a VMDK image", name);
	return 0;
}

int image_parse_header(const unsigned char *buf, size_t len, bool eof,
		       const char *format, const char *name,
		       struct image_header *h, struct vl_error *e)
{
	int rc;

	*h = (struct image_header){ .needed = len };
	rc = choose_format(buf, len, format, name, h, e);
	if (!rc && h->qcow2)
		rc = qcow2_parse(buf, len, eof, name, h, e);
	else if (!rc && h->qcow)
		rc = qcow_parse(buf, len, eof, name, h, e);
	else if (!rc && h->qed)
		rc = qed_parse(buf, len, eof, name, h, e);
	else if (!rc && h->vmdk)
		rc = vmdk_parse(buf, len, eof, name, h, e);
	if (h->needed > IMAGE_HEADER_MAX)
		h->needed = IMAGE_HEADER_MAX;
	if (rc)
		image_header_free(h);
	return rc;
}

void image_header_free(struct image_header *h)
{
	free(h->backing);
	free(h->backing_format);
	free(h->data_file);
	for (size_t i = 0; i < h->nextents; i++)
		free(h->extents[i].name);
	free(h->extents);
	*h = (struct image_header){0};
}
