#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# vmlock inquire and vmlock revoke.

bats_require_minimum_version 1.5.0
load helpers

# jq-like checks: json_check JSON PYTHON-EXPRESSION [ARGS...]
# The expression sees `d` (the parsed object) and `a` (the extra args) and
# must be true.
json_check() {
	local json=$1 expr=$2
	shift 2
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
a = sys.argv[2:]
ok = eval("(" + sys.argv[1] + ")")
if not ok:
    sys.exit("json check failed: %s\non: %s" % (sys.argv[1], json.dumps(d, indent=1)[:4000]))
' "$expr" "$@" <<<"$json" || fail "json check failed"
}

# --- inquire -----------------------------------------------------------------

@test "inquire on a free image says free" {
	img=$(mkimg disk.img)
	run -0 --separate-stderr "$VMLOCK" inquire "$BATS_TEST_TMPDIR/./disk.img"
	assert_output --regexp "(^|[[:space:]])free[[:space:]]"
	assert_output --partial "$(canon "$img")"
	refute_output --partial "exclusive"
}

@test "inquire on a held image shows mode, pid, role, host and command" {
	img=$(mkimg disk.img)
	start_holder "$img"
	run -0 --separate-stderr "$VMLOCK" inquire "$img"
	refute_output --regexp "(^|[[:space:]])free[[:space:]]"
	line=$(grep -F "$(canon "$img")" <<<"$output") || fail "no row for the image: $output"
	[[ $line =~ (^|[[:space:]])exclusive[[:space:]] ]] || fail "mode: $line"
	[[ $line =~ [[:space:]]$HOLDER_PID[[:space:]] ]] || fail "pid: $line"
	[[ $line =~ [[:space:]]holder[[:space:]] ]] || fail "role: $line"
	[[ $line =~ [[:space:]]local[[:space:]] ]] || fail "host: $line"
	[[ $line =~ [[:space:]]sleep[[:space:]] ]] || fail "command: $line"
}

@test "inquire --json: the keys of vmlock(1) (inquire --json), for a held and a free image" {
	img=$(mkimg disk.img)
	free=$(mkimg free.img)
	ln -s disk.img "$BATS_TEST_TMPDIR/link.img"
	start_holder "$img"
	run -0 --separate-stderr "$VMLOCK" inquire --json "$BATS_TEST_TMPDIR/link.img" "$free"
	json_check "$output" '
len(d["resources"]) == 2 and
d["resources"][0]["path"] == a[0] and d["resources"][0]["mode"] == "exclusive" and
len(d["resources"][0]["holders"]) == 1 and
d["resources"][0]["holders"][0] == {**d["resources"][0]["holders"][0],
    "pid": int(a[1]), "host": "local", "mode": "exclusive",
    "command": "sleep", "name": None, "role": "holder"} and
set(d["resources"][0]["holders"][0]) >= {"pid", "host", "mode", "command", "name", "role"} and
d["resources"][1]["path"] == a[2] and
d["resources"][1]["mode"] is None and d["resources"][1]["holders"] == []
' "$(canon "$img")" "$HOLDER_PID" "$(canon "$free")"
}

@test "inquire --json lists two readonly holders, and two shared ones" {
	ro=$(mkimg ro.img)
	sh=$(mkimg sh.img)
	start_holder "$ro:readonly" "$sh:shared"
	h1=$HOLDER_PID
	start_holder "$ro:readonly" "$sh:shared"
	h2=$HOLDER_PID
	run -0 --separate-stderr "$VMLOCK" inquire --json "$ro" "$sh"
	json_check "$output" '
[r["mode"] for r in d["resources"]] == ["readonly", "shared"] and
all(sorted(h["pid"] for h in r["holders"]) == sorted(map(int, a)) for r in d["resources"]) and
all(h["mode"] == r["mode"] and h["role"] == "holder" and h["host"] == "local"
    for r in d["resources"] for h in r["holders"])
' "$h1" "$h2"
	# the table has one row per holder
	run -0 --separate-stderr "$VMLOCK" inquire "$ro"
	[[ $(grep -c "readonly.*$(canon "$ro")" <<<"$output") == 2 ]] || fail "$output"
}

