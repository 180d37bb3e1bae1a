#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# vmlock run: locks, exit codes, all or nothing, fd inheritance, --wait,
# RLIMIT_NOFILE, help.

bats_require_minimum_version 1.5.0
load helpers

stderr_has() {
	local s
	for s in "$@"; do
		[[ $stderr == *"$s"* ]] || fail "stderr lacks \"$s\": $stderr"
	done
}

stderr_lacks() {
	[[ $stderr != *"$1"* ]] || fail "stderr has \"$1\": $stderr"
}

# --- busy ------------------------------------------------------------------

@test "an exclusive holder refuses a second exclusive launcher (75) naming path, modes and pid" {
	img=$(mkimg disk.img)
	mkdir "$BATS_TEST_TMPDIR/sub"
	start_holder "$img"
	# reach the image through a non-canonical path: the message names the
	# canonical one
	run -75 --separate-stderr "$VMLOCK" run --lock "$BATS_TEST_TMPDIR/sub/../disk.img" -- true
	stderr_has "$(canon "$img")" "busy" "wanted exclusive" "held exclusive" "pid $HOLDER_PID" "sleep"
	stderr_lacks "sub/.."
	alive "$HOLDER_PID"
}

@test "an exclusive holder refuses readonly and shared launchers too" {
	img=$(mkimg disk.img)
	start_holder "$img"
	run -75 --separate-stderr "$VMLOCK" run --lock "$img:readonly" -- true
	stderr_has "$(canon "$img")" "wanted readonly" "held exclusive" "pid $HOLDER_PID"
	run -75 --separate-stderr "$VMLOCK" run --lock "$img:shared" -- true
	stderr_has "$(canon "$img")" "wanted shared" "held exclusive" "pid $HOLDER_PID"
}

# matrix HELD WANTED EXPECTED_STATUS
matrix() {
	local img held=$1 wanted=$2 want=$3
	img=$(mkimg disk.img)
	start_holder "$img:$held"
	run --separate-stderr timeout 20 "$VMLOCK" run --lock "$img:$wanted" -- true
	if [[ $want == 0 ]]; then
		[[ $status == 0 ]] || fail "held $held, wanted $wanted: status $status: $stderr"
	else
		[[ $status == 75 ]] || fail "held $held, wanted $wanted: status $status, expected 75: $stderr"
		stderr_has "wanted $wanted" "held $held" "pid $HOLDER_PID"
	fi
	# the first holder is untouched either way
	alive "$HOLDER_PID"
	vl_py heldby "$HOLDER_PID" "$img"
}

@test "matrix: exclusive held, exclusive wanted: busy" { matrix exclusive exclusive 75; }
@test "matrix: exclusive held, shared wanted: busy" { matrix exclusive shared 75; }
@test "matrix: exclusive held, readonly wanted: busy" { matrix exclusive readonly 75; }
@test "matrix: shared held, exclusive wanted: busy" { matrix shared exclusive 75; }
@test "matrix: shared held, shared wanted: ok" { matrix shared shared 0; }
@test "matrix: shared held, readonly wanted: busy" { matrix shared readonly 75; }
@test "matrix: readonly held, exclusive wanted: busy" { matrix readonly exclusive 75; }
@test "matrix: readonly held, shared wanted: busy" { matrix readonly shared 75; }
@test "matrix: readonly held, readonly wanted: ok" { matrix readonly readonly 0; }

@test "two concurrent readonly holders both hold; an exclusive launcher is refused" {
	img=$(mkimg disk.img)
	start_holder "$img:readonly"
	h1=$HOLDER_PID
	start_holder "$img:readonly"
	h2=$HOLDER_PID
	run -75 --separate-stderr "$VMLOCK" run --lock "$img" -- true
	stderr_has "held readonly"
	kill_wait "$h1"
	run -75 --separate-stderr "$VMLOCK" run --lock "$img" -- true
	stderr_has "pid $h2"
	kill_wait "$h2"
	assert_free "$img"
}

# --- exit status and failures ----------------------------------------------

@test "after exec the exit status is the command's own" {
	img=$(mkimg disk.img)
	run -3 "$VMLOCK" run --lock "$img" -- sh -c 'exit 3'
	run -0 "$VMLOCK" run --lock "$img" -- true
	run -1 "$VMLOCK" run --lock "$img" -- false
	assert_free "$img"
}

@test "the command's stdout, stdin and arguments after -- pass untouched" {
	img=$(mkimg disk.img)
	run -0 --separate-stderr "$VMLOCK" run --lock "$img" -- printf '<%s>' --help --lock "$img" -- --version
	assert_output "<--help><--lock><$img><--><--version>"
	[[ -z $stderr ]] || fail "unexpected stderr: $stderr"
	run -0 bash -c 'echo hello | "$1" run --lock "$2" -- cat' _ "$VMLOCK" "$img"
	assert_output hello
}

