/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock sync: a QEMU's vmlock locks made to match what it uses (see
 * sync.h). Three phases: first everything that changes nothing the
 * world sees (copies of the process's lock fds, settling slots beside
 * them, new locks taken in this process), so that a conflict leaves all
 * as it was; then the new locks handed to QEMU; then lowering and
 * releasing. */
#include "config.h"
#include "api/api.h"
#include "audit/sync.h"
#include "lock/holders.h"
#include "lock/lockproto.h"
#include "lock/qemulocks.h"
#include "plan/plan.h"
#include "qmp/qmp.h"
#include "util/proc.h"
#include "util/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmlock/fdlock.h>

/* Lock, then check: a newcomer may hold for a moment what it is about to
 * give back. A conflict is tried again for this long at least (s). */
#define MOMENT 1.0

struct file_sync {
	const struct audit_file *f;
	int want;		/* the mode QEMU's use needs, -1: none */
	int fresh;		/* a new lock fd (add, upgrade), or -1 */
	int *dups;		/* copies of f's lock fds, -1 where none */
	bool add, upgrade, settled;
};

struct sync {
	const struct audit_proc *a;
	double timeout, patience;
	void (*done)(const char *path, const char *what);
	int pidfd;
	struct qmp own, *q;	/* q: own, or the caller's connection */
	bool connected;
	struct file_sync *v;
	size_t n;
	char *unlocked;		/* what could not be added without QMP */
};

static bool has_role(const struct audit_file *f, enum vl_role role)
{
	for (size_t i = 0; i < f->nlocks; i++)
		if (f->locks[i].role == role)
			return true;
	return false;
}

/* A lock stronger than the read-only use QEMU makes of f? */
static bool too_strong(const struct file_sync *s)
{
	return s->want == VL_READONLY && s->f->nlocks &&
	       audit_lock_mode(s->f) != VL_READONLY;
}

static void plan_file(struct file_sync *s, const struct audit_file *f)
{
	*s = (struct file_sync){ .f = f, .want = audit_wanted_mode(f),
				 .fresh = -1 };
	s->add = !f->nlocks && s->want >= 0;
	s->upgrade = f->finding == AUDIT_WEAKER;
	s->dups = vl_calloc(f->nlocks, sizeof *s->dups);
	for (size_t i = 0; i < f->nlocks; i++)
		s->dups[i] = -1;
}

/* Copies of the process's lock fds of the files sync changes in place. */
static int take_dups(struct sync *s, struct file_sync *fs, struct vl_error *e)
{
	const struct audit_file *f = fs->f;

	if (!fs->upgrade && !too_strong(fs) && f->finding != AUDIT_STALE &&
	    !has_role(f, VL_ROLE_INCOMING))
		return 0;
	for (size_t i = 0; i < f->nlocks; i++) {
		fs->dups[i] = vl_pidfd_getfd(s->pidfd, f->locks[i].fd);
		if (fs->dups[i] >= 0)
			continue;
		int err = errno;
		return vl_fail(e, err == EPERM ? EX_NOPERM : err == EBADF ?
			       EX_TEMPFAIL : EX_OSERR, "pid %ld: cannot take "
			       "its lock fd %d of %s (pidfd_getfd: %s)%s",
			       s->a->pid, f->locks[i].fd, f->path, strerror(err),
			       err == EPERM ? "; run sync as QEMU's user or "
			       "as root" : "");
	}
	return 0;
}

/* The busy error: the holders of fd's file, the process itself aside. */
static int busy(const struct sync *s, const struct audit_file *f, int fd,
		int want, const struct lp_conflict *c, struct vl_error *e)
{
	struct vl_holders h = {0};
	struct stat st;

	if (fstat(fd, &st) == 0)
		fdlock_holders(fd, &st, &h);
	char *who = vl_holders_text(&h, s->a->pid);
	vl_fail(e, EX_TEMPFAIL, "%s: busy: wanted %s, held %s by %s; nothing "
		"changed", f->path, vl_mode_name(want), vl_mode_name(c->mode),
		who);
	free(who);
	vl_holders_free(&h);
	return EX_TEMPFAIL;
}

