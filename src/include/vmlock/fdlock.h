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

#ifdef __cplusplus
extern "C" {
#endif

struct fdlock_ops {
	/* Opens the file carrying r's locks into r->fd, close-on-exec. */
	int (*open)(struct vl_resource *r, struct vl_error *e);
	/* Once locked: is r->fd still the right file? (NULL: always) */
	bool (*still_valid)(const struct vl_resource *r);
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

/* Opener and check for resources kept in the lockspace directory. */
int lockspace_open_resource(struct vl_resource *r, struct vl_error *e);
bool lockspace_resource_valid(const struct vl_resource *r);
/* Holders of r's lease file (none when it has none). */
int lockspace_inquire(const struct vl_resource *r, struct vl_holders *out,
		      struct vl_error *e);
/* Removes every lease file nobody holds, checked under its lock. */
int lockspace_prune(void (*pruned)(const char *key), struct vl_error *e);
/* The stable key of a resource: "file:" + canonical path, "lvm:" LV UUID
 * or "wwid:" WWID for block devices, "lease:" + name. Newly allocated. */
char *lockspace_key(const struct vl_resource *r);
/* A lease file's name for key: 32 hex digits. Newly allocated. */
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
