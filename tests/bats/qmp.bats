#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# `vmlock qmp` against a real QEMU: every block command it knows locks the
# files the command will open, in the mode QEMU will use them, before QEMU
# sees the command (a busy file: exit 75, nothing sent), hands the locks to
# QEMU (they die with it), and syncs after (closed files released, files
# now only read lowered). Error replies give back what the command took.
#
# A file "locked in MODE by QEMU" (assert_held) means: inquire shows QEMU's
# pid as its holder in MODE, a second exclusive `vmlock run --lock` is
# refused, and a second readonly one is granted for readonly files only.
# QEMU's own image locks alone show as role "qemu", never "holder".
#
# Each test starts its own QEMU processes with QMP sockets under
# $BATS_TEST_TMPDIR; teardown kills only those.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_qemu
	D=$BATS_TEST_TMPDIR
}

# guest [QEMU-ARGS...]: `vmlock run -- qemu-system-x86_64 -M none ... ARGS`
# in the background (QEMU_PID, QMP_SOCK), answering QMP.
guest() {
	qemu_cmd
	start_bg "$VMLOCK" run -- "${QEMU_CMD[@]}" "$@"
	QEMU_PID=$BG_PID
	wait_qmp
}

# A guest with a PC, for devices: a virtio-scsi bus (scsi0.0), an empty
# CD drive cd0 (read-only media) on ide-cd "cd", and ARGS.
pc_guest() {
	guest -M pc -m 32 -device virtio-scsi-pci,id=scsi0 \
		-drive if=none,id=cd0,media=cdrom -device ide-cd,drive=cd0,id=cd "$@"
}

# vq [OPTIONS] COMMAND-JSON: vmlock qmp on the last QEMU's socket.
vq() {
	"$VMLOCK" qmp --qmp "$QMP_SOCK" "$@"
}

# hmpj COMMAND-LINE: the QMP command that runs an HMP command line.
hmpj() {
	"$PY" -c 'import json, sys; print(json.dumps({"execute": "human-monitor-command", "arguments": {"command-line": sys.argv[1]}}))' "$1"
}