@test "inquire --all lists every held image with its path, and no free one" {
	a=$(mkimg a.img)
	b=$(mkimg b.img)
	c=$(mkimg c.img)
	start_holder "$a"
	ha=$HOLDER_PID
	start_holder "$b:readonly"
	hb=$HOLDER_PID
	run -0 --separate-stderr "$VMLOCK" inquire --all --json
	json_check "$output" '
(lambda r: a[0] in r and a[2] in r and a[4] not in r and
  r[a[0]]["mode"] == "exclusive" and [h["pid"] for h in r[a[0]]["holders"]] == [int(a[1])] and
  r[a[2]]["mode"] == "readonly" and [h["pid"] for h in r[a[2]]["holders"]] == [int(a[3])])(
  {x["path"]: x for x in d["resources"]})
' "$(canon "$a")" "$ha" "$(canon "$b")" "$hb" "$(canon "$c")"
	run -0 --separate-stderr "$VMLOCK" inquire --all
	assert_output --partial "$(canon "$a")"
	assert_output --partial "$(canon "$b")"
	refute_output --partial "$(canon "$c")"
	# once the holders are gone, --all forgets them
	kill_wait "$ha"
	kill_wait "$hb"
	run -0 --separate-stderr "$VMLOCK" inquire --all
	refute_output --partial "$(canon "$a")"
	refute_output --partial "$(canon "$b")"
}

@test "inquire --all: one row per file however /proc/locks orders them; no lockf locks" {
	in_tmpdir a.img b.img c.img
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
	wait_until "$VL_PATIENCE" grep -q locked lockf.out || fail "the lockf holder never locked"
	run "$VMLOCK" inquire --all --json
	assert_success
	# others on this host may hold files of their own: count only ours,
	# by path and by the inode: name of a file shown without one
	rows=$(printf '%s' "$output" | $PY -c '
import json, os, sys
paths = [r["path"] for r in json.load(sys.stdin)["resources"]]
def inode(p):
    st = os.stat(p)
    return "inode:%x:%x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
print(paths.count(sys.argv[1]), paths.count(sys.argv[2]), paths.count(sys.argv[3]),
      sum(paths.count(inode(p)) for p in sys.argv[1:]))' \
		"$BATS_TEST_TMPDIR/a.img" "$BATS_TEST_TMPDIR/b.img" "$BATS_TEST_TMPDIR/c.img")
	assert_equal "$rows" "1 1 0 0"
}

@test "inquire --all as another user: held files show held, without pid" {
	in_tmpdir a.img
	open_tmpdir_to_others
	chmod 644 a.img
	start_holder a.img
	run as_nobody "$VMLOCK" inquire --all --json
	assert_success
	# the row of a.img (by inode: its holder's path is not nobody's to
	# see); others on this host may hold files of their own, or offer them
	row=$(printf '%s' "$output" | $PY -c '
import json, os, sys
st = os.stat(sys.argv[1])
want = "inode:%x:%x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
for r in json.load(sys.stdin)["resources"]:
    if r["path"] in (want, sys.argv[1]):
        print(r["mode"], [(h["pid"], h["host"], h["mode"]) for h in r["holders"]])' \
		"$BATS_TEST_TMPDIR/a.img")
	assert_equal "$row" "exclusive [(None, 'local', 'exclusive')]"
}

@test "inquire and run agree about a file another program flock(2)s" {
	img=$(mkimg disk.img)
	ready=$BATS_TEST_TMPDIR/flock.ready
	# --no-fork: the pid start_bg records (and teardown kills) is the holder
	start_bg flock --no-fork "$img" sh -c ': >"$1"; exec sleep 300' sh "$ready"
	wait_until "$VL_PATIENCE" test -e "$ready" || fail "flock not ready"
	run -0 --separate-stderr "$VMLOCK" inquire --json "$img"
	said=$output
	run -0 --separate-stderr "$VMLOCK" inquire --all
	all=$output
	run --separate-stderr "$VMLOCK" run --lock "$img" -- true
	case $status in
	0)	# run took it exclusive: then it was free
		json_check "$said" 'd["resources"][0]["mode"] is None'
		[[ $all != *"$(canon "$img")"* ]] || fail "inquire --all lists it: $all" ;;
	75)	json_check "$said" 'd["resources"][0]["mode"] is not None' ;;
	*)	fail "run: status $status: $stderr" ;;
	esac
}

