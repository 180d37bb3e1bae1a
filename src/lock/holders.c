/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Finding who holds a file through /proc (see holders.h). */
#include "config.h"
#include "api/api.h"
#include "lock/holders.h"
#include "lock/lockproto.h"
#include "lock/qemulocks.h"
#include "util/proc.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

bool holders_parse_lock_line(const char *line, dev_t *dev, ino_t *ino,
			     off_t *start, off_t *end, short *type)
{
	char kind[16], adv[16], rw[16], endtok[32];
	unsigned maj, min;
	unsigned long long inode;
	long long s;
	int id;
	long pid;

	if (!strncmp(line, "lock:", 5))
		line += 5;
	if (sscanf(line, " %d: %15s %15s %15s %ld %x:%x:%llu %lld %31s", &id,
		   kind, adv, rw, &pid, &maj, &min, &inode, &s, endtok) != 10)
		return false;
	/* flock(2) locks and leases never meet byte-range locks */
	if (strcmp(kind, "POSIX") && strcmp(kind, "OFDLCK"))
		return false;
	*dev = makedev(maj, min);
	*ino = (ino_t)inode;
	*start = (off_t)s;
	*end = strcmp(endtok, "EOF") ? (off_t)strtoll(endtok, NULL, 10)
				    : (off_t)INT64_MAX;
	*type = strcmp(rw, "WRITE") ? F_RDLCK : F_WRLCK;
	return true;
}

static int cmp_target(const void *a, const void *b)
{
	const struct holders_target *x = a, *y = b;

	return vl_cmp_ident(x->dev, x->ino, y->dev, y->ino);
}

static char *(*vm_name)(int argc, char *const argv[]);

void holders_name_vms(char *(*fn)(int argc, char *const argv[]))
{
	vm_name = fn;
}

/* The role and mode the locks of one open file description stand for. */
static bool classify_fdinfo(const char *fdinfo, enum vl_mode *mode,
			    enum vl_role *role, off_t *byte)
{
	bool found = false;

	for (const char *l = fdinfo; (l = strstr(l, "lock:")); l++) {
		dev_t dev;
		ino_t ino;
		off_t start, end;
		short type;
		enum vl_mode m;
		enum vl_role r;

		if (!holders_parse_lock_line(l, &dev, &ino, &start, &end, &type) ||
		    !lp_classify(start, end, type, &m, &r))
			continue;
		if (!found || (*role == VL_ROLE_FOREIGN && r != VL_ROLE_FOREIGN)) {
			*mode = m;
			*role = r;
			*byte = start;
			found = true;
		}
	}
	return found;
}

/* One fd through which a process holds a target (or shows QEMU's own
 * locks on it), as a scan thread found it; applied in the order of the
 * processes once every thread is done. */
struct found {
	size_t order, seq;	/* the process's place in /proc, the fd's */
	struct holders_target *t;
	struct ql_use qemu;	/* QEMU's locks, when no vmlock lock is there */
	bool holds;
	enum vl_mode mode;
	enum vl_role role;
	long pid;
	char *path, *command, *name;
};

struct founds {
	struct found *v;
	size_t n, cap;
};

struct scan {
	struct holders_target *t;
	size_t nt;
	const long *pids;
	int proc;		/* /proc */
	struct founds *per_thread;
};

struct proc {
	int fddir;		/* its /proc/PID/fd */
	int dirfd, fdinfo;	/* -1 until needed: most processes hold nothing */
	long pid;
	size_t order;
	char *command, *name;
	bool looked_up;
	const struct scan *s;
	struct founds *out;
};

char *holders_program_name(char *comm, const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;

	base = base ? base + 1 : argv0;
	if (!comm || !base || strlen(base) <= strlen(comm) ||
	    !vl_starts_with(base, comm))
		return comm;
	free(comm);
	return vl_strdup(base);
}

/* /proc/PID through its fd directory's parent: the same process, even
 * if PID were reused since. */
