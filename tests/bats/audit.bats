#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Every QEMU seen (vmlock(1), inquire, audit, sync): QEMU's own image
# locks as holders in inquire and run, `vmlock audit` comparing what a
# real QEMU has open with its vmlock locks after QMP hot-plug, drive_del,
# snapshot and commit, and `vmlock sync` making them match.
#
# Each test starts its own QEMU processes (helpers.bash: start_qemu,
# start_qemu_vmlock) with QMP sockets under $BATS_TEST_TMPDIR; teardown
# kills only those.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_qemu
}

# holders IMG: "ROLE PID MODE NAME" for each holder inquire shows.
holders() {
	inquire_holders "$1" role pid mode name
}

# findings PID: "FINDING QEMU LOCK PATH" for each file audit --json lists.
findings() {
	"$VMLOCK" audit --json --pid "$1" | "$PY" -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    for f in p["files"]:
        print(f["finding"], f["qemu"], f["lock"], f["path"])'
}

# assert_findings PID "FINDING QEMU LOCK PATH"...: exactly these.
assert_findings() {
	local pid=$1 got want
	shift
	got=$(findings "$pid" | sort)
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	[[ $got == "$want" ]] ||
		fail "audit of pid $pid:"$'\n'"$got"$'\n'"expected:"$'\n'"$want"
}

hmp() {
	local cmd
	cmd=$("$PY" -c 'import json, sys; print(json.dumps({"execute": "human-monitor-command", "arguments": {"command-line": sys.argv[1]}}))' "$1")
	qmp "$cmd"
}

@test "a QEMU started without vmlock: inquire shows it as role qemu, with pid, command, VM name and mode" {
	img=$(canon "$(mkqcow2 a.qcow2)")
	start_qemu -name web -drive "file=$img,if=none,id=d0,format=qcow2"
	run -0 holders "$img"
	assert_output "qemu $QEMU_PID exclusive web"
	run -0 "$VMLOCK" inquire "$img"
	assert_output --regexp "exclusive +$QEMU_PID qemu +local +qemu-system-x86_64 +web +$img"
}

@test "run refuses an image a plain QEMU holds, with 75 and QEMU's own lock named, before anything starts" {
	img=$(canon "$(mkqcow2 a.qcow2)")
	start_qemu -name web -drive "file=$img,if=none,id=d0,format=qcow2"
	for mode in exclusive shared readonly; do
		run -75 "$VMLOCK" run --lock "$img:$mode" -- touch "$BATS_TEST_TMPDIR/ran"
		assert_output "vmlock: $img: busy: wanted $mode, held exclusive by pid $QEMU_PID (qemu-system-x86_64, VM \"web\", QEMU's own image lock)"
	done
	[[ ! -e $BATS_TEST_TMPDIR/ran ]] || fail "the command ran"
	qemu_cmd
	run -75 "$VMLOCK" run -- "${QEMU_CMD[@]}" -drive "file=$img,if=none,format=qcow2"
	assert_output --partial "QEMU's own image lock"
	[[ ! -e $QMP_SOCK ]] || fail "the second QEMU was started"
	run -75 "$VMLOCK" run --wait 1 --lock "$img:readonly" -- true
	assert_output --partial "(--wait ran out)"
}

@test "QEMU's own locks: a read-only QEMU is a readonly holder, a share-rw one a shared holder" {
	img=$(canon "$(mkqcow2 a.qcow2)")
	start_qemu -drive "file=$img,if=none,id=d0,format=qcow2,readonly=on"
	run -0 holders "$img"
	assert_output "qemu $QEMU_PID readonly None"
	run -0 "$VMLOCK" run --lock "$img:readonly" -- true
	run -75 "$VMLOCK" run --lock "$img:shared" -- true
	run -75 "$VMLOCK" run --lock "$img" -- true
	kill_wait "$QEMU_PID"

	# (a format such as qcow2 never shares writing its file: raw)
	raw=$(canon "$(mkimg a.raw)")
	start_qemu -M pc -m 32 -drive "file=$raw,if=none,id=d0,format=raw" \
		-device virtio-blk-pci,drive=d0,share-rw=on
	img=$raw
	run -0 holders "$img"
	assert_output "qemu $QEMU_PID shared None"
	run -0 "$VMLOCK" run --lock "$img:shared" -- true
	run -75 "$VMLOCK" run --lock "$img:readonly" -- true
	run -75 "$VMLOCK" run --lock "$img" -- true
}