/* Does another process's QEMU, by its own locks, stand in the way? */
static bool qemu_in_the_way(int fd, long pid, int want, struct lp_conflict *c)
{
	struct vl_holders h = {0};
	struct stat st;
	bool in = false;

	/* QEMU's bytes seen through F_OFD_GETLK first: a /proc scan only
	 * to tell whose they are */
	if (ql_check(fd, (enum vl_mode)want, c) == 0)
		return false;
	if (fstat(fd, &st) == 0)
		fdlock_holders(fd, &st, &h);
	for (size_t i = 0; i < h.n; i++)
		if (h.v[i].role == VL_ROLE_QEMU && h.v[i].pid != pid &&
		    !vl_modes_compatible(want, h.v[i].mode)) {
			*c = (struct lp_conflict){ .mode = h.v[i].mode,
						   .role = VL_ROLE_QEMU };
			in = true;
		}
	vl_holders_free(&h);
	return in;
}

static int settle(const struct sync *s, struct file_sync *fs,
		  struct vl_error *e)
{
	const struct audit_file *f = fs->f;

	for (size_t i = 0; i < f->nlocks; i++) {
		struct lp_conflict c = { 0 };
		if (f->locks[i].role != VL_ROLE_INCOMING)
			continue;
		struct vl_deadline d = vl_deadline_in(s->patience);
		int rc;
		while ((rc = lp_lock_beside(fs->dups[i], VL_EXCLUSIVE, &c)) ==
		       EAGAIN && lp_pause(&d) == 0)
			;
		if (rc == EAGAIN)
			return busy(s, f, fs->dups[i], VL_EXCLUSIVE, &c, e);
		if (rc)
			return vl_fail(e, vl_errno_code(rc), "%s: cannot settle "
				       "its handover slot: %s", f->path,
				       strerror(rc));
		fs->settled = true;
	}
	return 0;
}

/* What settle took goes again: the slots alone hold, as before. */
static void unsettle(struct file_sync *fs)
{
	for (size_t j = 0; fs->settled && j < fs->f->nlocks; j++)
		if (fs->f->locks[j].role == VL_ROLE_INCOMING)
			lp_unlock_class(fs->dups[j]);
	fs->settled = false;
}

static int open_fresh(struct file_sync *fs, struct vl_error *e)
{
	struct vl_resource r = { .path = fs->f->path, .kind = VL_FILE,
				 .mode = (enum vl_mode)fs->want, .fd = -1,
				 .dev = fs->f->dev, .ino = fs->f->ino };
	int rc = fdlock_open_image(&r, e);

	fs->fresh = r.fd;
	return rc;
}

/* A file with no lock: the new lock taken here, checked. */
static int prepare_add(const struct sync *s, struct file_sync *fs,
		       struct vl_error *e)
{
	struct lp_conflict c = { 0 };
	struct vl_deadline d = vl_deadline_in(s->patience);
	int err, rc = open_fresh(fs, e);

	if (rc)
		return rc;
	while ((err = lp_lock(fs->fresh, fs->want, &c)) == EAGAIN &&
	       lp_pause(&d) == 0)
		;
	if (err == EAGAIN || (!err && qemu_in_the_way(fs->fresh, s->a->pid,
						      fs->want, &c)))
		return busy(s, fs->f, fs->fresh, fs->want, &c, e);
	if (err)
		return vl_fail(e, vl_errno_code(err), "%s: cannot lock %s: %s",
			       fs->f->path, vl_mode_name(fs->want),
			       strerror(err));
	return 0;
}

/* A readonly lock under a writing QEMU: would the stronger one be free,
 * the process's own lock aside? (Seen from the copy of its fd, whose
 * locks are no conflict.) */
static bool in_the_way(int want, const struct lp_conflict *c)
{
	return c->role == VL_ROLE_INCOMING || c->role == VL_ROLE_OFFER ||
	       !vl_modes_compatible(want, c->mode);
}

