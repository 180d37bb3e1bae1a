/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* qemu-img: what each command opens and writes. */
#include "config.h"
#include "qemu/filename.h"
#include "qemu/opts.h"
#include "qemu/tools.h"
#include "util/path.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