@test "a QEMU started under vmlock is shown once, as holder" {
	img=$(canon "$(mkqcow2 a.qcow2)")
	start_qemu_vmlock "$img" -- -name web
	run -0 holders "$img"
	assert_output "holder $QEMU_PID exclusive web"
	run -0 "$VMLOCK" audit --pid "$QEMU_PID"
	assert_output ""
	assert_findings "$QEMU_PID" "ok read-write exclusive $img"
}

@test "audit after QMP hot-plug and drive_del: unlocked and stale (exit 1); sync locks and releases them (then exit 0)" {
	a=$(canon "$(mkqcow2 a.qcow2)")
	b=$(canon "$(mkqcow2 b.qcow2)")
	c=$(canon "$(mkqcow2 c.qcow2)")
	start_qemu_vmlock "$a" -- -name web -drive "file=$c,if=none,id=d2,format=qcow2"
	assert_findings "$QEMU_PID" "ok read-write exclusive $a" \
		"ok read-write exclusive $c"

	run -0 qmp '{"execute": "blockdev-add", "arguments": {"driver": "qcow2", "node-name": "hot", "file": {"driver": "file", "filename": "'"$b"'"}}}'
	assert_output --partial '"return"'
	run -0 hmp "drive_del d2"
	assert_findings "$QEMU_PID" "ok read-write exclusive $a" \
		"unlocked read-write None $b" "stale None exclusive $c"
	run -1 "$VMLOCK" audit --pid "$QEMU_PID"
	assert_line --index 0 --regexp '^ *PID NAME +FINDING +QEMU +LOCK +PATH$'
	assert_line --regexp "^ *$QEMU_PID web +unlocked +read-write +- +$b\$"
	assert_line --regexp "^ *$QEMU_PID web +stale +- +exclusive +$c\$"
	assert_equal "${#lines[@]}" 3
	run -75 "$VMLOCK" run --lock "$b:readonly" -- true
	assert_output --partial "pid $QEMU_PID (qemu-system-x86_64, VM \"web\", QEMU's own image lock)"

	run -0 "$VMLOCK" sync --pid "$QEMU_PID"
	assert_line "$b: locked exclusive"
	assert_line "$c: released exclusive: QEMU no longer has it open"
	run -0 "$VMLOCK" audit --pid "$QEMU_PID"
	assert_output ""
	run -0 holders "$b"
	assert_output "holder $QEMU_PID exclusive web"
	assert_free "$c"
	run -0 "$VMLOCK" sync --pid "$QEMU_PID"
	assert_output ""
}

@test "the lock sync hands over lives in QEMU: it outlives sync's QMP connection and goes with QEMU" {
	a=$(canon "$(mkqcow2 a.qcow2)")
	b=$(canon "$(mkqcow2 b.qcow2)")
	start_qemu_vmlock "$a"
	qmp '{"execute": "blockdev-add", "arguments": {"driver": "file", "node-name": "hot", "filename": "'"$b"'"}}' >/dev/null
	run -0 "$VMLOCK" sync --pid "$QEMU_PID"
	run -0 qmp '{"execute": "blockdev-del", "arguments": {"node-name": "hot"}}'
	# QEMU closed its own fd of b: only the lock fd it got from sync holds b
	run -75 "$VMLOCK" run --lock "$b:readonly" -- true
	assert_output --partial "held exclusive by pid $QEMU_PID"
	assert_findings "$QEMU_PID" "ok read-write exclusive $a" \
		"stale None exclusive $b"
	kill_wait "$QEMU_PID"
	assert_free "$b"
}

@test "after a snapshot: the new overlay is unlocked; sync locks it and lowers the old top, which others may then read" {
	a=$(canon "$(mkqcow2 a.qcow2)")
	s=$BATS_TEST_TMPDIR/s.qcow2
	start_qemu_vmlock "$a" -- -name web
	run -0 qmp '{"execute": "blockdev-snapshot-sync", "arguments": {"device": "d0", "snapshot-file": "'"$s"'", "format": "qcow2"}}'
	assert_output --partial '"return"'
	assert_findings "$QEMU_PID" "ok read-only exclusive $a" \
		"unlocked read-write None $s"
	run -0 "$VMLOCK" sync --pid "$QEMU_PID"
	assert_line "$s: locked exclusive"
	assert_line "$a: lowered exclusive to readonly: QEMU only reads it"
	assert_findings "$QEMU_PID" "ok read-only readonly $a" \
		"ok read-write exclusive $s"
	run -0 "$VMLOCK" run --lock "$a:readonly" -- true
	run -75 "$VMLOCK" run --lock "$a" -- true
	run -75 "$VMLOCK" run --lock "$s:readonly" -- true
}

