/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Image headers, parsed without I/O: which other files a qcow2, QED or
 * VMDK header names. */
#ifndef VMLOCK_IMAGE_HEADER_H
#define VMLOCK_IMAGE_HEADER_H

#include <vmlock/resource.h>

/* A VMDK extent file that QEMU opens (an RW extent of the descriptor). */
struct image_extent {
	char *name;		/* as written in the descriptor */
};

/* What an image header says about other files. */
struct image_header {
	bool qcow, qcow2, qed, vmdk;	/* none: a format without a chain */
	char *backing;		/* backing file name as stored (VMDK:
				 * parentFileNameHint), or NULL */
	char *backing_format;	/* as stored (qcow2), "raw" (QED without
				 * probing), "vmdk", or NULL */
	char *data_file;	/* qcow2 external data file name, or NULL */
	bool external_data;	/* qcow2 incompatible feature bit 2 */
	struct image_extent *extents;	/* VMDK */
	size_t nextents, extents_cap;
	/* Bytes of the file's start the parse needs. More than it was
	 * given: nothing else is filled in; read that many (at most
	 * IMAGE_HEADER_MAX) and parse again. */
	size_t needed;
};

/* What QEMU reads to probe a format (BLOCK_PROBE_BUF_SIZE), and the most
 * of an image's start vmlock reads: a 2 MiB cluster of qcow2 extensions,
 * a VMDK descriptor of up to 1 MiB at an offset. */
#define IMAGE_PROBE_SIZE 2048
#define IMAGE_HEADER_MAX (4u << 20)

/* Parses the start of an image: buf, len bytes; eof: that is the whole
 * file (QEMU reads zeros past its end). format: given on the command
 * line, or NULL to probe as QEMU does. name is used in messages.
 * Returns 0 (see h->needed), or 65 with e set for a corrupt header.
 * Pure: no I/O. */
int image_parse_header(const unsigned char *buf, size_t len, bool eof,
		       const char *format, const char *name,
		       struct image_header *h, struct vl_error *e);
void image_header_free(struct image_header *h);

#endif
