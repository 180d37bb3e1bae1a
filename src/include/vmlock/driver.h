/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The lock driver interface: one struct of callbacks over a list of
 * resources with modes. This header, <vmlock/resource.h>,
 * <vmlock/util.h> and <vmlock/fdlock.h> are the whole of what a driver
 * module may use; the vmlock executable exports exactly the functions
 * they declare (symbol version VMLOCK_1), nothing else.
 *
 * A module is a shared object NAME.so that defines
 *	VL_DRIVER_DEFINE(NAME) = { .abi = VL_DRIVER_ABI, .name = "NAME", ... };
 * Drivers see resources (files by path, leases by name) and modes,
 * never QEMU syntax. */
#ifndef VMLOCK_DRIVER_H
#define VMLOCK_DRIVER_H

#include <vmlock/resource.h>
#include <vmlock/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever struct vl_driver or what it points to changes; vmlock
 * refuses a module built for another value. */
#define VL_DRIVER_ABI 3

/* A module defines VL_DRIVER_DEFINE(name) = { ... }; the same source
 * built into vmlock (VL_BUILTIN) defines vl_driver_NAME instead. */
#ifdef VL_BUILTIN
#define VL_DRIVER_DEFINE(name) const struct vl_driver vl_driver_##name
#else
#define VL_DRIVER_DEFINE(name) const struct vl_driver vmlock_driver
#endif

/* What a holder's lock stands for (vmlock(1), LOCK BYTES). */
enum vl_role {
	VL_ROLE_HOLDER,		/* holds the resource */
	VL_ROLE_INCOMING,	/* a migration target, through a handover slot */
	VL_ROLE_OFFER,		/* a migration source offering it */
	VL_ROLE_FOREIGN,	/* a lock manager outside vmlock (virtlockd) */
	VL_ROLE_QEMU,		/* QEMU's own image locks, no vmlock lock */
};

/* One holder of a resource, as a driver sees it. */
struct vl_holder {
	long pid;		/* -1: unknown (remote, or not visible) */
	bool remote;
	enum vl_mode mode;
	enum vl_role role;
	char *command;		/* NULL when unknown */
	char *name;		/* VM name, NULL when none */
};

struct vl_holders {
	struct vl_holder *v;
	size_t n, cap;
};

/* One resource with its holders, as inquire shows it. */
struct vl_found {
	char *path;		/* image path, "lease:NAME", or "inode:MAJ:MIN:INO" */
	struct vl_holders holders;
};

struct vl_found_list {
	struct vl_found *v;
	size_t n, cap;
};

struct vl_acquire_opts {
	struct vl_deadline deadline;	/* for --wait */
	bool incoming;		/* target of a migration: take what is offered */
};

/* What a driver may read of the configuration, and what vmlock lends. */
struct vl_driver_config {
	const char *lockspace;		/* directory, or NULL */
	const char *(*option)(const void *ctx, const char *key);
	const void *ctx;
	/* The VM name of a command line (QEMU's -name), newly allocated, or
	 * NULL: for drivers that name the local processes holding a lock. */
	char *(*vm_name)(int argc, char *const argv[]);
};

struct vl_driver {
	unsigned abi;		/* VL_DRIVER_ABI */
	const char *name;
	/* Once, before anything else; may be NULL. */
	int (*init)(const struct vl_driver_config *c, struct vl_error *e);
	/* Lock every resource of l in its mode, or none: on failure nothing
	 * stays locked and e says why (75 busy, naming path, modes, holder).
	 * Lock fds are close-on-exec. */
	int (*acquire)(struct vl_reslist *l, const struct vl_acquire_opts *o,
		       struct vl_error *e);
	void (*release)(struct vl_reslist *l);
	/* Called as late as possible before exec: let the locks be
	 * inherited. */
	int (*prepare_exec)(struct vl_reslist *l, struct vl_error *e);
	/* Who holds r (path or lease name), without blocking. */
	int (*inquire)(const struct vl_resource *r, struct vl_holders *out,
		       struct vl_error *e);
	/* Every resource held through this driver on this host (inquire
	 * --all), appended to out. NULL: the driver cannot list them. */
	int (*inquire_all)(struct vl_found_list *out, struct vl_error *e);
	/* Removes what the driver keeps for resources nobody holds
	 * (inquire --prune), calling pruned(what) for each. NULL: none. */
	int (*prune)(void (*pruned)(const char *what), struct vl_error *e);
	/* Source side of a migration: offer what process pid holds
	 * exclusively to an incoming target; return once the target has
	 * taken all (0) or at the deadline, the offers withdrawn (75).
	 * done(path) is called for each resource handed over. */
	int (*handover)(long pid, const struct vl_deadline *d,
			void (*done)(const char *path), struct vl_error *e);
	/* Target side, for drivers that hand over through a lease state
	 * (sanlock): acquire for process pid the resources that state (as
	 * handover printed it) names, at those versions. NULL when run
	 * --incoming does it all. */
	int (*adopt)(long pid, const char *state, struct vl_error *e);
};

struct vl_holder *vl_holders_add(struct vl_holders *h);
/* "pid 123 (qemu-system-x86_64, VM \"web\")", "a process on another host",
 * ...: newly allocated. */
char *vl_holder_describe(const struct vl_holder *h);

/* Appends a resource found held, taking path over. */
struct vl_found *vl_found_add(struct vl_found_list *l, char *path);

#ifdef __cplusplus
}
#endif

#endif
