/* placeholder until the reader lands */
#include "config.h"
#include "qemu_args.h"
#include "util.h"
#include <string.h>
#include <stdlib.h>

bool qemu_command_is_qemu(const char *argv0) { (void)argv0; return false; }
int qemu_read_args(int argc, char *const argv[], const char *cwd,
		   struct qemu_disks *out, struct vl_error *e)
{ (void)argc; (void)argv; (void)cwd; (void)out; (void)e; return 0; }
void qemu_disks_free(struct qemu_disks *d) { (void)d; }
char *qemu_vm_name(int argc, char *const argv[])
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "-name"))
			return xstrdup(argv[i + 1]);
	return NULL;
}
