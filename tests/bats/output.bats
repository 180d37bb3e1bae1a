#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# What vmlock prints for people and scripts: the inquire table (columns,
# raw, headings, --pid, --busy), JSON (compact and pretty, valid UTF-8),
# and names taken from outside (paths, VM names, commands) that must not
# forge a row of the table or a line of a busy message.

bats_require_minimum_version 1.5.0
load helpers

# The path, VM name and command of the injection tests: a newline that
# would start a row of its own, a tab, quotes, a backslash-x and bytes
# that are not UTF-8.
EVIL_ROW=$'\nexclusive 1 holder local forged - forged'
# libsmartcols shows UTF-8 as it is only in a UTF-8 locale
export LC_ALL=C.UTF-8
EVIL_PATH="disk${EVIL_ROW}\"q\" "$'\t\xff\xfe'"é\\x41.img"

# The bytes of a JSON document on stdin must parse; prints the expression
# of the remaining arguments evaluated on it (d).
json_eval() {
	"$PY" -c '
import json, sys
d = json.loads(sys.stdin.buffer.read())
print(eval(sys.argv[1]))' "$@"
}

@test "inquire -o: the columns asked for, in that order; +LIST appends; unknown: 64" {
	img=$(mkimg disk.img)
	start_holder "$img"
	run -0 --separate-stderr "$VMLOCK" inquire -o PATH,pid,MODE "$img"
	assert_line --index 0 --regexp '^PATH +PID +MODE$'
	assert_line --index 1 --regexp "^$(canon "$img") +$HOLDER_PID +exclusive$"
	run -0 --separate-stderr "$VMLOCK" inquire -o +KIND,HELD "$img"
	assert_line --index 0 --regexp '^MODE +PID +ROLE +HOST +COMMAND +NAME +PATH +KIND +HELD$'
	assert_line --index 1 --regexp "file +exclusive$"
	run -64 --separate-stderr "$VMLOCK" inquire -o MODE,NOSUCH "$img"
	[[ $stderr == *'unknown column "NOSUCH"'* ]] || fail "stderr: $stderr"
	[[ -z $output ]] || fail "printed a table: $output"
}

@test "inquire --output-all prints every column --list-columns lists" {
	img=$(mkimg disk.img)
	run -0 --separate-stderr "$VMLOCK" inquire --list-columns
	listed=$(awk '{ print $1 }' <<<"$output" | paste -sd' ')
	[[ $listed == "MODE PID ROLE HOST COMMAND NAME PATH "* ]] || fail "columns: $listed"
	run -0 --separate-stderr "$VMLOCK" inquire --output-all "$img"
	assert_equal "$(head -1 <<<"$output" | tr -s ' ')" "$listed"
	assert_line --index 1 --regexp "^free +- +- +- +- +- +$(canon "$img") +free +file$"
}

@test "inquire -r -n: no heading, one space between cells, blanks escaped" {
	img=$(mkimg "two words.img")
	start_holder "$img:readonly"
	run -0 --separate-stderr "$VMLOCK" inquire -rn "$img"
	assert_equal "${#lines[@]}" 1
	assert_output "readonly $HOLDER_PID holder local sleep - ${BATS_TEST_TMPDIR// /\\x20}/two\\x20words.img"
}

@test "inquire -u never cuts a column, even on a narrow terminal" {
	command -v script >/dev/null || skip "script(1) (bsdutils) is not installed"
	long=$(printf 'x%.0s' {1..120})
	img=$(mkimg "$long.img")
	run -0 script -qec "stty cols 60; \"$VMLOCK\" inquire -u \"$img\"" /dev/null
	assert_output --partial "$long.img"
	run -0 script -qec "stty cols 60; \"$VMLOCK\" inquire \"$img\"" /dev/null
	refute_output --partial "$long.img"
}

@test "inquire -p PID: what that process holds, everywhere or among the paths" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	c=$(mkimg c.img)
	start_holder "$a" "$b:readonly"
	mine=$HOLDER_PID
	start_holder "$b:readonly" "$c"
	other=$HOLDER_PID
	run -0 --separate-stderr "$VMLOCK" inquire -p "$mine" --json
	assert_equal "$(json_eval 'sorted((r["path"], [h["pid"] for h in r["holders"]]) for r in d["resources"])' <<<"$output")" \
		"[('$(canon "$a")', [$mine]), ('$(canon "$b")', [$mine])]"
	run -0 --separate-stderr "$VMLOCK" inquire -n -o PATH,PID -p "$other" "$a" "$b"
	assert_output --regexp "^$(canon "$b") +$other$"
	run -66 --separate-stderr "$VMLOCK" inquire -p 999999999
	[[ $stderr == *"no such process"* ]] || fail "stderr: $stderr"
	run -64 --separate-stderr "$VMLOCK" inquire -p soon
}

