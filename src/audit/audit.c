/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* What a running QEMU has open, against its vmlock locks (see audit.h). */
#include "config.h"
#include "api/api.h"
#include "audit/audit.h"
#include "lock/holders.h"
#include "lock/lockspace.h"
#include "plan/plan.h"
#include "qmp/qmp.h"
#include "util/path.h"
#include "util/proc.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *audit_finding_name(enum audit_finding f)
{
	static const char *const names[] = {
		[AUDIT_OK] = "ok", [AUDIT_UNLOCKED] = "unlocked",
		[AUDIT_WEAKER] = "weaker", [AUDIT_STALE] = "stale",
	};

	return names[f];
}

const char *audit_use_name(enum audit_use u)
{
	return u == AUDIT_READ_WRITE ? "read-write" :
	       u == AUDIT_READ_ONLY ? "read-only" : NULL;
}

int audit_lock_mode(const struct audit_file *f)
{
	int mode = -1;

	for (size_t i = 0; i < f->nlocks; i++)
		mode = mode < 0 ? (int)f->locks[i].mode :
		       (int)vl_mode_stronger(mode, f->locks[i].mode);
	return mode;
}

int audit_wanted_mode(const struct audit_file *f)
{
	const struct ql_use *q = &f->qemu_locks;

	int use = f->qemu == AUDIT_READ_ONLY ? VL_READONLY
		  : f->qemu == AUDIT_CLOSED ? -1
		  /* without QEMU's locks (locking=off), sharing cannot be
		   * told */
		  : q->writes && !q->excludes ? VL_SHARED : VL_EXCLUSIVE;

	if (!f->expected)
		return use;
	return use < 0 ? (int)f->expect
		       : (int)vl_mode_stronger((enum vl_mode)use, f->expect);
}

/* Does a lock held in mode held serve a use that needs want? */
static bool covers(int held, enum vl_mode want)
{
	return held == VL_EXCLUSIVE || held == (int)want ||
	       (held == VL_SHARED && want == VL_READONLY);
}

enum audit_finding audit_judge(const struct audit_file *f)
{
	int lock = audit_lock_mode(f);

	if (lock < 0)
		return f->qemu == AUDIT_CLOSED && !f->expected ? AUDIT_OK
							       : AUDIT_UNLOCKED;
	if (f->expected && !covers(lock, f->expect))
		return AUDIT_WEAKER;
	if (f->qemu == AUDIT_CLOSED && !f->open && !f->expected)
		return AUDIT_STALE;
	if (f->qemu == AUDIT_READ_WRITE && lock == VL_READONLY)
		return AUDIT_WEAKER;
	return AUDIT_OK;
}

static bool has_ident(const struct audit_ident *v, size_t n, dev_t dev,
		      ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].dev == dev && v[i].ino == ino)
			return true;
	return false;
}

/* The entry of the file dev:ino, added when new (path may be NULL). */
static struct audit_file *file_of(struct audit_proc *p, dev_t dev, ino_t ino,
				  const char *path)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].dev == dev && p->v[i].ino == ino) {
			if (!p->v[i].path && path)
				p->v[i].path = vl_strdup(path);
			return &p->v[i];
		}
	struct audit_file *f = VL_PUSH(p->v, p->n, p->cap);
	*f = (struct audit_file){ .dev = dev, .ino = ino,
				  .path = path ? vl_strdup(path) : NULL,
				  .bare = has_ident(p->bare, p->nbare, dev, ino) };
	return f;
}

static void uses(struct audit_file *f, enum audit_use u)
{
	if (u > f->qemu)
		f->qemu = u;
}

struct fd_scan {
	struct audit_proc *p;
	struct pid_lock *locks;	/* the fds that carry a vmlock lock */
	size_t nlocks, locks_cap;
	int *handed;		/* those of them QEMU got by getfd */
	size_t nhanded, handed_cap;
	struct audit_ident *open;	/* files of the fds that carry none */
	size_t nopen, open_cap;
};

static bool handed(const struct fd_scan *s, int fd)
{
	for (size_t i = 0; i < s->nhanded; i++)
		if (s->handed[i] == fd)
			return true;
	return false;
}

/* The vmlock locks of the process, on images (lease files aside). */
static void add_locks(struct audit_proc *p, const struct fd_scan *s)
{
	for (size_t i = 0; i < s->nlocks; i++) {
		const struct pid_lock *pl = &s->locks[i];
		if (pl->role == VL_ROLE_OFFER ||
		    (pl->path && lockspace_contains(pl->path)))
			continue;
		struct audit_file *f = file_of(p, pl->dev, pl->ino, pl->path);
		*VL_PUSH(f->locks, f->nlocks, f->locks_cap) = (struct audit_lock){
			pl->fd, pl->mode, pl->role, pl->byte,
			handed(s, pl->fd) };
	}
}

/* QEMU opens every file close-on-exec; an fd without it came with exec:
 * a lock fd of vmlock run whose lock sync has moved to a new fd. */
