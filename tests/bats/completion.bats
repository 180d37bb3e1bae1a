#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Bash completion (completion/vmlock): commands, options, modes, driver
# names, columns, signals and the pids of QEMU processes, as bash asks
# for them (COMP_WORDS, COMP_CWORD).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	# shellcheck source=../../completion/vmlock
	source "$TESTS_SRCDIR/../completion/vmlock"
}

# complete WORD...: the completions of the last WORD, one per line, sorted.
complete_words() {
	COMP_WORDS=("$VMLOCK" "$@")
	COMP_CWORD=$#
	COMP_LINE="${COMP_WORDS[*]}"
	COMPREPLY=()
	_vmlock
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

@test "completion is registered for vmlock" {
	run -0 complete -p vmlock
	assert_output "complete -F _vmlock vmlock"
}

@test "completes the commands, and help's commands" {
	run -0 complete_words ""
	assert_line run
	assert_line inquire
	assert_line revoke
	assert_line handover
	assert_line audit
	assert_line sync
	assert_line sanlock-join
	assert_line help
	run -0 complete_words in
	assert_output inquire
	run -0 complete_words help re
	assert_output revoke
}

@test "completes each command's options, as its --help lists them" {
	run -0 complete_words run --no
	assert_line --no-backing
	assert_line --no-vm-lease
	assert_line --no-new-privs
	run -0 complete_words inquire --no
	assert_line --noheadings
	assert_line --notruncate
	refute_line --no-backing
	run -0 complete_words revoke -
	assert_line --signal
	assert_line -g
}

@test "completes modes after PATH:, split at the colon or not" {
	run -0 complete_words run --lock disk.img : s
	assert_output shared
	run -0 complete_words run --lock disk.img :
	assert_output "exclusive
readonly
shared"
	run -0 complete_words run -l disk.img:re
	assert_output disk.img:readonly
	run -0 complete_words run --lease web:e
	assert_output web:exclusive
}

@test "completes driver names: built in and modules" {
	mkdir "$BATS_TEST_TMPDIR/mods"
	: >"$BATS_TEST_TMPDIR/mods/mydriver.so"
	VMLOCK_DRIVER_DIR=$BATS_TEST_TMPDIR/mods run -0 complete_words inquire --driver ""
	assert_line fcntl
	assert_line lockspace
	assert_line nop
	assert_line mydriver
	run -0 complete_words run --driver lo
	assert_output lockspace
}

@test "completes inquire's columns, after a comma too; signals; paths" {
	run -0 complete_words inquire -o PATH,CO
	assert_output PATH,COMMAND
	run -0 complete_words inquire --output P
	assert_line PATH
	assert_line PID
	run -0 complete_words revoke --signal TE
	assert_output TERM
	in_tmpdir some-disk.img
	run -0 complete_words inquire some-
	assert_output some-disk.img
}

@test "completes the pids of QEMU processes for --pid, and no other pid" {
	command -v "$QEMU" >/dev/null || skip "$QEMU is not installed"
	start_qemu
	start_bg sleep 300
	run -0 complete_words handover --pid ""
	assert_line "$QEMU_PID"
	refute_line "$BG_PID"
	run -0 complete_words inquire -p ""
	assert_line "$QEMU_PID"
	run -0 complete_words sync --pid ""
	assert_line "$QEMU_PID"
	run -0 complete_words audit -p ""
	assert_line "$QEMU_PID"
}

@test "completes the command after run's --" {
	run -0 complete_words run --lock disk.img -- qemu-system-x86_6
	if command -v qemu-system-x86_64 >/dev/null; then
		assert_line qemu-system-x86_64
	fi
	refute_line --lock
}
