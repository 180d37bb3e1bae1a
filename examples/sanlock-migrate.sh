#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Live migration under the sanlock driver, the handover step by step.
#
# On real hosts the two sides run on two machines that share the lease
# directory (sanlock.directory in /etc/vmlock.conf, a different
# sanlock.host_id on each), and the state file travels by ssh. Here one
# machine plays both hosts: two sanlock daemons (no watchdog, temporary run
# directories), host_id 1 and 2, io_timeout 1. Run as root.
#
# Usage: examples/sanlock-migrate.sh [PATH-TO-VMLOCK]
# (from the build tree: VMLOCK_DRIVER_DIR=src/drivers/.libs
#  examples/sanlock-migrate.sh src/vmlock)
set -u
vmlock=${1:-vmlock}
dir=$(mktemp -d /tmp/sanlock-migrate.XXXXXX)
src= dst= daemons=
export SANLOCK_PRIVILEGED=0
cleanup() {
	[ -n "$src" ] && kill "$src" 2>/dev/null
	[ -n "$dst" ] && kill "$dst" 2>/dev/null
	wait $src $dst 2>/dev/null
	for h in 1 2; do
		SANLOCK_RUN_DIR=$dir/run$h sanlock client shutdown -f 1 >/dev/null 2>&1
	done
	sleep 1
	for p in $daemons; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
say() { printf '\n\033[1m[%s] $ %s\033[0m\n' "$1" "$2"; }
# on HOST CMD...: a vmlock command on host HOST
on() {
	h=$1
	shift
	SANLOCK_RUN_DIR=$dir/run$h "$vmlock" "$@"
}
# qmp SOCKET COMMAND [JSON-ARGUMENTS]: one QMP command, its return printed
# (examples/qmp, beside this script)
qmp_tool=$(dirname "$0")/qmp
qmp() {
	python3 "$qmp_tool" "$@"
}

mkdir "$dir/leases"
for h in 1 2; do
	mkdir "$dir/run$h"
	cat >"$dir/host$h.conf" <<EOF
driver = sanlock
sanlock.directory = $dir/leases
sanlock.host_id = $h
sanlock.io_timeout = 1
EOF
	SANLOCK_RUN_DIR=$dir/run$h sanlock daemon -D -w 0 -l 0 -h 0 -e "host$h" \
		-U root -G root >"$dir/daemon$h.log" 2>&1 &
	daemons="$daemons $!"
done
sleep 1
qemu-img create -q -f qcow2 "$dir/vm.qcow2" 64M
guest="qemu-system-x86_64 -M pc -nodefaults -display none -name migrating-vm
	-drive file=$dir/vm.qcow2,if=virtio,format=qcow2"

say 1 "vmlock sanlock-join      # once per host, at boot"
on 1 sanlock-join --config "$dir/host1.conf"
on 2 sanlock-join --config "$dir/host2.conf"

say 1 "vmlock run -- $guest &"
SANLOCK_RUN_DIR=$dir/run1 "$vmlock" run --config "$dir/host1.conf" -- $guest \
	-qmp "unix:$dir/src.qmp,server=on,wait=off" &
src=$!
sleep 1

say 2 "vmlock run --incoming -- $guest -incoming ... &   # registers, takes nothing"
SANLOCK_RUN_DIR=$dir/run2 "$vmlock" run --config "$dir/host2.conf" --incoming -- $guest -S \
	-qmp "unix:$dir/dst.qmp,server=on,wait=off" \
	-incoming "unix:$dir/migration.sock" &
dst=$!
sleep 1
say 2 "vmlock run -- $guest    # a third launcher meanwhile: refused"
on 2 run --config "$dir/host2.conf" -- $guest
echo "exit status $? (75: busy)"

say 1 "migrate (QMP), wait until completed"
qmp "$dir/src.qmp" migrate "{\"uri\": \"unix:$dir/migration.sock\"}"
qmp "$dir/src.qmp" migrate-wait 10 >/dev/null || echo "the migration did not complete"

say 1 "vmlock handover --pid $src > state     # release for the source, print the state"
on 1 handover --config "$dir/host1.conf" --pid "$src" >"$dir/state"
cat "$dir/state"

say 2 "vmlock handover --adopt state --pid $dst     # acquire for the target at those versions"
if on 2 handover --config "$dir/host2.conf" --adopt "$dir/state" --pid "$dst"; then
	qmp "$dir/dst.qmp" cont >/dev/null
	echo "target resumed"
else
	echo "adopt refused: the target stays paused; the source takes its leases back:"
	on 1 handover --config "$dir/host1.conf" --adopt "$dir/state" --pid "$src"
fi

say 1 "vmlock handover --adopt state --pid $src    # the same state again: stale, refused"
on 1 handover --config "$dir/host1.conf" --adopt "$dir/state" --pid "$src"
echo "exit status $? (75: the lease changed hands)"
kill "$src"
wait "$src"
src=

say 2 "vmlock inquire $dir/vm.qcow2"
on 2 inquire --config "$dir/host2.conf" "$dir/vm.qcow2"
