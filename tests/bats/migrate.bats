#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Live migration under vmlock (vmlock(1), HANDOVER): `vmlock handover` on
# the source side, `vmlock run --incoming` on the target side, real QEMU
# processes migrating over a unix socket, and a third launcher that must be
# refused (75) at every moment while the guest exists.
#
# Every file and socket lives under $BATS_TEST_TMPDIR; every background
# process goes through start_bg (helpers.bash), so teardown kills exactly
# the pids this test started. Synchronisation is by polling a condition
# with a bounded loop (wait_until), never by a fixed sleep.

bats_require_minimum_version 1.5.0
load helpers

# The QMP client: $QMP_TOOL (helpers.bash), examples/qmp by default.

# Lock byte layout (vmlock(1), LOCK BYTES): 2^40 + 3 and + 4 are the two
# handover slots a target write-locks.
LP_BASE=1099511627776
SLOT0=$((LP_BASE + 3))
SLOT1=$((LP_BASE + 4))

setup() {
	# the longest socket name below: "$BATS_TEST_TMPDIR/mig-back.sock"
	require_qemu
	[[ -x $QMP_TOOL ]] || fail "no QMP tool at $QMP_TOOL"
	declare -gA PIDS=() ROLE=()
	IMGS=() BASES=()
}

# Test images --------------------------------------------------------------

# add_image NAME: a fresh qcow2 image for the guest (appended to IMGS).
add_image() {
	local p
	p=$(mkqcow2 "$1") || fail "qemu-img create $1 failed"
	IMGS+=("$(canon "$p")")
}

# add_overlay NAME BASE: a qcow2 image NAME over a new backing file BASE;
# the guest opens NAME (IMGS), QEMU reads BASE (BASES) read-only.
add_overlay() {
	local base
	base=$(mkqcow2 "$2") || fail "qemu-img create $2 failed"
	qemu-img create -q -f qcow2 -b "$2" -F qcow2 "$BATS_TEST_TMPDIR/$1" ||
		fail "qemu-img create $1 failed"
	IMGS+=("$(canon "$BATS_TEST_TMPDIR/$1")")
	BASES+=("$(canon "$base")")
}

