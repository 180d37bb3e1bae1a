/* The resource plan of a run: --lock resources and everything a QEMU
 * command line opens, canonical and merged by identity. */
#ifndef VMLOCK_PLAN_H
#define VMLOCK_PLAN_H

#include "resource.h"

#include <stdio.h>

struct vl_plan_opts {
	bool backing;		/* follow backing chains */
	bool vm_lease;		/* an exclusive lease on the -uuid */
};

/* Adds "PATH[:MODE]" (or "NAME[:MODE]" for a lease). */
int vl_plan_add_spec(struct vl_reslist *l, enum vl_kind kind, const char *spec,
		     struct vl_error *e);
/* Adds every disk of a QEMU command line, each followed by its chain. */
int vl_plan_add_qemu(struct vl_reslist *l, int argc, char *const argv[],
		     const struct vl_plan_opts *o, struct vl_error *e);
/* Identities (device and inode); one entry per file, in the strongest
 * mode wanted, at its first place. Paths stay as given. */
int vl_plan_finish(struct vl_reslist *l, struct vl_error *e);
/* Absolute canonical paths, for what is shown. */
int vl_plan_canonicalize(struct vl_reslist *l, struct vl_error *e);
/* The --dry-run output: MODE<TAB>PATH lines. */
void vl_plan_print(const struct vl_reslist *l, FILE *out);

#endif
