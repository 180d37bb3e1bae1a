/* The QEMU reader: from a command line (qemu-system-*, qemu-img,
 * qemu-io, qemu-nbd) to the disks QEMU will open, each with the mode it
 * needs (vmlock(1), READING QEMU COMMAND LINES). It reads files (image
 * headers, -readconfig) but locks nothing, never prints nor exits. */
#ifndef VMLOCK_QEMU_QEMU_H
#define VMLOCK_QEMU_QEMU_H

#include <vmlock/resource.h>

struct qemu_disk {
	char *path;		/* absolute: joined lexically to the cwd */
	enum vl_mode mode;
	char *format;		/* format=/driver= when given, else NULL */
	bool chain;		/* false: the command line fixes the backing */
	unsigned depth;		/* 0, or n for a backing image named on the
				 * command line n levels below its disk */
};

struct qemu_disks {
	struct qemu_disk *v;
	size_t n, cap;
	char **notes;		/* disks skipped, e.g. network URIs */
	size_t nnotes, notes_cap;
};

/* True when argv0's basename names a QEMU program (qemu-system-*, ...). */
bool qemu_command_is_qemu(const char *argv0);

/* Reads argv (argv[0] is the QEMU binary). Returns 0, or an exit code
 * (64: an argument it cannot understand) with e set. cwd: directory that
 * relative paths are joined to (NULL: the current one). */
int qemu_read_args(int argc, char *const argv[], const char *cwd,
		   struct qemu_disks *out, struct vl_error *e);
void qemu_disks_free(struct qemu_disks *d);
/* Appends the files disk d makes QEMU open besides itself: its backing
 * chain, data files and extents, read from the images. */
int qemu_disk_chain(const struct qemu_disk *d, struct vl_reslist *out,
		    struct vl_error *e);

/* The guest name of a QEMU command line (-name NAME or -name guest=NAME),
 * newly allocated, or NULL. */
char *qemu_vm_name(int argc, char *const argv[]);
/* The -uuid of a QEMU command line, lower case, or NULL. */
char *qemu_vm_uuid(int argc, char *const argv[]);

#endif
