/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Resources to lock, the modes they are wanted in, deadlines, and errors
 * reported without exiting. Part of the driver module interface
 * (<vmlock/driver.h>).
 *
 * The error convention, everywhere in vmlock: a function that can fail
 * for a reason a user must read returns 0 or an exit code (vmlock(1),
 * EXIT STATUS; <sysexits.h> names) and fills a struct vl_error with the
 * one message to print: the path, the mode wanted, the mode held and the
 * holder where there is one. It never prints nor exits; the command
 * prints e->msg once. vl_fail() may be given e->msg itself as an
 * argument, to add context to a lower layer's message. Only the
 * lock-byte primitives (lock/lockproto.h) return a bare errno, and
 * predicates return bool. */
#ifndef VMLOCK_RESOURCE_H
#define VMLOCK_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sysexits.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* A failure: an exit code (vmlock(1), EXIT STATUS) and the message. */
struct vl_error {
	int code;
	char msg[1024];
};

const char *vl_mode_name(enum vl_mode m);

/* How messages name a resource: its path, or "lease:NAME". */
const char *vl_resource_label(const struct vl_resource *r);

/* Sets e and returns code. */
int vl_fail(struct vl_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The exit code for an errno met while opening or locking a resource. */
int vl_errno_code(int err);

bool vl_deadline_passed(const struct vl_deadline *d);
/* Seconds left, 0 when passed; a large number when forever. */
double vl_deadline_left(const struct vl_deadline *d);

#ifdef __cplusplus
}
#endif

#endif
