/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* QEMU's own image locks, as holders (see qemulocks.h). */
#include "config.h"
#include "api/api.h"
#include "lock/holders.h"
#include "lock/qemulocks.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

static bool covers(off_t start, off_t end, off_t byte)
{
	return start <= byte && end >= byte;
}

bool ql_add_lock(struct ql_use *u, off_t start, off_t end)
{
	bool held = start < QL_HELD + QL_PERMS && end >= QL_HELD;
	bool refused = start < QL_REFUSED + QL_PERMS && end >= QL_REFUSED;

	if (!held && !refused)
		return false;
	u->locked = true;
	u->writes |= covers(start, end, QL_HELD + QL_WRITE);
	u->excludes |= covers(start, end, QL_REFUSED + QL_WRITE);
	return true;
}

void ql_add_use(struct ql_use *into, const struct ql_use *u)
{
	into->locked |= u->locked;
	into->writes |= u->writes;
	into->excludes |= u->excludes;
}

static void add_any_lock(dev_t dev, ino_t ino, off_t start, off_t end,
			 short type, void *arg)
{
	(void)dev;
	(void)ino;
	(void)type;
	ql_add_lock(arg, start, end);
}

struct ql_use ql_from_fdinfo(const char *fdinfo)
{
	struct ql_use u = { 0 };

	holders_each_lock_line(fdinfo, add_any_lock, &u);
	return u;
}

bool ql_mode(const struct ql_use *u, enum vl_mode *mode)
{
	if (!u->locked)
		return false;
	*mode = !u->writes ? VL_READONLY : u->excludes ? VL_EXCLUSIVE
						       : VL_SHARED;
	return true;
}

/* Does another open file description hold a lock in [start, start+len)? */
static bool held_by_others(int fd, off_t start, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };

	return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

struct ql_use ql_probe(int fd)
{
	struct ql_use u = { 0 };

	/* One probe over both ranges first: when nothing is there (no QEMU
	 * of its own locks, the common case) that is one fcntl, not two. */
	if (!held_by_others(fd, QL_HELD, QL_REFUSED + QL_PERMS - QL_HELD))
		return u;
	u.locked = held_by_others(fd, QL_HELD, QL_PERMS) ||
		   held_by_others(fd, QL_REFUSED, QL_PERMS);
	if (u.locked) {
		u.writes = held_by_others(fd, QL_HELD + QL_WRITE, 1);
		u.excludes = held_by_others(fd, QL_REFUSED + QL_WRITE, 1);
	}
	return u;
}

int ql_check(int fd, enum vl_mode mode, struct lp_conflict *c)
{
	struct ql_use u = ql_probe(fd);
	enum vl_mode held;

	if (!ql_mode(&u, &held) || vl_modes_compatible(mode, held))
		return 0;
	*c = (struct lp_conflict){ .mode = held, .role = VL_ROLE_QEMU,
				   .byte = QL_HELD, .type = F_RDLCK };
	return EAGAIN;
}

bool ql_merge_holder(struct vl_holders *h, long pid, enum vl_mode mode,
		     enum vl_role role)
{
	bool qemu = role == VL_ROLE_QEMU;

	for (size_t i = 0; i < h->n; i++) {
		struct vl_holder *o = &h->v[i];
		if (o->pid != pid)
			continue;
		if (qemu && o->role == VL_ROLE_QEMU)
			o->mode = vl_mode_stronger(o->mode, mode);
		if (qemu)
			return false;	/* merged, or shown by vmlock's lock */
		if (o->role == VL_ROLE_QEMU) {
			o->role = role;	/* vmlock's lock shows it */
			o->mode = mode;
			return false;
		}
	}
	return true;
}

struct host_view {
	dev_t dev;
	ino_t ino;
	struct ql_use use;
};

static void add_host_lock(dev_t dev, ino_t ino, off_t start, off_t end,
			  short type, void *arg)
{
	struct host_view *v = arg;

	(void)type;
	if (dev == v->dev && ino == v->ino)
		ql_add_lock(&v->use, start, end);
}

/* Does what the processes seen hold explain all? */
static bool explained(const struct ql_use *all, const struct ql_use *seen)
{
	return seen->locked && (seen->writes || !all->writes) &&
	       (seen->excludes || !all->excludes);
}

void ql_add_unseen(int fd, const struct stat *st, const struct ql_use *seen,
		   struct vl_holders *out)
{
	struct host_view here = { .dev = st->st_dev, .ino = st->st_ino };
	struct ql_use all = fd >= 0 ? ql_probe(fd) : (struct ql_use){ 0 };
	enum vl_mode mode;

	/* /proc/locks, which may be long, only when it has to answer */
	if (fd < 0 || (all.locked && !explained(&all, seen)))
		holders_proc_locks(add_host_lock, &here);
	if (fd < 0)
		all = here.use;
	if (!ql_mode(&all, &mode) || explained(&all, seen))
		return;
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].pid < 0 && out->v[i].role == VL_ROLE_QEMU)
			return;
	struct vl_holder *h = vl_holders_add(out);
	h->remote = !here.use.locked;
	h->mode = mode;
	h->role = VL_ROLE_QEMU;
}
