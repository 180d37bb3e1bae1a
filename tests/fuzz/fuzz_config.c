/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* libFuzzer target: the vmlock.conf reader. */
#include "config.h"
#include "setup/conf.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vl_config c = { .backing = -1 };
	struct vl_error e;

	vl_config_parse((const char *)data, size, "fuzz.conf", &c, &e);
	vl_config_free(&c);
	return 0;
}
