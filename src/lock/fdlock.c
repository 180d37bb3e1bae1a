/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The engine of the drivers whose locks are OFD locks on a file:
 * all-or-nothing acquisition, waiting, and the busy message. */
#include "config.h"
#include "api/api.h"
#include "lock/holders.h"
#include "lock/lockproto.h"
#include "lock/lockspace.h"
#include "lock/qemulocks.h"
#include "util/escape.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int fdlock_init(const struct vl_driver_config *c, struct vl_error *e)
{
	const char *mode = c->option ? c->option(c->ctx, "lockspace.file_mode")
				     : NULL;

	/* the configuration let only 0600, 0640 and 0644 through */
	lockspace_configure(c->lockspace,
			    mode ? (mode_t)strtol(mode, NULL, 8) : 0);
	holders_name_vms(c->vm_name);
	(void)e;
	return 0;
}

int fdlock_open_image(struct vl_resource *r, struct vl_error *e)
{
	int flags = O_NOCTTY | O_NONBLOCK | O_CLOEXEC |
		    (r->mode == VL_READONLY ? O_RDONLY : O_RDWR);
	struct stat st;

	r->fd = vl_fd_above_stdio(open(r->path, flags));
	if (r->fd < 0)
		return vl_fail(e, vl_errno_code(errno), "%s: cannot open for %s "
			       "(%s): %s", r->path, vl_mode_name(r->mode),
			       r->mode == VL_READONLY ? "read" : "read-write",
			       strerror(errno));
	if (fstat(r->fd, &st) < 0)
		return vl_fail(e, EX_OSERR, "%s: %s", r->path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vl_fail(e, EX_NOINPUT, "%s: not a regular file or block "
			       "device", r->path);
	if ((r->dev || r->ino) && (r->dev != st.st_dev || r->ino != st.st_ino))
		return vl_fail(e, EX_TEMPFAIL, "%s: replaced while vmlock was "
			       "reading it; nothing locked", r->path);
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	return 0;
}

void fdlock_release(struct vl_reslist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].fd >= 0) {
			close(l->v[i].fd);	/* drops its OFD locks */
			l->v[i].fd = -1;
		}
}

static void unlock_all(struct vl_reslist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].fd >= 0)
			lp_unlock(l->v[i].fd);
}

/* The busy error: what holds the file carrying the conflict, r's own
 * (fd r->fd) or a rival (fd, -1 when unreadable, and st). */
static int busy(const struct vl_resource *r, int fd, const struct stat *st,
		const struct lp_conflict *c, bool waited, struct vl_error *e)
{
	struct vl_holders h = {0};
	enum vl_mode held = c->mode;

	fdlock_holders(fd, st, &h);
	for (size_t i = 0; i < h.n; i++)
		if (h.v[i].role == VL_ROLE_HOLDER || h.v[i].role == VL_ROLE_INCOMING) {
			held = h.v[i].mode;
			break;
		}
	char *who = vl_holders_text(&h, 0);
	char *real = r->kind == VL_FILE ? realpath(r->path, NULL) : NULL;
	char *shown = vl_escape(real ? real : vl_resource_label(r), "");
	vl_fail(e, EX_TEMPFAIL, "%s: busy%s: wanted %s, held %s by %s", shown,
		waited ? " (--wait ran out)" : "", vl_mode_name(r->mode),
		vl_mode_name(held), who);
	free(who);
	free(shown);
	free(real);
	vl_holders_free(&h);
	return EX_TEMPFAIL;
}

static int busy_on_own(const struct vl_resource *r, const struct lp_conflict *c,
		       bool waited, struct vl_error *e)
{
	struct stat st;

	if (fstat(r->fd, &st) < 0)	/* the carrier: image or lease file */
		return vl_fail(e, EX_OSERR, "%s: %s", vl_resource_label(r),
			       strerror(errno));
	return busy(r, r->fd, &st, c, waited, e);
}

/* --wait: says what it waits for, and who holds it (why). */
static void say_waiting(const struct vl_error *why, const struct vl_deadline *d)
{
	if (d->forever)
		vl_note("%s; waiting for it, with no time limit", why->msg);
	else
		vl_note("%s; waiting for it, up to %.1f s", why->msg,
			vl_deadline_left(d));
}

static int lock_error(const struct vl_resource *r, int err, struct vl_error *e)
{
	if (err == ENOLCK || err == EOPNOTSUPP || err == EINVAL)
		return vl_fail(e, EX_OSERR, "%s: the file system does not "
			       "support OFD locks (%s)", vl_resource_label(r),
			       strerror(err));
	return vl_fail(e, vl_errno_code(err), "%s: cannot lock %s: %s",
		       vl_resource_label(r), vl_mode_name(r->mode),
		       strerror(err));
}

/* A slot counts only while a live `vmlock handover` offers it: else
 * it is given back and the resource locked as usual. */
static int lock_incoming(struct vl_resource *r, struct lp_conflict *c)
{
	struct stat st;
	int rc = lp_lock_incoming(r->fd, &r->slot, c);

	if (rc || r->slot < 0)
		return rc;
	if (fstat(r->fd, &st) == 0 &&
	    holders_offer_genuine(st.st_dev, st.st_ino, LP_OFFER0 + r->slot,
				  LP_GUARD))
		return 0;
	vl_warn("%s: the offer of handover slot %d is not a vmlock "
		"handover's: ignored", vl_resource_label(r), r->slot);
	lp_unlock(r->fd);
	r->slot = -1;
	return lp_lock(r->fd, VL_EXCLUSIVE, c);
}

