#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Driver modules, the lockspace driver and named leases.

load helpers

setup() {
	MODULES=${VMLOCK_MODULES:-$(dirname "$VMLOCK")/drivers/.libs}
	cd "$BATS_TEST_TMPDIR"
	mkdir -p space
	SPACE=$BATS_TEST_TMPDIR/space
	truncate -s 1M img
	unset VMLOCK_CONFIG VMLOCK_DRIVER_DIR
	PIDS=()
}

teardown() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -z "${LOOP:-}" ] || losetup -d "$LOOP" 2>/dev/null || true
	[ -z "${DM:-}" ] || dmsetup remove "$DM" 2>/dev/null || true
	vl_teardown
}

hold() {	# ARGS...: vmlock run ARGS -- sleep 60 in the background
	"$VMLOCK" run "$@" -- sleep 60 &
	PIDS+=($!)
	HOLDER=$!
	for _ in $(seq 200); do
		grep -q "OFDLCK" /proc/$HOLDER/fdinfo/* 2>/dev/null &&
			[ "$(readlink /proc/$HOLDER/exe)" != "$(readlink -f "$VMLOCK")" ] &&
			return 0
		sleep 0.02
	done
	echo "holder $HOLDER never held its locks" >&2
	return 1
}

@test "a named lease is held by one launcher; the second is refused naming lease and holder" {
	hold --lockspace "$SPACE" --lease web-vm
	run "$VMLOCK" run --lockspace "$SPACE" --lease web-vm -- true
	assert_failure 75
	assert_output --partial "lease:web-vm: busy: wanted exclusive, held exclusive by pid $HOLDER"
	run "$VMLOCK" run --lockspace "$SPACE" --lease other-vm -- true
	assert_success
}

@test "lease modes follow the matrix: shared with shared, not with readonly" {
	hold --lockspace "$SPACE" --lease pool:shared
	run "$VMLOCK" run --lockspace "$SPACE" --lease pool:shared -- true
	assert_success
	run "$VMLOCK" run --lockspace "$SPACE" --lease pool:readonly -- true
	assert_failure 75
	assert_output --partial "held shared"
}

@test "lease files: 32 hex digits and the owner's uid, mode 0644 (0640 by config), recording their key" {
	run "$VMLOCK" run --lockspace "$SPACE" --lease alpha -- true
	assert_success
	files=("$SPACE"/*)
	[ "${#files[@]}" -eq 1 ]
	[[ "$(basename "${files[0]}")" =~ ^[0-9a-f]{32}\.$(id -u)$ ]]
	assert_equal "$(stat -c %a "${files[0]}")" 644
	grep -qx "lease:alpha" "${files[0]}"
	printf 'lockspace.file_mode = 0640\n' > conf
	chmod 644 conf
	run "$VMLOCK" run --config conf --lockspace "$SPACE" --lease beta -- true
	assert_success
	run sh -c "grep -l '^lease:beta\$' '$SPACE'/* | xargs stat -c %a"
	assert_output 640
}

@test "a symlink planted at a lease file's name is never locked through: another file is" {
	run "$VMLOCK" run --lockspace "$SPACE" --lease gamma -- true
	lease=$(echo "$SPACE"/*)
	rm "$lease"
	ln -s "$BATS_TEST_TMPDIR/img" "$lease"
	hold --lockspace "$SPACE" --lease gamma
	[ "$(vl_py probe "$BATS_TEST_TMPDIR/img")" = free ]
	[ -L "$lease" ]
	run "$VMLOCK" run --lockspace "$SPACE" --lease gamma -- true
	assert_failure 75
	assert_output --partial "lease:gamma: busy: wanted exclusive, held exclusive by pid $HOLDER"
	run "$VMLOCK" inquire --all
	refute_output --partial "$BATS_TEST_TMPDIR/img"
}

@test "named leases need no driver change: fcntl locks the image, the lockspace the lease" {
	hold --lockspace "$SPACE" --lock img --lease vm-1
	run "$VMLOCK" run --lock img:readonly -- true
	assert_failure 75
	run "$VMLOCK" inquire --lockspace "$SPACE" --json --lease vm-1 img
	assert_success
	assert_output --partial "\"path\": \"lease:vm-1\", \"mode\": \"exclusive\""
	assert_output --partial "\"path\": \"$BATS_TEST_TMPDIR/img\", \"mode\": \"exclusive\""
}

@test "--driver lockspace locks images through lease files, not the image" {
	hold --driver lockspace --lockspace "$SPACE" --lock img
	run "$VMLOCK" run --driver lockspace --lockspace "$SPACE" --lock img:readonly -- true
	assert_failure 75
	assert_output --partial "$BATS_TEST_TMPDIR/img: busy"
	assert_output --partial "pid $HOLDER"
	ino=$(stat -c %i img)
	run grep ":$ino " /proc/locks
	assert_failure	# the image itself carries no lock
	grep -qx "file:$BATS_TEST_TMPDIR/img" "$SPACE"/*
	run "$VMLOCK" inquire --driver lockspace --lockspace "$SPACE" img
	assert_output --partial "exclusive"
	assert_output --partial "$HOLDER"
}

@test "inquire --all names leases; --prune removes only lease files nobody holds" {
	"$VMLOCK" run --lockspace "$SPACE" --lease stale-1 -- true
	"$VMLOCK" run --lockspace "$SPACE" --lease stale-2 -- true
	hold --lockspace "$SPACE" --lease live
	[ "$(ls "$SPACE" | wc -l)" -eq 3 ]
	run "$VMLOCK" inquire --all --lockspace "$SPACE"
	assert_output --partial "lease:live"
	refute_output --partial "stale-1"
	run "$VMLOCK" inquire --all --prune --lockspace "$SPACE"
	assert_success
	assert_output --partial "pruned stale lease file of lease:stale-1"
	assert_output --partial "pruned stale lease file of lease:stale-2"
	[ "$(ls "$SPACE" | wc -l)" -eq 1 ]
	grep -qx "lease:live" "$SPACE"/*
	run "$VMLOCK" run --lockspace "$SPACE" --lease live -- true
	assert_failure 75
	run "$VMLOCK" run --lockspace "$SPACE" --lease stale-1 -- true
	assert_success	# a pruned lease is simply made again
}

@test "modules: loaded from VMLOCK_DRIVER_DIR; nop locks nothing" {
	[ -f "$MODULES/nop.so" ] || fail "no modules built in $MODULES"
	VMLOCK_DRIVER_DIR=$MODULES run "$VMLOCK" run -v --driver nop --lock img -- true
	assert_success
	assert_output --partial "module $MODULES/nop.so"
	"$VMLOCK" run --driver nop --lock img -- sleep 60 &
	PIDS+=($!)
	run "$VMLOCK" run --driver nop --lock img -- true
	assert_success
	run "$VMLOCK" inquire img
	assert_output --partial "free"
	VMLOCK_DRIVER_DIR=$MODULES run "$VMLOCK" run -v --driver lockspace \
		--lockspace "$SPACE" --lease mod -- true
	assert_success
	assert_output --partial "module $MODULES/lockspace.so"
}

@test "a module built for another interface version is refused" {
	command -v cc >/dev/null || skip "no C compiler"
	mkdir mods
	printf 'const struct { unsigned abi; const char *name; } vmlock_driver = { 999, "old" };\n' > old.c
	cc -shared -fPIC -o mods/old.so old.c
	VMLOCK_DRIVER_DIR=$PWD/mods run "$VMLOCK" run --driver old --lock img -- true
	assert_failure 78
	assert_output --partial "interface 999"
	VMLOCK_DRIVER_DIR=$PWD/mods run "$VMLOCK" run --driver nosuch --lock img -- true
	assert_failure 78
	assert_output --partial "no such driver"
	run "$VMLOCK" run --driver ../evil --lock img -- true
	assert_failure 78
}

# A holder on another host is one our /proc cannot show. A pid namespace
# shows that half; /proc/locks still lists the lock (same kernel), so
# vmlock says "this host, not visible" rather than "remote": a real
# remote holder (NFS) is absent from /proc/locks too.
@test "two hosts: a holder in another pid namespace refuses, reported without pid" {
	unshare --pid --fork --mount-proc true 2>/dev/null ||
		skip "cannot make a pid namespace here: $(unshare --pid --fork --mount-proc true 2>&1)"
	hold --lockspace "$SPACE" --lease shared-vm --lock img
	run unshare --pid --fork --mount-proc "$VMLOCK" run --lockspace "$SPACE" --lease shared-vm -- true
	assert_failure 75
	assert_output --partial "held exclusive by a process of this host not visible to you"
	run unshare --pid --fork --mount-proc "$VMLOCK" inquire --json --lockspace "$SPACE" --lease shared-vm img
	assert_output --partial '"pid": null, "host": "local", "mode": "exclusive"'
}

@test "block devices: the lease key is the device-mapper UUID when there is one" {
	[ "$(id -u)" = 0 ] || skip "needs root for a loop device (running as $(id -un))"
	truncate -s 4M disk
	LOOP=$(losetup -f --show disk 2>/dev/null) || skip "losetup: no loop device here"
	run "$VMLOCK" run --driver lockspace --lockspace "$SPACE" --lock "$LOOP" -- true
	assert_success
	grep -qx "file:$LOOP" "$SPACE"/*	# a loop device has no WWID or UUID
	DM=vmlock-test-$$
	dmsetup create "$DM" --uuid "LVM-vmlocktest$$" --table "0 8192 linear $LOOP 0" 2>/dev/null ||
		{ DM=; skip "dmsetup cannot create devices here"; }
	dev=$(readlink -f /dev/mapper/$DM)
	hold --driver lockspace --lockspace "$SPACE" --lock "/dev/mapper/$DM"
	grep -qx "lvm:LVM-vmlocktest$$" "$SPACE"/*
	run "$VMLOCK" run --driver lockspace --lockspace "$SPACE" --lock "$dev:readonly" -- true
	assert_failure 75
}
