#include "config.h"
#include "plan.h"
#include "image.h"
#include "qemu_args.h"
#include "util.h"

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
	char *name = xstrdup(spec);

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
		name = xstrdup(spec);
	}
	if (!*name) {
		free(name);
		return vl_fail(e, EX_USAGE, "\"%s\": empty %s", spec,
			       kind == VL_FILE ? "path" : "lease name");
	}
	vl_reslist_add(l, kind, name, mode, 0);
	free(name);
	return 0;
}

int vl_plan_add_qemu(struct vl_reslist *l, int argc, char *const argv[],
		     const struct vl_plan_opts *o, struct vl_error *e)
{
	struct qemu_disks disks = {0};
	int rc = qemu_read_args(argc, argv, NULL, &disks, e);

	for (size_t i = 0; i < disks.nnotes; i++)
		vl_note("%s", disks.notes[i]);
	for (size_t i = 0; i < disks.n && !rc; i++) {
		const struct qemu_disk *d = &disks.v[i];
		vl_reslist_add(l, VL_FILE, d->path, d->mode, 0);
		if (o->backing && d->chain)
			rc = image_chain(d->path, d->format, d->mode, l, e);
	}
	qemu_disks_free(&disks);
	return rc;
}

static int canonicalize(struct vl_resource *r, struct vl_error *e)
{
	char *real = realpath(r->path, NULL);
	struct stat st;

	if (!real || stat(real, &st) < 0) {
		int err = errno;
		free(real);
		return vl_fail(e, vl_errno_code(err), "%s: %s (wanted %s)",
			       r->path, strerror(err), vl_mode_name(r->mode));
	}
	free(r->path);
	r->path = real;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	return 0;
}

static bool same_resource(const struct vl_resource *a,
			  const struct vl_resource *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == VL_LEASE)
		return !strcmp(a->path, b->path);
	return a->dev == b->dev && a->ino == b->ino;
}

int vl_plan_finish(struct vl_reslist *l, struct vl_error *e)
{
	size_t kept = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct vl_resource *r = &l->v[i];
		int rc = r->kind == VL_FILE ? canonicalize(r, e) : 0;
		if (rc) {	/* keep the list whole for vl_reslist_free */
			memmove(&l->v[kept], r, (l->n - i) * sizeof *r);
			l->n = kept + (l->n - i);
			return rc;
		}
		size_t j;
		for (j = 0; j < kept && !same_resource(&l->v[j], r); j++)
			;
		if (j < kept) {
			l->v[j].mode = vl_mode_stronger(l->v[j].mode, r->mode);
			free(r->path);
		} else {
			l->v[kept++] = *r;
		}
	}
	l->n = kept;
	return 0;
}

void vl_plan_print(const struct vl_reslist *l, FILE *out)
{
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s\t%s%s\n", vl_mode_name(l->v[i].mode),
			l->v[i].kind == VL_LEASE ? "lease:" : "", l->v[i].path);
}
