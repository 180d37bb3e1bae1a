/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/drivers/fcntl.c: the fcntl driver through its interface: all or
 * nothing, fds off stdio, inheritance before exec, and a file replaced
 * after it was planned; on files in a scratch directory. Unless
 * VMLOCK_DRIVER_DIR says otherwise, the driver is looked for as a module
 * in the scratch directory, which holds none, so the one built in is
 * used, not one installed on the machine. */
#include "config.h"
#include "api/api.h"
#include "setup/modules.h"
#include "plan/plan.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dir;

static char *make_file(const char *name)
{
	char *p = vl_asprintf("%s/%s", dir, name);

	close(open(p, O_CREAT | O_WRONLY, 0644));
	return p;
}

int main(void)
{
	struct vl_driver_config dc = { .lockspace = NULL };
	struct vl_acquire_opts o = { .deadline = vl_deadline_in(0) };
	struct vl_reslist a = {0}, b = {0};
	struct vl_error e = {0};

	if (!(dir = testdir_make()))
		return 99;
	if (!getenv("VMLOCK_DRIVER_DIR"))
		setenv("VMLOCK_DRIVER_DIR", dir, 1);
	const struct vl_driver *drv = vl_driver_load("fcntl", &dc, &e);
	ok(drv != NULL, "vl_driver_load(\"fcntl\"): the driver loads");
	char *one = make_file("one"), *two = make_file("two"),
	     *moved = make_file("moved");

	close(0);	/* a closed stdin must not receive a lock fd */
	vl_reslist_add(&a, VL_FILE, two, VL_EXCLUSIVE, 0);
	vl_plan_finish(&a, &e);
	ok(drv->acquire(&a, &o, &e) == 0,
	   "acquire two exclusive, stdin closed: locked");
	ok(a.v[0].fd > 2,
	   "acquire two with stdin closed: lock fd %d is above stdio",
	   a.v[0].fd);
	ok(fcntl(a.v[0].fd, F_GETFD) & FD_CLOEXEC,
	   "acquire two: the lock fd is close-on-exec");
	ok(drv->prepare_exec(&a, &e) == 0 &&
	   !(fcntl(a.v[0].fd, F_GETFD) & FD_CLOEXEC),
	   "prepare_exec after acquiring two: the lock fd is inheritable");

	vl_reslist_add(&b, VL_FILE, one, VL_EXCLUSIVE, 0);
	vl_reslist_add(&b, VL_FILE, two, VL_READONLY, 0);
	vl_plan_finish(&b, &e);
	ok(drv->acquire(&b, &o, &e) == EX_TEMPFAIL && strstr(e.msg, two),
	   "acquire one exclusive and two readonly, two held "
	   "exclusive: busy on two: %s", e.msg);
	ok(b.v[0].fd < 0 && b.v[1].fd < 0,
	   "the same refused acquire: all or nothing, no fd kept");
	struct vl_reslist c = {0};
	vl_reslist_add(&c, VL_FILE, one, VL_EXCLUSIVE, 0);
	vl_plan_finish(&c, &e);
	ok(drv->acquire(&c, &o, &e) == 0,
	   "acquire one exclusive after that refusal: one was left free");
	drv->release(&c);
	drv->release(&a);

	struct vl_reslist d = {0};
	vl_reslist_add(&d, VL_FILE, one, VL_EXCLUSIVE, 0);
	vl_plan_finish(&d, &e);	/* planned: one's identity */
	rename(moved, one);	/* replaced before being opened */
	ok(drv->acquire(&d, &o, &e) == EX_TEMPFAIL && strstr(e.msg, "replaced"),
	   "acquire one after moved was renamed over it since "
	   "planning: not locked: %s", e.msg);
	ok(d.v[0].fd < 0, "the same replaced file: nothing is held");

	/* QEMU's own lock on its last byte (204: "write refused"), with
	 * nothing in vmlock's bytes: the one look of the common path must
	 * not take the file for free */
	struct vl_reslist q = {0};
	int qemu = open(two, O_RDONLY | O_CLOEXEC);
	struct flock fl = { .l_type = F_RDLCK, .l_start = 204, .l_len = 1 };
	vl_reslist_add(&q, VL_FILE, two, VL_EXCLUSIVE, 0);
	vl_plan_finish(&q, &e);
	ok(fcntl(qemu, F_OFD_SETLK, &fl) == 0 &&
	   drv->acquire(&q, &o, &e) == EX_TEMPFAIL && strstr(e.msg, "QEMU"),
	   "acquire two exclusive beside a QEMU's lock on byte 204 alone: "
	   "busy: %s", e.msg);
	close(qemu);
	vl_reslist_free(&q);

	vl_reslist_free(&a);
	vl_reslist_free(&b);
	vl_reslist_free(&c);
	vl_reslist_free(&d);
	testdir_remove(dir);
	free(one);
	free(two);
	free(moved);
	return done_testing();
}
