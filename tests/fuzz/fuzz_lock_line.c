/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* libFuzzer target: the lock lines of /proc/locks and of fdinfo, one per
 * input line, each one classified as vmlock's lock bytes would be. */
#include "config.h"
#include "lock/holders.h"
#include "lock/lockproto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *line = text, *next; line; line = next) {
		dev_t dev;
		ino_t ino;
		off_t start, end;
		short type;
		enum vl_mode mode;
		enum vl_role role;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (holders_parse_lock_line(line, &dev, &ino, &start, &end,
					    &type))
			lp_classify(start, end, type, &mode, &role);
	}
	free(text);
	return 0;
}
