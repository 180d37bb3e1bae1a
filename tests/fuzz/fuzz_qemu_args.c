/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* libFuzzer target: the QEMU command-line reader. The input is split on
 * NUL bytes into argv; the first piece is the program name. */
#include "config.h"
#include "qemu/qemu.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	struct qemu_disks d = {0};
	struct vl_error e;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *p = text; argc < MAX_ARGS && p <= text + size;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	/* a cwd that does not exist: file lookups (qemu-img create, commit)
	 * find nothing */
	qemu_read_args(argc, argv, "/nonexistent-vmlock-fuzz", false, &d, &e);
	qemu_disks_free(&d);
	free(qemu_vm_name(argc, argv));
	free(text);
	return 0;
}
