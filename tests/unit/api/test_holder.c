/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/api/holder.c: lists of holders, and how messages describe one. */
#include "config.h"
#include "api/api.h"
#include "util/util.h"
#include "../tap.h"

#include <stdlib.h>
#include <string.h>

static void describe_is(const char *want, struct vl_holder h,
			const char *what)
{
	char *got = vl_holder_describe(&h);

	if (!ok(!strcmp(got, want), "%s: %s", what, want))
		printf("#   got: %s\n", got);
	free(got);
}

int main(void)
{
	struct vl_holders hs = {0};

	describe_is("pid 123 (qemu-system-x86_64, VM \"web\")",
		    (struct vl_holder){ .pid = 123,
					.command = "qemu-system-x86_64",
					.name = "web" },
		    "pid 123, command qemu-system-x86_64, VM web");
	describe_is("pid 9 (qemu\\x0a\\x22x, VM \"web\\x22, VM \\x22a\\x0ab\\xff\")",
		    (struct vl_holder){ .pid = 9, .command = "qemu\n\"x",
					.name = "web\", VM \"a\nb\xff" },
		    "pid 9, command and VM name with quotes, newlines, \\xff");
	describe_is("pid 7 (?)", (struct vl_holder){ .pid = 7 },
		    "pid 7, command unknown, no VM name");
	describe_is("pid 7 (qemu-img, incoming handover)",
		    (struct vl_holder){ .pid = 7, .command = "qemu-img",
					.role = VL_ROLE_INCOMING },
		    "pid 7, qemu-img, role incoming");
	describe_is("a process of this host not visible to you, handover offer",
		    (struct vl_holder){ .pid = -1, .role = VL_ROLE_OFFER },
		    "pid -1 (not visible), role offer");
	describe_is("a process on another host",
		    (struct vl_holder){ .pid = -1, .remote = true },
		    "remote holder");
	describe_is("a process on another host, a lock manager outside vmlock",
		    (struct vl_holder){ .pid = -1, .remote = true,
					.role = VL_ROLE_FOREIGN },
		    "remote holder, role foreign");
	describe_is("pid 42 (qemu-system-x86, VM \"web\", QEMU's own image lock)",
		    (struct vl_holder){ .pid = 42, .command = "qemu-system-x86",
					.name = "web", .role = VL_ROLE_QEMU },
		    "pid 42, VM web, role qemu");
	ok(!strcmp(vl_role_name(VL_ROLE_HOLDER), "holder") &&
	   !strcmp(vl_role_name(VL_ROLE_INCOMING), "incoming") &&
	   !strcmp(vl_role_name(VL_ROLE_OFFER), "offer") &&
	   !strcmp(vl_role_name(VL_ROLE_FOREIGN), "foreign") &&
	   !strcmp(vl_role_name(VL_ROLE_QEMU), "qemu"),
	   "role names of holder, incoming, offer, foreign, qemu");

	struct vl_holder two[] = {
		{ .pid = 5, .command = "qemu-img" },
		{ .pid = 6, .command = "sleep", .role = VL_ROLE_OFFER },
	};
	struct vl_holders pair = { two, 2, 2 };
	char *text = vl_holders_text(&pair, 0);
	ok(!strcmp(text, "pid 5 (qemu-img), pid 6 (sleep, handover offer)"),
	   "two holders, none left out: both, joined by \", \"");
	free(text);
	text = vl_holders_text(&pair, 5);
	ok(!strcmp(text, "pid 6 (sleep, handover offer)"),
	   "two holders, pid 5 left out: pid 6 alone");
	free(text);
	pair.n = 0;
	text = vl_holders_text(&pair, 0);
	ok(!strcmp(text, "a holder that has gone"),
	   "no holder: \"a holder that has gone\"");
	free(text);

	for (int i = 0; i < 20; i++)
		vl_holders_add(&hs)->command = vl_asprintf("c%d", i);
	ok(hs.n == 20 && hs.cap >= 20 && hs.v[0].pid == -1 &&
	   hs.v[19].pid == -1 && !hs.v[19].remote &&
	   !strcmp(hs.v[19].command, "c19"),
	   "20 holders added: each starts as pid -1, local");
	vl_holders_free(&hs);
	ok(!hs.n && !hs.v, "holders freed: empty");

	struct vl_found_list fl = {0};
	struct vl_found *f = vl_found_add(&fl, vl_strdup("/x.img"));
	vl_holders_add(&f->holders)->pid = 5;
	ok(fl.n == 1 && !strcmp(fl.v[0].path, "/x.img") &&
	   fl.v[0].holders.n == 1 && fl.v[0].holders.v[0].pid == 5,
	   "found /x.img with holder pid 5: listed");
	vl_found_free(&fl);
	ok(!fl.n && !fl.v, "found list freed: empty");
	return done_testing();
}
