/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Dropping root after the locks are taken (vmlock(1), run --user). */
#ifndef VMLOCK_SETUP_PRIVILEGES_H
#define VMLOCK_SETUP_PRIVILEGES_H

#include <vmlock/resource.h>

struct vl_identity {
	const char *user, *group;	/* NULL: keep */
	bool no_groups;			/* no supplementary groups */
	const char **keep_caps;		/* capability names, NULL-ended */
	bool no_new_privs;
};

/* Refuses a setuid or setgid start, before anything else is done. */
int vl_refuse_setid(struct vl_error *e);
/* Checks names early, so that a typo fails before anything is locked. */
int vl_identity_check(const struct vl_identity *id, struct vl_error *e);
/* Becomes id: uid, gid, groups, capabilities, no_new_privs. */
int vl_identity_assume(const struct vl_identity *id, struct vl_error *e);

#endif