static bool opened_by_qemu(const char *fdinfo)
{
	const char *flags = fdinfo ? strstr(fdinfo, "flags:") : NULL;

	return !flags || strtoul(flags + 6, NULL, 8) & O_CLOEXEC;
}

/* An fd of the process: a vmlock lock, or QEMU's own image, when its
 * locks are there. One walk over the fds finds both. */
static void scan_fd(int fddir, const char *fdname, const struct stat *st,
		    const char *fdinfo, void *arg)
{
	struct fd_scan *s = arg;
	struct audit_proc *p = s->p;
	struct audit_ident id = { st->st_dev, st->st_ino };
	struct pid_lock pl;

	if (holders_pid_lock(fddir, fdname, st, fdinfo, &pl)) {
		*VL_PUSH(s->locks, s->nlocks, s->locks_cap) = pl;
		/* the guard alone, which add_locks leaves out, is what a
		 * sync killed in an upgrade leaves: its name unknown too */
		if (!opened_by_qemu(fdinfo))
			return;
		if (pl.role == VL_ROLE_OFFER)
			*VL_PUSH(p->bare, p->nbare, p->bare_cap) = id;
		else
			*VL_PUSH(s->handed, s->nhanded, s->handed_cap) = pl.fd;
		return;
	}
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
		return;
	bool own = opened_by_qemu(fdinfo);
	if (own)
		*VL_PUSH(s->open, s->nopen, s->open_cap) = id;
	struct ql_use u = fdinfo ? ql_from_fdinfo(fdinfo) : (struct ql_use){ 0 };
	if (own && !u.locked)
		*VL_PUSH(p->bare, p->nbare, p->bare_cap) = id;
	if (!u.locked)
		return;
	char *path = vl_read_link(fddir, fdname);
	struct audit_file *f = file_of(p, st->st_dev, st->st_ino, path);
	free(path);
	uses(f, u.writes ? AUDIT_READ_WRITE : AUDIT_READ_ONLY);
	ql_add_use(&f->qemu_locks, &u);
}

/* The files of QEMU's block nodes, when its QMP socket answers. */
static void add_block_nodes(struct audit_proc *p, const char *cwd,
			    struct qmp *given, double timeout)
{
	struct qmp own, *q = given ? given : &own;
	struct qmp_files files = {0};
	struct vl_error e;