static int proc_dir(struct proc *p)
{
	if (p->dirfd < 0)
		p->dirfd = openat(p->fddir, "..", O_RDONLY | O_DIRECTORY |
				  O_CLOEXEC);
	return p->dirfd;
}

static void look_up_process(struct proc *p)
{
	int argc;
	char **argv;

	if (p->looked_up)
		return;
	p->looked_up = true;
	proc_dir(p);
	argv = vl_read_argv(p->dirfd, &argc);
	p->command = holders_program_name(vl_read_line(p->dirfd, "comm"),
				  argv ? argv[0] : NULL);
	if (argv && vm_name)
		p->name = vm_name(argc, argv);
	free(argv);
}

static void add_holder(const struct found *f)
{
	struct vl_holders *hs = &f->t->holders;

	for (size_t i = 0; i < hs->n; i++)
		if (hs->v[i].pid == f->pid && hs->v[i].role == f->role &&
		    hs->v[i].mode == f->mode)
			return;
	if (!ql_merge_holder(hs, f->pid, f->mode, f->role))
		return;
	struct vl_holder *h = vl_holders_add(hs);
	h->pid = f->pid;
	h->mode = f->mode;
	h->role = f->role;
	h->command = f->command ? vl_strdup(f->command) : NULL;
	h->name = f->name ? vl_strdup(f->name) : NULL;
}

static char *fd_target(int fddir, const char *fdname)
{
	return vl_read_link(fddir, fdname);
}

/* What the locks of one fd on target t say, in a new record when they
 * say anything. */
static void note_fd(struct proc *p, struct holders_target *t, int fddir,
		    const char *fdname, const char *info)
{
	struct found f = { .order = p->order, .seq = p->out->n, .t = t,
			   .pid = p->pid, .role = VL_ROLE_QEMU };
	off_t byte;

	f.holds = classify_fdinfo(info, &f.mode, &f.role, &byte);
	if (!f.holds) {
		f.qemu = ql_from_fdinfo(info);
		f.holds = ql_mode(&f.qemu, &f.mode);
	}
	if (!f.holds && !f.qemu.locked)
		return;
	if (f.holds) {
		look_up_process(p);
		/* t->path is only written once the threads are done */
		f.path = t->path ? NULL : fd_target(fddir, fdname);
		f.command = p->command ? vl_strdup(p->command) : NULL;
		f.name = p->name ? vl_strdup(p->name) : NULL;
	}
	*VL_PUSH(p->out->v, p->out->n, p->out->cap) = f;
}

static bool scan_fd(int fddir, const char *fdname, void *arg)
{
	struct proc *p = arg;
	struct stat st;

	if (fstatat(fddir, fdname, &st, 0) < 0)
		return true;
	struct holders_target key = { .dev = st.st_dev, .ino = st.st_ino };
	struct holders_target *hit = bsearch(&key, p->s->t, p->s->nt,
					     sizeof key, cmp_target);
	if (!hit)
		return true;
	if (p->fdinfo < 0)
		p->fdinfo = openat(proc_dir(p), "fdinfo", O_RDONLY | O_DIRECTORY |
				   O_CLOEXEC);
	char *info = vl_read_small(p->fdinfo, fdname, NULL);
	if (info)
		note_fd(p, hit, fddir, fdname, info);
	free(info);
	return true;
}

static void scan_process(size_t i, unsigned thread, void *arg)
{
	const struct scan *s = arg;
	char fd_path[64];
	struct proc p = { .pid = s->pids[i], .order = i, .dirfd = -1,
			  .fdinfo = -1, .s = s, .out = &s->per_thread[thread] };

	snprintf(fd_path, sizeof fd_path, "%ld/fd", p.pid);
	p.fddir = openat(s->proc, fd_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p.fddir < 0)
		return;
	vl_each_dirent(p.fddir, scan_fd, &p);
	close(p.fddir);
	if (p.dirfd >= 0)
		close(p.dirfd);
	if (p.fdinfo >= 0)
		close(p.fdinfo);
	free(p.command);
	free(p.name);
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return x->order != y->order ? (x->order < y->order ? -1 : 1)
				    : (x->seq > y->seq) - (x->seq < y->seq);
}

