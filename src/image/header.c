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
#define VMDK4_MAGIC 0x564d444bu		/* "KDMV" little-endian */
#define VMDK_SECTOR 512
#define VMDK_EXTENTS_MAX 4096
#define VMDK_LINE_MAX 2048
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

static bool is_qcow2(const unsigned char *buf, size_t len)
{
	return len >= 4 && be32(buf) == QCOW2_MAGIC;
}

static bool is_qed(const unsigned char *buf, size_t len)
{
	return len >= 4 && le32(buf) == QED_MAGIC;
}

static bool is_vmdk_sparse(const unsigned char *buf, size_t len)
{
	return len >= 4 && le32(buf) == VMDK4_MAGIC;
}

/* A VMDK text descriptor: after blank and comment lines, "version=". */
static bool is_vmdk_descriptor(const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len;) {
		const unsigned char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		while (i < end && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r'))
			i++;
		if (i < end && buf[i] != '#')
			return end - i >= 8 && !memcmp(buf + i, "version=", 8);
		i = end + 1;
	}
	return false;
}

static bool is_vmdk(const unsigned char *buf, size_t len)
{
	return is_vmdk_sparse(buf, len) || is_vmdk_descriptor(buf, len);
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

size_t image_header_span(const unsigned char *buf, size_t len)
{
	uint64_t span = IMAGE_PROBE_SIZE;

	if (is_qcow2(buf, len) && len >= 24 && be32(buf + 20) < 32)
		/* the backing name may start at the end of the cluster */
		span = ((uint64_t)1 << be32(buf + 20)) + BACKING_NAME_MAX;
	else if (is_qed(buf, len) && len >= 16)
		span = (uint64_t)le32(buf + 4) * le32(buf + 12);
	else if (is_vmdk_sparse(buf, len) && len >= 44 &&
		 le64(buf + 28) < IMAGE_HEADER_MAX && le64(buf + 36) < IMAGE_HEADER_MAX)
		span = (le64(buf + 28) + le64(buf + 36)) * VMDK_SECTOR;
	else if (is_vmdk_descriptor(buf, len))
		span = IMAGE_HEADER_MAX;
	if (span < IMAGE_PROBE_SIZE)
		span = IMAGE_PROBE_SIZE;
	return span > IMAGE_HEADER_MAX ? IMAGE_HEADER_MAX : (size_t)span;
}

/* qcow2 header extensions between start and end: backing format and
 * external data file name. */
static int qcow2_read_extensions(const unsigned char *buf, size_t start,
				 size_t end, const char *name,
				 struct image_header *h, struct vl_error *e)
{
	size_t off = start;

	while (off < end) {
		uint32_t type, len;

		if (end - off < 8)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header "
				       "extension at %zu overflows", name, off);
		type = be32(buf + off);
		len = be32(buf + off + 4);
		off += 8;
		if (type == QCOW2_EXT_END)
			return 0;
		if (len > end - off)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header "
				       "extension 0x%08x at %zu overflows",
				       name, type, off - 8);
		if (type == QCOW2_EXT_BACKING_FORMAT) {
			if (len > BACKING_FORMAT_MAX)
				return vl_fail(e, EX_DATAERR, "%s: qcow2 "
					       "backing format too long", name);
			free(h->backing_format);
			h->backing_format = header_string(buf + off, len);
		} else if (type == QCOW2_EXT_DATA_FILE) {
			if (len > DATA_FILE_NAME_MAX)
				return vl_fail(e, EX_DATAERR, "%s: qcow2 data "
					       "file name too long", name);
			free(h->data_file);
			h->data_file = header_string(buf + off, len);
		}
		off += (len + 7u) & ~(size_t)7;
	}
	/* an extension area filled to the end with no end marker */
	return 0;
}

static int qcow2_parse(const unsigned char *buf, size_t len, const char *name,
		       struct image_header *h, struct vl_error *e)
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
		    header_length > cluster_size || header_length > len)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header length "
				       "%u bad", name, header_length);
		h->external_data = be64(buf + 72) & QCOW2_EXTERNAL_DATA;
	}
	if (backing_size > BACKING_NAME_MAX)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 backing file name "
			       "length %u > %u", name, backing_size,
			       BACKING_NAME_MAX);
	if (backing_offset > cluster_size ||
	    backing_offset + backing_size > len)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 backing file name "
			       "offset %llu out of range", name,
			       (unsigned long long)backing_offset);
	if (backing_offset && backing_size)
		h->backing = header_string(buf + backing_offset, backing_size);
	ext_end = backing_offset ? backing_offset : cluster_size;
	if (ext_end > len)
		ext_end = len;
	if (ext_end < header_length)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 backing file name "
			       "overlaps the header", name);
	return qcow2_read_extensions(buf, header_length, (size_t)ext_end, name,
				     h, e);
}

