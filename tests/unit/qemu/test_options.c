/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/options.c: the qemu-system option table. */
#include "config.h"
#include "qemu/options.h"
#include "../tap.h"

#include <stddef.h>

static void kind_is(const char *arg, int want, const char *what)
{
	const struct sys_option *o = qemu_find_option(arg);

	ok(want < 0 ? !o : o && (int)o->kind == want, "%s: %s", arg, what);
}

int main(void)
{
	kind_is("-drive", SYS_DRIVE, "a -drive item");
	kind_is("--drive", SYS_DRIVE, "the same as -drive");
	kind_is("-hda", SYS_DISK, "a legacy disk");
	kind_is("-cdrom", SYS_CDROM, "a legacy CD-ROM");
	kind_is("-blockdev", SYS_BLOCKDEV, "a -blockdev item");
	kind_is("-device", SYS_DEVICE, "a -device item");
	kind_is("-set", SYS_SET, "GROUP.ID.KEY=VALUE");
	kind_is("-snapshot", SYS_SNAPSHOT, "-snapshot, no value");
	kind_is("-name", SYS_NAME, "the VM name");
	kind_is("-readconfig", SYS_READCONFIG, "a config file");
	kind_is("-no-user-config", SYS_NO_USER_CONFIG, "no value");
	kind_is("-nographic", SYS_FLAG, "a flag, no value");
	kind_is("-m", SYS_VALUE, "takes a value that names no disk");
	kind_is("-frobnicate", -1, "unknown");
	kind_is("drive", -1, "unknown without its dash");
	kind_is("---drive", -1, "unknown with three dashes");
	return done_testing();
}
