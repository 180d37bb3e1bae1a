/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The tools' options, read as getopt_long reads them, and the images
 * they open (tools.h). */
#include "config.h"
#include "qemu/filename.h"
#include "qemu/opts.h"
#include "qemu/tools.h"
#include "util/path.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
int read_tool_options(const char *tool, const struct tool_option *opts,
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
int tool_node(struct reader *r, const struct item *it,
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
int tool_image(struct reader *r, const struct item *it,
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

int tool_read_image(struct reader *r, const struct item *it,
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
int tool_output(struct reader *r, const struct item *it,
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

int tool_fail_operands(struct reader *r, const struct item *it,
			      size_t want)
{
	return vl_fail(r->e, EX_USAGE, "%s: expected %zu file name%s", it->opt,
		       want, want == 1 ? "" : "s");
}

void free_tool_args(struct tool_args *t)
{
	qemu_kvlist_free(&t->options);
	free(t->pos);
	free(t->cmds);
	free(t->blockdevs);
	*t = (struct tool_args){0};
}

