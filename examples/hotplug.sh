#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Block hot-plug under vmlock, step by step: a running guest gets a new
# disk, an external snapshot, a commit and a mirror, each sent through
# `vmlock qmp`, which locks the files a command will open before QEMU sees
# it and lets go of the ones QEMU closed after. `vmlock inquire` after each
# step shows who holds what.
#
# Usage: examples/hotplug.sh [VMLOCK]
#   VMLOCK  the vmlock binary (default: vmlock in PATH)
# Needs qemu-system-x86_64, qemu-img and python3. Works in a temporary
# directory it removes, and stops its QEMU on exit. Exits 0 on success.
set -eu

vmlock=${1:-vmlock}
# a path given relative to here still names it once the script is elsewhere
[[ $vmlock != */* ]] || vmlock=$(cd "$(dirname "$vmlock")" && pwd)/${vmlock##*/}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/vmlock-hotplug.XXXXXX")
qemu_pid=''

cleanup() {
	# only the QEMU started here
	[[ -z $qemu_pid ]] || kill "$qemu_pid" 2>/dev/null || :
	wait 2>/dev/null || :
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -t 1 ]]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi
show() { printf '$ %s\n' "$*"; }
die() { printf 'hotplug.sh: %s\n' "$*" >&2; exit 1; }

sock=$dir/guest.qmp
# vq JSON: `vmlock qmp` on the guest, shown and run; prints QEMU's reply.
vq() {
	show "$vmlock qmp --qmp guest.qmp '$1'"
	"$vmlock" qmp -v --qmp "$sock" "$1" || die "vmlock qmp exited $?"
}
# the file names of every image here, for inquire
inquire() {
	show "$vmlock inquire ${*##*/}"
	"$vmlock" inquire "$@"
}
# jobs_wait ID STATUS: polls query-jobs (up to 20 s)
jobs_wait() {
	local i
	for ((i = 0; i < 400; i++)); do
		python3 "$here/qmp" "$sock" query-jobs |
			python3 -c 'import json, sys; sys.exit(not any(j["id"] == sys.argv[1] and j["status"] == sys.argv[2] for j in json.load(sys.stdin)))' "$1" "$2" &&
			return 0
		sleep 0.05
	done
	die "job $1 did not get $2"
}
# refused FILE: a third party's exclusive lock on FILE is refused
refused() {
	local rc=0 out
	show "$vmlock run --lock ${1##*/} -- true"
	out=$("$vmlock" run --lock "$1" -- true 2>&1) || rc=$?
	[[ -z $out ]] || printf '  %s\n' "$out"
	echo "  exit status $rc"
	[[ $rc == 75 ]] || die "a third party got ${1##*/} (exit $rc)"
}

cd "$dir"
disk=$dir/disk.qcow2 snap=$dir/snap.qcow2 copy=$dir/copy.qcow2

step "1. start a guest under vmlock (a SCSI controller, no disks yet)"
qemu=(qemu-system-x86_64 -M pc -m 64 -nodefaults -no-user-config -display none
	-accel tcg -name hotplug -qmp "unix:$sock,server=on,wait=off"
	-device virtio-scsi-pci,id=scsi0)
show "$vmlock run -- ${qemu[*]} &"
"$vmlock" run -- "${qemu[@]}" 2>"$dir/qemu.log" &
qemu_pid=$!
python3 "$here/qmp" "$sock" query-status ||
	die "the guest did not start: $(cat "$dir/qemu.log")"
echo "guest QEMU: pid $qemu_pid"

step "2. hot-plug a disk (blockdev-add, device_add): locked exclusive, the lock handed to QEMU"
show "qemu-img create -f qcow2 disk.qcow2 64M"
qemu-img create -q -f qcow2 "$disk" 64M
vq '{"execute": "blockdev-add", "arguments": {"driver": "qcow2", "node-name": "disk", "file": {"driver": "file", "filename": "'"$disk"'"}}}'
vq '{"execute": "device_add", "arguments": {"driver": "scsi-hd", "drive": "disk", "id": "sda", "bus": "scsi0.0"}}'
inquire "$disk"
refused "$disk"

step "3. external snapshot: vmlock creates snap.qcow2 locked; disk.qcow2 is then only read"
vq '{"execute": "blockdev-snapshot-sync", "arguments": {"node-name": "disk", "snapshot-file": "'"$snap"'", "snapshot-node-name": "snap", "format": "qcow2"}}'
inquire "$disk" "$snap"
show "$vmlock run --lock disk.qcow2:readonly -- true    # readers may share the old top"
"$vmlock" run --lock "$disk:readonly" -- true && echo "  exit status 0"
refused "$snap"

step "4. commit snap.qcow2 back into disk.qcow2: both exclusive before the job starts"
vq '{"execute": "block-commit", "arguments": {"device": "snap", "job-id": "commit", "auto-dismiss": false}}'
inquire "$disk" "$snap"
jobs_wait commit ready
vq '{"execute": "job-complete", "arguments": {"id": "commit"}}'
jobs_wait commit concluded
vq '{"execute": "job-dismiss", "arguments": {"id": "commit"}}'
inquire "$disk" "$snap"

step "5. mirror disk.qcow2 to copy.qcow2 (vmlock creates it locked), then switch over"
vq '{"execute": "drive-mirror", "arguments": {"device": "disk", "job-id": "mirror", "target": "'"$copy"'", "format": "qcow2", "sync": "full", "auto-dismiss": false}}'
inquire "$disk" "$copy"
jobs_wait mirror ready
vq '{"execute": "block-job-complete", "arguments": {"device": "mirror"}}'
jobs_wait mirror concluded
vq '{"execute": "job-dismiss", "arguments": {"id": "mirror"}}'
refused "$copy"
echo "(the guest writes copy.qcow2 now; the node \"disk\" that blockdev-add made stays open until deleted)"
vq '{"execute": "blockdev-del", "arguments": {"node-name": "disk"}}'
inquire "$disk" "$copy"

step "6. done: stop the guest; every lock goes with it"
python3 "$here/qmp" "$sock" quit >/dev/null
wait "$qemu_pid" || :
qemu_pid=
inquire "$disk" "$snap" "$copy"
echo
echo "hot-plug under vmlock: OK"
