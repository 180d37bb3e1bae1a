/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* What qemu-img, qemu-io, qemu-nbd and qemu-storage-daemon share: their
 * options as getopt_long reads them, and the images they open. */
#ifndef VMLOCK_QEMU_TOOLS_H
#define VMLOCK_QEMU_TOOLS_H

#include "qemu/graph.h"

/* What an option of these tools means for locking. An operator who runs
 * a read-only command (qemu-img info, compare, map, check without -r,
 * qemu-io -r, qemu-nbd -r) expects to be refused while a guest writes the
 * image, so such images are locked readonly; -U (force-share) says "I
 * know it is in use", so those images are not locked at all. Commands
 * that write take exclusive locks. A file a command creates is locked only
 * when it exists already (it is about to be overwritten). */
enum tool_role {
	T_NONE,			/* changes nothing we lock */
	T_NO_IMAGE,		/* -h, -V, qemu-nbd -d/-L: no image opened */
	T_FORMAT,		/* -f */
	T_SECOND_FORMAT,	/* -F: backing, source or second image */
	T_OUT_FORMAT,		/* -O */
	T_FORCE_SHARE,		/* -U */
	T_READ_ONLY,		/* -r, -s (snapshot), -l (load snapshot) */
	T_WRITE,		/* check -r, bench -w, snapshot -a/-c/-d */
	T_IMAGE_OPTS,		/* --image-opts */
	T_TARGET_IMAGE_OPTS,	/* --target-image-opts */
	T_BACKING,		/* -b, convert -B */
	T_OPTIONS,		/* -o */
	T_UNSAFE,		/* -u: the backing file is not opened */
	T_NO_CREATE,		/* convert -n */
	T_COMMAND,		/* qemu-io -c */
	T_BLOCKDEV,		/* qemu-storage-daemon --blockdev */
};

struct tool_option {
	const char *name;	/* long name, or NULL */
	char letter;		/* short option, or 0 */
	bool has_value;
	enum tool_role role;
};

struct tool_args {
	const char *format, *second_format, *out_format, *backing;
	struct qemu_kvlist options;
	bool no_image, force_share, read_only, write, image_opts,
	     target_image_opts, unsafe, no_create;
	const char **pos;
	size_t npos;
	const char **cmds;	/* qemu-io -c, in order */
	size_t ncmds, cmds_cap;
	const char **blockdevs;	/* qemu-storage-daemon --blockdev */
	size_t nblockdevs, blockdevs_cap;
};


#define SHORT(l, v, role) { NULL, l, v, role }
#define LONG(n, l, v, role) { n, l, v, role }
#define COMMON_OPTIONS \
	LONG("help", 'h', false, T_NO_IMAGE), \
	LONG("object", 0, true, T_NONE), \
	LONG("image-opts", 0, false, T_IMAGE_OPTS)
#define FORCE_SHARE LONG("force-share", 'U', false, T_FORCE_SHARE)
#define FORMAT LONG("format", 'f', true, T_FORMAT)
#define QUIET SHORT('q', false, T_NONE)
#define END { NULL, 0, false, T_NONE }

/* getopt_long as these tools call it: options and operands mixed, "--"
 * ends options; stop_at_operand for qemu-img's global options. *next is
 * the index of the first argument not read. 0 or 64. */
int read_tool_options(const char *tool, const struct tool_option *opts,
		      int argc, char *const argv[], bool stop_at_operand,
		      struct tool_args *t, int *next, struct vl_error *e);
void free_tool_args(struct tool_args *t);

/* One image a tool opens: a file name, and/or options (the QemuOpts
 * kv); chain: its header is read (an image it creates has none yet). */
int tool_node(struct reader *r, const struct item *it, const char *name,
	      const struct qemu_kvlist *opts, const char *format,
	      enum vl_mode mode, bool chain);
/* A file name, or with --image-opts an option list like -drive's. */
int tool_image(struct reader *r, const struct item *it, const char *name,
	       bool opts, const char *format, enum vl_mode mode, bool chain);
/* An image only read: readonly, or not locked under -U (a note). */
int tool_read_image(struct reader *r, const struct item *it,
		    const struct tool_args *t, const char *name,
		    const char *format);
/* A file the tool creates, or overwrites when it exists. */
int tool_output(struct reader *r, const struct item *it, const char *name,
		bool opts, const char *format, bool keep);
int tool_fail_operands(struct reader *r, const struct item *it, size_t want);

#endif
