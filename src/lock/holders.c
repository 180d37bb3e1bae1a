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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

struct proc {
	int fddir;		/* its /proc/PID/fd */
	int dirfd, fdinfo;	/* -1 until needed: most processes hold nothing */
	long pid;
	char *command, *name;
	bool looked_up;
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

static void add_holder(struct holders_target *t, struct proc *p,
		       enum vl_mode mode, enum vl_role role)
{
	for (size_t i = 0; i < t->holders.n; i++)
		if (t->holders.v[i].pid == p->pid &&
		    t->holders.v[i].role == role &&
		    t->holders.v[i].mode == mode)
			return;
	if (!ql_merge_holder(&t->holders, p->pid, mode, role))
		return;
	look_up_process(p);
	struct vl_holder *h = vl_holders_add(&t->holders);
	h->pid = p->pid;
	h->mode = mode;
	h->role = role;
	h->command = p->command ? vl_strdup(p->command) : NULL;
	h->name = p->name ? vl_strdup(p->name) : NULL;
}

static char *fd_target(int fddir, const char *fdname)
{
	return vl_read_link(fddir, fdname);
}

static void scan_fd(struct holders_target *t, size_t n, struct proc *p,
		    int fddir, const char *fdname)
{
	struct stat st;

	if (fstatat(fddir, fdname, &st, 0) < 0)
		return;
	struct holders_target key = { .dev = st.st_dev, .ino = st.st_ino };
	struct holders_target *hit = bsearch(&key, t, n, sizeof *t, cmp_target);
	if (!hit)
		return;
	if (p->fdinfo < 0)
		p->fdinfo = openat(proc_dir(p), "fdinfo", O_RDONLY | O_DIRECTORY |
				   O_CLOEXEC);
	char *info = vl_read_small(p->fdinfo, fdname, NULL);
	enum vl_mode mode;
	enum vl_role role = VL_ROLE_QEMU;
	off_t byte;
	if (info && (classify_fdinfo(info, &mode, &role, &byte) ||
		     ql_seen(&hit->qemu, info, &mode))) {
		add_holder(hit, p, mode, role);
		if (!hit->path)
			hit->path = fd_target(fddir, fdname);
	}
	free(info);
}

static void scan_process(struct holders_target *t, size_t n, struct proc *p)
{
	DIR *d = fdopendir(p->fddir);
	struct dirent *de;

	if (!d) {
		close(p->fddir);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			scan_fd(t, n, p, dirfd(d), de->d_name);
	closedir(d);
}

void holders_scan(struct holders_target *t, size_t n)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	long self = (long)getpid();
	char fd_path[64];

	if (!proc || n == 0) {
		if (proc)
			closedir(proc);
		return;
	}
	/* bsearch needs order; callers keep their pointers into t */
	qsort(t, n, sizeof *t, cmp_target);
	while ((de = readdir(proc))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		struct proc p = { .pid = pid, .dirfd = -1, .fdinfo = -1 };
		snprintf(fd_path, sizeof fd_path, "%ld/fd", pid);
		p.fddir = openat(dirfd(proc), fd_path,
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (p.fddir < 0)
			continue;
		scan_process(t, n, &p);
		if (p.dirfd >= 0)
			close(p.dirfd);
		if (p.fdinfo >= 0)
			close(p.fdinfo);
		free(p.command);
		free(p.name);
	}
	closedir(proc);
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

bool holders_proc_locks(holders_lock_fn *fn, void *arg)
{
	FILE *f = fopen("/proc/locks", "re");
	static char buf[1 << 16];
	char line[512];

	if (!f)
		return false;
	/* seq_file walks the list from its start on every read: few reads */
	setvbuf(f, buf, _IOFBF, sizeof buf);
	while (fgets(line, sizeof line, f)) {
		dev_t dev;
		ino_t ino;
		off_t start, end;
		short type;

		if (!strstr(line, "->") &&	/* not a blocked waiter */
		    holders_parse_lock_line(line, &dev, &ino, &start, &end,
					    &type))
			fn(dev, ino, start, end, type, arg);
	}
	fclose(f);
	return true;
}

int holders_each_fd(long pid, pid_fd_fn *fn, void *arg)
{
	char dir[64];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
	if (!(d = opendir(dir)))
		return errno;
	int procdir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while ((de = readdir(d))) {
		char info_path[300];
		struct stat st;

		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0))
			continue;
		snprintf(info_path, sizeof info_path, "../fdinfo/%s", de->d_name);
		char *info = vl_read_small(procdir, info_path, NULL);
		fn(dirfd(d), de->d_name, &st, info, arg);
		free(info);
	}
	close(procdir);
	closedir(d);
	return 0;
}

struct pid_locks {
	struct pid_lock *v;
	size_t n, cap;
};

static void add_pid_lock(int fddir, const char *fdname, const struct stat *st,
			 const char *fdinfo, void *arg)
{
	struct pid_locks *l = arg;
	enum vl_mode mode;
	enum vl_role role;
	off_t byte;

	if (fdinfo && classify_fdinfo(fdinfo, &mode, &role, &byte) &&
	    role != VL_ROLE_FOREIGN)
		*VL_PUSH(l->v, l->n, l->cap) = (struct pid_lock){
			.fd = atoi(fdname), .dev = st->st_dev, .ino = st->st_ino,
			.mode = mode, .role = role, .byte = byte,
			.path = fd_target(fddir, fdname),
		};
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
