#!/usr/bin/env bats
# Regressions found in review: signals, handover acceptance, inquire --all,
# limits, configuration for non-root users, devices never opened.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkimg a.img
	mkimg b.img
	mkimg c.img
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
	start_holder a.img
	run alarm_run block run --wait 1 --lock a.img -- true
	read -r status_code seconds <<<"${lines[0]}"
	assert_equal "$status_code" 75
	float_between "$seconds" 0.8 4
}

@test "SIGALRM blocked or ignored: the command gets that state back, nothing pending" {
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

@test "handover refuses a slot already held by an earlier target" {
	start_holder a.img
	src=$HOLDER_PID
	start_bg "$VMLOCK" handover --pid "$src" --timeout 10
	ho=$BG_PID
	wait_until "$VMLOCK inquire --json a.img | grep -q '\"role\": \"offer\"'"
	start_bg "$VMLOCK" run --incoming --lock a.img -- sleep 300
	wait $ho	# the first handover completes
	# the migration failed; the target was left behind; try again
	run "$VMLOCK" handover --pid "$src" --timeout 1
	assert_failure 75
	assert_output --partial "held already, by an earlier incoming target"
}

@test "a target that takes a slot and then fails (all or nothing) is no handover" {
	start_holder a.img
	src=$HOLDER_PID
	start_holder c.img	# the target's second image is busy
	start_bg "$VMLOCK" handover --pid "$src" --timeout 2
	ho=$BG_PID
	wait_until "$VMLOCK inquire --json a.img | grep -q '\"role\": \"offer\"'"
	for _ in 1 2 3 4 5; do
		run "$VMLOCK" run --incoming --lock a.img --lock c.img -- true
		assert_failure 75
	done
	ho_status=0
	wait $ho || ho_status=$?
	assert_equal "$ho_status" 75
	run "$VMLOCK" run --lock a.img:readonly -- true
	assert_failure 75	# the source still holds it
}

@test "inquire --all: one row per file however /proc/locks orders them; no lockf locks" {
	start_holder a.img:readonly
	start_holder b.img
	start_holder a.img:readonly
	$PY -c '
import fcntl, sys, time
f = open("c.img", "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
sys.stdout.write("locked\n"); sys.stdout.flush()
time.sleep(300)' > lockf.out 3>&- &
	track_pid $!
	wait_until "grep -q locked lockf.out"
	run "$VMLOCK" inquire --all --json
	assert_success
	rows=$(printf '%s' "$output" | $PY -c '
import json, sys
paths = [r["path"] for r in json.load(sys.stdin)["resources"]]
print(paths.count(sys.argv[1]), paths.count(sys.argv[2]), paths.count(sys.argv[3]),
      sum(1 for p in paths if p.startswith("inode:")))' \
		"$BATS_TEST_TMPDIR/a.img" "$BATS_TEST_TMPDIR/b.img" "$BATS_TEST_TMPDIR/c.img")
	assert_equal "$rows" "1 1 0 0"
}

@test "inquire --all as another user: held files show held, without pid" {
	open_tmpdir_to_others
	chmod 644 a.img
	start_holder a.img
	run as_nobody "$VMLOCK" inquire --all --json
	assert_success
	assert_output --partial '"mode": "exclusive", "holders": [{"pid": null, "host": "local"'
	refute_output --partial '"mode": null'
}

@test "--wait beyond 1e9 seconds is a usage error, not an instant timeout" {
	run "$VMLOCK" run --wait 1e300 --lock a.img -- true
	assert_failure 64
	assert_output --partial "--wait"
}

@test "config user = is for runs started as root; others ignore it" {
	open_tmpdir_to_others
	chmod 666 a.img
	printf 'user = nobody\n' > conf
	chmod 644 conf
	run as_nobody "$VMLOCK" run --config "$BATS_TEST_TMPDIR/conf" --lock a.img -- id -u
	assert_success
	assert_output 65534
}

@test "character devices and fifos are never opened" {
	command -v strace >/dev/null || skip "strace is not installed"
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	mkfifo fifo
	run strace -f -e trace=openat -o trace "$VMLOCK" run --lock /dev/zero --lock fifo -- true
	assert_failure 66
	assert_output --partial "not a regular file or block device"
	run grep -E '"(/dev/zero|[^"]*fifo)"' trace
	assert_failure
}

@test "a qcow2 backing name far into the first cluster is still found" {
	qemu-img create -q -f qcow2 base.qcow2 1M
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
	# move the backing name to byte 40000 (the cluster is 64 KiB)
	$PY - top.qcow2 <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    head = f.read(72)
    off, size = struct.unpack(">QI", head[8:20])
    f.seek(off); name = f.read(size)
    f.seek(40000); f.write(name)
    f.seek(8); f.write(struct.pack(">Q", 40000))
PY
	run "$VMLOCK" run --dry-run -- qemu-system-x86_64 -drive file=top.qcow2,if=none
	assert_success
	assert_line --index 1 "readonly	$BATS_TEST_TMPDIR/base.qcow2"
}
