#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# The driver module interface: what the executable exports is exactly what
# the installed headers declare, and a module built out of tree against
# those headers alone builds, loads and locks.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	command -v nm >/dev/null || skip "nm (binutils) is not installed"
	[[ -n ${VMLOCK_BUILDDIR-} ]] || skip "VMLOCK_BUILDDIR not set (make check sets it)"
	unset VMLOCK_CONFIG VMLOCK_DRIVER_DIR
}

# The functions the installed headers declare, one per line, sorted.
declared() {
	local hdr
	for hdr in "$1"/*.h; do
		sed -n 's/^[a-z][a-z_ *0-9]*[ *]\([a-z_][a-z_0-9]*\)(.*/\1/p' "$hdr"
	done | sort -u
}

# The functions and data the executable exports, sorted (copy relocations
# of libc's stdin/stdout/stderr, popt's table and, in a sanitizer build,
# the sanitizer's __ variables aside: they are theirs).
exported() {
	nm -D --defined-only "$VMLOCK" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
		grep -v -x -e stdin -e stdout -e stderr -e poptHelpOptions -e '__.*' | sort -u
}

install_headers() {
	ROOT=$BATS_TEST_TMPDIR/root
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$VMLOCK_BUILDDIR" \
		install-vmlockincludeHEADERS install-pkgconfigDATA \
		DESTDIR="$ROOT" >/dev/null || fail "make install of the headers and vmlock.pc failed"
	INCLUDE=$(dirname "$(dirname "$(find "$ROOT" -name driver.h -path '*/vmlock/*')")")
	[[ -f $INCLUDE/vmlock/driver.h ]] || fail "no vmlock/driver.h installed under $ROOT"
}

@test "the executable exports at most 40 dynamic symbols, all of the module interface" {
	run -0 nm -D --defined-only "$VMLOCK"
	(( ${#lines[@]} <= 40 )) || fail "${#lines[@]} dynamic symbols: $output"
	install_headers
	run diff <(declared "$INCLUDE/vmlock") <(exported)
	[[ $status == 0 ]] || fail "declared (<) and exported (>) differ: $output"
	run -0 nm -D --defined-only "$VMLOCK"
	assert_output --partial "vl_fail@@VMLOCK_1"
	refute_output --partial "vl_plan_"
	refute_output --partial "qemu_"
}

@test "the modules vmlock builds need nothing from it but the interface" {
	local m sym
	for m in "$VMLOCK_MODULES"/*.so; do
		for sym in $(nm -D --undefined-only "$m" | awk '{ print $2 }' |
				grep -E '^(vl_|fdlock_|lockspace_|lp_|holders_|qemu_|image_)'); do
			exported | grep -qx "$sym" || fail "$m needs $sym, which vmlock does not export"
		done
	done
}

# pkg-config run on the vmlock.pc installed under $ROOT, as if $ROOT were /.
pc() {
	PKG_CONFIG_PATH=$(dirname "$(find "$ROOT" -name vmlock.pc)") \
		PKG_CONFIG_SYSROOT_DIR=$ROOT PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 pkg-config "$@" vmlock
}

@test "a module built out of tree with pkg-config --cflags vmlock alone loads and locks" {
	command -v cc >/dev/null || skip "no C compiler"
	command -v pkg-config >/dev/null || skip "pkg-config is not installed"
	install_headers
	run -0 pc --cflags
	cflags=$output
	[[ $cflags == *"-I$INCLUDE"* ]] || fail "pkg-config --cflags vmlock: $cflags, not -I$INCLUDE"
	run -0 pc --variable=driverdir
	mods=$output
	[[ $mods == "$ROOT"/*/vmlock/drivers ]] || fail "driverdir: $mods"
	mkdir -p "$mods"
	# shellcheck disable=SC2086 # the flags are words
	run cc -std=gnu11 -Wall -Werror -shared -fPIC $cflags \
		-o "$mods/ofdcopy.so" "$TESTS_SRCDIR/abi/ofdcopy.c"
	[[ $status == 0 ]] || fail "the module does not build: $output"
	img=$(mkimg img)
	export VMLOCK_DRIVER_DIR=$mods
	run -0 "$VMLOCK" run --driver ofdcopy --lock "$img" -- true
	assert_output --partial "ofdcopy: 1 file(s) locked"
	# its locks are vmlock's lock bytes: the default driver sees them
	start_bg "$VMLOCK" run --driver ofdcopy --lock "$img" -- sleep 300
	wait_held "$BG_PID" "$img"
	run -75 env -u VMLOCK_DRIVER_DIR "$VMLOCK" run --lock "$img" -- true
	assert_output --partial "held exclusive by pid $BG_PID"
	run -0 "$VMLOCK" inquire --driver ofdcopy "$img"
	assert_output --regexp "exclusive +$BG_PID +holder"
}
