/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The resource plan of a run: --lock resources and everything a QEMU
 * command line opens, canonical and merged by identity. */
#ifndef VMLOCK_PLAN_PLAN_H
#define VMLOCK_PLAN_PLAN_H

#include <vmlock/resource.h>

#include <stdio.h>

struct vl_plan_opts {
	bool qemu;		/* read the command as QEMU's whatever its name */
	bool backing;		/* follow backing chains */
	bool vm_lease;		/* an exclusive lease on the -uuid */
};

/* Adds "PATH[:MODE]" (or "NAME[:MODE]" for a lease). */
int vl_plan_add_spec(struct vl_reslist *l, enum vl_kind kind, const char *spec,
		     struct vl_error *e);
/* Adds what a command opens: for a QEMU program (by its name, or any
 * with o->qemu), every disk, each followed by its chain; for others,
 * nothing. */
int vl_plan_add_command(struct vl_reslist *l, int argc, char *const argv[],
			const struct vl_plan_opts *o, struct vl_error *e);
/* Does argv0 name a QEMU program, whose command line names images? */
bool vl_plan_is_qemu(const char *argv0);
/* Is every resource of want in held, in a mode at least as strong?
 * Both finished (vl_plan_finish). */
bool vl_plan_covers(const struct vl_reslist *held,
		    const struct vl_reslist *want);
/* The QEMU version whose command lines the reader knows ("7.2"). */
const char *vl_plan_qemu_version(void);
/* The VM name of a QEMU command line, newly allocated, or NULL: how
 * holders are named. */
char *vl_plan_vm_name(int argc, char *const argv[]);
/* The unix socket of a QEMU command line's QMP monitor, as written, newly
 * allocated, or NULL (qemu_qmp_socket). */
char *vl_plan_qmp_socket(int argc, char *const argv[]);
/* Identities (device and inode); one entry per file, in the strongest
 * mode wanted, at its first place. Paths stay as given. */
int vl_plan_finish(struct vl_reslist *l, struct vl_error *e);
/* Absolute canonical paths, for what is shown. */
int vl_plan_canonicalize(struct vl_reslist *l, struct vl_error *e);
/* The --dry-run output: MODE<TAB>PATH lines. */
void vl_plan_print(const struct vl_reslist *l, FILE *out);

#endif
