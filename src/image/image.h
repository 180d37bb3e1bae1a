/* Backing chains: which other files an image makes QEMU open, read from
 * the files themselves (vmlock(1), READING QEMU COMMAND LINES). */
#ifndef VMLOCK_IMAGE_IMAGE_H
#define VMLOCK_IMAGE_IMAGE_H

#include <vmlock/resource.h>

/* Deepest backing chain followed; deeper is exit 65. */
#define IMAGE_CHAIN_MAX 1024

/* How the names an image header stores become files: the caller knows
 * the syntax (QEMU's). */
struct image_names {
	/* The backing name stored in overlay's header: *path the file
	 * (newly allocated), or NULL when it names no local file; *format
	 * may be replaced. Returns 0 or an exit code with e set. */
	int (*backing)(const char *overlay, const char *name, char **path,
		       char **format, struct vl_error *e);
};

/* Appends to out, in order, every file the image at path (absolute, as
 * written) makes QEMU open besides itself: each backing image (readonly,
 * depth 1, 2, ...), qcow2 external data files and VMDK extents (with
 * mode; readonly below the top). format is the format given on the
 * command line, or NULL to probe the header (qcow2, QED, VMDK).
 * Returns 0, or an exit code with e set (65: corrupt header, loop, too
 * deep; 66: a backing file missing). A backing file that is not a local
 * file (a network URI) ends the chain. */
int image_chain(const char *path, const char *format, enum vl_mode mode,
		const struct image_names *names, struct vl_reslist *out,
		struct vl_error *e);

/* The backing file of the image at path, newly allocated in *backing;
 * NULL when it has none or it is no local file. Returns 0 or an exit
 * code (65, 66) with e set. */
int image_backing(const char *path, const char *format,
		  const struct image_names *names, char **backing,
		  struct vl_error *e);

#endif
