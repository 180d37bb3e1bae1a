#include "config.h"
#include "driver.h"
#include "lockproto.h"

#include <stdlib.h>
#include <string.h>

extern const struct vl_driver vl_driver_fcntl;

static const struct vl_driver *const builtin[] = { &vl_driver_fcntl };

const struct vl_driver *vl_driver_find(const char *name)
{
	for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
		if (!strcmp(builtin[i]->name, name))
			return builtin[i];
	return NULL;
}

struct vl_holder *vl_holders_add(struct vl_holders *h)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 4;
		h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
	}
	h->v[h->n] = (struct vl_holder){ .pid = -1 };
	return &h->v[h->n++];
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

const char *vl_role_name(int role)
{
	switch (role) {
	case LP_INCOMING: return "incoming";
	case LP_OFFER: return "offer";
	case LP_FOREIGN: return "foreign";
	default: return "holder";
	}
}

char *vl_holder_describe(const struct vl_holder *h)
{
	const char *role = h->role == LP_HOLDER ? "" :
			   h->role == LP_INCOMING ? ", incoming handover" :
			   h->role == LP_OFFER ? ", handover offer" :
			   ", a lock manager outside vmlock";

	if (h->remote)
		return xasprintf("a process on another host%s", role);
	if (h->pid < 0)
		return xasprintf("a process of this host not visible to you%s",
				 role);
	if (h->name)
		return xasprintf("pid %ld (%s, VM \"%s\"%s)", h->pid,
				 h->command ? h->command : "?", h->name, role);
	return xasprintf("pid %ld (%s%s)", h->pid,
			 h->command ? h->command : "?", role);
}
