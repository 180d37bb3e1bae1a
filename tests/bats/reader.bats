#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# The QEMU command-line and image readers, seen through
# "vmlock run --dry-run": one line per resource, MODE<TAB>PATH, in
# command-line order, each image followed by its backing chain. Images are
# made by the real qemu-img.

bats_require_minimum_version 1.5.0
load helpers

Q=qemu-system-x86_64
TAB=$'\t'

setup() {
	command -v qemu-img >/dev/null || fail "qemu-img not installed"
	D=$(cd "$BATS_TEST_TMPDIR" && pwd -P)
	cd "$D"
}

# qcow2 NAME [BACKING [BACKING_FORMAT]]
qcow2() {
	if [[ -n ${2-} ]]; then
		qemu-img create -q -f qcow2 -b "$2" -F "${3:-qcow2}" "$1"
	else
		qemu-img create -q -f qcow2 "$1" 1M
	fi
}

# dry_run QEMU-ARGS...: vmlock run --dry-run -- qemu-system-x86_64 -M none ARGS
dry_run() {
	"$VMLOCK" run --dry-run -- "$Q" -M none "$@"
}

# plan LINE...: the expected output, "MODE PATH" joined by a tab
plan() {
	local line
	for line in "$@"; do
		printf '%s\n' "${line/ /$TAB}"
	done
}

@test "a relative backing chain follows the image" {
	qcow2 base.qcow2
	qcow2 top.qcow2 base.qcow2
	run -0 --separate-stderr dry_run -drive file=top.qcow2,if=virtio
	assert_output "$(plan "exclusive $D/top.qcow2" "readonly $D/base.qcow2")"
}

@test "absolute backing names, three levels, image named from another directory" {
	mkdir sub
	qcow2 "$D/base.qcow2"
	qcow2 "$D/mid.qcow2" "$D/base.qcow2"
	qcow2 sub/top.qcow2 "$D/mid.qcow2"
	cd /
	run -0 --separate-stderr "$VMLOCK" run --dry-run -- "$Q" -M none -hda "$D/sub/top.qcow2"
	assert_output "$(plan "exclusive $D/sub/top.qcow2" "readonly $D/mid.qcow2" "readonly $D/base.qcow2")"
}

@test "a relative backing name is resolved beside the overlay, not the cwd" {
	mkdir -p images other
	qcow2 images/base.qcow2
	qcow2 images/top.qcow2 base.qcow2
	qcow2 other/base.qcow2
	cd other
	run -0 --separate-stderr dry_run -hda ../images/top.qcow2
	assert_output "$(plan "exclusive $D/images/top.qcow2" "readonly $D/images/base.qcow2")"
}

@test "command-line order: each image followed by its own chain" {
	qcow2 b1.qcow2
	qcow2 t1.qcow2 b1.qcow2
	qcow2 b2.qcow2
	qcow2 t2.qcow2 b2.qcow2
	run -0 --separate-stderr dry_run -drive file=t1.qcow2 t2.qcow2
	assert_output "$(plan "exclusive $D/t1.qcow2" "readonly $D/b1.qcow2" \
		"exclusive $D/t2.qcow2" "readonly $D/b2.qcow2")"
}

@test "modes: -snapshot, readonly=on, -cdrom, share-rw=on" {
	qcow2 base.qcow2
	qcow2 top.qcow2 base.qcow2
	qcow2 a.qcow2
	qcow2 b.qcow2
	qcow2 c.qcow2
	run -0 --separate-stderr dry_run -snapshot -drive file=top.qcow2
	assert_output "$(plan "readonly $D/top.qcow2" "readonly $D/base.qcow2")"
	run -0 --separate-stderr dry_run -drive file=a.qcow2,readonly=on -cdrom b.qcow2 \
		-drive file=c.qcow2,if=none,id=d0 -device virtio-blk-pci,drive=d0,share-rw=on
	assert_output "$(plan "readonly $D/a.qcow2" "readonly $D/b.qcow2" "shared $D/c.qcow2")"
}

@test "-blockdev: dotted and JSON, node references, -snapshot does not apply" {
	qcow2 base.qcow2
	qcow2 top.qcow2 base.qcow2
	qcow2 j.qcow2
	run -0 --separate-stderr dry_run -snapshot \
		-blockdev driver=file,node-name=f,filename=top.qcow2 \
		-blockdev driver=qcow2,node-name=q,file=f \
		-blockdev '{"driver": "qcow2", "node-name": "j", "read-only": true, "file": {"driver": "file", "filename": "j.qcow2"}}'
	assert_output "$(plan "exclusive $D/top.qcow2" "readonly $D/base.qcow2" "readonly $D/j.qcow2")"
	# QEMU refuses a -blockdev without node-name, and so does vmlock
	run -64 --separate-stderr dry_run -blockdev driver=file,filename=j.qcow2
	[[ $stderr == *"node-name"* ]] || fail "message: $stderr"
}

