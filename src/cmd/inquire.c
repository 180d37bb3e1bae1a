/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock inquire: who holds a resource, as a table (libsmartcols, as
 * lslocks prints it) or as JSON. */
#include "config.h"
#include "api/api.h"
#include "cmd/commands.h"
#include "cmd/json.h"
#include "util/escape.h"
#include "util/util.h"

#include <errno.h>
#include <libsmartcols.h>
#include <locale.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { COL_MODE, COL_PID, COL_ROLE, COL_HOST, COL_COMMAND, COL_NAME,
       COL_PATH, COL_HELD, COL_KIND, N_COLS };

static const struct column {
	const char *name;
	double width;		/* libsmartcols' hint */
	int flags;
	const char *help;
} columns[N_COLS] = {
	[COL_MODE] = { "MODE", 9, 0, "mode of the holder's lock, or free" },
	[COL_PID] = { "PID", 7, SCOLS_FL_RIGHT,
		      "process id of the holder (? when not visible)" },
	[COL_ROLE] = { "ROLE", 8, 0, "holder, incoming, offer, foreign or qemu" },
	[COL_HOST] = { "HOST", 6, 0, "local, or remote (another host)" },
	[COL_COMMAND] = { "COMMAND", 15, SCOLS_FL_TRUNC,
			  "the holder's program" },
	[COL_NAME] = { "NAME", 12, SCOLS_FL_TRUNC,
		       "VM name (QEMU's -name)" },
	[COL_PATH] = { "PATH", 40, SCOLS_FL_TRUNC,
		       "the resource: path, lease:NAME or inode:MAJ:MIN:INO" },
	[COL_HELD] = { "HELD", 9, 0,
		       "mode the resource is held in (offers aside), or free" },
	[COL_KIND] = { "KIND", 5, 0, "file, lease or inode" },
};

static const int default_columns[] = { COL_MODE, COL_PID, COL_ROLE,
	COL_HOST, COL_COMMAND, COL_NAME, COL_PATH };

struct inquire_opts {
	int all, prune, busy, raw, noheadings, notruncate, output_all,
	    list_columns, json, pretty;
	char *output, *pid_arg;
	long pid;		/* -p: 0 for every holder */
	int cols[N_COLS];
	size_t n_cols;
};

/* The mode a resource is held in: the strongest of its holders', offers
 * aside; -1 when free. */
static int held_mode(const struct vl_holders *h)
{
	int mode = -1;

	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].role != VL_ROLE_OFFER)
			mode = mode < 0 ? (int)h->v[i].mode :
			       (int)vl_mode_stronger(mode, h->v[i].mode);
	return mode;
}

/* ---- JSON ----------------------------------------------------------- */

static void json_holder(struct json *j, const struct vl_holder *h)
{
	json_item(j);
	json_open(j, '{');
	json_key(j, "pid");
	if (h->pid < 0)
		fputs("null", j->out);
	else
		fprintf(j->out, "%ld", h->pid);
	json_key(j, "host");
	json_string(j, h->remote ? "remote" : "local");
	json_key(j, "mode");
	json_string(j, vl_mode_name(h->mode));
	json_key(j, "command");
	json_string(j, h->command);
	json_key(j, "name");
	json_string(j, h->name);
	json_key(j, "role");
	json_string(j, vl_role_name(h->role));
	json_close(j, '}');
}

