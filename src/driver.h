/* The lock driver interface: one struct of callbacks over a list of
 * resources with modes. Drivers never see QEMU syntax. */
#ifndef VMLOCK_DRIVER_H
#define VMLOCK_DRIVER_H

#include "resource.h"

#define VL_DRIVER_ABI 1

/* A module defines VL_DRIVER_DEFINE(name) = { ... }; the same source
 * built into vmlock defines vl_driver_NAME instead. */
#ifdef VL_MODULE
#define VL_DRIVER_DEFINE(name) const struct vl_driver vmlock_driver
#else
#define VL_DRIVER_DEFINE(name) const struct vl_driver vl_driver_##name
#endif

/* One holder of a resource, as a driver sees it. */
struct vl_holder {
	long pid;		/* -1: unknown (remote, or not visible) */
	bool remote;
	enum vl_mode mode;
	int role;		/* enum lp_role: holder, incoming, offer, foreign */
	char *command;		/* NULL when unknown */
	char *name;		/* VM name, NULL when none */
};

struct vl_holders {
	struct vl_holder *v;
	size_t n, cap;
};

struct vl_acquire_opts {
	struct vl_deadline deadline;	/* for --wait */
	bool incoming;		/* target of a migration: take what is offered */
};

/* What a driver may read of the configuration. */
struct vl_driver_config {
	const char *lockspace;		/* directory, or NULL */
	const char *(*option)(const void *ctx, const char *key);
	const void *ctx;
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

/* A module NAME.so from $VMLOCK_DRIVER_DIR or PKGLIBDIR/drivers, else
 * the driver built in; initialised. Returns NULL with e set (78). */
const struct vl_driver *vl_driver_load(const char *name,
				       const struct vl_driver_config *c,
				       struct vl_error *e);

struct vl_holder *vl_holders_add(struct vl_holders *h);
void vl_holders_free(struct vl_holders *h);
/* "pid 123 (qemu-system-x86_64, VM \"web\")", "a process on another host",
 * ...: newly allocated. */
char *vl_holder_describe(const struct vl_holder *h);
const char *vl_role_name(int role);

#endif
