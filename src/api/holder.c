/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The holder half of the driver interface: lists of holders and of
 * resources found held, and how messages describe a holder. */
#include "config.h"
#include "api/api.h"
#include "util/escape.h"
#include "util/util.h"

#include <stdlib.h>

struct vl_holder *vl_holders_add(struct vl_holders *h)
{
	struct vl_holder *v = VL_PUSH(h->v, h->n, h->cap);

	*v = (struct vl_holder){ .pid = -1 };
	return v;
}

void vl_holders_free(struct vl_holders *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].command);
		free(h->v[i].name);
	}
	free(h->v);
	*h = (struct vl_holders){0};
}

const char *vl_role_name(enum vl_role role)
{
	switch (role) {
	case VL_ROLE_INCOMING: return "incoming";
	case VL_ROLE_OFFER: return "offer";
	case VL_ROLE_FOREIGN: return "foreign";
	case VL_ROLE_QEMU: return "qemu";
	default: return "holder";
	}
}

char *vl_holder_describe(const struct vl_holder *h)
{
	const char *role = h->role == VL_ROLE_HOLDER ? "" :
			   h->role == VL_ROLE_INCOMING ? ", incoming handover" :
			   h->role == VL_ROLE_OFFER ? ", handover offer" :
			   h->role == VL_ROLE_QEMU ? ", QEMU's own image lock" :
			   ", a lock manager outside vmlock";

	if (h->remote)
		return vl_asprintf("a process on another host%s", role);
	if (h->pid < 0)
		return vl_asprintf("a process of this host not visible to you%s",
				 role);
	/* names from outside, escaped: no quote nor newline of theirs can
	 * forge the message */
	char *cmd = vl_escape(h->command ? h->command : "?", "\"");
	char *name = h->name ? vl_escape(h->name, "\"") : NULL;
	char *text = name ? vl_asprintf("pid %ld (%s, VM \"%s\"%s)", h->pid,
					cmd, name, role)
			  : vl_asprintf("pid %ld (%s%s)", h->pid, cmd, role);
	free(cmd);
	free(name);
	return text;
}

char *vl_holders_text(const struct vl_holders *h, long except)
{
	char *text = NULL;

	for (size_t i = 0; i < h->n; i++) {
		if (except && h->v[i].pid == except)
			continue;
		char *one = vl_holder_describe(&h->v[i]);
		char *joined = vl_asprintf("%s%s%s", text ? text : "",
					   text ? ", " : "", one);
		free(one);
		free(text);
		text = joined;
	}
	return text ? text : vl_strdup("a holder that has gone");
}

struct vl_found *vl_found_add(struct vl_found_list *l, char *path)
{
	struct vl_found *f = VL_PUSH(l->v, l->n, l->cap);

	*f = (struct vl_found){ .path = path };
	return f;
}

void vl_found_free(struct vl_found_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		vl_holders_free(&l->v[i].holders);
	}
	free(l->v);
	*l = (struct vl_found_list){0};
}
