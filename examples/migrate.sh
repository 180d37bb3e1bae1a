#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# A live migration under vmlock, on one host, step by step: the guest's disk
# stays locked against everybody else from the source's start to the
# target's end, across the moment both QEMUs have it open.
#
# Usage: examples/migrate.sh [VMLOCK [IMAGE]]
#   VMLOCK  the vmlock binary (default: vmlock in PATH)
#   IMAGE   a disk image nobody uses (default: a new 64 MB qcow2 in a
#           temporary directory)
# Needs qemu-system-x86_64, qemu-img and python3. Exits 0 on success.
#
# Between two hosts the sequence is the same: the source side runs
# `vmlock handover`, the target side `vmlock run --incoming`, and the
# migration URI is tcp:HOST:PORT instead of a unix socket.
set -eu

vmlock=${1:-vmlock}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/vmlock-migrate.XXXXXX")
src_pid='' dst_pid='' ho_pid=''

cleanup() {
	# only the processes started here
	for pid in $ho_pid $dst_pid $src_pid; do
		kill "$pid" 2>/dev/null || :
	done
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
die() { printf 'migrate.sh: %s\n' "$*" >&2; exit 1; }

# QMP, through examples/qmp beside this script:
# `qmp SOCKET COMMAND [JSON-ARGUMENTS]` prints the command's return;
# `qmp SOCKET migrate-wait [TIMEOUT]` polls query-migrate until the end.
qmp() { python3 "$here/qmp" "$@"; }

# The guest's disk.
if [[ -n ${2-} ]]; then
	img=$(realpath -e -- "$2")
	fmt=$(qemu-img info -U --output=json "$img" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')
else
	img=$dir/guest.qcow2
	fmt=qcow2
	step "create a disk image"
	show "qemu-img create -f qcow2 $img 64M"
	qemu-img create -q -f qcow2 "$img" 64M
fi

# guest NAME [ARGS...]: sets qemu to the guest's command line, as both
# QEMUs run it; only -name, -qmp and -incoming differ.
guest() {
	local name=$1
	shift
	qemu=(qemu-system-x86_64 -M pc -m 64 -nodefaults -no-user-config
		-display none -accel tcg -name "$name"
		-qmp "unix:$dir/$name.qmp,server=on,wait=off"
		-drive "file=${img//,/,,},if=virtio,format=$fmt" "$@")
}

# vmlock reads -drive itself; an older build without the QEMU reader needs
# the image named with --lock.
lock=()
guest probe
if ! "$vmlock" run --dry-run -- "${qemu[@]}" 2>/dev/null |
	grep -qxF "exclusive"$'\t'"$img"; then
	lock=(--lock "$img")
	echo "(this vmlock does not read -drive: adding ${lock[*]})"
fi

# A third party: anybody else who would like the disk. Must be refused
# (exit 75, busy) for as long as the guest exists.
third_party() {
	local rc=0 out
	show "$vmlock run --lock $img:readonly -- true"
	out=$("$vmlock" run --lock "$img:readonly" -- true 2>&1) || rc=$?
	[[ -z $out ]] || printf '  %s\n' "$out"
	echo "  exit status $rc"
	[[ $rc == 75 ]] || die "a third party got the disk (exit $rc)"
}

# until TEXT-ON-FAILURE CMD...: polls CMD (up to 10 s).
until_ok() {
	local what=$1 i
	shift
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	die "timed out waiting: $what"
}
inquire_has() { "$vmlock" inquire --json "$img" | grep -q "\"role\": \"$1\""; }

step "1. start the source QEMU under vmlock"
guest src
show "$vmlock run ${lock[*]} -- ${qemu[*]} &"
"$vmlock" run "${lock[@]}" -- "${qemu[@]}" &
src_pid=$!
qmp "$dir/src.qmp" query-status >/dev/null
echo "source QEMU: pid $src_pid (vmlock exec'd it: same pid)"
show "$vmlock inquire $img"
"$vmlock" inquire "$img"
third_party

step "2. source side: offer the disk to a migration target"
show "$vmlock handover --pid $src_pid --timeout 60 &"
"$vmlock" handover --pid "$src_pid" --timeout 60 &
ho_pid=$!
until_ok "the handover's offer" inquire_has offer
show "$vmlock inquire $img"
"$vmlock" inquire "$img"

step "3. target side: start the target QEMU with run --incoming"
guest dst -incoming "unix:$dir/mig.sock"
show "$vmlock run --incoming ${lock[*]} -- ${qemu[*]} &"
"$vmlock" run --incoming "${lock[@]}" -- "${qemu[@]}" &
dst_pid=$!

step "4. wait for the handover: it exits 0 once the target holds the disk"
show "wait $ho_pid    # vmlock handover"
rc=0
wait "$ho_pid" || rc=$?
ho_pid=
[[ $rc == 0 ]] || die "vmlock handover exited $rc"
echo "handover: exit status 0"
qmp "$dir/dst.qmp" query-status
show "$vmlock inquire $img"
"$vmlock" inquire "$img"
third_party

step "5. migrate (QMP on the source), wait until completed"
show "qmp src migrate {\"uri\": \"unix:$dir/mig.sock\"}"
qmp "$dir/src.qmp" migrate "{\"uri\": \"unix:$dir/mig.sock\"}" >/dev/null
show "qmp src migrate-wait"
result=$(qmp "$dir/src.qmp" migrate-wait 60) || die "migration failed: $result"
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("status %s, downtime %s ms, total %s ms" % (r["status"], r.get("downtime"), r.get("total-time")))' "$result"
third_party

step "6. stop the source QEMU: its locks go with it, the target's stay"
show "qmp src quit"
qmp "$dir/src.qmp" quit >/dev/null
wait "$src_pid" || :
src_pid=
show "$vmlock inquire $img"
"$vmlock" inquire "$img"
third_party

step "7. target side: settle its locks, now that the source is gone"
# The target holds the disk through a handover slot; sync turns it into
# the ordinary exclusive lock, byte 0 included, which libvirt's virtlockd
# respects (and a next migration hands over like any other).
show "$vmlock sync --pid $dst_pid"
"$vmlock" sync --pid "$dst_pid"
show "$vmlock inquire $img"
"$vmlock" inquire "$img"
inquire_has holder || die "the target is no holder after sync"
third_party

step "8. resume the guest on the target"
show "qmp dst cont"
qmp "$dir/dst.qmp" cont >/dev/null
qmp "$dir/dst.qmp" query-status
third_party

step "9. done: stop the target; the disk is free again"
show "qmp dst quit"
qmp "$dir/dst.qmp" quit >/dev/null
wait "$dst_pid" || :
dst_pid=
show "$vmlock inquire $img"
"$vmlock" inquire "$img"
echo
echo "migration under vmlock: OK"