@test "QED images and their backing files" {
	qcow2 base.qcow2
	qemu-img create -q -f qed -b base.qcow2 -F qcow2 top.qed
	run -0 --separate-stderr dry_run -drive file=top.qed,format=qed
	assert_output "$(plan "exclusive $D/top.qed" "readonly $D/base.qcow2")"
}

@test "an external data file is locked with its image" {
	qemu-img create -q -f qcow2 -o data_file=data.raw img.qcow2 1M
	run -0 --separate-stderr dry_run -drive file=img.qcow2
	assert_output "$(plan "exclusive $D/img.qcow2" "exclusive $D/data.raw")"
	run -0 --separate-stderr dry_run -drive file=img.qcow2,readonly=on
	assert_output "$(plan "readonly $D/img.qcow2" "readonly $D/data.raw")"
}

@test "a json: backing name is followed" {
	qcow2 base.qcow2
	qemu-img create -q -f qcow2 -u -F qcow2 \
		-b "json:{\"driver\": \"qcow2\", \"file\": {\"driver\": \"file\", \"filename\": \"$D/base.qcow2\"}}" \
		top.qcow2 1M
	run -0 --separate-stderr dry_run -hda top.qcow2
	assert_output "$(plan "exclusive $D/top.qcow2" "readonly $D/base.qcow2")"
}

@test "VMDK: extents of a descriptor and a parentFileNameHint" {
	qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentFlat flat.vmdk 1M
	qemu-img create -q -f vmdk vbase.vmdk 1M
	qemu-img create -q -f vmdk -b vbase.vmdk -F vmdk vtop.vmdk
	run -0 --separate-stderr dry_run -hda flat.vmdk -drive file=vtop.vmdk,format=vmdk
	assert_output "$(plan "exclusive $D/flat.vmdk" "exclusive $D/flat-f001.vmdk" \
		"exclusive $D/vtop.vmdk" "readonly $D/vbase.vmdk")"
}

@test "format=raw: a raw image has no backing chain" {
	qcow2 base.qcow2
	qcow2 top.qcow2 base.qcow2
	run -0 --separate-stderr dry_run -drive file=top.qcow2,format=raw
	assert_output "$(plan "exclusive $D/top.qcow2")"
}

@test "--no-backing turns chains off" {
	qcow2 base.qcow2
	qcow2 top.qcow2 base.qcow2
	run -0 --separate-stderr "$VMLOCK" run --dry-run --no-backing -- "$Q" -M none -hda top.qcow2
	assert_output "$(plan "exclusive $D/top.qcow2")"
}

@test "one file reached by two names is one resource" {
	qcow2 base.qcow2
	qcow2 top.qcow2 base.qcow2
	ln -s top.qcow2 link.qcow2
	run -0 --separate-stderr dry_run -hda top.qcow2 -hdb link.qcow2
	assert_output "$(plan "exclusive $D/top.qcow2" "readonly $D/base.qcow2")"
}

@test "a network disk is skipped with a note; one whose header vmlock cannot read is refused" {
	qcow2 a.qcow2
	run -0 --separate-stderr dry_run -drive file=nbd://localhost:10809/x,format=raw -hda a.qcow2
	assert_output "$(plan "exclusive $D/a.qcow2")"
	[[ $stderr == *"nbd://localhost:10809/x"*"not a local file"* ]] || fail "note: $stderr"
	# with its format probed, or a qcow2 one, QEMU reads a header that may
	# name local backing files: vmlock cannot tell which
	run -64 --separate-stderr dry_run -drive file=nbd://localhost:10809/x -hda a.qcow2
	[[ $stderr == *"cannot read the image header"* ]] || fail "message: $stderr"
	run -64 --separate-stderr dry_run -drive file=nbd://localhost:10809/x,format=qcow2
	[[ $stderr == *"cannot read the image header"* ]] || fail "message: $stderr"
}

