/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/util/path.c: file names joined lexically, as QEMU joins them. */
#include "config.h"
#include "util/path.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void is(char *got, const char *want, const char *what)
{
	if (!ok(got && !strcmp(got, want), "%s: %s", what, want))
		printf("#   got: %s\n", got ? got : "(null)");
	free(got);
}

static void test_join(void)
{
	is(vl_path_join("/a", "b"), "/a/b", "join /a and b");
	is(vl_path_join("/a/", "b"), "/a/b", "join /a/ and b");
	is(vl_path_join("/", "b"), "/b", "join / and b");
	is(vl_path_join("/a", "/b"), "/b", "join /a and /b (absolute)");
	is(vl_path_join("/a", "../b"), "/a/../b",
	   "join /a and ../b (lexical, .. kept)");
	is(vl_path_join("rel", "x"), "rel/x", "join rel and x");
}

static void test_beside(void)
{
	is(vl_path_beside("/d/top.qcow2", "base"), "/d/base",
	   "base beside /d/top.qcow2");
	is(vl_path_beside("/d/sub/top", "../base"), "/d/sub/../base",
	   "../base beside /d/sub/top (lexical)");
	is(vl_path_beside("/top", "base"), "/base", "base beside /top");
	is(vl_path_beside("d/top", "base"), "d/base", "base beside d/top");
	is(vl_path_beside("top", "base"), "base",
	   "base beside top (no directory)");
	is(vl_path_beside("/d/top", "/abs/base"), "/abs/base",
	   "/abs/base beside /d/top (absolute)");
}

static void test_from_cwd(void)
{
	char *saved = getcwd(NULL, 0);
	char *dir = testdir_make(), *want, *gone;

	is(vl_path_from_cwd("/abs/x"), "/abs/x",
	   "/abs/x from the current directory (absolute)");
	if (!saved || !dir || chdir(dir) != 0) {
		ok(0, "a scratch directory under $TMPDIR to run in");
		free(saved);
		testdir_remove(dir);
		return;
	}
	want = vl_asprintf("%s/x.img", dir);
	is(vl_path_from_cwd("x.img"), want,
	   "x.img from the current directory, the scratch directory");
	free(want);
	want = vl_asprintf("%s/sub/../x.img", dir);
	is(vl_path_from_cwd("sub/../x.img"), want,
	   "sub/../x.img from the scratch directory (lexical)");
	free(want);

	gone = vl_asprintf("%s/gone", dir);
	if (mkdir(gone, 0700) == 0 && chdir(gone) == 0 && rmdir(gone) == 0) {
		errno = 0;
		char *p = vl_path_from_cwd("x.img");
		ok(!p && errno == ENOENT, "x.img from a current directory that "
		   "was removed: NULL, ENOENT");
		free(p);
	} else {
		ok(0, "a current directory removed after entering it");
	}
	free(gone);
	if (chdir(saved) != 0)
		ok(0, "chdir back to %s", saved);
	free(saved);
	testdir_remove(dir);
}

int main(void)
{
	test_join();
	test_beside();
	test_from_cwd();
	return done_testing();
}