static void print_json(FILE *out, const struct vl_found_list *fl, bool pretty)
{
	struct json j = { .out = out, .pretty = pretty, .first = true };

	json_open(&j, '{');
	json_key(&j, "resources");
	json_open(&j, '[');
	for (size_t i = 0; i < fl->n; i++) {
		const struct vl_found *f = &fl->v[i];
		int mode = held_mode(&f->holders);
		json_item(&j);
		json_open(&j, '{');
		json_key(&j, "path");
		json_string(&j, f->path);
		json_key(&j, "mode");
		json_string(&j, mode < 0 ? NULL : vl_mode_name(mode));
		json_key(&j, "holders");
		json_open(&j, '[');
		for (size_t k = 0; k < f->holders.n; k++)
			json_holder(&j, &f->holders.v[k]);
		json_close(&j, ']');
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_close(&j, '}');
	fputc('\n', out);
}

/* ---- the table -------------------------------------------------------- */

static const char *kind_of(const char *path)
{
	return vl_starts_with(path, "lease:") ? "lease" :
	       vl_starts_with(path, "inode:") ? "inode" : "file";
}

/* One cell of a holder's row (h NULL: the row of a free resource). */
static const char *cell(int col, const struct vl_found *f,
			const struct vl_holder *h, char *pid, size_t size)
{
	int held = held_mode(&f->holders);

	switch (col) {
	case COL_PATH: return f->path;
	case COL_KIND: return kind_of(f->path);
	case COL_HELD: return held < 0 ? "free" : vl_mode_name(held);
	case COL_MODE: return h ? vl_mode_name(h->mode) : "free";
	}
	if (!h)
		return "-";
	switch (col) {
	case COL_PID:
		if (h->pid < 0)
			return "?";
		snprintf(pid, size, "%ld", h->pid);
		return pid;
	case COL_ROLE: return vl_role_name(h->role);
	case COL_HOST: return h->remote ? "remote" : "local";
	case COL_COMMAND: return h->command ? h->command : "-";
	default: return h->name ? h->name : "-";
	}
}

static void add_row(struct libscols_table *tb, const struct inquire_opts *o,
		    const struct vl_found *f, const struct vl_holder *h)
{
	struct libscols_line *ln = dl_scols_table_new_line(tb, NULL);
	char pid[24];

	if (!ln)
		vl_die(EX_OSERR, "out of memory");
	/* libsmartcols escapes what is not printable, as lslocks shows it */
	for (size_t c = 0; c < o->n_cols; c++)
		if (dl_scols_line_set_data(ln, c, cell(o->cols[c], f, h, pid,
						    sizeof pid)))
			vl_die(EX_OSERR, "out of memory");
}

static void print_table(const struct vl_found_list *fl,
			const struct inquire_opts *o)
{
	struct libscols_table *tb;

	vl_load_scols();
	if (!(tb = dl_scols_new_table()))
		vl_die(EX_OSERR, "out of memory");
	dl_scols_table_enable_raw(tb, o->raw);
	dl_scols_table_enable_noheadings(tb, o->noheadings);
	for (size_t c = 0; c < o->n_cols; c++) {
		const struct column *col = &columns[o->cols[c]];
		int flags = o->notruncate ? col->flags & ~SCOLS_FL_TRUNC
					  : col->flags;
		if (!dl_scols_table_new_column(tb, col->name, col->width, flags))
			vl_die(EX_OSERR, "out of memory");
	}
	for (size_t i = 0; i < fl->n; i++) {
		const struct vl_found *f = &fl->v[i];
		if (!f->holders.n)
			add_row(tb, o, f, NULL);
		for (size_t k = 0; k < f->holders.n; k++)
			add_row(tb, o, f, &f->holders.v[k]);
	}
	dl_scols_print_table(tb);
	dl_scols_unref_table(tb);
}

static void list_columns(void)
{
	for (size_t c = 0; c < N_COLS; c++)
		printf("%-8s %s\n", columns[c].name, columns[c].help);
}

/* -o LIST (a leading + appends to the default columns), --output-all. */
static int choose_columns(struct inquire_opts *o, struct vl_error *e)
{
	const char *list = o->output;
	size_t n_default = sizeof default_columns / sizeof *default_columns;

	if (o->output_all || !list || *list == '+')
		for (size_t c = 0; c < (o->output_all ? N_COLS : n_default); c++)
			o->cols[o->n_cols++] = o->output_all ? (int)c
							     : default_columns[c];
	if (o->output_all || !list)
		return 0;
	list += *list == '+';
	for (const char *p = list; *p; p += *p == ',') {
		size_t len = strcspn(p, ","), c;
		for (c = 0; c < N_COLS; c++)
			if (strlen(columns[c].name) == len &&
			    !strncasecmp(p, columns[c].name, len))
				break;
		if (c == N_COLS || o->n_cols == N_COLS)
			return vl_fail(e, EX_USAGE, "--output: %s \"%.*s\" "
				       "(--list-columns lists them)",
				       c == N_COLS ? "unknown column"
						   : "too many columns",
				       (int)len, p);
		o->cols[o->n_cols++] = (int)c;
		p += len;
	}
	return 0;
}

/* -p PID: only what that process holds. */
static void keep_pid(struct vl_found_list *fl, long pid)
{
	size_t kept = 0;

	for (size_t i = 0; i < fl->n; i++) {
		struct vl_holders *h = &fl->v[i].holders;
		size_t n = 0;
		for (size_t k = 0; k < h->n; k++) {
			if (h->v[k].pid == pid) {
				h->v[n++] = h->v[k];
				continue;
			}
			free(h->v[k].command);
			free(h->v[k].name);
		}
		h->n = n;
		if (!n) {
			vl_holders_free(h);
			free(fl->v[i].path);
			continue;
		}
		fl->v[kept++] = fl->v[i];
	}
	fl->n = kept;
}

static bool any_held(const struct vl_found_list *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		if (held_mode(&fl->v[i].holders) >= 0)
			return true;
	return false;
}

static void pruned(const char *key)
{
	char *shown = vl_escape(key, "");

	vl_note("pruned stale lease file of %s", shown);
	free(shown);
}

/* popt would take the argument after an optional one (--json PATH) for
 * it: --json=pretty is read as --json-pretty before popt sees it. */
static void read_json_pretty(int argc, const char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json=pretty"))
			argv[i] = "--json-pretty";
}

static int check_options(struct inquire_opts *o, size_t n_res,
			 struct vl_error *e)
{
	char *end = NULL;

	if (o->pid_arg) {
		o->pid = strtol(o->pid_arg, &end, 10);
		if (*end || o->pid <= 0)
			return vl_fail(e, EX_USAGE, "--pid \"%s\": not a "
				       "process id", o->pid_arg);
		if (kill((pid_t)o->pid, 0) < 0 && errno == ESRCH)
			return vl_fail(e, EX_NOINPUT, "--pid %ld: no such "
				       "process", o->pid);
		o->all |= !n_res;
	}
	o->json |= o->pretty;
	if (!o->all && !n_res)
		return vl_fail(e, EX_USAGE, "no PATH given (or --lease, --all, "
			       "--pid)");
	if (o->prune && !o->all)
		return vl_fail(e, EX_USAGE, "--prune goes with --all");
	return choose_columns(o, e);
}

static int find(struct inquire_opts *o, const struct vl_driver *drv,
		const struct vl_reslist *l, struct vl_found_list *f,
		struct vl_error *e)
{
	int rc = 0;

	if (o->all && !drv->inquire_all)
		return vl_fail(e, EX_USAGE, "--all: the %s driver cannot list "
			       "what this host holds", drv->name);
	if (o->prune && !drv->prune)
		return vl_fail(e, EX_USAGE, "--prune: the %s driver keeps no "
			       "lease files", drv->name);
	if (o->prune && (rc = drv->prune(pruned, e)))
		return rc;
	if (o->all && (rc = drv->inquire_all(f, e)))
		return rc;
	if (!o->all)
		rc = vl_find_holders(drv, l, f, e);
	if (o->pid)
		keep_pid(f, o->pid);
	return rc;
}

int cmd_inquire(int argc, const char **argv)
{
	struct inquire_opts o = {0};
	const struct poptOption table[] = {
		{ "json", 'j', POPT_ARG_NONE, &o.json, 0,
		  "print one JSON object (--json=pretty: indented)", NULL },
		{ "json-pretty", 0, POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN,
		  &o.pretty, 0, NULL, NULL },
		{ "all", 'a', POPT_ARG_NONE, &o.all, 0,
		  "every resource held through vmlock on this host", NULL },
		{ "pid", 'p', POPT_ARG_STRING, &o.pid_arg, 0,
		  "only what process PID holds (every resource it holds when "
		  "no PATH is given)", "PID" },
		{ "busy", 0, POPT_ARG_NONE, &o.busy, 0,
		  "exit 1 when any resource is held", NULL },
		{ "prune", 0, POPT_ARG_NONE, &o.prune, 0,
		  "with --all: remove lease files that nobody holds", NULL },
		VL_LEASE_OPTION,
		{ "output", 'o', POPT_ARG_STRING, &o.output, 0,
		  "the columns to print (+LIST: the default ones and LIST)",
		  "LIST" },
		{ "output-all", 0, POPT_ARG_NONE, &o.output_all, 0,
		  "print every column", NULL },
		{ "list-columns", 0, POPT_ARG_NONE, &o.list_columns, 0,
		  "list the columns and exit", NULL },
		{ "raw", 'r', POPT_ARG_NONE, &o.raw, 0,
		  "raw table: one space between columns, blanks escaped", NULL },
		{ "noheadings", 'n', POPT_ARG_NONE, &o.noheadings, 0,
		  "no header line", NULL },
		{ "notruncate", 'u', POPT_ARG_NONE, &o.notruncate, 0,
		  "never cut a column to the terminal's width", NULL },
		VL_SETUP_OPTIONS,
		VL_HELP_OPTIONS,
		POPT_TABLEEND
	};
	poptContext ctx;
	const struct vl_driver *drv = NULL;
	struct vl_reslist l = {0};
	struct vl_found_list f = {0};
	struct vl_error e = {0};
	int rc;

	read_json_pretty(argc, argv);
	ctx = poptGetContext(argv[0], argc, argv, table, 0);
	poptSetOtherOptionHelp(ctx, "[OPTIONS] [PATH...]");
	rc = vl_read_resources(ctx, &l, NULL, &e);
	if (!rc && o.list_columns)
		list_columns();
	else if (!rc && !(rc = check_options(&o, l.n, &e)) &&
		 !(drv = vl_setup_driver(&e)))
		rc = e.code;
	else if (!rc) {
		setlocale(LC_CTYPE, "");	/* what libsmartcols may show */
		rc = find(&o, drv, &l, &f, &e);
		if ((!rc || !o.all) && o.json)
			print_json(stdout, &f, o.pretty);
		else if (!rc || !o.all)
			print_table(&f, &o);
	}
	/* vl_find_holders said each path it could not inquire */
	if (rc && (o.all || !drv))
		vl_warn("%s", e.msg);
	if (!rc && o.busy && any_held(&f))
		rc = 1;
	vl_found_free(&f);
	vl_reslist_free(&l);
	vl_setup_free();
	free(o.output);
	free(o.pid_arg);
	poptFreeContext(ctx);
	return rc;
}
