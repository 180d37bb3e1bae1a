/* The lockspace directory: one lease file per resource, named by a hash
 * of a stable key, carrying the same lock bytes as an image would. For
 * block devices seen by several hosts, storage without POSIX locks, and
 * named leases. */
#ifndef VMLOCK_LOCKSPACE_H
#define VMLOCK_LOCKSPACE_H

#include "driver.h"

#include <sys/stat.h>

#define LOCKSPACE_DEFAULT "/run/vmlock/lockspace"

/* dir NULL: the default. file_mode: 0600 or 0640. */
void lockspace_configure(const char *dir, mode_t file_mode);
const char *lockspace_dir(void);

/* The stable key of a resource: "file:" + canonical path, "lvm:" LV UUID
 * or "wwid:" WWID for block devices, "lease:" + name. */
char *lockspace_key(const struct vl_resource *r);
/* The lease file's name in the directory: 32 hex digits. */
char *lockspace_file_name(const char *key);

/* Opens the lease file of key read-write, creating it when missing
 * (create: false → ENOENT is 66). Returns 0 with *fd, or an exit code. */
int lockspace_open(const char *key, bool create, int *fd, struct vl_error *e);
/* After locking: is fd still the file under key's name? (prune may have
 * unlinked it in between) */
bool lockspace_still_linked(int fd, const char *key);
/* The key recorded in a lease file, or NULL. */
char *lockspace_read_key(int fd);
/* How a file open on fd, known by path, is shown: for a lease file of
 * the lockspace what it stands for (an image path, "lease:NAME", ...),
 * else path. Newly allocated. */
char *lockspace_display_name(int fd, const char *path);
/* Is path a lease file of the lockspace? */
bool lockspace_contains(const char *path);

/* Removes every lease file whose lock it can take (no holder), checked
 * under that lock; calls pruned(key) for each. */
int lockspace_prune(void (*pruned)(const char *key), struct vl_error *e);

/* fdlock openers for resources kept in the lockspace. */
int lockspace_open_resource(struct vl_resource *r, struct vl_error *e);
bool lockspace_resource_valid(const struct vl_resource *r);
/* Holders of r's lease file (none when it has none). */
int lockspace_inquire(const struct vl_resource *r, struct vl_holders *out,
		      struct vl_error *e);
/* Driver init: lockspace directory and lockspace.file_mode. */
int lockspace_init(const struct vl_driver_config *c, struct vl_error *e);

#endif
