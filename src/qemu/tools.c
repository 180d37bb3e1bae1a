/* qemu-img, qemu-io and qemu-nbd command lines: getopt_long as these
 * tools call it, then what each command opens and writes. */
#include "config.h"
#include "qemu/filename.h"
#include "qemu/graph.h"
#include "qemu/opts.h"
#include "util/path.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static const struct tool_option img_amend_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, SHORT('o', true, T_NONE),
	SHORT('t', true, T_NONE), SHORT('p', false, T_NONE),
	LONG("force", 0, false, T_NONE), END,
};
static const struct tool_option img_bench_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE, SHORT('c', true, T_NONE),
	SHORT('d', true, T_NONE), SHORT('n', false, T_NONE),
	SHORT('i', true, T_NONE), SHORT('o', true, T_NONE),
	SHORT('s', true, T_NONE), SHORT('S', true, T_NONE),
	SHORT('t', true, T_NONE), SHORT('w', false, T_WRITE),
	LONG("flush-interval", 0, true, T_NONE),
	LONG("pattern", 0, true, T_NONE), LONG("no-drain", 0, false, T_NONE),
	END,
};
static const struct tool_option img_bitmap_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, SHORT('b', true, T_BACKING),
	SHORT('F', true, T_SECOND_FORMAT), SHORT('g', true, T_NONE),
	LONG("granularity", 0, true, T_NONE), LONG("add", 0, false, T_NONE),
	LONG("remove", 0, false, T_NONE), LONG("clear", 0, false, T_NONE),
	LONG("enable", 0, false, T_NONE), LONG("disable", 0, false, T_NONE),
	LONG("merge", 0, true, T_NONE), END,
};
static const struct tool_option img_check_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE,
	LONG("repair", 'r', true, T_WRITE), SHORT('T', true, T_NONE),
	LONG("output", 0, true, T_NONE), END,
};
static const struct tool_option img_commit_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, SHORT('t', true, T_NONE),
	SHORT('b', true, T_BACKING), SHORT('d', false, T_NONE),
	SHORT('p', false, T_NONE), SHORT('r', true, T_NONE), END,
};
static const struct tool_option img_compare_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE,
	SHORT('F', true, T_SECOND_FORMAT), SHORT('T', true, T_NONE),
	SHORT('p', false, T_NONE), SHORT('s', false, T_NONE), END,
};
static const struct tool_option img_convert_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE,
	SHORT('O', true, T_OUT_FORMAT), SHORT('B', true, T_BACKING),
	SHORT('F', true, T_SECOND_FORMAT), SHORT('C', false, T_NONE),
	SHORT('c', false, T_NONE), SHORT('o', true, T_OPTIONS),
	SHORT('l', true, T_NONE), SHORT('S', true, T_NONE),
	SHORT('p', false, T_NONE), SHORT('t', true, T_NONE),
	SHORT('T', true, T_NONE), SHORT('n', false, T_NO_CREATE),
	SHORT('m', true, T_NONE), SHORT('W', false, T_NONE),
	SHORT('r', true, T_NONE),
	LONG("target-image-opts", 0, false, T_TARGET_IMAGE_OPTS),
	LONG("salvage", 0, false, T_NONE),
	LONG("target-is-zero", 0, false, T_NONE),
	LONG("bitmaps", 0, false, T_NONE),
	LONG("skip-broken-bitmaps", 0, false, T_NONE), END,
};
static const struct tool_option img_create_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, SHORT('F', true, T_SECOND_FORMAT),
	SHORT('b', true, T_BACKING), SHORT('o', true, T_OPTIONS),
	SHORT('u', false, T_UNSAFE), END,
};
static const struct tool_option img_dd_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE, SHORT('O', true, T_OUT_FORMAT),
	END,
};
static const struct tool_option img_info_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE, LONG("output", 0, true, T_NONE),
	LONG("backing-chain", 0, false, T_NONE), END,
};
static const struct tool_option img_map_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE, LONG("output", 0, true, T_NONE),
	LONG("start-offset", 0, true, T_NONE),
	LONG("max-length", 0, true, T_NONE), END,
};
static const struct tool_option img_measure_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE, SHORT('O', true, T_NONE),
	SHORT('o', true, T_NONE), SHORT('l', true, T_NONE),
	LONG("output", 0, true, T_NONE), LONG("size", 0, true, T_NONE),
	LONG("target-image-opts", 0, false, T_NONE), END,
};
static const struct tool_option img_rebase_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE,
	SHORT('F', true, T_SECOND_FORMAT), SHORT('b', true, T_BACKING),
	SHORT('u', false, T_UNSAFE), SHORT('p', false, T_NONE),
	SHORT('t', true, T_NONE), SHORT('T', true, T_NONE), END,
};
static const struct tool_option img_resize_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, LONG("preallocation", 0, true, T_NONE),
	LONG("shrink", 0, false, T_NONE), END,
};
static const struct tool_option img_snapshot_opts[] = {
	COMMON_OPTIONS, FORMAT, QUIET, FORCE_SHARE, SHORT('l', false, T_NONE),
	SHORT('a', true, T_WRITE), SHORT('c', true, T_WRITE),
	SHORT('d', true, T_WRITE), END,
};
static const struct tool_option img_global_opts[] = {
	LONG("help", 'h', false, T_NO_IMAGE),
	LONG("version", 'V', false, T_NO_IMAGE),
	LONG("trace", 'T', true, T_NONE), END,
};
static const struct tool_option io_opts[] = {
	COMMON_OPTIONS, FORMAT, FORCE_SHARE,
	LONG("version", 'V', false, T_NO_IMAGE),
	LONG("cmd", 'c', true, T_COMMAND), LONG("read-only", 'r', false, T_READ_ONLY),
	LONG("snapshot", 's', false, T_READ_ONLY),
	LONG("nocache", 'n', false, T_NONE), LONG("misalign", 'm', false, T_NONE),
	LONG("native-aio", 'k', false, T_NONE), LONG("aio", 'i', true, T_NONE),
	LONG("discard", 'd', true, T_NONE), LONG("cache", 't', true, T_NONE),
	LONG("trace", 'T', true, T_NONE), END,
};
static const struct tool_option nbd_opts[] = {
	COMMON_OPTIONS, FORMAT, LONG("force-share", 0, false, T_FORCE_SHARE),
	LONG("version", 'V', false, T_NO_IMAGE),
	LONG("bind", 'b', true, T_NONE), LONG("port", 'p', true, T_NONE),
	LONG("socket", 'k', true, T_NONE), LONG("offset", 'o', true, T_NONE),
	LONG("read-only", 'r', false, T_READ_ONLY),
	LONG("allocation-depth", 'A', false, T_NONE),
	LONG("bitmap", 'B', true, T_NONE),
	LONG("snapshot", 's', false, T_READ_ONLY),
	LONG("load-snapshot", 'l', true, T_READ_ONLY),
	LONG("nocache", 'n', false, T_NONE), LONG("cache", 0, true, T_NONE),
	LONG("aio", 0, true, T_NONE), LONG("discard", 0, true, T_NONE),
	LONG("detect-zeroes", 0, true, T_NONE),
	LONG("shared", 'e', true, T_NONE), LONG("persistent", 't', false, T_NONE),
	LONG("export-name", 'x', true, T_NONE),
	LONG("description", 'D', true, T_NONE),
	LONG("tls-creds", 0, true, T_NONE), LONG("tls-hostname", 0, true, T_NONE),
	LONG("tls-authz", 0, true, T_NONE), LONG("trace", 'T', true, T_NONE),
	LONG("fork", 0, false, T_NONE), LONG("pid-file", 0, true, T_NONE),
	LONG("connect", 'c', true, T_NONE),
	LONG("disconnect", 'd', false, T_NO_IMAGE),
	LONG("list", 'L', false, T_NO_IMAGE), LONG("verbose", 'v', false, T_NONE),
	END,
};