@test "command not found: 127 and nothing locked" {
	img=$(mkimg disk.img)
	run -127 --separate-stderr "$VMLOCK" run --lock "$img" -- no-such-command-vmlock-test
	stderr_has "no-such-command-vmlock-test"
	assert_free "$img"
	run -127 --separate-stderr "$VMLOCK" run --lock "$img" -- "$BATS_TEST_TMPDIR/nothing/here"
	stderr_has "$BATS_TEST_TMPDIR/nothing/here"
	assert_free "$img"
}

@test "command not executable: 126 and nothing locked" {
	img=$(mkimg disk.img)
	printf '#!/bin/sh\nexit 0\n' >"$BATS_TEST_TMPDIR/noexec"
	chmod 0644 "$BATS_TEST_TMPDIR/noexec"
	run -126 --separate-stderr "$VMLOCK" run --lock "$img" -- "$BATS_TEST_TMPDIR/noexec"
	stderr_has "noexec"
	assert_free "$img"
	# found through PATH, but not executable
	run -126 --separate-stderr env PATH="$BATS_TEST_TMPDIR:/usr/bin:/bin" "$VMLOCK" run --lock "$img" -- noexec
	assert_free "$img"
	# a directory is no command either
	run -126 --separate-stderr "$VMLOCK" run --lock "$img" -- "$BATS_TEST_TMPDIR"
	assert_free "$img"
}

@test "exec failing after the locks were taken releases them (bad interpreter 127, bad format 126)" {
	img=$(mkimg disk.img)
	printf '#!/nonexistent/interpreter\n' >"$BATS_TEST_TMPDIR/badinterp"
	printf '\177ELF garbage, not a program\n' >"$BATS_TEST_TMPDIR/badformat"
	chmod 0755 "$BATS_TEST_TMPDIR/badinterp" "$BATS_TEST_TMPDIR/badformat"
	run --separate-stderr sh -c '"$@"; echo "status $?"' _ "$VMLOCK" run --lock "$img" -- "$BATS_TEST_TMPDIR/badinterp"
	[[ $output == "status 127" || $output == "status 126" ]] || fail "$output: $stderr"
	assert_free "$img"
	run -126 --separate-stderr "$VMLOCK" run --lock "$img" -- "$BATS_TEST_TMPDIR/badformat"
	stderr_has "badformat"
	assert_free "$img"
}

@test "no command: 64" {
	img=$(mkimg disk.img)
	run -64 --separate-stderr "$VMLOCK" run --lock "$img"
	stderr_has "no command"
	run -64 --separate-stderr "$VMLOCK" run --lock "$img" --
	stderr_has "no command"
	assert_free "$img"
}

@test "bad mode: 64, naming the mode" {
	img=$(mkimg disk.img)
	run --separate-stderr "$VMLOCK" run --lock "$img:exclusiv" -- true
	[[ $status == 64 ]] || fail "--lock IMG:exclusiv: status $status, expected 64 (usage): $stderr"
	stderr_has "exclusiv"
	assert_free "$img"
}

@test "bad --wait: 64" {
	img=$(mkimg disk.img)
	for w in abc -2 -0.5 '' 1s nan; do
		run --separate-stderr "$VMLOCK" run --wait "$w" --lock "$img" -- true
		[[ $status == 64 ]] || fail "--wait '$w': status $status, expected 64: $stderr"
	done
	assert_free "$img"
}

@test "--wait beyond 1e9 seconds is a usage error, not an instant timeout" {
	in_tmpdir a.img
	run "$VMLOCK" run --wait 1e300 --lock a.img -- true
	assert_failure 64
	assert_output --partial "--wait"
}

@test "unknown option and empty path: 64" {
	img=$(mkimg disk.img)
	run -64 --separate-stderr "$VMLOCK" run --no-such-option --lock "$img" -- true
	stderr_has "no-such-option"
	run -64 --separate-stderr "$VMLOCK" run --lock "" -- true
	run -64 --separate-stderr "$VMLOCK" run --lock ":readonly" -- true
	# an unknown driver: a usage or a configuration error
	run --separate-stderr "$VMLOCK" run --driver no-such-driver --lock "$img" -- true
	[[ $status == 64 || $status == 78 ]] || fail "--driver no-such-driver: status $status"
	assert_free "$img"
}

