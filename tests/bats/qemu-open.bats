#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The vmlock authors
# The reader opens nodes as QEMU 7.2 does: short booleans and repeated
# keys, backing.* options, nodes used by reference, colons in names,
# filter and test drivers, headers past the first KiB, tool commands,
# -readconfig lines, linear work, qemu-storage-daemon. Each case was one
# where vmlock planned less than QEMU opens. Seen through
# "vmlock run --dry-run" (MODE<TAB>PATH); images made by the real
# qemu-img, or byte by byte where qemu-img cannot make them.

bats_require_minimum_version 1.5.0
load helpers

Q=qemu-system-x86_64
TAB=$'\t'

setup() {
	command -v qemu-img >/dev/null || skip "qemu-img not installed"
	D=$(cd "$BATS_TEST_TMPDIR" && pwd -P)
	cd "$D"
	qemu-img create -q -f qcow2 base.qcow2 1M
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
}

dry() {
	"$VMLOCK" run --dry-run -- "$@"
}

# has MODE NAME: the dry-run output has that line
has() {
	[[ $output == *"$1$TAB$D/$2"* ]] || fail "no \"$1 $2\" in: $output"
}

@test "short booleans and repeated keys: the last value wins, nokey is key=off" {
	run -0 --separate-stderr dry "$Q" -drive file=top.qcow2,if=none,snapshot=on,nosnapshot
	has exclusive top.qcow2
	run -0 --separate-stderr dry "$Q" -snapshot -drive file=top.qcow2,if=none,nosnapshot
	has exclusive top.qcow2
	run -0 --separate-stderr dry "$Q" -drive file=top.qcow2,if=none,snapshot=false,snapshot=on
	has readonly top.qcow2
	# but readonly takes its first value: -drive renames the last one
	run -0 --separate-stderr dry "$Q" -drive file=top.qcow2,if=none,readonly=off,readonly=on
	has exclusive top.qcow2
	run -0 --separate-stderr dry "$Q" -drive file=top.qcow2,if=none,read-only=on,read-only=off
	has exclusive top.qcow2
}

@test "backing.* options that name no file keep the header's chain and data file" {
	qemu-img create -q -f qcow2 -o data_file=data.raw -b base.qcow2 -F qcow2 d.qcow2
	for opt in backing.node-name=b backing.file.locking=off backing.cache.direct=on; do
		run -0 --separate-stderr dry "$Q" -drive "file=d.qcow2,if=none,$opt"
		has exclusive d.qcow2
		has exclusive data.raw
		has readonly base.qcow2
	done
	qemu-img create -q -f qed -b base.qcow2 -F qcow2 t.qed
	run -0 --separate-stderr dry "$Q" -drive file=t.qed,if=none,backing.node-name=b
	has readonly base.qcow2
	# "backing": null drops the backing file, not the data file
	run -0 --separate-stderr dry "$Q" -blockdev \
		'{"driver": "qcow2", "node-name": "n", "backing": null, "file": {"driver": "file", "filename": "d.qcow2"}}'
	has exclusive data.raw
	[[ $output != *base.qcow2* ]] || fail "backing null still locks base: $output"
}

@test "a -blockdev node used as backing= keeps its own read-write" {
	run -0 --separate-stderr dry "$Q" \
		-blockdev driver=file,node-name=bf,filename=base.qcow2 \
		-blockdev driver=qcow2,node-name=b,file=bf \
		-blockdev driver=file,node-name=tf,filename=top.qcow2 \
		-blockdev driver=qcow2,node-name=t,file=tf,backing=b
	has exclusive base.qcow2
	run -0 --separate-stderr dry "$Q" \
		-blockdev driver=file,node-name=bf,filename=base.qcow2,read-only=on \
		-blockdev driver=qcow2,node-name=b,file=bf,read-only=on \
		-blockdev driver=file,node-name=tf,filename=top.qcow2 \
		-blockdev driver=qcow2,node-name=t,file=tf,backing=b
	has readonly base.qcow2
}

