/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/plan/plan.c: --lock specs, canonical paths, one entry per file,
 * on files in a scratch directory. */
#include "config.h"
#include "api/api.h"
#include "plan/plan.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dir;

static char *in_dir(const char *name)
{
	return vl_asprintf("%s/%s", dir, name);
}

static void touch(const char *name)
{
	char *p = in_dir(name);
	FILE *f = fopen(p, "w");

	fclose(f);
	free(p);
}

static void test_specs(void)
{
	struct vl_reslist l = {0};
	struct vl_error e;

	ok(vl_plan_add_spec(&l, VL_FILE, "/a/b:readonly", &e) == 0 &&
	   !strcmp(l.v[0].path, "/a/b") && l.v[0].mode == VL_READONLY,
	   "--lock /a/b:readonly: /a/b, readonly");
	ok(vl_plan_add_spec(&l, VL_FILE, "/a/c", &e) == 0 &&
	   l.v[1].mode == VL_EXCLUSIVE, "--lock /a/c: exclusive by default");
	ok(vl_plan_add_spec(&l, VL_FILE, "/a/x:y", &e) == 0 &&
	   !strcmp(l.v[2].path, "/a/x:y"),
	   "--lock /a/x:y: a colon that is no mode stays in the path");
	ok(vl_plan_add_spec(&l, VL_FILE, ":shared", &e) == EX_USAGE &&
	   strstr(e.msg, "empty path"),
	   "--lock :shared: empty path refused: %s", e.msg);
	vl_reslist_free(&l);
}

static void test_finish(void)
{
	struct vl_reslist l = {0};
	struct vl_error e;
	char *a = in_dir("a.img"), *soft = in_dir("link.img"),
	     *hard = in_dir("hard.img"), *b = in_dir("b.img");

	touch("a.img");
	touch("b.img");
	symlink(a, soft);
	link(a, hard);
	vl_reslist_add(&l, VL_FILE, soft, VL_READONLY, 0);
	vl_reslist_add(&l, VL_FILE, b, VL_SHARED, 0);
	vl_reslist_add(&l, VL_FILE, hard, VL_EXCLUSIVE, 0);
	vl_reslist_add(&l, VL_FILE, a, VL_READONLY, 1);
	ok(vl_plan_finish(&l, &e) == 0,
	   "finish link.img (symlink to a.img) readonly, b.img shared, "
	   "hard.img (hard link to a.img) exclusive, a.img readonly at "
	   "depth 1");
	ok(l.n == 2, "the same four: symlink, hard link and path are one "
	   "resource (%zu)", l.n);
	ok(l.n == 2 && l.v[0].mode == VL_EXCLUSIVE && l.v[1].mode == VL_SHARED,
	   "the same four: a.img exclusive (the strongest wanted) at "
	   "its first place, b.img shared");
	int canonical = vl_plan_canonicalize(&l, &e);
	ok(l.n == 2 && canonical == 0 && !strcmp(l.v[0].path, a),
	   "canonicalize link.img: the canonical path %s",
	   l.n ? l.v[0].path : "");
	vl_reslist_free(&l);

	char *missing = in_dir("nonexistent/x.img");
	vl_reslist_add(&l, VL_FILE, a, VL_READONLY, 0);
	vl_reslist_add(&l, VL_FILE, missing, VL_SHARED, 0);
	vl_reslist_add(&l, VL_FILE, b, VL_SHARED, 0);
	ok(vl_plan_finish(&l, &e) == EX_NOINPUT &&
	   strstr(e.msg, missing) &&
	   strstr(e.msg, "shared"), "finish a.img, nonexistent/x.img shared, "
	   "b.img: 66 naming path and mode: %s", e.msg);
	vl_reslist_free(&l);
	free(missing);
	free(a);
	free(soft);
	free(hard);
	free(b);
}

int main(void)
{
	if (!(dir = testdir_make()))
		return 99;
	test_specs();
	test_finish();
	testdir_remove(dir);
	return done_testing();
}
