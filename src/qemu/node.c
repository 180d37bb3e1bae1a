/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Opening one block node as QEMU 7.2's bdrv_open_inherit() does, down to
 * the files: what the node inherits from its parent (read-only, whether it
 * is probed for a format), its json: file name, its driver, the children
 * the driver opens, and what its image header adds (data file, extents,
 * backing file). Every local file met is a disk, in the mode QEMU opens it
 * in (vmlock(1), READING QEMU COMMAND LINES). Headers are read, nothing
 * is locked. */
#include "config.h"
#include "image/image.h"
#include "qemu/drivers.h"
#include "qemu/filename.h"
#include "qemu/graph.h"
#include "qemu/json.h"
#include "util/path.h"
#include "util/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deepest nesting of json: names and -blockdev references followed;
 * QEMU's own graphs are far shallower. */
#define NODE_NEST_MAX 64

static const struct qemu_kvlist no_options;

static int node_fail(struct reader *r, const struct node_in *in,
		     const char *prefix, const char *what)
{
	return qemu_arg_fail(r->e, in->it->opt, in->it->arg, "%s%s%s", prefix,
			     *prefix ? ": " : "", what);
}

static const char *opt(const struct qemu_kvlist *kv, const char *prefix,
		       const char *key)
{
	if (!kv->n)
		return NULL;	/* a chain's nodes: no option, no string */
	return qemu_kv_get_below(kv, prefix, key);
}

static bool has_sub(const struct qemu_kvlist *kv, const char *prefix,
		    const char *key)
{
	if (!kv->n)
		return false;
	char *sub = vl_asprintf("%s%s.", prefix, key);
	bool has = qemu_kv_has_prefix(kv, sub);

	free(sub);
	return has;
}

static int opt_bool(struct reader *r, const struct node_in *in,
		    const struct qemu_kvlist *kv, const char *prefix,
		    const char *key, bool *value)
{
	const char *v = opt(kv, prefix, key);

	if (v && !vl_parse_bool(v, value))
		return qemu_arg_fail(r->e, in->it->opt, in->it->arg,
				     "%s%s=%s is not on or off", prefix, key, v);
	return 0;
}

/* read-only and auto-read-only: the node's own, else inherited; a
 * temporary snapshot above makes it read-only whatever it says. */
static int node_flags(struct reader *r, const struct qemu_kvlist *kv,
		      const char *prefix, struct node_in *in)
{
	int rc = in->fixed_ro ? 0
		 : opt_bool(r, in, kv, prefix, "read-only", &in->read_only);

	if (!rc)
		rc = opt_bool(r, in, kv, prefix, "auto-read-only", &in->auto_ro);
	if (in->snapshot)
		in->read_only = true;
	return rc;
}

static void add_disk(struct reader *r, const struct node_in *in,
		     const char *name)
{
	char *path = vl_path_join(r->cwd, name);
	/* share-rw=on: the device's own image is shared, even read-only;
	 * backing files below it are read as any other's */
	enum vl_mode mode = in->shared && (!in->read_only || !in->depth)
			    ? VL_SHARED : in->read_only ? VL_READONLY
			    : VL_EXCLUSIVE;

	/* auto-read-only: QEMU falls back to reading what it may not write */
	if (!in->read_only && in->auto_ro && access(path, W_OK) < 0 &&
	    (errno == EACCES || errno == EPERM || errno == EROFS))
		mode = VL_READONLY;
	*VL_PUSH(r->out->v, r->out->n, r->out->cap) = (struct qemu_disk){
		.path = path, .mode = mode, .depth = in->depth,
	};
}

/* The driver that opens a file name given as a string: a protocol
 * prefix (only when the name was given positionally), else a file (QEMU
 * takes a device node for host_device or host_cdrom: a local file too). */
static const struct qemu_driver *driver_of_name(const char *name, bool parsed)
{
	size_t n = strcspn(name, ":/");

	if (!parsed || name[n] != ':')
		return qemu_find_driver("file");
	char *prefix = vl_strndup(name, n);
	const struct qemu_driver *d = qemu_find_protocol(prefix);
	free(prefix);
	return d;
}

/* "file:x" is x to the file driver, "host_device:x" x to its own. */
static const char *strip_own_prefix(const struct qemu_driver *d,
				    const char *name)
{
	size_t n = strlen(d->name);

	if (!strncmp(name, d->name, n) && name[n] == ':')
		return name + n + 1;
	return name;
}

