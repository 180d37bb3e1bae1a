/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Option lists as QEMU spells them, flattened to dotted keys: what the
 * QemuOpts, keyval and JSON readers produce. */
#ifndef VMLOCK_QEMU_KV_H
#define VMLOCK_QEMU_KV_H

#include <vmlock/resource.h>

struct qemu_kv {
	char *key;
	char *val;		/* NULL for a JSON null */
};

struct qemu_kvlist {
	struct qemu_kv *v;
	size_t n, cap;
};

/* The value of key, or NULL (also for a JSON null). */
const char *qemu_kv_get(const struct qemu_kvlist *l, const char *key);
struct qemu_kv *qemu_kv_find(const struct qemu_kvlist *l, const char *key);
/* The value of prefix followed by key ("file." "filename"), or NULL. */
const char *qemu_kv_get_below(const struct qemu_kvlist *l, const char *prefix,
			      const char *key);
/* Appends to out a copy of each member of l below prefix, the prefix
 * taken off ("" copies them all). */
void qemu_kv_copy_below(const struct qemu_kvlist *l, const char *prefix,
			struct qemu_kvlist *out);
/* True when some key lies below prefix ("file." for "file.filename"). */
bool qemu_kv_has_prefix(const struct qemu_kvlist *l, const char *prefix);
/* Appends key=val, taking both over. */
void qemu_kv_append(struct qemu_kvlist *l, char *key, char *val);
/* The same, refusing a key already there (64, e set; both freed). */
int qemu_kv_add_unique(struct qemu_kvlist *l, char *key, char *val,
		       struct vl_error *e);
/* Sets key to val, taking both over: a key given again takes its last
 * value, in its first place. */
void qemu_kv_replace(struct qemu_kvlist *l, char *key, char *val);
/* Sets key to a copy of val, replacing its value if present. */
void qemu_kv_set(struct qemu_kvlist *l, const char *key, const char *val);
void qemu_kvlist_free(struct qemu_kvlist *l);

#endif