static void apply_found(struct found *f)
{
	struct holders_target *t = f->t;

	ql_add_use(&t->qemu, &f->qemu);
	if (f->holds)
		add_holder(f);
	if (f->holds && !t->path) {
		t->path = f->path;
		f->path = NULL;
	}
	free(f->path);
	free(f->command);
	free(f->name);
}

/* Threads for a scan of n processes: stat(2) of /proc/PID/fd/N is kernel
 * work that also sleeps on the process's locks, so two per CPU it may run
 * on (measured: 2 CPUs, 2,000 processes, 4 threads 0.67x the time of one,
 * 2 threads 0.72x), up to 8, and none but this one for a small host. */
static unsigned scan_threads(size_t n)
{
	cpu_set_t set;
	long cpus = sched_getaffinity(0, sizeof set, &set) == 0 ?
		    CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = n / 256 + 1, most = cpus < 1 ? 1 : 2 * (size_t)cpus;

	if (most > 8)
		most = 8;
	return (unsigned)(want < most ? want : most);
}

void holders_scan(struct holders_target *t, size_t n)
{
	int proc = n ? open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	size_t npids = 0, nall = 0;
	long *pids = proc < 0 ? NULL : vl_proc_pids(proc, &npids);
	struct scan s = { .t = t, .nt = n, .pids = pids, .proc = proc };

	if (!pids)
		goto out;
	/* bsearch needs order; callers keep their pointers into t */
	qsort(t, n, sizeof *t, cmp_target);
	unsigned threads = scan_threads(npids);
	s.per_thread = vl_calloc(threads, sizeof *s.per_thread);
	vl_fan_out(npids, threads, scan_process, &s);
	struct founds all = {0};
	for (unsigned i = 0; i < threads; i++) {
		for (size_t j = 0; j < s.per_thread[i].n; j++)
			*VL_PUSH(all.v, nall, all.cap) = s.per_thread[i].v[j];
		free(s.per_thread[i].v);
	}
	if (nall)
		qsort(all.v, nall, sizeof *all.v, cmp_found);
	for (size_t i = 0; i < nall; i++)
		apply_found(&all.v[i]);
	free(all.v);
	free(s.per_thread);
out:
	if (proc >= 0)
		close(proc);
	free(pids);
}

void holders_each_lock_line(const char *fdinfo, holders_lock_fn *fn,
			    void *arg)
{
	for (const char *l = fdinfo; (l = strstr(l, "lock:")); l++) {
		dev_t dev;
		ino_t ino;
		off_t start, end;
		short type;

		if (holders_parse_lock_line(l, &dev, &ino, &start, &end, &type))
			fn(dev, ino, start, end, type, arg);
	}
}

/* One lock line of /proc/locks. */
struct lock_line {
	dev_t dev;
	ino_t ino;
	off_t start, end;
	short type;
};

struct lock_lines {
	struct lock_line *v;
	size_t n, cap;
};

static int cmp_lock_line(const void *a, const void *b)
{
	const struct lock_line *x = a, *y = b;
	int c = vl_cmp_ident(x->dev, x->ino, y->dev, y->ino);

	if (c)
		return c;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return (x->type > y->type) - (x->type < y->type);
}

/* One read of /proc/locks, its locks sorted (waiters aside); false when
 * it cannot be read. */
