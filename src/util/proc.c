/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "util/proc.h"
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

char *vl_read_small(int dirfd, const char *name, size_t *len)
{
	char buf[8192];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return NULL;
	if (len)
		*len = (size_t)n;
	return vl_strndup(buf, (size_t)n);
}

char *vl_read_line(int dirfd, const char *name)
{
	char *text = vl_read_small(dirfd, name, NULL);

	if (text)
		text[strcspn(text, "\n")] = '\0';
	if (text && !*text) {
		free(text);
		return NULL;
	}
	return text;
}

char *vl_read_link(int dirfd, const char *name)
{
	char target[PATH_MAX];
	ssize_t len = readlinkat(dirfd, name, target, sizeof target - 1);

	if (len <= 0)
		return NULL;
	target[len] = 0;
	return vl_strdup(target);
}

int vl_each_dirent(int dirfd, vl_dirent_fn *fn, void *arg)
{
	char buf[8192] __attribute__((aligned(8)));
	ssize_t len;

	while ((len = getdents64(dirfd, buf, sizeof buf)) > 0)
		for (ssize_t at = 0; at < len;) {
			struct dirent64 *de = (struct dirent64 *)(buf + at);
			at += de->d_reclen;
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
			    !fn(dirfd, de->d_name, arg))
				return 0;
		}
	return len < 0 ? errno : 0;
}

struct pids {
	long *v;
	size_t n, cap;
	long self;
};

static bool add_pid(int dirfd, const char *name, void *arg)
{
	struct pids *p = arg;
	long pid;

	(void)dirfd;
	if (vl_parse_pid(name, &pid) && pid != p->self)
		*VL_PUSH(p->v, p->n, p->cap) = pid;
	return true;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

long *vl_proc_pids(int proc, size_t *n)
{
	struct pids p = { .self = (long)getpid() };

	vl_each_dirent(proc, add_pid, &p);
	if (p.n)
		qsort(p.v, p.n, sizeof *p.v, cmp_long);
	*n = p.n;
	return p.v;
}

/* Longer command lines are cut there: no QEMU names its socket only past
 * the first MiB. */
#define ARGV_MAX (1 << 20)

char *vl_read_whole(int dirfd, const char *name, size_t max, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t cap = 8192;
	char *buf;
	ssize_t got;

	*len = 0;
	if (fd < 0)
		return NULL;
	buf = vl_malloc(cap);
	while ((got = read(fd, buf + *len, cap - *len - 1)) > 0) {
		*len += (size_t)got;
		if (*len + 1 == cap && cap <= max)
			buf = vl_reallocarray(buf, cap *= 2, 1);
		else if (*len + 1 == cap)
			break;
	}
	close(fd);
	buf[*len] = 0;
	return buf;
}

char **vl_read_argv(int dirfd, int *argc)
{
	size_t len, n = 0;
	char *text = vl_read_whole(dirfd, "cmdline", ARGV_MAX, &len);

	*argc = 0;
	if (!text || !len) {
		free(text);
		return NULL;
	}
	for (size_t i = 0; i < len; i += strlen(text + i) + 1)
		n++;
	/* the pointers first, the strings after them: one free() */
	char **argv = vl_malloc((n + 1) * sizeof *argv + len + 1);
	char *strings = (char *)(argv + n + 1);
	memcpy(strings, text, len + 1);
	free(text);
	for (size_t i = 0; i < len; i += strlen(strings + i) + 1)
		argv[(*argc)++] = strings + i;
	argv[*argc] = NULL;
	return argv;
}

int vl_pidfd_open(long pid)
{
	return (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);	/* CLOEXEC */
}

int vl_pidfd_getfd(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);	/* CLOEXEC */
}

bool vl_pidfd_exited(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;	/* readable once it has exited */
}

int vl_pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? errno
									  : 0;
}
