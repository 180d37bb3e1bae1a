/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The sanlock driver: one disk paxos lease per resource, in a directory on
 * storage that every host sees, managed by the local sanlock daemon (as
 * oVirt/RHV use it). Built only as a module (linked with
 * libsanlock_client); see SANLOCK in vmlock(1).
 *
 * The process registers with the daemon before exec, so the connection is
 * inherited by QEMU and the daemon releases the leases when QEMU exits.
 * Handover uses sanlock's own mechanism: release on behalf of the source
 * pid, acquire on behalf of the target pid at the lease versions the
 * source left (sanlock refuses a lease that changed hands in between). */
#include "drivers/sanlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* ---- acquiring -------------------------------------------------------- */

struct lease_set {
	struct sanlk_resource **v;
	char **label;		/* how messages name each */
	enum vl_mode *mode;
	size_t n;
};

static void lease_set_free(struct lease_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i]);
		free(s->label[i]);
	}
	free(s->v);
	free(s->label);
	free(s->mode);
	*s = (struct lease_set){0};
}

static void lease_set_init(struct lease_set *s, size_t n)
{
	s->v = vl_calloc(n ? n : 1, sizeof *s->v);
	s->label = vl_calloc(n ? n : 1, sizeof *s->label);
	s->mode = vl_calloc(n ? n : 1, sizeof *s->mode);
	s->n = n;
}

/* A file resource must exist: its lease is named by its canonical path
 * (or block device identity), and vmlock locks nothing that is not. */
static int check_exists(const struct vl_resource *r, struct vl_error *e)
{
	struct stat st;

	if (r->kind == VL_LEASE || stat(r->path, &st) == 0)
		return 0;
	return vl_fail(e, vl_errno_code(errno), "%s: %s", r->path,
		       strerror(errno));
}

/* One lease per resource of l, its file created on first use; optional
 * resources that do not exist are left out with a note. */
static int leases_of(const struct vl_reslist *l, struct lease_set *s,
		     struct vl_error *e)
{
	int rc = 0;

	lease_set_init(s, l->n);
	s->n = 0;
	for (size_t i = 0; i < l->n && !rc; i++) {
		const struct vl_resource *r = &l->v[i];
		if ((rc = check_exists(r, e)) && r->optional) {
			vl_note("%s; %s not locked", e->msg,
				vl_resource_label(r));
			rc = 0;
			continue;
		}
		if (rc)
			break;
		char *key = lockspace_key(r), *lease = lockspace_file_name(key);
		s->v[s->n] = sl_new_res(lease, r->mode);
		char *real = r->kind == VL_FILE ? realpath(r->path, NULL) : NULL;
		s->label[s->n] = real ? real : vl_strdup(vl_resource_label(r));
		s->mode[s->n] = r->mode;
		rc = sl_ensure_file(s->v[s->n++]->disks[0].path, lease, key, e);
		free(lease);
		free(key);
	}
	return rc;
}

/* Releases s->v[0..n) on behalf of pid, in batches. */
static void release_some(long pid, struct lease_set *s, size_t n)
{
	for (size_t i = 0; i < n; i += BATCH) {
		int k = (int)(n - i < BATCH ? n - i : BATCH);
		int rv = sanlock_release(-1, (int)pid, 0, k, s->v + i);
		if (rv < 0)
			vl_warn("releasing %s...: %s", s->label[i], sl_rv_text(rv));
	}
}

/* All leases of s for pid, BATCH per call, or none: returns 0 or the
 * sanlock rv, *failed the first lease of the batch refused. */
static int acquire_all(long pid, struct lease_set *s, size_t *failed)
{
	struct sanlk_options opt = {0};

	snprintf(opt.owner_name, sizeof opt.owner_name, "vmlock");
	for (size_t i = 0; i < s->n; i += BATCH) {
		int k = (int)(s->n - i < BATCH ? s->n - i : BATCH);
		int rv = sanlock_acquire(-1, (int)pid,
					 SANLK_ACQUIRE_OWNER_NOWAIT, k,
					 s->v + i, &opt);
		if (rv < 0) {
			release_some(pid, s, i);
			*failed = i;
			return rv;
		}
	}
	return 0;
}

