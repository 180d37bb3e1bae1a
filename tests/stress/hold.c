/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The command the stress test runs under vmlock: logs when it starts
 * holding and when it stops, both inside the time its locks are held.
 * hold LOG IMAGE MODE MILLISECONDS [TAG] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void log_line(int fd, const char *what, char **argv)
{
	struct timespec ts;
	char line[512];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	int n = snprintf(line, sizeof line, "%s %lld %d %s %s %s\n", what,
			 (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec,
			 (int)getpid(), argv[2], argv[3], argv[5] ? argv[5] : "-");
	if (write(fd, line, (size_t)n) != n)	/* O_APPEND: one line, whole */
		exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return 64;
	int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	long ms = atol(argv[4]);
	struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };

	if (fd < 0)
		return 66;
	log_line(fd, "enter", argv);
	nanosleep(&pause, NULL);
	log_line(fd, "exit", argv);
	return 0;
}