@test "inquire does not block on a held lock, nor take it" {
	img=$(mkimg disk.img)
	start_holder "$img"
	t0=$(now)
	run -0 --separate-stderr timeout 10 "$VMLOCK" inquire "$img"
	float_between "$(elapsed "$t0")" 0 5
	# inquire left the holder alone
	alive "$HOLDER_PID"
	vl_py heldby "$HOLDER_PID" "$img"
	# and inquire of a free image leaves it free
	free=$(mkimg free.img)
	run -0 "$VMLOCK" inquire "$free"
	assert_free "$free"
}

@test "inquire of a missing file: 66 naming it; the others are still reported" {
	img=$(mkimg disk.img)
	run -66 --separate-stderr "$VMLOCK" inquire "$BATS_TEST_TMPDIR/missing.img"
	[[ $stderr == *"$BATS_TEST_TMPDIR/missing.img"* ]] || fail "stderr: $stderr"
	run -66 --separate-stderr "$VMLOCK" inquire --json "$BATS_TEST_TMPDIR/missing.img" "$img"
	json_check "$output" '[r["path"] for r in d["resources"]] == [a[0]]' "$(canon "$img")"
}

@test "inquire without a path: 64" {
	run -64 --separate-stderr "$VMLOCK" inquire
	run -64 --separate-stderr "$VMLOCK" inquire --no-such-option "$BATS_TEST_TMPDIR"
}

@test "inquire as user nobody on a readable image held by root" {
	open_tmpdir_to_others
	img=$(mkimg disk.img)
	free=$(mkimg free.img)
	chmod 0644 "$img" "$free"
	start_holder "$img"
	run -0 --separate-stderr as_nobody "$VMLOCK" inquire --json "$img" "$free"
	# held (by a process nobody may not look into), on this host; the free
	# one is free
	json_check "$output" '
d["resources"][0]["mode"] == "exclusive" and len(d["resources"][0]["holders"]) >= 1 and
all(h["host"] == "local" for h in d["resources"][0]["holders"]) and
d["resources"][1]["mode"] is None and d["resources"][1]["holders"] == []
'
	run -0 --separate-stderr as_nobody "$VMLOCK" inquire "$img"
	refute_output --regexp "(^|[[:space:]])free[[:space:]]"
}

@test "inquire as user nobody on an image held by nobody shows the pid" {
	open_tmpdir_to_others
	img=$(mkimg disk.img)
	chmod 0666 "$img"
	start_bg "${NOBODY[@]}" "$VMLOCK" run --lock "$img" -- sleep 300
	wait_held "$BG_PID" "$img"
	run -0 --separate-stderr as_nobody "$VMLOCK" inquire --json "$img"
	json_check "$output" '[h["pid"] for h in d["resources"][0]["holders"]] == [int(a[0])]' "$BG_PID"
}

@test "inquire as user nobody on an unreadable image held by root does not say free" {
	open_tmpdir_to_others
	img=$(mkimg disk.img)
	chmod 0600 "$img"
	start_holder "$img"
	run --separate-stderr as_nobody "$VMLOCK" inquire --json "$img"
	# either a permission error, or an answer that is not "free"
	if [[ $status == 0 ]]; then
		json_check "$output" 'd["resources"][0]["mode"] is not None and d["resources"][0]["holders"] != []'
	else
		[[ $status == 77 ]] || fail "status $status: $stderr"
	fi
}

# --- revoke ------------------------------------------------------------------

@test "revoke kills the holder with TERM, exits 0, and the image is free" {
	img=$(mkimg disk.img)
	start_holder "$img"
	run -0 --separate-stderr timeout 30 "$VMLOCK" revoke "$img"
	st=0
	wait "$HOLDER_PID" || st=$?
	[[ $st == $((128 + 15)) ]] || fail "holder ended with status $st, not by SIGTERM"
	assert_free "$img"
}

