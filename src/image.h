/* Image formats and backing chains: which other files an image makes
 * QEMU open (DESIGN.md section 5, "Backing chains"). */
#ifndef VMLOCK_IMAGE_H
#define VMLOCK_IMAGE_H

#include "resource.h"

/* Deepest backing chain followed; deeper is exit 65. */
#define IMAGE_CHAIN_MAX 1024

/* Appends to out, in order, every file the image at path (absolute, as
 * written) makes QEMU open besides itself: each backing image (readonly,
 * depth 1, 2, ...), qcow2 external data files and VMDK extents (with
 * mode; readonly below the top). format is the format given on the
 * command line, or NULL to probe the header (qcow2, QED, VMDK).
 * Returns 0, or an exit code with e set (65: corrupt header, loop, too
 * deep; 66: a backing file missing). A backing file that is not a local
 * file (a network URI) ends the chain. */
int image_chain(const char *path, const char *format, enum vl_mode mode,
		struct vl_reslist *out, struct vl_error *e);

/* The backing file of the image at path, resolved as QEMU resolves it,
 * newly allocated in *backing; NULL when it has none or it is no local
 * file. Returns 0 or an exit code (65, 66) with e set. */
int image_backing(const char *path, const char *format, char **backing,
		  struct vl_error *e);

/* A VMDK extent file named by a descriptor. */
struct image_extent {
	char *name;		/* as written in the descriptor */
	bool read_only;		/* RDONLY or NOACCESS */
};

/* name relative to the directory of image as written, lexically, as QEMU
 * resolves backing file names; absolute names, protocols and json: names
 * are returned as they are. Newly allocated. */
char *image_path_beside(const char *image, const char *name);

/* What an image header says about other files. */
struct image_header {
	bool qcow2, qed, vmdk;	/* none: a format without a chain */
	char *backing;		/* backing file name as stored (VMDK:
				 * parentFileNameHint), or NULL */
	char *backing_format;	/* as stored (qcow2) or "raw" (QED), or NULL */
	char *data_file;	/* qcow2 external data file name, or NULL */
	bool external_data;	/* qcow2 incompatible feature bit 2 */
	struct image_extent *extents;	/* VMDK */
	size_t nextents;
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
