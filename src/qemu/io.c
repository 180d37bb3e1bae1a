/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* qemu-io (its -c commands too), qemu-nbd and qemu-storage-daemon. */
#include "config.h"
#include "qemu/filename.h"
#include "qemu/opts.h"
#include "qemu/tools.h"
#include "util/path.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	/* the image open names words of its command: all kept to the end */
	struct tool_args *args = vl_calloc(t->ncmds ? t->ncmds : 1,
					   sizeof *args);
	char **cmds = vl_calloc(t->ncmds ? t->ncmds : 1, sizeof *cmds);
	int rc = 0;

	for (size_t i = 0; !rc && i < t->ncmds; i++) {
		cmds[i] = vl_strdup(t->cmds[i]);
		rc = io_command(r, it, t, cmds[i], cur, &args[i]);
	}
	for (size_t i = 0; i < t->ncmds; i++) {
		free_tool_args(&args[i]);
		free(cmds[i]);
	}
	free(args);
	free(cmds);
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

