#include "config.h"
#include "resource.h"
#include "util.h"

#include <errno.h>
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
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	struct vl_resource *r = &l->v[l->n++];
	*r = (struct vl_resource){
		.path = xstrdup(path), .kind = kind, .mode = mode,
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

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
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