@test "during a commit the base is written under a readonly lock (weaker); sync upgrades it and no third party gets in meanwhile" {
	base=$(canon "$(mkqcow2 base.qcow2)")
	qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$BATS_TEST_TMPDIR/o.qcow2"
	o=$(canon "$BATS_TEST_TMPDIR/o.qcow2")
	qemu_cmd
	start_bg "$VMLOCK" run -- "${QEMU_CMD[@]}" -name web -drive "file=$o,if=none,id=d0,format=qcow2"
	QEMU_PID=$BG_PID
	wait_qmp
	assert_findings "$QEMU_PID" "ok read-only readonly $base" \
		"ok read-write exclusive $o"
	run -0 "$VMLOCK" run --lock "$base:readonly" -- true

	qmp '{"execute": "block-commit", "arguments": {"device": "d0", "job-id": "j0"}}' >/dev/null
	wait_until "$VL_PATIENCE" eval "qmp '{\"execute\": \"query-block-jobs\"}' | grep -q '\"ready\": true'" ||
		fail "the commit job did not get ready"
	assert_findings "$QEMU_PID" "weaker read-write readonly $base" \
		"ok read-write exclusive $o"

	# third parties in every mode, all through the upgrade
	start_bg bash -c 'while :; do for m in readonly shared exclusive; do
		"$1" run --lock "$2:$m" -- true 2>/dev/null && echo "got $m"; done; done' _ "$VMLOCK" "$base"
	racer=$BG_PID
	run -0 "$VMLOCK" sync --pid "$QEMU_PID"
	assert_output "$base: upgraded readonly to exclusive"
	kill_wait "$racer"
	[[ ! -s $BATS_TEST_TMPDIR/holder.$racer.out ]] ||
		fail "a third party got the base: $(sort -u "$BATS_TEST_TMPDIR/holder.$racer.out")"
	assert_findings "$QEMU_PID" "ok read-write exclusive $base" \
		"ok read-write exclusive $o"
	run -0 holders "$base"
	assert_output "holder $QEMU_PID exclusive web"

	qmp '{"execute": "job-complete", "arguments": {"id": "j0"}}' >/dev/null
	wait_until "$VL_PATIENCE" eval "[[ \$(findings $QEMU_PID | grep -c stale) == 1 ]]" ||
		fail "o.qcow2 is not stale after the commit: $(findings "$QEMU_PID")"
	run -0 "$VMLOCK" sync --pid "$QEMU_PID"
	assert_output "$o: released exclusive: QEMU no longer has it open"
	assert_free "$o"
}

@test "sync without a QMP socket does the rest and exits 69 naming what it could not lock" {
	base=$(canon "$(mkqcow2 base.qcow2)")
	gone=$(canon "$(mkqcow2 gone.qcow2)")
	qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$BATS_TEST_TMPDIR/o.qcow2"
	o=$(canon "$BATS_TEST_TMPDIR/o.qcow2")
	# no -qmp: an HMP monitor only; the backing file left unlocked
	hmp_sock=$BATS_TEST_TMPDIR/hmp.sock
	start_bg "$VMLOCK" run --no-backing --lock "$gone" -- "$QEMU" -M none \
		-nodefaults -no-user-config -display none \
		-monitor "unix:$hmp_sock,server=on,wait=off" \
		-drive "file=$o,if=none,id=d0,format=qcow2"
	QEMU_PID=$BG_PID
	wait_until "$VL_PATIENCE" test -S "$hmp_sock" || fail "QEMU did not start"
	wait_until "$VL_PATIENCE" eval "findings $QEMU_PID | grep -q unlocked" ||
		fail "no finding: $(findings "$QEMU_PID")"
	assert_findings "$QEMU_PID" "unlocked read-only None $base" \
		"ok read-write exclusive $o" "stale None exclusive $gone"
	run -69 "$VMLOCK" sync --pid "$QEMU_PID"
	assert_line "$gone: released exclusive: QEMU no longer has it open"
	assert_line --partial "$base: not locked: no QMP socket to hand the new lock fd to"
	assert_findings "$QEMU_PID" "unlocked read-only None $base" \
		"ok read-write exclusive $o"
	run -69 "$VMLOCK" sync --pid "$QEMU_PID" --qmp "$BATS_TEST_TMPDIR/none.sock"
	assert_output --partial "$base: not locked: QMP socket $BATS_TEST_TMPDIR/none.sock"
}