/* The first lock in the way of want that others hold on fd's file. */
static bool probe_way(int fd, int want, struct lp_conflict *in)
{
	struct lp_conflict c[8];
	size_t n = lp_probe(fd, c, 8);

	for (size_t i = 0; i < n; i++)
		if (in_the_way(want, &c[i])) {
			*in = c[i];
			return true;
		}
	return false;
}

static int prepare_upgrade(const struct sync *s, struct file_sync *fs,
			   struct vl_error *e)
{
	struct lp_conflict c;
	struct vl_deadline d = vl_deadline_in(s->patience);
	int rc = open_fresh(fs, e);
	bool in = false;

	if (rc)
		return rc;
	while ((in = probe_way(fs->dups[0], fs->want, &c)) && lp_pause(&d) == 0)
		;
	if (in)
		return busy(s, fs->f, fs->dups[0], fs->want, &c, e);
	if (qemu_in_the_way(fs->fresh, s->a->pid, fs->want, &c))
		return busy(s, fs->f, fs->fresh, fs->want, &c, e);
	return 0;
}

static bool needs_qmp(const struct sync *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].add || s->v[i].upgrade ||
		    s->v[i].f->finding == AUDIT_STALE)
			return true;
	return false;
}

/* No QMP socket: what needs one is left out, and named. */
static void without_qmp(struct sync *s, const char *why)
{
	for (size_t i = 0; i < s->n; i++) {
		struct file_sync *fs = &s->v[i];
		if (!fs->add && !fs->upgrade)
			continue;
		char *more = vl_asprintf("%s%s%s", s->unlocked ? s->unlocked : "",
					 s->unlocked ? ", " : "", fs->f->path);
		free(s->unlocked);
		s->unlocked = more;
		fs->add = fs->upgrade = false;
	}
	if (s->unlocked) {
		char *more = vl_asprintf("%s: not locked: %s", s->unlocked, why);
		free(s->unlocked);
		s->unlocked = more;
	}
}

static void connect_qmp(struct sync *s)
{
	struct vl_error e;

	if (!needs_qmp(s))
		return;
	if (!s->a->qmp && !s->q) {
		without_qmp(s, "no QMP socket to hand the new lock fd to (start "
			    "QEMU with -qmp unix:PATH,server=on, or give "
			    "--qmp SOCKET)");
		return;
	}
	if (s->q) {
		s->connected = true;
		return;
	}
	s->connected = !qmp_connect(&s->own, s->a->qmp, s->timeout, &e);
	s->q = s->connected ? &s->own : NULL;
	if (!s->connected)
		without_qmp(s, e.msg);
}

/* Phase one: nothing the world sees changes; on failure, nothing has. */
static int prepare(struct sync *s, struct vl_error *e)
{
	int rc = 0;

	for (size_t i = 0; i < s->n && !rc; i++)
		rc = take_dups(s, &s->v[i], e);
	for (size_t i = 0; i < s->n && !rc; i++)
		rc = settle(s, &s->v[i], e);
	if (!rc)
		connect_qmp(s);
	for (size_t i = 0; i < s->n && !rc; i++)
		if (s->v[i].add)
			rc = prepare_add(s, &s->v[i], e);
		else if (s->v[i].upgrade)
			rc = prepare_upgrade(s, &s->v[i], e);
	for (size_t i = 0; i < s->n && rc; i++)
		unsettle(&s->v[i]);
	return rc;
}

/* getfd (with fd) or closefd of the name of f and mode in QEMU. */
static int fd_command(struct sync *s, const char *command,
		      const struct audit_file *f, int mode, int fd,
		      struct vl_error *e)
{
	char *args = vl_asprintf("{\"fdname\":\"vmlock-%s-%llx-%llx\"}",
				 vl_mode_name(mode),
				 (unsigned long long)f->dev,
				 (unsigned long long)f->ino);
	int rc = qmp_execute(s->q, command, args, fd, NULL, e);

	free(args);
	return rc;
}

