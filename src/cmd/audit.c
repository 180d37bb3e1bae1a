/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock audit: what each running QEMU has open, against the vmlock
 * locks it holds. */
#include "config.h"
#include "audit/audit.h"
#include "cmd/commands.h"
#include "cmd/json.h"
#include "util/util.h"

#include <libsmartcols.h>
#include <locale.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_PID = 1 };

static bool any_finding(const struct audit_proc *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!audit_proc_ok(&p[i]))
			return true;
	return false;
}

static void add_row(struct libscols_table *tb, const struct audit_proc *p,
		    const struct audit_file *f)
{
	struct libscols_line *ln = dl_scols_table_new_line(tb, NULL);
	int lock = audit_lock_mode(f);
	const char *use = audit_use_name(f->qemu);
	char pid[24];

	snprintf(pid, sizeof pid, "%ld", p->pid);
	/* libsmartcols escapes what is not printable, as inquire shows it */
	if (!ln || dl_scols_line_set_data(ln, 0, pid) ||
	    dl_scols_line_set_data(ln, 1, p->name ? p->name : "-") ||
	    dl_scols_line_set_data(ln, 2, audit_finding_name(f->finding)) ||
	    dl_scols_line_set_data(ln, 3, use ? use : "-") ||
	    dl_scols_line_set_data(ln, 4, lock < 0 ? "-" : vl_mode_name(lock)) ||
	    dl_scols_line_set_data(ln, 5, f->path ? f->path : "?"))
		vl_die(EX_OSERR, "out of memory");
}

void vl_print_findings(FILE *out, const struct audit_proc *p, size_t n)
{
	static const char *const names[] = { "PID", "NAME", "FINDING", "QEMU",
					     "LOCK", "PATH" };
	struct libscols_table *tb;

	if (!any_finding(p, n))
		return;		/* all is well: nothing to say */
	setlocale(LC_CTYPE, "");	/* what libsmartcols may show */
	vl_load_scols();
	if (!(tb = dl_scols_new_table()) || dl_scols_table_set_stream(tb, out))
		vl_die(EX_OSERR, "out of memory");
	for (size_t c = 0; c < 6; c++)
		if (!dl_scols_table_new_column(tb, names[c], 0,
					    c ? 0 : SCOLS_FL_RIGHT))
			vl_die(EX_OSERR, "out of memory");
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p[i].n; j++)
			if (p[i].v[j].finding != AUDIT_OK)
				add_row(tb, &p[i], &p[i].v[j]);
	dl_scols_print_table(tb);
	dl_scols_unref_table(tb);
}

static void json_file(struct json *j, const struct audit_file *f)
{
	int lock = audit_lock_mode(f);

	json_item(j);
	json_open(j, '{');
	json_key(j, "path");
	json_string(j, f->path);
	json_key(j, "qemu");
	json_string(j, audit_use_name(f->qemu));
	json_key(j, "lock");
	json_string(j, lock < 0 ? NULL : vl_mode_name(lock));
	json_key(j, "finding");
	json_string(j, audit_finding_name(f->finding));
	json_close(j, '}');
}

