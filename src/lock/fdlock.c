/* The engine of the drivers whose locks are OFD locks on a file:
 * all-or-nothing acquisition, waiting, and the busy message. */
#include "config.h"
#include "api/api.h"
#include "lock/holders.h"
#include "lock/lockproto.h"
#include "lock/lockspace.h"
#include "lock/qemulocks.h"
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

	lockspace_configure(c->lockspace, mode && !strcmp(mode, "0640") ? 0640
									: 0600);
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

static int busy(const struct vl_resource *r, const struct lp_conflict *c,
		bool waited, struct vl_error *e)
{
	struct vl_holders h = {0};
	enum vl_mode held = c->mode;
	struct stat st;

	if (fstat(r->fd, &st) == 0)	/* the carrier: image or lease file */
		fdlock_holders(r->fd, &st, &h);
	for (size_t i = 0; i < h.n; i++)
		if (h.v[i].role == VL_ROLE_HOLDER || h.v[i].role == VL_ROLE_INCOMING) {
			held = h.v[i].mode;
			break;
		}
	char *who = vl_holders_text(&h, 0);
	char *real = r->kind == VL_FILE ? realpath(r->path, NULL) : NULL;
	vl_fail(e, EX_TEMPFAIL, "%s: busy%s: wanted %s, held %s by %s",
		real ? real : vl_resource_label(r),
		waited ? " (--wait ran out)" : "", vl_mode_name(r->mode),
		vl_mode_name(held), who);
	free(who);
	free(real);
	vl_holders_free(&h);
	return EX_TEMPFAIL;
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

static int lock_one(struct vl_resource *r, bool incoming, struct lp_conflict *c)
{
	int rc = incoming && r->mode == VL_EXCLUSIVE
		 ? lp_lock_incoming(r->fd, &r->slot, c)
		 : lp_lock(r->fd, r->mode, c);

	/* a slot is taken beside the source QEMU's own locks */
	if (!rc && r->slot < 0 && (rc = ql_check(r->fd, r->mode, c)))
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

/* A lock taken on a file that was since replaced (a pruned lease file):
 * open the file now under that name, and start again. */
static int reopen_stale(struct vl_reslist *l, const struct fdlock_ops *ops,
			bool *stale, struct vl_error *e)
{
	*stale = false;
	for (size_t i = 0; i < l->n && ops->still_valid; i++) {
		struct vl_resource *r = &l->v[i];
		if (r->fd < 0 || ops->still_valid(r))
			continue;
		if (!*stale)
			unlock_all(l);
		*stale = true;
		close(r->fd);
		int rc = ops->open(r, e);
		if (rc)
			return rc;
	}
	return 0;
}

/* All or nothing. Waits only while holding no lock, so two launchers
 * wanting overlapping sets can never deadlock. */
static int lock_all(struct vl_reslist *l, const struct vl_acquire_opts *o,
		    const struct fdlock_ops *ops, struct vl_error *e)
{
	bool patient = !vl_deadline_passed(&o->deadline);

	for (;;) {
		size_t i;
		struct lp_conflict c = { 0 };
		bool stale;
		int rc = 0;

		for (i = 0; i < l->n && !rc; i++)
			if (l->v[i].fd >= 0)
				rc = lock_one(&l->v[i], o->incoming, &c);
		if (!rc) {
			rc = reopen_stale(l, ops, &stale, e);
			if (rc || !stale)
				return rc ? rc : accept_slots(l, e);
			continue;
		}
		struct vl_resource *r = &l->v[i - 1];
		unlock_all(l);
		if (rc != EAGAIN)
			return lock_error(r, rc, e);
		/* an incoming target polls: an offer may appear any time */
		rc = o->incoming && r->mode == VL_EXCLUSIVE
			? lp_pause(&o->deadline)
			: lp_wait(r->fd, r->mode, &c, &o->deadline);
		if (rc == ETIMEDOUT) {
			lp_unlock(r->fd);
			return busy(r, &c, patient, e);
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
