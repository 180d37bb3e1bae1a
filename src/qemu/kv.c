/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Option lists as QEMU spells them, flattened to dotted keys. */
#include "config.h"
#include "qemu/kv.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

const char *qemu_kv_get(const struct qemu_kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return l->v[i].val;
	return NULL;
}

const char *qemu_kv_get_below(const struct qemu_kvlist *l, const char *prefix,
			      const char *key)
{
	char *full = vl_asprintf("%s%s", prefix, key);
	const char *v = qemu_kv_get(l, full);

	free(full);
	return v;
}

void qemu_kv_copy_below(const struct qemu_kvlist *l, const char *prefix,
			struct qemu_kvlist *out)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < l->n; i++)
		if (!strncmp(l->v[i].key, prefix, n))
			qemu_kv_append(out, vl_strdup(l->v[i].key + n),
				       l->v[i].val ? vl_strdup(l->v[i].val)
						   : NULL);
}

struct qemu_kv *qemu_kv_find(const struct qemu_kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

void qemu_kv_append(struct qemu_kvlist *l, char *key, char *val)
{
	*VL_PUSH(l->v, l->n, l->cap) = (struct qemu_kv){ .key = key, .val = val };
}

int qemu_kv_add_unique(struct qemu_kvlist *l, char *key, char *val,
			 struct vl_error *e)
{
	if (qemu_kv_find(l, key)) {
		vl_fail(e, EX_USAGE, "duplicate key \"%s\"", key);
		free(key);
		free(val);
		return EX_USAGE;
	}
	qemu_kv_append(l, key, val);
	return 0;
}

void qemu_kv_replace(struct qemu_kvlist *l, char *key, char *val)
{
	struct qemu_kv *kv = qemu_kv_find(l, key);

	if (!kv) {
		qemu_kv_append(l, key, val);
		return;
	}
	free(kv->val);
	kv->val = val;
	free(key);
}

void qemu_kv_set(struct qemu_kvlist *l, const char *key, const char *val)
{
	qemu_kv_replace(l, vl_strdup(key), vl_strdup(val));
}

void qemu_kvlist_free(struct qemu_kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	free(l->v);
	*l = (struct qemu_kvlist){0};
}

bool qemu_kv_has_prefix(const struct qemu_kvlist *l, const char *prefix)
{
	for (size_t i = 0; i < l->n; i++)
		if (vl_starts_with(l->v[i].key, prefix))
			return true;
	return false;
}