static bool read_lock_lines(struct lock_lines *l, char **text, size_t *len)
{
	char *save = NULL;

	*text = vl_read_whole(AT_FDCWD, "/proc/locks", 64 << 20, len);
	if (!*text)
		return false;
	char *copy = vl_strdup(*text);
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct lock_line k;
		if (!strstr(line, "->") &&	/* not a blocked waiter */
		    holders_parse_lock_line(line, &k.dev, &k.ino, &k.start,
					    &k.end, &k.type))
			*VL_PUSH(l->v, l->n, l->cap) = k;
	}
	free(copy);
	if (l->n)
		qsort(l->v, l->n, sizeof *l->v, cmp_lock_line);
	return true;
}

/* into gets each lock of from that it has fewer times than from has. */
static void merge_max(struct lock_lines *into, const struct lock_lines *from)
{
	size_t n = into->n;

	for (size_t i = 0, j = 0; i < from->n;) {
		size_t k = i, have = 0;
		while (k < from->n && !cmp_lock_line(&from->v[i], &from->v[k]))
			k++;
		while (j < n && cmp_lock_line(&into->v[j], &from->v[i]) < 0)
			j++;
		while (j + have < n && !cmp_lock_line(&into->v[j + have],
						       &from->v[i]))
			have++;
		for (size_t m = have; m < k - i; m++)
			*VL_PUSH(into->v, into->n, into->cap) = from->v[i];
		i = k;
	}
	if (into->n > n)
		qsort(into->v, into->n, sizeof *into->v, cmp_lock_line);
}

/* The seq_file of /proc/locks hands out a page per read(2) and walks the
 * kernel's list from its start again for each, so a lock dropped meanwhile
 * can hide the line of another, held all along, from that read. Less than
 * a page comes from one walk, whole; more is read up to three times, until
 * two reads agree: each lock as many times as the read that shows it most
 * (measured: one read missed a held lock 1 to 11 times in 1,000 beside
 * 400 others coming and going). */
bool holders_proc_locks(holders_lock_fn *fn, void *arg)
{
	struct lock_lines all = {0};
	char *prev = NULL, *text;
	size_t len, one_walk = (size_t)sysconf(_SC_PAGESIZE) - 256;

	for (int i = 0; i < 3; i++) {
		struct lock_lines one = {0};
		if (!read_lock_lines(&one, &text, &len))
			break;
		merge_max(&all, &one);
		free(one.v);
		bool done = (!prev && len < one_walk) ||
			    (prev && !strcmp(prev, text));
		free(prev);
		prev = text;
		if (done)
			break;
	}
	bool read = prev != NULL;	/* once at least */
	free(prev);
	for (size_t i = 0; i < all.n; i++)
		fn(all.v[i].dev, all.v[i].ino, all.v[i].start, all.v[i].end,
		   all.v[i].type, arg);
	free(all.v);
	return read;
}

struct each_fd {
	int fdinfo;		/* /proc/PID/fdinfo */
	pid_fd_fn *fn;
	void *arg;
};

static bool call_fd(int fddir, const char *fdname, void *arg)
{
	struct each_fd *e = arg;
	struct stat st;

	if (fstatat(fddir, fdname, &st, 0) == 0) {
		char *info = vl_read_small(e->fdinfo, fdname, NULL);
		e->fn(fddir, fdname, &st, info, e->arg);
		free(info);
	}
	return true;
}

int holders_each_fd(long pid, pid_fd_fn *fn, void *arg)
{
	char dir[64];
	struct each_fd e = { .fn = fn, .arg = arg };

	snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
	int fddir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0)
		return errno;
	e.fdinfo = openat(fddir, "../fdinfo", O_RDONLY | O_DIRECTORY |
			  O_CLOEXEC);
	int err = vl_each_dirent(fddir, call_fd, &e);
	if (e.fdinfo >= 0)
		close(e.fdinfo);
	close(fddir);
	return err;
}

struct pid_locks {
	struct pid_lock *v;
	size_t n, cap;
};