/* The owners of r: host ids, with exclusive when the leader names one. */
static int owners_of(struct sanlk_resource *r, struct sanlk_host **h, int *n,
		     bool *exclusive)
{
	struct sanlk_resource *copy = vl_malloc(sizeof *r +
					      sizeof(struct sanlk_disk));

	memcpy(copy, r, sizeof *r + sizeof(struct sanlk_disk));
	copy->flags = 0;
	copy->lver = 0;
	*h = NULL;
	*n = 0;
	int rv = sanlock_read_resource_owners(copy, 0, h, n);
	*exclusive = false;
	for (int i = 0; rv == 0 && i < *n; i++)
		if ((*h)[i].timestamp)
			*exclusive = true;
	free(copy);
	return rv;
}

/* A local holder's pid from the hint, believed only when the daemon
 * confirms that this pid holds the lease; -1 otherwise. */
static long local_pid(const struct sanlk_resource *r)
{
	long pid = sl_pid_slot(r->disks[0].path, S.joined_id, -1);
	char *state = NULL, *needle;
	int count = 0;

	if (pid <= 0 || sanlock_inquire(-1, (int)pid, 0, &count, &state) < 0)
		return -1;
	needle = vl_asprintf(":%.48s:", r->name);
	bool holds = state && strstr(state, needle);
	free(needle);
	free(state);
	return holds ? pid : -1;
}

static char *comm_of(long pid)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	return vl_read_line(AT_FDCWD, path);
}

/* "host_id 2 (another host)", "pid 123 (qemu) on this host (host_id 1)" */
static char *describe_owner(const struct sanlk_resource *r, long host_id)
{
	if (!S.joined_id || host_id != S.joined_id)
		return vl_asprintf("sanlock host_id %ld (another host)", host_id);
	long pid = local_pid(r);
	if (pid < 0)
		return vl_asprintf("a process of this host (sanlock host_id %ld)",
				 host_id);
	char *comm = comm_of(pid);
	char *d = vl_asprintf("pid %ld (%s) of this host (sanlock host_id %ld)",
			    pid, comm ? comm : "?", host_id);
	free(comm);
	return d;
}

/* Why a lease held by someone else could not be had, when there is more
 * to say than who holds it. */
static const char *busy_reason(int rv)
{
	switch (rv) {
	case SANLK_ACQUIRE_IDLIVE:
		return " (that host is alive)";
	case SANLK_ACQUIRE_OWNED_RETRY:
		return " (that host is dead, but its lease has not timed out "
		       "yet: 8 x io_timeout + 60 s after its last renewal; "
		       "--wait retries)";
	case SANLK_ACQUIRE_SHRETRY:
		return " (shared holders are changing; --wait retries)";
	default:
		return "";
	}
}

/* Fails e for a refused batch starting at s->v[from]: names the first
 * lease of it that has a conflicting owner. */
static int busy(struct lease_set *s, size_t from, int rv, struct vl_error *e)
{
	size_t end = from + BATCH < s->n ? from + BATCH : s->n;

	for (size_t i = from; i < end; i++) {
		struct sanlk_host *h;
		int n;
		bool excl;
		if (owners_of(s->v[i], &h, &n, &excl) || !n ||
		    (s->mode[i] != VL_EXCLUSIVE && !excl)) {
			free(h);
			continue;
		}
		char *who = describe_owner(s->v[i], (long)h[0].host_id);
		vl_fail(e, sl_rv_code(rv), "%s: busy: wanted %s, held %s by %s%s",
			s->label[i], vl_mode_name(s->mode[i]),
			excl ? "exclusive" : "shared", who, busy_reason(rv));
		free(who);
		free(h);
		return e->code;
	}
	return vl_fail(e, sl_rv_code(rv), "%s: busy: wanted %s: %s",
		       s->label[from], vl_mode_name(s->mode[from]),
		       sl_rv_text(rv));
}

static void note_pids(struct lease_set *s, long pid)
{
	for (size_t i = 0; i < s->n; i++)
		sl_pid_slot(s->v[i]->disks[0].path, S.joined_id, pid);
}

