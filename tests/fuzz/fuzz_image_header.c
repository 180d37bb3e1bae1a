/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* libFuzzer target: the image header parser (qcow2, qcow, QED, VMDK), probing and with the
 * format given. */
#include "config.h"
#include "image/header.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = {
		NULL, "qcow2", "qcow", "qed", "vmdk", "raw",
	};
	struct image_header h;
	struct vl_error e;

	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
		for (int eof = 0; eof < 2; eof++)
			if (image_parse_header(data, size, eof, formats[i],
					       "fuzz", &h, &e) == 0)
				image_header_free(&h);
	return 0;
}
