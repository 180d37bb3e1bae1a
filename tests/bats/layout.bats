#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# The source layout keeps its layers one way (README, Layout): a folder
# includes only the folders below it, no header include circle, and the
# QEMU and image readers lock nothing.

load helpers

SRC=$TESTS_SRCDIR/../src

# layer: the folders (besides itself and the installed headers) it may use
declare -gA MAY_USE=(
	[cmd]="setup plan audit api util"
	[audit]="qmp plan lock api util"
	[setup]="drivers api util"
	[plan]="qemu api util"
	[qmp]="qemu api util"
	[qemu]="image api util"
	[image]="api util"
	[drivers]=""
	[lock]="api util"
	[api]="util"
	[util]=""
)

@test "every folder of src/ includes only the layers below it" {
	local dir file inc layer bad=""
	for dir in "$SRC"/*/; do
		layer=$(basename "$dir")
		[[ $layer == include ]] && continue
		[[ -v MAY_USE[$layer] ]] || fail "src/$layer is in no layer of this test"
		for file in "$dir"*.[ch]; do
			while read -r inc; do
				[[ $inc == "$layer" || " ${MAY_USE[$layer]} " == *" $inc "* ]] ||
					bad+="src/$layer/$(basename "$file") includes $inc/"$'\n'
			done < <(sed -n 's|^#include "\([a-z]*\)/.*|\1|p' "$file")
		done
	done
	[[ -z $bad ]] || fail "includes against the layers:"$'\n'"$bad"
}

@test "driver sources include the installed interface only" {
	run grep -n '^#include "[^d]' "$SRC"/drivers/fcntl.c "$SRC"/drivers/lockspace.c \
		"$SRC"/drivers/nop.c "$SRC"/drivers/sanlock*.[ch]
	[[ $status == 1 ]] || fail "a driver includes an internal header: $output"
}

@test "no include circle between headers" {
	run "$PY" - "$SRC" <<'PY'
import os, re, sys
src = sys.argv[1]
graph = {}
for root, _, files in os.walk(src):
    for f in files:
        if f.endswith((".h", ".c")):
            p = os.path.join(root, f)
            name = os.path.relpath(p, src)
            deps = []
            for line in open(p, encoding="utf-8", errors="replace"):
                m = re.match(r'#include ["<]((?:[a-z]+/)?[a-z_]+\.h)[">]', line)
                if m:
                    d = m.group(1)
                    deps.append("include/" + d if d.startswith("vmlock/") else d)
            graph[name] = [d for d in deps if os.path.exists(os.path.join(src, d))]
state = {}
def visit(n, path):
    if state.get(n) == 1:
        sys.exit("include circle: " + " -> ".join(path + [n]))
    if state.get(n) == 2:
        return
    state[n] = 1
    for d in graph.get(n, []):
        visit(d, path + [n])
    state[n] = 2
for n in graph:
    visit(n, [])
print(len(graph), "files")
PY
	assert_success
}

@test "the QEMU and image readers take no lock" {
	run grep -nE 'F_OFD_SETLK|F_SETLK|flock\(|lockf\(|lp_lock|fdlock_' \
		"$SRC"/qemu/*.c "$SRC"/image/*.c
	[[ $status == 1 ]] || fail "a reader locks: $output"
}