@test "revoke kills every holder of a readonly image, through a symlink" {
	img=$(mkimg disk.img)
	ln -s disk.img "$BATS_TEST_TMPDIR/link.img"
	start_holder "$img:readonly"
	h1=$HOLDER_PID
	start_holder "$img:readonly"
	h2=$HOLDER_PID
	run -0 --separate-stderr timeout 30 "$VMLOCK" revoke "$BATS_TEST_TMPDIR/link.img"
	wait "$h1" || true
	wait "$h2" || true
	assert_free "$img"
}

@test "revoke --grace 1 SIGKILLs a holder that ignores TERM" {
	img=$(mkimg disk.img)
	ready=$BATS_TEST_TMPDIR/ready
	start_holder "$img" -- "$PY" -c '
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1], "w").close()
time.sleep(120)
' "$ready"
	wait_until "$VL_PATIENCE" test -e "$ready" || fail "holder not ready"
	t0=$(now)
	run -0 --separate-stderr timeout 30 "$VMLOCK" revoke --grace 1 "$img"
	took=$(elapsed "$t0")
	st=0
	wait "$HOLDER_PID" || st=$?
	[[ $st == $((128 + 9)) ]] || fail "holder ended with status $st, not by SIGKILL"
	float_between "$took" 0.8 10
	assert_free "$img"
}

@test "revoke --signal KILL (and 9, SIGKILL) kills at once" {
	img=$(mkimg disk.img)
	for sig in KILL 9 SIGKILL; do
		start_holder "$img"
		run -0 --separate-stderr timeout 30 "$VMLOCK" revoke --signal "$sig" "$img"
		st=0
		wait "$HOLDER_PID" || st=$?
		[[ $st == $((128 + 9)) ]] || fail "--signal $sig: holder ended with status $st"
		assert_free "$img"
	done
}

@test "revoke of a free image exits 0 and changes nothing; of a missing one 66" {
	img=$(mkimg disk.img)
	run -0 --separate-stderr timeout 30 "$VMLOCK" revoke "$img"
	assert_free "$img"
	run -66 --separate-stderr timeout 30 "$VMLOCK" revoke "$BATS_TEST_TMPDIR/missing.img"
	run -64 --separate-stderr "$VMLOCK" revoke --signal NOSUCHSIG "$img"
	run -64 --separate-stderr "$VMLOCK" revoke --grace soon "$img"
	run -64 --separate-stderr "$VMLOCK" revoke
}

@test "revoke as nobody of a holder owned by root (readable image): 77, holder untouched" {
	open_tmpdir_to_others
	img=$(mkimg disk.img)
	chmod 0644 "$img"
	start_holder "$img"
	run --separate-stderr timeout 60 "${NOBODY[@]}" "$VMLOCK" revoke --grace 1 "$img"
	[[ $status == 77 ]] || fail "status $status, expected 77: $stderr"
	alive "$HOLDER_PID"
	vl_py heldby "$HOLDER_PID" "$img"
}

@test "revoke as nobody of a holder owned by root (unreadable image): 77, holder untouched" {
	open_tmpdir_to_others
	img=$(mkimg disk.img)
	chmod 0600 "$img"
	start_holder "$img"
	run --separate-stderr timeout 60 "${NOBODY[@]}" "$VMLOCK" revoke --grace 1 "$img"
	[[ $status == 77 ]] || fail "status $status, expected 77: $stderr"
	alive "$HOLDER_PID"
}

@test "revoke as nobody of nobody's own holder works" {
	open_tmpdir_to_others
	img=$(mkimg disk.img)
	chmod 0666 "$img"
	start_bg "${NOBODY[@]}" "$VMLOCK" run --lock "$img" -- sleep 300
	wait_held "$BG_PID" "$img"
	run -0 --separate-stderr timeout 30 "${NOBODY[@]}" "$VMLOCK" revoke "$img"
	wait "$BG_PID" || true
	assert_free "$img"
}
