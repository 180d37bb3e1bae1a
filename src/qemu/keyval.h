/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* keyval strings (the grammar is in keyval.c). */
#ifndef VMLOCK_QEMU_KEYVAL_H
#define VMLOCK_QEMU_KEYVAL_H

#include "qemu/kv.h"

/* Parses s, a first element without '=' the value of implied_key (when
 * not NULL). Returns 0 or 64 with e set. */
int qemu_keyval_parse(const char *s, const char *implied_key,
		      struct qemu_kvlist *out, struct vl_error *e);

#endif
