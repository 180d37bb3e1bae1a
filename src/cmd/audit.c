/* vmlock audit: what each running QEMU has open, against the vmlock
 * locks it holds. */
#include "config.h"
#include "audit/audit.h"
#include "cmd/commands.h"
#include "util/util.h"

#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_PID = 1 };

/* The table shows the findings that are not ok, one row each. */
void vl_print_findings(FILE *out, const struct audit_proc *p, size_t n)
{
	bool header = false;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p[i].n; j++) {
			const struct audit_file *f = &p[i].v[j];
			int lock = audit_lock_mode(f);
			if (f->finding == AUDIT_OK)
				continue;
			if (!header)
				fprintf(out, "%7s %-12s %-9s %-10s %-9s %s\n",
					"PID", "NAME", "FINDING", "QEMU", "LOCK",
					"PATH");
			header = true;
			char *name = vl_escape(p[i].name ? p[i].name : "-");
			char *path = vl_escape(f->path ? f->path : "?");
			const char *use = audit_use_name(f->qemu);
			fprintf(out, "%7ld %-12s %-9s %-10s %-9s %s\n", p[i].pid,
				name, audit_finding_name(f->finding),
				use ? use : "-", lock < 0 ? "-" : vl_mode_name(lock),
				path);
			free(name);
			free(path);
		}
}

static void print_json(FILE *out, const struct audit_proc *p, size_t n)
{
	fputs("{\"processes\": [", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s{\"pid\": %ld, \"command\": ", i ? ", " : "",
			p[i].pid);
		vl_json_string(out, p[i].command);
		fputs(", \"name\": ", out);
		vl_json_string(out, p[i].name);
		fputs(", \"files\": [", out);
		for (size_t j = 0; j < p[i].n; j++) {
			const struct audit_file *f = &p[i].v[j];
			int lock = audit_lock_mode(f);
			fputs(j ? ", {\"path\": " : "{\"path\": ", out);
			vl_json_string(out, f->path);
			fputs(", \"qemu\": ", out);
			vl_json_string(out, audit_use_name(f->qemu));
			fputs(", \"lock\": ", out);
			vl_json_string(out, lock < 0 ? NULL : vl_mode_name(lock));
			fprintf(out, ", \"finding\": \"%s\"}",
				audit_finding_name(f->finding));
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
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

	*out = vl_calloc(count, sizeof **out);
	*n = 0;
	for (size_t i = 0; i < count; i++) {
		struct vl_error e;
		int one = audit_process(pids[i], NULL, timeout, &(*out)[*n], &e);
		if (!one)
			(*n)++;
		else if (ngiven)
			vl_warn("%s", e.msg);
		else
			vl_debug("%s", e.msg);
		if (ngiven && one)
			rc = one;
	}
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
		rc = vl_fail(e, EX_USAGE, "%s: %s", poptBadOption(ctx, 0),
			     poptStrerror(opt));
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
		{ "timeout", 't', POPT_ARG_STRING, &o.timeout_arg, 0,
		  "seconds to wait for each QMP reply (default 5; -1: "
		  "forever)", "SECONDS" },
		{ "verbose", 'v', POPT_ARG_VAL, &vl_verbosity, 1,
		  "say more (unreachable QMP sockets)", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext("vmlock audit", argc, argv, table, 0);
	struct vl_error e = {0};
	struct audit_proc *p = NULL;
	size_t n = 0;
	int rc = read_options(ctx, &o, &e);

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
