/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* bench/qmpsend: the plain QMP client bench/run's qmp section measures
 * `vmlock qmp` against (not part of the build; bench/run compiles it with
 * `cc -O2`).
 *
 *   qmpsend SOCKET COMMAND-JSON
 *	Connects to the QMP unix socket, reads the greeting, negotiates
 *	(qmp_capabilities), sends COMMAND-JSON as one line and prints QEMU's
 *	reply (events skipped): the same exchange as `vmlock qmp`, with
 *	nothing locked. Exit 0 for a "return" reply, 1 for an error reply,
 *	2 for any other failure. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The next line from QEMU that is not an event; NULL at the end. */
static char *reply(FILE *f, char **line, size_t *cap)
{
	while (getline(line, cap, f) > 0)
		if (strncmp(*line, "{\"event\"", 8))
			return *line;
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *line = NULL;
	size_t cap = 0;
	int fd;
	FILE *f;

	if (argc != 3 || strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: qmpsend SOCKET COMMAND-JSON\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror(argv[1]);
		return 2;
	}
	f = fdopen(fd, "r+");
	if (!f || !reply(f, &line, &cap))
		return 2;
	fputs("{\"execute\": \"qmp_capabilities\"}\n", f);
	fflush(f);
	if (!reply(f, &line, &cap) || strncmp(line, "{\"return\"", 9))
		return 2;
	fprintf(f, "%s\n", argv[2]);
	fflush(f);
	if (!reply(f, &line, &cap))
		return 2;
	fputs(line, stdout);
	return strncmp(line, "{\"return\"", 9) ? 1 : 0;
}
