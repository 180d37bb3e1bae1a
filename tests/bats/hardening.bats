#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Attacks by another local user (vmlock(1), LOCKSPACE, HANDOVER, revoke,
# DRIVERS): lease files planted or removed in a shared lockspace, a fake
# handover offer, revoke and processes that took the lock later, inquire
# and FIFOs or devices, modules and configuration files of other users
# loaded as root. The users are throwaway uids with no passwd entry,
# made with setpriv, so only root can run these.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	[[ $(id -u) == 0 ]] ||
		skip "the attacks run as other users, which only root can be (running as $(id -un))"
	open_tmpdir_to_others
	cd "$BATS_TEST_TMPDIR" || return 1
	unset VMLOCK_CONFIG VMLOCK_DRIVER_DIR
	MODULES=${VMLOCK_MODULES:-$(dirname "$VMLOCK")/drivers/.libs}
	pick_users
	SPACE=$BATS_TEST_TMPDIR/space	# like /run/vmlock/lockspace
	mkdir "$SPACE"
	chmod 1777 "$SPACE"
	# A's disk, which M may read
	truncate -s 1M img
	chown "$UA" img
	chmod 644 img
	IMG=$BATS_TEST_TMPDIR/img
}

# Two uids (A, the rightful user, and M, the attacker) and a third (B) that
# no passwd entry names and no process runs as.
pick_users() {
	local u found=()
	for ((u = 42000 + RANDOM % 20000; ${#found[@]} < 3; u++)); do
		getent passwd "$u" >/dev/null || getent group "$u" >/dev/null ||
			[[ -n $(ps -o pid= -U "$u" 2>/dev/null) ]] || found+=("$u")
	done
	UA=${found[0]} UM=${found[1]} UB=${found[2]}
}

as() {	# as UID CMD...: runs CMD as that uid (and gid), no other group
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@"
}

as_bg() {	# as_bg UID CMD...: start_bg CMD as that uid; BG_PID is CMD's
	local u=$1
	shift
	start_bg setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@"
}

ls_run() {	# ls_run ARGS...: vmlock run through the test lockspace
	"$VMLOCK" run --lockspace "$SPACE" "$@"
}

# The hash naming the lease files of IMG (vmlock(1), LOCKSPACE).
lease_hash() {
	local scratch=$BATS_TEST_TMPDIR/scratch f
	mkdir -p "$scratch"
	"$VMLOCK" run --driver lockspace --lockspace "$scratch" --lock "$IMG" -- true
	f=$(basename "$scratch"/*)
	echo "${f%%.*}"
}

# plant NAME MODE: M writes a lease file of IMG, as vmlock would, as NAME.
plant() {
	as "$UM" sh -c 'printf "vmlock-lease 1\nfile:%s\n" "$1" > "$2" && chmod "$3" "$2"' \
		sh "$IMG" "$SPACE/$1" "$2"
}

# lease_held PID: PID holds a lock through a lease file of the lockspace.
lease_held() {
	local fd
	alive "$1" || return 1
	for fd in /proc/"$1"/fd/*; do
		[[ $(readlink "$fd") == "$SPACE"/* ]] &&
			grep -q '^lock:' "/proc/$1/fdinfo/${fd##*/}" && return 0
	done
	return 1
}

hold_lease() {	# hold_lease UID ARGS...: vmlock run ARGS -- sleep, as UID, held
	local u=$1
	shift
	as_bg "$u" "$VMLOCK" run --lockspace "$SPACE" "$@" -- sleep 300
	HOLDER=$BG_PID
	wait_until "$VL_PATIENCE" lease_held "$HOLDER" ||
		fail "uid $u does not hold: $(cat "$BATS_TEST_TMPDIR/holder.$HOLDER.err")"
}

# --- lockspace -------------------------------------------------------------

@test "lockspace: lease files M planted at A's names, then removed, let no second holder in" {
	hash=$(lease_hash)
	plant "$hash" 666
	plant "$hash.$UA" 666
	hold_lease "$UA" --driver lockspace --lock "$IMG"
	# the sticky bit lets M remove her own files, A's lock on none of them
	as "$UM" rm "$SPACE/$hash" "$SPACE/$hash.$UA"
	run -75 --separate-stderr as "$UA" "$VMLOCK" run --driver lockspace \
		--lockspace "$SPACE" --lock "$IMG" -- true
	[[ $stderr == *"busy: wanted exclusive, held exclusive by pid $HOLDER"* ]] ||
		fail "not refused by the holder: $stderr"
	# what A holds through is A's own, which M cannot remove
	run as "$UM" find "$SPACE" -user "$UA" -delete
	lease_held "$HOLDER" || fail "A's holder lost its lease"
	run -75 --separate-stderr as "$UA" "$VMLOCK" run --driver lockspace \
		--lockspace "$SPACE" --lock "$IMG" -- true
}

@test "lockspace: a lease file M made through vmlock and left keeps A out only while M holds it" {
	run -0 --separate-stderr as "$UM" "$VMLOCK" run --driver lockspace \
		--lockspace "$SPACE" --lock "$IMG:readonly" -- true
	[[ -n $(find "$SPACE" -user "$UM") ]] || fail "M made no lease file"
	run -0 --separate-stderr as "$UA" "$VMLOCK" run --driver lockspace \
		--lockspace "$SPACE" --lock "$IMG" -- true
	hold_lease "$UM" --driver lockspace --lock "$IMG:readonly"
	run -75 --separate-stderr as "$UA" "$VMLOCK" run --driver lockspace \
		--lockspace "$SPACE" --lock "$IMG" -- true
	[[ $stderr == *"wanted exclusive, held readonly by a process of this host not visible to you"* ]] ||
		fail "not refused by M's holder: $stderr"
	kill_wait "$HOLDER"
	run -0 --separate-stderr as "$UA" "$VMLOCK" run --driver lockspace \
		--lockspace "$SPACE" --lock "$IMG" -- true
}

@test "lockspace: M's unreadable files at A's names lock A out never; root's prune removes them" {
	hash=$(lease_hash)
	plant "$hash" 000
	plant "$hash.$UA" 000
	run -0 --separate-stderr as "$UA" "$VMLOCK" run --driver lockspace \
		--lockspace "$SPACE" --lock "$IMG" -- true
	# a named lease (the uuid: lease of -uuid goes the same way)
	run -0 --separate-stderr as "$UM" "$VMLOCK" run --lockspace "$SPACE" --lease vm -- true
	run -0 --separate-stderr as "$UA" "$VMLOCK" run --lockspace "$SPACE" --lease vm -- true
	run -0 "$VMLOCK" inquire --all --prune --lockspace "$SPACE"
	assert_output --partial "pruned stale lease file of file:$IMG"
	[[ -z $(find "$SPACE" -user "$UM") ]] || fail "M's files are left: $(ls -l "$SPACE")"
}

@test "lockspace: M's held lease of a name keeps A out as any holder would, and A's keeps M out" {
	hold_lease "$UM" --lease vm-42
	run -75 --separate-stderr as "$UA" "$VMLOCK" run --lockspace "$SPACE" --lease vm-42 -- true
	[[ $stderr == *"lease:vm-42: busy: wanted exclusive, held exclusive by a process of this host not visible to you"* ]] ||
		fail "$stderr"
	kill_wait "$HOLDER"
	hold_lease "$UA" --lease vm-42
	run -75 --separate-stderr as "$UM" "$VMLOCK" run --lockspace "$SPACE" --lease vm-42 -- true
}

@test "lockspace: one that others may write without the sticky bit is refused (78)" {
	chmod 0777 "$SPACE"
	run -78 --separate-stderr as "$UA" "$VMLOCK" run --lockspace "$SPACE" --lease vm -- true
	[[ $stderr == *"writable by others (mode 0777) without the sticky bit"* ]] || fail "$stderr"
	[[ -z $(ls -A "$SPACE") ]] || fail "a file was made: $(ls -A "$SPACE")"
}

# --- handover --------------------------------------------------------------

# fake_offer UID r|w: as UID, read (r) or write (w) locks on the offer byte
# of slot 0 and on the guard of IMG, held until killed.
fake_offer() {
	local ready=$SPACE/offer.ready	# where any user may write
	as_bg "$1" "$PY" -c '
import fcntl, os, struct, sys, time
write = sys.argv[2] == "w"
fd = os.open(sys.argv[1], os.O_RDWR if write else os.O_RDONLY)
kind = fcntl.F_WRLCK if write else fcntl.F_RDLCK
for byte in ((1 << 40) + 5, (1 << 40) + 7):	# offer of slot 0, guard
    fcntl.fcntl(fd, 37, struct.pack("@hhqqi4x", kind, 0, byte, 1, 0))	# F_OFD_SETLK
open(sys.argv[3], "w").close()
time.sleep(300)
' "$IMG" "$2" "$ready"
	wait_until "$VL_PATIENCE" test -e "$ready" ||
		fail "no fake offer: $(cat "$BATS_TEST_TMPDIR/holder.$BG_PID.err")"
}

start_source() {	# A's running guest: SRC holds IMG exclusive
	as_bg "$UA" "$VMLOCK" run --lock "$IMG" -- sleep 300
	src=$BG_PID
	wait_held "$src" "$IMG"
}

@test "handover: a reader's offer (read locks on the offer and the guard) lets no target in" {
	start_source
	fake_offer "$UM" r
	run -75 --separate-stderr as "$UA" "$VMLOCK" run --incoming --lock "$IMG" -- true
	[[ $stderr == *"busy: wanted exclusive, held exclusive by pid $src"* ]] || fail "$stderr"
	alive "$src"
}

@test "handover: a writer's offer that no live vmlock handover holds lets no target in" {
	start_source
	fake_offer "$UA" w
	run -75 --separate-stderr as "$UA" "$VMLOCK" run --incoming --lock "$IMG" -- true
	[[ $stderr == *"the offer of handover slot 0 is not a vmlock handover's"* ]] || fail "$stderr"
	[[ $stderr == *"busy: wanted exclusive, held exclusive by pid $src"* ]] || fail "$stderr"
}

@test "handover: another user cannot offer A's image; A's own handover still hands over" {
	start_source
	run --separate-stderr as "$UM" "$VMLOCK" handover --pid "$src" --timeout 1
	[[ $status == 77 ]] || fail "M's handover of A's image: $status: $stderr"
	as_bg "$UA" "$VMLOCK" handover --pid "$src" --timeout "$VL_PATIENCE"
	ho=$BG_PID
	wait_until "$VL_PATIENCE" has_offer || fail "no offer from the handover"
	as_bg "$UA" "$VMLOCK" run --incoming --lock "$IMG" -- sleep 300
	wait "$ho" || fail "handover failed: $(cat "$BATS_TEST_TMPDIR/holder.$ho.err")"
	alive "$BG_PID" || fail "the target died: $(cat "$BATS_TEST_TMPDIR/holder.$BG_PID.err")"
}

has_offer() {
	"$VMLOCK" inquire --json "$IMG" | grep -q '"role": "offer"'
}

# --- revoke ----------------------------------------------------------------

@test "revoke signals only the holder it found: B's --wait launcher that gets the image after is untouched" {
	chmod 666 img
	start_bg "$VMLOCK" run --lock "$IMG" -- sleep 300
	victim=$BG_PID
	wait_held "$victim" "$IMG"
	as_bg "$UB" "$VMLOCK" run --wait -1 --lock "$IMG" -- sleep 300
	waiter=$BG_PID
	run --separate-stderr timeout 60 "$VMLOCK" revoke --grace 2 "$IMG"
	[[ $status == 0 || $status == 75 ]] || fail "revoke: $status: $stderr"
	[[ $stderr == *"sent SIGTERM to pid $victim (sleep)"* ]] || fail "$stderr"
	[[ $stderr == *"pid $victim: exited"* ]] || fail "$stderr"
	[[ $stderr != *"to pid $waiter (sleep)"* ]] || fail "revoke signalled the waiter: $stderr"
	[[ $status == 0 || $stderr == *"pid $waiter (sleep), which took it after the revoke began: not signalled"* ]] ||
		fail "$stderr"
	wait_held "$waiter" "$IMG"
	alive "$waiter" || fail "the waiter is gone"
}

@test "revoke signals through pidfds only, never kill(2) of a pid that may be reused" {
	require_strace
	start_bg "$VMLOCK" run --lock "$IMG" -- sleep 300
	wait_held "$BG_PID" "$IMG"
	run -0 strace -f -o trace -e trace=kill,tgkill,tkill,pidfd_send_signal \
		"$VMLOCK" revoke "$IMG"
	grep -q "pidfd_send_signal(.*SIGTERM" trace || fail "no pidfd_send_signal: $(cat trace)"
	run grep -E "kill\([0-9]+, SIG" trace
	assert_failure
}

# --- inquire ----------------------------------------------------------------

# blocked_in_open PID: PID sleeps in openat(2) (syscall 257 on x86-64,
# 56 on arm64; the first number of /proc/PID/syscall).
blocked_in_open() {
	read -r nr _ <"/proc/$1/syscall" && [[ $nr == 257 || $nr == 56 ]]
}

@test "inquire never opens a FIFO (a writer waiting for a reader stays waiting) nor a device" {
	mkfifo fifo
	start_bg "$PY" -c 'import os; os.open("fifo", os.O_WRONLY); print("opened", flush=True)'
	writer=$BG_PID
	wait_until "$VL_PATIENCE" blocked_in_open "$writer" || fail "the writer is not waiting"
	run -66 --separate-stderr "$VMLOCK" inquire fifo
	[[ $stderr == *"fifo: not a regular file or block device"* ]] || fail "$stderr"
	run -66 --separate-stderr "$VMLOCK" inquire /dev/zero
	run -66 --separate-stderr as "$UM" "$VMLOCK" inquire "$BATS_TEST_TMPDIR/fifo"
	blocked_in_open "$writer" && [[ ! -s $BATS_TEST_TMPDIR/holder.$writer.out ]] ||
		fail "inquire opened the FIFO: the writer got through"
}

@test "inquire of a block device never opens it, and still sees its holder" {
	require_strace
	truncate -s 4M disk
	LOOP=$(losetup -f --show disk 2>/dev/null) || skip "losetup: no loop device here"
	start_bg "$VMLOCK" run --lock "$LOOP" -- sleep 300
	holder=$BG_PID
	wait_held "$holder" "$LOOP"
	run -0 strace -f -o trace -e trace=open,openat "$VMLOCK" inquire "$LOOP"
	kill_wait "$holder"
	losetup -d "$LOOP"
	assert_output --partial "$holder"
	opens=$(grep -F "\"$LOOP\"" trace)
	[[ $opens == *O_PATH* ]] || fail "no look at $LOOP: $(cat trace)"
	[[ -z $(grep -v O_PATH <<<"$opens") ]] || fail "inquire opened the device: $opens"
}

# --- modules and configuration as root -------------------------------------

mods_dir() {	# a directory of root's with the nop module
	mkdir -p mods
	cp "$MODULES/nop.so" mods/
	chmod 755 mods
	chmod 644 mods/nop.so
}

# Are the test directory and all above it root's alone (or sticky)?
tmpdir_roots_only() {
	local d=$BATS_TEST_TMPDIR
	while :; do
		[[ $(stat -c %u "$d") == 0 ]] || return 1
		[[ $(stat -c %A "$d") == ????????w? ]] && [[ $(stat -c %A "$d") != *t ]] && return 1
		[[ $d == / ]] && return 0
		d=$(dirname "$d")
	done
}

@test "as root, a module or a directory above it that another user could replace is refused (78)" {
	[ -f "$MODULES/nop.so" ] || fail "no modules built in $MODULES"
	tmpdir_roots_only || skip "a directory above $BATS_TEST_TMPDIR is not root's alone"
	mods_dir
	VMLOCK_DRIVER_DIR=$PWD/mods run -0 --separate-stderr "$VMLOCK" run -v --driver nop --lock img -- true
	[[ $stderr == *"module $PWD/mods/nop.so"* ]] || fail "$stderr"
	chown "$UM" mods/nop.so
	VMLOCK_DRIVER_DIR=$PWD/mods run -78 --separate-stderr "$VMLOCK" run --driver nop --lock img -- true
	[[ $stderr == *"refused, as root: $PWD/mods/nop.so is owned by uid $UM, not root"* ]] || fail "$stderr"
	chown root mods/nop.so
	chmod 757 mods
	VMLOCK_DRIVER_DIR=$PWD/mods run -78 --separate-stderr "$VMLOCK" run --driver nop --lock img -- true
	[[ $stderr == *"$PWD/mods is writable by others than root (mode 0757)"* ]] || fail "$stderr"
	chmod 775 mods
	chgrp "$UM" mods
	VMLOCK_DRIVER_DIR=$PWD/mods run -78 --separate-stderr "$VMLOCK" run --driver nop --lock img -- true
	chgrp root mods
	chown "$UM" "$BATS_TEST_TMPDIR"
	VMLOCK_DRIVER_DIR=$PWD/mods run -78 --separate-stderr "$VMLOCK" run --driver nop --lock img -- true
	[[ $stderr == *"$BATS_TEST_TMPDIR is owned by uid $UM, not root"* ]] || fail "$stderr"
	chown root "$BATS_TEST_TMPDIR"
	# a symbolic link is judged where it leads
	mkdir other
	cp mods/nop.so other/
	chown "$UM" other
	ln -s "$PWD/other/nop.so" mods/link.so
	VMLOCK_DRIVER_DIR=$PWD/mods run -78 --separate-stderr "$VMLOCK" run --driver link --lock img -- true
	[[ $stderr == *"$PWD/other is owned by uid $UM"* ]] || fail "$stderr"
	# as the user who owns it, it is that user's own business
	chown -R "$UM" mods
	VMLOCK_DRIVER_DIR=$PWD/mods run -0 --separate-stderr as "$UM" "$VMLOCK" run --driver nop \
		--lock "$BATS_TEST_TMPDIR/img:readonly" -- true
}

@test "VMLOCK_DRIVER_DIR is searched before the default directory, not instead" {
	mkdir empty
	VMLOCK_DRIVER_DIR=$PWD/empty run -0 --separate-stderr "$VMLOCK" run --driver lockspace \
		--lockspace "$SPACE" --lease x -- true
	VMLOCK_DRIVER_DIR=$PWD/empty run -78 --separate-stderr "$VMLOCK" run --driver nosuch --lock img -- true
	[[ $stderr == *"no module in $PWD/empty or "*"/drivers, none built in"* ]] || fail "$stderr"
}

@test "as root, a configuration file another user owns is refused (78) even when only they may write it" {
	printf 'wait = 1\n' >conf
	chmod 644 conf
	chown "$UM" conf
	run -78 --separate-stderr "$VMLOCK" run --config conf --lock img -- true
	[[ $stderr == *"conf: owned by uid $UM, not root: refused"* ]] || fail "$stderr"
	run -0 --separate-stderr as "$UM" "$VMLOCK" run --config "$PWD/conf" \
		--lock "$BATS_TEST_TMPDIR/img:readonly" -- true
	chown root conf
	run -0 --separate-stderr "$VMLOCK" run --config conf --lock img -- true
}
