/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The listening socket of the unit tests' fake QMP servers. */
#ifndef VMLOCK_TEST_QMP_LISTEN_H
#define VMLOCK_TEST_QMP_LISTEN_H

#include "util/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Binds path, however long, through its directory's fd. */
static inline int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	const char *slash = strrchr(path, '/');
	char *parent = vl_strndup(path, (size_t)(slash - path));
	int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);

	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", pfd,
		 slash + 1);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1))
		perror(path);
	close(pfd);
	free(parent);
	return fd;
}

#endif
