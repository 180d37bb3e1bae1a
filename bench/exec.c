/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* bench/exec: the floor of any launcher that execs its command, for
 * bench/run (not part of the build; bench/run compiles it with
 * `cc -O2 -static`, or without -static when there is no static libc).
 *
 *   exec CMD ARGS...	execv(CMD, ARGS): one more process image, nothing
 *			else: no dynamic linking, no option parsing. */
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	execv(argv[1], argv + 1);
	return 127;
}