static int apply_tool_option(struct tool_args *t, const struct tool_option *o,
			     const char *value, struct vl_error *e)
{
	switch (o->role) {
	case T_NONE: break;
	case T_NO_IMAGE: t->no_image = true; break;
	case T_FORMAT: t->format = value; break;
	case T_SECOND_FORMAT: t->second_format = value; break;
	case T_OUT_FORMAT: t->out_format = value; break;
	case T_FORCE_SHARE: t->force_share = true; break;
	case T_READ_ONLY: t->read_only = true; break;
	case T_WRITE: t->write = true; break;
	case T_IMAGE_OPTS: t->image_opts = true; break;
	case T_TARGET_IMAGE_OPTS: t->target_image_opts = true; break;
	case T_BACKING: t->backing = value; break;
	case T_UNSAFE: t->unsafe = true; break;
	case T_NO_CREATE: t->no_create = true; break;
	case T_COMMAND: *VL_PUSH(t->cmds, t->ncmds, t->cmds_cap) = value; break;
	case T_BLOCKDEV:
		*VL_PUSH(t->blockdevs, t->nblockdevs, t->blockdevs_cap) = value;
		break;
	case T_OPTIONS:
		if (qemu_opts_parse(value, NULL, &t->options, e))
			return qemu_arg_fail(e, "-o", value, "%s", e->msg);
		break;
	}
	return 0;
}