@test "sync refuses with 75 and changes nothing when another holds a lock it needs" {
	a=$(canon "$(mkqcow2 a.qcow2)")
	b=$(canon "$(mkqcow2 b.qcow2)")
	c=$(canon "$(mkqcow2 c.qcow2)")
	start_qemu_vmlock "$a" -- -drive "file=$c,if=none,id=d2,format=qcow2"
	start_holder "$b:readonly"
	qmp '{"execute": "blockdev-add", "arguments": {"driver": "file", "node-name": "hot", "filename": "'"$b"'", "read-only": false}}' >/dev/null
	hmp "drive_del d2" >/dev/null
	assert_findings "$QEMU_PID" "ok read-write exclusive $a" \
		"unlocked read-write None $b" "stale None exclusive $c"
	run -75 "$VMLOCK" sync --pid "$QEMU_PID"
	assert_output "vmlock: $b: busy: wanted exclusive, held readonly by pid $HOLDER_PID (sleep); nothing changed"
	run -75 "$VMLOCK" run --lock "$c:readonly" -- true
	assert_findings "$QEMU_PID" "ok read-write exclusive $a" \
		"unlocked read-write None $b" "stale None exclusive $c"
}

@test "audit with no --pid lists every QEMU in sight, ours among them" {
	a=$(canon "$(mkqcow2 a.qcow2)")
	b=$(canon "$(mkqcow2 b.qcow2)")
	start_qemu_vmlock "$a"
	under=$QEMU_PID
	start_qemu -name plain -drive "file=$b,if=none,id=d0,format=qcow2"
	plain=$QEMU_PID
	start_bg sleep 300	# not QEMU: never listed
	not=$BG_PID
	run "$VMLOCK" audit --json
	[[ $status == 0 || $status == 1 ]] || fail "audit exited $status: $output"
	run -0 "$PY" -c '
import json, sys
procs = {p["pid"]: p for p in json.loads(sys.argv[1])["processes"]}
for pid in sys.argv[2:4]:
    p = procs[int(pid)]
    print(pid, p["command"], p["name"], [(f["path"], f["finding"]) for f in p["files"]])
print(int(sys.argv[4]) in procs)' "$output" "$under" "$plain" "$not"
	assert_line --index 0 "$under qemu-system-x86_64 None [('$a', 'ok')]"
	assert_line --index 1 "$plain qemu-system-x86_64 plain [('$b', 'unlocked')]"
	assert_line --index 2 "False"
	run -1 "$VMLOCK" audit
	assert_line --regexp "^ *$plain plain +unlocked +read-write +- +$b\$"
	refute_line --regexp "^ *$under "
}

@test "audit escapes what QEMU is told: a newline in a VM name or a file name forges no row" {
	img="$BATS_TEST_TMPDIR/new"$'\n'"line.qcow2"
	qemu-img create -q -f qcow2 "$img" 16M
	start_qemu -name $'two\nrows' -drive "file=$img,if=none,id=d0,format=qcow2"
	run -1 "$VMLOCK" audit --pid "$QEMU_PID"
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --partial 'two\x0arows'
	assert_line --index 1 --partial 'new\x0aline.qcow2'
	run -1 "$VMLOCK" audit --json --pid "$QEMU_PID"
	run -0 "$PY" -c 'import json, sys; p = json.loads(sys.argv[1])["processes"][0]; print(repr(p["name"]), repr(p["files"][0]["path"]))' "$output"
	assert_output "'two\\nrows' '$BATS_TEST_TMPDIR/new\\nline.qcow2'"
}

@test "audit and sync usage errors: 64; a pid that is gone: 66; another user's QEMU: 77" {
	run -64 "$VMLOCK" audit --pid abc
	run -64 "$VMLOCK" audit --pid 0
	run -64 "$VMLOCK" audit extra
	run -64 "$VMLOCK" audit --timeout soon
	run -64 "$VMLOCK" sync
	run -64 "$VMLOCK" sync --pid 1x
	run -64 "$VMLOCK" sync --pid $$ extra
	run -64 "$VMLOCK" sync --pid $$ --timeout soon
	run -64 "$VMLOCK" sync --pid $$ --no-such-option
	sleep 0 &
	gone=$!
	wait "$gone"
	kill -0 "$gone" 2>/dev/null && skip "pid $gone was reused at once"
	run -66 "$VMLOCK" audit --pid "$gone"
	assert_output "vmlock: pid $gone: no such process"
	run -66 "$VMLOCK" sync --pid "$gone"
	[[ $(id -u) == 0 ]] || skip "needs root to start a QEMU another user cannot see"
	img=$(canon "$(mkqcow2 a.qcow2)")
	start_qemu -drive "file=$img,if=none,id=d0,format=qcow2"
	run -77 as_nobody "$VMLOCK" audit --pid "$QEMU_PID"
	assert_output --partial "not yours to look at"
	run -77 as_nobody "$VMLOCK" sync --pid "$QEMU_PID"
}
