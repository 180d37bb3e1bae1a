/* Image headers, parsed without I/O: which other files a qcow2, QED or
 * VMDK header names. */
#ifndef VMLOCK_IMAGE_HEADER_H
#define VMLOCK_IMAGE_HEADER_H

#include <vmlock/resource.h>

/* A VMDK extent file named by a descriptor. */
struct image_extent {
	char *name;		/* as written in the descriptor */
	bool read_only;		/* RDONLY or NOACCESS */
};

/* What an image header says about other files. */
struct image_header {
	bool qcow2, qed, vmdk;	/* none: a format without a chain */
	char *backing;		/* backing file name as stored (VMDK:
				 * parentFileNameHint), or NULL */
	char *backing_format;	/* as stored (qcow2) or "raw" (QED), or NULL */
	char *data_file;	/* qcow2 external data file name, or NULL */
	bool external_data;	/* qcow2 incompatible feature bit 2 */
	struct image_extent *extents;	/* VMDK */
	size_t nextents, extents_cap;
};

/* Bytes of an image's start that image_parse_header needs, given its
 * first IMAGE_PROBE_SIZE bytes (len may be less): the first cluster (and
 * a backing name after it), the VMDK descriptor; at most
 * IMAGE_HEADER_MAX, a 2 MiB cluster and a backing name. */
#define IMAGE_PROBE_SIZE 512
#define IMAGE_HEADER_MAX ((2u << 20) + 1024)
size_t image_header_span(const unsigned char *buf, size_t len);

/* Parses the start of an image (buf, len bytes: its header span or up to
 * end of file). format: given on the command line, or NULL to probe.
 * name is used in messages. Returns 0, or 65 with e set for a corrupt
 * header. Pure: no I/O. */
int image_parse_header(const unsigned char *buf, size_t len,
		       const char *format, const char *name,
		       struct image_header *h, struct vl_error *e);
void image_header_free(struct image_header *h);

#endif
