/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* libFuzzer target: QEMU's JSON dialect as the reader flattens it
 * (-blockdev {...}, json: file names). */
#include "config.h"
#include "qemu/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct qemu_kvlist l = {0};
	struct vl_error e;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	qemu_json_parse(text, &l, &e);
	qemu_kvlist_free(&l);
	free(text);
	return 0;
}
