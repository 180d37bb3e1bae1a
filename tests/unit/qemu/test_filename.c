/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/filename.c: protocol prefixes, names beside their image, and
 * names relative to an image. */
#include "config.h"
#include "qemu/filename.h"
#include "util/util.h"
#include "../tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_protocol(void)
{
	ok(qemu_name_is_protocol("nbd:x") && !qemu_name_is_protocol("/a:b") &&
	   !qemu_name_is_protocol("file:/a") && !qemu_name_is_protocol("a"),
	   "nbd:x is a protocol; /a:b, file:/a and a are not");
}

static void beside_is(const char *image, const char *name, const char *want)
{
	char *got = qemu_name_beside(image, name);

	if (!ok(!strcmp(got, want), "%s beside %s: %s", name, image, want))
		printf("#   got: %s\n", got);
	free(got);
}

static void test_beside(void)
{
	beside_is("/d/top.qcow2", "base.qcow2", "/d/base.qcow2");
	beside_is("/d/sub/top.qcow2", "../base.qcow2", "/d/sub/../base.qcow2");
	beside_is("top.qcow2", "base.qcow2", "base.qcow2");
	beside_is("/d/top.qcow2", "/abs/base", "/abs/base");
	beside_is("/d/top.qcow2", "nbd://h/x", "nbd://h/x");
	beside_is("/d/top.qcow2", "json:{\"filename\": \"b\"}",
		  "json:{\"filename\": \"b\"}");
}

int main(void)
{
	test_protocol();
	test_beside();
	return done_testing();
}