@test "missing image: 66 naming the path; nothing else left locked" {
	img=$(mkimg disk.img)
	run -66 --separate-stderr "$VMLOCK" run --lock "$img" --lock "$BATS_TEST_TMPDIR/missing.img" -- true
	stderr_has "$BATS_TEST_TMPDIR/missing.img"
	assert_free "$img"
	# a dangling symlink is missing too
	ln -s nowhere.img "$BATS_TEST_TMPDIR/dangling.img"
	run -66 --separate-stderr "$VMLOCK" run --lock "$BATS_TEST_TMPDIR/dangling.img" -- true
	stderr_has "dangling.img"
}

@test "a directory: 66 in every mode, nothing left locked" {
	img=$(mkimg disk.img)
	mkdir "$BATS_TEST_TMPDIR/dir.img"
	for mode in exclusive shared readonly; do
		run --separate-stderr "$VMLOCK" run --lock "$img" --lock "$BATS_TEST_TMPDIR/dir.img:$mode" -- true
		[[ $status == 66 ]] || fail "directory, $mode: status $status: $stderr"
		stderr_has "dir.img"
		assert_free "$img"
	done
}

@test "a fifo: 66 in every mode, no hang, nothing left locked" {
	img=$(mkimg disk.img)
	mkfifo "$BATS_TEST_TMPDIR/fifo.img"
	for mode in exclusive shared readonly; do
		run --separate-stderr timeout 10 "$VMLOCK" run --lock "$img" --lock "$BATS_TEST_TMPDIR/fifo.img:$mode" -- true
		[[ $status == 66 ]] || fail "fifo, $mode: status $status (124: hung): $stderr"
		stderr_has "fifo.img"
		assert_free "$img"
	done
}

@test "a character device is no image: 66" {
	run -66 --separate-stderr timeout 10 "$VMLOCK" run --lock /dev/null:readonly -- true
	stderr_has "/dev/null"
}

@test "character devices and fifos are never opened" {
	in_tmpdir
	require_strace
	mkfifo fifo
	run strace -f -e trace=openat -o trace "$VMLOCK" run --lock /dev/zero --lock fifo -- true
	assert_failure 66
	assert_output --partial "not a regular file or block device"
	run grep -E '"(/dev/zero|[^"]*fifo)"' trace
	assert_failure
}

@test "as user nobody: unreadable image 77, read-only image exclusive 77, readonly lock ok" {
	open_tmpdir_to_others
	img=$(mkimg disk.img)
	secret=$(mkimg secret.img)
	chmod 0644 "$img"
	chmod 0600 "$secret"
	for mode in exclusive shared readonly; do
		run --separate-stderr as_nobody "$VMLOCK" run --lock "$secret:$mode" -- true
		[[ $status == 77 ]] || fail "0600 root file, $mode as nobody: status $status: $stderr"
		stderr_has "$secret"
	done
	# readable but not writable: exclusive needs write access
	run --separate-stderr as_nobody "$VMLOCK" run --lock "$img" -- true
	[[ $status == 77 ]] || fail "0644 root file, exclusive as nobody: status $status: $stderr"
	# readonly needs read access only
	run --separate-stderr as_nobody "$VMLOCK" run --lock "$img:readonly" -- true
	[[ $status == 0 ]] || fail "0644 root file, readonly as nobody: status $status: $stderr"
	# an all-or-nothing failure as nobody leaves the readable image free
	run -77 --separate-stderr as_nobody "$VMLOCK" run --lock "$img:readonly" --lock "$secret:readonly" -- true
	assert_free "$img"
	assert_free "$secret"
}

# --- all or nothing ----------------------------------------------------------

@test "all or nothing: A free and B held fails 75 and leaves A free" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	start_holder "$b"
	run -75 --separate-stderr "$VMLOCK" run --lock "$a" --lock "$b" -- true
	stderr_has "$(canon "$b")" "pid $HOLDER_PID"
	stderr_lacks "$(canon "$a"):"
	# A is free right now, while B's holder still runs
	alive "$HOLDER_PID"
	assert_free "$a"
	# the same in the other order
	run -75 --separate-stderr "$VMLOCK" run --lock "$b" --lock "$a" -- true
	stderr_has "$(canon "$b")"
	assert_free "$a"
	# and with A in a weaker mode
	run -75 --separate-stderr "$VMLOCK" run --lock "$a:readonly" --lock "$b:readonly" -- true
	assert_free "$a"
	alive "$HOLDER_PID"
}

