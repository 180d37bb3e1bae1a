/* The block graph reader, shared by the qemu-system and the qemu-img,
 * qemu-io and qemu-nbd readers: items (-drive, -blockdev, -device, or a
 * tool's image), and the walk from a node down to the files it opens. */
#ifndef VMLOCK_QEMU_GRAPH_H
#define VMLOCK_QEMU_GRAPH_H

#include "qemu/kv.h"
#include "qemu/qemu.h"

enum item_kind { ITEM_DRIVE, ITEM_BLOCKDEV, ITEM_DEVICE };

/* One -drive (or legacy disk option), -blockdev or -device. */
struct item {
	enum item_kind kind;
	const char *opt;	/* option name, for messages */
	const char *arg;	/* its argument as written */
	struct qemu_kvlist kv;
	bool shared;		/* a -device with share-rw=on uses it */
	bool referenced;	/* another -blockdev names it as a child */
};

struct reader {
	const char *cwd;
	struct qemu_disks *out;
	struct vl_error *e;
	struct item *items;
	size_t nitems, cap;
	bool snapshot;		/* global -snapshot */
	unsigned nest;		/* node references and json: names followed */
};

/* The image a node makes QEMU open, as seen from the node above it. */
struct node_ctx {
	const struct item *it;	/* whose argument names the node */
	const char *format;	/* format driver above the file node, or NULL */
	enum vl_mode mode;
	unsigned depth;
	bool probe;		/* -drive: QEMU probes a format not given */
	bool chain;		/* the image's own backing chain is followed */
	bool backing;		/* below a backing link: readonly */
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
/* The node at prefix of kv (drive_top: a -drive's own option list). */
int graph_walk_node(struct reader *r, const struct qemu_kvlist *kv,
		    const char *prefix, bool drive_top, struct node_ctx c);
/* A filename= or -drive file= value: a path, json:{...} or a protocol. */
int graph_add_filename(struct reader *r, const char *name,
		       const char *driver, struct node_ctx c);
/* Every item read: the disks, after -device share-rw= and references. */
int graph_resolve(struct reader *r);

/* The readers of each program (system.c, tools.c). */
int qemu_read_system(int argc, char *const argv[], struct reader *r);
int qemu_read_img(int argc, char *const argv[], struct reader *r);
int qemu_read_io(int argc, char *const argv[], struct reader *r);
int qemu_read_nbd(int argc, char *const argv[], struct reader *r);

#endif
