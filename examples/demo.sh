#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# The main job in one go: a real QEMU under vmlock, a second launch on the
# same image refused, and vmlock inquire naming the holder.
# Usage: examples/demo.sh [PATH-TO-VMLOCK]
set -u
vmlock=$(command -v "${1:-vmlock}") || { echo "no vmlock: ${1:-vmlock}" >&2; exit 127; }
case $vmlock in /*) ;; *) vmlock=$PWD/$vmlock ;; esac
dir=$(mktemp -d)
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

qemu-img create -q -f qcow2 "$dir/base.qcow2" 64M
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$dir/vm.qcow2"
cd "$dir" || exit 1
guest="qemu-system-x86_64 -M none -nodefaults -display none -name demo-vm
	-drive file=vm.qcow2,if=none,id=disk0"

say "vmlock run --dry-run -- $guest"
"$vmlock" run --dry-run -- $guest

say "vmlock run -- $guest &"
"$vmlock" run -- $guest &
qemu_pid=$!
for _ in $(seq 200); do	# until QEMU holds its lock
	"$vmlock" inquire --json vm.qcow2 | grep -q '"pid"' && break
	kill -0 "$qemu_pid" 2>/dev/null || { echo "QEMU did not start" >&2; exit 1; }
	sleep 0.05
done
echo "started: pid $qemu_pid"

say "vmlock run -- $guest    # the same guest a second time"
"$vmlock" run -- $guest
status=$?
echo "exit status $status (75: busy)"
[ "$status" = 75 ] || { echo "demo: the second launch was not refused" >&2; exit 1; }

say "vmlock inquire vm.qcow2 base.qcow2"
"$vmlock" inquire vm.qcow2 base.qcow2

say "vmlock inquire --json vm.qcow2"
"$vmlock" inquire --json vm.qcow2

say "kill $qemu_pid; vmlock inquire vm.qcow2"
kill "$qemu_pid"
wait "$qemu_pid" 2>/dev/null
qemu_pid=
"$vmlock" inquire vm.qcow2
