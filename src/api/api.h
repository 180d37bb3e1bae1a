/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The parts of the driver interface that only the executable uses:
 * building resource lists and deadlines, freeing what drivers found.
 * Modules get lists and deadlines; they never make them. */
#ifndef VMLOCK_API_API_H
#define VMLOCK_API_API_H

#include <vmlock/driver.h>

/* "exclusive", "shared" or "readonly"; false for anything else. */
bool vl_mode_parse(const char *s, enum vl_mode *m);
/* The compatibility matrix (vmlock(1), MODES). */
bool vl_modes_compatible(enum vl_mode a, enum vl_mode b);
/* The mode one process needs when it uses one file in both modes. */
enum vl_mode vl_mode_stronger(enum vl_mode a, enum vl_mode b);

void vl_holders_free(struct vl_holders *h);
/* How messages name the holders of h but those of pid except (0: none
 * left out): their descriptions, joined by ", "; "a holder that has
 * gone" when there are none. Newly allocated. */
char *vl_holders_text(const struct vl_holders *h, long except);
/* "holder", "incoming", "offer", "foreign", "qemu". */
const char *vl_role_name(enum vl_role role);

struct vl_resource *vl_reslist_add(struct vl_reslist *l, enum vl_kind kind,
				   const char *path, enum vl_mode mode,
				   unsigned depth);
void vl_reslist_free(struct vl_reslist *l);

/* seconds < 0: forever. */
struct vl_deadline vl_deadline_in(double seconds);

void vl_found_free(struct vl_found_list *l);

#endif
