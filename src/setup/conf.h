/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock.conf(5): KEY = VALUE lines; the command line wins over it. */
#ifndef VMLOCK_SETUP_CONF_H
#define VMLOCK_SETUP_CONF_H

#include <vmlock/resource.h>

#define VL_CONFIG_DEFAULT "/etc/vmlock.conf"

struct vl_option {
	char *key, *value;	/* "sanlock.host_id", "1" */
};

struct vl_config {
	char *driver;
	char *lockspace;	/* lockspace directory */
	double wait;
	bool wait_set;
	int backing;		/* -1 unset, 0 off, 1 on */
	char *user, *group;
	struct vl_option *driver_opts;	/* per-driver options */
	size_t n_driver_opts;
};

/* Parses text (a whole file) named name. Returns 0 or 78 with "name:LINE:
 * ..." in e. Pure: for tests and the fuzzer. */
int vl_config_parse(const char *text, size_t len, const char *name,
		    struct vl_config *c, struct vl_error *e);
/* Loads path, or $VMLOCK_CONFIG, or the default (which may be missing).
 * Refuses a file writable by others than its owner and root, and, when
 * vmlock runs as root, one that root does not own. */
int vl_config_load(const char *path, struct vl_config *c, struct vl_error *e);
/* A per-driver option ("sanlock.host_id"), or NULL. */
const char *vl_config_option(const struct vl_config *c, const char *key);
void vl_config_free(struct vl_config *c);

#endif