@test "all or nothing: three images, the middle one held in a compatible mode, the last one busy" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	c=$(mkimg c.img)
	start_holder "$b:readonly"
	hb=$HOLDER_PID
	start_holder "$c"
	run -75 --separate-stderr "$VMLOCK" run --lock "$a" --lock "$b:readonly" --lock "$c" -- true
	stderr_has "$(canon "$c")"
	assert_free "$a"
	# B is held by its first holder only: an exclusive launcher names one pid
	kill_wait "$HOLDER_PID"
	run -75 --separate-stderr "$VMLOCK" run --lock "$b" -- true
	stderr_has "pid $hb"
	kill_wait "$hb"
	assert_free "$b"
	assert_free "$c"
}

@test "a path with a colon that is no mode is a path" {
	img=$(mkimg "vm:1.img")
	start_holder "$img"
	run -75 --separate-stderr "$VMLOCK" run --lock "$img:readonly" -- true
	[[ $stderr == *"$(canon "$img")"* ]] || fail "$stderr"
}

# foreign_holder TYPE PATH: a process outside vmlock holding an OFD lock of
# TYPE (r or w) on byte 0 of PATH, as libvirt's virtlockd does.
foreign_holder() {
	start_bg "$PY" -c '
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[2], os.O_RDWR)
t = fcntl.F_WRLCK if sys.argv[1] == "w" else fcntl.F_RDLCK
fcntl.fcntl(fd, getattr(fcntl, "F_OFD_SETLK", 37), struct.pack("@hhqqi4x", t, 0, 0, 1, 0))
open(sys.argv[3], "w").close()
time.sleep(300)
' "$1" "$2" "$BATS_TEST_TMPDIR/foreign.ready"
	wait_until "$VL_PATIENCE" test -e "$BATS_TEST_TMPDIR/foreign.ready" || fail "foreign holder not ready"
	FOREIGN_PID=$BG_PID
}

@test "a lock manager outside vmlock on byte 0 (virtlockd style) is respected" {
	img=$(mkimg disk.img)
	foreign_holder w "$img"
	for mode in exclusive shared readonly; do
		run --separate-stderr "$VMLOCK" run --lock "$img:$mode" -- true
		[[ $status == 75 ]] || fail "foreign write lock, $mode: status $status: $stderr"
		stderr_has "$(canon "$img")" "outside vmlock" "pid $FOREIGN_PID"
	done
	kill_wait "$FOREIGN_PID"
	rm -f "$BATS_TEST_TMPDIR/foreign.ready"
	foreign_holder r "$img"
	run -75 --separate-stderr "$VMLOCK" run --lock "$img" -- true
	run -0 --separate-stderr "$VMLOCK" run --lock "$img:readonly" -- true
}

# --- fds ---------------------------------------------------------------------

@test "the lock fds are the only fds added, inherited, pointing at the images" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	# a child lists the shell's fds, so that listing adds none to them
	lister='find /proc/$$/fd -mindepth 1 -printf "%f %l\n"; :'
	# what the command sees without vmlock (bats has its own fds open);
	# both runs get the same stdio
	out=$BATS_TEST_TMPDIR/fds.out
	sh -c "$lister" >"$out" 2>/dev/null </dev/null
	base=$(cat "$out")
	"$VMLOCK" run --lock "$a" --lock "$b:readonly" -- sh -c "$lister" >"$out" 2>/dev/null </dev/null
	output=$(cat "$out")
	added=$(comm -13 <(sort <<<"$base") <(sort <<<"$output"))
	removed=$(comm -23 <(sort <<<"$base") <(sort <<<"$output"))
	[[ -z $removed ]] || fail "fds lost across vmlock: $removed; without: $base; with: $output"
	[[ $(grep -c . <<<"$added") == 2 ]] || fail "expected two added fds, got: $added"
	grep -qx "[0-9]* $(canon "$a")" <<<"$added" || fail "no fd on $a: $added"
	grep -qx "[0-9]* $(canon "$b")" <<<"$added" || fail "no fd on $b: $added"
	# none of them is stdio
	! grep -q '^[012] ' <<<"$added" || fail "a lock fd took stdio: $added"
}

@test "lock fds stay above stdio even when vmlock starts with 0-2 closed" {
	a=$(mkimg a.img)
	run -0 bash -c 'exec 0<&- 1>&- 2>&-; "$1" run --lock "$2" -- sh -c "readlink /proc/\$\$/fd/0 /proc/\$\$/fd/1 /proc/\$\$/fd/2 >$3 2>&1; exit 0"' \
		_ "$VMLOCK" "$a" "$BATS_TEST_TMPDIR/std"
	run grep -c "$(canon "$a")" "$BATS_TEST_TMPDIR/std"
	assert_output 0
}

