#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# vmlock beside libvirt (vmlock(1), LIBVIRT): real libvirtd and virtlockd,
# started here with their own configuration, sockets and state under
# $BATS_TEST_TMPDIR (a session daemon, qemu:///session, as user nobody
# when run as root), lock_manager = "lockd" in its direct mode (virtlockd
# locks byte 0 of each disk). Mutual exclusion both ways for read-write,
# <readonly/> and <shareable/> disks, a paused guest (virtlockd lets go
# of byte 0, QEMU's own locks stay) and a migrated vmlock guest after
# vmlock sync. Skipped, saying why, where libvirt cannot start.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	command -v libvirtd >/dev/null || skip "libvirtd not installed (libvirt-daemon)"
	command -v virtlockd >/dev/null || skip "virtlockd not installed (libvirt-daemon)"
	command -v virsh >/dev/null || skip "virsh not installed (libvirt-clients)"
	command -v "$QEMU" >/dev/null || skip "$QEMU not installed"
	# each test starts two daemons and probes QEMU: the plain build runs
	# this suite, the sanitizer build (the same code) leaves it out
	[[ -z ${VMLOCK_SANITIZED-} ]] ||
		skip "libvirt's daemons are slow to start; run in the plain build only"
	((${#BATS_TEST_TMPDIR} < 60)) ||
		fail "BATS_TEST_TMPDIR is too long for libvirt's sockets: $BATS_TEST_TMPDIR"
	LV_AS=()
	if [[ $(id -u) == 0 ]]; then
		# as root libvirtd would be the system daemon, with /etc and /run
		LV_AS=("${NOBODY[@]}")
		open_tmpdir_to_others
	fi
	lv_start
}

teardown() {
	local dom
	for dom in ${LV_DOMAINS-}; do
		lv_virsh destroy "$dom" >/dev/null 2>&1 || true
	done
	vl_teardown
}

# The daemons --------------------------------------------------------------

# an array, not a function, so that start_bg's pid is the daemon's own
# (a function would run in a subshell and the daemon outlive the test)
lv_env() {
	"${LV_ENV[@]}" "$@"
}

lv_virsh() {
	lv_env timeout 60 virsh -q -c qemu:///session "$@"
}

lv_start() {
	LV=$BATS_TEST_TMPDIR/lv
	LV_DOMAINS=
	LV_ENV=("${LV_AS[@]}" env -i PATH="$PATH" HOME="$LV" XDG_CONFIG_HOME="$LV/cfg"
		XDG_RUNTIME_DIR="$LV/run" XDG_CACHE_HOME="$LV/cache" XDG_DATA_HOME="$LV/data")
	mkdir -p "$LV"/{cfg/libvirt,run,cache,data}
	cat >"$LV/cfg/libvirt/libvirtd.conf" <<-EOF
	log_outputs = "3:file:$LV/libvirtd.log"
	EOF
	cat >"$LV/cfg/libvirt/virtlockd.conf" <<-EOF
	log_outputs = "3:file:$LV/virtlockd.log"
	EOF
	echo 'lock_manager = "lockd"' >"$LV/cfg/libvirt/qemu.conf"
	printf 'auto_disk_leases = 1\nrequire_lease_for_disks = 0\n' \
		>"$LV/cfg/libvirt/qemu-lockd.conf"
	((${#LV_AS[@]} == 0)) || chown -R nobody:nogroup "$LV"
	start_bg "${LV_ENV[@]}" virtlockd -f "$LV/cfg/libvirt/virtlockd.conf"
	wait_until "$VL_PATIENCE" test -S "$LV/run/libvirt/virtlockd-sock" ||
		skip "virtlockd did not start: $(cat "$BATS_TEST_TMPDIR/holder.$BG_PID.err")"
	start_bg "${LV_ENV[@]}" libvirtd -f "$LV/cfg/libvirt/libvirtd.conf"
	LIBVIRTD=$BG_PID
	wait_until "$VL_PATIENCE" test -S "$LV/run/libvirt/libvirt-sock" ||
		skip "libvirtd did not start: $(cat "$BATS_TEST_TMPDIR/holder.$LIBVIRTD.err")"
	lv_virsh version >/dev/null 2>&1 ||
		skip "libvirtd does not answer: $(lv_virsh version 2>&1)"
}

# Guests ---------------------------------------------------------------------

# lv_image NAME [FORMAT]: a disk image the daemons' user may use.
lv_image() {
	local p=$BATS_TEST_TMPDIR/$1
	qemu-img create -q -f "${2:-qcow2}" "$p" 16M || return 1
	((${#LV_AS[@]} == 0)) || chown nobody:nogroup "$p"
	canon "$p"
}

# lv_create NAME DISK [readonly|shareable]: `virsh create` of a transient
# guest with one virtio disk (raw when shareable); sets LV_PID.
lv_create() {
	local name=$1 disk=$2 how=${3-} fmt=qcow2 extra=
	[[ $how == shareable ]] && fmt=raw
	[[ -n $how ]] && extra="<$how/>"
	cat >"$BATS_TEST_TMPDIR/$name.xml" <<-EOF
	<domain type='qemu'>
	  <name>$name</name>
	  <memory unit='MiB'>32</memory>
	  <os><type arch='x86_64' machine='pc'>hvm</type></os>
	  <devices>
	    <emulator>$(command -v "$QEMU")</emulator>
	    <disk type='file' device='disk'>
	      <driver name='qemu' type='$fmt'/>
	      <source file='$disk'/>
	      <target dev='vda' bus='virtio'/>
	      $extra
	    </disk>
	  </devices>
	</domain>
	EOF
	chmod a+r "$BATS_TEST_TMPDIR/$name.xml"
	lv_virsh create "$BATS_TEST_TMPDIR/$name.xml" || return 1
	LV_DOMAINS+=" $name"
	LV_PID=$(cat "$LV/run/libvirt/qemu/run/$name.pid") || return 1
	track_pid "$LV_PID"
}

# lv_refused WHY NAME DISK [readonly|shareable]: libvirt cannot start it,
# for a reason its error names (virtlockd's, or QEMU's own lock).
lv_refused() {
	local why=$1
	shift
	run lv_create "$@"
	[[ $status != 0 ]] || fail "libvirt started guest $1 on $2"
	assert_output --partial "$why"
	run lv_virsh domstate "$1"
	[[ $output != running* ]] || fail "guest $1 runs"
}

# holders IMG: "ROLE PID MODE" for each holder inquire shows.
holders() {
	"$VMLOCK" inquire --json "$1" | "$PY" -c '
import json, sys
for r in json.load(sys.stdin)["resources"]:
    for h in r["holders"]:
        print(h["role"], h["pid"], h["mode"])' | sort
}

# byte0 IMG: "free", "read" or "write": the lock on byte 0 (virtlockd's).
byte0() {
	"$PY" -c '
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
out = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("@hhqqi4x", fcntl.F_WRLCK, 0, 0, 1, 0))
t = struct.unpack("@hhqqi4x", out)[0]
print({fcntl.F_UNLCK: "free", fcntl.F_RDLCK: "read", fcntl.F_WRLCK: "write"}[t])' "$1"
}

# Tests ----------------------------------------------------------------------

@test "read-write disk: a libvirt guest keeps vmlock out, a vmlock holder keeps the guest from starting" {
	disk=$(lv_image rw.qcow2)
	lv_create web "$disk" || fail "libvirt cannot start a guest: $(cat "$LV/libvirtd.log" | tail -5)"
	wait_until "$VL_PATIENCE" eval '[[ $(byte0 "$disk") == write ]]' ||
		fail "virtlockd holds no write lock on byte 0"
	for mode in exclusive shared readonly; do
		run -75 "$VMLOCK" run --lock "$disk:$mode" -- true
	done
	assert_output --partial "a lock manager outside vmlock"
	run -0 holders "$disk"
	assert_line --regexp "^foreign [0-9]+ exclusive$"
	assert_line "qemu $LV_PID exclusive"
	lv_virsh destroy web
	start_holder "$disk"
	lv_refused "Lockspace resource '$disk' is locked" web2 "$disk"
}

@test "<readonly/> disk: vmlock readonly joins the guest, writers are refused; a writing vmlock guest keeps it from starting" {
	disk=$(lv_image ro.qcow2)
	lv_create reader "$disk" readonly || fail "libvirt cannot start a guest"
	[[ $(byte0 "$disk") == free ]] || fail "virtlockd locks a readonly disk"
	run -0 "$VMLOCK" run --lock "$disk:readonly" -- true
	run -75 "$VMLOCK" run --lock "$disk:shared" -- true
	run -75 "$VMLOCK" run --lock "$disk" -- true
	assert_output --partial "held readonly by pid $LV_PID ($(basename "$QEMU"), VM \"reader\", QEMU's own image lock)"
	lv_virsh destroy reader
	start_qemu_vmlock "$disk"
	lv_refused 'Failed to get shared "write" lock' reader2 "$disk" readonly
	kill_wait "$QEMU_PID"
	lv_create reader3 "$disk" readonly || fail "the guest cannot start once vmlock's is gone"
}

@test "<shareable/> disk: vmlock shared joins, exclusive and readonly are refused; an exclusive vmlock holder keeps the guest from starting, a shared one does not" {
	disk=$(lv_image sh.raw raw)
	lv_create share "$disk" shareable || fail "libvirt cannot start a guest"
	wait_until "$VL_PATIENCE" eval '[[ $(byte0 "$disk") == read ]]' ||
		fail "virtlockd holds no read lock on byte 0"
	run -0 "$VMLOCK" run --lock "$disk:shared" -- true
	run -75 "$VMLOCK" run --lock "$disk" -- true
	run -75 "$VMLOCK" run --lock "$disk:readonly" -- true
	lv_virsh destroy share
	start_holder "$disk"
	lv_refused "Lockspace resource '$disk' is locked" share2 "$disk" shareable
	kill_wait "$HOLDER_PID"
	start_holder "$disk:shared"
	lv_create share3 "$disk" shareable || fail "a shareable guest cannot start beside a shared vmlock holder"
}

@test "a paused libvirt guest: virtlockd lets byte 0 go, QEMU's own lock still keeps vmlock out; audit sees it unlocked" {
	disk=$(lv_image p.qcow2)
	lv_create paused "$disk" || fail "libvirt cannot start a guest"
	lv_virsh suspend paused
	wait_until "$VL_PATIENCE" eval '[[ $(byte0 "$disk") == free ]]' ||
		fail "virtlockd still holds byte 0 of a paused guest"
	run -75 "$VMLOCK" run --lock "$disk:readonly" -- true
	assert_output "vmlock: $disk: busy: wanted readonly, held exclusive by pid $LV_PID ($(basename "$QEMU"), VM \"paused\", QEMU's own image lock)"
	run -0 holders "$disk"
	assert_output "qemu $LV_PID exclusive"
	run -1 "$VMLOCK" audit --json --pid "$LV_PID"
	assert_output --partial "\"path\": \"$disk\", \"qemu\": \"read-write\", \"lock\": null, \"finding\": \"unlocked\""
	lv_virsh resume paused
	wait_until "$VL_PATIENCE" eval '[[ $(byte0 "$disk") == write ]]' ||
		fail "virtlockd did not take byte 0 again on resume"
}

@test "a migrated vmlock guest after vmlock sync holds byte 0: virtlockd keeps libvirt off its disk again" {
	disk=$(lv_image mig.qcow2)
	# without QEMU's own locks, so that only byte 0 stands in libvirt's way
	guest() {
		GUEST=("$QEMU" -M pc -m 32 -nodefaults -no-user-config -display none
			-accel tcg -name "$1" -qmp "unix:$BATS_TEST_TMPDIR/$1.sock,server=on,wait=off"
			-drive "file=$disk,if=virtio,format=qcow2,file.locking=off" "${@:2}")
	}
	guest src
	start_bg "$VMLOCK" run -- "${GUEST[@]}"
	src=$BG_PID
	QMP_SOCK=$BATS_TEST_TMPDIR/src.sock QEMU_PID=$src wait_qmp
	start_bg "$VMLOCK" handover --pid "$src" --timeout 30
	ho=$BG_PID
	wait_until "$VL_PATIENCE" eval '"$VMLOCK" inquire --json "$disk" | grep -q "\"role\": \"offer\""' ||
		fail "no offer"
	guest dst -incoming "unix:$BATS_TEST_TMPDIR/mig.sock"
	start_bg "$VMLOCK" run --incoming -- "${GUEST[@]}"
	dst=$BG_PID
	wait "$ho" || fail "handover failed: $(cat "$BATS_TEST_TMPDIR/holder.$ho.err")"
	QMP_SOCK=$BATS_TEST_TMPDIR/dst.sock QEMU_PID=$dst wait_qmp
	QMP_SOCK=$BATS_TEST_TMPDIR/src.sock
	qmp "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"unix:$BATS_TEST_TMPDIR/mig.sock\"}}" >/dev/null
	run -0 "$PY" "$QMP_TOOL" "$QMP_SOCK" migrate-wait 60
	qmp '{"execute": "quit"}' >/dev/null
	wait_until "$VL_PATIENCE" eval '! alive "$src"' || fail "the source did not quit"
	[[ $(byte0 "$disk") == free ]] || fail "byte 0 is held before sync"
	# what sync is for: through the handover slot alone, libvirt gets in
	lv_create before "$disk" || fail "libvirt refused before sync: $output"
	lv_virsh destroy before

	run -0 "$VMLOCK" sync --pid "$dst"
	assert_output --regexp "handover slot [01] settled"
	run -0 holders "$disk"
	assert_output "holder $dst exclusive"
	[[ $(byte0 "$disk") == write ]] || fail "the target holds no write lock on byte 0"
	lv_refused "Lockspace resource '$disk' is locked" after "$disk"
}
