/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The lockspace directory (vmlock(1), LOCKSPACE). The lease files of a
 * key are named by its hash H: H.UID is the file user UID holds it
 * through, H.UID.XXXXXX one of UID's when a file UID cannot trust took
 * the name H.UID, and every one of them counts: a holder locks its own,
 * then checks the others (lock first, check second, as with the class
 * bytes). */
#include "config.h"
#include "lock/holders.h"
#include "lock/lockproto.h"
#include "lock/lockspace.h"
#include "util/proc.h"
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define LEASE_MAGIC "vmlock-lease 1\n"
#define HASH_LEN 32

static char *space_given;	/* as configured; NULL: the default */
static char *space_dir;		/* canonical, once asked for */
static int space_fd = -1;	/* the directory, opened once */
static mode_t space_mode = 0644;

void lockspace_configure(const char *dir, mode_t file_mode)
{
	free(space_given);
	free(space_dir);
	space_given = dir ? vl_strdup(dir) : NULL;
	space_dir = NULL;
	space_mode = file_mode ? file_mode : 0644;
	if (space_fd >= 0)
		close(space_fd);
	space_fd = -1;
}

/* Resolved when first needed, not at every launch, which locks images. */
const char *lockspace_dir(void)
{
	const char *dir = space_given ? space_given : LOCKSPACE_DEFAULT;

	if (!space_dir) {	/* canonical: lease files are known by path */
		char *real = realpath(dir, NULL);
		space_dir = real ? real : vl_strdup(dir);
	}
	return space_dir;
}

/* First line of a small sysfs file of a block device, or NULL. */
static char *sysfs_line(dev_t dev, const char *leaf)
{
	char path[128];

	snprintf(path, sizeof path, "/sys/dev/block/%u:%u/%s", major(dev),
		 minor(dev), leaf);
	return vl_read_line(AT_FDCWD, path);
}

static char *block_device_key(const char *path)
{
	struct stat st;
	static const struct { const char *leaf, *prefix; } ids[] = {
		{ "dm/uuid", "lvm:" },
		{ "device/wwid", "wwid:" },
		{ "wwid", "wwid:" },
	};

	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return NULL;
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		char *id = sysfs_line(st.st_rdev, ids[i].leaf);
		if (id) {
			char *key = vl_asprintf("%s%s", ids[i].prefix, id);
			free(id);
			return key;
		}
	}
	return NULL;
}

char *lockspace_key(const struct vl_resource *r)
{
	if (r->kind == VL_LEASE)
		return vl_asprintf("lease:%s", r->path);
	char *key = block_device_key(r->path);
	if (key)
		return key;
	char *real = realpath(r->path, NULL);	/* the same name on every host */
	key = vl_asprintf("file:%s", real ? real : r->path);
	free(real);
	return key;
}

/* FNV-1a, 128 bits: no collision to fear among a site's resources. */
char *lockspace_file_name(const char *key)
{
	unsigned __int128 h = ((unsigned __int128)0x6c62272e07bb0142ULL << 64) |
			      0x62b821756295c58dULL;
	const unsigned __int128 prime = ((unsigned __int128)1 << 88) + 0x13b;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= prime;
	}
	return vl_asprintf("%016llx%016llx", (unsigned long long)(h >> 64),
			 (unsigned long long)h);
}

char *lockspace_read_key(int fd, off_t offset, const char *magic)
{
	char buf[4096 + 64];
	size_t skip = strlen(magic);
	ssize_t n = pread(fd, buf, sizeof buf - 1, offset);

	if (n <= (ssize_t)skip)
		return NULL;
	buf[n] = 0;
	if (strncmp(buf, magic, skip))
		return NULL;
	return vl_strndup(buf + skip, strcspn(buf + skip, "\n"));
}

char *lockspace_key_label(char *key)
{
	if (key && vl_starts_with(key, "file:"))
		memmove(key, key + 5, strlen(key + 5) + 1);
	return key;
}

/* The default lives in /run: made, sticky and world-writable, on first
 * use when we may. */
static void make_default(void)
{
	struct stat st;

	if (strcmp(lockspace_dir(), LOCKSPACE_DEFAULT) ||
	    stat(lockspace_dir(), &st) == 0)
		return;
	mkdir("/run/vmlock", 0755);
	if (mkdir(lockspace_dir(), 01777) == 0)
		chmod(lockspace_dir(), 01777);
}

