/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Small files of /proc and /sys, read in one go; command lines; processes
 * by pidfd, which a reused pid never fools, and their fds. */
#ifndef VMLOCK_UTIL_PROC_H
#define VMLOCK_UTIL_PROC_H

#include <vmlock/util.h>

#include <stdbool.h>
#include <stddef.h>

/* The whole of name (relative to dirfd, or AT_FDCWD), up to 8 KiB,
 * NUL-terminated, its length in *len when len is not NULL; NULL when it
 * cannot be read. Newly allocated. */
char *vl_read_small(int dirfd, const char *name, size_t *len);
/* vl_read_line(), its first line, is in <vmlock/util.h>. */

/* All of name (relative to dirfd), read until its end or until about max
 * bytes, NUL-terminated, its length in *len; NULL when it cannot be
 * opened. Newly allocated. */
char *vl_read_whole(int dirfd, const char *name, size_t max, size_t *len);

/* The target of the symbolic link name (relative to dirfd), such as an
 * fd of /proc/PID/fd; NULL when it cannot be read. Newly allocated. */
char *vl_read_link(int dirfd, const char *name);
/* The command line of the process whose /proc directory is dirfd, whole
 * (up to 1 MiB), split into a NULL-ended argv of *argc strings, in one
 * allocation: free(argv) frees it all. NULL when unreadable or empty
 * (a kernel thread, a zombie). */
char **vl_read_argv(int dirfd, int *argc);

/* Calls fn(dirfd, name, arg) for each entry of the directory open on
 * dirfd but "." and "..", until fn returns false; read with getdents64(2),
 * which unlike readdir(3) costs no fstat or fcntl: a scan of /proc opens
 * thousands of directories. From dirfd's offset (a new fd: the start);
 * dirfd stays open. 0 or an errno. */
typedef bool vl_dirent_fn(int dirfd, const char *name, void *arg);
int vl_each_dirent(int dirfd, vl_dirent_fn *fn, void *arg);
/* The processes now in the /proc open on proc (a new fd, which the
 * caller keeps for their directories), this one aside, in ascending
 * order: *n of them, newly allocated (NULL when none or unreadable). */
long *vl_proc_pids(int proc, size_t *n);

/* A pidfd of process pid (close-on-exec), or -1 with errno (ESRCH: gone;
 * ENOSYS: a kernel before Linux 5.3). */
int vl_pidfd_open(long pid);
/* Has the process of pidfd exited? Waits up to ms milliseconds for it. */
bool vl_pidfd_exited(int pidfd, int ms);
/* Signals the process of pidfd, never another one that took its pid;
 * 0 or an errno (ESRCH: it has exited). */
int vl_pidfd_signal(int pidfd, int sig);
/* A copy in this process (close-on-exec) of fd number fd of the process
 * of pidfd: the same open file description, so a lock set through it is
 * that process's (pidfd_getfd(2), Linux 5.6; the caller must be allowed
 * to ptrace it). -1 with errno (EPERM: not allowed; EBADF: no such fd). */
int vl_pidfd_getfd(int pidfd, int fd);

#endif
