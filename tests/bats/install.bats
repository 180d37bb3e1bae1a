#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# What make install and the Debian packages put where: the binary, the
# modules (no libtool archives), man pages that name the configured
# version and module directory, the headers and vmlock.pc, the bash
# completion, the tmpfiles.d snippet and the sanlock-join unit.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	[[ -n ${VMLOCK_BUILDDIR-} ]] || skip "VMLOCK_BUILDDIR not set (make check sets it)"
}

# mk ARGS...: make in the build directory, quiet, whatever make runs the
# suite (dh_auto_test's make passes flags down).
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$VMLOCK_BUILDDIR" "$@"
}

# make_var NAME: a variable of the build's Makefile, as make expands it.
make_var() {
	mk -f Makefile -f - print <<<"print: ; @echo \$($1)"
}

@test "make install: binary, the sanlock module without .la (no module of a driver built in), man pages, headers, vmlock.pc, completion, tmpfiles" {
	root=$BATS_TEST_TMPDIR/root
	run -0 mk install DESTDIR="$root"
	prefix=$(make_var prefix)
	driverdir=$(make_var driverdir)
	[[ -x $root$prefix/bin/vmlock ]] || fail "no $prefix/bin/vmlock"
	# the drivers built in are not installed again as modules
	for m in fcntl lockspace nop; do
		[[ ! -e $root$driverdir/$m.so ]] || fail "$m.so in $driverdir: it is built in"
	done
	if [[ $(make_var driver_LTLIBRARIES) == *sanlock.la* ]]; then
		[[ -f $root$driverdir/sanlock.so ]] || fail "no sanlock.so in $driverdir"
	fi
	run find "$root" -name '*.la'
	assert_output ""
	for f in include/vmlock/driver.h share/man/man1/vmlock.1 share/man/man5/vmlock.conf.5 \
		share/bash-completion/completions/vmlock lib/tmpfiles.d/vmlock.conf; do
		[[ -f $root$prefix/$f ]] || fail "$prefix/$f not installed"
	done
	[[ -n $(find "$root" -name vmlock.pc) ]] || fail "vmlock.pc not installed"
	# the man page names what configure chose, not a hard-coded path
	run -0 grep -F "$driverdir" "$root$prefix/share/man/man1/vmlock.1"
	run -0 grep -E "^\.TH VMLOCK 1 \"[0-9]{4}-[0-9]{2}-[0-9]{2}\" \"vmlock $(make_var PACKAGE_VERSION)\"" \
		"$root$prefix/share/man/man1/vmlock.1"
	# and says where the installed vmlock looks for modules
	run -0 "$root$prefix/bin/vmlock" --version
	assert_line --index 3 --partial "module directory: $driverdir "
	run -0 mk uninstall DESTDIR="$root"
	run find "$root" -type f
	assert_output ""
}

@test "the man pages are clean for mandoc -Tlint and man" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	local page
	for page in "$VMLOCK_BUILDDIR/man/vmlock.1" "$VMLOCK_BUILDDIR/man/vmlock.conf.5"; do
		run -0 mandoc -Tlint -W warning "$page"
		assert_output ""
		command -v man >/dev/null || continue
		run -0 --separate-stderr env MANWIDTH=80 man --warnings -E UTF-8 -l "$page"
		[[ -z $stderr ]] || fail "man (groff) warns: $stderr"
	done
}

@test "tmpfiles.d: /run/vmlock and its sticky lockspace, as the man page says" {
	conf=$TESTS_SRCDIR/../systemd/tmpfiles.conf
	run -0 grep -E '^d /run/vmlock[[:space:]]+0755 root root' "$conf"
	run -0 grep -E '^d /run/vmlock/lockspace[[:space:]]+1777 root root' "$conf"
	command -v systemd-tmpfiles >/dev/null || skip "systemd-tmpfiles is not installed"
	[[ $(id -u) == 0 ]] || skip "systemd-tmpfiles --root needs root"
	run -0 systemd-tmpfiles --create --root="$BATS_TEST_TMPDIR/r" "$conf"
	assert_equal "$(stat -c %a "$BATS_TEST_TMPDIR/r/run/vmlock/lockspace")" 1777
}

