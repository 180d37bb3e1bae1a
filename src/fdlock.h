/* Locks carried by files: the engine of the drivers that put the lock
 * byte protocol on an fd (the image itself, or a lease file). */
#ifndef VMLOCK_FDLOCK_H
#define VMLOCK_FDLOCK_H

#include "driver.h"

#include <sys/stat.h>

struct fdlock_ops {
	/* Opens the file carrying r's locks into r->fd, close-on-exec. */
	int (*open)(struct vl_resource *r, struct vl_error *e);
	/* Once locked: is r->fd still the right file? (NULL: always) */
	bool (*still_valid)(const struct vl_resource *r);
};

int fdlock_acquire(struct vl_reslist *l, const struct vl_acquire_opts *o,
		   const struct fdlock_ops *ops, struct vl_error *e);
void fdlock_release(struct vl_reslist *l);
int fdlock_prepare_exec(struct vl_reslist *l, struct vl_error *e);
/* Holders of the file open on fd (-1 when unreadable) with identity st. */
void fdlock_holders(int fd, const struct stat *st, struct vl_holders *out);
int fdlock_handover(long pid, const struct vl_deadline *d,
		    void (*done)(const char *path), struct vl_error *e);

/* The image itself: read-write for exclusive and shared, read-only for
 * readonly; a regular file or block device, still the file planned. */
int fdlock_open_image(struct vl_resource *r, struct vl_error *e);
/* Moves fd above 0-2, which the command would take for its stdio. */
int fdlock_above_stdio(int fd);

#endif