bool holders_pid_lock(int fddir, const char *fdname, const struct stat *st,
		      const char *fdinfo, struct pid_lock *out)
{
	enum vl_mode mode;
	enum vl_role role;
	off_t byte;

	if (!fdinfo || !classify_fdinfo(fdinfo, &mode, &role, &byte) ||
	    role == VL_ROLE_FOREIGN)
		return false;
	*out = (struct pid_lock){
		.fd = atoi(fdname), .dev = st->st_dev, .ino = st->st_ino,
		.mode = mode, .role = role, .byte = byte,
		.path = fd_target(fddir, fdname),
	};
	return true;
}

static void add_pid_lock(int fddir, const char *fdname, const struct stat *st,
			 const char *fdinfo, void *arg)
{
	struct pid_locks *l = arg;
	struct pid_lock pl;

	if (holders_pid_lock(fddir, fdname, st, fdinfo, &pl))
		*VL_PUSH(l->v, l->n, l->cap) = pl;
}

int holders_of_pid(long pid, struct pid_lock **out, size_t *n)
{
	struct pid_locks l = {0};
	int rc = holders_each_fd(pid, add_pid_lock, &l);

	*out = l.v;
	*n = l.n;
	return rc;
}

struct wanted_lock {
	dev_t dev;
	ino_t ino;
	off_t byte;
	bool found;
};

static void match_write_lock(dev_t dev, ino_t ino, off_t start, off_t end,
			     short type, void *arg)
{
	struct wanted_lock *w = arg;

	/* adjacent locks of one open file description merge into one */
	w->found |= dev == w->dev && ino == w->ino && start <= w->byte &&
		    end >= w->byte && type == F_WRLCK;
}

static void find_write_lock(int fddir, const char *fdname,
			    const struct stat *st, const char *fdinfo,
			    void *arg)
{
	struct wanted_lock *w = arg;

	(void)fddir;
	(void)fdname;
	if (fdinfo && st->st_dev == w->dev && st->st_ino == w->ino)
		holders_each_lock_line(fdinfo, match_write_lock, w);
}

static bool pid_write_locks(long pid, dev_t dev, ino_t ino, off_t byte)
{
	struct wanted_lock w = { dev, ino, byte, false };

	return holders_each_fd(pid, find_write_lock, &w) == 0 && w.found;
}

static bool is_handover(long pid)
{
	char dir[64];
	size_t len;

	snprintf(dir, sizeof dir, "/proc/%ld", pid);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *comm = dirfd < 0 ? NULL : vl_read_line(dirfd, "comm");
	char *cmdline = dirfd < 0 ? NULL : vl_read_small(dirfd, "cmdline", &len);
	size_t first = cmdline ? strlen(cmdline) + 1 : 0;
	bool is = comm && !strcmp(comm, "vmlock") && first < len &&
		  !strcmp(cmdline + first, "handover");

	free(comm);
	free(cmdline);
	if (dirfd >= 0)
		close(dirfd);
	return is;
}

bool holders_offer_genuine(dev_t dev, ino_t ino, off_t offer, off_t guard)
{
	struct holders_target t = { .dev = dev, .ino = ino };
	struct wanted_lock listed = { dev, ino, offer, false };
	bool genuine = false, seen = false;

	holders_scan(&t, 1);
	for (size_t i = 0; i < t.holders.n && !seen; i++) {
		long pid = t.holders.v[i].pid;
		if (t.holders.v[i].role != VL_ROLE_OFFER || pid <= 0 ||
		    !pid_write_locks(pid, dev, ino, offer))
			continue;
		seen = true;
		genuine = pid_write_locks(pid, dev, ino, guard) &&
			  is_handover(pid);
	}
	vl_holders_free(&t.holders);
	free(t.path);
	if (seen)
		return genuine;
	/* this host's, but not ours to look at: it cannot be vouched for */
	holders_proc_locks(match_write_lock, &listed);
	return !listed.found;
}

void pid_locks_free(struct pid_lock *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].path);
	free(l);
}
