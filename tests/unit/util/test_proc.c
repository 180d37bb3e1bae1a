/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/util/proc.c: small files read in one go, on files in a scratch
 * directory; command lines, links and pidfds, on child processes;
 * directories read with getdents64; the pids of /proc. */
#include "config.h"
#include "util/proc.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* A child that stops itself, with the given argv; its pid. */
static pid_t waiting_child(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		execv("/bin/sh", argv);
		_exit(127);
	}
	return pid;
}

static int proc_dir(pid_t pid)
{
	char dir_name[64];

	snprintf(dir_name, sizeof dir_name, "/proc/%ld", (long)pid);
	return open(dir_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* /proc/PID/cmdline is there once the child has exec'd (within 20 s,
 * on a loaded machine). */
static char **argv_of(pid_t pid, int *argc, const char *first)
{
	for (double end = tap_now() + 20; tap_now() < end;) {
		int fd = proc_dir(pid);
		char **argv = vl_read_argv(fd, argc);
		close(fd);
		if (argv && !strcmp(argv[0], first))
			return argv;
		free(argv);
		usleep(1000);
	}
	return NULL;
}

static void test_read_argv(void)
{
	static char long_arg[100000];
	/* sh stops itself, its arguments kept as they are */
	char *short_argv[] = { "sh", "-c", "kill -STOP $$", "", "a b", NULL };
	char *long_argv[] = { "/bin/sh", "-c", "kill -STOP $$", long_arg, "30",
			      NULL };
	int argc = 0;

	memset(long_arg, 'x', sizeof long_arg - 1);
	pid_t pid = waiting_child(short_argv);
	char **argv = argv_of(pid, &argc, "sh");
	ok(argv && argc == 5 && !strcmp(argv[2], "kill -STOP $$") &&
	   !*argv[3] && !strcmp(argv[4], "a b") && !argv[5],
	   "read_argv of \"sh -c 'kill -STOP $$' '' 'a b'\": 5 arguments, the "
	   "empty one kept, NULL-ended");
	free(argv);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = waiting_child(long_argv);
	argv = argv_of(pid, &argc, "/bin/sh");
	ok(argv && argc == 5 && strlen(argv[3]) == sizeof long_arg - 1 &&
	   !strcmp(argv[4], "30"),
	   "read_argv of a 100 kB command line: whole, past 8 KiB");
	free(argv);
	int fd = proc_dir(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ok(!vl_read_argv(fd, &argc) && argc == 0,
	   "read_argv of a process that has gone: NULL");
	close(fd);
}

static void test_link_and_pidfd(void)
{
	char *path = vl_asprintf("%s/two-lines", dir), *name;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char fdname[16];
	struct stat a, b;

	snprintf(fdname, sizeof fdname, "%d", fd);
	int fds = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	name = vl_read_link(fds, fdname);
	ok(name && !strcmp(name, path), "read_link of /proc/self/fd/%d: %s",
	   fd, path);
	free(name);
	ok(!vl_read_link(fds, "99999"), "read_link of an fd not open: NULL");
	close(fds);

	char *argv[] = { "sleep", "30", NULL };
	pid_t pid = fork();
	if (pid == 0) {		/* keeps fd, as a QEMU keeps its lock fds */
		execv("/bin/sleep", argv);
		_exit(127);
	}
	int pidfd = vl_pidfd_open(pid);
	int copy = pidfd < 0 ? -1 : vl_pidfd_getfd(pidfd, fd);
	ok(copy >= 0 && fstat(copy, &b) == 0 && fstat(fd, &a) == 0 &&
	   a.st_ino == b.st_ino && fcntl(copy, F_GETFD) == FD_CLOEXEC,
	   "pidfd_getfd of a child's fd %d: the same file, close-on-exec", fd);
	ok(vl_pidfd_getfd(pidfd, 99999) < 0 && errno == EBADF,
	   "pidfd_getfd of an fd the child has not: EBADF");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ok(vl_pidfd_open(pid) < 0 && errno == ESRCH,
	   "pidfd_open of a process reaped: ESRCH");
	if (copy >= 0)
		close(copy);
	if (pidfd >= 0)
		close(pidfd);
	close(fd);
	free(path);
}

struct names {
	size_t n, stop_at;
	bool dots;
	char seen[600];		/* entry "fN" seen */
};

static bool count_name(int dirfd, const char *name, void *arg)
{
	struct names *c = arg;
	int i;

	(void)dirfd;
	c->dots |= !strcmp(name, ".") || !strcmp(name, "..");
	if (sscanf(name, "f%d", &i) == 1 && i >= 0 && i < 600)
		c->seen[i]++;
	return ++c->n != c->stop_at;
}

/* 600 names of 100 bytes: several getdents64 buffers. */
static void test_each_dirent(void)
{
	char *sub = vl_asprintf("%s/many", dir), name[128];
	size_t once = 0;

	mkdir(sub, 0700);
	for (int i = 0; i < 600; i++) {
		snprintf(name, sizeof name, "%s/f%d.%090d", sub, i, 0);
		close(open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	}
	struct names all = {0}, three = { .stop_at = 3 };
	int fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok(vl_each_dirent(fd, count_name, &all) == 0 && !all.dots,
	   "each_dirent: 0, and never . or ..");
	for (int i = 0; i < 600; i++)
		once += all.seen[i] == 1;
	ok(all.n == 600 && once == 600,
	   "each_dirent: all 600 entries, each once (%zu calls)", all.n);
	close(fd);
	fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok(vl_each_dirent(fd, count_name, &three) == 0 && three.n == 3,
	   "each_dirent: stops when fn returns false");
	close(fd);
	ok(vl_each_dirent(-1, count_name, &three) == EBADF,
	   "each_dirent of no directory: EBADF");
	free(sub);
}

static void test_proc_pids(void)
{
	size_t n;
	pid_t child = fork();

	if (child == 0) {
		pause();
		_exit(0);
	}
	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long *pids = vl_proc_pids(proc, &n);
	bool sorted = true, has_child = false, has_self = false;
	for (size_t i = 0; i < n; i++) {
		sorted &= i == 0 || pids[i - 1] < pids[i];
		has_child |= pids[i] == child;
		has_self |= pids[i] == getpid();
	}
	ok(n > 1 && sorted, "proc_pids: %zu processes, ascending", n);
	ok(has_child && !has_self, "proc_pids: a child is there, this one not");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(proc);
	free(pids);
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
	test_read_argv();
	test_link_and_pidfd();
	test_each_dirent();
	test_proc_pids();
	close(dirfd);
	testdir_remove(dir);
	return done_testing();
}