static void set_out(struct node_out *out, const char *data,
		    const char *filename)
{
	out->exists = true;
	out->data = data ? vl_strdup(data) : NULL;
	out->filename = filename ? vl_strdup(filename) : NULL;
}

static void free_out(struct node_out *out)
{
	free(out->data);
	free(out->filename);
	*out = (struct node_out){0};
}

static int open_children(struct reader *r, const struct qemu_kvlist *kv,
			 const char *prefix, const struct qemu_driver *d,
			 const char *const *positional, bool skip_file,
			 const struct node_in *in, struct node_out *primary);

/* blkdebug:[CONFIG]:IMAGE and blkverify:RAW:IMAGE, as their drivers
 * parse a positional file name into options. */
static int parse_own_prefix(struct reader *r, const struct node_in *in,
			    const struct qemu_driver *d, const char *name,
			    const char **pos, char **scratch)
{
	const char *rest = name, *colon;

	if (!vl_starts_with(name, d->prefix_parser) ||
	    name[strlen(d->prefix_parser)] != ':') {
		pos[d->children[1].key ? 1 : 0] = name;	/* x-image */
		return 0;
	}
	rest += strlen(d->prefix_parser) + 1;
	colon = strchr(rest, ':');
	if (!colon)
		return node_fail(r, in, name, "needs two file names");
	if (d->children[1].key) {		/* blkverify: raw, test */
		*scratch = vl_strndup(rest, (size_t)(colon - rest));
		pos[0] = *scratch;
		pos[1] = colon + 1;
	} else {				/* blkdebug: config, image */
		pos[0] = colon + 1;
	}
	return 0;
}

/* A protocol node: a local file, remote storage, or blkdebug/blkverify. */
static int open_protocol(struct reader *r, const struct qemu_kvlist *kv,
			 const char *prefix, const struct qemu_driver *d,
			 const struct node_in *in, struct node_out *out)
{
	const char *name = in->positional;
	bool parsed = name != NULL;

	if (name && opt(kv, prefix, "filename"))
		return node_fail(r, in, prefix, "both a file name and "
				 "filename=");
	if (!name)
		name = opt(kv, prefix, "filename");
	if (!d && !name)
		return node_fail(r, in, prefix, "neither driver nor file name");
	if (!d && !(d = driver_of_name(name, parsed)))
		return node_fail(r, in, name, "unknown protocol");
	if (d->kind == DRV_REMOTE && name)
		qemu_add_note(r->out, "skipped network disk %s: not a local "
			      "file", name);
	else if (d->kind == DRV_REMOTE)
		qemu_add_note(r->out, "skipped network disk (driver %s) in %s "
			      "\"%s\": not a local file", d->name, in->it->opt,
			      in->it->arg);
	if (d->kind == DRV_REMOTE)
		return 0;
	if (d->kind == DRV_NODE) {
		const char *pos[3] = {0};
		char *scratch = NULL;
		int rc = 0;

		for (size_t i = 0; d->children[i].key; i++)
			pos[i] = opt(kv, prefix, d->children[i].positional);
		if (parsed)
			rc = parse_own_prefix(r, in, d, name, pos, &scratch);
		if (!rc)
			rc = open_children(r, kv, prefix, d, pos, false, in, out);
		free(scratch);
		return rc;
	}
	if (!name || !*name)
		return node_fail(r, in, prefix, "a file node without filename=");
	if (parsed)
		name = strip_own_prefix(d, name);
	add_disk(r, in, name);
	set_out(out, name, name);
	return 0;
}

/* What a child inherits (QEMU's bdrv_inherited_options()). */
static struct node_in child_in(const struct node_in *parent, bool protocol,
			       bool parent_is_format, unsigned role,
			       const char *positional)
{
	struct node_in c = *parent;

	c.positional = positional;
	c.overlay = NULL;
	c.driver = NULL;
	c.fixed_ro = false;
	c.snapshot = false;
	c.protocol = protocol;
	if (!parent_is_format && (role & ROLE_DATA) &&
	    !(role & (ROLE_METADATA | ROLE_FILTERED)))
		c.protocol = false;
	if ((parent_is_format && !(role & ROLE_COW)) || (role & ROLE_METADATA))
		c.protocol = true;
	if (role & ROLE_COW) {
		c.read_only = true;	/* backing files: read-only by default */
		c.auto_ro = false;
		c.depth++;
	}
	return c;
}