/* Opens the directory once. One that others may write without the
 * sticky bit is refused: anyone could remove a lease file while it is
 * held. Missing and not create: 66. */
static int open_space(bool create, struct vl_error *e)
{
	struct stat st;

	if (space_fd >= 0)
		return 0;
	if (create)
		make_default();
	space_fd = open(lockspace_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (space_fd < 0)
		return vl_fail(e, errno == ENOTDIR ? EX_CONFIG : vl_errno_code(errno),
			       "lockspace %s: %s (configure one with lockspace = "
			       "DIR in vmlock.conf)", lockspace_dir(),
			       strerror(errno));
	if (fstat(space_fd, &st) == 0 && vl_others_may_write(&st) &&
	    !(st.st_mode & S_ISVTX)) {
		close(space_fd);
		space_fd = -1;
		return vl_fail(e, EX_CONFIG, "lockspace %s: writable by others "
			       "(mode %04o) without the sticky bit: anyone could "
			       "remove a lease file while it is held (chmod +t "
			       "it)", lockspace_dir(), (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

/* 32 hex digits, then nothing or a dot: a lease file's name. */
static bool is_lease_name(const char *name)
{
	return strspn(name, "0123456789abcdef") >= HASH_LEN &&
	       (!name[HASH_LEN] || name[HASH_LEN] == '.');
}

/* Calls fn for every entry of the lockspace whose name starts with
 * prefix, until it returns true; returns whether one did. A directory of
 * its own: on a network file system a fresh open sees fresh names. */
static bool each_entry(const char *prefix, bool (*fn)(const char *name,
							void *arg), void *arg)
{
	int fd = openat(space_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	bool stopped = false;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!stopped && (de = readdir(d)))
		stopped = vl_starts_with(de->d_name, prefix) && fn(de->d_name, arg);
	closedir(d);
	return stopped;
}

static bool records_key(int fd, const char *key)
{
	char *recorded = lockspace_read_key(fd, 0, LEASE_MAGIC);
	bool same = recorded && !strcmp(recorded, key);

	free(recorded);
	return same;
}

/* May the caller hold through the lease file on fd? Only when no one but
 * the caller, root and the directory's owner could remove or replace it
 * (the sticky bit keeps the others out): the caller's own regular file,
 * one link, writable by no one else, recording key. */
static bool trusted(int fd, const char *key)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	       st.st_uid == geteuid() && !(st.st_mode & 022) &&
	       st.st_nlink == 1 && records_key(fd, key);
}

static int open_lease(const char *name, int flags, struct stat *st)
{
	return vl_fd_above_stdio(vl_open_regular(space_fd, name, flags |
			O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, st));
}

/* A new lease file recording key, written whole under the temporary
 * name tmp (".new-XXXXXX") before it gets a real one. Its fd, or -1. */
static int make_temp(const char *key, char tmp[16])
{
	char *text = vl_asprintf(LEASE_MAGIC "%s\n", key);
	size_t len = strlen(text);
	int fd = -1;

	for (int tries = 0; fd < 0 && tries < 16; tries++) {
		snprintf(tmp, 16, ".new-%06lx", vl_random() & 0xffffff);
		fd = vl_fd_above_stdio(openat(space_fd, tmp, O_RDWR | O_CREAT |
					       O_EXCL | O_NOFOLLOW | O_CLOEXEC,
					       0600));
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd >= 0 && (fchmod(fd, space_mode) < 0 ||
			write(fd, text, len) != (ssize_t)len)) {
		int err = errno;
		unlinkat(space_fd, tmp, 0);
		close(fd);
		fd = -1;
		errno = err;
	}
	free(text);
	return fd;
}

/* Links a new lease file of key as name: 0, or an errno (EEXIST: the
 * name is taken). The caller opens it by its name, the name its holders
 * show in /proc. */
static int create_as(const char *key, const char *name)
{
	char tmp[16];
	int fd = make_temp(key, tmp), err;

	if (fd < 0)
		return errno;
	err = linkat(space_fd, tmp, space_fd, name, 0) < 0 ? errno : 0;
	unlinkat(space_fd, tmp, 0);
	close(fd);
	return err;
}

/* The lease file under name, when the caller may hold through it, made
 * when missing. Returns its fd, or -1 with errno (EPERM: the name holds
 * a file the caller cannot trust). */
static int take_name(const char *key, const char *name)
{
	struct stat st;

	for (int tries = 0; tries < 3; tries++) {
		int fd = open_lease(name, O_RDWR, &st), err;
		if (fd >= 0 && trusted(fd, key))
			return fd;
		if (fd >= 0 || st.st_mode) {
			if (fd >= 0)
				close(fd);
			errno = EPERM;
			return -1;
		}
		if (errno != ENOENT)
			return -1;
		if ((err = create_as(key, name)) && err != EEXIST) {
			errno = err;
			return -1;
		}
	}
	errno = EAGAIN;
	return -1;
}

struct own_search {
	const char *key;
	int fd;
};

static bool try_own(const char *name, void *arg)
{
	struct own_search *s = arg;
	struct stat st;
	int fd = open_lease(name, O_RDWR, &st);

	if (fd >= 0 && trusted(fd, s->key)) {
		s->fd = fd;
		return true;
	}
	if (fd >= 0)
		close(fd);
	return false;
}

/* The caller's own lease file of key when another user's file took its
 * name: one of the caller's own under name.XXXXXX, made when none. */
static int take_other_name(const char *key, const char *name)
{
	char *prefix = vl_asprintf("%s.", name);
	struct own_search s = { key, -1 };
	int err = 0;

	each_entry(prefix, try_own, &s);
	for (int tries = 0; s.fd < 0 && tries < 16; tries++) {
		char *other = vl_asprintf("%s%06lx", prefix, vl_random() & 0xffffff);
		err = create_as(key, other);
		if (!err)
			try_own(other, &s);
		free(other);
		if (err && err != EEXIST)
			break;
	}
	free(prefix);
	if (s.fd < 0)
		errno = err ? err : EAGAIN;
	return s.fd;
}

static char *own_name(const char *hash)
{
	return vl_asprintf("%s.%u", hash, (unsigned)geteuid());
}

int lockspace_open_resource(struct vl_resource *r, struct vl_error *e)
{
	char *key = lockspace_key(r), *hash = lockspace_file_name(key);
	char *name = own_name(hash);
	int rc = open_space(true, e);

	if (!rc) {
		r->fd = take_name(key, name);
		if (r->fd < 0 && errno == EPERM) {
			vl_debug("%s/%s: not a lease file of yours to hold "
				 "through: using another name", lockspace_dir(),
				 name);
			r->fd = take_other_name(key, name);
		}
		if (r->fd < 0)
			rc = vl_fail(e, vl_errno_code(errno), "lockspace %s: "
				     "cannot make a lease file of yours for %s: "
				     "%s", lockspace_dir(), key, strerror(errno));
	}
	free(name);
	free(hash);
	free(key);
	return rc;
}

struct same_file {
	dev_t dev;
	ino_t ino;
};

static bool is_same(const char *name, void *arg)
{
	struct same_file *f = arg;
	struct stat st;

	return fstatat(space_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       st.st_dev == f->dev && st.st_ino == f->ino;
}

/* Is fd still linked under one of the caller's names of hash? (prune,
 * or root, may have removed it before it was locked) */
static bool linked_as_own(const struct stat *st, const char *hash)
{
	struct same_file f = { st->st_dev, st->st_ino };
	char *name = own_name(hash);
	bool linked = is_same(name, &f) || each_entry(name, is_same, &f);

	free(name);
	return linked;
}

struct rival_search {
	const char *key;
	enum vl_mode mode;
	struct stat own;
	struct stat *st;	/* out: the rival's */
	int *fd;
	bool listed;		/* /proc/locks shows a lock in the way */
};

static void listed_in_the_way(dev_t dev, ino_t ino, off_t start, off_t end,
			      short type, void *arg)
{
	struct rival_search *s = arg;
	struct lp_conflict c;

	s->listed |= dev == s->st->st_dev && ino == s->st->st_ino &&
		     lp_in_the_way(start, end, type, s->mode, &c);
}

/* Another lease file of the key with a lock in the way. One the caller
 * cannot read is judged by this host's /proc/locks. */
static bool in_the_way(const char *name, void *arg)
{
	struct rival_search *s = arg;
	struct lp_conflict c;
	int fd = open_lease(name, O_RDONLY, s->st);
	bool rival = false;

	if (S_ISREG(s->st->st_mode) && (s->st->st_dev != s->own.st_dev ||
					s->st->st_ino != s->own.st_ino)) {
		s->listed = false;
		if (fd < 0)
			holders_proc_locks(listed_in_the_way, s);
		rival = fd >= 0 ? records_key(fd, s->key) &&
				  lp_test(fd, s->mode, &c) == EAGAIN
				: s->listed;
	}
	if (rival)
		*s->fd = fd;
	else if (fd >= 0)
		close(fd);
	return rival;
}

enum fdlock_verdict lockspace_check_resource(const struct vl_resource *r,
					     struct stat *rival,
					     int *rival_fd)
{
	char *key = lockspace_key(r), *hash = lockspace_file_name(key);
	struct rival_search s = { .key = key, .mode = r->mode, .st = rival,
				  .fd = rival_fd };
	enum fdlock_verdict v = FDLOCK_HELD;

	*rival_fd = -1;
	/* after locking, every time: a lease file that another could
	 * remove or replace, or that is gone, holds nothing */
	if (fstat(r->fd, &s.own) < 0 || !trusted(r->fd, key) ||
	    !linked_as_own(&s.own, hash))
		v = FDLOCK_STALE;
	else if (each_entry(hash, in_the_way, &s))
		v = FDLOCK_RIVAL;
	free(hash);
	free(key);
	return v;
}

bool lockspace_contains(const char *path)
{
	size_t len = strlen(lockspace_dir());

	return !strncmp(path, lockspace_dir(), len) && path[len] == '/' &&
	       is_lease_name(path + len + 1) && !strchr(path + len + 1, '/');
}

char *lockspace_display_name(int fd, const char *path)
{
	char *key = fd >= 0 && path && lockspace_contains(path)
		    ? lockspace_read_key(fd, 0, LEASE_MAGIC) : NULL;

	return key ? lockspace_key_label(key) : vl_strdup(path ? path : "?");
}

struct prune {
	void (*pruned)(const char *key);
};

static bool prune_one(const char *name, void *arg)
{
	const struct prune *p = arg;
	struct lp_conflict c;
	struct stat a, b;
	int fd = is_lease_name(name) ? open_lease(name, O_RDWR, &a) : -1;

	if (fd < 0)
		return false;
	char *key = lockspace_read_key(fd, 0, LEASE_MAGIC);
	if (lp_lock(fd, VL_EXCLUSIVE, &c) == 0 &&
	    fstatat(space_fd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
	    unlinkat(space_fd, name, 0) == 0)
		p->pruned(key ? key : name);
	free(key);
	close(fd);
	return false;
}

int lockspace_prune(void (*pruned)(const char *key), struct vl_error *e)
{
	struct prune p = { pruned };
	int rc = open_space(false, e);

	if (!rc)
		each_entry("", prune_one, &p);
	return rc;
}

struct holders_search {
	const char *key;
	struct vl_holders *out;
};

static bool add_holders(const char *name, void *arg)
{
	struct holders_search *s = arg;
	struct vl_holders h = {0};
	struct stat st;
	int fd = open_lease(name, O_RDONLY, &st);

	if (S_ISREG(st.st_mode) && (fd < 0 || records_key(fd, s->key))) {
		fdlock_holders(fd, &st, &h);
		for (size_t i = 0; i < h.n; i++)
			*vl_holders_add(s->out) = h.v[i];
		free(h.v);
	}
	if (fd >= 0)
		close(fd);
	return false;
}

int lockspace_inquire(const struct vl_resource *r, struct vl_holders *out,
		      struct vl_error *e)
{
	char *key = lockspace_key(r), *hash = lockspace_file_name(key);
	struct holders_search s = { key, out };
	int rc = open_space(false, e);

	if (!rc)
		each_entry(hash, add_holders, &s);
	free(hash);
	free(key);
	return rc == EX_NOINPUT ? 0 : rc;	/* no lockspace: nobody holds */
}