# reply KEY: $output (stdout of the last run) is exactly one line, a JSON
# object with KEY ("return" or "error").
reply() {
	((${#lines[@]} == 1)) || fail "expected one reply line, got: $output"
	"$PY" -c 'import json, sys; r = json.loads(sys.argv[1]); sys.exit(not (isinstance(r, dict) and sys.argv[2] in r))' \
		"$output" "$1" || fail "not a QMP reply with \"$1\": $output"
}

# ok [OPTIONS] COMMAND-JSON: vmlock qmp exits 0, printing one {"return"} line.
ok() {
	run -0 --separate-stderr vq "$@"
	reply return
}

# refused [OPTIONS] COMMAND-JSON: exit 75, nothing on stdout, QEMU's pid or
# the holder named on stderr.
refused() {
	run -75 --separate-stderr vq "$@"
	assert_output ""
	[[ $stderr == *"busy: wanted "*" by pid "* ]] || fail "stderr: $stderr"
}

# holders IMG: "ROLE PID MODE" for each holder inquire shows.
holders() {
	inquire_holders "$1" role pid mode
}

# assert_held IMG MODE: QEMU holds IMG in MODE through vmlock's lock.
assert_held() {
	local img=$1 mode=$2 got
	alive "$QEMU_PID" || fail "QEMU (pid $QEMU_PID) died: $(tail -3 "$D/holder.$QEMU_PID.err")"
	got=$(holders "$img")
	[[ $got == *"holder $QEMU_PID $mode"* ]] ||
		fail "$img: expected holder $QEMU_PID $mode; inquire: ${got:-nothing}"
	timeout 10 "$VMLOCK" run --lock "$img" -- true 2>/dev/null &&
		fail "$img: a second exclusive lock was granted"
	if [[ $mode == readonly ]]; then
		timeout 10 "$VMLOCK" run --lock "$img:readonly" -- true ||
			fail "$img: a second readonly lock was refused"
	else
		! timeout 10 "$VMLOCK" run --lock "$img:readonly" -- true 2>/dev/null ||
			fail "$img: a readonly lock was granted beside $mode"
	fi
}

# wait_free PATH: nobody holds a lock on PATH within $VL_PATIENCE s.
_is_free() {
	[[ $(vl_py probe "$1") == free ]]
}
wait_free() {
	wait_until "$VL_PATIENCE" _is_free "$1" || true
	assert_free "$1"
}

# nodes: the node names QEMU has (query-named-block-nodes), one a line.
nodes() {
	qmp '{"execute": "query-named-block-nodes", "arguments": {"flat": true}}' |
		"$PY" -c 'import json, sys; [print(n["node-name"]) for n in json.load(sys.stdin)["return"]]'
}

# jobs: "ID STATUS" for each job QEMU has.
jobs_() {
	qmp '{"execute": "query-jobs"}' |
		"$PY" -c 'import json, sys; [print(j["id"], j["status"]) for j in json.load(sys.stdin)["return"]]'
}

# wait_job ID STATUS
wait_job() {
	alive "$QEMU_PID" || fail "QEMU (pid $QEMU_PID) died: $(tail -3 "$D/holder.$QEMU_PID.err")"
	wait_until "$VL_PATIENCE" eval "jobs_ | grep -qx '$1 $2'" ||
		fail "job $1 not $2: $(jobs_)"
}

# chain NAME...: $D/NAME.qcow2 for each NAME, each backed by the one
# before; sets the variable NAME to its canonical path.
chain() {
	local n prev=
	for n; do
		if [[ -n $prev ]]; then
			qemu-img create -q -f qcow2 -b "$prev" -F qcow2 "$D/$n.qcow2"
		else
			qemu-img create -q -f qcow2 "$D/$n.qcow2" 16M
		fi
		prev=$(canon "$D/$n.qcow2")
		printf -v "$n" %s "$prev"
	done
}

# data IMG: 4 MiB written into IMG (qemu-io), for jobs that must take time.
data() {
	qemu-io -f qcow2 -c "write -P 0x5a 0 4M" "$1" >/dev/null
}

blockdev_file() { # NODE PATH [READ-ONLY]
	echo '{"execute": "blockdev-add", "arguments": {"driver": "file", "node-name": "'"$1"'", "filename": "'"$2"'", "read-only": '"${3:-false}"'}}'
}

blockdev_reopen() { # NODE PATH READ-ONLY: the file node NODE reopened
	echo '{"execute": "blockdev-reopen", "arguments": {"options": [{"driver": "file", "node-name": "'"$1"'", "filename": "'"$2"'", "read-only": '"$3"'}]}}'
}

blockdev_qcow2() { # NODE PATH [READ-ONLY]
	echo '{"execute": "blockdev-add", "arguments": {"driver": "qcow2", "node-name": "'"$1"'", "read-only": '"${3:-false}"', "file": {"driver": "file", "filename": "'"$2"'"}}}'
}

@test "pass-through and refusals: query-status, id, bad JSON (64), an unknown block command (64, sent with --unchecked), --pid, no socket (69), a missing image (66)" {
	guest
	ok '{"execute": "query-status"}'
	assert_output --partial '"running"'
	assert_equal "$stderr" ""
	ok '{"execute": "query-status", "id": "x17"}'
	assert_output --partial '"x17"'
	run -0 --separate-stderr "$VMLOCK" qmp --pid "$QEMU_PID" '{"execute": "query-status"}'
	reply return

	for bad in '{"execute": ' 'query-status' '[]' '{"arguments": {}}' ''; do
		run -64 --separate-stderr vq "$bad"
		assert_output ""
	done

	# blockdev-create's file: created by vmlock, locked, then QEMU's job
	new=$D/created.img
	create='{"execute": "blockdev-create", "arguments": {"job-id": "c0", "options": {"driver": "file", "filename": "'"$new"'", "size": 0}}}'
	ok "$create"
	assert_held "$(canon "$new")" exclusive
	# a block command vmlock does not know: not sent, unless --unchecked
	# (then QEMU's own answer)
	for c in blockdev-frobnicate x-block-frob drive-frob; do
		run -64 --separate-stderr vq '{"execute": "'$c'", "arguments": {"node-name": "x"}}'
		assert_output ""
		[[ $stderr == vmlock:*"--unchecked"* ]] || fail "message: $stderr"
		run -1 --separate-stderr vq --unchecked '{"execute": "'$c'", "arguments": {"node-name": "x"}}'
		reply error
		assert_output --partial CommandNotFound
	done
	run -64 --separate-stderr vq "$(hmpj "qemu-io d0 'write 0 512'")"
	assert_output ""

	run -69 --separate-stderr "$VMLOCK" qmp --qmp "$D/none.sock" '{"execute": "query-status"}'
	assert_output ""
	run -66 --separate-stderr vq "$(blockdev_file x "$D/missing.img")"
	assert_output ""
	assert_equal "$(nodes | grep -cx x)" 0
}

@test "blockdev-add and blockdev-del: read-write exclusive, read-only readonly, the backing chain readonly, node references nothing new; released after del; kill -9 frees all" {
	f=$(canon "$(mkimg f.raw)")
	r=$(canon "$(mkimg r.raw)")
	chain base top
	q=$(canon "$(mkqcow2 q.qcow2)")
	guest

	run -0 --separate-stderr vq -v "$(blockdev_file f "$f")"
	reply return
	[[ $stderr == *"vmlock: $f: locked exclusive"* ]] || fail "-v said: $stderr"
	assert_held "$f" exclusive
	ok "$(blockdev_file r "$r" true)"
	assert_held "$r" readonly
	ok '{"execute": "blockdev-add", "arguments": {"driver": "qcow2", "node-name": "top", "file": {"driver": "file", "filename": "'"$top"'"}}}'
	assert_held "$top" exclusive
	assert_held "$base" readonly
	# a qcow2 node on the file node q-file: the lock comes with q-file
	ok "$(blockdev_file q-file "$q")"
	assert_held "$q" exclusive
	ok '{"execute": "blockdev-add", "arguments": {"driver": "qcow2", "node-name": "q", "file": "q-file"}}'
	assert_held "$q" exclusive

	ok '{"execute": "blockdev-del", "arguments": {"node-name": "f"}}'
	assert_free "$f"
	ok '{"execute": "blockdev-del", "arguments": {"node-name": "top"}}'
	assert_free "$top"
	assert_free "$base"
	assert_held "$r" readonly
	kill_wait "$QEMU_PID"
	assert_free "$r"
	assert_free "$q"
}

@test "blockdev-add of a busy file, or with a busy backing file: 75, nothing sent, nothing locked; readonly beside a readonly holder is granted" {
	f=$(canon "$(mkimg f.raw)")
	chain base top
	guest
	start_holder "$f"
	refused "$(blockdev_file hot "$f")"
	[[ $stderr == *"vmlock: $f: busy: wanted exclusive, held exclusive by pid $HOLDER_PID (sleep)"* ]] ||
		fail "stderr: $stderr"
	refused "$(blockdev_file hot "$f" true)"
	assert_equal "$(nodes | grep -cx hot)" 0
	kill_wait "$HOLDER_PID"

	start_holder "$f:readonly"
	refused "$(blockdev_file hot "$f")"
	assert_equal "$(nodes | grep -cx hot)" 0
	ok "$(blockdev_file hot "$f" true)"
	kill_wait "$HOLDER_PID"
	assert_held "$f" readonly

	start_holder "$base"
	refused "$(blockdev_qcow2 top "$top")"
	[[ $stderr == *"$base: busy"* ]] || fail "stderr: $stderr"
	assert_equal "$(nodes | grep -cx top)" 0
	assert_free "$top"
}

@test "an error reply: exit 1 with the reply, and the locks it took given back" {
	a=$(canon "$(mkimg a.raw)")
	b=$(canon "$(mkimg b.raw)")
	guest
	ok "$(blockdev_file n "$a")"
	# the node name is taken: QEMU says so after vmlock locked b
	run -1 --separate-stderr vq "$(blockdev_file n "$b")"
	reply error
	assert_output --partial "Duplicate nodes with node-name"
	assert_free "$b"
	# a node name QEMU does not take
	run -1 --separate-stderr vq "$(blockdev_file 1-bad "$b")"
	reply error
	assert_free "$b"
	assert_held "$a" exclusive
}

@test "a corrupt image (a backing loop) is 65, not sent" {
	qemu-img create -q -f qcow2 "$D/a.qcow2" 16M
	qemu-img create -q -f qcow2 -b "$D/a.qcow2" -F qcow2 "$D/b.qcow2"
	qemu-img rebase -u -b "$D/b.qcow2" -F qcow2 "$D/a.qcow2"
	guest
	run -65 --separate-stderr vq "$(blockdev_qcow2 loop "$D/a.qcow2")"
	assert_output ""
	assert_equal "$(nodes | grep -cx loop)" 0
}

@test "blockdev-reopen: read-only to read-write upgrades to exclusive (75 while a reader holds it, QEMU still read-only), back lowers to readonly" {
	f=$(canon "$(mkimg f.raw)")
	guest
	ok "$(blockdev_file f "$f" true)"
	assert_held "$f" readonly
	reopen() { blockdev_reopen f "$f" "$1"; }
	start_holder "$f:readonly"
	refused "$(reopen false)"
	run -0 qmp '{"execute": "query-named-block-nodes", "arguments": {"flat": true}}'
	assert_output --partial '"ro": true'
	refute_output --partial '"ro": false'
	kill_wait "$HOLDER_PID"

	ok "$(reopen false)"
	assert_held "$f" exclusive
	ok "$(reopen true)"
	assert_held "$f" readonly
	kill_wait "$QEMU_PID"
	assert_free "$f"
}

@test "an upgrade (of a lock lowered in place) that fails once the old lock is given up leaves QEMU holding a lock as before: each fcntl failing in turn" {
	require_strace
	f=$(canon "$(mkimg f.raw)")
	guest
	reopen() { blockdev_reopen f "$f" "$1"; }
	ok "$(blockdev_file f "$f" false)"
	ok "$(reopen true)"	# vmlock-exclusive-... now holds readonly
	assert_held "$f" readonly
	# how many fcntl calls the upgrade makes, then each failing in turn
	# (the last ones drop the guard: failing, they leave it, for good)
	local n calls got
	run -0 strace -f -o "$D/calls" -e trace=fcntl "$VMLOCK" qmp --qmp "$QMP_SOCK" "$(reopen false)"
	calls=$(grep -c 'fcntl(' "$D/calls")
	ok "$(reopen true)"
	assert_held "$f" readonly
	for n in $(seq "$calls"); do
		run strace -f -o /dev/null -e trace=fcntl \
			-e inject=fcntl:error=EIO:when=$n "$VMLOCK" qmp --qmp "$QMP_SOCK" "$(reopen false)"
		got=$(holders "$f")
		[[ $got == *"holder $QEMU_PID "* ]] ||
			fail "fcntl #$n of $calls failing (exit $status): QEMU holds no lock on $f; inquire: ${got:-nothing}"
		((status != 0)) || ok "$(reopen true)"
	done
}

@test "media: change-medium (retain on a CD: readonly; read-write: exclusive), open/remove/insert/close, eject, HMP change and eject; a busy medium is 75 and the tray stays empty" {
	iso=$(canon "$(mkimg x.iso)")
	iso2=$(canon "$(mkimg y.iso)")
	rw=$(canon "$(mkimg rw.img)")
	pc_guest -drive if=none,id=fd0 -device floppy,drive=fd0,id=fl
	inserted() { # QDEV-ID: the file in it, or "-"
		qmp '{"execute": "query-block"}' | "$PY" -c '
import json, sys
for b in json.load(sys.stdin)["return"]:
    if b.get("qdev") == sys.argv[1] or b["device"] == sys.argv[1]:
        print(b.get("inserted", {}).get("file", "-"))' "$1"
	}

	ok '{"execute": "blockdev-change-medium", "arguments": {"id": "cd", "filename": "'"$iso"'", "format": "raw"}}'
	assert_held "$iso" readonly
	ok '{"execute": "eject", "arguments": {"id": "cd"}}'
	assert_free "$iso"
	# an empty floppy is written: retain means read-write
	ok '{"execute": "blockdev-change-medium", "arguments": {"id": "fl", "filename": "'"$rw"'", "format": "raw"}}'
	assert_held "$rw" exclusive
	ok '{"execute": "blockdev-change-medium", "arguments": {"id": "fl", "filename": "'"$iso2"'", "format": "raw", "read-only-mode": "read-only"}}'
	assert_held "$iso2" readonly
	assert_free "$rw"
	ok '{"execute": "blockdev-change-medium", "arguments": {"id": "fl", "filename": "'"$rw"'", "format": "raw", "read-only-mode": "read-write"}}'
	assert_held "$rw" exclusive
	assert_free "$iso2"

	# step by step
	ok '{"execute": "blockdev-add", "arguments": {"driver": "raw", "node-name": "m", "read-only": true, "file": {"driver": "file", "filename": "'"$iso2"'"}}}'
	assert_held "$iso2" readonly
	ok '{"execute": "blockdev-open-tray", "arguments": {"id": "cd"}}'
	ok '{"execute": "blockdev-insert-medium", "arguments": {"id": "cd", "node-name": "m"}}'
	ok '{"execute": "blockdev-close-tray", "arguments": {"id": "cd"}}'
	assert_equal "$(inserted cd)" "$iso2"
	ok '{"execute": "blockdev-open-tray", "arguments": {"id": "cd"}}'
	ok '{"execute": "blockdev-remove-medium", "arguments": {"id": "cd"}}'
	ok '{"execute": "blockdev-del", "arguments": {"node-name": "m"}}'
	assert_free "$iso2"
	ok '{"execute": "blockdev-close-tray", "arguments": {"id": "cd"}}'

	ok "$(hmpj "change cd0 $iso raw")"
	assert_equal "$(inserted cd)" "$iso"
	assert_held "$iso" readonly
	ok "$(hmpj "eject cd0")"
	assert_free "$iso"
	ok "$(hmpj "change fd0 $iso2 raw read-write")"
	assert_held "$iso2" exclusive

	start_holder "$iso"
	refused '{"execute": "blockdev-change-medium", "arguments": {"id": "cd", "filename": "'"$iso"'", "format": "raw"}}'
	refused "$(hmpj "change cd0 $iso raw")"
	assert_equal "$(inserted cd)" "-"
	kill_wait "$QEMU_PID"
	assert_free "$rw"
	assert_free "$iso2"
}

@test "snapshots: blockdev-snapshot-sync (vmlock creates the overlay), mode existing, HMP snapshot_blkdev, blockdev-snapshot; old tops lowered to readonly; busy and error cases" {
	a=$(canon "$(mkqcow2 a.qcow2)")
	guest -drive "file=$a,if=none,id=d0,format=qcow2"
	assert_held "$a" exclusive

	s1=$D/s1.qcow2
	ok '{"execute": "blockdev-snapshot-sync", "arguments": {"device": "d0", "snapshot-file": "'"$s1"'", "snapshot-node-name": "s1", "format": "qcow2"}}'
	assert_held "$s1" exclusive
	assert_held "$a" readonly
	assert_equal "$(stat -c %a "$s1")" "$(printf '%o' $((0666 & ~$(umask) & 0644)))"

	# error: the node name is taken; the overlay vmlock made is gone again
	s2=$D/s2.qcow2
	run -1 --separate-stderr vq '{"execute": "blockdev-snapshot-sync", "arguments": {"node-name": "s1", "snapshot-file": "'"$s2"'", "snapshot-node-name": "s1", "format": "qcow2"}}'
	reply error
	[[ ! -e $s2 ]] || fail "$s2 was left behind ($(stat -c %s "$s2") bytes)"

	# mode existing: a busy overlay is 75 and QEMU never sees it
	qemu-img create -q -f qcow2 -b "$s1" -F qcow2 "$s2"
	start_holder "$s2"
	refused '{"execute": "blockdev-snapshot-sync", "arguments": {"node-name": "s1", "snapshot-file": "'"$s2"'", "snapshot-node-name": "s2", "format": "qcow2", "mode": "existing"}}'
	assert_equal "$(nodes | grep -cx s2)" 0
	kill_wait "$HOLDER_PID"
	ok '{"execute": "blockdev-snapshot-sync", "arguments": {"node-name": "s1", "snapshot-file": "'"$s2"'", "snapshot-node-name": "s2", "format": "qcow2", "mode": "existing"}}'
	assert_held "$s2" exclusive
	assert_held "$s1" readonly

	# HMP, on a drive
	b=$(canon "$(mkqcow2 b.qcow2)")
	ok "$(hmpj "drive_add 0 if=none,id=d1,file=$b,format=qcow2")"
	assert_held "$b" exclusive
	s3=$D/s3.qcow2
	ok "$(hmpj "snapshot_blkdev d1 $s3 qcow2")"
	assert_held "$s3" exclusive
	assert_held "$b" readonly

	# blockdev-snapshot: an overlay node added first, then put on top
	qemu-img create -q -f qcow2 "$D/s4.qcow2" 16M
	s4=$(canon "$D/s4.qcow2")
	ok '{"execute": "blockdev-add", "arguments": {"driver": "qcow2", "node-name": "s4", "backing": null, "file": {"driver": "file", "filename": "'"$s4"'"}}}'
	assert_held "$s4" exclusive
	ok '{"execute": "blockdev-snapshot", "arguments": {"node": "s2", "overlay": "s4"}}'
	assert_held "$s4" exclusive
	assert_held "$s2" readonly

	kill_wait "$QEMU_PID"
	for f in "$a" "$s1" "$s2" "$s3" "$s4" "$b"; do
		assert_free "$f"
	done
}

@test "block-commit: every image from the top down to the base exclusive at once; job-complete then job-dismiss releases the rest; an intermediate commit (job-finalize) lowers the base again" {
	chain base mid top
	guest -drive "file=$top,if=none,id=d0,format=qcow2"
	assert_held "$base" readonly
	assert_held "$mid" readonly

	start_holder "$base:readonly"
	refused '{"execute": "block-commit", "arguments": {"device": "d0", "job-id": "c"}}'
	[[ -z $(jobs_) ]] || fail "QEMU started the job: $(jobs_)"
	kill_wait "$HOLDER_PID"

	ok '{"execute": "block-commit", "arguments": {"device": "d0", "job-id": "c", "auto-dismiss": false}}'
	assert_held "$base" exclusive
	assert_held "$mid" exclusive
	assert_held "$top" exclusive
	wait_job c ready
	ok '{"execute": "job-complete", "arguments": {"id": "c"}}'
	wait_job c concluded
	ok '{"execute": "job-dismiss", "arguments": {"id": "c"}}'
	assert_free "$top"
	assert_free "$mid"
	assert_held "$base" exclusive
	kill_wait "$QEMU_PID"
	assert_free "$base"

	# intermediate: mid into base, the top stays
	chain base mid top
	guest -drive "file=$top,if=none,id=d0,format=qcow2"
	ok '{"execute": "block-commit", "arguments": {"device": "d0", "job-id": "c", "top": "'"$mid"'", "base": "'"$base"'", "auto-finalize": false, "auto-dismiss": false}}'
	assert_held "$base" exclusive
	assert_held "$mid" exclusive
	wait_job c pending
	# finalized: base read-only again; mid is read until the job goes
	ok '{"execute": "job-finalize", "arguments": {"id": "c"}}'
	assert_held "$base" readonly
	assert_held "$mid" readonly
	ok '{"execute": "job-dismiss", "arguments": {"id": "c"}}'
	assert_free "$mid"
	assert_held "$top" exclusive
}

@test "block-stream: the streamed node's image exclusive; the sync that follows a concluded, undismissed stream job does not kill QEMU" {
	chain base mid top
	data "$base"
	guest -blockdev "driver=qcow2,node-name=top,file.driver=file,file.filename=$top"
	assert_held "$mid" readonly
	mid_node=$(qmp '{"execute": "query-named-block-nodes", "arguments": {"flat": true}}' |
		"$PY" -c 'import json, sys; print([n["node-name"] for n in json.load(sys.stdin)["return"] if n["file"] == sys.argv[1] and n["drv"] == "qcow2"][0])' "$mid")

	start_holder "$mid:readonly"
	refused '{"execute": "block-stream", "arguments": {"job-id": "s", "device": "'"$mid_node"'"}}'
	[[ -z $(jobs_) ]] || fail "QEMU started the job: $(jobs_)"
	kill_wait "$HOLDER_PID"

	# slow (1 KiB/s), so that it runs while we look
	ok '{"execute": "block-stream", "arguments": {"job-id": "s", "device": "'"$mid_node"'", "speed": 1024, "auto-dismiss": false}}'
	assert_held "$mid" exclusive
	assert_held "$top" exclusive
	assert_held "$base" readonly
	ok '{"execute": "block-job-set-speed", "arguments": {"device": "s", "speed": 0}}'
	wait_job s concluded
	ok '{"execute": "job-dismiss", "arguments": {"id": "s"}}'
	assert_free "$base"
	assert_held "$mid" readonly
	assert_held "$top" exclusive
	kill_wait "$QEMU_PID"

	# QEMU 7.2 crashes (SIGSEGV) on query-named-block-nodes once a stream
	# of a drive has concluded and is not dismissed: the syncs after the
	# commands from here on meet that state
	chain base top
	guest -drive "file=$top,if=none,id=d0,format=qcow2"
	ok '{"execute": "block-stream", "arguments": {"job-id": "s", "device": "d0", "auto-dismiss": false}}'
	wait_job s concluded
	ok "$(blockdev_file spare "$(mkimg spare.raw)")"
	alive "$QEMU_PID" || fail "QEMU died: $(cat "$D/holder.$QEMU_PID.err")"
	assert_held "$D/spare.raw" exclusive
	ok '{"execute": "job-dismiss", "arguments": {"id": "s"}}'
	alive "$QEMU_PID" || fail "QEMU died"
	assert_free "$base"
}

@test "drive-mirror (target created, or existing) and blockdev-mirror: target exclusive; block-job-complete leaves the source released, block-job-cancel the target; busy and error cases" {
	a=$(canon "$(mkqcow2 a.qcow2)")
	guest -drive "file=$a,if=none,id=d0,format=qcow2"
	t=$D/t.qcow2
	ok '{"execute": "drive-mirror", "arguments": {"device": "d0", "job-id": "m", "target": "'"$t"'", "format": "qcow2", "sync": "full", "auto-dismiss": false}}'
	assert_held "$t" exclusive
	assert_held "$a" exclusive
	wait_job m ready
	ok '{"execute": "block-job-complete", "arguments": {"device": "m"}}'
	wait_job m concluded
	ok '{"execute": "job-dismiss", "arguments": {"id": "m"}}'
	assert_free "$a"
	assert_held "$t" exclusive

	# error before QEMU touched the target: the file vmlock made is gone
	run -1 --separate-stderr vq '{"execute": "drive-mirror", "arguments": {"device": "d0", "job-id": "e", "target": "'"$D/e.qcow2"'", "format": "bogus", "sync": "full"}}'
	reply error
	[[ ! -e $D/e.qcow2 ]] || fail "e.qcow2 was left behind"
	# error after QEMU formatted it: the file stays, unlocked
	run -1 --separate-stderr vq '{"execute": "drive-mirror", "arguments": {"device": "d0", "job-id": "e", "target": "'"$D/g.qcow2"'", "format": "qcow2", "sync": "full", "granularity": 3}}'
	reply error
	[[ ! -e $D/g.qcow2 ]] || assert_free "$D/g.qcow2"

	# mode existing
	qemu-img create -q -f qcow2 "$D/t2.qcow2" 16M
	t2=$(canon "$D/t2.qcow2")
	start_holder "$t2:readonly"
	refused '{"execute": "drive-mirror", "arguments": {"device": "d0", "job-id": "m2", "target": "'"$t2"'", "format": "qcow2", "sync": "full", "mode": "existing"}}'
	[[ -z $(jobs_) ]] || fail "QEMU started the job: $(jobs_)"
	kill_wait "$HOLDER_PID"
	ok '{"execute": "drive-mirror", "arguments": {"device": "d0", "job-id": "m2", "target": "'"$t2"'", "format": "qcow2", "sync": "full", "mode": "existing", "auto-dismiss": false}}'
	assert_held "$t2" exclusive
	wait_job m2 ready
	ok '{"execute": "block-job-cancel", "arguments": {"device": "m2"}}'
	wait_job m2 concluded
	ok '{"execute": "job-dismiss", "arguments": {"id": "m2"}}'
	assert_free "$t2"
	assert_held "$t" exclusive

	# blockdev-mirror to a node added first
	qemu-img create -q -f qcow2 "$D/t3.qcow2" 16M
	t3=$(canon "$D/t3.qcow2")
	ok "$(blockdev_qcow2 t3 "$t3")"
	assert_held "$t3" exclusive
	ok '{"execute": "blockdev-mirror", "arguments": {"device": "d0", "job-id": "m3", "target": "t3", "sync": "full"}}'
	assert_held "$t3" exclusive
	wait_job m3 ready
	ok '{"execute": "block-job-cancel", "arguments": {"device": "m3"}}'
	wait_until "$VL_PATIENCE" eval '[[ -z $(jobs_) ]]' || fail "jobs left: $(jobs_)"
	# HMP: sync top, job id d0
	ok "$(hmpj "drive_mirror d0 $D/h.qcow2 qcow2")"
	wait_job d0 ready
	assert_held "$D/h.qcow2" exclusive
	kill_wait "$QEMU_PID"
	assert_free "$t"
	assert_free "$t3"
	assert_free "$D/h.qcow2"
}

@test "drive-backup, blockdev-backup, HMP drive_backup: target exclusive while the job runs; job-cancel and job-dismiss release it" {
	a=$(canon "$(mkqcow2 a.qcow2)")
	data "$a"
	guest -drive "file=$a,if=none,id=d0,format=qcow2"
	b=$D/b.qcow2
	ok '{"execute": "drive-backup", "arguments": {"device": "d0", "job-id": "b", "target": "'"$b"'", "format": "qcow2", "sync": "full", "speed": 1024, "auto-dismiss": false}}'
	assert_held "$b" exclusive
	assert_held "$a" exclusive
	ok '{"execute": "job-cancel", "arguments": {"id": "b"}}'
	wait_job b concluded
	ok '{"execute": "job-dismiss", "arguments": {"id": "b"}}'
	assert_free "$b"

	qemu-img create -q -f qcow2 "$D/c.qcow2" 16M
	c=$(canon "$D/c.qcow2")
	start_holder "$c:readonly"
	refused '{"execute": "drive-backup", "arguments": {"device": "d0", "job-id": "b", "target": "'"$c"'", "format": "qcow2", "sync": "full", "mode": "existing"}}'
	[[ -z $(jobs_) ]] || fail "QEMU started the job: $(jobs_)"
	kill_wait "$HOLDER_PID"

	ok "$(blockdev_qcow2 c "$c")"
	ok '{"execute": "blockdev-backup", "arguments": {"device": "d0", "job-id": "bb", "target": "c", "sync": "full", "speed": 1024, "auto-dismiss": false}}'
	assert_held "$c" exclusive
	ok '{"execute": "job-cancel", "arguments": {"id": "bb"}}'
	wait_job bb concluded
	ok '{"execute": "job-dismiss", "arguments": {"id": "bb"}}'
	ok '{"execute": "blockdev-del", "arguments": {"node-name": "c"}}'
	assert_free "$c"

	ok "$(hmpj "drive_backup d0 $D/h.qcow2 qcow2")"
	assert_held "$D/h.qcow2" exclusive
	kill_wait "$QEMU_PID"
	assert_free "$D/h.qcow2"
	assert_free "$a"
}

@test "devices: blockdev-add + device_add + device_del; HMP drive_add (busy: 75, no drive), device_add drive=, device_del, drive_del" {
	n=$(canon "$(mkqcow2 n.qcow2)")
	h=$(canon "$(mkqcow2 h.qcow2)")
	k=$(canon "$(mkqcow2 k.qcow2)")
	pc_guest
	ok "$(blockdev_qcow2 n "$n")"
	ok '{"execute": "device_add", "arguments": {"driver": "scsi-hd", "drive": "n", "id": "disk-n", "bus": "scsi0.0"}}'
	assert_held "$n" exclusive
	ok '{"execute": "device_del", "arguments": {"id": "disk-n"}}'
	assert_held "$n" exclusive
	ok '{"execute": "blockdev-del", "arguments": {"node-name": "n"}}'
	assert_free "$n"

	start_holder "$h:readonly"
	refused "$(hmpj "drive_add 0 if=none,id=hd,file=$h,format=qcow2")"
	run -0 qmp '{"execute": "query-block"}'
	refute_output --partial '"hd"'
	kill_wait "$HOLDER_PID"
	ok "$(hmpj "drive_add 0 if=none,id=hd,file=$h,format=qcow2")"
	assert_held "$h" exclusive
	ok '{"execute": "device_add", "arguments": {"driver": "scsi-hd", "drive": "hd", "id": "disk-h", "bus": "scsi0.0"}}'
	assert_held "$h" exclusive
	# the drive goes with its device, shortly after the reply
	ok '{"execute": "device_del", "arguments": {"id": "disk-h"}}'
	wait_free "$h"

	ok "$(hmpj "drive_add 0 if=none,id=hk,file=$k,format=qcow2,readonly=on")"
	assert_held "$k" readonly
	ok "$(hmpj "drive_del hk")"
	assert_free "$k"
}

# fds_of PATH: how many fds QEMU has open on PATH.
fds_of() {
	local fd n=0
	for fd in /proc/"$QEMU_PID"/fd/*; do
		[[ $(readlink "$fd") == "$1" ]] && n=$((n + 1))
	done
	echo "$n"
}

@test "an fd a killed sync left in QEMU (named, its lock gone) is closed by the next sync that locks the file, which is then released when QEMU lets it go" {
	require_strace
	x=$(canon "$(mkqcow2 x.qcow2)")
	guest
	ok "$(blockdev_qcow2 x "$x" true)"
	assert_held "$x" readonly
	qmp '{"execute": "blockdev-del", "arguments": {"node-name": "x"}}' >/dev/null
	# sync killed at its Nth QMP message, N = 1, 2, ... until one is
	# killed once it has released the lock: at its first closefd
	local n
	for n in $(seq 12); do
		run strace -o /dev/null -e trace=sendmsg \
			-e inject=sendmsg:signal=KILL:when=$n "$VMLOCK" sync --pid "$QEMU_PID"
		assert_equal "$status" 137
		_is_free "$x" && break
	done
	assert_free "$x"
	assert_equal "$(fds_of "$x")" 1
	ok "$(blockdev_qcow2 x "$x")"
	assert_held "$x" exclusive
	# closed by that sync already: as many fds as on a file added alike
	y=$(canon "$(mkqcow2 y.qcow2)")
	ok "$(blockdev_qcow2 y "$y")"
	assert_equal "$(fds_of "$x")" "$(fds_of "$y")"
	ok '{"execute": "blockdev-del", "arguments": {"node-name": "x"}}'
	assert_free "$x"
	assert_equal "$(fds_of "$x")" 0
}

@test "a file vmlock creates: mode 0666 less the umask (at most 0644); as root, owned by QEMU's user" {
	a=$(canon "$(mkqcow2 a.qcow2)")
	guest -drive "file=$a,if=none,id=d0,format=qcow2"
	(umask 077 && vq '{"execute": "blockdev-snapshot-sync", "arguments": {"device": "d0", "snapshot-file": "'"$D/s.qcow2"'", "format": "qcow2"}}' >/dev/null) ||
		fail "the snapshot failed"
	assert_equal "$(stat -c %a "$D/s.qcow2")" 600
	kill_wait "$QEMU_PID"

	open_tmpdir_to_others
	chown nobody "$a" "$D"
	qemu_cmd
	start_bg "$VMLOCK" run -- "${NOBODY[@]}" "${QEMU_CMD[@]}" -drive "file=$a,if=none,id=d0,format=qcow2"
	QEMU_PID=$BG_PID
	wait_qmp
	ok '{"execute": "drive-mirror", "arguments": {"device": "d0", "job-id": "m", "target": "'"$D/m.qcow2"'", "format": "qcow2", "sync": "full"}}'
	assert_equal "$(stat -c '%U %a' "$D/m.qcow2")" "nobody 644"
}