/* A node the running QEMU has already: opened, so it adds nothing,
 * unless the command reopens it with its parent (live->inherit). */
static int open_live(struct reader *r, const struct node_in *parent,
		     const char *node_name, bool cow, struct node_out *out)
{
	const struct qemu_live_node *n = qemu_live_find(r->live, node_name);

	if (!n)
		return qemu_arg_fail(r->e, parent->it->opt, parent->it->arg,
				     "QEMU has no node named \"%s\"", node_name);
	if (r->live->inherit && n->file) {
		struct node_in in = *parent;
		in.read_only |= cow;
		in.depth += cow;
		add_disk(r, &in, n->file);
	}
	set_out(out, n->protocol ? n->file : NULL, n->file);
	return 0;
}

/* The -blockdev node named, opened as itself (its own read-only), once:
 * later references find what it presents. */
static int open_reference(struct reader *r, const struct node_in *parent,
			  const char *node_name, bool cow,
			  struct node_out *out)
{
	struct item *it = graph_find_item(r, ITEM_BLOCKDEV, node_name);
	bool shared = parent->shared || (it && it->shared);

	*out = (struct node_out){0};
	if (!it && r->live)
		return open_live(r, parent, node_name, cow, out);
	if (!it)
		return qemu_arg_fail(r->e, parent->it->opt, parent->it->arg,
				     "no -blockdev has node-name \"%s\"",
				     node_name);
	if (it->opening || r->nest >= NODE_NEST_MAX)
		return qemu_arg_fail(r->e, parent->it->opt, parent->it->arg,
				     "nodes nest too deeply (a reference "
				     "loop?)");
	if (!it->opened[shared]) {
		struct node_in in = {
			.it = it, .shared = shared, .headers = r->headers,
			.depth = parent->depth + cow,
		};
		struct node_out o;

		it->opening = true;
		r->nest++;
		int rc = graph_open_node(r, &it->kv, "", &in, &o);
		r->nest--;
		it->opening = false;
		if (rc)
			return rc;
		it->opened[shared] = true;
		free_out(&it->presents);
		it->presents = o;
	}
	set_out(out, it->presents.data, it->presents.filename);
	return 0;
}

/* Child key of the node at prefix: a reference, inline options, and/or
 * a positional file name; nothing when none is given. */
static int open_child(struct reader *r, const struct qemu_kvlist *kv,
		      const char *prefix, const char *key,
		      const struct node_in *in, struct node_out *out)
{
	char *full, *sub;
	struct qemu_kv *ref;
	int rc = 0;

	*out = (struct node_out){0};
	if (!kv->n)	/* no option anywhere: the positional name alone */
		return in->positional ? graph_open_node(r, kv, "", in, out) : 0;
	full = vl_asprintf("%s%s", prefix, key);
	ref = qemu_kv_find(kv, full);
	sub = vl_asprintf("%s.", full);
	if (ref && ref->val && *ref->val)
		rc = open_reference(r, in, ref->val, false, out);
	else if (qemu_kv_has_prefix(kv, sub))
		rc = graph_open_node(r, kv, sub, in, out);
	else if (in->positional)	/* no option below: no long prefix */
		rc = graph_open_node(r, &no_options, "", in, out);
	free(full);
	free(sub);
	return rc;
}

/* A numbered child key: "children" gives children.0, children.1, ... */
static int open_numbered(struct reader *r, const struct qemu_kvlist *kv,
			 const char *prefix, const char *key,
			 const struct node_in *in, struct node_out *first)
{
	int rc = 0;

	for (unsigned i = 0; !rc; i++) {
		char *k = vl_asprintf("%s.%u", key, i);
		char *full = vl_asprintf("%s%s", prefix, k);
		bool present = qemu_kv_find(kv, full) || has_sub(kv, prefix, k);
		struct node_out o;

		if (present)
			rc = open_child(r, kv, prefix, k, in, &o);
		if (present && !rc && i == 0)
			*first = o;
		else if (present && !rc)
			free_out(&o);
		free(k);
		free(full);
		if (!present)
			break;
	}
	return rc;
}

/* The children a driver opens itself; primary: what its first child
 * presents. */
