/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* libFuzzer target: the QemuOpts/keyval reader (-drive, -blockdev,
 * -device). The first byte picks the implied key: none, "driver" (as for
 * -blockdev) or "file". */
#include "config.h"
#include "qemu/opts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const implied[] = { NULL, "driver", "file" };
	struct qemu_kvlist l = {0};
	struct vl_error e;
	char *text;

	if (size == 0 || !(text = malloc(size)))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (qemu_opts_parse(text, implied[data[0] % 3], &l, &e) == 0)
		qemu_kv_get(&l, "file");
	qemu_kvlist_free(&l);
	free(text);
	return 0;
}
