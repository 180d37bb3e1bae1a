#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Privileges and the configuration file: vmlock(1), run (--user, --group,
# --clear-groups, --keep-cap, --no-new-privs, --config), and vmlock.conf(5).

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	truncate -s 1M img
	chmod 666 img
	chmod 755 "$BATS_TEST_TMPDIR"
	unset VMLOCK_CONFIG
}

status_field() {	# FIELD: its value in the status the command printed
	printf '%s\n' "$output" | sed -n "s/^$1:[[:space:]]*//p"
}

@test "as root, --user nobody: locks first, then no uid 0, no capabilities" {
	[ "$(id -u)" = 0 ] || skip "needs root (running as $(id -un))"
	run "$VMLOCK" run --user nobody --lock img -- sh -c \
		'cat /proc/self/status; ls -l /proc/self/fd/'
	assert_success
	assert_equal "$(status_field Uid)" "65534	65534	65534	65534"
	assert_equal "$(status_field Gid)" "65534	65534	65534	65534"
	for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
		assert_equal "$(status_field $cap)" 0000000000000000
	done
	assert_equal "$(status_field NoNewPrivs)" 0
	assert_output --partial "-> $BATS_TEST_TMPDIR/img"	# the lock fd survived
}

@test "the lock taken as root is held by the process running as nobody" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	"$VMLOCK" run --user nobody --lock img -- sleep 30 &
	pid=$!
	track_pid $pid
	for _ in $(seq 100); do
		"$VMLOCK" inquire --json img | grep -q "\"pid\": $pid" && break
		sleep 0.05
	done
	run "$VMLOCK" run --lock img -- true
	kill $pid
	assert_failure 75
	assert_output --partial "pid $pid"
	[ "$(stat -c %U /proc/$pid 2>/dev/null || echo nobody)" = nobody ]
}

@test "--keep-cap keeps that capability alone, --no-new-privs sets the flag" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	run "$VMLOCK" run --user nobody --keep-cap CAP_NET_ADMIN --no-new-privs \
		--lock img -- cat /proc/self/status
	assert_success
	# CAP_NET_ADMIN is bit 12
	for cap in CapPrm CapEff CapBnd CapAmb; do
		assert_equal "$(status_field $cap)" 0000000000001000
	done
	assert_equal "$(status_field NoNewPrivs)" 1
}

@test "--clear-groups leaves no supplementary groups; default is USER's" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	getent group vmlocktest >/dev/null || groupadd vmlocktest
	id -nG nobody | grep -qw vmlocktest || usermod -a -G vmlocktest nobody
	gid=$(getent group vmlocktest | cut -d: -f3)
	run "$VMLOCK" run --user nobody --lock img -- id -G
	assert_success
	assert_output --partial "$gid"
	run "$VMLOCK" run --user nobody --clear-groups --lock img -- id -G
	assert_success
	assert_output "65534"
}

@test "--user when not root, unknown user, unknown capability: refused, nothing locked" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$VMLOCK" run --user root --lock img -- true
	assert_failure 77
	assert_output --partial "root"
	run "$VMLOCK" run --user no-such-user-vmlock --lock img -- true
	assert_failure 64
	assert_output --partial "no-such-user-vmlock"
	run "$VMLOCK" run --user nobody --keep-cap CAP_NOPE --lock img -- true
	assert_failure 64
	assert_output --partial "CAP_NOPE"
	run "$VMLOCK" run --lock img -- true
	assert_success
}

@test "installed setuid or setgid: refused before touching any file" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -z "${VMLOCK_SANITIZED:-}" ] ||
		skip "a sanitizer build cannot run setuid (LeakSanitizer needs ptrace)"
	cp "$VMLOCK" ./vmlock-suid
	chown nobody ./vmlock-suid
	chmod 4755 ./vmlock-suid
	run ./vmlock-suid run --lock img -- true
	assert_failure 77
	assert_output --partial "setuid"
	chown root:nogroup ./vmlock-suid
	chmod 2755 ./vmlock-suid
	run ./vmlock-suid run --lock img -- true
	assert_failure 77
	assert_output --partial "setgid"
}