static int open_children(struct reader *r, const struct qemu_kvlist *kv,
			 const char *prefix, const struct qemu_driver *d,
			 const char *const *positional, bool skip_file,
			 const struct node_in *in, struct node_out *primary)
{
	int rc = 0;

	for (size_t i = 0; !rc && d->children[i].key; i++) {
		const struct qemu_child *c = &d->children[i];
		struct node_in ci = child_in(in, in->protocol, d->format, c->role,
					     positional ? positional[i] : NULL);
		struct node_out o = {0};

		if (skip_file && !strcmp(c->key, "file"))
			continue;
		rc = !strcmp(c->key, "children")
		     ? open_numbered(r, kv, prefix, c->key, &ci, &o)
		     : open_child(r, kv, prefix, c->key, &ci, &o);
		if (!rc && i == 0)
			*primary = o;
		else
			free_out(&o);
	}
	return rc;
}

/* The backing file, as bdrv_open_backing_file() finds it: a reference,
 * backing.* options, and unless backing.file.filename replaces it the
 * name the header stores, beside the overlay's file. */
static int open_backing(struct reader *r, const struct qemu_kvlist *kv,
			const char *prefix, const struct qemu_driver *d,
			const struct image_header *h, const struct node_out *file,
			const struct node_in *in)
{
	char *key = vl_asprintf("%sbacking", prefix);
	struct qemu_kv *ref = qemu_kv_find(kv, key);
	char *sub = vl_asprintf("%s.", key), *full = NULL;
	struct node_in bi = child_in(in, false, true, ROLE_COW, NULL);
	struct node_out o = {0};
	bool replaced = opt(kv, sub, "file.filename") != NULL;
	bool named = h && h->backing && *h->backing;
	int rc = 0;

	free(key);
	if (ref && ref->val && *ref->val)
		rc = open_reference(r, in, ref->val, true, &o);
	else if (ref || (!named && !qemu_kv_has_prefix(kv, sub)))
		;	/* backing: null, "", or none at all */
	else if (!d->backing)
		rc = node_fail(r, in, prefix, "backing options for a driver "
			       "without backing files");
	else if (named && !replaced && !qemu_name_is_protocol(h->backing) &&
		 h->backing[0] != '/' && !file->filename)
		rc = node_fail(r, in, h->backing, "a relative backing file "
			       "name with no file name to be relative to");
	else {
		if (named && !replaced)
			bi.positional = full = qemu_name_is_protocol(h->backing)
				? vl_strdup(h->backing)
				: vl_path_beside(file->filename, h->backing);
		if (h && h->backing_format && !opt(kv, sub, "driver"))
			bi.driver = h->backing_format;
		bi.overlay = file->data;
		/* a chain's nodes have no options: no prefix growing with depth */
		rc = qemu_kv_has_prefix(kv, sub)
		     ? graph_open_node(r, kv, sub, &bi, &o)
		     : graph_open_node(r, &no_options, "", &bi, &o);
	}
	free_out(&o);
	free(full);
	free(sub);
	return rc;
}

/* qcow2's data file: the data-file option, else the name its header
 * stores (relative to QEMU's current directory). */
static int open_data_file(struct reader *r, const struct qemu_kvlist *kv,
			  const char *prefix, const struct image_header *h,
			  const struct node_in *in)
{
	struct node_in di = child_in(in, false, true, ROLE_DATA, NULL);
	bool given = opt(kv, prefix, "data-file") || has_sub(kv, prefix,
							      "data-file");
	struct node_out o;
	int rc;

	if (!given && !h->external_data)
		return 0;
	if (!given && !h->data_file)
		return node_fail(r, in, prefix, "a qcow2 image with an external "
				 "data file that names none, and no data-file=");
	if (!given)
		di.positional = h->data_file;
	rc = open_child(r, kv, prefix, "data-file", &di, &o);
	free_out(&o);
	return rc;
}

/* VMDK extents: beside the descriptor unless absolute. */
static int open_extents(struct reader *r, const struct qemu_kvlist *kv,
			const char *prefix, const struct image_header *h,
			const struct node_out *file, const struct node_in *in)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < h->nextents; i++) {
		char *key = vl_asprintf("extents.%zu", i);
		char *name = h->extents[i].name[0] == '/' || !file->filename
			     ? vl_strdup(h->extents[i].name)
			     : vl_path_beside(file->filename, h->extents[i].name);
		struct node_in ei = child_in(in, false, true, ROLE_DATA, name);
		struct node_out o;

		rc = open_child(r, kv, prefix, key, &ei, &o);
		free_out(&o);
		free(key);
		free(name);
	}
	return rc;
}

/* A header read once per file on the way down: a file met again is a
 * loop. */
static int push_chain(struct reader *r, const struct stat *st,
		      const char *path)
{
	for (size_t i = 0; i < r->nchain; i++)
		if (!vl_cmp_ident(r->chain[i].dev, r->chain[i].ino, st->st_dev,
				  st->st_ino))
			return vl_fail(r->e, EX_DATAERR, "%s: backing chain "
				       "loops at %s", r->chain[0].path, path);
	if (r->nchain > IMAGE_CHAIN_MAX)
		return vl_fail(r->e, EX_DATAERR, "%s: backing chain deeper "
			       "than %d", r->chain[0].path, IMAGE_CHAIN_MAX);
	*VL_PUSH(r->chain, r->nchain, r->chain_cap) =
		(__typeof__(*r->chain)){ st->st_dev, st->st_ino,
					 vl_strdup(path) };
	return 0;
}

/* Reads the header of the file below a format node (to probe it, or for
 * the files it names). */
static int read_header(struct reader *r, const struct node_in *in,
		       const struct node_out *file, const char *format,
		       struct image_header *h, bool *pushed)
{
	char *what, *path;
	struct stat st;
	int rc;

	*pushed = false;
	if (!file->data)
		return node_fail(r, in, file->filename ? file->filename : "",
				 "cannot read the image header of storage "
				 "that is not a local file: vmlock cannot tell "
				 "which files it names (give format=raw, or "
				 "backing=null)");
	path = vl_path_join(r->cwd, file->data);
	if (in->overlay) {
		char *overlay = vl_path_join(r->cwd, in->overlay);
		what = vl_asprintf("%s (backing file of %s)", path, overlay);
		free(overlay);
	} else {
		what = vl_strdup(path);
	}
	rc = image_read(path, what, format, &st, h, r->e);
	if (!rc && !(rc = push_chain(r, &st, path)))
		*pushed = true;
	free(what);
	free(path);
	return rc;
}

/* The driver of a node that names none: probed from its file's header,
 * as QEMU probes; raw when none of the formats with more files. */
static const char *probed(const struct image_header *h)
{
	return h->qcow2 ? "qcow2" : h->qcow ? "qcow" : h->qed ? "qed"
	       : h->vmdk ? "vmdk" : "raw";
}

/* What a format's header adds, and its backing file. */
static int open_header_files(struct reader *r, const struct qemu_kvlist *kv,
			     const char *prefix, const struct qemu_driver *d,
			     const struct image_header *h,
			     const struct node_out *file,
			     const struct node_in *in)
{
	int rc = 0;

	if (d->header == HDR_QCOW2)
		rc = open_data_file(r, kv, prefix, h, in);
	if (!rc && d->header == HDR_VMDK)
		rc = open_extents(r, kv, prefix, h, file, in);
	if (!rc && d->backing)
		rc = open_backing(r, kv, prefix, d, h, file, in);
	return rc;
}

/* raw with an offset presents other bytes than its file's. */
static bool presents_file(const struct qemu_kvlist *kv, const char *prefix,
			  const struct qemu_driver *d)
{
	const char *offset = opt(kv, prefix, "offset");

	return d->passes_data && (!offset || !strcmp(offset, "0"));
}

/* A format or filter node: its file (opened first, with the positional
 * name, never probed), its driver (given or probed), its children and
 * header. */
static int open_format(struct reader *r, const struct qemu_kvlist *kv,
		       const char *prefix, const struct qemu_driver *d,
		       const struct node_in *in, struct node_out *out)
{
	struct node_in fi = child_in(in, true, true, ROLE_IMAGE, in->positional);
	struct image_header h = {0};
	struct node_out file = {0}, primary = {0};
	bool pushed = false, header;
	int rc = open_child(r, kv, prefix, "file", &fi, &file);

	header = in->headers && (!d || d->header != HDR_NONE);
	if (!rc && header)
		rc = read_header(r, in, &file, d ? d->name : NULL, &h, &pushed);
	if (!rc && !d && !file.exists)
		rc = node_fail(r, in, prefix, "neither driver nor file");
	/* no header read: a format that may have any child */
	if (!rc && !d)
		d = qemu_find_driver(in->headers ? probed(&h) : "qcow2");
	if (!rc)
		rc = open_children(r, kv, prefix, d, NULL, true, in, &primary);
	if (!rc)	/* with no header read, what the options name */
		rc = open_header_files(r, kv, prefix, d, &h, &file, in);
	if (!rc && strcmp(d->children[0].key, "file"))
		file = (free_out(&file), primary);	/* image=, children.0 */
	else
		free_out(&primary);
	if (!rc && presents_file(kv, prefix, d))
		set_out(out, file.data, file.filename);
	else if (!rc)
		set_out(out, NULL, file.filename);	/* names relative to it */
	if (pushed)
		graph_pop_chain(r);
	image_header_free(&h);
	free_out(&file);
	return rc;
}