# LOCKS: the --lock options a `vmlock run -- qemu...` of the guest needs.
# Once the QEMU command-line reader locks every -drive by itself, none;
# until then each image is named with --lock.
compute_locks() {
	local img plan
	LOCKS=()
	guest_argv probe
	plan=$("$VMLOCK" run --dry-run -- "${GUEST[@]}" 2>/dev/null) || plan=
	for img in "${IMGS[@]}"; do
		grep -qxF "exclusive"$'\t'"$img" <<<"$plan" || LOCKS+=(--lock "$img")
	done
	for img in "${BASES[@]}"; do
		grep -qxF "readonly"$'\t'"$img" <<<"$plan" ||
			LOCKS+=(--lock "$img:readonly")
	done
	if ((${#LOCKS[@]})); then
		echo "# note: $VMLOCK does not read -drive yet: using ${LOCKS[*]}" >&3
	fi
}

# Guests ---------------------------------------------------------------------

sock() {
	echo "$BATS_TEST_TMPDIR/$1.sock"
}

# guest_argv NAME [EXTRA-QEMU-ARGS...]: sets GUEST to the QEMU command line
# of the test guest, named NAME, QMP on $(sock NAME), one virtio disk per
# image of IMGS.
guest_argv() {
	local name=$1 img
	shift
	GUEST=("$QEMU" -M pc -m 32 -nodefaults -no-user-config -display none
		-accel tcg -name "$name"
		-qmp "unix:$(sock "$name"),server=on,wait=off")
	for img in "${IMGS[@]}"; do
		GUEST+=(-drive "file=$img,if=virtio,format=qcow2")
	done
	GUEST+=("$@")
}

# start_guest NAME [VMLOCK-RUN-OPTIONS...] [-- EXTRA-QEMU-ARGS...]: starts
# `vmlock run [LOCKS] OPTIONS -- QEMU...` in the background and waits until
# QEMU answers QMP. PIDS[NAME] is the pid (vmlock execs QEMU in place).
start_guest() {
	local name=$1 opts=()
	shift
	while (($#)) && [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	[[ ${1-} == -- ]] && shift
	guest_argv "$name" "$@"
	start_bg "$VMLOCK" run "${LOCKS[@]}" "${opts[@]}" -- "${GUEST[@]}"
	PIDS[$name]=$BG_PID
	# inquire's role: a target holds through a handover slot, and keeps
	# that role for as long as it runs (also once it is the source of the
	# next migration)
	ROLE[$name]=holder
	[[ " ${opts[*]} " == *" --incoming "* ]] && ROLE[$name]=incoming
	wait_guest "$name"
}

# start_target NAME: the migration target, `vmlock run --incoming` with
# QEMU listening on $(sock mig-NAME).
start_target() {
	start_guest "$1" --incoming -- -incoming "unix:$(sock "mig-$1")"
}

qmpc() {
	local name=$1
	shift
	"$PY" "$QMP_TOOL" "$(sock "$name")" "$@"
}

wait_guest() {
	local out
	if ! out=$(qmpc "$1" query-status 2>&1); then
		echo "# guest $1 (pid ${PIDS[$1]}) does not answer QMP: $out" >&2
		cat "$BATS_TEST_TMPDIR/holder.${PIDS[$1]}.err" >&2
		return 1
	fi
}

# guest_status NAME: QEMU's run state ("running", "inmigrate", ...).
guest_status() {
	qmpc "$1" query-status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])'
}

assert_status() {
	local got
	got=$(guest_status "$1") || fail "query-status of $1 failed"
	[[ $got == "$2" ]] || fail "guest $1 is \"$got\", expected \"$2\""
}

# quit_guest NAME: QMP quit, then waits (bounded) for the process to exit
# and checks that it exited 0.
quit_guest() {
	local pid=${PIDS[$1]} rc=0
	qmpc "$1" quit >/dev/null || true
	wait_until "$VL_PATIENCE" not_alive "$pid" ||
		fail "guest $1 (pid $pid) did not exit after quit"
	wait "$pid" || rc=$?
	[[ $rc == 0 ]] || fail "guest $1 exited $rc after quit"
}

not_alive() {
	! alive "$1"
}

# kill9 NAME: kill -9 a guest and reap it.
kill9() {
	kill_wait "${PIDS[$1]}" KILL
}

# migration_is NAME STATUS: query-migrate of NAME says STATUS.
migration_is() {
	qmpc "$1" query-migrate | grep -q "\"status\": \"$2\""
}

# Observations ---------------------------------------------------------------

# roles IMG: one line "ROLE PID NAME" per holder that vmlock inquire shows.
roles() {
	inquire_holders "$1" role pid name
}

# has_role IMG ROLE PID
has_role() {
	roles "$1" | grep -q "^$2 $3 "
}

# assert_roles IMG "ROLE PID"...: inquire shows exactly these holders.
assert_roles() {
	local img=$1 got want
	shift
	got=$(roles "$img" | cut -d' ' -f1,2 | sort) ||
		fail "vmlock inquire --json $img failed"
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	[[ $got == "$want" ]] ||
		fail "$img: inquire shows holders [${got//$'\n'/, }], expected [${want//$'\n'/, }]"
}

# assert_no_offer IMG...
assert_no_offer() {
	local img
	for img; do
		! roles "$img" | grep -q '^offer ' ||
			fail "$img: an offer is still shown: $(roles "$img")"
	done
}

# lock_bytes PID IMG: "TYPE START END" for each lock of PID's fds on IMG.
lock_bytes() {
	"$PY" - "$1" "$2" <<'EOF'
import os, sys
pid, path = sys.argv[1], sys.argv[2]
st = os.stat(path)
for fd in os.listdir("/proc/%s/fd" % pid):
    try:
        t = os.stat("/proc/%s/fd/%s" % (pid, fd))
        if (t.st_dev, t.st_ino) != (st.st_dev, st.st_ino):
            continue
        info = open("/proc/%s/fdinfo/%s" % (pid, fd)).read()
    except OSError:
        continue
    for line in info.splitlines():
        if line.startswith("lock:"):
            f = line.split()
            print(f[4], f[-2], f[-1])
EOF
}

# assert_slot PID SLOT-BYTE IMG...: PID write-locks the slot on each image.
assert_slot() {
	local pid=$1 byte=$2 img
	shift 2
	for img; do
		lock_bytes "$pid" "$img" | grep -qx "WRITE $byte $byte" ||
			fail "pid $pid does not hold slot byte $byte of $img: $(lock_bytes "$pid" "$img" | tr '\n' ';')"
	done
}

# refused [--no-incoming] IMG...: a third launcher is refused with 75 on
# every image, in every mode, and (unless --no-incoming: while an offer
# stands, an incoming target is meant to get in) as `run --incoming` too.
refused() {
	local incoming=1 img mode
	if [[ $1 == --no-incoming ]]; then
		incoming=0
		shift
	fi
	for img; do
		for mode in exclusive readonly shared; do
			run -75 "$VMLOCK" run --lock "$img:$mode" -- true
			assert_output --partial "busy"
		done
		if ((incoming)); then
			run -75 "$VMLOCK" run --incoming --lock "$img" -- true
			assert_output --partial "busy"
		fi
	done
}

# third_parties [--no-incoming]: refused on every image of the guest; on
# its backing files, writers refused and readers let in (mode table).
third_parties() {
	local img
	refused "$@" "${IMGS[@]}"
	for img in "${BASES[@]}"; do
		run -75 "$VMLOCK" run --lock "$img:exclusive" -- true
		run -75 "$VMLOCK" run --lock "$img:shared" -- true
		run -0 "$VMLOCK" run --lock "$img:readonly" -- true
	done
}

assert_all_free() {
	local img
	for img in "${IMGS[@]}" "${BASES[@]}"; do
		assert_roles "$img"
		assert_free "$img"
	done
}

# Migration ------------------------------------------------------------------

# start_handover NAME [TIMEOUT]: `vmlock handover --pid PIDS[NAME]` in the
# background; waits until its offer shows on every image. HO_PID, HO_OUT,
# HO_ERR.
start_handover() {
	local img
	start_bg "$VMLOCK" handover --pid "${PIDS[$1]}" --timeout "${2:-30}"
	HO_PID=$BG_PID
	HO_OUT=$BATS_TEST_TMPDIR/holder.$HO_PID.out
	HO_ERR=$BATS_TEST_TMPDIR/holder.$HO_PID.err
	for img in "${IMGS[@]}"; do
		wait_until "$VL_PATIENCE" has_role "$img" offer "$HO_PID" ||
			fail "no offer by handover $HO_PID on $img: $(roles "$img"; cat "$HO_ERR")"
	done
}

# wait_handover EXPECTED-STATUS: reaps the handover (it has its own
# --timeout, so this is bounded) and checks its exit status.
wait_handover() {
	local rc=0
	wait "$HO_PID" || rc=$?
	[[ $rc == "$1" ]] ||
		fail "vmlock handover exited $rc, expected $1: $(cat "$HO_OUT" "$HO_ERR")"
}

# migrate_guest FROM TO SLOT-BYTE: the whole sequence, from a running guest
# FROM to a new guest TO, with third parties refused at every step.
migrate_guest() {
	local from=$1 to=$2 slot=$3 img out
	local src=${PIDS[$from]} role=${ROLE[$from]}

	start_handover "$from"
	for img in "${IMGS[@]}"; do
		assert_roles "$img" "$role $src" "offer $HO_PID"
	done
	third_parties --no-incoming
	alive "$HO_PID" || fail "handover exited before any target came"

	start_target "$to"
	local dst=${PIDS[$to]}
	wait_handover 0
	for img in "${IMGS[@]}"; do
		grep -qxF "$img: handed over" "$HO_OUT" ||
			fail "handover did not print \"$img: handed over\": $(cat "$HO_OUT")"
		assert_roles "$img" "$role $src" "incoming $dst"
	done
	assert_slot "$dst" "$slot" "${IMGS[@]}"
	for img in "${BASES[@]}"; do
		assert_roles "$img" "holder $src" "holder $dst"
	done
	assert_status "$to" inmigrate
	third_parties

	qmpc "$from" migrate "{\"uri\": \"unix:$(sock "mig-$to")\"}" >/dev/null
	out=$(qmpc "$from" migrate-wait 60) || fail "migration $from -> $to: $out"
	[[ $out == *'"status": "completed"'* ]] || fail "migration: $out"
	[[ $out == *'"downtime"'* ]] || fail "no downtime in $out"
	third_parties
	assert_status "$from" postmigrate

	quit_guest "$from"
	for img in "${IMGS[@]}"; do
		assert_roles "$img" "incoming $dst"
	done
	for img in "${BASES[@]}"; do
		assert_roles "$img" "holder $dst"
	done
	third_parties

	qmpc "$to" cont >/dev/null
	assert_status "$to" running
	third_parties
}

# handed_over_guest: a guest src on one new image (img), offered by a
# handover to a target dst that has taken its slot; no migration yet.
handed_over_guest() {
	add_image disk.qcow2
	compute_locks
	img=${IMGS[0]}
	start_guest src
	start_handover src
	start_target dst
	wait_handover 0
}

# Tests: the full migration ------------------------------------------------

@test "live migration: handover, run --incoming, migrate, quit, cont; no third party at any step" {
	add_image disk.qcow2
	compute_locks
	img=${IMGS[0]}

	start_guest src
	assert_roles "$img" "holder ${PIDS[src]}"
	assert_status src running
	refused "$img"

	migrate_guest src dst "$SLOT0"

	# the guest runs on the target alone, named as such
	run roles "$img"
	assert_output "incoming ${PIDS[dst]} dst"
	quit_guest dst
	assert_all_free
}

@test "live migration of a guest with two disks hands both over" {
	add_image a.qcow2
	add_image b.qcow2
	compute_locks

	start_guest src
	refused "${IMGS[@]}"
	migrate_guest src dst "$SLOT0"
	quit_guest dst
	assert_all_free
}

@test "live migration of a guest on an overlay: the backing file stays readonly-locked throughout" {
	add_overlay vm.qcow2 base.qcow2
	compute_locks

	start_guest src
	third_parties
	migrate_guest src dst "$SLOT0"
	quit_guest dst
	assert_all_free
}

@test "second migration (target becomes source, to a third QEMU) and back; the slots alternate" {
	add_image disk.qcow2
	compute_locks

	start_guest src
	migrate_guest src dst "$SLOT0"
	migrate_guest dst third "$SLOT1"
	migrate_guest third back "$SLOT0"
	assert_status back running
	quit_guest back
	assert_all_free
}

# byte0_free IMG: could a lock manager like virtlockd (a classic POSIX
# write lock on byte 0) take IMG now?
byte0_free() {
	"$PY" -c '
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
except OSError:
    sys.exit(1)' "$1"
}

@test "after the source exits, vmlock sync --pid TARGET settles its slots: role holder, byte 0 held, and it migrates on" {
	add_image disk.qcow2
	compute_locks
	img=${IMGS[0]}

	start_guest src
	migrate_guest src dst "$SLOT0"
	dst=${PIDS[dst]}
	assert_roles "$img" "incoming $dst"
	byte0_free "$img" || fail "byte 0 is held before sync"

	run -0 "$VMLOCK" sync --pid "$dst"
	assert_output "$img: handover slot 0 settled: held exclusive, byte 0 too"
	assert_roles "$img" "holder $dst"
	lock_bytes "$dst" "$img" | grep -qx "WRITE 0 0" ||
		fail "the target holds no write lock on byte 0: $(lock_bytes "$dst" "$img" | tr '\n' ';')"
	! lock_bytes "$dst" "$img" | grep -q " $SLOT0 " || fail "slot 0 still held"
	! byte0_free "$img" || fail "a virtlockd-style lock on byte 0 got in"
	run -0 "$VMLOCK" audit --pid "$dst"
	third_parties
	assert_status dst running

	ROLE[dst]=holder
	migrate_guest dst third "$SLOT0"
	quit_guest third
	assert_all_free
}

@test "sync of a target while its source still holds: 75 naming the source, the slot kept" {
	handed_over_guest
	run -75 "$VMLOCK" sync --pid "${PIDS[dst]}"
	assert_output "vmlock: $img: busy: wanted exclusive, held exclusive by pid ${PIDS[src]} (qemu-system-x86_64, VM \"src\"); nothing changed"
	assert_slot "${PIDS[dst]}" "$SLOT0" "$img"
	assert_roles "$img" "holder ${PIDS[src]}" "incoming ${PIDS[dst]}"
}

# Tests: failure paths -------------------------------------------------------

@test "target killed after taking its slot, before the migration: the source keeps the image" {
	handed_over_guest
	assert_roles "$img" "holder ${PIDS[src]}" "incoming ${PIDS[dst]}"

	kill9 dst
	assert_roles "$img" "holder ${PIDS[src]}"
	refused "$img"
	assert_status src running

	# the operator tries again
	migrate_guest src dst2 "$SLOT0"
	quit_guest dst2
	assert_all_free
}

@test "target killed in the middle of the migration: it fails, the source keeps the image and runs on" {
	handed_over_guest

	# slow enough to be caught while active (about 0.5 MB to send)
	qmpc src migrate-set-parameters '{"max-bandwidth": 65536}' >/dev/null
	qmpc src migrate "{\"uri\": \"unix:$(sock mig-dst)\"}" >/dev/null
	wait_until "$VL_PATIENCE" migration_is src active ||
		fail "migration not active: $(qmpc src query-migrate)"
	kill9 dst
	run qmpc src migrate-wait 60
	assert_output --partial '"status": "failed"'

	assert_roles "$img" "holder ${PIDS[src]}"
	refused "$img"
	assert_status src running

	# and it can still move
	qmpc src migrate-set-parameters '{"max-bandwidth": 134217728}' >/dev/null
	migrate_guest src dst2 "$SLOT0"
	quit_guest dst2
	assert_all_free
}

@test "target killed right after the migration completed: the source keeps the image and can resume" {
	handed_over_guest
	qmpc src migrate "{\"uri\": \"unix:$(sock mig-dst)\"}" >/dev/null
	run qmpc src migrate-wait 60
	assert_output --partial '"status": "completed"'

	kill9 dst
	assert_roles "$img" "holder ${PIDS[src]}"
	refused "$img"
	assert_status src postmigrate
	qmpc src cont >/dev/null
	assert_status src running
	refused "$img"
	quit_guest src
	assert_all_free
}

@test "target killed while the handover still waits for another disk: handover exits 75 and withdraws its offers" {
	add_image a.qcow2
	add_image b.qcow2
	compute_locks
	a=${IMGS[0]} b=${IMGS[1]}

	start_guest src
	start_handover src 6
	# a target that takes over disk a only (as a misconfigured one would)
	start_bg "$VMLOCK" run --incoming --lock "$a" -- sleep 300
	tgt=$BG_PID
	wait_until "$VL_PATIENCE" has_role "$a" incoming "$tgt" ||
		fail "the target did not take a's slot: $(roles "$a")"
	assert_roles "$b" "holder ${PIDS[src]}" "offer $HO_PID"
	alive "$HO_PID" || fail "handover exited although b was not taken"

	kill_wait "$tgt" KILL
	assert_roles "$a" "holder ${PIDS[src]}" "offer $HO_PID"
	refused --no-incoming "$a" "$b"

	start=$(now)
	wait_handover 75
	float_between "$(elapsed "$start")" 0 10
	grep -q "timed out" "$HO_ERR" || fail "no timeout message: $(cat "$HO_ERR")"
	grep -qF "$b" "$HO_ERR" || fail "the untaken disk is not named: $(cat "$HO_ERR")"

	assert_no_offer "$a" "$b"
	assert_roles "$a" "holder ${PIDS[src]}"
	assert_roles "$b" "holder ${PIDS[src]}"
	refused "$a" "$b"
	assert_status src running
}

@test "source killed after the target took the slot: the target holds the image" {
	handed_over_guest

	kill9 src
	assert_roles "$img" "incoming ${PIDS[dst]}"
	run roles "$img"
	assert_output "incoming ${PIDS[dst]} dst"
	refused "$img"
	assert_status dst inmigrate

	kill9 dst
	assert_all_free
}

@test "handover with no target: exits 75 after about the timeout and withdraws the offer" {
	add_image disk.qcow2
	compute_locks
	img=${IMGS[0]}

	start_guest src
	start=$(now)
	start_handover src 1
	wait_handover 75
	float_between "$(elapsed "$start")" 0.9 4
	grep -q "timed out" "$HO_ERR" || fail "no timeout message: $(cat "$HO_ERR")"
	[[ ! -s $HO_OUT ]] || fail "handover printed: $(cat "$HO_OUT")"

	assert_no_offer "$img"
	assert_roles "$img" "holder ${PIDS[src]}"
	refused "$img"
	assert_status src running
}

@test "run --incoming without an offer is refused with 75, at once and after --wait" {
	add_image disk.qcow2
	compute_locks
	img=${IMGS[0]}

	start_guest src
	guest_argv dst -incoming "unix:$(sock mig-dst)"
	run -75 timeout 20 "$VMLOCK" run "${LOCKS[@]}" --incoming -- "${GUEST[@]}"
	assert_output --partial "busy"
	[[ ! -e $(sock dst) ]] || fail "the target QEMU was started"

	start=$(now)
	run -75 timeout 20 "$VMLOCK" run "${LOCKS[@]}" --incoming --wait 1 -- "${GUEST[@]}"
	float_between "$(elapsed "$start")" 0.9 4
	assert_roles "$img" "holder ${PIDS[src]}"
}

@test "an offer does not outlive its source: no target gets in next to a new holder" {
	# The source dies while its handover offers the image. The image is
	# then free and a new guest may take it; a migration target arriving
	# afterwards must not be let in through the stale offer (two writers).
	add_image disk.qcow2
	compute_locks
	img=${IMGS[0]}

	start_guest src
	start_handover src 20
	kill9 src

	# (--wait: whether the stale offer keeps it out for a while or not)
	start_bg "$VMLOCK" run --wait 30 --lock "$img" -- sleep 300
	other=$BG_PID
	wait_held "$other" "$img"

	run "$VMLOCK" run --incoming --lock "$img" -- true
	[[ $status == 75 ]] ||
		fail "run --incoming exited $status next to holder $other (expected 75): $(roles "$img" | tr '\n' ';')"
	assert_roles "$img" "holder $other"
}

# Tests: handover acceptance (vmlock only, no guest) -------------------------

@test "handover refuses a slot already held by an earlier target" {
	in_tmpdir a.img
	start_holder a.img
	src=$HOLDER_PID
	start_bg "$VMLOCK" handover --pid "$src" --timeout 10
	ho=$BG_PID
	wait_until "$VL_PATIENCE" eval "$VMLOCK inquire --json a.img | grep -q '\"role\": \"offer\"'" || fail "no offer seen"
	start_bg "$VMLOCK" run --incoming --lock a.img -- sleep 300
	wait $ho	# the first handover completes
	# the migration failed; the target was left behind; try again
	run "$VMLOCK" handover --pid "$src" --timeout 1
	assert_failure 75
	assert_output --partial "held already, by an earlier incoming target"
}

@test "a target that takes a slot and then fails (all or nothing) is no handover" {
	in_tmpdir a.img c.img
	start_holder a.img
	src=$HOLDER_PID
	start_holder c.img	# the target's second image is busy
	start_bg "$VMLOCK" handover --pid "$src" --timeout 2
	ho=$BG_PID
	wait_until "$VL_PATIENCE" eval "$VMLOCK inquire --json a.img | grep -q '\"role\": \"offer\"'" || fail "no offer seen"
	for _ in 1 2 3 4 5; do
		run "$VMLOCK" run --incoming --lock a.img --lock c.img -- true
		assert_failure 75
	done
	ho_status=0
	wait $ho || ho_status=$?
	assert_equal "$ho_status" 75
	run "$VMLOCK" run --lock a.img:readonly -- true
	assert_failure 75	# the source still holds it
}

# Tests: errors --------------------------------------------------------------

@test "handover --pid of a process that does not exist: 66" {
	sleep 0 &
	gone=$!
	wait "$gone"
	kill -0 "$gone" 2>/dev/null && skip "pid $gone was reused at once"
	run -66 "$VMLOCK" handover --pid "$gone" --timeout 1
	assert_output --partial "$gone"
}

@test "handover usage errors: 64" {
	run -64 "$VMLOCK" handover
	run -64 "$VMLOCK" handover --timeout 1
	run -64 "$VMLOCK" handover --pid
	run -64 "$VMLOCK" handover --pid abc
	run -64 "$VMLOCK" handover --pid 0
	run -64 "$VMLOCK" handover --pid -5
	run -64 "$VMLOCK" handover --pid 1x
	run -64 "$VMLOCK" handover --pid $$ --timeout soon
	run -64 "$VMLOCK" handover --pid $$ extra-argument
	run -64 "$VMLOCK" handover --pid $$ --no-such-option
}
