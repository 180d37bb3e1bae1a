/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* libFuzzer target: the HMP command line splitter (QMP
 * human-monitor-command): words, quotes and escapes, -X flags. */
#include "config.h"
#include "qmp/hmp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hmp_line l;
	struct vl_error e;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (hmp_split(text, &l, &e) == 0) {
		if (!l.n || !l.words[0])
			abort();	/* a line split has its command */
		for (size_t i = 0; hmp_arg(&l, i); i++)
			if (strlen(hmp_arg(&l, i)) > size)
				abort();
		if (hmp_arg(&l, l.n) || strlen(l.flags) >= sizeof l.flags)
			abort();
		hmp_flag(&l, 'n');
	}
	hmp_line_free(&l);
	free(text);
	return 0;
}
