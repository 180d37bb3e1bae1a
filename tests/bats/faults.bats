#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Faults: kill -9 at every step, file systems without lock support,
# images replaced under vmlock's feet.

load helpers

setup() {
	require_strace
	cd "$BATS_TEST_TMPDIR"
	qemu-img create -q -f qcow2 base.qcow2 1M 2>/dev/null || truncate -s 1M base.qcow2
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 2>/dev/null ||
		truncate -s 1M top.qcow2
	truncate -s 1M raw.img
	sums=$(md5sum base.qcow2 top.qcow2 raw.img)
	unset VMLOCK_CONFIG
}

# No lock of ours (or anyone's) is left on the test images.
no_lock_left() {
	for f in base.qcow2 top.qcow2 raw.img; do
		ino=$(stat -c %i "$f")
		if grep -q ":$ino " /proc/locks; then
			echo "lock left on $f:" >&2
			grep ":$ino " /proc/locks >&2
			return 1
		fi
	done
	"$VMLOCK" run --lock top.qcow2 --lock base.qcow2 --lock raw.img -- true
}

unchanged() {
	[ "$(md5sum base.qcow2 top.qcow2 raw.img)" = "$sums" ]
}

# Kills vmlock at the Nth call of each syscall that matters, N = 1, 2, ...
# until a run gets through; after each, nothing may be left locked.
kill_at_every() {	# SYSCALL VMLOCK-ARGS...
	local call=$1 n runs=0
	shift
	for n in $(seq 1 60); do
		run strace -f -o /dev/null -e trace="$call" \
			-e inject="$call":signal=KILL:when=$n "$VMLOCK" "$@"
		no_lock_left || fail "$call #$n: a lock outlived vmlock"
		unchanged || fail "$call #$n: an image changed"
		runs=$((runs + 1))
		[ "$status" -eq 137 ] || break	# got through: no Nth call
	done
	echo "# $call: killed at each of $((runs - 1)) calls" >&3
	[ "$runs" -gt 1 ]
}

ARGS=(run --lock raw.img --lock base.qcow2:readonly -- qemu-img info top.qcow2)

@test "kill -9 at every open: no lock left, no image changed" {
	kill_at_every openat "${ARGS[@]}"
}

@test "kill -9 at every fcntl (between two locks, before inheriting): no lock left" {
	kill_at_every fcntl "${ARGS[@]}"
}

@test "kill -9 at every stat and readlink (parsing, planning): no lock left" {
	kill_at_every newfstatat "${ARGS[@]}"
	kill_at_every readlink "${ARGS[@]}"
}

@test "kill -9 just before exec and of the command after exec" {
	qemu_img=$(command -v qemu-img)
	run strace -f -o /dev/null -P "$qemu_img" -e trace=execve \
		-e inject=execve:signal=KILL "$VMLOCK" run --lock raw.img \
		--lock base.qcow2:readonly -- "$qemu_img" info top.qcow2
	assert_equal "$status" 137
	no_lock_left
	"$VMLOCK" run --lock raw.img --lock top.qcow2 -- sleep 60 &
	pid=$!
	track_pid $pid
	for _ in $(seq 100); do
		[ "$(readlink /proc/$pid/exe)" = "$(readlink -f "$(command -v sleep)")" ] && break
		sleep 0.02
	done
	run "$VMLOCK" run --lock raw.img:readonly -- true
	assert_failure 75
	kill -9 $pid
	wait $pid || true
	no_lock_left	# at once: the kernel dropped them with the last fd
	unchanged
}

@test "a file system without lock support (ENOLCK, EOPNOTSUPP) is 71 and says so" {
	for err in ENOLCK EOPNOTSUPP; do
		run strace -f -o /dev/null -e trace=fcntl -e inject=fcntl:error=$err \
			"$VMLOCK" run --lock raw.img -- true
		assert_failure 71
		assert_output --partial "raw.img: the file system does not support OFD locks"
		no_lock_left
	done
}
