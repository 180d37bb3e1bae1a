/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The resource half of the driver interface: modes, resource lists,
 * errors, deadlines. */
#include "config.h"
#include "api/api.h"
#include "util/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {
	[VL_EXCLUSIVE] = "exclusive",
	[VL_SHARED] = "shared",
	[VL_READONLY] = "readonly",
};

const char *vl_mode_name(enum vl_mode m)
{
	return mode_names[m];
}

bool vl_mode_parse(const char *s, enum vl_mode *m)
{
	for (size_t i = 0; i < sizeof mode_names / sizeof *mode_names; i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*m = i;
			return true;
		}
	return false;
}

bool vl_modes_compatible(enum vl_mode a, enum vl_mode b)
{
	return a == b && a != VL_EXCLUSIVE;
}

enum vl_mode vl_mode_stronger(enum vl_mode a, enum vl_mode b)
{
	/* the enum is ordered from strongest to weakest */
	return a < b ? a : b;
}

struct vl_resource *vl_reslist_add(struct vl_reslist *l, enum vl_kind kind,
				   const char *path, enum vl_mode mode,
				   unsigned depth)
{
	struct vl_resource *r = VL_PUSH(l->v, l->n, l->cap);

	*r = (struct vl_resource){
		.path = vl_strdup(path), .kind = kind, .mode = mode,
		.depth = depth, .fd = -1, .slot = -1,
	};
	return r;
}

void vl_reslist_free(struct vl_reslist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	*l = (struct vl_reslist){0};
}

const char *vl_resource_label(const struct vl_resource *r)
{
	static char label[4096 + 8];

	if (r->kind == VL_FILE)
		return r->path;
	snprintf(label, sizeof label, "lease:%s", r->path);
	return label;
}

int vl_fail(struct vl_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	char msg[sizeof e->msg];	/* fmt's arguments may be e->msg */

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memcpy(e->msg, msg, sizeof msg);
	e->code = code;
	return code;
}

int vl_errno_code(int err)
{
	switch (err) {
	case ENOENT: case ENOTDIR: case ELOOP: case ENXIO: case ENODEV:
	case EISDIR: case ENAMETOOLONG:
		return EX_NOINPUT;
	case EACCES: case EPERM: case EROFS: case ETXTBSY:
		return EX_NOPERM;
	case EAGAIN:
		return EX_TEMPFAIL;
	default:
		return EX_OSERR;
	}
}

struct vl_deadline vl_deadline_in(double seconds)
{
	struct vl_deadline d = { .forever = seconds < 0 };

	if (d.forever)
		return d;
	clock_gettime(CLOCK_MONOTONIC, &d.at);
	double whole = floor(seconds);
	d.at.tv_sec += (time_t)whole;
	d.at.tv_nsec += (long)((seconds - whole) * 1e9);
	if (d.at.tv_nsec >= 1000000000L) {
		d.at.tv_sec++;
		d.at.tv_nsec -= 1000000000L;
	}
	return d;
}

double vl_deadline_left(const struct vl_deadline *d)
{
	struct timespec now;

	if (d->forever)
		return 1e9;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double left = (double)(d->at.tv_sec - now.tv_sec) +
		      (double)(d->at.tv_nsec - now.tv_nsec) / 1e9;
	return left > 0 ? left : 0;
}

bool vl_deadline_passed(const struct vl_deadline *d)
{
	return !d->forever && vl_deadline_left(d) <= 0;
}
