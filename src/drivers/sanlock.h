/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* What the two halves of the sanlock driver share: sanlock_space.c (the
 * configuration, lease files, the lockspace) and sanlock.c (the driver's
 * callbacks). Not part of vmlock: the module's own. */
#ifndef VMLOCK_DRIVERS_SANLOCK_H
#define VMLOCK_DRIVERS_SANLOCK_H

#include <vmlock/fdlock.h>

#include <stdint.h>

#include <sanlock.h>
#include <sanlock_admin.h>
#include <sanlock_resource.h>
#include <sanlock_rv.h>

#define BATCH SANLK_MAX_RESOURCES	/* leases per sanlock call */

extern struct sl_state {
	char dir[SANLK_PATH_LEN / 2];	/* sanlock.directory */
	char name[SANLK_NAME_LEN];	/* sanlock.lockspace */
	long host_id;			/* sanlock.host_id; 0: not set */
	unsigned io_timeout;		/* sanlock.io_timeout */
	long joined_id;			/* host_id the daemon uses; 0: none */
	int sock;			/* registered connection, or -1 */
} S;

/* sanlock's return values: a message, an exit code, "busy?" */
const char *sl_rv_text(int rv);
int sl_rv_code(int rv);
bool sl_rv_busy(int rv);
/* e from a sanlock rv about what. */
int sl_fail(struct vl_error *e, int rv, const char *what);

/* Driver init: the sanlock.* options of vmlock.conf(5). */
int sl_init(const struct vl_driver_config *c, struct vl_error *e);

/* A resource struct for the lease file named lease, in mode. */
struct sanlk_resource *sl_new_res(const char *lease, enum vl_mode mode);
/* The lease file path exists, initialised (lease NULL: the lockspace). */
int sl_ensure_file(const char *path, const char *lease, const char *key,
		   struct vl_error *e);
/* How messages name the resource of a lease file. */
char *sl_label_of(const char *path);
/* The pid hint of host_id in a lease file: read (pid < 0), or written. */
long sl_pid_slot(const char *path, long host_id, long pid);

/* Is the lockspace joined (1), being joined (2), left (3), or not (0)?
 * -(exit code) with e set when the daemon cannot say. */
int sl_lockspace_state(struct vl_error *e);
/* Joins the lockspace unless this host has already. */
int sl_join(struct vl_error *e);

#endif
