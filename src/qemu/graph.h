/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The block graph reader, shared by the qemu-system and the qemu-img,
 * qemu-io and qemu-nbd readers: items (-drive, -blockdev, -device, or a
 * tool's image), and the walk from a node down to the files it opens. */
#ifndef VMLOCK_QEMU_GRAPH_H
#define VMLOCK_QEMU_GRAPH_H

#include "qemu/kv.h"
#include "qemu/qemu.h"

#include <sys/types.h>

enum item_kind { ITEM_DRIVE, ITEM_BLOCKDEV, ITEM_DEVICE };

/* What a node presents to the node above it. */
struct node_out {
	char *data;		/* the local file whose bytes it presents as
				 * they are (a format may read its header
				 * there), or NULL */
	char *filename;		/* the file names relative to it are beside,
				 * or NULL */
	bool exists;		/* the node was given at all */
};

/* One -drive (or legacy disk option), -blockdev or -device. */
struct item {
	enum item_kind kind;
	const char *opt;	/* option name, for messages */
	const char *arg;	/* its argument as written */
	struct qemu_kvlist kv;
	bool shared;		/* a -device with share-rw=on uses it */
	bool referenced;	/* another -blockdev names it as a child */
	/* -blockdev: opened once (per share-rw), what it presents */
	bool opened[2], opening;
	struct node_out presents;
};

struct reader {
	const char *cwd;
	const struct qemu_live *live;	/* a running QEMU's nodes, or NULL */
	struct qemu_disks *out;
	struct vl_error *e;
	struct item *items;
	size_t nitems, cap;
	bool snapshot;		/* global -snapshot */
	bool headers;		/* read image headers: follow backing chains */
	unsigned nest;		/* node references and json: names followed */
	struct { dev_t dev; ino_t ino; char *path; } *chain;	/* headers
				 * being read, top first */
	size_t nchain, chain_cap;
};

/* What a node inherits from its parent (QEMU's bdrv_inherited_options). */
struct node_in {
	const struct item *it;	/* whose argument names the node */
	const char *positional;	/* its file name given as a string, or NULL */
	const char *driver;	/* the driver when it names none (the backing
				 * format its overlay's header stores) */
	const char *overlay;	/* the image it is the backing file of */
	bool protocol;		/* BDRV_O_PROTOCOL: not probed for a format */
	bool read_only;		/* inherited, or a -drive's own */
	bool fixed_ro;		/* read_only is final (a -drive's top node) */
	bool auto_ro;		/* auto-read-only */
	bool snapshot;		/* a temporary snapshot above: read-only */
	bool shared;		/* under a device with share-rw=on */
	bool headers;		/* read its image header */
	unsigned depth;		/* backing files below the command line's */
};

/* A 64 (usage) error naming the option and its argument. */
int qemu_arg_fail(struct vl_error *e, const char *opt, const char *arg,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A disk skipped, said to the user. */
void qemu_add_note(struct qemu_disks *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct item *graph_new_item(struct reader *r, enum item_kind kind,
			    const char *opt, const char *arg);
/* The -drive with id=, or the -blockdev with node-name=, id; or NULL. */
struct item *graph_find_item(struct reader *r, enum item_kind kind,
			     const char *id);
/* Opens the node at prefix of kv with what it inherits; out is what it
 * presents (free it with graph_free_out). Its files go to r->out. */
int graph_open_node(struct reader *r, const struct qemu_kvlist *kv,
		    const char *prefix, const struct node_in *in,
		    struct node_out *out);
/* The backing file name image's header stores, as QEMU resolves it
 * (beside the image, or a protocol or json: name as it is), newly
 * allocated in *backing; NULL when none. */
int graph_backing_name(struct reader *r, const struct item *it,
		       const char *image, const char *format, char **backing);
/* Leaves the header last read. */
void graph_pop_chain(struct reader *r);
/* Frees the items and what the walk kept. */
void graph_free(struct reader *r);
/* The -blockdev node_name, opened once as itself. */
int graph_open_reference(struct reader *r, const struct node_in *parent,
			 const char *node_name, struct node_out *out);
void graph_free_out(struct node_out *out);
/* Every item read: the disks, after -device share-rw= and references. */
int graph_resolve(struct reader *r);

/* -drive, -blockdev, -device: key=value or (but -drive) JSON, an item. */
int qemu_read_item(struct reader *r, enum item_kind kind, const char *opt,
		   const char *arg);

/* The readers of each program (system.c, tools.c). */
int qemu_read_system(int argc, char *const argv[], struct reader *r);
/* Its items alone (-drive, -blockdev, -device, -readconfig's), no node
 * opened. */
int qemu_read_system_items(int argc, char *const argv[], struct reader *r);
int qemu_read_img(int argc, char *const argv[], struct reader *r);
int qemu_read_io(int argc, char *const argv[], struct reader *r);
int qemu_read_nbd(int argc, char *const argv[], struct reader *r);
int qemu_read_qsd(int argc, char *const argv[], struct reader *r);

#endif
