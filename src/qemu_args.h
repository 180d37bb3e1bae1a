/* The QEMU command-line reader: a pure function from argv to the disks
 * QEMU will open, each with the mode it needs (DESIGN.md sections 2, 5). */
#ifndef VMLOCK_QEMU_ARGS_H
#define VMLOCK_QEMU_ARGS_H

#include "resource.h"

struct qemu_disk {
	char *path;		/* absolute: joined lexically to the cwd */
	enum vl_mode mode;
	char *format;		/* format=/driver= when given, else NULL */
	bool chain;		/* false: the command line fixes the backing */
};

struct qemu_disks {
	struct qemu_disk *v;
	size_t n, cap;
	char **notes;		/* disks skipped, e.g. network URIs */
	size_t nnotes;
};

/* True when argv0's basename names a QEMU program (qemu-system-*, ...). */
bool qemu_command_is_qemu(const char *argv0);

/* Reads argv (argv[0] is the QEMU binary). Returns 0, or an exit code
 * (64: an argument it cannot understand) with e set. cwd: directory that
 * relative paths are joined to (NULL: the current one). */
int qemu_read_args(int argc, char *const argv[], const char *cwd,
		   struct qemu_disks *out, struct vl_error *e);
void qemu_disks_free(struct qemu_disks *d);

/* The guest name of a QEMU command line (-name NAME or -name guest=NAME),
 * newly allocated, or NULL. */
char *qemu_vm_name(int argc, char *const argv[]);

#endif
