#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# vmlock run with a real QEMU: the lock lives exactly as long as QEMU, and
# QEMU's own image locking keeps working beside it.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	command -v "$QEMU" >/dev/null || fail "$QEMU not installed"
	command -v qemu-img >/dev/null || fail "qemu-img not installed"
	IMG=$(mkqcow2 disk.qcow2)
}

# opens PID PATH: PID has PATH open.
opens() {
	vl_py fds "$1" | grep -qx "[0-9]* $2"
}

# exited PID: true once PID is gone (or a zombie).
exited() {
	! alive "$1"
}

# wait_exit PID: waits (bounded) for PID to end, reaps it, sets EXIT_STATUS.
wait_exit() {
	wait_until "$VL_PATIENCE" exited "$1" || fail "pid $1 still runs after ${VL_PATIENCE}s"
	EXIT_STATUS=0
	wait "$1" || EXIT_STATUS=$?
}

@test "QEMU under vmlock run keeps the lock: a second launch is busy, naming the QEMU pid and VM name" {
	start_qemu_vmlock "$IMG" -- -name testvm
	wait_held "$QEMU_PID" "$IMG"
	run -75 --separate-stderr "$VMLOCK" run --lock "$IMG" -- true
	[[ $stderr == *"$(canon "$IMG")"* ]] || fail "path: $stderr"
	[[ $stderr == *"pid $QEMU_PID"* ]] || fail "pid: $stderr"
	[[ $stderr == *"held exclusive"* ]] || fail "mode: $stderr"
	[[ $stderr == *'VM "testvm"'* ]] || fail "VM name: $stderr"
	# readonly does not get in either
	run -75 --separate-stderr "$VMLOCK" run --lock "$IMG:readonly" -- true
	# QEMU still runs, unharmed
	run -0 qmp '{"execute": "query-status"}'
	assert_output --partial '"return"'
}

@test "the VM name of -name guest=NAME,... is reported" {
	start_qemu_vmlock "$IMG" -- -name guest=webvm,debug-threads=on
	run -75 --separate-stderr "$VMLOCK" run --lock "$IMG" -- true
	[[ $stderr == *'VM "webvm"'* ]] || fail "VM name: $stderr"
	run -0 --separate-stderr "$VMLOCK" inquire --json "$IMG"
	"$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); h = d["resources"][0]["holders"][0]; sys.exit(h["name"] != "webvm")' "$output" ||
		fail "name in $output"
}

@test "the lock survives QEMU closing its own fds on the image (drive_del)" {
	start_qemu_vmlock "$IMG"
	run -0 qmp '{"execute": "human-monitor-command", "arguments": {"command-line": "drive_del d0"}}'
	assert_output --partial '"return"'
	# QEMU has dropped the image (its own locks are gone) ...
	run -0 qmp '{"execute": "query-block"}'
	refute_output --partial 'disk.qcow2'
	# ... vmlock's lock is still held by the QEMU process
	wait_held "$QEMU_PID" "$IMG"
	run -75 --separate-stderr "$VMLOCK" run --lock "$IMG" -- true
	[[ $stderr == *"pid $QEMU_PID"* ]] || fail "$stderr"
}

@test "QEMU's own locking still works beside vmlock's; after QMP quit the image is free" {
	start_qemu_vmlock "$IMG"
	run --separate-stderr qemu-io -c 'write 0 512' "$IMG"
	[[ $status != 0 ]] || fail "qemu-io wrote to an image QEMU has open"
	[[ $stderr == *'"write" lock'* ]] || fail "qemu-io failed for another reason: $stderr"
	run qmp '{"execute": "quit"}'
	wait_exit "$QEMU_PID"
	[[ $EXIT_STATUS == 0 ]] || fail "QEMU exited $EXIT_STATUS"
	assert_free "$IMG"
	run -0 --separate-stderr qemu-io -c 'write 0 512' "$IMG"
}

@test "vmlock's locks do not take QEMU's bytes: qemu-io works on an image a plain command holds" {
	start_holder "$IMG"
	run -0 --separate-stderr qemu-io -c 'write 0 512' -c 'read 0 512' "$IMG"
	# and a QEMU started beside the holder (not through vmlock) opens it
	start_qemu -drive "file=$IMG,if=none,id=d0,format=qcow2"
	run -0 qmp '{"execute": "query-block"}'
	assert_output --partial 'disk.qcow2'
}

@test "after kill -9 of QEMU the lock is free at once" {
	start_qemu_vmlock "$IMG"
	wait_held "$QEMU_PID" "$IMG"
	kill -KILL "$QEMU_PID"
	wait_exit "$QEMU_PID"
	[[ $EXIT_STATUS == $((128 + 9)) ]] || fail "exit status $EXIT_STATUS"
	assert_free "$IMG"
	run -0 --separate-stderr qemu-io -c 'write 0 512' "$IMG"
}