@test "an exclusive lock fd is open read-write, a readonly one read-only" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	# flags in octal: accmode is the low two bits
	run -0 "$VMLOCK" run --lock "$a" --lock "$b:readonly" -- sh -c '
		for f in /proc/$$/fd/*; do
			t=$(readlink "$f") || continue
			echo "$t $(sed -n "s/^flags:[[:space:]]*//p" /proc/$$/fdinfo/${f##*/})"
		done'
	fa=$(awk -v p="$(canon "$a")" '$1 == p { print $2 }' <<<"$output")
	fb=$(awk -v p="$(canon "$b")" '$1 == p { print $2 }' <<<"$output")
	[[ -n $fa && -n $fb ]] || fail "lock fds not found: $output"
	(( (8#$fa & 3) == 2 )) || fail "exclusive fd flags $fa: not O_RDWR"
	(( (8#$fb & 3) == 0 )) || fail "readonly fd flags $fb: not O_RDONLY"
}

@test "the locks vanish when the command exits" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	start_holder "$a" "$b" -- sleep 1
	run -75 "$VMLOCK" run --lock "$a" -- true
	wait "$HOLDER_PID"
	assert_free "$a"
	assert_free "$b"
}

@test "kill -9 of the command frees the lock at once" {
	a=$(mkimg a.img)
	start_holder "$a"
	kill -KILL "$HOLDER_PID"
	wait "$HOLDER_PID" || true
	# no --wait: free at once
	assert_free "$a"
}

@test "the lock holder is the command itself: no vmlock process left behind" {
	a=$(mkimg a.img)
	start_holder "$a"
	run -0 cat "/proc/$HOLDER_PID/comm"
	assert_output sleep
	[[ $(readlink "/proc/$HOLDER_PID/exe") == "$(readlink -f "$(command -v sleep)")" ]] ||
		fail "pid $HOLDER_PID is $(readlink "/proc/$HOLDER_PID/exe")"
	run pgrep -P "$HOLDER_PID"
	assert_output ""
}

# --- identity ----------------------------------------------------------------

@test "a symlink or a hard link to a held image is busy" {
	a=$(mkimg a.img)
	ln -s a.img "$BATS_TEST_TMPDIR/sym.img"
	ln "$a" "$BATS_TEST_TMPDIR/hard.img"
	start_holder "$a"
	run -75 --separate-stderr "$VMLOCK" run --lock "$BATS_TEST_TMPDIR/sym.img" -- true
	stderr_has "$(canon "$a")" "pid $HOLDER_PID"
	run -75 --separate-stderr "$VMLOCK" run --lock "$BATS_TEST_TMPDIR/hard.img:readonly" -- true
	stderr_has "hard.img" "pid $HOLDER_PID"
	kill_wait "$HOLDER_PID"
	# and the other way round: holding the hard link blocks the original
	start_holder "$BATS_TEST_TMPDIR/hard.img"
	run -75 "$VMLOCK" run --lock "$a:shared" -- true
}

@test "the same file named twice in one run is one lock, in the stronger mode" {
	a=$(mkimg a.img)
	ln -s a.img "$BATS_TEST_TMPDIR/sym.img"
	ln "$a" "$BATS_TEST_TMPDIR/hard.img"
	run -0 --separate-stderr "$VMLOCK" run --lock "$a" --lock "$a" -- true
	run -0 --separate-stderr "$VMLOCK" run --lock "$a:readonly" --lock "$BATS_TEST_TMPDIR/sym.img:readonly" --lock "$BATS_TEST_TMPDIR/hard.img:readonly" -- true
	run -0 --separate-stderr "$VMLOCK" run --dry-run --lock "$a:readonly" --lock "$BATS_TEST_TMPDIR/sym.img" -- true
	assert_output "$(printf 'exclusive\t%s' "$(canon "$a")")"
	# readonly + exclusive of one file: held exclusive, one fd
	start_holder "$a:readonly" "$BATS_TEST_TMPDIR/hard.img"
	run -75 --separate-stderr "$VMLOCK" run --lock "$a:readonly" -- true
	stderr_has "held exclusive"
	run -0 vl_py fds "$HOLDER_PID"
	[[ $(grep -c " $(canon "$a")\$" <<<"$output") == 1 ]] || fail "not one fd on the image: $output"
}

@test "--dry-run prints the plan, locks nothing and runs nothing" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	start_holder "$b"
	run -0 --separate-stderr "$VMLOCK" run --dry-run --lock "$BATS_TEST_TMPDIR/./a.img:shared" --lock "$b:readonly" -- touch "$BATS_TEST_TMPDIR/ran"
	assert_output "$(printf 'shared\t%s\nreadonly\t%s' "$(canon "$a")" "$(canon "$b")")"
	[[ ! -e $BATS_TEST_TMPDIR/ran ]] || fail "--dry-run ran the command"
	assert_free "$a"
}

@test "--verbose says what is locked; --quiet says nothing on success" {
	a=$(mkimg a.img)
	run -0 --separate-stderr "$VMLOCK" run --verbose --lock "$a:readonly" -- true
	stderr_has "$(canon "$a")" "readonly"
	run -0 --separate-stderr "$VMLOCK" run --quiet --lock "$a:readonly" -- true
	[[ -z $stderr ]] || fail "--quiet printed: $stderr"
	# --quiet still reports errors
	start_holder "$a"
	run -75 --separate-stderr "$VMLOCK" run --quiet --lock "$a" -- true
	stderr_has "$(canon "$a")"
}

# --- --wait ------------------------------------------------------------------

@test "--wait 0 fails at once" {
	a=$(mkimg a.img)
	start_holder "$a"
	t0=$(now)
	run -75 --separate-stderr timeout 20 "$VMLOCK" run --wait 0 --lock "$a" -- true
	float_between "$(elapsed "$t0")" 0 3
	stderr_has "pid $HOLDER_PID"
}

@test "--wait 1 on a held lock fails 75 after about a second" {
	a=$(mkimg a.img)
	for mode in exclusive readonly shared; do
		start_holder "$a"
		t0=$(now)
		run --separate-stderr timeout 20 "$VMLOCK" run --wait 1 --lock "$a:$mode" -- true
		took=$(elapsed "$t0")
		[[ $status == 75 ]] || fail "$mode: status $status: $stderr"
		float_between "$took" 0.8 5
		stderr_has "$(canon "$a")" "wait" "pid $HOLDER_PID"
		kill_wait "$HOLDER_PID"
	done
	assert_free "$a"
}

@test "--wait 1 on a lock held in another compatible-class (polling) case fails after about a second" {
	a=$(mkimg a.img)
	# readonly wanted, shared held: nothing to block on in the kernel
	start_holder "$a:shared"
	t0=$(now)
	run -75 --separate-stderr timeout 20 "$VMLOCK" run --wait 1 --lock "$a:readonly" -- true
	float_between "$(elapsed "$t0")" 0.8 5
	stderr_has "wanted readonly" "held shared"
	alive "$HOLDER_PID"
}

@test "--wait 5 succeeds once the holder exits after a second" {
	a=$(mkimg a.img)
	start_holder "$a" -- sleep 1
	t0=$(now)
	run -0 --separate-stderr timeout 20 "$VMLOCK" run --wait 5 --lock "$a" -- sh -c 'echo got it'
	took=$(elapsed "$t0")
	assert_output "got it"
	float_between "$took" 0 5
	assert_free "$a"
}

@test "--wait 5 succeeds once a readonly holder exits (shared waiter, polling path)" {
	a=$(mkimg a.img)
	start_holder "$a:readonly" -- sleep 1
	run -0 --separate-stderr timeout 20 "$VMLOCK" run --wait 5 --lock "$a:shared" -- true
}

@test "--wait -1 waits until the holder exits" {
	a=$(mkimg a.img)
	start_holder "$a"
	holder=$HOLDER_PID
	start_bg timeout 60 "$VMLOCK" run --wait -1 --lock "$a" -- sh -c 'echo waited'
	waiter=$BG_PID
	sleep 1.5
	alive "$waiter" || fail "the --wait -1 launcher gave up: $(cat "$BATS_TEST_TMPDIR/holder.$waiter.err")"
	kill_wait "$holder"
	t0=$(now)
	wait "$waiter" || fail "waiter failed: $? $(cat "$BATS_TEST_TMPDIR/holder.$waiter.err")"
	float_between "$(elapsed "$t0")" 0 10
	run cat "$BATS_TEST_TMPDIR/holder.$waiter.out"
	assert_output waited
}

@test "a waiting launcher holds none of its free images while it waits" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	start_holder "$b"
	holder=$HOLDER_PID
	start_bg "$VMLOCK" run --wait -1 --lock "$a" --lock "$b" -- sleep 300
	waiter=$BG_PID
	sleep 1
	alive "$waiter"
	# A stays usable by others while the waiter waits for B
	run -0 --separate-stderr "$VMLOCK" run --lock "$a" -- true
	run -0 --separate-stderr "$VMLOCK" run --lock "$a" -- true
	kill_wait "$holder"
	wait_held "$waiter" "$a"
	wait_held "$waiter" "$b"
}

@test "two waiters for one exclusive lock: exactly one gets it when the holder exits, then the other" {
	a=$(mkimg a.img)
	start_holder "$a"
	holder=$HOLDER_PID
	start_bg "$VMLOCK" run --wait -1 --lock "$a" -- sleep 300
	w1=$BG_PID
	start_bg "$VMLOCK" run --wait -1 --lock "$a" -- sleep 300
	w2=$BG_PID
	sleep 0.5
	alive "$w1"
	alive "$w2"
	kill_wait "$holder"
	held_by_one() {
		vl_py heldby "$w1" "$a" || vl_py heldby "$w2" "$a"
	}
	wait_until "$VL_PATIENCE" held_by_one || fail "no waiter took the lock"
	# give a wrong second winner time to show up
	sleep 0.5
	n=0
	vl_py heldby "$w1" "$a" && n=$((n + 1))
	vl_py heldby "$w2" "$a" && n=$((n + 1))
	[[ $n == 1 ]] || fail "$n waiters hold the exclusive lock"
	if vl_py heldby "$w1" "$a"; then winner=$w1 loser=$w2; else winner=$w2 loser=$w1; fi
	alive "$loser"
	kill_wait "$winner"
	wait_held "$loser" "$a"
}

@test "two waiters wanting the same two images in opposite orders do not deadlock" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	start_holder "$a" "$b" -- sleep 1
	start_bg timeout 60 "$VMLOCK" run --wait 30 --lock "$a" --lock "$b" -- sleep 0.3
	w1=$BG_PID
	start_bg timeout 60 "$VMLOCK" run --wait 30 --lock "$b" --lock "$a" -- sleep 0.3
	w2=$BG_PID
	st1=0 st2=0
	wait "$w1" || st1=$?
	wait "$w2" || st2=$?
	[[ $st1 == 0 && $st2 == 0 ]] || fail "waiters ended $st1 and $st2 (124: deadlocked): $(cat "$BATS_TEST_TMPDIR"/bg.*.err)"
	assert_free "$a"
	assert_free "$b"
}

# Runs vmlock with SIGALRM blocked (or ignored), as a parent may leave it:
# the state survives exec. Prints: STATUS SECONDS, then the output.
alarm_run() {	# block|ignore VMLOCK-ARGS...
	local how=$1 start rc=0 out
	shift
	local set='use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGALRM));'
	[[ $how == ignore ]] && set='$SIG{ALRM} = "IGNORE";'
	start=$(now)
	out=$(perl -e "$set"' exec @ARGV or die' "$VMLOCK" "$@" 2>&1) || rc=$?
	echo "$rc $(elapsed "$start")"
	printf '%s\n' "$out"
}

# not through sh: dash unblocks every signal as it starts
STATUS_CMD=(grep -E "^(SigPnd|ShdPnd|SigBlk|SigIgn):" /proc/self/status)

sig_field() {	# FIELD: hex value in $output
	printf '%s\n' "$output" | sed -n "s/^$1:[[:space:]]*//p"
}

has_sigalrm() {	# HEX: is bit 14 (SIGALRM) set?
	(( (16#$1 >> 13) & 1 ))
}

@test "SIGALRM blocked by the caller: --wait still ends on time" {
	in_tmpdir a.img
	start_holder a.img
	run alarm_run block run --wait 1 --lock a.img -- true
	read -r status_code seconds <<<"${lines[0]}"
	assert_equal "$status_code" 75
	float_between "$seconds" 0.8 4
}

@test "SIGALRM blocked or ignored: the command gets that state back, nothing pending" {
	in_tmpdir a.img
	start_holder a.img -- sleep 0.5
	run alarm_run block run --wait 10 --lock a.img -- "${STATUS_CMD[@]}"
	read -r status_code seconds <<<"${lines[0]}"
	assert_equal "$status_code" 0	# not killed by a stray SIGALRM
	has_sigalrm "$(sig_field SigBlk)"
	! has_sigalrm "$(sig_field SigPnd)"
	! has_sigalrm "$(sig_field ShdPnd)"
	start_holder a.img -- sleep 0.5
	run alarm_run ignore run --wait 10 --lock a.img -- "${STATUS_CMD[@]}"
	read -r status_code seconds <<<"${lines[0]}"
	assert_equal "$status_code" 0
	has_sigalrm "$(sig_field SigIgn)"
}

# cpu_of_wait SPEC_HELD SPEC_WANTED: CPU seconds of a 2 s --wait that runs out.
cpu_of_wait() {
	local a
	a=$(mkimg a.img)
	start_holder "$a:$1"
	run -0 --separate-stderr vl_py rusage timeout 20 "$VMLOCK" run --wait 2 --lock "$a:$2" -- true
	read -r st cpu <<<"$output"
	[[ $st == 75 ]] || fail "waiter status $st"
	awk -v c="$cpu" 'BEGIN { exit !(c < 0.2) }' || fail "a 2 s wait burnt ${cpu}s of CPU"
}

@test "waiting does not burn CPU (exclusive held, exclusive wanted)" { cpu_of_wait exclusive exclusive; }
@test "waiting does not burn CPU (shared held, readonly wanted)" { cpu_of_wait shared readonly; }
@test "waiting does not burn CPU (readonly held, exclusive wanted)" { cpu_of_wait readonly exclusive; }

# --- RLIMIT_NOFILE -----------------------------------------------------------

mkmany() {
	local i
	mkdir "$BATS_TEST_TMPDIR/many"
	LOCKS=()
	for ((i = 0; i < $1; i++)); do
		: >"$BATS_TEST_TMPDIR/many/$i.img"
		LOCKS+=(--lock "$BATS_TEST_TMPDIR/many/$i.img")
	done
}

count_fds='n=0; for f in /proc/$$/fd/*; do case $(readlink "$f") in */many/*.img) n=$((n+1));; esac; done; echo $n'

@test "1000 images lock with the default limits" {
	mkmany 1000
	run -0 --separate-stderr timeout 60 "$VMLOCK" run "${LOCKS[@]}" -- sh -c "$count_fds"
	assert_output 1000
	assert_free "$BATS_TEST_TMPDIR/many/0.img"
	assert_free "$BATS_TEST_TMPDIR/many/999.img"
}

@test "1000 images with a soft RLIMIT_NOFILE of 256: vmlock raises the soft limit" {
	mkmany 1000
	hard=$(ulimit -Hn)
	[[ $hard == unlimited ]] || ((hard >= 1100)) || fail "hard limit $hard too low for this test"
	run -0 --separate-stderr timeout 60 bash -c 'ulimit -Sn 256 && exec "$@"' _ \
		"$VMLOCK" run "${LOCKS[@]}" -- sh -c "$count_fds"
	assert_output 1000
}

@test "1000 images with a hard RLIMIT_NOFILE of 200: 71 naming RLIMIT_NOFILE, nothing locked" {
	mkmany 1000
	run --separate-stderr timeout 60 bash -c 'ulimit -n 200 && exec "$@"' _ \
		"$VMLOCK" run "${LOCKS[@]}" -- touch "$BATS_TEST_TMPDIR/ran"
	[[ $status == 71 ]] || fail "status $status: $stderr"
	stderr_has "RLIMIT_NOFILE"
	[[ ! -e $BATS_TEST_TMPDIR/ran ]] || fail "the command ran"
	for i in 0 1 500 999; do
		assert_free "$BATS_TEST_TMPDIR/many/$i.img"
	done
}

@test "a busy image among 1000 with a raised soft limit: 75, none of the others left locked" {
	mkmany 1000
	start_holder "$BATS_TEST_TMPDIR/many/700.img"
	run --separate-stderr timeout 60 bash -c 'ulimit -Sn 256 && exec "$@"' _ \
		"$VMLOCK" run "${LOCKS[@]}" -- true
	[[ $status == 75 ]] || fail "status $status: $stderr"
	stderr_has "700.img" "pid $HOLDER_PID"
	for i in 0 699 701 999; do
		assert_free "$BATS_TEST_TMPDIR/many/$i.img"
	done
}

# --- help --------------------------------------------------------------------

@test "--help, --version and run --help exit 0 and print usage" {
	run -0 --separate-stderr "$VMLOCK" --help
	assert_output --partial "Usage"
	assert_output --partial "run"
	assert_output --partial "inquire"
	assert_output --partial "revoke"
	run -0 --separate-stderr "$VMLOCK" --version
	assert_output --regexp '^vmlock [0-9]+\.[0-9]+'
	run -0 --separate-stderr "$VMLOCK" run --help
	assert_output --partial "--lock"
	assert_output --partial "--wait"
	assert_output --partial "--dry-run"
	run -0 --separate-stderr "$VMLOCK" inquire --help
	assert_output --partial "--json"
	run -0 --separate-stderr "$VMLOCK" revoke --help
	assert_output --partial "--grace"
}

@test "no command or an unknown command: 64 with usage on stderr" {
	run -64 --separate-stderr "$VMLOCK"
	stderr_has "Usage"
	run -64 --separate-stderr "$VMLOCK" frobnicate
	stderr_has "frobnicate" "Usage"
	[[ -z $output ]] || fail "usage error printed to stdout: $output"
}
