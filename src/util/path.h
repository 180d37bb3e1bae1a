/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Joining file names lexically, as QEMU does: no symlink is resolved. */
#ifndef VMLOCK_UTIL_PATH_H
#define VMLOCK_UTIL_PATH_H

/* name below dir; an absolute name as it is. Newly allocated. */
char *vl_path_join(const char *dir, const char *name);
/* name beside file (in file's directory); an absolute name, or a file
 * with no directory, gives name as it is. Newly allocated. */
char *vl_path_beside(const char *file, const char *name);
/* name below the current directory; NULL with errno when that cannot be
 * read. Newly allocated. */
char *vl_path_from_cwd(const char *name);

#endif
