/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/setup/conf.c: vmlock.conf: keys, values, errors with file and
 * line. */
#include "config.h"
#include "setup/conf.h"
#include "../tap.h"

#include <string.h>

static int parse(const char *text, struct vl_config *c, struct vl_error *e)
{
	vl_config_free(c);
	return vl_config_parse(text, strlen(text), "t.conf", c, e);
}

int main(void)
{
	struct vl_config c = { .backing = -1 };
	struct vl_error e;

	ok(parse("# comment\n\ndriver = fcntl\nwait=2.5 # secs\n"
		 "backing = off\nuser = \"qemu\"\ngroup=kvm\r\n"
		 "sanlock.host_id = 7\n", &c, &e) == 0,
	   "driver = fcntl, wait=2.5 # secs, backing = off, user = \"qemu\", "
	   "group=kvm<CR>, sanlock.host_id = 7, after a comment and a blank "
	   "line: parsed");
	ok(c.driver && !strcmp(c.driver, "fcntl") && c.wait_set &&
	   c.wait == 2.5 && c.backing == 0 && !strcmp(c.user, "qemu") &&
	   !strcmp(c.group, "kvm"),
	   "the same file: driver fcntl, wait 2.5, backing off, user qemu, "
	   "group kvm");
	ok(vl_config_option(&c, "sanlock.host_id") &&
	   !strcmp(vl_config_option(&c, "sanlock.host_id"), "7"),
	   "the same file: option sanlock.host_id is 7");
	ok(parse("wait = 1\nbogus = 1\n", &c, &e) == EX_CONFIG &&
	   strstr(e.msg, "t.conf:2") && strstr(e.msg, "bogus"),
	   "wait = 1, then bogus = 1: unknown key names file and "
	   "line: %s", e.msg);
	ok(parse("backing = maybe\n", &c, &e) == EX_CONFIG &&
	   strstr(e.msg, "t.conf:1"), "backing = maybe: %s", e.msg);
	ok(parse("wait = -3\n", &c, &e) == EX_CONFIG, "wait = -3: refused");
	ok(parse("sanlock.host_id = 2001\n", &c, &e) == EX_CONFIG,
	   "sanlock.host_id = 2001: %s", e.msg);
	ok(parse("lockspace.file_mode = 0777\n", &c, &e) == EX_CONFIG,
	   "lockspace.file_mode = 0777: refused, not 0600 or 0640");
	ok(parse("just words\n", &c, &e) == EX_CONFIG &&
	   strstr(e.msg, "not KEY = VALUE"), "just words: %s", e.msg);
	ok(parse("user =\n", &c, &e) == EX_CONFIG,
	   "user =: empty value refused");
	ok(vl_config_parse("driver = x\0y", 12, "t.conf", &c, &e) == EX_CONFIG,
	   "driver = x<NUL>y: a NUL byte is refused");
	vl_config_free(&c);
	return done_testing();
}
