/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The file-lock engine: vmlock's lock bytes (vmlock(1), LOCK BYTES) as
 * OFD locks on a file that carries them, the image itself or a lease
 * file of the lockspace directory. The fcntl and lockspace drivers are
 * this engine with two openers; a module may build another driver on it
 * with fdlock_ops of its own. Part of the driver module interface. */
#ifndef VMLOCK_FDLOCK_H
#define VMLOCK_FDLOCK_H

#include <vmlock/driver.h>

#include <sys/stat.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a check says of a resource once every lock is held. */
enum fdlock_verdict {
	FDLOCK_HELD,	/* its locks on r->fd count */
	FDLOCK_STALE,	/* r->fd is not the file to hold through (any more):
			 * open it again and start over */
	FDLOCK_RIVAL,	/* another file that stands for r too carries a lock
			 * in the way of r's mode: busy */
};

struct fdlock_ops {
	/* Opens the file carrying r's locks into r->fd, close-on-exec. */
	int (*open)(struct vl_resource *r, struct vl_error *e);
	/* Once every lock is held: may r hold through r->fd? For
	 * FDLOCK_RIVAL, *rival is the rival file's status and *rival_fd an
	 * fd open on it (the caller closes it), or -1 when it is not
	 * readable. NULL: always FDLOCK_HELD. */
	enum fdlock_verdict (*check)(const struct vl_resource *r,
				     struct stat *rival, int *rival_fd);
};

/* Driver init for the engine: the lockspace directory, the
 * lockspace.file_mode option, the VM-name lookup. */
int fdlock_init(const struct vl_driver_config *c, struct vl_error *e);
/* The driver callbacks, over the files ops opens. */
int fdlock_acquire(struct vl_reslist *l, const struct vl_acquire_opts *o,
		   const struct fdlock_ops *ops, struct vl_error *e);
void fdlock_release(struct vl_reslist *l);
int fdlock_prepare_exec(struct vl_reslist *l, struct vl_error *e);
/* Every file of this host locked in vmlock's bytes, lease files shown
 * as what they stand for. */
int fdlock_inquire_all(struct vl_found_list *out, struct vl_error *e);
int fdlock_handover(long pid, const struct vl_deadline *d,
		    void (*done)(const char *path), struct vl_error *e);
/* Holders of the image r names: the processes of this host and the
 * kernel's view of its locks (all of this host's when it cannot be read). */
int fdlock_inquire_image(const struct vl_resource *r, struct vl_holders *out,
			 struct vl_error *e);

/* Opener: the image itself, read-write for exclusive and shared,
 * read-only for readonly; a regular file or block device, still the file
 * planned. */
int fdlock_open_image(struct vl_resource *r, struct vl_error *e);

/* Opener and check for resources kept in the lockspace directory
 * (vmlock(1), LOCKSPACE): r is held through a lease file of the caller's
 * own, which no one but the caller, root and the directory's owner can
 * remove, and counts only while no other user's lease file of r carries
 * a lock in the way. */
int lockspace_open_resource(struct vl_resource *r, struct vl_error *e);
enum fdlock_verdict lockspace_check_resource(const struct vl_resource *r,
					     struct stat *rival,
					     int *rival_fd);
/* Holders of r's lease files (none when it has none). */
int lockspace_inquire(const struct vl_resource *r, struct vl_holders *out,
		      struct vl_error *e);
/* Removes every lease file nobody holds (that the caller may remove),
 * checked under its lock. */
int lockspace_prune(void (*pruned)(const char *key), struct vl_error *e);
/* The stable key of a resource: "file:" + canonical path, "lvm:" LV UUID
 * or "wwid:" WWID for block devices, "lease:" + name. Newly allocated. */
char *lockspace_key(const struct vl_resource *r);
/* The hash that names key's lease files: 32 hex digits. Newly
 * allocated. */
char *lockspace_file_name(const char *key);
/* The key a lease file records at offset, on the line after magic; NULL
 * when it records none. Newly allocated. */
char *lockspace_read_key(int fd, off_t offset, const char *magic);
/* How messages show a key: "file:/x" as /x, others as they are. Takes
 * key over. */
char *lockspace_key_label(char *key);

#ifdef __cplusplus
}
#endif

#endif
