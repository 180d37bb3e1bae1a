#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# The sanlock driver module, against real sanlock daemons that this file
# starts itself: no watchdog, under a temporary run directory, one daemon
# per "host" (host_id 1 and 2 on this one machine), the lockspace written
# with io_timeout 1 so that a join takes about 3 s. When a daemon cannot
# start, every test is skipped and says why.

bats_require_minimum_version 1.5.0
load helpers

# on HOST COMMAND ARGS...: vmlock COMMAND as seen from host HOST (1, 2, 3):
# that host's daemon, configuration and the sanlock driver.
on() {
	local host=$1 cmd=$2
	shift 2
	SANLOCK_RUN_DIR=$SL/run$host "$VMLOCK" "$cmd" --driver sanlock \
		--config "$SL/h$host.conf" "$@"
}

# sl HOST ARGS...: the sanlock client of host HOST.
sl() {
	local host=$1
	shift
	SANLOCK_RUN_DIR=$SL/run$host timeout 20 sanlock client "$@"
}

start_daemon() {	# HOST
	local i=$1 start
	mkdir -p "$SL/run$i"
	printf 'sanlock.directory = %s\nsanlock.host_id = %s\nsanlock.io_timeout = 1\n' \
		"$SL/leases" "$i" >"$SL/h$i.conf"
	SANLOCK_RUN_DIR=$SL/run$i setsid sanlock daemon -D -w 0 -l 0 -h 0 \
		-e "vmlock-test-host$i" -U "$(id -un)" -G "$(id -gn)" \
		>"$SL/daemon$i.log" 2>&1 3>&- </dev/null &
	echo $! >"$SL/daemon$i.pid"
	start=$(now)
	until sl "$i" status >/dev/null 2>&1; do
		if ! kill -0 "$(cat "$SL/daemon$i.pid")" 2>/dev/null ||
			! float_between "$(elapsed "$start")" 0 10 2>/dev/null; then
			echo "sanlock daemon $i did not start: $(tail -n 3 "$SL/daemon$i.log" | tr '\n' ' ')"
			return 1
		fi
		sleep 0.1
	done
}

