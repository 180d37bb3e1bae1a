/* Image formats and backing chains: which other files an image makes
 * QEMU open (DESIGN.md section 5, "Backing chains"). */
#ifndef VMLOCK_IMAGE_H
#define VMLOCK_IMAGE_H

#include "resource.h"

/* Deepest backing chain followed; deeper is exit 65. */
#define IMAGE_CHAIN_MAX 1024

/* Appends to out, in order, every file the image at path (absolute, as
 * written) makes QEMU open besides itself: each backing image (readonly,
 * depth 1, 2, ...) and external data files (with mode). format is the
 * format given on the command line, or NULL to probe the header.
 * Returns 0, or an exit code with e set (65: corrupt header, loop, too
 * deep; 66: a backing file missing). */
int image_chain(const char *path, const char *format, enum vl_mode mode,
		struct vl_reslist *out, struct vl_error *e);

#endif