	if (!given && (!p->qmp || qmp_connect(&own, p->qmp, timeout, &e))) {
		if (p->qmp)
			vl_debug("pid %ld: %s", p->pid, e.msg);
		return;
	}
	p->qmp_answered = !qmp_block_files(q, &files, &e);
	if (!p->qmp_answered)
		vl_debug("pid %ld: %s", p->pid, e.msg);
	for (size_t i = 0; i < files.n; i++) {
		struct stat st;
		char *path = files.v[i].path[0] == '/' || !cwd ? NULL :
			     vl_path_join(cwd, files.v[i].path);
		const char *name = path ? path : files.v[i].path;
		if (name[0] == '/' && stat(name, &st) == 0 &&
		    (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
			uses(file_of(p, st.st_dev, st.st_ino, name),
			     files.v[i].ro ? AUDIT_READ_ONLY : AUDIT_READ_WRITE);
		free(path);
	}
	qmp_files_free(&files);
	if (!given)
		qmp_close(&own);
}

static int pid_error(long pid, int err, struct vl_error *e)
{
	if (err == ENOENT || err == ESRCH)
		return vl_fail(e, EX_NOINPUT, "pid %ld: no such process", pid);
	if (err == EACCES || err == EPERM)
		return vl_fail(e, EX_NOPERM, "pid %ld: not yours to look at "
			       "(/proc/%ld/fd)", pid, pid);
	return vl_fail(e, EX_OSERR, "pid %ld: %s", pid, strerror(err));
}

/* The QMP socket its command line names, absolute, or NULL. */
static char *socket_of(int argc, char **argv, const char *cwd)
{
	char *sock = argv ? vl_plan_qmp_socket(argc, argv) : NULL;
	char *path = !sock || sock[0] == '/' ? sock
		     : cwd ? vl_path_join(cwd, sock) : NULL;

	if (path != sock)
		free(sock);
	return path;
}

/* Its name, command and QMP socket (qmp: the one given, or NULL). */
static void describe(struct audit_proc *p, int piddir, const char *qmp,
		     const char *cwd)
{
	int argc;
	char **argv = vl_read_argv(piddir, &argc);

	p->command = holders_program_name(vl_read_line(piddir, "comm"),
					  argv ? argv[0] : NULL);
	p->name = argv ? vl_plan_vm_name(argc, argv) : NULL;
	p->qmp = qmp ? vl_strdup(qmp) : socket_of(argc, argv, cwd);
	free(argv);
}

char *audit_qmp_socket(long pid)
{
	char dir[64];
	int argc = 0;

	snprintf(dir, sizeof dir, "/proc/%ld", pid);
	int piddir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **argv = piddir < 0 ? NULL : vl_read_argv(piddir, &argc);
	char *cwd = argv ? vl_read_link(piddir, "cwd") : NULL;
	char *sock = socket_of(argc, argv, cwd);

	free(cwd);
	free(argv);
	if (piddir >= 0)
		close(piddir);
	return sock;
}

static int cmp_path(const void *a, const void *b)
{
	const struct audit_file *x = a, *y = b;

	return strcmp(x->path ? x->path : "", y->path ? y->path : "");
}

/* What the fds tell of each file; the findings. */
static void judge_all(struct audit_proc *p, const struct fd_scan *s)
{
	for (size_t i = 0; i < p->n; i++) {
		struct audit_file *f = &p->v[i];
		f->open = has_ident(s->open, s->nopen, f->dev, f->ino);
		/* again: file_of, for a file audit_expect adds, sees the
		 * list, but files of the scan itself came before it was whole */
		f->bare = has_ident(p->bare, p->nbare, f->dev, f->ino);
		f->finding = audit_judge(f);
	}
	if (p->n)
		qsort(p->v, p->n, sizeof *p->v, cmp_path);
}

int audit_process(long pid, const char *qmp, double timeout,
		  struct audit_proc *out, struct vl_error *e)
{
	return audit_process_over(pid, qmp, NULL, timeout, out, e);
}

int audit_process_over(long pid, const char *qmp, struct qmp *q,
		       double timeout, struct audit_proc *out,
		       struct vl_error *e)
{
	char dir[64];
	struct fd_scan s = { .p = out };

	*out = (struct audit_proc){ .pid = pid };
	snprintf(dir, sizeof dir, "/proc/%ld", pid);
	int piddir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = piddir < 0 ? errno : holders_each_fd(pid, scan_fd, &s);
	if (!err) {
		char *cwd = vl_read_link(piddir, "cwd");
		describe(out, piddir, qmp, cwd);
		add_locks(out, &s);
		add_block_nodes(out, cwd, q, timeout);
		judge_all(out, &s);
		out->cwd = cwd;
	}
	if (piddir >= 0)
		close(piddir);
	free(s.open);
	free(s.handed);
	pid_locks_free(s.locks, s.nlocks);
	return err ? pid_error(pid, err, e) : 0;
}

int audit_expect(struct audit_proc *p, const char *path, enum vl_mode mode,
		 struct vl_error *e)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return vl_fail(e, errno == ENOENT ? EX_NOINPUT : EX_OSERR,
			       "%s: %s", path, strerror(errno));
	struct audit_file *f = file_of(p, st.st_dev, st.st_ino, path);
	f->expect = f->expected ? vl_mode_stronger(f->expect, mode) : mode;
	f->expected = true;
	f->finding = audit_judge(f);
	return 0;
}

/* QEMUs audited at once: each mostly waits for its QMP replies. */
#define AUDIT_THREADS 16

struct fanout {
	const long *pids;
	double timeout;
	struct audit_proc *out;
	int *rc;
	struct vl_error *e;
};

static void audit_one(size_t i, unsigned thread, void *arg)
{
	struct fanout *f = arg;

	(void)thread;
	f->rc[i] = audit_process(f->pids[i], NULL, f->timeout, &f->out[i],
				 &f->e[i]);
}

void audit_processes(const long *pids, size_t n, double timeout,
		     struct audit_proc *out, int *rc, struct vl_error *e)
{
	struct fanout f = { .pids = pids, .timeout = timeout, .out = out,
			    .rc = rc, .e = e };

	lockspace_dir();	/* resolved once, before threads read it */
	vl_fan_out(n, AUDIT_THREADS, audit_one, &f);
}

bool audit_proc_ok(const struct audit_proc *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].finding != AUDIT_OK)
			return false;
	return true;
}

void audit_proc_free(struct audit_proc *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].locks);
	}
	free(p->v);
	free(p->bare);
	free(p->command);
	free(p->name);
	free(p->qmp);
	free(p->cwd);
	*p = (struct audit_proc){0};
}

/* Is the process of /proc entry dirfd a QEMU whose fds we may read? */
static bool visible_qemu(int piddir)
{
	int argc;
	char **argv = vl_read_argv(piddir, &argc);
	bool qemu = argv && vl_plan_is_qemu(argv[0]);
	int fds = qemu ? openat(piddir, "fd", O_RDONLY | O_DIRECTORY |
				O_CLOEXEC) : -1;

	free(argv);
	if (fds < 0)
		return false;
	close(fds);
	return true;
}

long *audit_qemu_pids(size_t *n)
{
	size_t nall = 0, keep = 0;
	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long *pids = proc < 0 ? NULL : vl_proc_pids(proc, &nall);
	char name[32];

	for (size_t i = 0; i < nall; i++) {
		snprintf(name, sizeof name, "%ld", pids[i]);
		int piddir = openat(proc, name, O_RDONLY | O_DIRECTORY |
				    O_CLOEXEC);
		if (piddir >= 0 && visible_qemu(piddir))
			pids[keep++] = pids[i];
		if (piddir >= 0)
			close(piddir);
	}
	if (proc >= 0)
		close(proc);
	*n = keep;
	return pids;
}