static void print_json(FILE *out, const struct audit_proc *p, size_t n)
{
	struct json j = { .out = out, .first = true };

	json_open(&j, '{');
	json_key(&j, "processes");
	json_open(&j, '[');
	for (size_t i = 0; i < n; i++) {
		json_item(&j);
		json_open(&j, '{');
		json_key(&j, "pid");
		fprintf(out, "%ld", p[i].pid);
		json_key(&j, "command");
		json_string(&j, p[i].command);
		json_key(&j, "name");
		json_string(&j, p[i].name);
		json_key(&j, "files");
		json_open(&j, '[');
		for (size_t k = 0; k < p[i].n; k++)
			json_file(&j, &p[i].v[k]);
		json_close(&j, ']');
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_close(&j, '}');
	fputc('\n', out);
}

/* Audits the pids given, or every QEMU in sight (those that vanish or
 * turn out not to be ours meanwhile left out). */
static int audit_all(const long *given, size_t ngiven, double timeout,
		     struct audit_proc **out, size_t *n)
{
	size_t count = ngiven;
	long *found = ngiven ? NULL : audit_qemu_pids(&count);
	const long *pids = ngiven ? given : found;
	int rc = 0;

	struct vl_error *e = vl_calloc(count + 1, sizeof *e);
	int *one = vl_calloc(count + 1, sizeof *one);

	*out = vl_calloc(count + 1, sizeof **out);
	audit_processes(pids, count, timeout, *out, one, e);
	*n = 0;
	for (size_t i = 0; i < count; i++) {
		if (!one[i])
			(*out)[(*n)++] = (*out)[i];	/* in pid order, kept */
		else
			audit_proc_free(&(*out)[i]);
		if (one[i] && ngiven)
			vl_warn("%s", e[i].msg);
		else if (one[i])
			vl_debug("%s", e[i].msg);
		if (ngiven && one[i])
			rc = one[i];
	}
	free(one);
	free(e);
	free(found);
	return rc;
}

struct audit_opts {
	char *pid_arg, *timeout_arg;
	int json;
	long *pids;		/* --pid, in order */
	size_t npids, cap;
	double timeout;
};

/* The options, once the table has them: 0 or 64 (e set). */
static int read_options(poptContext ctx, struct audit_opts *o,
			struct vl_error *e)
{
	int opt, rc = 0;

	while ((opt = poptGetNextOpt(ctx)) > 0) {
		long pid;
		if (!rc && !vl_parse_pid(o->pid_arg, &pid))
			rc = vl_fail(e, EX_USAGE, "--pid \"%s\": not a process "
				     "id", o->pid_arg);
		else if (!rc)
			*VL_PUSH(o->pids, o->npids, o->cap) = pid;
		free(o->pid_arg);
		o->pid_arg = NULL;
	}
	if (!rc && opt < -1)
		rc = vl_bad_option(ctx, opt, e);
	else if (!rc && poptPeekArg(ctx))
		rc = vl_fail(e, EX_USAGE, "usage: vmlock audit [--json] "
			     "[--pid PID]... [--timeout SECONDS]");
	else if (!rc && o->timeout_arg &&
		 !vl_parse_seconds(o->timeout_arg, &o->timeout))
		rc = vl_fail(e, EX_USAGE, "--timeout \"%s\": not a number of "
			     "seconds", o->timeout_arg);
	return rc;
}

int cmd_audit(int argc, const char **argv)
{
	struct audit_opts o = { .timeout = 5 };
	const struct poptOption table[] = {
		{ "json", 'j', POPT_ARG_NONE, &o.json, 0,
		  "print one JSON object, every file of every process", NULL },
		{ "pid", 'p', POPT_ARG_STRING, &o.pid_arg, OPT_PID,
		  "audit process PID (repeatable; default: every QEMU the "
		  "caller can see)", "PID" },
		VL_QMP_TIMEOUT_OPTION(o.timeout_arg),
		{ "verbose", 'v', POPT_ARG_VAL, &vl_verbosity, 1,
		  "say more (unreachable QMP sockets)", NULL },
		VL_HELP_OPTIONS,
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext(argv[0], argc, argv, table, 0);
	struct vl_error e = {0};
	struct audit_proc *p = NULL;
	size_t n = 0;
	int rc;

	poptSetOtherOptionHelp(ctx, "[OPTIONS]");
	rc = read_options(ctx, &o, &e);
	if (rc)
		vl_warn("%s", e.msg);
	else
		rc = audit_all(o.pids, o.npids, o.timeout, &p, &n);
	if (p && o.json)
		print_json(stdout, p, n);
	else if (p)
		vl_print_findings(stdout, p, n);
	for (size_t i = 0; i < n; i++) {
		if (!rc && !audit_proc_ok(&p[i]))
			rc = 1;
		audit_proc_free(&p[i]);
	}
	free(p);
	free(o.pids);
	free(o.timeout_arg);
	poptFreeContext(ctx);
	return rc;
}