@test "a colon is a protocol only in a file name given as a string with no driver" {
	truncate -s 1M vm:web.img
	run -0 --separate-stderr dry "$Q" -drive file.filename=vm:web.img,format=raw
	has exclusive vm:web.img
	run -0 --separate-stderr dry "$Q" -drive file=vm:web.img,file.driver=file,format=raw
	has exclusive vm:web.img
	run -0 --separate-stderr dry "$Q" -drive \
		'file=json:{"driver": "raw",, "file": {"driver": "file",, "filename": "vm:web.img"}}'
	has exclusive vm:web.img
	# given as a string with no driver, QEMU takes vm: for a protocol
	run -64 --separate-stderr dry "$Q" -drive file=vm:web.img,format=raw
	[[ $stderr == *"unknown protocol"* ]] || fail "$stderr"
}

@test "filter and test drivers: blkdebug, blkverify, copy-before-write open their files" {
	qemu-img create -q -f raw a.raw 1M
	qemu-img create -q -f raw b.raw 1M
	run -0 --separate-stderr dry "$Q" -drive file=blkdebug::top.qcow2,if=none
	has exclusive top.qcow2
	has readonly base.qcow2
	run -0 --separate-stderr dry "$Q" -drive driver=blkdebug,x-image=a.raw,if=none
	has exclusive a.raw
	run -0 --separate-stderr dry "$Q" -drive file=blkverify:a.raw:b.raw,if=none
	has exclusive a.raw
	has exclusive b.raw
	run -0 --separate-stderr dry "$Q" -blockdev \
		'{"driver": "blkverify", "node-name": "v", "test": {"driver": "file", "filename": "a.raw"}, "raw": {"driver": "file", "filename": "b.raw"}}'
	has exclusive a.raw
	has exclusive b.raw
	run -0 --separate-stderr dry "$Q" \
		-blockdev driver=file,node-name=t,filename=b.raw \
		-blockdev driver=copy-before-write,node-name=c,file.driver=file,file.filename=a.raw,target=t
	has exclusive a.raw
	has exclusive b.raw
	run -64 --separate-stderr dry "$Q" -blockdev driver=no-such-driver,node-name=x
	[[ $stderr == *"unknown block driver"* ]] || fail "$stderr"
}

# qcow2_with_ext NAME DATA-FILE PAD: a qcow2 v3 image (64 KiB clusters)
# whose data file extension starts PAD bytes into the extension area.
qcow2_with_ext() {
	"$PY" - "$1" "$2" "$3" <<'PY'
import struct, sys
name, data, pad = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
h = bytearray(65536 * 3)
struct.pack_into(">IIQIIQIIQQIIQ", h, 0, 0x514649fb, 3, 0, 0, 16, 1 << 20,
                 0, 1, 3 * 65536, 65536, 0, 0, 0)
struct.pack_into(">QQQII", h, 72, 1 << 2, 0, 0, 4, 104)
off = 104
if pad:
    struct.pack_into(">II", h, off, 0x12345678, pad - 8)   # unknown: skipped
    off += pad
struct.pack_into(">II", h, off, 0x44415441, len(data))
h[off + 8:off + 8 + len(data)] = data
open(name, "wb").write(h)
PY
}

@test "headers past the first KiB: a qcow2 extension at byte 8192, VMDK descriptors of any size" {
	qemu-img create -q -f raw far.raw 1M
	qcow2_with_ext far.qcow2 far.raw $((8192 - 104))
	run -0 --separate-stderr dry "$Q" -drive file=far.qcow2,format=qcow2,if=none
	has exclusive far.raw
	# a 1 TiB twoGbMaxExtentSparse: 512 extents in a 30 KiB descriptor
	qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse big.vmdk 1T
	(( $(stat -c %s big.vmdk) > 8192 )) || fail "descriptor too small"
	run -0 --separate-stderr dry "$Q" -drive file=big.vmdk,if=none
	(( $(grep -c 'big-s[0-9]*\.vmdk' <<<"$output") == 512 )) ||
		fail "$(grep -c vmdk <<<"$output") extents of 512"
	# an extent line QEMU's sscanf reads across a newline, and one long line
	qemu-img create -q -f raw e1.raw 1M
	qemu-img create -q -f raw e2.raw 1M
	{
		printf '# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\n'
		printf 'createType="monolithicFlat"\n'
		printf 'RW 2048\nFLAT "e1.raw" 0\n'
		printf 'RW 2048 FLAT "e2.raw" 0%*s\n' 3000 ' '
	} >odd.vmdk
	run -0 --separate-stderr dry "$Q" -drive file=odd.vmdk,if=none
	has exclusive e1.raw
	has exclusive e2.raw
}

