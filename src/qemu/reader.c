/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The QEMU reader's entry points: which program, then its reader. */
#include "config.h"
#include "qemu/filename.h"
#include "qemu/graph.h"
#include "util/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

bool qemu_command_is_qemu(const char *argv0)
{
	static const char *const prefixes[] = {
		"qemu-system-", "qemu-kvm", "qemu-img", "qemu-nbd", "qemu-io",
		"qemu-storage-daemon", NULL,
	};
	const char *name = base_name(argv0);

	for (const char *const *p = prefixes; *p; p++)
		if (vl_starts_with(name, *p))
			return true;
	return !strcmp(name, "kvm");	/* Debian's qemu-system-x86_64 wrapper */
}

static int read_program(int argc, char *const argv[], struct reader *r)
{
	const char *name = argc > 0 ? base_name(argv[0]) : "";

	if (vl_starts_with(name, "qemu-img"))
		return qemu_read_img(argc, argv, r);
	if (vl_starts_with(name, "qemu-io"))
		return qemu_read_io(argc, argv, r);
	if (vl_starts_with(name, "qemu-nbd"))
		return qemu_read_nbd(argc, argv, r);
	if (vl_starts_with(name, "qemu-storage-daemon"))
		return qemu_read_qsd(argc, argv, r);
	return qemu_read_system(argc, argv, r);
}

int qemu_read_args(int argc, char *const argv[], const char *cwd, bool chains,
		   struct qemu_disks *out, struct vl_error *e)
{
	char here[PATH_MAX];
	struct reader r = { .cwd = cwd, .out = out, .e = e, .headers = chains };
	int rc;

	if (!cwd) {
		if (!getcwd(here, sizeof here))
			return vl_fail(e, EX_OSERR, "cannot get the current "
				       "directory: %s", strerror(errno));
		r.cwd = here;
	}
	rc = read_program(argc, argv, &r);
	graph_free(&r);
	return rc;
}

void qemu_disks_free(struct qemu_disks *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
	}
	for (size_t i = 0; i < d->nnotes; i++)
		free(d->notes[i]);
	free(d->v);
	free(d->notes);
	*d = (struct qemu_disks){0};
}