@test "the sanlock-join unit runs the installed vmlock after sanlock, in its state directory" {
	unit=$VMLOCK_BUILDDIR/systemd/vmlock-sanlock-join.service
	run -0 grep -x "ExecStart=$(make_var bindir)/vmlock sanlock-join" "$unit"
	run -0 grep -x "After=sanlock.service local-fs.target" "$unit"
	run -0 grep -x "Requires=sanlock.service" "$unit"
	run -0 grep -x "StateDirectory=vmlock/sanlock" "$unit"
}

# ---- the Debian packages -------------------------------------------------

@test "dpkg-buildpackage -b builds vmlock and vmlock-dev, the suite run as an ordinary user; lintian has no error" {
	command -v dpkg-buildpackage >/dev/null || skip "dpkg-dev is not installed"
	command -v dh >/dev/null || skip "debhelper is not installed"
	[[ -z ${VMLOCK_IN_PACKAGE_BUILD-} ]] || skip "this is the package build's own run of the suite"
	# the sanitizer build runs the same suite; one package build is enough
	[[ -z ${VMLOCK_SANITIZED-} ]] || skip "the package is built in the plain build's run"
	run dpkg-checkbuilddeps "$TESTS_SRCDIR/../debian/control"
	[[ $status == 0 ]] || skip "build dependencies missing: $output"
	local build=$BATS_TEST_TMPDIR/pkg version
	version=$(make_var PACKAGE_VERSION)
	mkdir "$build"
	# the release tarball's files (debian/ among them)
	run -0 mk distdir distdir="$build/vmlock-$version"
	chmod -R u+w "$build"	# copied from a read-only tree under distcheck
	run -0 dpkg-parsechangelog -l "$build/vmlock-$version/debian/changelog" -S Version
	assert_output "$version"
	local as=()
	if [[ $(id -u) == 0 ]]; then	# dh_auto_test runs as an ordinary user
		open_tmpdir_to_others
		chown -R nobody:nogroup "$build"
		as=("${NOBODY[@]}" env HOME="$build")
	fi
	log=$build/build.log
	# the package build's make owes nothing to the make running this suite
	(cd "$build/vmlock-$version" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		"${as[@]}" dpkg-buildpackage -us -uc -b) >"$log" 2>&1 ||
		fail "dpkg-buildpackage failed: $(grep -A12 -E '^not ok ' "$log" | grep -E '^(not ok|#)' | head -60
			grep -iE '(^|: )error' "$log" | tail -20; tail -30 "$log")"
	# the suite ran, as that user, and passed
	run -0 grep -E "^# (PASS|SKIP|FAIL|ERROR): " "$log"
	assert_line --regexp "^# PASS: +[1-9][0-9]*$"
	assert_line --regexp "^# FAIL: +0$"
	assert_line --regexp "^# ERROR: +0$"
	run -0 dpkg-deb -c "$build/vmlock_${version}_"*.deb
	assert_line --regexp " \./usr/bin/vmlock$"
	refute_line --regexp "/vmlock/drivers/fcntl\.so$"	# built in
	assert_line --regexp "/vmlock/drivers/sanlock\.so$"
	assert_line --regexp " \./usr/share/man/man1/vmlock\.1\.gz$"
	assert_line --regexp " \./usr/share/bash-completion/completions/vmlock$"
	assert_line --regexp " \./usr/lib/tmpfiles\.d/vmlock\.conf$"
	assert_line --regexp "/systemd/system/vmlock-sanlock-join\.service$"
	assert_line --regexp "/examples/demo\.sh$"
	refute_line --regexp "\.la$"
	run -0 dpkg-deb -c "$build/vmlock-dev_${version}_"*.deb
	assert_line --regexp " \./usr/include/vmlock/driver\.h$"
	assert_line --regexp "/pkgconfig/vmlock\.pc$"
	# hardened: PIE, full RELRO, stack protector, fortified
	mkdir "$build/x"
	dpkg-deb -x "$build/vmlock_${version}_"*.deb "$build/x"
	run -0 readelf -hd "$build/x/usr/bin/vmlock"
	assert_output --partial "DYN (Position-Independent Executable file)"
	assert_line --regexp "\(FLAGS\) +BIND_NOW"
	run -0 nm -D "$build/x/usr/bin/vmlock"
	assert_output --partial "__stack_chk_fail"
	assert_output --regexp "__v?f?printf_chk|__v?s?n?printf_chk"
	command -v lintian >/dev/null || skip "lintian is not installed: packages built, not checked"
	run lintian --fail-on error "$build/vmlock_${version}_"*.changes
	[[ $status == 0 && $'\n'$output != *$'\nE: '* ]] || fail "lintian: $output"
}
