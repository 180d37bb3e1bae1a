/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* File names as QEMU's block layer reads them. */
#include "config.h"
#include "qemu/filename.h"
#include "util/path.h"
#include "util/util.h"

#include <string.h>

bool qemu_name_is_protocol(const char *name)
{
	return name[strcspn(name, ":/")] == ':' &&
	       !vl_starts_with(name, "file:");
}

char *qemu_name_beside(const char *image, const char *name)
{
	if (qemu_name_is_protocol(name) || vl_starts_with(name, "json:"))
		return vl_strdup(name);
	return vl_path_beside(image, name);
}
