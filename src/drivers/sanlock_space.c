/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The sanlock driver's storage: its configuration, the lease files (a
 * sanlock lease, then vmlock's trailer), the lockspace this host joins,
 * and what sanlock's return values mean. */
#include "drivers/sanlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define DEFAULT_DIR "/var/lib/vmlock/sanlock"
#define DEFAULT_LOCKSPACE "vmlock"
#define DEFAULT_IO_TIMEOUT 10

/* After sanlock's area (align size) each lease file carries a trailer of
 * vmlock's: the magic and the resource's key, then one pid hint per
 * host_id, so that inquire can name a local holder (checked with the
 * daemon before it is believed). */
#define LEASE_MAGIC "vmlock-sanlock-lease 1\n"
#define KEY_AREA 4096
#define SLOT 32
#define MAX_HOSTS 2000
#define TRAILER (KEY_AREA + MAX_HOSTS * SLOT)

struct sl_state S = { .sock = -1 };

/* ---- sanlock return codes ------------------------------------------- */

static const struct {
	int rv, code;
	const char *text;
} rvs[] = {
	{ -ENOENT, EX_OSERR, "the sanlock daemon is not running (no socket "
	  "in $SANLOCK_RUN_DIR or /run/sanlock)" },
	{ -ECONNREFUSED, EX_OSERR, "the sanlock daemon is not running "
	  "(connection refused)" },
	{ -EACCES, EX_NOPERM, "permission denied by the sanlock daemon" },
	{ -EPERM, EX_NOPERM, "permission denied by the sanlock daemon" },
	{ -ESRCH, EX_NOINPUT, "the process is not registered with the "
	  "sanlock daemon" },
	{ -EEXIST, EX_TEMPFAIL, "held by another process of this host" },
	{ -EBUSY, EX_TEMPFAIL, "the sanlock daemon is busy with this "
	  "process; try again" },
	{ -ENOSPC, EX_OSERR, "the lockspace is not joined on this host, or "
	  "has failed" },
	{ -E2BIG, EX_SOFTWARE, "too many leases in one call" },
	{ SANLK_ACQUIRE_IDLIVE, EX_TEMPFAIL, "held by another host, which "
	  "is alive" },
	{ SANLK_ACQUIRE_OWNED, EX_TEMPFAIL, "held by another host" },
	{ SANLK_ACQUIRE_OTHER, EX_TEMPFAIL, "held by another host" },
	{ SANLK_ACQUIRE_SHRETRY, EX_TEMPFAIL, "shared holders are "
	  "changing; try again" },
	{ SANLK_ACQUIRE_OWNED_RETRY, EX_TEMPFAIL, "the owner host is dead "
	  "but its lease has not yet timed out (8 x io_timeout + 60 s after "
	  "its last renewal); --wait retries" },
	{ SANLK_ACQUIRE_LVER, EX_TEMPFAIL, "the lease version changed: the "
	  "lease changed hands since that state was taken" },
	{ SANLK_ACQUIRE_LOCKSPACE, EX_CONFIG, "the lease belongs to another "
	  "lockspace" },
	{ SANLK_ACQUIRE_IDDISK, EX_CONFIG, "the lease belongs to another "
	  "lockspace" },
	{ SANLK_HOSTID_BUSY, EX_CONFIG, "this host_id is in use by another "
	  "host: give every host its own sanlock.host_id" },
	{ SANLK_ADDLS_INVALID_HOSTID, EX_CONFIG, "host_id out of range for "
	  "this lockspace" },
	{ SANLK_AIO_TIMEOUT, EX_OSERR, "i/o to the lease storage timed out" },
	{ SANLK_LEADER_MAGIC, EX_SOFTWARE, "not a sanlock lease (bad magic)" },
	{ SANLK_LEADER_LOCKSPACE, EX_SOFTWARE, "the lease file names another "
	  "lockspace" },
	{ SANLK_LEADER_RESOURCE, EX_SOFTWARE, "the lease file names another "
	  "resource" },
	{ SANLK_LEADER_CHECKSUM, EX_SOFTWARE, "the lease file is corrupt "
	  "(checksum)" },
};

const char *sl_rv_text(int rv)
{
	for (size_t i = 0; i < sizeof rvs / sizeof *rvs; i++)
		if (rvs[i].rv == rv)
			return rvs[i].text;
	if (rv <= SANLK_DBLOCK_READ && rv >= SANLK_LEADER_CHECKSUM)
		return "i/o error or bad data on the lease storage";
	if (rv > -200)
		return strerror(-rv);
	return sanlock_strerror(rv);
}

int sl_rv_code(int rv)
{
	for (size_t i = 0; i < sizeof rvs / sizeof *rvs; i++)
		if (rvs[i].rv == rv)
			return rvs[i].code;
	if (rv <= SANLK_DBLOCK_READ && rv >= SANLK_LEADER_CHECKSUM)
		return EX_OSERR;
	return rv > -200 ? vl_errno_code(-rv) : EX_SOFTWARE;
}