/* Hands fd to QEMU under the name of f and mode. */
static int hand_over(struct sync *s, const struct audit_file *f, int mode,
		     int fd, struct vl_error *e)
{
	return fd_command(s, "getfd", f, mode, fd, e);
}

/* The names QEMU may keep fds of f under, as a set of modes. getfd
 * names an fd after the mode it is handed in, and a handed lock changes
 * mode in place only by lowering to readonly: an exclusive or shared
 * lock is under its mode's name, a readonly one under any, as is an fd
 * with no lock. */
static unsigned names_of(const struct audit_file *f)
{
	const unsigned all = 1u << VL_EXCLUSIVE | 1u << VL_SHARED |
			     1u << VL_READONLY;
	unsigned names = f->bare ? all : 0;

	for (size_t i = 0; i < f->nlocks; i++)
		if (f->locks[i].handed)
			names |= f->locks[i].mode == VL_READONLY ||
				 f->locks[i].role != VL_ROLE_HOLDER ? all
				 : 1u << f->locks[i].mode;
	return names;
}

/* Closes what QEMU keeps of earlier syncs for f, but mode's (-1: all);
 * each closefd is a round trip, sent for a name that may be there. */
static void close_old(struct sync *s, const struct audit_file *f, int keep)
{
	struct vl_error ignored;
	unsigned names = names_of(f);

	for (int m = VL_EXCLUSIVE; s->connected && m <= VL_READONLY; m++)
		if (m != keep && names & 1u << m)	/* none there: no error */
			fd_command(s, "closefd", f, m, -1, &ignored);
}

static void report(const struct sync *s, const char *path, char *what)
{
	if (s->done)
		s->done(path, what);
	free(what);
}

/* The upgrade failed once the old locks were given up: the new fd, in
 * QEMU now, takes the old mode beside its guard (the old fds cannot
 * while the guard is up, and QEMU may have closed its fd of that name),
 * so that the file is held as before; failing that, once the guard is
 * down, the old fds again. */
static void take_back(struct file_sync *fs)
{
	const struct audit_file *f = fs->f;
	struct lp_conflict c;
	struct vl_deadline d = vl_deadline_in(MOMENT);
	enum vl_mode old = (enum vl_mode)audit_lock_mode(f);
	int rc;

	while ((rc = lp_lock_beside(fs->fresh, old, &c)) == EAGAIN &&
	       lp_pause(&d) == 0)
		;
	lp_unguard(fs->fresh);
	for (size_t i = 0; rc && i < f->nlocks; i++)
		lp_lock(fs->dups[i], f->locks[i].mode, &c);
}

/* Guard up, the new lock handed to QEMU, then the old one given up and
 * the new one taken: newcomers stay out throughout. */
static int commit_upgrade(struct sync *s, struct file_sync *fs,
			  struct vl_error *e)
{
	const struct audit_file *f = fs->f;
	struct lp_conflict c = { 0 };
	int rc = lp_guard(fs->fresh);

	if (rc)
		return vl_fail(e, vl_errno_code(rc), "%s: cannot guard: %s",
			       f->path, strerror(rc));
	if ((rc = hand_over(s, f, fs->want, fs->fresh, e))) {
		lp_unguard(fs->fresh);
		return rc;
	}
	for (size_t i = 0; i < f->nlocks; i++)
		lp_unlock(fs->dups[i]);
	struct vl_deadline d = vl_deadline_in(MOMENT);
	while ((rc = lp_lock_beside(fs->fresh, fs->want, &c)) == EAGAIN &&
	       lp_pause(&d) == 0)
		;	/* the guard keeps newcomers out meanwhile */
	if (rc) {
		take_back(fs);
		return busy(s, f, fs->fresh, fs->want, &c, e);
	}
	lp_unguard(fs->fresh);
	close_old(s, f, fs->want);
	report(s, f->path, vl_asprintf("upgraded readonly to %s",
				       vl_mode_name(fs->want)));
	return 0;
}

