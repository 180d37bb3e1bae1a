/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "util/path.h"
#include "util/util.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

char *vl_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (name[0] == '/')
		return vl_strdup(name);
	return vl_asprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
			   name);
}

char *vl_path_beside(const char *file, const char *name)
{
	const char *slash = strrchr(file, '/');

	if (name[0] == '/' || !slash)
		return vl_strdup(name);
	return vl_asprintf("%.*s/%s", (int)(slash - file), file, name);
}

char *vl_path_from_cwd(const char *name)
{
	char cwd[PATH_MAX];

	if (name[0] == '/')
		return vl_strdup(name);
	return getcwd(cwd, sizeof cwd) ? vl_path_join(cwd, name) : NULL;
}
