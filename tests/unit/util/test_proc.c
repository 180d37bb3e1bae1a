/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/util/proc.c: small files read in one go, on files in a scratch
 * directory. */
#include "config.h"
#include "util/proc.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dir;

static void write_file(const char *name, const char *text, size_t len)
{
	char *path = vl_asprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		printf("# cannot write %s\n", path);
	free(path);
}

static void test_read_small(int dirfd)
{
	size_t len = 0;
	char *s, *path;

	s = vl_read_small(dirfd, "two-lines", &len);
	ok(s && !strcmp(s, "first\nsecond\n") && len == 13,
	   "read_small of \"first\\nsecond\\n\" by dirfd: all 13 bytes");
	free(s);
	path = vl_asprintf("%s/two-lines", dir);
	s = vl_read_small(AT_FDCWD, path, NULL);
	ok(s && !strcmp(s, "first\nsecond\n"),
	   "read_small of the same file by absolute path, AT_FDCWD, no len");
	free(s);
	free(path);
	len = 99;
	s = vl_read_small(dirfd, "empty", &len);
	ok(s && !*s && len == 0, "read_small of an empty file: \"\", length 0");
	free(s);
	s = vl_read_small(dirfd, "big", &len);
	ok(s && len == 8191 && strlen(s) == 8191 && s[8190] == 'z',
	   "read_small of a 10000-byte file: its first 8191 bytes (%zu)",
	   len);
	free(s);
	ok(!vl_read_small(dirfd, "missing", &len),
	   "read_small of a missing file: NULL");
	ok(!vl_read_small(dirfd, ".", &len),
	   "read_small of a directory: NULL");
}

static void test_read_line(int dirfd)
{
	char *s;

	s = vl_read_line(dirfd, "two-lines");
	ok(s && !strcmp(s, "first"),
	   "read_line of \"first\\nsecond\\n\": \"first\"");
	free(s);
	s = vl_read_line(dirfd, "no-newline");
	ok(s && !strcmp(s, "only"), "read_line of \"only\": \"only\"");
	free(s);
	ok(!vl_read_line(dirfd, "blank-first"),
	   "read_line of \"\\nsecond\\n\" (empty first line): NULL");
	ok(!vl_read_line(dirfd, "empty"), "read_line of an empty file: NULL");
	ok(!vl_read_line(dirfd, "missing"),
	   "read_line of a missing file: NULL");
}

int main(void)
{
	char big[10000];
	int dirfd;

	if (!(dir = testdir_make()))
		return 99;
	memset(big, 'z', sizeof big);
	write_file("two-lines", "first\nsecond\n", 13);
	write_file("no-newline", "only", 4);
	write_file("blank-first", "\nsecond\n", 8);
	write_file("empty", "", 0);
	write_file("big", big, sizeof big);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		perror(dir);
		testdir_remove(dir);
		return 99;
	}
	test_read_small(dirfd);
	test_read_line(dirfd);
	close(dirfd);
	testdir_remove(dir);
	return done_testing();
}