@test "inquire --busy: 1 when anything is held, 0 when all is free, errors first" {
	img=$(mkimg disk.img)
	free=$(mkimg free.img)
	run -0 --separate-stderr "$VMLOCK" inquire --busy "$free"
	start_holder "$img:shared"
	run -1 --separate-stderr "$VMLOCK" inquire --busy "$free" "$img"
	assert_output --partial "$(canon "$img")"
	run -66 --separate-stderr "$VMLOCK" inquire --busy "$img" "$BATS_TEST_TMPDIR/missing"
	kill_wait "$HOLDER_PID"
	run -0 --separate-stderr "$VMLOCK" inquire --busy "$free" "$img"
}

@test "inquire --json=pretty: indented, the same object as --json; --json PATH still a path" {
	img=$(mkimg disk.img)
	start_holder "$img"
	run -0 --separate-stderr "$VMLOCK" inquire --json "$img"
	compact=$output
	assert_equal "${#lines[@]}" 1
	run -0 --separate-stderr "$VMLOCK" inquire --json=pretty "$img"
	(( ${#lines[@]} > 10 )) || fail "not indented: $output"
	assert_line --index 1 '  "resources": ['
	assert_equal "$(json_eval 'json.dumps(d, sort_keys=True)' <<<"$output")" \
		"$(json_eval 'json.dumps(d, sort_keys=True)' <<<"$compact")"
}

@test "COMMAND is the program's whole name, not the kernel's 15 characters" {
	mkdir "$BATS_TEST_TMPDIR/bin"
	ln -s "$(command -v sleep)" "$BATS_TEST_TMPDIR/bin/a-rather-long-program-name"
	img=$(mkimg disk.img)
	start_holder "$img" -- "$BATS_TEST_TMPDIR/bin/a-rather-long-program-name" 300
	run -0 --separate-stderr "$VMLOCK" inquire -n -o COMMAND "$img"
	assert_output "a-rather-long-program-name"
	run -75 --separate-stderr "$VMLOCK" run --lock "$img" -- true
	[[ $stderr == *"(a-rather-long-program-name)"* ]] || fail "stderr: $stderr"
}

# --- names from outside ----------------------------------------------------

@test "a path with a newline, tab, quotes and bytes not UTF-8 forges no row, and JSON stays valid" {
	img=$BATS_TEST_TMPDIR/$EVIL_PATH
	head -c 4096 /dev/zero >"$img"
	start_holder "$img"
	run -0 --separate-stderr "$VMLOCK" inquire "$img"
	assert_equal "${#lines[@]}" 2
	refute_output --partial forged$'\n'
	assert_line --index 1 --partial 'disk\x0aexclusive 1 holder local forged - forged"q" \x09\xff\xfeé\x5cx41.img'
	run -0 --separate-stderr "$VMLOCK" inquire -r "$img"
	assert_equal "${#lines[@]}" 2
	# JSON: valid UTF-8 as it is, other bytes as \xHH, a backslash before x as \x5c
	run -0 --separate-stderr "$VMLOCK" inquire --json "$img"
	assert_equal "$(json_eval 'd["resources"][0]["path"].encode("utf-8")' <<<"$output")" \
		"$($PY -c 'import sys; print(sys.argv[1].encode("utf-8", "surrogateescape").replace(b"\xff\xfe", b"\\xff\\xfe").replace(b"\\x41", b"\\x5cx41"))' "$(canon "$img")")"
	# the busy message is one line, and names the path escaped
	run -75 --separate-stderr "$VMLOCK" run --lock "$img" -- true
	assert_equal "$(printf '%s' "$stderr" | grep -c .)" 1
	[[ $stderr == *'disk\x0aexclusive 1 holder local forged - forged"q" \x09\xff\xfe'*': busy: '* ]] ||
		fail "stderr: $stderr"
}

@test "a VM name and a command with newlines and quotes forge no row and no message" {
	command -v "$QEMU" >/dev/null || skip "$QEMU is not installed"
	mkdir "$BATS_TEST_TMPDIR/bin"
	img=$(mkqcow2 vm.qcow2)
	# QEMU under a name of its own, with a newline and a quote in it
	evil_qemu=$BATS_TEST_TMPDIR/bin/$'qemu-system-x86_64\n"x'
	ln -s "$(command -v "$QEMU")" "$evil_qemu"
	QEMU=$evil_qemu start_qemu_vmlock "$img" -- -name "web\",, VM \"other$EVIL_ROW"$'\xff'
	run -0 --separate-stderr "$VMLOCK" inquire "$img"
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --partial 'web", VM "other\x0aexclusive 1 holder local forged - forged\xff'
	assert_line --index 1 --partial 'qemu-system-x86_64\x0a"x'
	run -0 --separate-stderr "$VMLOCK" inquire --json "$img"
	assert_equal "$(json_eval '[(h["name"], h["command"]) for h in d["resources"][0]["holders"]]' <<<"$output")" \
		"[('web\", VM \"other\\nexclusive 1 holder local forged - forged\\\\xff', 'qemu-system-x86_64\\n\"x')]"
	run -75 --separate-stderr "$VMLOCK" run --lock "$img" -- true
	assert_equal "$(printf '%s' "$stderr" | grep -c .)" 1
	[[ $stderr == *'(qemu-system-x86_64\x0a\x22x, VM "web\x22, VM \x22other\x0aexclusive 1 holder local forged - forged\xff")' ]] ||
		fail "stderr: $stderr"
}