/* acquire_all, retried while busy until the deadline. */
static int acquire_waiting(long pid, struct lease_set *s,
			   const struct vl_deadline *d, struct vl_error *e)
{
	size_t failed = 0;
	bool said = false;
	int rv;

	while ((rv = acquire_all(pid, s, &failed)) < 0) {
		double left = vl_deadline_left(d);
		if (!sl_rv_busy(rv) || left <= 0)
			break;
		if (!said) {	/* once: what it waits for, and who holds it */
			struct vl_error why;
			busy(s, failed, rv, &why);
			if (d->forever)
				vl_note("%s; waiting for it, with no time "
					"limit", why.msg);
			else
				vl_note("%s; waiting for it, up to %.1f s",
					why.msg, left);
			said = true;
		}
		double nap = 0.5 + (vl_random() % 500) / 1000.0;
		nap = nap < left ? nap : left;
		nanosleep(&(struct timespec){ (time_t)nap,
			(long)((nap - (time_t)nap) * 1e9) }, NULL);
	}
	if (rv == 0) {
		note_pids(s, pid);
		return 0;
	}
	return sl_rv_code(rv) == EX_TEMPFAIL ? busy(s, failed, rv, e) :
	       sl_fail(e, rv, s->label[failed]);
}

/* A registered, restricted connection to the daemon for this process:
 * inherited by the command, which can do nothing with it but keep it. */
static int register_self(struct vl_error *e)
{
	int sock = sanlock_register();

	if (sock < 0)
		return sl_fail(e, sock, "registering with the sanlock daemon");
	int rv = sanlock_restrict(sock, SANLK_RESTRICT_ALL);
	if (rv < 0) {
		close(sock);
		return sl_fail(e, rv, "restricting the sanlock connection");
	}
	fcntl(sock, F_SETFD, FD_CLOEXEC);
	S.sock = sock;
	return 0;
}

static int sl_acquire(struct vl_reslist *l, const struct vl_acquire_opts *o,
		      struct vl_error *e)
{
	struct lease_set s = {0};
	int rc = sl_join(e);

	if (rc || (!l->n && !o->incoming))
		return rc;
	if (!o->incoming)
		rc = leases_of(l, &s, e);
	if (!rc)
		rc = register_self(e);
	if (!rc && !o->incoming)
		rc = acquire_waiting(getpid(), &s, &o->deadline, e);
	if (rc && S.sock >= 0) {
		close(S.sock);
		S.sock = -1;
	}
	lease_set_free(&s);
	return rc;
}

static void sl_release(struct vl_reslist *l)
{
	(void)l;
	if (S.sock < 0)
		return;
	sanlock_release(-1, getpid(), SANLK_REL_ALL, 0, NULL);
	close(S.sock);
	S.sock = -1;
}

static int sl_prepare_exec(struct vl_reslist *l, struct vl_error *e)
{
	(void)l;
	if (S.sock >= 0 && fcntl(S.sock, F_SETFD, 0) < 0)
		return vl_fail(e, EX_OSERR, "sanlock connection: %s",
			       strerror(errno));
	return 0;
}

/* ---- inquire ---------------------------------------------------------- */

static int sl_inquire(const struct vl_resource *r, struct vl_holders *out,
		      struct vl_error *e)
{
	char *key = lockspace_key(r), *lease = lockspace_file_name(key);
	struct sanlk_resource *res = sl_new_res(lease, VL_EXCLUSIVE);
	struct sanlk_host *h = NULL;
	int n = 0, rc = 0;
	bool excl;

	free(key);
	free(lease);
	if (access(res->disks[0].path, F_OK) < 0) {	/* never used: free */
		free(res);
		return 0;
	}
	if (sl_lockspace_state(e) < 0)
		rc = e->code;
	int rv = rc ? 0 : owners_of(res, &h, &n, &excl);
	if (rv < 0)
		rc = sl_fail(e, rv, res->disks[0].path);
	for (int i = 0; !rc && i < n; i++) {
		struct vl_holder *v = vl_holders_add(out);
		long id = (long)h[i].host_id;
		v->mode = excl ? VL_EXCLUSIVE : VL_SHARED;
		v->remote = !S.joined_id || id != S.joined_id;
		v->pid = v->remote ? -1 : local_pid(res);
		v->command = v->pid >= 0 ? comm_of(v->pid) :
			     vl_asprintf("sanlock host_id %ld", id);
	}
	free(h);
	free(res);
	return rc;
}

/* ---- handover --------------------------------------------------------- */

/* Names each lease of a state on stderr: "PATH: WHAT (lver N)". */
static void note_state(const char *state, const char *what)
{
	struct sanlk_resource **args = NULL;
	char *copy = vl_strdup(state);
	int count = 0;

	if (sanlock_state_to_args(copy, &count, &args) == 0)
		for (int i = 0; i < count; i++) {
			char *label = sl_label_of(args[i]->disks[0].path);
			if (args[i]->flags & SANLK_RES_SHARED)
				vl_note("%s: %s (shared)", label, what);
			else
				vl_note("%s: %s (lver %llu)", label, what,
					(unsigned long long)args[i]->lver);
			free(label);
			free(args[i]);
		}
	free(args);
	free(copy);
}

