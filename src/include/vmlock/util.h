/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Services of the vmlock executable that a driver module may call:
 * allocation that cannot fail (out of memory: a message and exit 71),
 * small files read whole, messages on standard error, prefixed with the
 * program name, and random numbers for jitter. */
#ifndef VMLOCK_UTIL_H
#define VMLOCK_UTIL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *vl_malloc(size_t n);
void *vl_calloc(size_t n, size_t size);
void *vl_reallocarray(void *p, size_t n, size_t size);
char *vl_strdup(const char *s);
char *vl_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The first line of a small file (of /proc, say) relative to dirfd (or
 * AT_FDCWD), without its newline; NULL when unreadable or empty. */
char *vl_read_line(int dirfd, const char *name);

/* A pseudo-random number in [0, 2^32) for jitter and temporary names,
 * never for secrets: seeded from the pid and the time when first asked
 * (not at every start, where it would cost each launch). */
unsigned long vl_random(void);

/* Always shown. */
void vl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown unless --quiet. */
void vl_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown with --verbose. */
void vl_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif
