/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* What a QMP command makes QEMU open (see judge.h). Each command that
 * may open or write images has a judge below, after QEMU 7.2's
 * qmp_<command>(); a command of the block family with none is refused,
 * any other passes. */
#include "config.h"
#include "api/api.h"
#include "qemu/filename.h"
#include "qemu/json.h"
#include "qemu/opts.h"
#include "qemu/qemu.h"
#include "qmp/hmp.h"
#include "qmp/judge.h"
#include "util/path.h"
#include "util/proc.h"
#include "util/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A block node of QEMU, from query-named-block-nodes. */
struct node {
	char *name, *file, *drv;
	bool ro;
	char **chain;		/* its image, then each backing file below */
	size_t nchain, chain_cap;
};

/* A drive, from query-block. */
struct drive {
	char *device, *qdev, *node;
	bool inserted, ro;
};

struct judge {
	struct qmp *q;
	long pid;		/* QEMU's */
	const char *cwd;
	const struct qemu_kvlist *kv;
	struct qmp_wants *out;
	struct vl_error *e;
	const char *command;
	bool loaded, drives_loaded;
	bool nodes_hidden;	/* not asked for: see load_nodes */
	struct node *nodes;
	size_t nnodes, nodes_cap;
	struct drive *drives;
	size_t ndrives, drives_cap;
	struct qemu_live_node *live;
};

typedef int (*judge_fn)(struct judge *j, const char *args);

/* ---- what QEMU has ---------------------------------------------------- */

/* A file name of QEMU's that is a local file, absolute; else NULL. */
static char *local_path(const struct judge *j, const char *name)
{
	if (!name || !*name || qemu_name_is_protocol(name) ||
	    vl_starts_with(name, "json:") || vl_starts_with(name, "/dev/fdset/"))
		return NULL;
	return vl_path_join(j->cwd, name);
}

static bool get_bool(const struct qemu_kvlist *kv, const char *prefix,
		     const char *key, bool dflt)
{
	const char *v = qemu_kv_get_below(kv, prefix, key);
	bool b = dflt;

	if (v)
		vl_parse_bool(v, &b);
	return b;
}

static void read_chain(struct judge *j, struct node *n,
		       const struct qemu_kvlist *kv, const char *prefix)
{
	char *p = vl_asprintf("%simage.", prefix);
	const char *file;

	while ((file = qemu_kv_get_below(kv, p, "filename"))) {
		char *path = local_path(j, file);
		*VL_PUSH(n->chain, n->nchain, n->chain_cap) = path;
		char *next = vl_asprintf("%sbacking-image.", p);
		free(p);
		p = next;
	}
	free(p);
}

/* Without the nodes (QEMU would crash on the question) a command that
 * names none is judged all the same. */
static int load_nodes(struct judge *j)
{
	const struct qemu_kvlist *kv;
	int rc = qmp_block_nodes(j->q, true, &kv, j->e);

	j->nodes_hidden = !rc && !kv;
	for (size_t i = 0; !rc && kv; i++) {
		char *p = vl_asprintf("%zu.", i);
		const char *name = qemu_kv_get_below(kv, p, "node-name");
		if (!name && !qemu_kv_get_below(kv, p, "file")) {
			free(p);
			break;
		}
		struct node *n = VL_PUSH(j->nodes, j->nnodes, j->nodes_cap);
		const char *drv = qemu_kv_get_below(kv, p, "drv");
		*n = (struct node){ .name = name ? vl_strdup(name) : NULL,
				    .file = local_path(j, qemu_kv_get_below(kv, p, "file")),
				    .drv = vl_strdup(drv ? drv : ""),
				    .ro = get_bool(kv, p, "ro", false) };
		read_chain(j, n, kv, p);
		free(p);
	}
	return rc;
}

static int load_drives(struct judge *j)
{
	struct qemu_kvlist kv = {0};
	int rc = qmp_execute(j->q, "query-block", NULL, -1, &kv, j->e);

	for (size_t i = 0; !rc; i++) {
		char *p = vl_asprintf("%zu.", i);
		const char *dev = qemu_kv_get_below(&kv, p, "device");
		if (!dev) {
			free(p);
			break;
		}
		const char *qdev = qemu_kv_get_below(&kv, p, "qdev");
		const char *node = qemu_kv_get_below(&kv, p, "inserted.node-name");
		*VL_PUSH(j->drives, j->ndrives, j->drives_cap) = (struct drive){
			.device = vl_strdup(dev),
			.qdev = qdev ? vl_strdup(qdev) : NULL,
			.node = node ? vl_strdup(node) : NULL,
			.inserted = node != NULL,
			.ro = get_bool(&kv, p, "inserted.ro", false) };
		free(p);
	}
	qemu_kvlist_free(&kv);
	return rc;
}

static bool is_protocol_driver(const char *drv)
{
	return !strcmp(drv, "file") || !strcmp(drv, "host_device") ||
	       !strcmp(drv, "host_cdrom");
}

/* What QEMU has, asked once, when a judge first needs it: its nodes,
 * and its drives for a judge that names devices. */
static int load(struct judge *j, bool drives)
{
	int rc = j->loaded ? 0 : load_nodes(j);

	if (!rc && !j->loaded) {
		j->loaded = true;
		j->live = vl_calloc(j->nnodes + 1, sizeof *j->live);
		for (size_t i = 0; i < j->nnodes; i++)
			j->live[i] = (struct qemu_live_node){
				.name = j->nodes[i].name,
				.file = j->nodes[i].file,
				.protocol = is_protocol_driver(j->nodes[i].drv) };
	}
	if (!rc && drives && !j->drives_loaded) {
		j->drives_loaded = true;
		rc = load_drives(j);
	}
	return rc;
}

static struct qemu_live live_of(const struct judge *j, bool inherit)
{
	return (struct qemu_live){ .cwd = j->cwd, .v = j->live, .n = j->nnodes,
				   .inherit = inherit };
}

static struct node *find_node(struct judge *j, const char *name)
{
	for (size_t i = 0; name && i < j->nnodes; i++)
		if (j->nodes[i].name && !strcmp(j->nodes[i].name, name))
			return &j->nodes[i];
	return NULL;
}

/* The id of a device of QEMU's command line, from its QOM path. */
static char *device_id(const char *qdev)
{
	const char *peripheral = "/machine/peripheral/";

	if (!qdev || *qdev != '/')
		return qdev ? vl_strdup(qdev) : NULL;
	if (!vl_starts_with(qdev, peripheral))
		return NULL;
	qdev += strlen(peripheral);
	return vl_strndup(qdev, strcspn(qdev, "/"));
}

/* Is qdev (a QOM path, or an id) the device with id? */
static bool is_device(const char *qdev, const char *id)
{
	char *own = device_id(qdev);
	bool is = own && !strcmp(own, id);

	free(own);
	return is;
}

/* A drive by its name, or by its device's id. */
static struct drive *find_drive(struct judge *j, const char *name)
{
	for (size_t i = 0; name && i < j->ndrives; i++)
		if ((*j->drives[i].device && !strcmp(j->drives[i].device, name)) ||
		    is_device(j->drives[i].qdev, name))
			return &j->drives[i];
	return NULL;
}

/* A node named as QMP's "device" arguments name one: a drive's medium,
 * else a node-name. */
static struct node *find_device_node(struct judge *j, const char *name)
{
	struct drive *d = find_drive(j, name);

	return d && d->node ? find_node(j, d->node) : find_node(j, name);
}

/* ---- what the command wants ------------------------------------------- */

static void want_path(struct judge *j, const char *path, enum vl_mode mode,
		      bool create, bool job)
{
	for (size_t i = 0; i < j->out->n; i++) {
		struct qmp_want *w = &j->out->v[i];
		if (!strcmp(w->path, path)) {
			w->mode = vl_mode_stronger(w->mode, mode);
			w->create |= create;
			w->job |= job;
			return;
		}
	}
	*VL_PUSH(j->out->v, j->out->n, j->out->cap) = (struct qmp_want){
		.path = vl_strdup(path), .mode = mode, .create = create,
		.job = job };
}

/* name as the command gives it (relative to QEMU's directory). */
static void want_name(struct judge *j, const char *name, enum vl_mode mode,
		      bool create, bool job)
{
	char *path = local_path(j, name);

	if (path)
		want_path(j, path, mode, create, job);
	free(path);
}

static void want_disks(struct judge *j, const struct qemu_disks *d, bool job)
{
	for (size_t i = 0; i < d->n; i++)
		want_path(j, d->v[i].path, d->v[i].mode, false, job);
}

static int unknown_node(struct judge *j, const char *what, const char *name)
{
	if (j->nodes_hidden)
		return vl_fail(j->e, EX_UNAVAILABLE, "QMP %s names %s \"%s\", "
			       "and vmlock may not ask QEMU 7.2 for its nodes "
			       "while a block-stream job with auto-dismiss off "
			       "is there (it may crash); dismiss it first "
			       "(job-dismiss)", j->command, what,
			       name ? name : "");
	return vl_fail(j->e, EX_USAGE, "QMP %s: QEMU has no %s \"%s\"; vmlock "
		       "cannot tell what it opens", j->command, what,
		       name ? name : "");
}

/* The file of node name (or of a drive's medium), in mode. */
static int want_node(struct judge *j, const char *name, bool by_device,
		     enum vl_mode mode, bool job)
{
	int rc = load(j, by_device);
	struct node *n = rc ? NULL : by_device ? find_device_node(j, name)
					       : find_node(j, name);

	if (rc)
		return rc;
	if (!n)
		return unknown_node(j, by_device ? "device or node" : "node",
				    name);
	if (n->file)
		want_path(j, n->file, mode, false, job);
	return 0;
}

static enum vl_mode mode_of(bool read_only)
{
	return read_only ? VL_READONLY : VL_EXCLUSIVE;
}

static int read_blockdev(struct judge *j, const struct qemu_kvlist *opts,
			 bool inherit)
{
	struct qemu_live l = live_of(j, inherit);
	struct qemu_disks d = {0};
	int rc = qemu_read_blockdev(&l, opts, &d, j->e);

	if (!rc)
		want_disks(j, &d, false);
	qemu_disks_free(&d);
	return rc;
}

static int read_image(struct judge *j, const char *file, const char *format,
		      bool read_only, bool job)
{
	struct qemu_live l = live_of(j, false);
	struct qemu_disks d = {0};
	int rc = qemu_read_image(&l, file, format, read_only, &d, j->e);

	if (!rc)
		want_disks(j, &d, job);
	qemu_disks_free(&d);
	return rc;
}

/* ---- the judges ------------------------------------------------------- */

static const char *arg(const struct judge *j, const char *args,
		       const char *key)
{
	return qemu_kv_get_below(j->kv, args, key);
}

static int judge_blockdev_add(struct judge *j, const char *args)
{
	struct qemu_kvlist opts = {0};
	int rc = load(j, false);

	qemu_kv_copy_below(j->kv, args, &opts);
	if (!rc)
		rc = read_blockdev(j, &opts, false);
	qemu_kvlist_free(&opts);
	return rc;
}

/* Each node reopened: its new options, its file and the nodes it names
 * reopened with its read-write. */
static int judge_reopen(struct judge *j, const char *args)
{
	int rc = load(j, false);

	for (size_t i = 0; !rc; i++) {
		char *p = vl_asprintf("%soptions.%zu.", args, i);
		struct qemu_kvlist opts = {0};
		qemu_kv_copy_below(j->kv, p, &opts);
		free(p);
		if (!opts.n)
			break;
		const char *name = qemu_kv_get(&opts, "node-name");
		bool ro = get_bool(&opts, "", "read-only", false);
		rc = read_blockdev(j, &opts, true);
		if (!rc && find_node(j, name) && find_node(j, name)->file)
			want_path(j, find_node(j, name)->file, mode_of(ro),
				  false, false);
		qemu_kvlist_free(&opts);
	}
	return rc;
}

/* An empty drive's medium opens as its -drive (or -device) said, and
 * read-write when that cannot be told (a drive added later). */
static bool qemu_opens_read_only(struct judge *j, const struct drive *d)
{
	char proc[32], *id = device_id(d->qdev);
	int argc = 0, ro = -1;

	snprintf(proc, sizeof proc, "/proc/%ld", j->pid);
	int dir = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **argv = dir < 0 ? NULL : vl_read_argv(dir, &argc);
	if (argv && *d->device)		/* its -drive, else its -device */
		ro = qemu_medium_read_only(argc, argv, d->device);
	if (argv && ro < 0 && id)
		ro = qemu_medium_read_only(argc, argv, id);
	free(argv);
	free(id);
	if (dir >= 0)
		close(dir);
	return ro == 1;
}

/* read-only-mode retain: as the medium it replaces; an empty drive's
 * medium is read-only on a CD drive. */
static int medium_read_only(struct judge *j, const char *device,
			    const char *mode, bool *ro)
{
	int rc = load(j, true);
	struct drive *d = rc ? NULL : find_drive(j, device);

	if (rc)
		return rc;
	if (mode && strcmp(mode, "retain")) {
		*ro = !strcmp(mode, "read-only");
		return 0;
	}
	if (!d)
		return unknown_node(j, "drive", device);
	*ro = d->inserted ? d->ro : qemu_opens_read_only(j, d);
	return 0;
}

static int change_medium(struct judge *j, const char *device,
			 const char *file, const char *format,
			 const char *mode)
{
	bool ro = false;
	int rc = medium_read_only(j, device, mode, &ro);

	if (!rc && file)
		rc = read_image(j, file, format, ro, false);
	return rc;
}

static int judge_change_medium(struct judge *j, const char *args)
{
	const char *dev = arg(j, args, "id");

	return change_medium(j, dev ? dev : arg(j, args, "device"),
			     arg(j, args, "filename"), arg(j, args, "format"),
			     arg(j, args, "read-only-mode"));
}

static int node_as_is(struct judge *j, const char *name, bool job)
{
	int rc = load(j, false);
	struct node *n = rc ? NULL : find_node(j, name);

	return rc ? rc : want_node(j, name, false, mode_of(n && n->ro), job);
}

static int judge_insert_medium(struct judge *j, const char *args)
{
	return node_as_is(j, arg(j, args, "node-name"), false);
}

static int judge_blockdev_snapshot(struct judge *j, const char *args)
{
	return node_as_is(j, arg(j, args, "overlay"), false);
}

/* The overlay opens as its old top did, without its backing chain;
 * QEMU writes one it creates. */
static int snapshot(struct judge *j, const char *top, bool by_device,
		    const char *file, bool existing)
{
	int rc = load(j, by_device);
	struct node *n = rc ? NULL : by_device ? find_device_node(j, top)
					       : find_node(j, top);

	if (rc)
		return rc;
	if (!n)
		return unknown_node(j, "device or node", top);
	if (file)
		want_name(j, file, mode_of(n->ro && existing), !existing, false);
	return 0;
}

static bool mode_existing(const struct judge *j, const char *args)
{
	const char *mode = arg(j, args, "mode");

	return mode && !strcmp(mode, "existing");
}

static int judge_snapshot_sync(struct judge *j, const char *args)
{
	const char *node = arg(j, args, "node-name");

	return snapshot(j, node ? node : arg(j, args, "device"), !node,
			arg(j, args, "snapshot-file"), mode_existing(j, args));
}

/* Index in n's chain of the image named (a node-name or a file), or -1. */
static long chain_index(struct judge *j, const struct node *n,
			const char *node_name, const char *file)
{
	struct node *named = find_node(j, node_name);
	char *path = named && named->file ? vl_strdup(named->file)
					  : local_path(j, file);
	struct stat a, b;
	long at = -1;

	for (size_t i = 0; path && at < 0 && i < n->nchain; i++)
		if (n->chain[i] && stat(n->chain[i], &a) == 0 &&
		    stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			at = (long)i;
	free(path);
	return at;
}

/* From the image above top (its backing name is rewritten) down to
 * base: written. */
static int judge_commit(struct judge *j, const char *args)
{
	const char *dev = arg(j, args, "device");
	int rc = load(j, true);
	struct node *n = rc ? NULL : find_device_node(j, dev);

	if (rc)
		return rc;
	if (!n || !n->nchain)
		return unknown_node(j, "device or node", dev);
	const char *top = arg(j, args, "top-node"), *topf = arg(j, args, "top");
	const char *base = arg(j, args, "base-node"), *basef = arg(j, args, "base");
	long t = top || topf ? chain_index(j, n, top, topf) : 0;
	long b = base || basef ? chain_index(j, n, base, basef)
			       : (long)n->nchain - 1;
	if (t < 0 || b < t)
		return vl_fail(j->e, EX_USAGE, "QMP %s: vmlock cannot tell "
			       "which images of %s's chain it commits",
			       j->command, dev);
	for (long i = t ? t - 1 : 0; i <= b; i++)
		if (n->chain[i])
			want_path(j, n->chain[i], VL_EXCLUSIVE, false, true);
	return 0;
}

static int judge_stream(struct judge *j, const char *args)
{
	j->out->stream = true;
	return want_node(j, arg(j, args, "device"), true, VL_EXCLUSIVE, true);
}

/* A mirror's or backup's new target, created unless mode existing; an
 * existing backup target opens with its backing chain (but sync none). */
static int new_target(struct judge *j, const char *target, const char *format,
		      bool existing, bool with_chain)
{
	if (!target)
		return 0;
	if (existing && with_chain)
		return read_image(j, target, format, false, true);
	want_name(j, target, VL_EXCLUSIVE, !existing, true);
	return 0;
}

static int judge_drive_mirror(struct judge *j, const char *args)
{
	int rc = want_node(j, arg(j, args, "device"), true, VL_READONLY, true);

	return rc ? rc : new_target(j, arg(j, args, "target"),
				    arg(j, args, "format"),
				    mode_existing(j, args), false);
}

static int judge_drive_backup(struct judge *j, const char *args)
{
	const char *sync = arg(j, args, "sync");
	int rc = want_node(j, arg(j, args, "device"), true, VL_READONLY, true);

	return rc ? rc : new_target(j, arg(j, args, "target"),
				    arg(j, args, "format"),
				    mode_existing(j, args),
				    !sync || strcmp(sync, "none"));
}

static int judge_node_target(struct judge *j, const char *args)
{
	return want_node(j, arg(j, args, "target"), false, VL_EXCLUSIVE, true);
}

/* A block device: the drive it is given, as the device will use it. */
static int judge_device_add(struct judge *j, const char *args)
{
	const char *drive = arg(j, args, "drive");
	int rc = drive ? load(j, true) : 0;
	struct node *n = rc || !drive ? NULL : find_device_node(j, drive);

	if (rc || !drive)
		return rc;
	if (!n)
		return unknown_node(j, "drive or node", drive);
	bool share = get_bool(j->kv, args, "share-rw", false);
	return want_node(j, drive, true, n->ro ? VL_READONLY : share ?
			 VL_SHARED : VL_EXCLUSIVE, false);
}

/* QEMU unplugs a device's drive after its reply: those files are to be
 * waited for. */
static int judge_device_del(struct judge *j, const char *args)
{
	const char *id = arg(j, args, "id");
	int rc = id ? load(j, true) : 0;

	for (size_t i = 0; !rc && id && i < j->ndrives; i++) {
		struct drive *d = &j->drives[i];
		struct node *n = d->node ? find_node(j, d->node) : NULL;
		if (!n || !is_device(d->qdev, id))
			continue;
		for (size_t k = 0; k < n->nchain; k++)
			if (n->chain[k])
				*VL_PUSH(j->out->closing, j->out->nclosing,
					 j->out->closing_cap) =
					vl_strdup(n->chain[k]);
	}
	return rc;
}

/* blockdev-create: a file driver creates its filename; a format writes
 * the nodes it names. */
static int judge_blockdev_create(struct judge *j, const char *args)
{
	char *p = vl_asprintf("%soptions.", args);
	const char *drv = arg(j, p, "driver");
	int rc = 0;

	if (drv && !strcmp(drv, "file"))
		want_name(j, arg(j, p, "filename"), VL_EXCLUSIVE, true, true);
	else if (arg(j, p, "file"))
		rc = want_node(j, arg(j, p, "file"), false, VL_EXCLUSIVE, true);
	if (!rc && arg(j, p, "data-file"))
		rc = want_node(j, arg(j, p, "data-file"), false, VL_EXCLUSIVE,
			       true);
	free(p);
	return rc;
}

static int judge_blockdev_change(struct judge *j, const char *args)
{
	const char *node = arg(j, args, "node");

	return node ? want_node(j, node, false, VL_EXCLUSIVE, false) : 0;
}

static int judge_hmp(struct judge *j, const char *args);
static int judge_transaction(struct judge *j, const char *args);

static const struct {
	const char *name;
	judge_fn judge;		/* NULL: opens nothing */
} judges[] = {
	{ "blockdev-add", judge_blockdev_add },
	{ "blockdev-reopen", judge_reopen },
	{ "blockdev-change-medium", judge_change_medium },
	{ "blockdev-insert-medium", judge_insert_medium },
	{ "blockdev-snapshot-sync", judge_snapshot_sync },
	{ "blockdev-snapshot", judge_blockdev_snapshot },
	{ "block-commit", judge_commit },
	{ "block-stream", judge_stream },
	{ "drive-mirror", judge_drive_mirror },
	{ "blockdev-mirror", judge_node_target },
	{ "drive-backup", judge_drive_backup },
	{ "blockdev-backup", judge_node_target },
	{ "blockdev-create", judge_blockdev_create },
	{ "x-blockdev-change", judge_blockdev_change },
	{ "device_add", judge_device_add },
	{ "transaction", judge_transaction },
	{ "human-monitor-command", judge_hmp },
	/* they close, or change what is open: the sync after sees it */
	{ "blockdev-del", NULL }, { "blockdev-remove-medium", NULL },
	{ "blockdev-open-tray", NULL }, { "blockdev-close-tray", NULL },
	{ "eject", NULL }, { "device_del", judge_device_del },
	{ "blockdev-snapshot-internal-sync", NULL },
	{ "blockdev-snapshot-delete-internal-sync", NULL },
	{ "block_resize", NULL }, { "block_set_io_throttle", NULL },
	{ "block-set-write-threshold", NULL },
	{ "block-latency-histogram-set", NULL },
	{ "block-export-add", NULL }, { "block-export-del", NULL },
	{ "x-blockdev-set-iothread", NULL }, { "x-blockdev-amend", NULL },
};

/* Prefixes of the commands that may open images: judged, or refused. */
static bool block_family(const char *name)
{
	static const char *const prefixes[] = {
		"block", "drive", "x-block", "blockdev", "nbd-server-add",
		"snapshot-", NULL,
	};

	for (const char *const *p = prefixes; *p; p++)
		if (vl_starts_with(name, *p))
			return true;
	return !strcmp(name, "change");
}

/* A block-family command that opens nothing vmlock must lock. */
static bool passes(const char *name)
{
	return vl_starts_with(name, "block-job-") ||
	       vl_starts_with(name, "block-dirty-bitmap-") ||
	       vl_starts_with(name, "x-block-dirty-bitmap-") ||
	       vl_starts_with(name, "snapshot-") || !strcmp(name, "abort") ||
	       vl_starts_with(name, "query-");
}

static int judge_named(struct judge *j, const char *name, const char *args)
{
	for (size_t i = 0; i < sizeof judges / sizeof *judges; i++)
		if (!strcmp(judges[i].name, name))
			return judges[i].judge ? judges[i].judge(j, args) : 0;
	if (!block_family(name) || passes(name))
		return 0;
	return vl_fail(j->e, EX_USAGE, "QMP %s: vmlock cannot tell which "
		       "images it opens or writes (--unchecked sends it, and "
		       "syncs the locks after)", name);
}

/* Each action as the command of its type. */
static int judge_transaction(struct judge *j, const char *args)
{
	int rc = 0;

	for (size_t i = 0; !rc; i++) {
		char *p = vl_asprintf("%sactions.%zu.", args, i);
		const char *type = qemu_kv_get_below(j->kv, p, "type");
		char *data = vl_asprintf("%sdata.", p);
		if (type)
			rc = judge_named(j, type, data);
		free(data);
		free(p);
		if (!type)
			break;
	}
	return rc;
}

/* ---- HMP -------------------------------------------------------------- */

static int hmp_drive_add(struct judge *j, const struct hmp_line *l)
{
	const char *opts = hmp_arg(l, 1);
	struct qemu_live live;
	struct qemu_disks d = {0};
	int rc = opts ? load(j, false) : 0;

	if (rc || !opts)
		return rc;
	live = live_of(j, false);
	if (hmp_flag(l, 'n')) {		/* a node: -blockdev options */
		struct qemu_kvlist kv = {0};
		rc = qemu_opts_parse(opts, NULL, &kv, j->e);
		if (!rc)
			rc = read_blockdev(j, &kv, false);
		qemu_kvlist_free(&kv);
		return rc;
	}
	rc = qemu_read_drive(&live, opts, &d, j->e);
	if (!rc)
		want_disks(j, &d, false);
	qemu_disks_free(&d);
	return rc;
}

static int hmp_change(struct judge *j, const struct hmp_line *l)
{
	const char *dev = hmp_arg(l, 0);

	if (!dev || !strcmp(dev, "vnc"))
		return 0;
	return change_medium(j, dev, hmp_arg(l, 1), hmp_arg(l, 2),
			     hmp_arg(l, 3));
}

static int hmp_snapshot(struct judge *j, const struct hmp_line *l)
{
	return snapshot(j, hmp_arg(l, 0), true, hmp_arg(l, 1),
			hmp_flag(l, 'n'));
}

static int hmp_mirror(struct judge *j, const struct hmp_line *l)
{
	bool backup = !strcmp(l->words[0], "drive_backup");
	int rc = want_node(j, hmp_arg(l, 0), true, VL_READONLY, true);

	return rc ? rc : new_target(j, hmp_arg(l, 1), hmp_arg(l, 2),
				    hmp_flag(l, 'n'), backup);
}

/* commit DEVICE|all: the top's data written into its backing file. */
static int hmp_commit(struct judge *j, const struct hmp_line *l)
{
	const char *dev = hmp_arg(l, 0);
	bool all = dev && !strcmp(dev, "all");
	int rc = load(j, true);
	struct drive *one = rc || all ? NULL : find_drive(j, dev);

	for (size_t i = 0; !rc && i < j->ndrives; i++) {
		struct drive *d = &j->drives[i];
		struct node *n = d->node ? find_node(j, d->node) : NULL;
		if (!n || (!all && d != one))
			continue;
		for (size_t k = 0; k < n->nchain && k < 2; k++)
			if (n->chain[k])
				want_path(j, n->chain[k], VL_EXCLUSIVE, false,
					  false);
	}
	return rc;
}

static int hmp_stream(struct judge *j, const struct hmp_line *l)
{
	j->out->stream = true;
	return want_node(j, hmp_arg(l, 0), true, VL_EXCLUSIVE, true);
}

static int judge_hmp(struct judge *j, const char *args)
{
	static const struct {
		const char *name;
		int (*judge)(struct judge *j, const struct hmp_line *l);
	} hmp[] = {
		{ "drive_add", hmp_drive_add }, { "change", hmp_change },
		{ "snapshot_blkdev", hmp_snapshot }, { "drive_mirror", hmp_mirror },
		{ "drive_backup", hmp_mirror }, { "commit", hmp_commit },
		{ "block_stream", hmp_stream },
	};
	const char *text = arg(j, args, "command-line");
	struct hmp_line l;
	int rc = hmp_split(text ? text : "", &l, j->e);

	for (size_t i = 0; !rc && i < sizeof hmp / sizeof *hmp; i++)
		if (!strcmp(l.words[0], hmp[i].name)) {
			rc = hmp[i].judge(j, &l);
			hmp_line_free(&l);
			return rc;
		}
	if (!rc && !strcmp(l.words[0], "qemu-io"))
		rc = vl_fail(j->e, EX_USAGE, "HMP qemu-io: vmlock cannot tell "
			     "which images it opens or writes (--unchecked "
			     "sends it, and syncs the locks after)");
	hmp_line_free(&l);
	return rc;
}

/* ---- the entry -------------------------------------------------------- */

static void judge_free(struct judge *j)
{
	for (size_t i = 0; i < j->nnodes; i++) {
		for (size_t k = 0; k < j->nodes[i].nchain; k++)
			free(j->nodes[i].chain[k]);
		free(j->nodes[i].chain);
		free(j->nodes[i].name);
		free(j->nodes[i].file);
		free(j->nodes[i].drv);
	}
	for (size_t i = 0; i < j->ndrives; i++) {
		free(j->drives[i].device);
		free(j->drives[i].qdev);
		free(j->drives[i].node);
	}
	free(j->nodes);
	free(j->drives);
	free(j->live);
}

static bool command_key(const char *key)
{
	static const char *const keys[] = { "execute", "exec-oob", "id",
					     "control", NULL };

	for (const char *const *k = keys; *k; k++)
		if (!strcmp(key, *k) || (vl_starts_with(key, *k) &&
					 key[strlen(*k)] == '.'))
			return true;
	return vl_starts_with(key, "arguments.");
}

int qmp_command_parse(const char *text, struct qemu_kvlist *cmd,
		      const char **name, struct vl_error *e)
{
	int rc = qemu_json_parse(text, cmd, e);

	for (size_t i = 0; !rc && i < cmd->n; i++)
		if (!command_key(cmd->v[i].key))
			rc = vl_fail(e, EX_USAGE, "a QMP command has no key "
				     "\"%s\"", cmd->v[i].key);
	*name = rc ? NULL : qemu_kv_get(cmd, "execute");
	if (!rc && !*name)
		*name = qemu_kv_get(cmd, "exec-oob");
	if (!rc && (!*name || !**name))
		rc = vl_fail(e, EX_USAGE, "a QMP command needs \"execute\"");
	if (rc)
		qemu_kvlist_free(cmd);
	return rc;
}

void qmp_command_free(struct qemu_kvlist *cmd)
{
	qemu_kvlist_free(cmd);
}

int qmp_judge(struct qmp *q, long pid, const char *cwd,
	      const struct qemu_kvlist *cmd, struct qmp_wants *out,
	      struct vl_error *e)
{
	const char *name = qemu_kv_get(cmd, "execute");
	struct judge j = { .q = q, .pid = pid, .cwd = cwd, .kv = cmd,
			   .out = out, .e = e };
	int rc;

	*out = (struct qmp_wants){0};
	if (!name)
		name = qemu_kv_get(cmd, "exec-oob");
	j.command = name;
	rc = judge_named(&j, name, "arguments.");
	judge_free(&j);
	if (rc)
		qmp_wants_free(out);
	return rc;
}

void qmp_wants_free(struct qmp_wants *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].path);
	for (size_t i = 0; i < w->nclosing; i++)
		free(w->closing[i]);
	free(w->closing);
	free(w->v);
	*w = (struct qmp_wants){0};
}