/* Phase two: the new locks handed to QEMU. */
static int commit(struct sync *s, struct vl_error *e)
{
	int rc = 0;

	for (size_t i = 0; i < s->n && !rc; i++) {
		struct file_sync *fs = &s->v[i];
		if (fs->upgrade) {
			rc = commit_upgrade(s, fs, e);
		} else if (fs->add &&
			   !(rc = hand_over(s, fs->f, fs->want, fs->fresh, e))) {
			close_old(s, fs->f, fs->want);
			report(s, fs->f->path, vl_asprintf("locked %s",
					vl_mode_name(fs->want)));
		}
	}
	return rc;
}

static void lower(const struct sync *s, const struct file_sync *fs)
{
	const struct audit_file *f = fs->f;

	for (size_t i = 0; i < f->nlocks; i++) {
		struct lp_conflict c;
		enum vl_mode m = f->locks[i].mode;
		if (m == VL_READONLY)
			continue;
		if (lp_lower(fs->dups[i], m, &c) == 0)
			report(s, f->path, vl_asprintf("lowered %s to readonly: "
						       "QEMU only reads it",
						       vl_mode_name(m)));
		else
			vl_note("%s: kept %s: QEMU only reads it, but another "
				"%s holder stays beside it", f->path,
				vl_mode_name(m), vl_mode_name(m));
	}
}

/* Phase three: slots dropped, locks lowered and released. */
static void finish(struct sync *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct file_sync *fs = &s->v[i];
		const struct audit_file *f = fs->f;
		for (size_t j = 0; fs->settled && j < f->nlocks; j++)
			if (f->locks[j].role == VL_ROLE_INCOMING) {
				int slot = lp_slot_of(f->locks[j].byte);
				lp_drop_slot(fs->dups[j], slot);
				report(s, f->path, vl_asprintf("handover slot %d "
					"settled: held exclusive, byte 0 too",
					slot));
			}
		if (too_strong(fs))
			lower(s, fs);
		if (f->finding != AUDIT_STALE)
			continue;
		for (size_t j = 0; j < f->nlocks; j++)
			lp_unlock(fs->dups[j]);
		close_old(s, f, -1);
		report(s, f->path, vl_asprintf("released %s: QEMU no longer has "
					       "it open",
					       vl_mode_name(audit_lock_mode(f))));
	}
}

static void sync_free(struct sync *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->v[i].f->nlocks; j++)
			if (s->v[i].dups[j] >= 0)
				close(s->v[i].dups[j]);
		free(s->v[i].dups);
		if (s->v[i].fresh >= 0)
			close(s->v[i].fresh);	/* QEMU has its own copy */
	}
	free(s->v);
	free(s->unlocked);
	if (s->q == &s->own)
		qmp_close(&s->own);
	if (s->pidfd >= 0)
		close(s->pidfd);
}

int audit_sync(const struct audit_proc *a, const struct audit_sync_opts *o,
	       struct vl_error *e)
{
	struct sync s = { .a = a, .timeout = o->timeout, .done = o->done,
			  .q = o->q,
			  .patience = o->patience < 0 ? -1 :
				      o->patience > MOMENT ? o->patience : MOMENT,
			  .pidfd = vl_pidfd_open(a->pid) };
	int rc = 0;

	holders_name_vms(vl_plan_vm_name);	/* for the busy message */
	if (s.pidfd < 0)
		rc = vl_fail(e, errno == ESRCH ? EX_NOINPUT : EX_OSERR,
			     "pid %ld: %s", a->pid, errno == ESRCH ?
			     "no such process" : strerror(errno));
	s.v = vl_calloc(a->n + 1, sizeof *s.v);
	for (size_t i = 0; i < a->n; i++)
		if (!a->v[i].skip)
			plan_file(&s.v[s.n++], &a->v[i]);
	if (!rc)
		rc = prepare(&s, e);
	if (!rc)
		rc = commit(&s, e);
	if (!rc)
		finish(&s);
	if (!rc && s.unlocked)
		rc = vl_fail(e, EX_UNAVAILABLE, "%s", s.unlocked);
	sync_free(&s);
	return rc;
}
