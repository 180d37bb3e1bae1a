/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
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

static char *space_dir;
static mode_t space_mode = 0600;

void lockspace_configure(const char *dir, mode_t file_mode)
{
	char *real = realpath(dir ? dir : LOCKSPACE_DEFAULT, NULL);

	free(space_dir);	/* canonical: lease files are known by path */
	space_dir = real ? real : vl_strdup(dir ? dir : LOCKSPACE_DEFAULT);
	space_mode = file_mode ? file_mode : 0600;
}

const char *lockspace_dir(void)
{
	if (!space_dir)
		lockspace_configure(NULL, 0);
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

static int ensure_dir(struct vl_error *e)
{
	struct stat st;

	if (stat(lockspace_dir(), &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 :
		       vl_fail(e, EX_CONFIG, "lockspace %s: not a directory",
			       lockspace_dir());
	/* the default lives in /run: make it on first use when we may */
	if (strcmp(lockspace_dir(), LOCKSPACE_DEFAULT) == 0 && errno == ENOENT) {
		mkdir("/run/vmlock", 0755);
		if (mkdir(lockspace_dir(), 01777) == 0 || errno == EEXIST) {
			chmod(lockspace_dir(), 01777);
			return 0;
		}
	}
	return vl_fail(e, vl_errno_code(errno), "lockspace %s: %s (configure "
		       "one with lockspace = DIR in vmlock.conf)", lockspace_dir(),
		       strerror(errno));
}

/* Written whole before it gets its name, so a lease file always records
 * its key. */
static int create_lease(const char *key, const char *path, struct vl_error *e)
{
	char *tmp = vl_asprintf("%s/.new-XXXXXX", lockspace_dir());
	int fd = mkostemp(tmp, O_CLOEXEC);	/* O_EXCL */
	int rc = 0;

	if (fd < 0) {
		rc = vl_fail(e, vl_errno_code(errno), "lockspace %s: cannot "
			     "create a lease file: %s", lockspace_dir(),
			     strerror(errno));
		free(tmp);
		return rc;
	}
	char *text = vl_asprintf(LEASE_MAGIC "%s\n", key);
	size_t len = strlen(text);
	if (fchmod(fd, space_mode) < 0 || write(fd, text, len) != (ssize_t)len ||
	    (link(tmp, path) < 0 && errno != EEXIST))
		rc = vl_fail(e, vl_errno_code(errno), "%s: cannot create lease "
			     "file for %s: %s", path, key, strerror(errno));
	unlink(tmp);
	close(fd);
	free(text);
	free(tmp);
	return rc;
}

int lockspace_open(const char *key, bool create, int *fd, struct vl_error *e)
{
	char *name = lockspace_file_name(key);
	char *path = vl_asprintf("%s/%s", lockspace_dir(), name);
	int rc = create ? ensure_dir(e) : 0;
	struct stat st;

	*fd = -1;
	for (int tries = 0; !rc && *fd < 0 && tries < 3; tries++) {
		*fd = vl_fd_above_stdio(open(path, O_RDWR | O_NOFOLLOW |
					      O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
		if (*fd < 0 && errno == ENOENT && create)
			rc = create_lease(key, path, e);
		else if (*fd < 0)
			rc = vl_fail(e, vl_errno_code(errno), "%s: lease file "
				     "of %s: %s", path, key, strerror(errno));
	}
	if (!rc && (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)))
		rc = vl_fail(e, EX_CONFIG, "%s: lease file of %s is not a "
			     "regular file", path, key);
	if (!rc) {
		char *recorded = lockspace_read_key(*fd, 0, LEASE_MAGIC);
		if (!recorded || strcmp(recorded, key))
			rc = vl_fail(e, EX_SOFTWARE, "%s: lease file records "
				     "\"%s\", not \"%s\"", path,
				     recorded ? recorded : "nothing", key);
		free(recorded);
	}
	if (rc && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	free(name);
	free(path);
	return rc;
}

bool lockspace_still_linked(int fd, const char *key)
{
	char *name = lockspace_file_name(key);
	char *path = vl_asprintf("%s/%s", lockspace_dir(), name);
	struct stat a, b;
	bool linked = fstat(fd, &a) == 0 && a.st_nlink > 0 &&
		      lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
		      a.st_ino == b.st_ino;

	free(name);
	free(path);
	return linked;
}

bool lockspace_contains(const char *path)
{
	size_t len = strlen(lockspace_dir());

	return !strncmp(path, lockspace_dir(), len) && path[len] == '/' &&
	       strlen(path + len + 1) == 32 && !strchr(path + len + 1, '/');
}

char *lockspace_display_name(int fd, const char *path)
{
	char *key = fd >= 0 && path && lockspace_contains(path)
		    ? lockspace_read_key(fd, 0, LEASE_MAGIC) : NULL;

	return key ? lockspace_key_label(key) : vl_strdup(path ? path : "?");
}

static bool is_lease_name(const char *name)
{
	return strlen(name) == 32 && strspn(name, "0123456789abcdef") == 32;
}

static void prune_one(int dirfd, const char *name,
		      void (*pruned)(const char *key))
{
	int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_NOCTTY |
			O_NONBLOCK | O_CLOEXEC);
	struct lp_conflict c;
	struct stat a, b;

	if (fd < 0)
		return;
	char *key = lockspace_read_key(fd, 0, LEASE_MAGIC);
	if (lp_lock(fd, VL_EXCLUSIVE, &c) == 0 && fstat(fd, &a) == 0 &&
	    fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
	    unlinkat(dirfd, name, 0) == 0)
		pruned(key ? key : name);
	free(key);
	close(fd);
}

int lockspace_prune(void (*pruned)(const char *key), struct vl_error *e)
{
	DIR *d = opendir(lockspace_dir());
	struct dirent *de;

	if (!d)
		return vl_fail(e, vl_errno_code(errno), "lockspace %s: %s",
			       lockspace_dir(), strerror(errno));
	while ((de = readdir(d)))
		if (is_lease_name(de->d_name))
			prune_one(dirfd(d), de->d_name, pruned);
	closedir(d);
	return 0;
}

int lockspace_open_resource(struct vl_resource *r, struct vl_error *e)
{
	char *key = lockspace_key(r);
	int rc = lockspace_open(key, true, &r->fd, e);

	free(key);
	return rc;
}

bool lockspace_resource_valid(const struct vl_resource *r)
{
	char *key = lockspace_key(r);
	bool valid = lockspace_still_linked(r->fd, key);

	free(key);
	return valid;
}

int lockspace_inquire(const struct vl_resource *r, struct vl_holders *out,
		      struct vl_error *e)
{
	char *key = lockspace_key(r);
	struct stat st;
	int fd, rc = lockspace_open(key, false, &fd, e);

	free(key);
	if (rc == EX_NOINPUT)	/* no lease file: nobody ever held it */
		return 0;
	if (!rc && fstat(fd, &st) == 0)
		fdlock_holders(fd, &st, out);
	if (fd >= 0)
		close(fd);
	return rc;
}