bool sl_rv_busy(int rv)
{
	return sl_rv_code(rv) == EX_TEMPFAIL && rv != SANLK_ACQUIRE_LVER;
}

int sl_fail(struct vl_error *e, int rv, const char *what)
{
	return vl_fail(e, sl_rv_code(rv), "%s: %s (sanlock %d)", what,
		       sl_rv_text(rv), rv);
}

/* ---- configuration ---------------------------------------------------- */

static bool valid_name(const char *s)
{
	return *s && strlen(s) < SANLK_NAME_LEN &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") == strlen(s);
}

int sl_init(const struct vl_driver_config *c, struct vl_error *e)
{
	const char *dir = c->option(c->ctx, "sanlock.directory");
	const char *name = c->option(c->ctx, "sanlock.lockspace");
	const char *id = c->option(c->ctx, "sanlock.host_id");
	const char *io = c->option(c->ctx, "sanlock.io_timeout");

	dir = dir ? dir : DEFAULT_DIR;
	name = name ? name : DEFAULT_LOCKSPACE;
	if (dir[0] != '/' || strlen(dir) >= sizeof S.dir)
		return vl_fail(e, EX_CONFIG, "sanlock.directory \"%s\": not an "
			       "absolute path shorter than %zu", dir,
			       sizeof S.dir);
	if (!valid_name(name))
		return vl_fail(e, EX_CONFIG, "sanlock.lockspace \"%s\": 1-%d "
			       "letters, digits, '_', '.', '-'", name,
			       SANLK_NAME_LEN - 1);
	snprintf(S.dir, sizeof S.dir, "%s", dir);
	snprintf(S.name, sizeof S.name, "%s", name);
	S.host_id = id ? strtol(id, NULL, 10) : 0;
	S.io_timeout = io ? (unsigned)strtoul(io, NULL, 10) : DEFAULT_IO_TIMEOUT;
	return 0;
}

/* ---- lease files ------------------------------------------------------ */

struct sanlk_resource *sl_new_res(const char *lease, enum vl_mode mode)
{
	struct sanlk_resource *r = vl_calloc(1, sizeof *r +
					   sizeof(struct sanlk_disk));

	memcpy(r->lockspace_name, S.name, strlen(S.name));
	memcpy(r->name, lease, strlen(lease));
	r->num_disks = 1;
	snprintf(r->disks[0].path, SANLK_PATH_LEN, "%s/%s", S.dir, lease);
	if (mode != VL_EXCLUSIVE)
		r->flags |= SANLK_RES_SHARED;
	return r;
}

static char *lockspace_path(void)
{
	return vl_asprintf("%s/%s.lockspace", S.dir, S.name);
}

/* Writes the trailer (key, empty pid slots) at offset align of fd. */
static int write_trailer(int fd, off_t align, const char *key)
{
	char buf[KEY_AREA] = {0};

	snprintf(buf, sizeof buf, "%s%s\n", LEASE_MAGIC, key);
	if (pwrite(fd, buf, sizeof buf, align) != (ssize_t)sizeof buf ||
	    ftruncate(fd, align + TRAILER) < 0)
		return -errno;
	return 0;
}

/* Initialises a new file tmp: for a resource, sanlock's lease and then
 * vmlock's trailer; for the lockspace (lease NULL), the host id leases. */
static int init_file(const char *tmp, const char *lease, const char *key)
{
	struct sanlk_disk disk = {0};
	int rv, fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);

	if (fd < 0)
		return -errno;
	snprintf(disk.path, sizeof disk.path, "%s", tmp);
	rv = sanlock_align(&disk);
	if (rv > 0 && lease)
		rv = write_trailer(fd, rv, key);
	close(fd);
	if (rv < 0)
		return rv;
	if (!lease) {
		struct sanlk_lockspace ls = { .host_id_disk = disk };
		memcpy(ls.name, S.name, strlen(S.name));
		return sanlock_write_lockspace(&ls, 0, 0, S.io_timeout);
	}
	struct sanlk_resource *r = sl_new_res(lease, VL_EXCLUSIVE);
	r->disks[0] = disk;
	rv = sanlock_write_resource(r, 0, 0, 0);
	free(r);
	return rv;
}

/* The lease file path exists, initialised: made under a temporary name
 * and linked into place, so a half-written one is never seen. lease
 * NULL: the lockspace file. */
int sl_ensure_file(const char *path, const char *lease, const char *key,
		       struct vl_error *e)
{
	if (access(path, F_OK) == 0)
		return 0;
	char *tmp = vl_asprintf("%s/.%s.%ld.tmp", S.dir, lease ? lease : S.name,
			      (long)getpid());
	unlink(tmp);
	int rv = init_file(tmp, lease, key);
	if (!rv && link(tmp, path) < 0 && errno != EEXIST)
		rv = -errno;
	unlink(tmp);
	free(tmp);
	if (rv == -ENOENT && access(S.dir, F_OK) < 0)
		return vl_fail(e, EX_CONFIG, "sanlock.directory %s: %s", S.dir,
			       strerror(ENOENT));
	return rv ? sl_fail(e, rv, path) : 0;
}

