/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* QemuOpts and keyval strings (the grammar is in opts.c). */
#ifndef VMLOCK_QEMU_OPTS_H
#define VMLOCK_QEMU_OPTS_H

#include "qemu/kv.h"

/* Parses s, a first element without '=' the value of implied_key (when
 * not NULL). Returns 0 or 64 with e set. */
int qemu_opts_parse(const char *s, const char *implied_key,
		    struct qemu_kvlist *out, struct vl_error *e);

/* Adds key=val (taking both over) as QemuOpts does for a key given
 * again, in the string or by -set: the last value, but for id and
 * readonly the first. */
void qemu_opts_add(struct qemu_kvlist *l, char *key, char *val);

/* A value at *s up to a lone ',' (",," is a literal comma), *s left on
 * that ',' or the NUL. Newly allocated. */
char *qemu_opts_value(const char **s);

#endif
