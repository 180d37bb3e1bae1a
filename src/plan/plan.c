/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The resource plan of a run. */
#include "config.h"
#include "api/api.h"
#include "plan/plan.h"
#include "qemu/options.h"
#include "qemu/qemu.h"
#include "util/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int vl_plan_add_spec(struct vl_reslist *l, enum vl_kind kind, const char *spec,
		     struct vl_error *e)
{
	enum vl_mode mode = VL_EXCLUSIVE;
	const char *colon = strrchr(spec, ':');
	char *name = vl_strdup(spec);

	if (colon && vl_mode_parse(colon + 1, &mode))
		name[colon - spec] = 0;
	else if (colon && kind == VL_FILE && !strchr(colon, '/') &&
		 access(spec, F_OK) < 0) {
		/* "img:exclusiv": the path is there, the mode is a typo */
		name[colon - spec] = 0;
		bool typo = access(name, F_OK) == 0;
		free(name);
		if (typo)
			return vl_fail(e, EX_USAGE, "\"%s\": unknown mode \"%s\" "
				       "(exclusive, shared or readonly)", spec,
				       colon + 1);
		name = vl_strdup(spec);
	}
	if (!*name || (kind == VL_LEASE && strchr(name, '\n'))) {
		free(name);
		return vl_fail(e, EX_USAGE, "\"%s\": %s", spec, kind == VL_FILE
			       ? "empty path" : "empty lease name, or a newline "
			       "in it");
	}
	vl_reslist_add(l, kind, name, mode, 0);
	free(name);
	return 0;
}

/* Every file a QEMU command line opens, backing chains included. */
static int add_qemu(struct vl_reslist *l, int argc, char *const argv[],
		    const struct vl_plan_opts *o, struct vl_error *e)
{
	struct qemu_disks disks = {0};
	int rc = qemu_read_args(argc, argv, NULL, o->backing, &disks, e);

	for (size_t i = 0; i < disks.nnotes; i++)
		vl_note("%s", disks.notes[i]);
	for (size_t i = 0; i < disks.n && !rc; i++) {
		const struct qemu_disk *d = &disks.v[i];
		if (d->depth && !o->backing)
			continue;	/* a backing image named on the line */
		vl_reslist_add(l, VL_FILE, d->path, d->mode, d->depth);
	}
	qemu_disks_free(&disks);
	char *uuid = !rc && o->vm_lease ? qemu_vm_uuid(argc, argv) : NULL;
	if (uuid) {
		char *name = vl_asprintf("uuid:%s", uuid);
		/* without a usable lockspace, the disks' locks still stand;
		 * a warning says so */
		vl_reslist_add(l, VL_LEASE, name, VL_EXCLUSIVE, 0)->optional = true;
		free(name);
		free(uuid);
	}
	return rc;
}

int vl_plan_add_command(struct vl_reslist *l, int argc, char *const argv[],
			const struct vl_plan_opts *o, struct vl_error *e)
{
	if (!o->qemu && !vl_plan_is_qemu(argv[0]))
		return 0;
	return add_qemu(l, argc, argv, o, e);
}

bool vl_plan_is_qemu(const char *argv0)
{
	return qemu_command_is_qemu(argv0);
}

const char *vl_plan_qemu_version(void)
{
	return QEMU_OPTIONS_VERSION;
}

char *vl_plan_vm_name(int argc, char *const argv[])
{
	return qemu_vm_name(argc, argv);
}

char *vl_plan_qmp_socket(int argc, char *const argv[])
{
	return qemu_qmp_socket(argc, argv);
}

/* Identity only: a canonical path costs a readlink per path component,
 * and only what is printed needs one. */
static int identify(struct vl_resource *r, struct vl_error *e)
{
	struct stat st;

	if (stat(r->path, &st) < 0)
		return vl_fail(e, vl_errno_code(errno), "%s: %s (wanted %s)",
			       r->path, strerror(errno), vl_mode_name(r->mode));
	/* never opened, then: opening a device can have effects */
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vl_fail(e, EX_NOINPUT, "%s: not a regular file or block "
			       "device (wanted %s)", r->path,
			       vl_mode_name(r->mode));
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	return 0;
}

static int compare_identity(const struct vl_resource *a,
			    const struct vl_resource *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->kind == VL_LEASE)
		return strcmp(a->path, b->path);
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return a->ino < b->ino ? -1 : a->ino > b->ino;
}

static const struct vl_resource *sorting;

static int compare_index(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = compare_identity(&sorting[i], &sorting[j]);

	return c ? c : i < j ? -1 : i > j;
}

/* One entry per resource, at its first place, in the strongest mode any
 * of its entries wants. */
static void merge_duplicates(struct vl_reslist *l)
{
	size_t *order = vl_calloc(l->n, sizeof *order), kept = 0;
	bool *dropped = vl_calloc(l->n, sizeof *dropped);

	for (size_t i = 0; i < l->n; i++)
		order[i] = i;
	sorting = l->v;
	qsort(order, l->n, sizeof *order, compare_index);
	for (size_t k = 1; k < l->n; k++) {
		size_t first = order[k - 1], i = order[k];
		if (dropped[first])
			first = (size_t)(l->v[first].fd);	/* its keeper */
		if (compare_identity(&l->v[first], &l->v[i]))
			continue;
		l->v[first].mode = vl_mode_stronger(l->v[first].mode,
						    l->v[i].mode);
		dropped[i] = true;
		l->v[i].fd = (int)first;	/* scratch: the keeper */
	}
	for (size_t i = 0; i < l->n; i++) {
		if (dropped[i]) {
			free(l->v[i].path);
			continue;
		}
		l->v[kept++] = l->v[i];
	}
	l->n = kept;
	free(order);
	free(dropped);
}

int vl_plan_finish(struct vl_reslist *l, struct vl_error *e)
{
	for (size_t i = 0; i < l->n; i++) {
		int rc = l->v[i].kind == VL_FILE ? identify(&l->v[i], e) : 0;
		if (rc)
			return rc;
	}
	merge_duplicates(l);
	return 0;
}

int vl_plan_canonicalize(struct vl_reslist *l, struct vl_error *e)
{
	for (size_t i = 0; i < l->n; i++) {
		struct vl_resource *r = &l->v[i];
		char *real = r->kind == VL_FILE ? realpath(r->path, NULL) : NULL;

		if (r->kind == VL_FILE && !real)
			return vl_fail(e, vl_errno_code(errno), "%s: %s (wanted "
				       "%s)", r->path, strerror(errno),
				       vl_mode_name(r->mode));
		if (real) {
			free(r->path);
			r->path = real;
		}
	}
	return 0;
}

void vl_plan_print(const struct vl_reslist *l, FILE *out)
{
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s\t%s%s\n", vl_mode_name(l->v[i].mode),
			l->v[i].kind == VL_LEASE ? "lease:" : "", l->v[i].path);
}

bool vl_plan_covers(const struct vl_reslist *held,
		    const struct vl_reslist *want)
{
	for (size_t i = 0; i < want->n; i++) {
		bool covered = false;

		for (size_t j = 0; j < held->n && !covered; j++)
			covered = !compare_identity(&held->v[j], &want->v[i]) &&
				  vl_mode_stronger(held->v[j].mode,
						   want->v[i].mode) ==
				  held->v[j].mode;
		if (!covered)
			return false;
	}
	return true;
}