static int open_options(struct reader *r, const struct qemu_kvlist *kv,
			const char *prefix, struct node_in *in,
			struct node_out *out)
{
	const char *name = opt(kv, prefix, "driver");
	const struct qemu_driver *d = NULL;
	int rc = node_flags(r, kv, prefix, in);

	if (!name)
		name = in->driver;
	if (!rc && name && !(d = qemu_find_driver(name)))
		rc = node_fail(r, in, name, "unknown block driver");
	if (rc)
		return rc;
	if (d ? d->protocol : in->protocol)
		return open_protocol(r, kv, prefix, d, in, out);
	return open_format(r, kv, prefix, d, in, out);
}

/* A json:{...} name: its options join the node's, the node's winning. */
static int open_json(struct reader *r, const struct qemu_kvlist *kv,
		     const char *prefix, struct node_in *in,
		     struct node_out *out)
{
	struct qemu_kvlist merged = {0}, json = {0};
	int rc;

	if (r->nest >= NODE_NEST_MAX)
		return node_fail(r, in, prefix, "json: names nest too deeply");
	rc = qemu_json_parse(in->positional + strlen("json:"), &json, r->e);

	if (rc && in->overlay)	/* stored in an image header: corrupt */
		rc = vl_fail(r->e, EX_DATAERR, "%s: backing file name %s: %s",
			     in->overlay, in->positional, r->e->msg);
	else if (rc)
		rc = node_fail(r, in, "json: filename", r->e->msg);
	if (rc)
		goto out;
	qemu_kv_copy_below(kv, prefix, &merged);
	for (size_t i = 0; i < json.n; i++)
		if (!qemu_kv_find(&merged, json.v[i].key))
			qemu_kv_append(&merged, vl_strdup(json.v[i].key),
				       json.v[i].val ? vl_strdup(json.v[i].val)
						     : NULL);
	in->positional = NULL;
	r->nest++;
	rc = open_options(r, &merged, "", in, out);
	r->nest--;
out:
	qemu_kvlist_free(&merged);
	qemu_kvlist_free(&json);
	return rc;
}

int graph_open_node(struct reader *r, const struct qemu_kvlist *kv,
		    const char *prefix, const struct node_in *parent,
		    struct node_out *out)
{
	struct node_in in = *parent;
	int rc;

	*out = (struct node_out){0};
	if (in.positional && !*in.positional)
		in.positional = NULL;
	if (in.positional && vl_starts_with(in.positional, "json:"))
		rc = open_json(r, kv, prefix, &in, out);
	else
		rc = open_options(r, kv, prefix, &in, out);
	if (rc)
		free_out(out);
	else
		out->exists = true;
	return rc;
}

void graph_pop_chain(struct reader *r)
{
	free(r->chain[--r->nchain].path);
}

int graph_backing_name(struct reader *r, const struct item *it,
		       const char *image, const char *format, char **backing)
{
	struct node_in in = { .it = it };
	struct node_out file = { .data = (char *)image, .filename = (char *)image };
	struct image_header h = {0};
	bool pushed;
	int rc = read_header(r, &in, &file, format, &h, &pushed);

	*backing = NULL;
	if (pushed)
		graph_pop_chain(r);
	if (!rc && h.backing && *h.backing)
		*backing = qemu_name_beside(image, h.backing);
	image_header_free(&h);
	return rc;
}

int graph_open_reference(struct reader *r, const struct node_in *parent,
			 const char *node_name, struct node_out *out)
{
	return open_reference(r, parent, node_name, false, out);
}

void graph_free_out(struct node_out *out)
{
	free_out(out);
}