static int qed_parse(const unsigned char *buf, size_t len, const char *name,
		     struct image_header *h, struct vl_error *e)
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
	    offset + size > len)
		return vl_fail(e, EX_DATAERR, "%s: QED backing file name offset "
			       "%llu out of range", name,
			       (unsigned long long)offset);
	h->backing = header_string(buf + offset, (size_t)size);
	if (features & QED_F_BACKING_FORMAT_NO_PROBE)
		h->backing_format = vl_strdup("raw");
	return 0;
}

/* parentFileNameHint="NAME" */
static int vmdk_parent_hint(const char *line, const char *name,
			    struct image_header *h, struct vl_error *e)
{
	const char *start = line + strlen("parentFileNameHint=\""), *end;

	end = strchr(start, '"');
	if (!end || end - start > BACKING_NAME_MAX)
		return vl_fail(e, EX_DATAERR, "%s: VMDK parentFileNameHint bad",
			       name);
	free(h->backing);
	h->backing = end > start ? header_string((const unsigned char *)start,
						 (size_t)(end - start))
				 : NULL;
	return 0;
}

/* An extent line: ACCESS SECTORS TYPE "FILE" [OFFSET]. */
static int vmdk_extent(const char *line, const char *name,
		       struct image_header *h, struct vl_error *e)
{
	char access[11], type[11], file[512];
	unsigned long long sectors;
	int end = 0;

	if (sscanf(line, "%10s %llu %10s \"%511[^\n\r\"]\"%n", access, &sectors,
		   type, file, &end) != 4 || !end || !strcmp(type, "ZERO") ||
	    (strcmp(access, "RW") && strcmp(access, "RDONLY")))
		return 0;
	if (h->nextents == VMDK_EXTENTS_MAX)
		return vl_fail(e, EX_DATAERR, "%s: more than %d VMDK extents",
			       name, VMDK_EXTENTS_MAX);
	*VL_PUSH(h->extents, h->nextents, h->extents_cap) = (struct image_extent){
		.name = vl_strdup(file), .read_only = !strcmp(access, "RDONLY"),
	};
	return 0;
}

/* A VMDK descriptor (text, up to a NUL byte): its extents and parent. */
static int vmdk_parse_descriptor(const unsigned char *text, size_t len,
				 const char *name, struct image_header *h,
				 struct vl_error *e)
{
	char line[VMDK_LINE_MAX];
	size_t i = 0;
	int rc = 0;

	len = strnlen((const char *)text, len);
	while (!rc && i < len) {
		const unsigned char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - i < sizeof line ? end - i : sizeof line - 1;
		const char *p = line;

		memcpy(line, text + i, n);
		line[n] = '\0';
		i = end + 1;
		p += strspn(p, " \t");
		if (!strncmp(p, "parentFileNameHint=\"", 20))
			rc = vmdk_parent_hint(p, name, h, e);
		else
			rc = vmdk_extent(p, name, h, e);
	}
	return rc;
}

/* monolithicSparse and kin: the descriptor is embedded, at a sector
 * offset and size given at 28 and 36. */
static int vmdk_parse(const unsigned char *buf, size_t len, const char *name,
		      struct image_header *h, struct vl_error *e)
{
	uint64_t offset, size;

	if (!is_vmdk_sparse(buf, len))
		return vmdk_parse_descriptor(buf, len, name, h, e);
	if (len < 44)
		return vl_fail(e, EX_DATAERR, "%s: VMDK header truncated", name);
	offset = le64(buf + 28);
	size = le64(buf + 36);
	if (!offset)
		return 0;	/* no embedded descriptor */
	if (offset >= len / VMDK_SECTOR || size > (len / VMDK_SECTOR) - offset)
		return vl_fail(e, EX_DATAERR, "%s: VMDK descriptor out of range",
			       name);
	return vmdk_parse_descriptor(buf + offset * VMDK_SECTOR,
				     size * VMDK_SECTOR, name, h, e);
}

int image_parse_header(const unsigned char *buf, size_t len,
		       const char *format, const char *name,
		       struct image_header *h, struct vl_error *e)
{
	int rc = 0;

	*h = (struct image_header){0};
	h->qcow2 = format ? !strcmp(format, "qcow2") : is_qcow2(buf, len);
	h->qed = format ? !strcmp(format, "qed") : is_qed(buf, len);
	h->vmdk = format ? !strcmp(format, "vmdk") : is_vmdk(buf, len);
	if (h->qcow2 && !is_qcow2(buf, len))
		rc = vl_fail(e, EX_DATAERR, "%s: not a qcow2 image", name);
	else if (h->qed && !is_qed(buf, len))
		rc = vl_fail(e, EX_DATAERR, "%s: not a QED image", name);
	else if (h->vmdk && !is_vmdk(buf, len))
		rc = vl_fail(e, EX_DATAERR, "%s: not a VMDK image", name);
	else if (h->qcow2)
		rc = qcow2_parse(buf, len, name, h, e);
	else if (h->qed)
		rc = qed_parse(buf, len, name, h, e);
	else if (h->vmdk)
		rc = vmdk_parse(buf, len, name, h, e);
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