@test "config: user, wait and backing come from the file; the command line wins" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	printf 'user = nobody\nwait = 0\n' > vmlock.conf
	chmod 644 vmlock.conf
	run "$VMLOCK" run --config vmlock.conf --lock img -- id -u
	assert_success
	assert_output 65534
	run "$VMLOCK" run --config vmlock.conf --user root --lock img -- id -u
	assert_success
	assert_output 0
	VMLOCK_CONFIG=$PWD/vmlock.conf run "$VMLOCK" run --lock img -- id -u
	assert_output 65534
}

@test "config user = is for runs started as root; others ignore it" {
	mkimg a.img >/dev/null
	open_tmpdir_to_others
	chmod 666 a.img
	printf 'user = nobody\n' > conf
	chmod 644 conf
	run as_nobody "$VMLOCK" run --config "$BATS_TEST_TMPDIR/conf" --lock a.img -- id -u
	assert_success
	assert_output 65534
}

@test "config: wait from the file makes a busy launch wait" {
	printf 'wait = 5\n' > vmlock.conf
	chmod 644 vmlock.conf
	"$VMLOCK" run --lock img -- sleep 1 &
	track_pid $!
	for _ in $(seq 100); do
		"$VMLOCK" inquire --json img | grep -q '"pid"' && break
		sleep 0.02
	done
	run "$VMLOCK" run --config vmlock.conf --lock img -- true
	assert_success
	run "$VMLOCK" run --config vmlock.conf --wait 0 --lock img -- true
	assert_success	# free by now: the holder slept 1 s
}

@test "config errors: unknown key, bad value, bad line, missing file: 78 with file and line" {
	printf 'wait = 1\nfrobnicate = yes\n' > c1
	printf 'backing = sometimes\n' > c2
	printf 'this is not a setting\n' > c3
	chmod 644 c1 c2 c3
	run "$VMLOCK" run --config c1 --lock img -- true
	assert_failure 78
	assert_output --partial "c1:2"
	assert_output --partial "frobnicate"
	run "$VMLOCK" run --config c2 --lock img -- true
	assert_failure 78
	assert_output --partial "c2:1"
	run "$VMLOCK" run --config c3 --lock img -- true
	assert_failure 78
	assert_output --partial "c3:1"
	run "$VMLOCK" run --config missing.conf --lock img -- true
	assert_failure 78
	assert_output --partial "missing.conf"
	VMLOCK_CONFIG=$PWD/missing.conf run "$VMLOCK" run --lock img -- true
	assert_failure 78
}

@test "config writable by others is refused; by owner only is fine" {
	printf 'wait = 1\n' > c
	chmod 666 c
	run "$VMLOCK" run --config c --lock img -- true
	assert_failure 78
	assert_output --partial "writable by others"
	chmod 620 c
	# a group the user is not in (only root may give a file one)
	if [[ $(id -u) == 0 ]]; then
		chgrp nogroup c
	fi
	run "$VMLOCK" run --config c --lock img -- true
	assert_failure 78
	chmod 600 c
	run "$VMLOCK" run --config c --lock img -- true
	assert_success
}

@test "--group, --clear-groups without --user: 64, nothing run; --user root --group GROUP: uid 0 in GROUP" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	run "$VMLOCK" run --group nogroup --lock img -- touch ran
	assert_failure 64
	assert_output --partial "--group goes with --user"
	run "$VMLOCK" run --clear-groups --lock img -- touch ran
	assert_failure 64
	[ ! -e ran ] || fail "the command ran"
	run "$VMLOCK" run --user root --group nogroup --lock img -- sh -c 'echo $(id -u) $(id -g)'
	assert_success
	assert_output "0 65534"
}

@test "config group = without user = (nor --user): 78; with --user it applies" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	printf 'group = nogroup\n' > conf
	chmod 644 conf
	run "$VMLOCK" run --config conf --lock img -- true
	assert_failure 78
	assert_output --partial "group = nogroup in the configuration needs user ="
	run "$VMLOCK" run --config conf --user nobody --lock img -- id -g
	assert_success
	assert_output 65534
}
