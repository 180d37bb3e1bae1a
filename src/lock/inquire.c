/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Who holds a file, as this host sees it: the processes (/proc) and the
 * kernel's view of the locks (F_OFD_GETLK, /proc/locks). */
#include "config.h"
#include "lock/holders.h"
#include "lock/lockproto.h"
#include "lock/lockspace.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct file_locks {
	dev_t dev;
	ino_t ino;
	struct lp_conflict seen[8];
	size_t n;
	bool any;		/* any lock at all on the file */
};

static void collect_lock(dev_t dev, ino_t ino, off_t start, off_t end,
			 short type, void *arg)
{
	struct file_locks *fl = arg;
	struct lp_conflict c = { .byte = start, .type = type };

	fl->any |= dev == fl->dev && ino == fl->ino;
	if (dev != fl->dev || ino != fl->ino || fl->n == 8 ||
	    !lp_classify(start, end, type, &c.mode, &c.role))
		return;
	for (size_t i = 0; i < fl->n; i++)
		if (fl->seen[i].role == c.role && fl->seen[i].mode == c.mode)
			return;
	fl->seen[fl->n++] = c;
}

/* The locks of this host on a file, as anyone may read them; *any: a
 * lock of any kind is there (or /proc/locks could not tell). */
static size_t locks_on_this_host(dev_t dev, ino_t ino,
				 struct lp_conflict *out, bool *any)
{
	struct file_locks fl = { .dev = dev, .ino = ino };

	size_t n = 0;

	*any = !holders_proc_locks(collect_lock, &fl) || fl.any;
	/* byte 0 beside vmlock's bytes is vmlock's own, not a foreigner */
	for (size_t i = 0; i < fl.n; i++)
		if (fl.seen[i].role != VL_ROLE_FOREIGN || fl.n == 1)
			out[n++] = fl.seen[i];
	return n;
}

static bool already_listed(const struct vl_holders *h,
			   const struct lp_conflict *c)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].role == c->role && h->v[i].mode == c->mode)
			return true;
	return false;
}

/* Local holders from /proc, plus those only the kernel's view shows. */
void fdlock_holders(int fd, const struct stat *st, struct vl_holders *out)
{
	struct holders_target t = { .dev = st->st_dev, .ino = st->st_ino };
	struct lp_conflict seen[8], here[8];
	bool any;
	size_t n_here = locks_on_this_host(st->st_dev, st->st_ino, here, &any);
	/* the kernel's view; without read access, this host's alone */
	size_t n = fd >= 0 ? lp_probe(fd, seen, 8) : n_here;
	bool local = n_here > 0;

	if (fd < 0)
		memcpy(seen, here, n * sizeof *seen);
	/* a holder is an fd with a lock on the file: with no lock on it in
	 * /proc/locks (all of this host's, every pid namespace) nor in the
	 * kernel's view, no process needs looking at */
	if (any || n > 0)
		holders_scan(&t, 1);
	*out = t.holders;
	for (size_t i = 0; i < n; i++) {
		if (already_listed(out, &seen[i]))
			continue;
		struct vl_holder *h = vl_holders_add(out);
		h->remote = !local;
		h->mode = seen[i].mode;
		h->role = seen[i].role;
	}
	ql_add_unseen(fd, st, &t.qemu, out);
	free(t.path);
}

/* One lock of vmlock's byte range in /proc/locks. */
struct seen_lock {
	dev_t dev;
	ino_t ino;
	enum vl_mode mode;
	enum vl_role role;
};

struct seen_list {
	struct seen_lock *v;
	size_t n, cap;
};

static void add_seen(dev_t dev, ino_t ino, off_t start, off_t end,
		     short type, void *arg)
{
	struct seen_list *l = arg;
	struct seen_lock s = { .dev = dev, .ino = ino };

	/* only ours: not byte 0 alone, not whole-file lockf(3) locks */
	if (start < LP_BASE || end >= LP_END ||
	    !lp_classify(start, end, type, &s.mode, &s.role))
		return;
	*VL_PUSH(l->v, l->n, l->cap) = s;
}

static int cmp_seen(const void *a, const void *b)
{
	const struct seen_lock *x = a, *y = b;

	return vl_cmp_ident(x->dev, x->ino, y->dev, y->ino);
}

/* Holders that /proc/locks shows but no visible process explains:
 * another user's, with no pid. */
static void add_invisible(struct holders_target *t, const struct seen_lock *s,
			  size_t n)
{
	for (size_t i = 0; i < n && !t->holders.n; i++)
		for (size_t j = 0; j <= i; j++)
			if (j == i) {
				struct vl_holder *h = vl_holders_add(&t->holders);
				h->mode = s[i].mode;
				h->role = s[i].role;
			} else if (s[j].mode == s[i].mode &&
				   s[j].role == s[i].role) {
				break;
			}
}

/* A lease file shows as what it stands for. */
static char *display_path(char *path)
{
	if (!path || !lockspace_contains(path))
		return path;
	struct stat st;
	int fd = vl_open_regular(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW |
				 O_NONBLOCK | O_CLOEXEC, &st);
	char *shown = lockspace_display_name(fd, path);
	if (fd >= 0)
		close(fd);
	free(path);
	return shown;
}

int fdlock_inquire_image(const struct vl_resource *r, struct vl_holders *out,
			 struct vl_error *e)
{
	struct stat st;
	int fd = vl_open_regular(AT_FDCWD, r->path, O_RDONLY | O_NOCTTY |
				 O_NONBLOCK | O_CLOEXEC, &st);

	if (!st.st_mode)
		return vl_fail(e, vl_errno_code(errno), "%s: %s", r->path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vl_fail(e, EX_NOINPUT, "%s: not a regular file or block "
			       "device", r->path);
	/* A device is never opened: the locks on a device node are this
	 * kernel's alone, all in its /proc view, which also answers
	 * without read access. */
	fdlock_holders(fd, &st, out);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Every file locked in vmlock's byte range on this host. */
int fdlock_inquire_all(struct vl_found_list *out, struct vl_error *e)
{
	struct seen_list seen = {0};
	struct holders_target *t;
	size_t nt = 0, *first;

	if (!holders_proc_locks(add_seen, &seen))
		return vl_fail(e, EX_OSERR, "/proc/locks: %s", strerror(errno));
	if (seen.n)
		qsort(seen.v, seen.n, sizeof *seen.v, cmp_seen);
	t = vl_calloc(seen.n, sizeof *t);
	first = vl_calloc(seen.n + 1, sizeof *first);
	for (size_t i = 0; i < seen.n; i++)
		if (!i || cmp_seen(&seen.v[i - 1], &seen.v[i])) {
			first[nt] = i;
			t[nt++] = (struct holders_target){ .dev = seen.v[i].dev,
							   .ino = seen.v[i].ino };
		}
	first[nt] = seen.n;
	holders_scan(t, nt);	/* keeps the order: t is sorted already */
	for (size_t i = 0; i < nt; i++) {
		add_invisible(&t[i], &seen.v[first[i]], first[i + 1] - first[i]);
		vl_found_add(out, t[i].path ? display_path(t[i].path) :
			     vl_asprintf("inode:%x:%x:%llu", major(t[i].dev),
					 minor(t[i].dev),
					 (unsigned long long)t[i].ino))
			->holders = t[i].holders;
	}
	free(first);
	free(t);
	free(seen.v);
	return 0;
}