@test "the lock holder is the QEMU process itself: inquire pid is \$! of the backgrounded vmlock" {
	start_qemu_vmlock "$IMG" -- -name pidvm
	[[ $(readlink "/proc/$QEMU_PID/exe") == "$(readlink -f "$(command -v "$QEMU")")" ]] ||
		fail "pid $QEMU_PID runs $(readlink "/proc/$QEMU_PID/exe"), not QEMU"
	run -0 --separate-stderr "$VMLOCK" inquire --json "$IMG"
	"$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
r = d["resources"][0]
assert r["mode"] == "exclusive", r
assert [h["pid"] for h in r["holders"]] == [int(sys.argv[2])], r
h = r["holders"][0]
assert h["command"].startswith("qemu-system-x86"), h
assert h["host"] == "local" and h["role"] == "holder" and h["name"] == "pidvm", h
' "$output" "$QEMU_PID" || fail "inquire: $output"
	# no wrapper left around QEMU: it has no vmlock child, and its parent
	# is this test's shell
	run pgrep -P "$QEMU_PID"
	assert_output ""
	[[ $(awk '{ print $4 }' "/proc/$QEMU_PID/stat") == "$$" || $(awk '{ print $4 }' "/proc/$QEMU_PID/stat") == "$BASHPID" ]] ||
		fail "QEMU's parent is $(awk '{ print $4 }' "/proc/$QEMU_PID/stat")"
}

@test "two QEMUs share an image under readonly locks; an exclusive or shared launch is refused" {
	start_qemu_vmlock "$IMG:readonly" -- -name ro1
	q1=$QEMU_PID
	start_qemu_vmlock "$IMG:readonly" -- -name ro2
	q2=$QEMU_PID
	wait_held "$q1" "$IMG"
	wait_held "$q2" "$IMG"
	run -75 --separate-stderr "$VMLOCK" run --lock "$IMG" -- true
	[[ $stderr == *"held readonly"* ]] || fail "$stderr"
	run -75 --separate-stderr "$VMLOCK" run --lock "$IMG:shared" -- true
	run -0 --separate-stderr "$VMLOCK" inquire --json "$IMG"
	"$PY" -c '
import json, sys
r = json.loads(sys.argv[1])["resources"][0]
assert r["mode"] == "readonly", r
assert sorted(h["pid"] for h in r["holders"]) == sorted(map(int, sys.argv[2:])), r
assert sorted(h["name"] for h in r["holders"]) == ["ro1", "ro2"], r
' "$output" "$q1" "$q2" || fail "inquire: $output"
	# one quits: the other still holds it
	run qmp '{"execute": "quit"}'
	wait_exit "$q2"
	run -75 --separate-stderr "$VMLOCK" run --lock "$IMG" -- true
	[[ $stderr == *"pid $q1"* ]] || fail "$stderr"
	kill -KILL "$q1"
	wait_exit "$q1"
	assert_free "$IMG"
}

@test "a QEMU refused by vmlock never starts" {
	start_holder "$IMG"
	qemu_cmd
	run -75 --separate-stderr timeout 30 "$VMLOCK" run --lock "$IMG" -- "${QEMU_CMD[@]}" \
		-drive "file=$IMG,if=none,id=d0,format=qcow2"
	[[ ! -e $QMP_SOCK ]] || fail "QEMU was started"
	alive "$HOLDER_PID"
}

@test "revoke stops a QEMU that holds an image, and frees it" {
	start_qemu_vmlock "$IMG" -- -name victim
	run -0 --separate-stderr timeout 30 "$VMLOCK" revoke "$IMG"
	wait_exit "$QEMU_PID"
	assert_free "$IMG"
	run -0 --separate-stderr qemu-io -c 'write 0 512' "$IMG"
}

@test "an image rebased while a launcher waits: its new backing file is locked too" {
	base=$(mkqcow2 base.qcow2)
	newbase=$(mkqcow2 newbase.qcow2)
	top=$BATS_TEST_TMPDIR/top.qcow2
	qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$top"
	start_holder "$top"
	holder=$HOLDER_PID
	qemu_cmd
	start_bg "$VMLOCK" run --wait 30 -- "${QEMU_CMD[@]}" -S \
		-drive "file=$top,if=none,id=d0"
	QEMU_PID=$BG_PID
	# the launcher waits, the chain top -> base read and opened ...
	wait_until "$VL_PATIENCE" opens "$QEMU_PID" "$base" ||
		fail "the launcher did not wait on the chain"
	# ... and the holder rebases the image before it leaves
	qemu-img rebase -q -u -b "$newbase" -F qcow2 "$top"
	kill_wait "$holder"
	wait_qmp
	wait_held "$QEMU_PID" "$newbase"
	run -75 --separate-stderr "$VMLOCK" run --lock "$newbase" -- true
	[[ $stderr == *"pid $QEMU_PID"* ]] || fail "$stderr"
}