/* The key recorded in a lease file's trailer, or NULL. */
static char *read_key(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *key = fd >= 0 && fstat(fd, &st) == 0 && st.st_size > TRAILER
		    ? lockspace_read_key(fd, st.st_size - TRAILER, LEASE_MAGIC)
		    : NULL;

	if (fd >= 0)
		close(fd);
	return key;
}

/* How messages name the resource of a lease file. */
char *sl_label_of(const char *path)
{
	char *key = read_key(path);

	return key ? lockspace_key_label(key) : vl_strdup(path);
}

/* Pid hint slot of host_id in a lease file: read (pid >= 0) or write. */
long sl_pid_slot(const char *path, long host_id, long pid)
{
	char buf[SLOT + 1] = {0};
	struct stat st;
	long got = -1;
	int fd = open(path, (pid >= 0 ? O_WRONLY : O_RDONLY) | O_CLOEXEC);

	if (fd < 0 || host_id < 1 || host_id > MAX_HOSTS)
		goto out;
	if (fstat(fd, &st) < 0 || st.st_size <= TRAILER)
		goto out;
	off_t off = st.st_size - TRAILER + KEY_AREA + (host_id - 1) * SLOT;
	if (pid >= 0) {
		snprintf(buf, sizeof buf, "%ld", pid);
		got = pwrite(fd, buf, SLOT, off) == SLOT ? pid : -1;
	} else if (pread(fd, buf, SLOT, off) > 0 && *buf) {
		got = strtol(buf, NULL, 10);
	}
out:
	if (fd >= 0)
		close(fd);
	return got;
}

/* ---- the lockspace ---------------------------------------------------- */

/* Is the lockspace joined (1), being joined (2), left (3), or not (0)? */
int sl_lockspace_state(struct vl_error *e)
{
	struct sanlk_lockspace *ls = NULL;
	int n = 0, state = 0, rv = sanlock_get_lockspaces(&ls, &n, 0);

	if (rv < 0)
		return -sl_fail(e, rv, "sanlock daemon");
	for (int i = 0; i < n; i++) {
		if (strncmp(ls[i].name, S.name, SANLK_NAME_LEN))
			continue;
		S.joined_id = (long)ls[i].host_id;
		state = ls[i].flags & SANLK_LSF_ADD ? 2 :
			ls[i].flags & SANLK_LSF_REM ? 3 : 1;
	}
	free(ls);
	return state;
}

static void lockspace_struct(struct sanlk_lockspace *ls, long host_id)
{
	char *path = lockspace_path();

	*ls = (struct sanlk_lockspace){ .host_id = (uint64_t)host_id };
	memcpy(ls->name, S.name, strlen(S.name));
	snprintf(ls->host_id_disk.path, sizeof ls->host_id_disk.path, "%s",
		 path);
	free(path);
}

static int add_lockspace(struct vl_error *e)
{
	struct sanlk_lockspace ls;
	struct timespec a, b;

	if (!S.host_id)
		return vl_fail(e, EX_CONFIG, "sanlock lockspace %s is not joined "
			       "on this host and sanlock.host_id is not set: "
			       "give each host its own id (1-2000) in "
			       "vmlock.conf", S.name);
	lockspace_struct(&ls, S.host_id);
	char *path = lockspace_path();
	int rc = sl_ensure_file(path, NULL, NULL, e);
	free(path);
	if (rc)
		return rc;
	vl_debug("joining sanlock lockspace %s as host_id %ld (io_timeout "
		 "%u s)", S.name, S.host_id, S.io_timeout);
	clock_gettime(CLOCK_MONOTONIC, &a);
	int rv = sanlock_add_lockspace_timeout(&ls, 0, S.io_timeout);
	if (rv == -EINPROGRESS)
		rv = sanlock_inq_lockspace(&ls, SANLK_INQ_WAIT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (rv < 0 && rv != -EEXIST)
		return sl_fail(e, rv, ls.host_id_disk.path);
	vl_note("joined sanlock lockspace %s as host_id %ld in %.1f s",
		S.name, S.host_id, (double)(b.tv_sec - a.tv_sec) +
		(b.tv_nsec - a.tv_nsec) / 1e9);
	S.joined_id = S.host_id;
	return 0;
}

/* Joins the lockspace unless this host has already. */
int sl_join(struct vl_error *e)
{
	struct sanlk_lockspace ls;
	int state = sl_lockspace_state(e);

	if (state < 0)
		return -state;
	if (state == 1)
		return 0;
	if (state == 3)
		return vl_fail(e, EX_OSERR, "sanlock lockspace %s is being "
			       "left on this host; try again", S.name);
	if (state == 0)
		return add_lockspace(e);
	lockspace_struct(&ls, S.joined_id);
	int rv = sanlock_inq_lockspace(&ls, SANLK_INQ_WAIT);
	return rv < 0 ? sl_fail(e, rv, ls.host_id_disk.path) : 0;
}