static const struct tool_option *find_long(const struct tool_option *opts,
					   const char *name, size_t len)
{
	const struct tool_option *found = NULL;
	int matches = 0;

	for (const struct tool_option *o = opts; o->name || o->letter; o++) {
		if (!o->name || strncmp(o->name, name, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		found = o;	/* getopt_long takes an unambiguous prefix */
		matches++;
	}
	return matches == 1 ? found : NULL;
}

static const struct tool_option *find_short(const struct tool_option *opts,
					    char letter)
{
	for (const struct tool_option *o = opts; o->name || o->letter; o++)
		if (o->letter == letter)
			return o;
	return NULL;
}

static int long_option(const char *tool, const struct tool_option *opts,
		       char *const argv[], int argc, int *i,
		       struct tool_args *t, struct vl_error *e)
{
	const char *arg = argv[*i], *name = arg + 2, *value = NULL;
	size_t len = strcspn(name, "=");
	const struct tool_option *o = find_long(opts, name, len);

	if (!o)
		return vl_fail(e, EX_USAGE, "%s: unknown option \"%s\"", tool,
			       arg);
	if (name[len] == '=') {
		if (!o->has_value)
			return vl_fail(e, EX_USAGE, "%s: option \"%s\" takes "
				       "no value", tool, arg);
		value = name + len + 1;
	} else if (o->has_value) {
		if (*i + 1 >= argc)
			return vl_fail(e, EX_USAGE, "%s: option \"%s\" needs "
				       "a value", tool, arg);
		value = argv[++*i];
	}
	return apply_tool_option(t, o, value, e);
}

static int short_options(const char *tool, const struct tool_option *opts,
			 char *const argv[], int argc, int *i,
			 struct tool_args *t, struct vl_error *e)
{
	const char *arg = argv[*i];

	for (const char *p = arg + 1; *p; p++) {
		const struct tool_option *o = find_short(opts, *p);
		const char *value = NULL;
		int rc;

		if (!o)
			return vl_fail(e, EX_USAGE, "%s: unknown option -%c "
				       "in \"%s\"", tool, *p, arg);
		if (o->has_value) {
			if (p[1])
				value = p + 1;
			else if (*i + 1 < argc)
				value = argv[++*i];
			else
				return vl_fail(e, EX_USAGE, "%s: option -%c "
					       "needs a value", tool, *p);
		}
		rc = apply_tool_option(t, o, value, e);
		if (rc || value)
			return rc;
	}
	return 0;
}

/* getopt_long as these tools call it: options and operands mixed, "--"
 * ends options; stop_at_operand for qemu-img's global options. Returns
 * the index of the first argument not read. */
static int read_tool_options(const char *tool, const struct tool_option *opts,
			     int argc, char *const argv[], bool stop_at_operand,
			     struct tool_args *t, int *next, struct vl_error *e)
{
	bool options_done = false;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc = 0;

		if (options_done || a[0] != '-' || !a[1]) {
			if (stop_at_operand)
				break;
			t->pos = vl_reallocarray(t->pos, t->npos + 1,
					       sizeof *t->pos);
			t->pos[t->npos++] = a;
		} else if (!strcmp(a, "--")) {
			options_done = true;
		} else if (a[1] == '-') {
			rc = long_option(tool, opts, argv, argc, &i, t, e);
		} else {
			rc = short_options(tool, opts, argv, argc, &i, t, e);
		}
		if (rc)
			return rc;
	}
	*next = i;
	return 0;
}

/* One image a tool opens: a file name, and/or options (the QemuOpts
 * kv); chain: its header is read (an image it creates has none yet). */
static int tool_node(struct reader *r, const struct item *it,
		     const char *name, const struct qemu_kvlist *opts,
		     const char *format, enum vl_mode mode, bool chain)
{
	static const struct qemu_kvlist none;
	struct node_in in = {
		.it = it, .positional = name, .driver = format,
		.read_only = mode == VL_READONLY, .headers = chain && r->headers,
	};
	struct node_out out;
	int rc = graph_open_node(r, opts ? opts : &none, "", &in, &out);

	if (!rc)
		graph_free_out(&out);
	return rc;
}

/* A file name, or with --image-opts an option list like -drive's. */
static int tool_image(struct reader *r, const struct item *it,
		      const char *name, bool opts, const char *format,
		      enum vl_mode mode, bool chain)
{
	struct qemu_kvlist kv = {0};
	int rc = opts ? qemu_opts_parse(name, NULL, &kv, r->e) : 0;

	if (rc)
		rc = qemu_arg_fail(r->e, it->opt, name, "%s", r->e->msg);
	else
		rc = tool_node(r, it, opts ? NULL : name, &kv, format, mode,
			       chain);
	qemu_kvlist_free(&kv);
	return rc;
}

static int tool_read_image(struct reader *r, const struct item *it,
			   const struct tool_args *t, const char *name,
			   const char *format)
{
	if (t->force_share) {
		qemu_add_note(r->out, "not locked: %s (force-share)", name);
		return 0;
	}
	return tool_image(r, it, name, t->image_opts, format, VL_READONLY,
			  true);
}

/* A file the tool creates, or overwrites when it exists. */
static int tool_output(struct reader *r, const struct item *it,
		       const char *name, bool opts, const char *format,
		       bool keep)
{
	char *path = vl_path_join(r->cwd, name);
	struct stat st;
	bool exists = opts || (!qemu_name_is_protocol(name) &&
			       !vl_starts_with(name, "json:") &&
			       stat(path, &st) == 0);

	free(path);
	if (!exists)
		return 0;
	return tool_image(r, it, name, opts, format, VL_EXCLUSIVE, keep);
}

static int tool_fail_operands(struct reader *r, const struct item *it,
			      size_t want)
{
	return vl_fail(r->e, EX_USAGE, "%s: expected %zu file name%s", it->opt,
		       want, want == 1 ? "" : "s");
}

/* info, map, measure, check, compare, snapshot, bench, amend, resize:
 * every operand an image, the second one's format -F (compare). */
static int img_images(struct reader *r, const struct item *it,
		      struct tool_args *t, bool writes)
{
	for (size_t i = 0; i < t->npos; i++) {
		const char *fmt = i == 1 && t->second_format ? t->second_format
							    : t->format;
		int rc = writes || t->write
			 ? tool_image(r, it, t->pos[i], t->image_opts, fmt,
				      VL_EXCLUSIVE, true)
			 : tool_read_image(r, it, t, t->pos[i], fmt);
		if (rc)
			return rc;
	}
	return 0;
}

/* The files an image being created names (-b, -o backing_file=,
 * data_file=): its backing file is read, its data file written. */
static int new_image_files(struct reader *r, const struct item *it,
			   const struct tool_args *t, const char *image)
{
	const char *backing = t->backing ? t->backing
			      : qemu_kv_get(&t->options, "backing_file");
	const char *backing_fmt = t->second_format ? t->second_format
				  : qemu_kv_get(&t->options, "backing_fmt");
	const char *data_file = qemu_kv_get(&t->options, "data_file");
	int rc = 0;

	if (data_file)
		rc = tool_output(r, it, data_file, false, "raw", false);
	if (!rc && backing && *backing && !t->unsafe) {
		char *name = qemu_name_beside(image, backing);
		rc = tool_image(r, it, name, false, backing_fmt, VL_READONLY,
				true);
		free(name);
	}
	return rc;
}

static int img_create(struct reader *r, const struct item *it,
		      struct tool_args *t)
{
	int rc;

	if (t->npos < 1 || t->npos > 2)
		return tool_fail_operands(r, it, 1);
	rc = tool_output(r, it, t->pos[0], false, t->format, false);
	return rc ? rc : new_image_files(r, it, t, t->pos[0]);
}

static int img_convert(struct reader *r, const struct item *it,
		       struct tool_args *t)
{
	const char *out;
	int rc = 0;

	if (t->npos < 2)
		return tool_fail_operands(r, it, 2);
	out = t->pos[t->npos - 1];
	for (size_t i = 0; !rc && i + 1 < t->npos; i++)
		rc = tool_read_image(r, it, t, t->pos[i], t->format);
	if (!rc)
		rc = tool_output(r, it, out, t->target_image_opts,
				 t->out_format, t->no_create);
	return rc ? rc : new_image_files(r, it, t, out);
}

/* commit writes its image's base: -b, or the image's backing file. */
static int img_commit(struct reader *r, const struct item *it,
		      struct tool_args *t)
{
	char *base = NULL;
	int rc;

	if (t->npos != 1)
		return tool_fail_operands(r, it, 1);
	rc = tool_image(r, it, t->pos[0], t->image_opts, t->format,
			VL_EXCLUSIVE, true);
	if (rc || t->image_opts)
		return rc;
	if (t->backing)
		base = qemu_name_beside(t->pos[0], t->backing);
	else if (!qemu_name_is_protocol(t->pos[0]))
		rc = graph_backing_name(r, it, t->pos[0], t->format, &base);
	if (!rc && base)
		rc = tool_image(r, it, base, false, NULL, VL_EXCLUSIVE, true);
	free(base);
	return rc;
}

static int img_rebase(struct reader *r, const struct item *it,
		      struct tool_args *t)
{
	int rc;

	if (t->npos != 1)
		return tool_fail_operands(r, it, 1);
	rc = tool_image(r, it, t->pos[0], t->image_opts, t->format,
			VL_EXCLUSIVE, true);
	if (!rc && t->backing && *t->backing && !t->unsafe &&
	    !t->image_opts) {
		char *name = qemu_name_beside(t->pos[0], t->backing);
		rc = tool_image(r, it, name, false, t->second_format,
				VL_READONLY, true);
		free(name);
	}
	return rc;
}

/* bitmap writes its image; -b names a source read for --merge. */
static int img_bitmap(struct reader *r, const struct item *it,
		      struct tool_args *t)
{
	int rc;

	if (t->npos != 2)
		return tool_fail_operands(r, it, 2);
	rc = tool_image(r, it, t->pos[0], t->image_opts, t->format,
			VL_EXCLUSIVE, true);
	if (!rc && t->backing)
		rc = tool_image(r, it, t->backing, false, t->second_format,
				VL_READONLY, true);
	return rc;
}

/* dd if=IN of=OUT */
static int img_dd(struct reader *r, const struct item *it,
		  struct tool_args *t)
{
	const char *in = NULL, *out = NULL;
	int rc = 0;

	for (size_t i = 0; i < t->npos; i++) {
		if (vl_starts_with(t->pos[i], "if="))
			in = t->pos[i] + 3;
		else if (vl_starts_with(t->pos[i], "of="))
			out = t->pos[i] + 3;
	}
	if (!in || !out)
		return vl_fail(r->e, EX_USAGE, "%s: expected if= and of=",
			       it->opt);
	rc = tool_read_image(r, it, t, in, t->format);
	if (!rc)
		rc = tool_output(r, it, out, false, t->out_format, false);
	return rc;
}

static int img_read_only(struct reader *r, const struct item *it,
			 struct tool_args *t)
{
	return img_images(r, it, t, false);
}

static int img_write(struct reader *r, const struct item *it,
		     struct tool_args *t)
{
	return img_images(r, it, t, true);
}

struct img_command {
	const char *name;
	const struct tool_option *options;
	int (*read)(struct reader *r, const struct item *it,
		    struct tool_args *t);
};

static const struct img_command img_commands[] = {
	{ "amend", img_amend_opts, img_write },
	{ "bench", img_bench_opts, img_read_only },
	{ "bitmap", img_bitmap_opts, img_bitmap },
	{ "check", img_check_opts, img_read_only },
	{ "commit", img_commit_opts, img_commit },
	{ "compare", img_compare_opts, img_read_only },
	{ "convert", img_convert_opts, img_convert },
	{ "create", img_create_opts, img_create },
	{ "dd", img_dd_opts, img_dd },
	{ "info", img_info_opts, img_read_only },
	{ "map", img_map_opts, img_read_only },
	{ "measure", img_measure_opts, img_read_only },
	{ "rebase", img_rebase_opts, img_rebase },
	{ "resize", img_resize_opts, img_write },
	{ "snapshot", img_snapshot_opts, img_read_only },
};

static void free_tool_args(struct tool_args *t)
{
	qemu_kvlist_free(&t->options);
	free(t->pos);
	free(t->cmds);
	free(t->blockdevs);
	*t = (struct tool_args){0};
}

int qemu_read_img(int argc, char *const argv[], struct reader *r)
{
	struct tool_args t = {0};
	const struct img_command *cmd = NULL;
	struct item it = { .opt = "qemu-img" };
	int first, rc;

	rc = read_tool_options("qemu-img", img_global_opts, argc, argv, true,
			       &t, &first, r->e);
	if (rc || t.no_image)
		goto out;
	if (first >= argc) {
		rc = vl_fail(r->e, EX_USAGE, "qemu-img: no command given");
		goto out;
	}
	for (size_t i = 0; i < sizeof img_commands / sizeof *img_commands; i++)
		if (!strcmp(img_commands[i].name, argv[first]))
			cmd = &img_commands[i];
	if (!cmd) {
		rc = vl_fail(r->e, EX_USAGE, "unknown qemu-img command \"%s\"",
			     argv[first]);
		goto out;
	}
	it.opt = vl_asprintf("qemu-img %s", cmd->name);
	/* resize: the size may be "-1G"; qemu-img takes it off first */
	rc = read_tool_options(it.opt, cmd->options,
			       argc - first - !strcmp(cmd->name, "resize"),
			       argv + first, false, &t, &first, r->e);
	if (!rc && !t.no_image)
		rc = cmd->read(r, &it, &t);
	free((char *)it.opt);
out:
	free_tool_args(&t);
	return rc;
}

/* The image qemu-io has open: the command line's, or the last opened. */
struct io_image {
	const char *name;
	struct qemu_kvlist *opts;	/* or NULL */
	const char *format;
	bool force_share;
};

static const struct tool_option io_open_opts[] = {
	SHORT('s', false, T_READ_ONLY), SHORT('n', false, T_NONE),
	SHORT('C', false, T_NONE), SHORT('r', false, T_READ_ONLY),
	SHORT('o', true, T_OPTIONS), SHORT('k', false, T_NONE),
	SHORT('i', true, T_NONE), SHORT('t', true, T_NONE),
	SHORT('d', true, T_NONE), SHORT('U', false, T_FORCE_SHARE), END,
};
static const struct tool_option io_reopen_opts[] = {
	SHORT('c', true, T_NONE), SHORT('o', true, T_OPTIONS),
	SHORT('r', false, T_READ_ONLY), SHORT('w', false, T_WRITE), END,
};

static int io_lock(struct reader *r, const struct item *it,
		   const struct io_image *cur, enum vl_mode mode)
{
	if (cur->force_share) {
		qemu_add_note(r->out, "not locked: %s (force-share)",
			      cur->name ? cur->name : "an image of qemu-io");
		return 0;
	}
	return tool_node(r, it, cur->name, cur->opts, cur->format, mode, true);
}

/* One qemu-io command, split on spaces as qemu-io splits it: "open"
 * (or "o") opens another image, "reopen -w" (or -o read-only=off) makes
 * the open one written; no other command opens a file. */
static int io_command(struct reader *r, const struct item *it,
		      const struct tool_args *t, char *cmd,
		      struct io_image *cur, struct tool_args *args)
{
	char *words[64];
	int n = 0, next, rc = 0;
	bool open;

	for (char *w = strtok(cmd, " "); w && n < 63; w = strtok(NULL, " "))
		words[n++] = w;
	words[n] = NULL;
	open = n && (!strcmp(words[0], "open") || !strcmp(words[0], "o"));
	if (!n || (!open && strcmp(words[0], "reopen")))
		return 0;
	rc = read_tool_options(open ? "qemu-io open" : "qemu-io reopen",
			       open ? io_open_opts : io_reopen_opts, n, words,
			       false, args, &next, r->e);
	if (!rc && open && args->npos > 1)
		rc = tool_fail_operands(r, it, 1);
	if (rc)
		return rc;
	const char *ro = qemu_kv_get(&args->options, "read-only");
	if (open) {
		*cur = (struct io_image){
			.name = args->npos && !t->image_opts ? args->pos[0] : NULL,
			.opts = &args->options, .force_share = args->force_share,
		};
		if (args->npos && t->image_opts)
			rc = qemu_opts_parse(args->pos[0], NULL, &args->options,
					     r->e);
		return rc ? rc : io_lock(r, it, cur, args->read_only
					 ? VL_READONLY : VL_EXCLUSIVE);
	}
	bool writes = args->write || (ro && vl_parse_bool(ro, &args->read_only) &&
				      !args->read_only);
	return writes ? io_lock(r, it, cur, VL_EXCLUSIVE) : 0;
}

/* qemu-io's -c commands, in order, after its own image. */
static int io_commands(struct reader *r, const struct item *it,
		       const struct tool_args *t, struct io_image *cur)
{
	struct tool_args *args = vl_calloc(t->ncmds ? t->ncmds : 1,
					   sizeof *args);
	int rc = 0;

	for (size_t i = 0; !rc && i < t->ncmds; i++) {
		char *cmd = vl_strdup(t->cmds[i]);
		rc = io_command(r, it, t, cmd, cur, &args[i]);
		free(cmd);
	}
	for (size_t i = 0; i < t->ncmds; i++)
		free_tool_args(&args[i]);
	free(args);
	return rc;
}

/* qemu-io and qemu-nbd: one image, readonly under -r/-s, else written. */
static int read_single_image_tool(const char *tool,
				  const struct tool_option *opts, int argc,
				  char *const argv[], struct reader *r)
{
	struct tool_args t = {0};
	struct item it = { .opt = tool };
	int next, rc;

	rc = read_tool_options(tool, opts, argc, argv, false, &t, &next, r->e);
	if (!rc && !t.no_image && t.npos > 1)
		rc = tool_fail_operands(r, &it, 1);
	if (!rc && !t.no_image && t.npos == 1)
		rc = t.read_only
		     ? tool_read_image(r, &it, &t, t.pos[0], t.format)
		     : tool_image(r, &it, t.pos[0], t.image_opts, t.format,
				  VL_EXCLUSIVE, true);
	if (!rc && !t.no_image && t.ncmds) {
		struct qemu_kvlist kv = {0};
		struct io_image cur = {
			.name = t.npos && !t.image_opts ? t.pos[0] : NULL,
			.opts = &kv, .format = t.format,
			.force_share = t.force_share,
		};
		if (t.npos && t.image_opts)
			rc = qemu_opts_parse(t.pos[0], NULL, &kv, r->e);
		if (!rc)
			rc = io_commands(r, &it, &t, &cur);
		qemu_kvlist_free(&kv);
	}
	free_tool_args(&t);
	return rc;
}


static const struct tool_option qsd_opts[] = {
	LONG("blockdev", 0, true, T_BLOCKDEV), LONG("chardev", 0, true, T_NONE),
	LONG("daemonize", 0, false, T_NONE), LONG("export", 0, true, T_NONE),
	LONG("help", 'h', false, T_NO_IMAGE), LONG("monitor", 0, true, T_NONE),
	LONG("nbd-server", 0, true, T_NONE), LONG("object", 0, true, T_NONE),
	LONG("pidfile", 0, true, T_NONE), LONG("trace", 'T', true, T_NONE),
	LONG("version", 'V', false, T_NO_IMAGE), END,
};

/* qemu-storage-daemon: its --blockdev nodes, as -blockdev's (the exports
 * serve nodes it opened already). */
int qemu_read_qsd(int argc, char *const argv[], struct reader *r)
{
	struct tool_args t = {0};
	struct item it = { .opt = "qemu-storage-daemon" };
	int next, rc;

	rc = read_tool_options(it.opt, qsd_opts, argc, argv, false, &t, &next,
			       r->e);
	if (!rc && t.npos)
		rc = vl_fail(r->e, EX_USAGE, "qemu-storage-daemon: unexpected "
			     "argument \"%s\"", t.pos[0]);
	for (size_t i = 0; !rc && !t.no_image && i < t.nblockdevs; i++)
		rc = qemu_read_item(r, ITEM_BLOCKDEV, "--blockdev",
				    t.blockdevs[i]);
	if (!rc && !t.no_image)
		rc = graph_resolve(r);
	free_tool_args(&t);
	return rc;
}

int qemu_read_io(int argc, char *const argv[], struct reader *r)
{
	return read_single_image_tool("qemu-io", io_opts, argc, argv, r);
}

int qemu_read_nbd(int argc, char *const argv[], struct reader *r)
{
	return read_single_image_tool("qemu-nbd", nbd_opts, argc, argv, r);
}
