/* Resources to lock, the modes they are wanted in, and errors reported
 * without exiting, so that readers stay pure and testable. Installed with
 * driver.h for driver modules. */
#ifndef VMLOCK_RESOURCE_H
#define VMLOCK_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sysexits.h>
#include <time.h>

enum vl_mode { VL_EXCLUSIVE, VL_SHARED, VL_READONLY };
enum vl_kind { VL_FILE, VL_LEASE };

struct vl_resource {
	char *path;		/* VL_FILE: absolute path as given; VL_LEASE: name */
	enum vl_kind kind;
	enum vl_mode mode;
	unsigned depth;		/* 0: named directly; n: n-th backing image below */
	bool optional;		/* skipped, with a note, when it cannot be opened */
	/* filled by a driver while the resource is held */
	int fd;
	dev_t dev;
	ino_t ino;
	int slot;		/* handover slot taken, or -1 */
};

struct vl_reslist {
	struct vl_resource *v;
	size_t n, cap;
};

/* A point on CLOCK_MONOTONIC, or never (forever = true). */
struct vl_deadline {
	bool forever;
	struct timespec at;
};

/* A failure: an exit code from DESIGN.md and the message to print. */
struct vl_error {
	int code;
	char msg[1024];
};

const char *vl_mode_name(enum vl_mode m);
/* "exclusive", "shared" or "readonly"; false for anything else */
bool vl_mode_parse(const char *s, enum vl_mode *m);
/* Compatibility matrix of DESIGN.md. */
bool vl_modes_compatible(enum vl_mode a, enum vl_mode b);
/* The mode one process needs when it uses one file in both modes. */
enum vl_mode vl_mode_stronger(enum vl_mode a, enum vl_mode b);

struct vl_resource *vl_reslist_add(struct vl_reslist *l, enum vl_kind kind,
				   const char *path, enum vl_mode mode,
				   unsigned depth);
void vl_reslist_free(struct vl_reslist *l);
/* How messages name a resource: its path, or "lease:NAME". */
const char *vl_resource_label(const struct vl_resource *r);

/* Sets e and returns code. */
int vl_fail(struct vl_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The exit code for an errno met while opening or locking a resource. */
int vl_errno_code(int err);

#endif
