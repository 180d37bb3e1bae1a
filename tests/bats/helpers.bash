# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# Shared setup for the vmlock bats suites: every suite does `load helpers`.
#
# VMLOCK: the binary under test, required (make check exports it), e.g.
#   VMLOCK=$PWD/src/vmlock bats tests/bats
# TESTS_SRCDIR: the tests directory of the source tree (default: the parent
# of this file's directory).
# QMP_TOOL: the QMP client, examples/qmp of the source tree by default.
#
# Every file and socket lives under $BATS_TEST_TMPDIR. Background processes
# started through the helpers below are recorded in $BATS_TEST_TMPDIR/pids
# and teardown kills those pids, and only those. A suite that defines its
# own teardown calls vl_teardown from it.

# bats-support and bats-assert, found through BATS_LIB_PATH (bats defaults
# it to /usr/lib/bats, where Debian's bats-support and bats-assert are).
bats_load_library bats-support
bats_load_library bats-assert

if [[ -z ${VMLOCK-} ]]; then
	echo "helpers.bash: VMLOCK is not set: set it to the vmlock binary under test" \
		"(make check does), e.g. VMLOCK=\$PWD/src/vmlock bats tests/bats" >&2
	return 1
elif [[ ! -f $VMLOCK || ! -x $VMLOCK ]]; then
	echo "helpers.bash: VMLOCK=$VMLOCK is not an executable file" >&2
	return 1
fi
: "${TESTS_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${QMP_TOOL:=$TESTS_SRCDIR/../examples/qmp}"
export VMLOCK TESTS_SRCDIR QMP_TOOL

# The system python: pyenv shims are not usable by user nobody.
if [[ -x /usr/bin/python3 ]]; then
	PY=/usr/bin/python3
else
	PY=$(command -v python3)
fi

# How long helpers wait for something that should happen "at once" on an
# idle machine; generous, for a loaded 2-core box.
VL_PATIENCE=${VL_PATIENCE:-20}

# python3 helpers, run as: $PY -c "$VL_PY" SUBCOMMAND ARGS...
#   probe PATH        prints "free" or "locked": does any process hold any
#                     lock (OFD or POSIX) anywhere in PATH? Independent of
#                     vmlock.
#   heldby PID PATH   exit 0 when an fd of PID refers to PATH (same device
#                     and inode) and carries a lock in its fdinfo.
#   fds PID           "FD TARGET" for every fd of PID.
#   rusage CMD...     runs CMD, prints "STATUS CPU_SECONDS" (user + system
#                     time of CMD and its children).
# (QMP: see qmp below, which runs $QMP_TOOL.)
VL_PY='
import fcntl, os, resource, struct, subprocess, sys

def probe(path):
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        fl = struct.pack("@hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        # OFD first (sees every lock of every other open file description),
        # then classic POSIX.
        for cmd in (getattr(fcntl, "F_OFD_GETLK", 36), fcntl.F_GETLK):
            out = fcntl.fcntl(fd, cmd, fl)
            if struct.unpack("@hhqqi4x", out)[0] != fcntl.F_UNLCK:
                return "locked"
        return "free"
    finally:
        os.close(fd)

def heldby(pid, path):
    st = os.stat(path)
    base = "/proc/%s/fd" % pid
    for fd in os.listdir(base):
        try:
            t = os.stat(os.path.join(base, fd))
        except OSError:
            continue
        if (t.st_dev, t.st_ino) != (st.st_dev, st.st_ino):
            continue
        try:
            with open("/proc/%s/fdinfo/%s" % (pid, fd)) as f:
                if "lock:" in f.read():
                    return True
        except OSError:
            pass
    return False

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "probe":
    print(probe(args[0]))
elif cmd == "heldby":
    try:
        sys.exit(0 if heldby(args[0], args[1]) else 1)
    except OSError:
        sys.exit(1)
elif cmd == "fds":
    base = "/proc/%s/fd" % args[0]
    for fd in sorted(os.listdir(base), key=int):
        try:
            print(fd, os.readlink(os.path.join(base, fd)))
        except OSError:
            pass
elif cmd == "rusage":
    rc = subprocess.call(args)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(rc, "%.3f" % (ru.ru_utime + ru.ru_stime))
else:
    sys.exit("unknown helper " + cmd)
'

vl_py() {
	"$PY" -c "$VL_PY" "$@"
}

# A fresh image file (not QEMU: just bytes) under the test tmpdir; prints its
# absolute path.
mkimg() {
	local p="$BATS_TEST_TMPDIR/$1"
	head -c 4096 /dev/zero >"$p"
	echo "$p"
}

# in_tmpdir [IMG...]: cd to the test tmpdir and make each IMG there (mkimg),
# for tests that name their files relative to it.
in_tmpdir() {
	local n
	cd "$BATS_TEST_TMPDIR" || return 1
	for n; do
		mkimg "$n" >/dev/null || return 1
	done
}

# The canonical path vmlock is expected to print.
canon() {
	realpath -e -- "$1"
}

track_pid() {
	echo "$1" >>"$BATS_TEST_TMPDIR/pids"
}

# Seconds since the epoch, with fractions.
now() {
	date +%s.%N
}

# elapsed START: seconds since START (a `now` value).
elapsed() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'
}