@test "qemu-io commands and qemu-img convert -o name the files they open" {
	qemu-img create -q -f raw other.raw 1M
	run -0 --separate-stderr dry qemu-io -r -c 'open other.raw' base.qcow2
	has readonly base.qcow2
	has exclusive other.raw
	run -0 --separate-stderr dry qemu-io -r -c 'reopen -w' base.qcow2
	has exclusive base.qcow2
	run -0 --separate-stderr dry qemu-io -r -c 'open -r other.raw' base.qcow2
	has readonly other.raw
	qemu-img create -q -f raw data.raw 1M
	run -0 --separate-stderr dry qemu-img convert -O qcow2 \
		-o data_file=data.raw,backing_file=base.qcow2,backing_fmt=qcow2 top.qcow2 out.qcow2
	has exclusive data.raw
	has readonly base.qcow2
}

@test "-readconfig lines are read 1023 bytes at a time, as QEMU reads them" {
	qemu-img create -q -f raw a.img 1M
	qemu-img create -q -f raw b.img 1M
	{
		printf '[drive "d0"]\n  file = "a.img"\n'
		# a comment QEMU cuts after 1023 bytes: the rest is a line
		printf '#%01021d  file = "b.img"\n' 0
	} >long.cfg
	run -0 --separate-stderr dry "$Q" -nodefaults -readconfig long.cfg
	has exclusive b.img
}

@test "json: backing names with nested nodes, and qcow (version 1) backing files" {
	qemu-img create -q -f qcow2 mid.qcow2 -b base.qcow2 -F qcow2
	qemu-img create -q -f qcow2 -F qcow2 \
		-b 'json:{"driver": "qcow2", "file": {"driver": "file", "filename": "'"$D"'/mid.qcow2"}}' j.qcow2 1M
	run -0 --separate-stderr dry "$Q" -drive file=j.qcow2,if=none
	has readonly mid.qcow2
	has readonly base.qcow2
	qemu-img create -q -f qcow -b base.qcow2 -F qcow2 v1.qcow 1M
	run -0 --separate-stderr dry "$Q" -drive file=v1.qcow,if=none
	has exclusive v1.qcow
	has readonly base.qcow2
}

@test "nodes shared by many parents are planned once each: the work is linear" {
	qemu-img create -q -f raw leaf.raw 1M
	args=(-blockdev driver=file,node-name=l0,filename=leaf.raw)
	for level in 1 2 3 4 5 6 7; do
		kids=()
		for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
			kids+=("\"children.$i\": \"l$((level - 1))\"")
		done
		json="{\"driver\": \"quorum\", \"node-name\": \"l$level\", \"vote-threshold\": 1"
		for k in "${kids[@]}"; do json+=", $k"; done
		json+="}"
		args+=(-blockdev "$json")
	done
	# 12^7 paths to the leaf: without memoisation, minutes and gigabytes
	run -0 --separate-stderr timeout 60 "$VMLOCK" run --dry-run -- "$Q" "${args[@]}"
	assert_output "exclusive$TAB$D/leaf.raw"
}

@test "qemu-storage-daemon and Debian's kvm are QEMU command lines" {
	run -0 --separate-stderr dry qemu-storage-daemon \
		--blockdev driver=file,node-name=f,filename=top.qcow2 \
		--blockdev driver=qcow2,node-name=q,file=f \
		--export type=nbd,id=e,node-name=q,writable=on
	has exclusive top.qcow2
	has readonly base.qcow2
	run -0 --separate-stderr dry kvm -hda top.qcow2
	has exclusive top.qcow2
	has readonly base.qcow2
}
