/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* A scratch directory for a unit test: a new "vmlock-test-XXXXXX" under
 * $TMPDIR (/tmp when unset or empty), its real path (no symlink in it),
 * removed with all it holds once the test is done. Tests never use a
 * fixed path of the machine. */
#ifndef VMLOCK_TESTDIR_H
#define VMLOCK_TESTDIR_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The directory, newly allocated, or NULL (with a message) on failure. */
static inline char *testdir_make(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX], *real;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(tmpl, sizeof tmpl, "%s/vmlock-test-XXXXXX",
			     tmp) >= sizeof tmpl || !mkdtemp(tmpl)) {
		perror("mkdtemp under $TMPDIR");
		return NULL;
	}
	real = realpath(tmpl, NULL);
	if (!real) {
		perror(tmpl);
		rmdir(tmpl);
	}
	return real;
}

static inline int testdir_remove_one(const char *path, const struct stat *st,
				     int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) != 0)
		perror(path);
	return 0;
}

/* Writes len bytes of buf to dir/name (a message on failure). */
static inline void testdir_write(const char *dir, const char *name,
				 const void *buf, size_t len)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	FILE *f;

	snprintf(path, n, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		fprintf(stderr, "cannot write %s\n", path);
	free(path);
}

/* Removes dir and everything below it (symlinks themselves, never what
 * they point to), then frees dir. */
static inline void testdir_remove(char *dir)
{
	if (!dir)
		return;
	nftw(dir, testdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

#endif
