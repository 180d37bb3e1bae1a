#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# The differential test (tests/oracle): vmlock's plan against the files a
# real QEMU, paused with -S, holds open. The fixed cases of
# tests/oracle/cases.txt and a fixed seed of random ones must show nothing
# unsafe (a case that shows a bug still marked "known" in cases.txt
# excuses random cases of the same feature); and the oracle itself must
# see a plan that is too weak or incomplete.

bats_require_minimum_version 1.5.0
load helpers

ORACLE_SEED=${ORACLE_CHECK_SEED:-1}
ORACLE_CASES=${ORACLE_CHECK_CASES:-40}

setup() {
	command -v "$QEMU" >/dev/null || fail "$QEMU not installed"
	command -v qemu-img >/dev/null || fail "qemu-img not installed"
	ORACLE=$TESTS_SRCDIR/oracle/oracle
	CASES=$BATS_TEST_TMPDIR/cases.txt
}

# oracle ARGS...: the oracle on $VMLOCK, its case directories under the
# test's tmpdir.
oracle() {
	run --separate-stderr "$PY" "$ORACLE" --vmlock "${FAKE_VMLOCK:-$VMLOCK}" \
		--qemu "$QEMU" --tmpdir "$BATS_TEST_TMPDIR" --patience "$VL_PATIENCE" "$@"
}

# fake_vmlock BODY: a vmlock that is the bash script BODY ($VMLOCK: the
# real one).
fake_vmlock() {
	FAKE_VMLOCK=$BATS_TEST_TMPDIR/vmlock
	printf '#!/bin/bash\nVMLOCK=%q\n%s\n' "$VMLOCK" "$1" >"$FAKE_VMLOCK"
	chmod +x "$FAKE_VMLOCK"
}

# plan_through SED_SCRIPT: a vmlock whose plan goes through sed.
plan_through() {
	fake_vmlock "\"\$VMLOCK\" \"\$@\" | sed '$1'; exit \${PIPESTATUS[0]}"
}

# one_case [NAME [LINE]]: appends to $CASES a fixed case: a qcow2 image
# over a raw one, opened read-write; LINE (such as "known ...") added.
one_case() {
	cat >>"$CASES" <<-EOF
		case ${1:-overlay}
		setup qemu-img create -q -f raw base.img 1M
		setup qemu-img create -q -f qcow2 -b base.img -F raw top.qcow2 1M
		qemu -M none -blockdev driver=qcow2,node-name=n0,file.driver=file,file.filename=top.qcow2
		${2-}
	EOF
}

@test "oracle: the fixed cases and $ORACLE_CASES random ones of seed $ORACLE_SEED show nothing unsafe" {
	oracle --seed "$ORACLE_SEED" --cases "$ORACLE_CASES" --allow-known
	echo "$output"
	[[ ${lines[-1]} == "oracle: "*" fixed, $ORACLE_CASES random, seed $ORACLE_SEED): "* ]] ||
		fail "no summary line: $stderr"
	[[ $status == 0 ]] || fail "unsafe cases (exit $status), or a stale known mark; $stderr"
}

@test "oracle: a correct plan is ok" {
	one_case
	oracle --fixed "$CASES" --cases 0
	assert_success
	assert_output --partial ": unsafe-missing 0, unsafe-weaker 0, "
	assert_output --partial ", ok 1;"
}

@test "oracle: a plan that locks a read-write image readonly is unsafe-weaker" {
	plan_through 's/^exclusive\t/readonly\t/'
	one_case
	oracle --fixed "$CASES" --cases 0
	assert_failure 1
	assert_line --partial "overlay unsafe-weaker: qemu-system-x86_64 -M none -blockdev"
	assert_line --partial "top.qcow2: qemu read-write, vmlock readonly"
	refute_output --partial "base.img: qemu"
}

@test "oracle: a plan without the backing file is unsafe-missing" {
	plan_through '/base\.img$/d'
	one_case
	oracle --fixed "$CASES" --cases 0
	assert_failure 1
	assert_line --partial "overlay unsafe-missing: "
	assert_line --partial "base.img: qemu read-only, vmlock none"
}

@test "oracle: a case marked known that is no longer unsafe fails, naming the mark" {
	one_case overlay "known backing-header the chain was not read"
	oracle --fixed "$CASES" --cases 0 --allow-known
	assert_failure 1
	assert_line "overlay: marked known but ok now: drop its known line from cases.txt"
}

@test "oracle: a known bug still open excuses a case of its feature only with --allow-known" {
	plan_through '/base\.img$/d'
	one_case overlay "known fmt-qcow2 the backing file is left out"
	one_case other "tags blockdev fmt-qcow2"
	oracle --fixed "$CASES" --cases 0 --allow-known
	assert_success
	assert_line --partial "other unsafe-missing: "
	assert_output --partial "[excused: known fmt-qcow2, case overlay]"
	assert_output --partial "1 known bugs open, 1 unsafe cases excused as known"
	oracle --fixed "$CASES" --cases 0
	assert_failure 1
}

@test "oracle: a QEMU that never starts is no pass" {
	one_case
	oracle --fixed "$CASES" --cases 0 --qemu false
	assert_failure 1
	assert_line --partial "overlay qemu-refused: "
	assert_line "oracle: 1 of 1 cases did not start QEMU or build their images: the harness does not work here"
}

@test "oracle: a refused line is vmlock-refused, not unsafe" {
	fake_vmlock 'echo "vmlock: cannot read this" >&2; exit 64'
	one_case
	oracle --fixed "$CASES" --cases 0
	assert_success
	assert_line --partial "overlay vmlock-refused: "
	assert_line --partial "vmlock: cannot read this"
}
