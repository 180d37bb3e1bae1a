#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# The operator scripts in examples/ run as documented.

load helpers

@test "examples/demo.sh: a real QEMU under lock, a refused second launch, inquire" {
	run timeout 120 "$TESTS_SRCDIR/../examples/demo.sh" "$VMLOCK"
	assert_success
	assert_output --partial "busy: wanted exclusive, held exclusive by pid"
	assert_output --partial 'VM "demo-vm"'
	assert_output --partial "exit status 75"
	assert_output --regexp "readonly +[0-9]+ holder +local .*base.qcow2"
	assert_output --regexp "free +- .*vm.qcow2"
}

@test "examples/migrate.sh: a local live migration under vmlock" {
	run timeout 180 "$TESTS_SRCDIR/../examples/migrate.sh" "$VMLOCK"
	assert_success
	assert_output --regexp ": handover slot [01] settled: held exclusive, byte 0 too"
	assert_output --regexp "exclusive +[0-9]+ holder +local +qemu-system-x86_64 +dst "
}

@test "examples/hotplug.sh: hot-plug, snapshot, commit and mirror through vmlock qmp" {
	"$VMLOCK" qmp -h >/dev/null 2>&1 || skip "this vmlock has no qmp command"
	run timeout 180 "$TESTS_SRCDIR/../examples/hotplug.sh" "$VMLOCK"
	assert_success
	assert_output --partial "disk.qcow2: locked exclusive"
	assert_output --partial "disk.qcow2: lowered exclusive to readonly"
	assert_output --partial "disk.qcow2: upgraded readonly to exclusive"
	assert_output --partial "snap.qcow2: released exclusive"
	assert_output --regexp "exclusive +[0-9]+ holder +local +qemu-system-x86_64 +hotplug +.*/copy.qcow2"
	assert_output --partial "hot-plug under vmlock: OK"
}