stop_daemon() {	# HOST
	local pid
	pid=$(cat "$SL/daemon$1.pid" 2>/dev/null) || return 0
	sl "$1" shutdown -f 1 >/dev/null 2>&1 || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# bats 1.8 cannot skip from setup_file: the reason goes to SL_SKIP and
# every test skips with it.
setup_file() {
	export SL= SL_SKIP= SANLOCK_PRIVILEGED=0
	export VMLOCK_DRIVER_DIR=${VMLOCK_MODULES:-$(dirname "$VMLOCK")/drivers/.libs}
	if ! command -v sanlock >/dev/null; then
		SL_SKIP="sanlock is not installed (Debian: sanlock)"
	elif [[ ! -f $VMLOCK_DRIVER_DIR/sanlock.so ]]; then
		SL_SKIP="no sanlock module in $VMLOCK_DRIVER_DIR (configure found no libsanlock_client?)"
	else
		SL=$(mktemp -d /tmp/vmlock-sanlock.XXXXXX)
		mkdir "$SL/leases"
		SL_SKIP=$(start_daemon 1 && start_daemon 2) || true
	fi
}

teardown_file() {
	if [[ -n ${SL-} && -d $SL ]]; then
		for h in 1 2 3; do
			stop_daemon "$h"
		done
		rm -rf "$SL"
	fi
}

setup() {
	[[ -z $SL_SKIP ]] || skip "$SL_SKIP"
	cd "$BATS_TEST_TMPDIR"
	unset VMLOCK_CONFIG
}

# held_by HOST PID N: host HOST's daemon shows N leases held by PID.
held_count() {
	sl "$1" status 2>/dev/null | grep -c "^r .* p $2\$" || true
}

wait_leases() {	# HOST PID N
	wait_until "$VL_PATIENCE" _has_leases "$@" ||
		fail "pid $2 does not hold $3 leases on host $1: $(sl "$1" status)"
}

_has_leases() {
	[[ $(held_count "$1" "$2") == "$3" ]]
}

# hold HOST N VMLOCK-RUN-ARGS...: vmlock run ARGS -- sleep 300 on HOST in
# the background until it holds N leases; sets HOLDER_PID.
hold() {
	local host=$1 n=$2
	shift 2
	start_bg env SANLOCK_RUN_DIR="$SL/run$host" "$VMLOCK" run --driver sanlock \
		--config "$SL/h$host.conf" "$@" -- sleep 300
	HOLDER_PID=$BG_PID
	wait_leases "$host" "$HOLDER_PID" "$n"
}

# --- joining -----------------------------------------------------------------

@test "sanlock-join joins host 1 to the lockspace in about 3 s (io_timeout 1), then returns at once" {
	start=$(now)
	run --separate-stderr on 1 sanlock-join
	assert_success
	t=$(elapsed "$start")
	echo "# join took $t s" >&3
	float_between "$t" 1 15
	[[ $stderr == *"joined sanlock lockspace vmlock as host_id 1"* ]]
	[[ -f $SL/leases/vmlock.lockspace ]]
	sl 1 status | grep -q "^s vmlock:1:$SL/leases/vmlock.lockspace:0"
	start=$(now)
	run on 1 sanlock-join
	assert_success
	float_between "$(elapsed "$start")" 0 1
}

@test "the first run on host 2 joins the lockspace on first use, as host_id 2" {
	img=$(mkimg first.img)
	run --separate-stderr on 2 run --lock "$img" -- true
	assert_success
	[[ $stderr == *"joined sanlock lockspace vmlock as host_id 2"* ]]
	sl 2 status | grep -q "^s vmlock:2:"
}

# --- exclusion ---------------------------------------------------------------

@test "an exclusive lease on host 1 refuses host 2 (75) naming path, modes and host_id" {
	img=$(mkimg disk.img)
	hold 1 1 --lock "$img"
	start=$(now)
	run -75 --separate-stderr on 2 run --lock "$img" -- true
	echo "# refusal took $(elapsed "$start") s" >&3
	[[ $stderr == *"$(canon "$img"): busy: wanted exclusive, held exclusive by sanlock host_id 1 (another host)"* ]] ||
		fail "$stderr"
	run -75 --separate-stderr on 2 run --lock "$img:shared" -- true
	[[ $stderr == *"wanted shared, held exclusive"* ]] || fail "$stderr"
	run -75 --separate-stderr on 2 run --lock "$img:readonly" -- true
	alive "$HOLDER_PID"
}

@test "a second launcher on the same host is refused naming the holder's pid" {
	img=$(mkimg disk.img)
	hold 1 1 --lock "$img"
	run -75 --separate-stderr on 1 run --lock "$img" -- true
	[[ $stderr == *"held exclusive by pid $HOLDER_PID (sleep) of this host (sanlock host_id 1)"* ]] ||
		fail "$stderr"
}

@test "inquire shows the sanlock holder: pid where local, host_id where remote" {
	img=$(mkimg disk.img)
	free=$(mkimg free.img)
	hold 1 1 --lock "$img"
	run -0 on 1 inquire --json "$img" "$free"
	assert_output "{\"resources\": [{\"path\": \"$(canon "$img")\", \"mode\": \"exclusive\", \"holders\": [{\"pid\": $HOLDER_PID, \"host\": \"local\", \"mode\": \"exclusive\", \"command\": \"sleep\", \"name\": null, \"role\": \"holder\"}]}, {\"path\": \"$(canon "$free")\", \"mode\": null, \"holders\": []}]}"
	run -0 on 2 inquire --json "$img"
	assert_output --partial "{\"pid\": null, \"host\": \"remote\", \"mode\": \"exclusive\", \"command\": \"sanlock host_id 1\""
	run -0 on 2 inquire "$img"
	assert_output --partial "sanlock host_id 1"
}

@test "shared leases coexist across hosts, readonly ones too; exclusive is refused by either" {
	img=$(mkimg pool.img)
	base=$(mkimg base.img)
	hold 1 2 --lock "$img:shared" --lock "$base:readonly"
	run -0 on 2 run --lock "$img:shared" --lock "$base:readonly" -- true
	run -75 --separate-stderr on 2 run --lock "$img" -- true
	[[ $stderr == *"wanted exclusive, held shared by sanlock host_id 1"* ]] || fail "$stderr"
	run -75 on 2 run --lock "$base" -- true
	run -0 on 1 inquire --json "$img"
	assert_output --partial '"mode": "shared"'
}

@test "lease files: 32 hex digits in sanlock.directory, created once, recording their key" {
	img=$(mkimg named.img)
	run -0 on 1 run --lock "$img" --lease web-vm -- true
	before=$(ls "$SL/leases" | wc -l)
	# host 1's daemon releases when its holder has exited, a moment later
	run -0 on 2 run --wait "$VL_PATIENCE" --lock "$img" --lease web-vm -- true
	[[ $(ls "$SL/leases" | wc -l) == "$before" ]]
	run -0 grep -l -a "^file:$(canon "$img")\$" "$SL"/leases/*
	[[ $(basename "$output") =~ ^[0-9a-f]{32}$ ]]
	run -0 grep -l -a "^lease:web-vm\$" "$SL"/leases/*
	[[ -z $(find "$SL/leases" -name '.*.tmp') ]]
}

@test "more than 8 resources: all 20 leases are held in batches of 8, all or nothing" {
	locks=()
	for i in $(seq 20); do
		locks+=(--lock "$(mkimg "m$i.img")")
	done
	start=$(now)
	hold 1 20 "${locks[@]}"
	echo "# 20 leases acquired in $(elapsed "$start") s" >&3
	other=$(mkimg other.img)
	run -75 --separate-stderr on 2 run --lock "$other" --lock "$BATS_TEST_TMPDIR/m20.img" -- true
	[[ $stderr == *"m20.img: busy"* ]] || fail "$stderr"
	# nothing kept: other.img is free for host 1
	run -0 on 1 run --lock "$other" -- true
}

@test "--wait: host 2 gets the lease once host 1's holder exits" {
	img=$(mkimg disk.img)
	start_bg env SANLOCK_RUN_DIR="$SL/run1" "$VMLOCK" run --driver sanlock \
		--config "$SL/h1.conf" --lock "$img" -- sleep 2
	wait_leases 1 "$BG_PID" 1
	start=$(now)
	run -0 on 2 run --wait 15 --lock "$img" -- true
	float_between "$(elapsed "$start")" 0.5 10
}

# --- release with QEMU ---------------------------------------------------------

@test "QEMU holds the leases itself (same pid) and they go when it quits or is killed" {
	command -v "$QEMU" >/dev/null || skip "$QEMU not installed"
	img=$(mkqcow2 vm.qcow2)
	qemu_cmd
	start_bg env SANLOCK_RUN_DIR="$SL/run1" "$VMLOCK" run --driver sanlock \
		--config "$SL/h1.conf" -- "${QEMU_CMD[@]}" \
		-drive "file=$img,if=none,id=d0,format=qcow2"
	QEMU_PID=$BG_PID
	wait_qmp
	[[ $(readlink "/proc/$QEMU_PID/exe") == *qemu-system* ]]
	wait_leases 1 "$QEMU_PID" 1
	run -75 on 2 run --lock "$img" -- true
	run -0 qmp '{"execute": "quit"}'
	wait_until "$VL_PATIENCE" eval '! alive $QEMU_PID'
	run -0 on 2 run --wait 5 --lock "$img" -- true

	# (host 2's daemon releases a moment after its holder has exited)
	start_bg env SANLOCK_RUN_DIR="$SL/run1" "$VMLOCK" run --wait "$VL_PATIENCE" --driver sanlock \
		--config "$SL/h1.conf" -- "${QEMU_CMD[@]}" \
		-drive "file=$img,if=none,id=d0,format=qcow2"
	QEMU_PID=$BG_PID
	wait_qmp
	wait_leases 1 "$QEMU_PID" 1
	kill_wait "$QEMU_PID" KILL
	start=$(now)
	run -0 on 2 run --wait 5 --lock "$img" -- true
	echo "# free again $(elapsed "$start") s after kill -9" >&3
}

# --- handover ------------------------------------------------------------------

# migrate_setup: SRC on host 1 holding disk.img (exclusive) and pool.img
# (shared); DST registered on host 2 by run --incoming, holding nothing.
migrate_setup() {
	img=$(mkimg disk.img)
	pool=$(mkimg pool.img)
	hold 1 2 --lock "$img" --lock "$pool:shared"
	SRC=$HOLDER_PID
	start_bg env SANLOCK_RUN_DIR="$SL/run2" "$VMLOCK" run --driver sanlock \
		--config "$SL/h2.conf" --incoming --lock "$img" --lock "$pool:shared" \
		-- sleep 300
	DST=$BG_PID
	wait_until "$VL_PATIENCE" eval 'sl 2 status | grep -q "^p $DST"' ||
		fail "target $DST never registered: $(sl 2 status)"
	[[ $(held_count 2 "$DST") == 0 ]]
}

@test "handover: release for the source pid prints the state; the target adopts it at that lver" {
	migrate_setup
	lver=$(sl 1 status | awk -v p="$SRC" '$1 == "r" && $NF == p && $2 !~ /:SH$/ { n = split($2, a, ":"); print a[n] }')
	start=$(now)
	run -0 --separate-stderr on 1 handover --pid "$SRC"
	echo "# handover took $(elapsed "$start") s" >&3
	state=$output
	[[ $state =~ ^vmlock:[0-9a-f]{32}:$SL/leases/[0-9a-f]{32}:0:$lver\ vmlock:[0-9a-f]{32}:$SL/leases/[0-9a-f]{32}:0:SH$ ]] ||
		fail "state: $state"
	[[ $stderr == *"$(canon "$img"): released for the handover (lver $lver)"* ]] || fail "$stderr"
	[[ $(held_count 1 "$SRC") == 0 ]]
	alive "$SRC"
	echo "$state" >state
	start=$(now)
	run -0 --separate-stderr on 2 handover --adopt state --pid "$DST"
	echo "# adopt took $(elapsed "$start") s" >&3
	[[ $stderr == *"$(canon "$img"): adopted by pid $DST"* ]] || fail "$stderr"
	[[ $(held_count 2 "$DST") == 2 ]]
	sl 2 status | grep -q "^r .*:$((lver + 1)) p $DST\$"
	run -75 on 1 run --lock "$img" -- true
	run -0 on 2 inquire --json "$img"
	assert_output --partial "\"pid\": $DST"
}

adopt_from_stdin() {	# FILE: the state on stdin ("--adopt -")
	on 2 handover --adopt - --pid "$DST" <"$1"
}

@test "handover: a state gone stale (the lease changed hands in between) is refused" {
	migrate_setup
	run -0 --separate-stderr on 1 handover --pid "$SRC"
	state=$output
	# a third party takes the disk on host 1 and goes away again
	run -0 on 1 run --lock "$img" -- true
	echo "$state" >state
	run -75 --separate-stderr adopt_from_stdin state
	[[ $stderr == *"$(canon "$img"): refused: the lease changed hands since the handover state was taken"* ]] ||
		fail "$stderr"
	[[ $(held_count 2 "$DST") == 0 ]]
	# all or nothing: the shared lease of the same state was not kept
	run -0 on 1 run --lock "$pool" -- true
}

@test "handover errors: unregistered pid (66), not a state (65), driver without adopt (64)" {
	run -66 --separate-stderr on 1 handover --pid 1
	[[ $stderr == *"not registered with the sanlock daemon"* ]] || fail "$stderr"
	echo 'vmlock:0123:/nonexistent:0:1' >state
	run -66 --separate-stderr on 2 handover --adopt state --pid 1
	[[ $stderr == *"pid 1 is not registered with the sanlock daemon"* ]] || fail "$stderr"
	echo 'garbage' >bad
	run -65 on 2 handover --adopt bad --pid 1
	run -64 "$VMLOCK" handover --driver fcntl --adopt state --pid 1
}

# --- errors --------------------------------------------------------------------

@test "no daemon: 71 saying so; no host_id and not joined: 78" {
	img=$(mkimg disk.img)
	run -71 --separate-stderr env SANLOCK_RUN_DIR="$BATS_TEST_TMPDIR/none" \
		"$VMLOCK" run --driver sanlock --config "$SL/h1.conf" --lock "$img" -- true
	[[ $stderr == *"the sanlock daemon is not running"* ]] || fail "$stderr"
	printf 'sanlock.directory = %s\nsanlock.lockspace = other\n' "$SL/leases" >noid.conf
	run -78 --separate-stderr env SANLOCK_RUN_DIR="$SL/run1" \
		"$VMLOCK" run --driver sanlock --config noid.conf --lock "$img" -- true
	[[ $stderr == *"sanlock.host_id is not set"* ]] || fail "$stderr"
	run -66 on 1 run --lock "$BATS_TEST_TMPDIR/missing.img" -- true
}

@test "owner host dead but not timed out: 75 saying so (host 3's daemon killed while it holds)" {
	why=$(start_daemon 3) || skip "$why"
	img=$(mkimg disk.img)
	run -0 on 3 sanlock-join
	hold 3 1 --lock "$img"
	kill -KILL "$(cat "$SL/daemon3.pid")"
	kill_wait "$HOLDER_PID"
	start=$(now)
	msg=
	while float_between "$(elapsed "$start")" 0 20 2>/dev/null; do
		run -75 --separate-stderr on 1 run --lock "$img" -- true
		msg=$stderr
		[[ $msg == *"that host is dead, but its lease has not timed out yet"* ]] && break
		sleep 1
	done
	echo "# owner seen dead after $(elapsed "$start") s" >&3
	[[ $msg == *"held exclusive by sanlock host_id 3 (another host) (that host is dead, but its lease has not timed out yet"* ]] ||
		fail "$msg"
}