@test "a backing chain loop (qemu-img rebase -u) is exit 65 naming the files" {
	qcow2 a.qcow2
	qcow2 b.qcow2 a.qcow2
	qemu-img rebase -u -b b.qcow2 -F qcow2 a.qcow2
	run -65 --separate-stderr dry_run -hda a.qcow2
	assert_output ""
	[[ $stderr == *"$D/a.qcow2: backing chain loops at $D/a.qcow2"* ]] || fail "message: $stderr"
}

@test "a missing backing file is exit 66 naming it and the overlay" {
	qcow2 base.qcow2
	qcow2 top.qcow2 base.qcow2
	rm base.qcow2
	run -66 --separate-stderr dry_run -hda top.qcow2
	[[ $stderr == *"$D/base.qcow2"*"$D/top.qcow2"* ]] || fail "message: $stderr"
}

@test "a corrupt qcow2 header is exit 65 naming the file" {
	qcow2 base.qcow2
	qcow2 top.qcow2 base.qcow2
	# backing_file_size (offset 16) = 2048
	printf '\0\0\010\0' | dd of=top.qcow2 bs=1 seek=16 conv=notrunc status=none
	run -65 --separate-stderr dry_run -hda top.qcow2
	[[ $stderr == *"$D/top.qcow2"*"2048"* ]] || fail "message: $stderr"
}

@test "a directory as backing file is exit 66" {
	mkdir dir.qcow2
	qemu-img create -q -f qcow2 -u -b dir.qcow2 -F qcow2 top.qcow2 1M
	run -66 --separate-stderr dry_run -hda top.qcow2
	[[ $stderr == *"$D/dir.qcow2"*"not a regular file"* ]] || fail "message: $stderr"
}

@test "QEMU arguments vmlock cannot read are exit 64, quoted" {
	run -64 --separate-stderr dry_run -hda=/x
	[[ $stderr == *'"-hda=/x"'* ]] || fail "message: $stderr"
	run -64 --separate-stderr dry_run -no-such-option
	[[ $stderr == *'"-no-such-option"'* ]] || fail "message: $stderr"
	run -64 --separate-stderr dry_run -drive file=a,file.filename=b
	[[ $stderr == *'-drive "file=a,file.filename=b": file.: both a file name and filename='* ]] || fail "message: $stderr"
	run -64 --separate-stderr dry_run -blockdev '{"driver": "file",'
	[[ $stderr == *'-blockdev "{"driver": "file",": invalid JSON'* ]] || fail "message: $stderr"
	run -64 --separate-stderr dry_run -kernel
	[[ $stderr == *'"-kernel" needs a value'* ]] || fail "message: $stderr"
}

@test "option values are never read as disks" {
	qcow2 a.qcow2
	run -0 --separate-stderr dry_run -name vm -kernel vmlinuz -initrd initrd -append x \
		-pidfile pid -D log -serial none -monitor none -m 64 a.qcow2
	assert_output "$(plan "exclusive $D/a.qcow2")"
}

@test "qemu-img: read-only commands lock readonly, -U not at all, writers exclusive" {
	qcow2 base.qcow2
	qcow2 top.qcow2 base.qcow2
	run -0 --separate-stderr "$VMLOCK" run --dry-run -- qemu-img info top.qcow2
	assert_output "$(plan "readonly $D/top.qcow2" "readonly $D/base.qcow2")"
	run -0 --separate-stderr "$VMLOCK" run --dry-run -- qemu-img info -U top.qcow2
	assert_output ""
	run -0 --separate-stderr "$VMLOCK" run --dry-run -- qemu-img commit top.qcow2
	assert_output "$(plan "exclusive $D/top.qcow2" "exclusive $D/base.qcow2")"
	run -0 --separate-stderr "$VMLOCK" run --dry-run -- qemu-img create -f qcow2 -b base.qcow2 -F qcow2 new.qcow2
	assert_output "$(plan "readonly $D/base.qcow2")"
}

@test "qemu-io -r and qemu-nbd -r lock readonly" {
	qcow2 a.qcow2
	run -0 --separate-stderr "$VMLOCK" run --dry-run -- qemu-io -r -c 'read 0 512' a.qcow2
	assert_output "$(plan "readonly $D/a.qcow2")"
	run -0 --separate-stderr "$VMLOCK" run --dry-run -- qemu-nbd -r -k "$D/sock" a.qcow2
	assert_output "$(plan "readonly $D/a.qcow2")"
	run -0 --separate-stderr "$VMLOCK" run --dry-run -- qemu-nbd -k "$D/sock" a.qcow2
	assert_output "$(plan "exclusive $D/a.qcow2")"
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