# float_between VALUE LOW HIGH
float_between() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }' ||
		fail "expected $1 to lie within [$2, $3]"
}

# wait_until TIMEOUT CMD...: polls CMD every 50 ms until it succeeds.
wait_until() {
	local timeout=$1 start
	shift
	start=$(now)
	until "$@"; do
		if ! float_between "$(elapsed "$start")" 0 "$timeout" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
}

alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

_pid_holds() {
	alive "$1" || return 2
	vl_py heldby "$1" "$2"
}

# wait_held PID PATH: waits until process PID holds a lock on PATH. Fails at
# once (with the holder's stderr) when PID dies first.
wait_held() {
	local pid=$1 path=$2 start rc
	start=$(now)
	while :; do
		rc=0
		_pid_holds "$pid" "$path" || rc=$?
		[[ $rc == 0 ]] && return 0
		if [[ $rc == 2 ]]; then
			echo "# process $pid died before holding $path" >&2
			cat "$BATS_TEST_TMPDIR/holder.$pid.err" >&2 2>/dev/null
			return 1
		fi
		if ! float_between "$(elapsed "$start")" 0 "$VL_PATIENCE" 2>/dev/null; then
			echo "# process $pid does not hold $path after ${VL_PATIENCE}s" >&2
			return 1
		fi
		sleep 0.05
	done
}

# start_bg CMD...: runs CMD in the background (stdout and stderr to
# $BATS_TEST_TMPDIR/holder.PID.{out,err}, bats' fd 3 closed), records its pid
# in BG_PID and for teardown.
BG_N=0
start_bg() {
	BG_N=$((BG_N + 1))
	"$@" >"$BATS_TEST_TMPDIR/bg.$BG_N.out" 2>"$BATS_TEST_TMPDIR/bg.$BG_N.err" 3>&- </dev/null &
	BG_PID=$!
	track_pid "$BG_PID"
	ln -sf "bg.$BG_N.out" "$BATS_TEST_TMPDIR/holder.$BG_PID.out"
	ln -sf "bg.$BG_N.err" "$BATS_TEST_TMPDIR/holder.$BG_PID.err"
}