static int lock_one(struct vl_resource *r, bool incoming, struct lp_conflict *c)
{
	bool clear = false;	/* nothing of another's from QEMU's bytes up */
	int rc = incoming && r->mode == VL_EXCLUSIVE
		 ? lock_incoming(r, c)
		 : lp_lock_clear(r->fd, r->mode, QL_HELD, &clear, c);

	/* a slot is taken beside the source QEMU's own locks */
	if (!rc && r->slot < 0 && !clear && (rc = ql_check(r->fd, r->mode, c)))
		lp_unlock(r->fd);
	return rc;
}

/* Every lock is held: tell each handover source its slot is taken. */
static int accept_slots(struct vl_reslist *l, struct vl_error *e)
{
	for (size_t i = 0; i < l->n; i++) {
		struct vl_resource *r = &l->v[i];
		int rc = r->fd >= 0 && r->slot >= 0 ? lp_accept(r->fd, r->slot) : 0;
		if (rc)
			return lock_error(r, rc, e);
	}
	return 0;
}

/* A rival: another file that stands for the resource r too. */
struct rival {
	struct vl_resource *r;
	struct stat st;
	int fd;			/* -1: not readable */
};

/* Every lock is held: asks ops->check of each resource. A stale one is
 * opened again (*stale), and the caller starts over; a rival is
 * returned in *rv. */
static int check_all(struct vl_reslist *l, const struct fdlock_ops *ops,
		     bool *stale, struct rival *rv, struct vl_error *e)
{
	*stale = false;
	rv->r = NULL;
	for (size_t i = 0; i < l->n && ops->check && !rv->r; i++) {
		struct vl_resource *r = &l->v[i];
		if (r->fd < 0)
			continue;
		switch (ops->check(r, &rv->st, &rv->fd)) {
		case FDLOCK_HELD:
			break;
		case FDLOCK_RIVAL:
			rv->r = r;
			break;
		case FDLOCK_STALE:
			if (!*stale)
				unlock_all(l);
			*stale = true;
			close(r->fd);
			int rc = ops->open(r, e);
			if (rc)
				return rc;
			break;
		}
	}
	return 0;
}

/* A rival's lock stands in the way: poll, as nothing of ours can wait in
 * the kernel on another's file (saying so once); at the deadline, busy. */
static int wait_rival(struct rival *rv, const struct vl_deadline *d,
		      bool patient, bool *said, struct vl_error *e)
{
	struct lp_conflict c = { VL_EXCLUSIVE, VL_ROLE_HOLDER, LP_EXCLUSIVE,
				 F_WRLCK };
	struct vl_error why;

	if (rv->fd >= 0)
		lp_test(rv->fd, rv->r->mode, &c);
	if (patient && !*said) {
		busy(rv->r, rv->fd, &rv->st, &c, false, &why);
		say_waiting(&why, d);
		*said = true;
	}
	int rc = lp_pause(d);
	if (rc == ETIMEDOUT)
		rc = busy(rv->r, rv->fd, &rv->st, &c, patient, e);
	if (rv->fd >= 0)
		close(rv->fd);
	return rc;
}

/* All or nothing. Waits only while holding no lock, so two launchers
 * wanting overlapping sets can never deadlock. */
static int lock_all(struct vl_reslist *l, const struct vl_acquire_opts *o,
		    const struct fdlock_ops *ops, struct vl_error *e)
{
	bool patient = !vl_deadline_passed(&o->deadline), said = false;

	for (;;) {
		size_t i;
		struct lp_conflict c = { 0 };
		struct rival rv;
		bool stale;
		int rc = 0;

		for (i = 0; i < l->n && !rc; i++)
			if (l->v[i].fd >= 0)
				rc = lock_one(&l->v[i], o->incoming, &c);
		if (!rc) {
			rc = check_all(l, ops, &stale, &rv, e);
			if (!rc && rv.r) {
				unlock_all(l);
				rc = wait_rival(&rv, &o->deadline, patient, &said,
						e);
			} else if (!rc && !stale) {
				return accept_slots(l, e);
			}
			if (rc)
				return rc;
			continue;
		}
		struct vl_resource *r = &l->v[i - 1];
		unlock_all(l);
		if (rc != EAGAIN)
			return lock_error(r, rc, e);
		if (patient && !said) {
			struct vl_error why;
			busy_on_own(r, &c, false, &why);
			say_waiting(&why, &o->deadline);
			said = true;
		}
		/* an incoming target polls: an offer may appear any time */
		rc = o->incoming && r->mode == VL_EXCLUSIVE
			? lp_pause(&o->deadline)
			: lp_wait(r->fd, r->mode, &c, &o->deadline);
		if (rc == ETIMEDOUT) {
			lp_unlock(r->fd);
			return busy_on_own(r, &c, patient, e);
		}
		if (rc) {
			lp_unlock(r->fd);
			return lock_error(r, rc, e);
		}
	}
}

int fdlock_acquire(struct vl_reslist *l, const struct vl_acquire_opts *o,
		   const struct fdlock_ops *ops, struct vl_error *e)
{
	int rc = 0;

	for (size_t i = 0; i < l->n && !rc; i++) {
		rc = ops->open(&l->v[i], e);
		if (rc && l->v[i].optional) {
			vl_warn("%s; %s not locked", e->msg,
				vl_resource_label(&l->v[i]));
			rc = 0;
		}
	}
	if (!rc)
		rc = lock_all(l, o, ops, e);
	if (rc)
		fdlock_release(l);
	return rc;
}

int fdlock_prepare_exec(struct vl_reslist *l, struct vl_error *e)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].fd >= 0 && fcntl(l->v[i].fd, F_SETFD, 0) < 0)
			return vl_fail(e, EX_OSERR, "%s: %s", l->v[i].path,
				       strerror(errno));
	return 0;
}
