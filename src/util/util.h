/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Helpers every layer shares: what <vmlock/util.h> exports to driver
 * modules, plus strings, growable arrays, numbers and file identities.
 * Nothing here knows about locks, QEMU or images. */
#ifndef VMLOCK_UTIL_UTIL_H
#define VMLOCK_UTIL_UTIL_H

#include <vmlock/util.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

extern const char *vl_progname;
extern int vl_verbosity;	/* -1 quiet, 0 normal, 1 verbose */

_Noreturn void vl_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

char *vl_strndup(const char *s, size_t n);
bool vl_starts_with(const char *s, const char *prefix);
/* Is s one of the strings of the NULL-ended list? (false for s NULL) */
bool vl_in_list(const char *s, const char *const *list);

/* on/yes/true/y and off/no/false/n, as QEMU and vmlock.conf(5) spell them;
 * false when s is none of them. */
bool vl_parse_bool(const char *s, bool *value);
/* A process id: a decimal > 0, nothing else. */
bool vl_parse_pid(const char *s, long *pid);
/* A number of seconds: a decimal >= 0 (at most 1e9), or -1 for forever. */
bool vl_parse_seconds(const char *s, double *out);

/* Growable arrays: a pointer, a count and a capacity. VL_PUSH makes room
 * for one more element and returns a pointer to it (uninitialised). */
void *vl_grow(void *v, size_t *cap, size_t size);
#define VL_PUSH(v, n, cap) \
	((n) == (cap) ? (void)((v) = vl_grow((v), &(cap), sizeof *(v))) \
		      : (void)0, &(v)[(n)++])

/* Calls fn(i, thread, arg) once for each i in [0, n), from up to threads
 * threads at once (at most 32), this one among them (thread: which one,
 * in [0, threads)); returns when every call has. With threads <= 1, or
 * when no thread can be started, this thread makes every call. */
typedef void vl_fan_fn(size_t i, unsigned thread, void *arg);
void vl_fan_out(size_t n, unsigned threads, vl_fan_fn *fn, void *arg);

/* Orders files by identity (device, then inode): -1, 0 or 1. */
int vl_cmp_ident(dev_t dev_a, ino_t ino_a, dev_t dev_b, ino_t ino_b);

/* May anyone but the owner and root write it? (world-writable, or
 * group-writable for a group other than root's) */
bool vl_others_may_write(const struct stat *st);

/* Opens name (relative to dirfd, or AT_FDCWD) with flags only if it is
 * a regular file: it is pinned with O_PATH first and opened through
 * /proc/self/fd, so that a FIFO or a device, even one swapped in, is
 * never opened. Returns the fd, or -1 with errno (ENXIO: not a regular
 * file). *st is the file's status whenever it exists (else st_mode 0). */
int vl_open_regular(int dirfd, const char *name, int flags, struct stat *st);

/* Moves fd above 0-2, which an exec'd command takes for its stdio;
 * returns the new fd (close-on-exec) or -1, errno kept. */
int vl_fd_above_stdio(int fd);

/* A library's functions, loaded when first needed rather than at every
 * start: names[i] into *slots[i], for n of them, the library opened once
 * (RTLD_NOW). Returns NULL, or dlerror()'s message. */
struct vl_lib {
	const char *soname;
	void *handle;
};
const char *vl_lib_load(struct vl_lib *lib, const char *const *names,
			void **const *slots, size_t n);
/* FUNCS(X) lists a library's functions as X(name) ...: VL_LIB_PTRS
 * defines a pointer dl_name for each (VL_LIB_EXTERNS declares them),
 * VL_LIB_LOAD fills them. */
#define VL_LIB_PTR_(f) __typeof__(&f) dl_##f;
#define VL_LIB_EXTERN_(f) extern __typeof__(&f) dl_##f;
#define VL_LIB_NAME_(f) #f,
#define VL_LIB_SLOT_(f) (void **)&dl_##f,
#define VL_LIB_PTRS(FUNCS) FUNCS(VL_LIB_PTR_)
#define VL_LIB_EXTERNS(FUNCS) FUNCS(VL_LIB_EXTERN_)
#define VL_LIB_LOAD(lib, FUNCS) __extension__ ({ \
	static const char *const names_[] = { FUNCS(VL_LIB_NAME_) }; \
	static void **const slots_[] = { FUNCS(VL_LIB_SLOT_) }; \
	vl_lib_load((lib), names_, slots_, sizeof names_ / sizeof *names_); })

#endif
