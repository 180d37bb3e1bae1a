/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/kv.c: the flattened option lists every reader produces. */
#include "config.h"
#include "qemu/kv.h"
#include "util/util.h"
#include "../tap.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
	struct qemu_kvlist l = {0};
	struct vl_error e = {0};

	qemu_kv_append(&l, vl_strdup("file.filename"), vl_strdup("a"));
	qemu_kv_append(&l, vl_strdup("backing"), NULL);
	ok(qemu_kv_get(&l, "file.filename") &&
	   !strcmp(qemu_kv_get(&l, "file.filename"), "a"),
	   "file.filename=a appended: get file.filename gives a");
	ok(!qemu_kv_get(&l, "file") && !qemu_kv_find(&l, "file"),
	   "get and find file (only file.filename there): none");
	ok(!qemu_kv_get(&l, "backing") && qemu_kv_find(&l, "backing") &&
	   !qemu_kv_find(&l, "backing")->val,
	   "backing=(JSON null): get gives NULL, find gives the entry");
	ok(qemu_kv_has_prefix(&l, "file.") && !qemu_kv_has_prefix(&l, "data."),
	   "prefix file. is below file.filename; data. is not there");
	ok(qemu_kv_add_unique(&l, vl_strdup("file.filename"), vl_strdup("b"),
			      &e) == EX_USAGE &&
	   !strcmp(e.msg, "duplicate key \"file.filename\"") &&
	   !strcmp(qemu_kv_get(&l, "file.filename"), "a") && l.n == 2,
	   "add_unique file.filename=b again: 64, duplicate key, a kept");
	ok(qemu_kv_add_unique(&l, vl_strdup("format"), vl_strdup("qcow2"),
			      &e) == 0 && l.n == 3,
	   "add_unique format=qcow2, a new key: added");
	qemu_kv_set(&l, "format", "raw");
	qemu_kv_set(&l, "backing", "b");
	qemu_kv_set(&l, "id", "d0");
	ok(l.n == 4 && !strcmp(qemu_kv_get(&l, "format"), "raw") &&
	   !strcmp(qemu_kv_get(&l, "backing"), "b") &&
	   !strcmp(qemu_kv_get(&l, "id"), "d0"),
	   "set format=raw, backing=b (was null), id=d0 (new): replaced in "
	   "place, id appended");
	qemu_kvlist_free(&l);
	ok(l.n == 0 && !l.v && !l.cap, "a freed list is empty");
	return done_testing();
}
