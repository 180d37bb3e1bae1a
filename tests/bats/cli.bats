#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Command-line conventions: help on every command, vmlock help, --version,
# one meaning per short option, signal names, bad options said once, and
# what long work says while it waits.

bats_require_minimum_version 1.5.0
load helpers

COMMANDS=(run inquire revoke handover audit sync qmp sanlock-join)

@test "-h and --help on every command: Usage: vmlock COMMAND, exit 0" {
	local c
	for c in "${COMMANDS[@]}"; do
		run -0 --separate-stderr "$VMLOCK" "$c" -h
		assert_line --index 0 --partial "Usage: vmlock $c "
		assert_output --partial "-h, --help"
		run -0 --separate-stderr "$VMLOCK" "$c" --help
		assert_line --index 0 --partial "Usage: vmlock $c "
	done
}

@test "vmlock help lists the commands; vmlock help COMMAND is its --help" {
	run -0 --separate-stderr "$VMLOCK" help
	for c in "${COMMANDS[@]}"; do
		assert_line --regexp "^  $c "
	done
	run -0 --separate-stderr "$VMLOCK" help revoke
	assert_line --index 0 "Usage: vmlock revoke [OPTIONS] PATH..."
	assert_output --partial "--signal"
	run -64 --separate-stderr "$VMLOCK" help no-such-command
	[[ $stderr == *'unknown command "no-such-command"'* ]] || fail "stderr: $stderr"
}

@test "--version: version, QEMU version, drivers built in, module directory, sanlock" {
	run -0 --separate-stderr "$VMLOCK" --version
	assert_line --index 0 --regexp '^vmlock [0-9]+\.[0-9]+\.[0-9]+$'
	assert_line --index 1 --regexp '^reads QEMU command lines as QEMU [0-9.]+ does$'
	assert_line --index 2 "drivers built in: fcntl lockspace nop"
	assert_line --index 3 --regexp '^module directory: /.*/vmlock/drivers '
	assert_line --index 4 --regexp '^sanlock: (supported|not supported)'
	# what it says of sanlock is what was built
	if [[ -e $VMLOCK_MODULES/sanlock.so ]]; then
		assert_line --index 4 --partial "sanlock: supported"
	fi
}

@test "a bad option: one message naming it, exit 64, no empty vmlock: line" {
	local c
	for c in "${COMMANDS[@]}"; do
		run -64 --separate-stderr "$VMLOCK" "$c" --no-such-option
		[[ $stderr == "vmlock: --no-such-option: unknown option" ]] ||
			fail "$c: stderr: $stderr"
	done
}

@test "short options mean one thing everywhere: -L lease, -l lock, -N dry run, -U user" {
	in_tmpdir disk.img
	unset VMLOCK_CONFIG
	run -0 --separate-stderr "$VMLOCK" run -N -l disk.img -L web -- true
	assert_output "exclusive	$(canon disk.img)
exclusive	lease:web"
	run -0 --separate-stderr "$VMLOCK" inquire --lockspace "$BATS_TEST_TMPDIR/space" -L web --json
	[[ $output == *'"path": "lease:web"'* ]] || fail "$output"
	run -0 --separate-stderr "$VMLOCK" revoke --lockspace "$BATS_TEST_TMPDIR/space" -L web
	# -U is --user: an unknown user is named
	run --separate-stderr "$VMLOCK" run -U no-such-user-vmlock -l disk.img -- true
	[[ $status != 0 && $stderr == *no-such-user-vmlock* ]] || fail "status $status: $stderr"
	# the letters that moved are no longer taken for their old meaning
	run -64 --separate-stderr "$VMLOCK" run -n -l disk.img -- true
	run -64 --separate-stderr "$VMLOCK" inquire -l web
}

@test "revoke --signal takes any signal name, any case, with or without SIG, and says what it sent" {
	img=$(mkimg disk.img)
	# given, the name it has, its number
	for sig in ALRM:ALRM:14 sigvtalrm:VTALRM:26 Pipe:PIPE:13 10:USR1:10; do
		IFS=: read -r given name number <<<"$sig"
		start_holder "$img"
		run -0 --separate-stderr timeout 30 "$VMLOCK" revoke --signal "$given" "$img"
		st=0
		wait "$HOLDER_PID" || st=$?
		[[ $st == $((128 + number)) ]] || fail "--signal $given: holder ended with $st"
		[[ $stderr == *"sent SIG$name to pid $HOLDER_PID (sleep)"* ]] || fail "stderr: $stderr"
	done
	run -64 --separate-stderr "$VMLOCK" revoke --signal SIGNOSUCH "$img"
	run -64 --separate-stderr "$VMLOCK" revoke --signal 0 "$img"
}

@test "--wait says once what it waits for and who holds it; -v how long it took" {
	img=$(mkimg disk.img)
	start_holder "$img"
	holder=$HOLDER_PID
	start_bg "$VMLOCK" run -v --wait 60 --lock "$img" -- true
	waiter=$BG_PID
	err=$BATS_TEST_TMPDIR/holder.$waiter.err
	wait_until "$VL_PATIENCE" grep -q "waiting for it" "$err" || fail "no word of waiting: $(cat "$err")"
	kill_wait "$holder"
	st=0
	wait "$waiter" || st=$?
	[[ $st == 0 ]] || fail "the waiter ended with $st: $(cat "$err")"
	run grep -c "waiting for it" "$err"
	assert_output 1
	run grep "waiting for it" "$err"
	assert_output --regexp "^vmlock: $(canon "$img"): busy: wanted exclusive, held exclusive by pid $holder \(sleep\); waiting for it, up to [0-9.]+ s$"
	run grep -E "^vmlock: 1 resource\(s\) locked in [0-9]+\.[0-9]{3} s$" "$err"
	assert_success
	# without --wait nothing is said of waiting
	start_holder "$img"
	run -75 --separate-stderr "$VMLOCK" run --lock "$img" -- true
	[[ $stderr != *"waiting for it"* ]] || fail "stderr: $stderr"
}

@test "handover -v says what it offered and the seconds left while it waits" {
	img=$(mkimg disk.img)
	start_holder "$img"
	run -75 --separate-stderr timeout 60 "$VMLOCK" handover -v --pid "$HOLDER_PID" --timeout 1
	[[ $stderr == *"$(canon "$img"): offered to an incoming target (slot "[01]")"* ]] ||
		fail "stderr: $stderr"
	[[ $stderr =~ "waiting for the target: 0 of 1 taken, "[01]" s left" ]] || fail "stderr: $stderr"
	# the holder kept its lock
	vl_py heldby "$HOLDER_PID" "$img"
}
