/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/lock/holders.c: reading the lock lines of /proc/PID/fdinfo and
 * /proc/locks. */
#include "config.h"
#include "lock/holders.h"
#include "lock/lockproto.h"
#include "../tap.h"

#include <fcntl.h>

static void test_parse_lock_line(void)
{
	dev_t dev;
	ino_t ino;
	off_t start, end;
	short type;

	ok(holders_parse_lock_line("lock:\t2: OFDLCK ADVISORY  WRITE -1 "
				   "fe:00:10952820 1099511627776 1099511627778",
				   &dev, &ino, &start, &end, &type) &&
	   ino == 10952820 && start == LP_BASE && end == LP_BASE + 2 &&
	   type == F_WRLCK,
	   "fdinfo line \"lock:\\t2: OFDLCK ADVISORY  WRITE -1 fe:00:10952820 "
	   "1099511627776 1099511627778\": a write lock on LP_BASE..LP_BASE "
	   "+ 2");
	ok(holders_parse_lock_line("1: POSIX  ADVISORY  READ 42 08:01:7 0 EOF",
				   &dev, &ino, &start, &end, &type) &&
	   end > LP_END && type == F_RDLCK,
	   "/proc/locks line \"1: POSIX  ADVISORY  READ 42 08:01:7 0 EOF\": a "
	   "read lock to EOF");
	ok(!holders_parse_lock_line("flags:\t0100002", &dev, &ino, &start,
				    &end, &type),
	   "fdinfo line \"flags:\\t0100002\": not a lock line");
}

int main(void)
{
	test_parse_lock_line();
	return done_testing();
}