/* Source side: the state of what pid holds, then every lease released on
 * its behalf; done(state) prints the state for the target's adopt. */
static int sl_handover(long pid, const struct vl_deadline *d,
		       void (*done)(const char *state), struct vl_error *e)
{
	char *state = NULL;
	int count = 0, rv;

	(void)d;	/* nothing to wait for: the target adopts later */
	rv = sanlock_inquire(-1, (int)pid, 0, &count, &state);
	if (rv < 0) {
		char *what = vl_asprintf("pid %ld", pid);
		int rc = sl_fail(e, rv, what);
		free(what);
		return rc;
	}
	if (!count)
		vl_note("pid %ld holds no sanlock lease: nothing to hand over",
			pid);
	rv = count ? sanlock_release(-1, (int)pid, SANLK_REL_ALL, 0, NULL) : 0;
	if (rv < 0) {
		free(state);
		return sl_fail(e, rv, "releasing for the handover");
	}
	note_state(state ? state : "", "released for the handover");
	done(state ? state : "");
	free(state);
	return 0;
}

/* The leases of a handover state, each checked to be of our lockspace
 * and directory, exclusive ones at the version the source left. */
static int state_leases(const char *state, struct lease_set *s,
			struct vl_error *e)
{
	struct sanlk_resource **args = NULL;
	char *copy = vl_strdup(state);
	int count = 0, rv = sanlock_state_to_args(copy, &count, &args);

	free(copy);
	if (rv < 0 || count <= 0)
		return vl_fail(e, EX_DATAERR, "not a sanlock handover state "
			       "(LOCKSPACE:NAME:PATH:OFFSET:LVER ...): \"%.80s\"",
			       state);
	lease_set_init(s, (size_t)count);
	for (int i = 0; i < count; i++) {
		struct sanlk_resource *r = args[i];
		s->v[i] = r;
		s->label[i] = sl_label_of(r->disks[0].path);
		s->mode[i] = r->flags & SANLK_RES_SHARED ? VL_SHARED :
			     VL_EXCLUSIVE;
		if (!(r->flags & SANLK_RES_SHARED))
			r->flags |= SANLK_RES_LVER;
		if (strncmp(r->lockspace_name, S.name, SANLK_NAME_LEN))
			rv = vl_fail(e, EX_DATAERR, "%s: lockspace %.48s in the "
				     "state, not %s", s->label[i],
				     r->lockspace_name, S.name);
	}
	free(args);
	return rv < 0 ? e->code : 0;
}

/* Target side: acquires for pid the leases of state, refused when one
 * changed hands since the state was taken. */
static int sl_adopt(long pid, const char *state, struct vl_error *e)
{
	struct lease_set s = {0};
	size_t failed = 0;
	int rc = sl_join(e);

	if (!rc)
		rc = state_leases(state, &s, e);
	int rv = rc ? 0 : acquire_all(pid, &s, &failed);
	if (rv == SANLK_ACQUIRE_LVER)
		rc = vl_fail(e, EX_TEMPFAIL, "%s: refused: the lease changed "
			     "hands since the handover state was taken (lver "
			     "%llu expected)", s.label[failed],
			     (unsigned long long)s.v[failed]->lver);
	else if (rv == -ESRCH)
		rc = vl_fail(e, EX_NOINPUT, "pid %ld is not registered with the "
			     "sanlock daemon (start the target with vmlock run "
			     "--incoming --driver sanlock)", pid);
	else if (rv < 0)
		rc = sl_rv_code(rv) == EX_TEMPFAIL ? busy(&s, failed, rv, e) :
		     sl_fail(e, rv, s.label[failed]);
	if (!rc) {
		note_pids(&s, pid);
		for (size_t i = 0; i < s.n; i++)
			vl_note("%s: adopted by pid %ld", s.label[i], pid);
	}
	lease_set_free(&s);
	return rc;
}

VL_DRIVER_DEFINE(sanlock) = {
	.abi = VL_DRIVER_ABI,
	.name = "sanlock",
	.init = sl_init,
	.acquire = sl_acquire,
	.release = sl_release,
	.prepare_exec = sl_prepare_exec,
	.inquire = sl_inquire,
	.handover = sl_handover,
	.adopt = sl_adopt,
};