# start_holder SPEC... [-- CMD...]: starts `vmlock run --lock SPEC... -- CMD`
# (default CMD: sleep 300) in the background, waits until it holds every
# SPEC's file, and sets HOLDER_PID. The pid is that of vmlock, which execs
# CMD in place.
start_holder() {
	local specs=() s
	while (($#)) && [[ $1 != -- ]]; do
		specs+=(--lock "$1")
		shift
	done
	[[ ${1-} == -- ]] && shift
	(($#)) || set -- sleep 300
	start_bg "$VMLOCK" run "${specs[@]}" -- "$@"
	HOLDER_PID=$BG_PID
	for ((s = 1; s < ${#specs[@]}; s += 2)); do
		wait_held "$HOLDER_PID" "$(_spec_path "${specs[s]}")" || return 1
	done
}

_spec_path() {
	case $1 in
	*:exclusive | *:shared | *:readonly) echo "${1%:*}" ;;
	*) echo "$1" ;;
	esac
}

# Kills a process the test started and reaps it.
kill_wait() {
	local pid=$1 sig=${2:-KILL}
	kill "-$sig" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# assert_free PATH: nobody holds a lock on PATH (checked outside vmlock, and
# by an exclusive vmlock run that must succeed at once).
assert_free() {
	local state
	state=$(vl_py probe "$1") || fail "cannot probe $1"
	[[ $state == free ]] || fail "$1 is still locked ($(grep -c . /proc/locks) lines in /proc/locks)"
	timeout 10 "$VMLOCK" run --lock "$1" -- true ||
		fail "exclusive vmlock run on $1 failed: it is not free"
}

assert_locked() {
	local state
	state=$(vl_py probe "$1") || fail "cannot probe $1"
	[[ $state == locked ]] || fail "$1 is not locked"
}

# require_qemu: skips without QEMU or qemu-img; fails when the test's
# directory leaves no room for a unix socket name in it (sun_path holds
# 108 bytes).
require_qemu() {
	command -v "$QEMU" >/dev/null || skip "$QEMU not installed"
	command -v qemu-img >/dev/null || skip "qemu-img not installed"
	((${#BATS_TEST_TMPDIR} < 80)) ||
		fail "BATS_TEST_TMPDIR is too long for unix sockets: $BATS_TEST_TMPDIR"
}

# require_strace: skips the test without strace; LeakSanitizer cannot run
# under ptrace (the rest of ASan can), so it is off.
require_strace() {
	command -v strace >/dev/null || skip "strace is not installed"
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
}

# require_root WHAT: skips the test, saying why, unless run as root.
require_root() {
	[[ $(id -u) == 0 ]] || skip "needs root to $1 (running as $(id -un))"
}

# Makes $BATS_TEST_TMPDIR and its bats-created parents traversable by other
# users (for the tests that run vmlock as nobody, which need root: they
# skip otherwise).
open_tmpdir_to_others() {
	local d=$BATS_TEST_TMPDIR stop=${BATS_RUN_TMPDIR:-$BATS_TEST_TMPDIR}
	require_root "run vmlock as user nobody"
	while :; do
		chmod o+x "$d"
		[[ $d == "$stop" || $d == / ]] && break
		d=$(dirname "$d")
	done
	as_nobody test -x "$BATS_TEST_TMPDIR" ||
		fail "user nobody cannot reach $BATS_TEST_TMPDIR"
}

# as_nobody CMD...: runs CMD as user nobody (exec, same pid). For use
# under timeout: "${NOBODY[@]}" CMD...
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
as_nobody() {
	"${NOBODY[@]}" "$@"
}

# QEMU -----------------------------------------------------------------------

QEMU=${QEMU:-qemu-system-x86_64}

# qmp CMD_JSON...: sends each whole QMP command line to the QMP socket of
# the last QEMU started and prints each reply on one line ("return" or
# "error"; events skipped). Waits up to $VL_PATIENCE s for the socket, and
# for each reply.
qmp() {
	"$PY" "$QMP_TOOL" --timeout "$VL_PATIENCE" --raw "$QMP_SOCK" "$@"
}

# inquire_holders IMG FIELD...: for each holder `vmlock inquire --json IMG`
# shows, one line of the FIELDs asked (role, pid, mode, name, ...).
inquire_holders() {
	local img=$1
	shift
	"$VMLOCK" inquire --json "$img" | "$PY" -c '
import json, sys
for r in json.load(sys.stdin)["resources"]:
    for h in r["holders"]:
        print(*(h[f] for f in sys.argv[1:]))' "$@"
}

# qemu_cmd: sets QEMU_CMD to a minimal QEMU (no machine, no display) with a
# fresh QMP socket QMP_SOCK under the test tmpdir.
QEMU_N=0
qemu_cmd() {
	QEMU_N=$((QEMU_N + 1))
	QMP_SOCK=$BATS_TEST_TMPDIR/qmp.$QEMU_N.sock
	QEMU_CMD=("$QEMU" -M none -nodefaults -no-user-config -display none
		-qmp "unix:$QMP_SOCK,server=on,wait=off")
}

# start_qemu_vmlock IMG[:MODE] [VMLOCK-RUN-OPTIONS...] [-- EXTRA-QEMU-ARGS...]:
# `vmlock run --lock IMG[:MODE] ... -- qemu-system-x86_64 -M none ...
# -drive file=IMG,...` (readonly=on for a readonly lock) in the background;
# waits until QEMU answers QMP; sets QEMU_PID ($! of the backgrounded
# vmlock, which execs QEMU) and QMP_SOCK.
start_qemu_vmlock() {
	local spec=$1 img opts=() drive
	shift
	img=$(_spec_path "$spec")
	while (($#)) && [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	[[ ${1-} == -- ]] && shift
	drive="file=$img,if=none,id=d0,format=qcow2"
	[[ $spec == *:readonly ]] && drive+=",readonly=on"
	qemu_cmd
	start_bg "$VMLOCK" run --lock "$spec" "${opts[@]}" -- \
		"${QEMU_CMD[@]}" -drive "$drive" "$@"
	QEMU_PID=$BG_PID
	wait_qmp
}

# start_qemu [QEMU-ARGS...]: the same QEMU without vmlock.
start_qemu() {
	qemu_cmd
	start_bg "${QEMU_CMD[@]}" "$@"
	QEMU_PID=$BG_PID
	wait_qmp
}

_qmp_up() {
	[[ -S $QMP_SOCK ]] || ! alive "$QEMU_PID"
}

wait_qmp() {
	wait_until "$VL_PATIENCE" _qmp_up || true
	if ! alive "$QEMU_PID"; then
		echo "# QEMU (pid $QEMU_PID) died:" >&2
		cat "$BATS_TEST_TMPDIR/holder.$QEMU_PID.err" >&2
		return 1
	fi
	run qmp '{"execute": "query-status"}'
	if [[ $status != 0 || $output != *'"return"'* ]]; then
		echo "# QEMU does not answer QMP: $output" >&2
		cat "$BATS_TEST_TMPDIR/holder.$QEMU_PID.err" >&2
		return 1
	fi
}

mkqcow2() {
	local p="$BATS_TEST_TMPDIR/$1"
	qemu-img create -q -f qcow2 "$p" 16M || return 1
	echo "$p"
}

# Teardown -------------------------------------------------------------------

vl_teardown() {
	local pid pids=()
	[[ -f $BATS_TEST_TMPDIR/pids ]] || return 0
	mapfile -t pids <"$BATS_TEST_TMPDIR/pids"
	for pid in "${pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	return 0
}

teardown() {
	vl_teardown
}
