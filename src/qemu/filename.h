/* File names as QEMU's block layer reads them: protocol prefixes,
 * "file:", json:{...} names, and backing names relative to their
 * overlay. */
#ifndef VMLOCK_QEMU_FILENAME_H
#define VMLOCK_QEMU_FILENAME_H

#include "image/image.h"

/* True when name has a protocol prefix (a ':' before any '/') other than
 * "file:"; QEMU never opens such a name as a local path. */
bool qemu_name_is_protocol(const char *name);

/* name relative to the directory of image as written, lexically, as QEMU
 * resolves backing file names; absolute names, protocols and json: names
 * are returned as they are. Newly allocated. */
char *qemu_name_beside(const char *image, const char *name);

/* How image chains resolve the names their headers store. */
extern const struct image_names qemu_image_names;

#endif
