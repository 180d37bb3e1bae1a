/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/api/resource.c: modes and their matrix, errno codes, errors,
 * deadlines. */
#include "config.h"
#include "api/api.h"
#include "util/util.h"
#include "../tap.h"

#include <errno.h>
#include <string.h>

static void test_modes(void)
{
	enum vl_mode m;
	static const bool matrix[3][3] = {
		{ false, false, false },
		{ false, true, false },
		{ false, false, true },
	};

	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			ok(vl_modes_compatible(a, b) == matrix[a][b],
			   "%s with %s: %s", vl_mode_name(a), vl_mode_name(b),
			   matrix[a][b] ? "ok" : "conflict");
	ok(vl_mode_parse("shared", &m) && m == VL_SHARED,
	   "parse \"shared\": VL_SHARED");
	ok(vl_mode_parse("readonly", &m) && m == VL_READONLY,
	   "parse \"readonly\": VL_READONLY");
	ok(!vl_mode_parse("ro", &m) && !vl_mode_parse("", &m) &&
	   !vl_mode_parse("Exclusive", &m),
	   "parse \"ro\", \"\", \"Exclusive\": refused, only the three names "
	   "parse");
	ok(vl_mode_stronger(VL_READONLY, VL_EXCLUSIVE) == VL_EXCLUSIVE &&
	   vl_mode_stronger(VL_SHARED, VL_READONLY) == VL_SHARED,
	   "stronger of readonly and exclusive: exclusive; of shared and "
	   "readonly: shared");
}

static void test_errno_codes(void)
{
	ok(vl_errno_code(ENOENT) == EX_NOINPUT, "ENOENT is 66");
	ok(vl_errno_code(EACCES) == EX_NOPERM, "EACCES is 77");
	ok(vl_errno_code(ENOLCK) == EX_OSERR, "ENOLCK is 71");
}

static void test_fail(void)
{
	struct vl_error e = {0};

	ok(vl_fail(&e, EX_DATAERR, "%s: %d", "img", 7) == EX_DATAERR &&
	   e.code == EX_DATAERR && !strcmp(e.msg, "img: 7"),
	   "vl_fail(e, 65, \"%%s: %%d\", \"img\", 7): returns 65, \"img: 7\"");
	strcpy(e.msg, "abc");
	ok(vl_fail(&e, 64, "x: %s", e.msg) == 64 && !strcmp(e.msg, "x: abc"),
	   "vl_fail(e, 64, \"x: %%s\", e->msg) with e->msg \"abc\": "
	   "\"x: abc\"");
	char lower[sizeof e.msg];
	memset(lower, 'a', sizeof lower - 1);
	lower[sizeof lower - 1] = '\0';
	strcpy(e.msg, lower);
	vl_fail(&e, 65, "ctx: %s", e.msg);
	ok(strlen(e.msg) == sizeof e.msg - 1 && !strncmp(e.msg, "ctx: aaa", 8),
	   "vl_fail(e, 65, \"ctx: %%s\", e->msg) with 1023 bytes in e->msg: "
	   "cut at 1023 bytes, context first");
}

static void test_deadline(void)
{
	struct vl_deadline d = vl_deadline_in(0);
	struct vl_deadline never = vl_deadline_in(-1);

	ok(vl_deadline_passed(&d), "vl_deadline_in(0): passed at once");
	ok(!vl_deadline_passed(&never) && never.forever,
	   "vl_deadline_in(-1): never passes");
	d = vl_deadline_in(10);
	ok(vl_deadline_left(&d) > 9 && vl_deadline_left(&d) <= 10,
	   "vl_deadline_in(10): 10 s left");
}

int main(void)
{
	test_modes();
	test_errno_codes();
	test_fail();
	test_deadline();
	return done_testing();
}
