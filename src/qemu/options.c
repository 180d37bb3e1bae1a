/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The qemu-system option table (see options.h). */
#include "config.h"
#include "qemu/options.h"

#include <string.h>

/* QEMU 7.2's options (qemu-options.hx), checked one by one against
 * qemu-system-x86_64: those it answers "requires an argument" take a
 * value; -g, -prom-env, -semihosting-config, -xen-domid are from other
 * targets or builds. */
static const struct sys_option sys_options[] = {
	{ "-async-teardown", SYS_FLAG }, { "-audio-help", SYS_FLAG },
	{ "-daemonize", SYS_FLAG }, { "-enable-kvm", SYS_FLAG },
	{ "-enable-sync-profile", SYS_FLAG }, { "-full-screen", SYS_FLAG },
	{ "-h", SYS_FLAG }, { "-help", SYS_FLAG }, { "-mem-prealloc", SYS_FLAG },
	{ "-no-acpi", SYS_FLAG }, { "-no-fd-bootchk", SYS_FLAG },
	{ "-no-hpet", SYS_FLAG }, { "-no-reboot", SYS_FLAG },
	{ "-no-shutdown", SYS_FLAG }, { "-no-user-config", SYS_NO_USER_CONFIG },
	{ "-nodefaults", SYS_FLAG }, { "-nographic", SYS_FLAG },
	{ "-old-param", SYS_FLAG }, { "-only-migratable", SYS_FLAG },
	{ "-portrait", SYS_FLAG }, { "-preconfig", SYS_FLAG }, { "-S", SYS_FLAG },
	{ "-s", SYS_FLAG }, { "-semihosting", SYS_FLAG },
	{ "-singlestep", SYS_FLAG }, { "-usb", SYS_FLAG },
	{ "-version", SYS_FLAG }, { "-win2k-hack", SYS_FLAG },
	{ "-xen-attach", SYS_FLAG }, { "-xen-domid-restrict", SYS_FLAG },

	{ "-accel", SYS_VALUE }, { "-acpitable", SYS_VALUE },
	{ "-action", SYS_VALUE }, { "-add-fd", SYS_VALUE },
	{ "-append", SYS_VALUE }, { "-audio", SYS_VALUE },
	{ "-audiodev", SYS_VALUE }, { "-bios", SYS_VALUE }, { "-boot", SYS_VALUE },
	{ "-chardev", SYS_VALUE }, { "-chroot", SYS_VALUE },
	{ "-compat", SYS_VALUE }, { "-cpu", SYS_VALUE }, { "-d", SYS_VALUE },
	{ "-D", SYS_VALUE }, { "-debugcon", SYS_VALUE }, { "-dfilter", SYS_VALUE },
	{ "-display", SYS_VALUE }, { "-dtb", SYS_VALUE },
	{ "-dump-vmstate", SYS_VALUE }, { "-echr", SYS_VALUE },
	{ "-fsdev", SYS_VALUE }, { "-fw_cfg", SYS_VALUE }, { "-g", SYS_VALUE },
	{ "-gdb", SYS_VALUE }, { "-global", SYS_VALUE }, { "-icount", SYS_VALUE },
	{ "-incoming", SYS_VALUE }, { "-initrd", SYS_VALUE },
	{ "-iscsi", SYS_VALUE }, { "-k", SYS_VALUE }, { "-kernel", SYS_VALUE },
	{ "-L", SYS_VALUE }, { "-loadvm", SYS_VALUE }, { "-m", SYS_VALUE },
	{ "-M", SYS_VALUE }, { "-machine", SYS_VALUE },
	{ "-mem-path", SYS_VALUE }, { "-mon", SYS_VALUE },
	{ "-monitor", SYS_VALUE }, { "-msg", SYS_VALUE }, { "-net", SYS_VALUE },
	{ "-netdev", SYS_VALUE }, { "-nic", SYS_VALUE }, { "-numa", SYS_VALUE },
	{ "-object", SYS_VALUE }, { "-option-rom", SYS_VALUE },
	{ "-overcommit", SYS_VALUE }, { "-parallel", SYS_VALUE },
	{ "-pidfile", SYS_VALUE }, { "-plugin", SYS_VALUE },
	{ "-prom-env", SYS_VALUE }, { "-qmp", SYS_VALUE },
	{ "-qmp-pretty", SYS_VALUE }, { "-qtest", SYS_VALUE },
	{ "-qtest-log", SYS_VALUE }, { "-rotate", SYS_VALUE },
	{ "-rtc", SYS_VALUE }, { "-runas", SYS_VALUE }, { "-sandbox", SYS_VALUE },
	{ "-seed", SYS_VALUE }, { "-semihosting-config", SYS_VALUE },
	{ "-serial", SYS_VALUE }, { "-smbios", SYS_VALUE }, { "-smp", SYS_VALUE },
	{ "-spice", SYS_VALUE }, { "-tpmdev", SYS_VALUE }, { "-trace", SYS_VALUE },
	{ "-usbdevice", SYS_VALUE }, { "-uuid", SYS_VALUE }, { "-vga", SYS_VALUE },
	{ "-virtfs", SYS_VALUE }, { "-vnc", SYS_VALUE },
	{ "-watchdog-action", SYS_VALUE }, { "-xen-domid", SYS_VALUE },

	{ "-drive", SYS_DRIVE },
	{ "-hda", SYS_DISK }, { "-hdb", SYS_DISK }, { "-hdc", SYS_DISK },
	{ "-hdd", SYS_DISK }, { "-fda", SYS_DISK }, { "-fdb", SYS_DISK },
	{ "-mtdblock", SYS_DISK }, { "-sd", SYS_DISK }, { "-pflash", SYS_DISK },
	{ "-cdrom", SYS_CDROM },
	{ "-blockdev", SYS_BLOCKDEV },
	{ "-device", SYS_DEVICE },
	{ "-set", SYS_SET },
	{ "-snapshot", SYS_SNAPSHOT },
	{ "-name", SYS_NAME },
	{ "-readconfig", SYS_READCONFIG },
};

const struct sys_option *qemu_find_option(const char *arg)
{
	const char *name = arg + (arg[1] == '-' ? 1 : 0);

	for (size_t i = 0; i < sizeof sys_options / sizeof *sys_options; i++)
		if (!strcmp(sys_options[i].name, name))
			return &sys_options[i];
	return NULL;
}
