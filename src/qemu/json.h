/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* QEMU-dialect JSON, flattened (the rules are in json.c). */
#ifndef VMLOCK_QEMU_JSON_H
#define VMLOCK_QEMU_JSON_H

#include "qemu/kv.h"

/* Parses a JSON object. Returns 0 or 64 with e set. */
int qemu_json_parse(const char *s, struct qemu_kvlist *out,
		    struct vl_error *e);

#endif
