/* vmlock inquire: who holds a resource. */
#include "config.h"
#include "api/api.h"
#include "cmd/commands.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

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

static void print_json(FILE *out, const struct vl_found_list *fl)
{
	const struct vl_found *f = fl->v;
	size_t n = fl->n;

	fputs("{\"resources\": [", out);
	for (size_t i = 0; i < n; i++) {
		int mode = held_mode(&f[i].holders);
		fputs(i ? ", {\"path\": " : "{\"path\": ", out);
		vl_json_string(out, f[i].path);
		fputs(", \"mode\": ", out);
		vl_json_string(out, mode < 0 ? NULL : vl_mode_name(mode));
		fputs(", \"holders\": [", out);
		for (size_t j = 0; j < f[i].holders.n; j++) {
			const struct vl_holder *h = &f[i].holders.v[j];
			fputs(j ? ", {\"pid\": " : "{\"pid\": ", out);
			if (h->pid < 0)
				fputs("null", out);
			else
				fprintf(out, "%ld", h->pid);
			fprintf(out, ", \"host\": \"%s\", \"mode\": \"%s\", "
				"\"command\": ", h->remote ? "remote" : "local",
				vl_mode_name(h->mode));
			vl_json_string(out, h->command);
			fputs(", \"name\": ", out);
			vl_json_string(out, h->name);
			fprintf(out, ", \"role\": \"%s\"}", vl_role_name(h->role));
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
}

static void print_table(FILE *out, const struct vl_found_list *fl)
{
	const struct vl_found *f = fl->v;
	size_t n = fl->n;

	fprintf(out, "%-9s %7s %-8s %-6s %-16s %-12s %s\n", "MODE", "PID",
		"ROLE", "HOST", "COMMAND", "NAME", "PATH");
	for (size_t i = 0; i < n; i++) {
		const struct vl_holders *hs = &f[i].holders;
		if (!hs->n)
			fprintf(out, "%-9s %7s %-8s %-6s %-16s %-12s %s\n",
				"free", "-", "-", "-", "-", "-", f[i].path);
		for (size_t j = 0; j < hs->n; j++) {
			const struct vl_holder *h = &hs->v[j];
			char pid[24] = "?";
			if (h->pid >= 0)
				snprintf(pid, sizeof pid, "%ld", h->pid);
			fprintf(out, "%-9s %7s %-8s %-6s %-16s %-12s %s\n",
				vl_mode_name(h->mode), pid,
				vl_role_name(h->role),
				h->remote ? "remote" : "local",
				h->command ? h->command : "-",
				h->name ? h->name : "-", f[i].path);
		}
	}
}

static void pruned(const char *key)
{
	vl_note("pruned stale lease file of %s", key);
}

int cmd_inquire(int argc, const char **argv)
{
	int json = 0, all = 0, prune = 0;
	const struct poptOption table[] = {
		{ "json", 'j', POPT_ARG_NONE, &json, 0,
		  "print one JSON object", NULL },
		{ "all", 'a', POPT_ARG_NONE, &all, 0,
		  "every resource held through vmlock on this host", NULL },
		{ "prune", 0, POPT_ARG_NONE, &prune, 0,
		  "with --all: remove lease files that nobody holds", NULL },
		VL_LEASE_OPTION,
		VL_SETUP_OPTIONS,
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext("vmlock inquire", argc, argv, table, 0);
	const struct vl_driver *drv = NULL;
	struct vl_reslist l = {0};
	struct vl_found_list f = {0};
	struct vl_error e = {0};
	bool listed = false;
	int rc;

	poptSetOtherOptionHelp(ctx, "[OPTIONS] PATH...");
	rc = vl_read_resources(ctx, &l, NULL);
	if (!rc && !all && !l.n)
		rc = vl_fail(&e, EX_USAGE, "no PATH given (or --lease, or --all)");
	else if (!rc && prune && !all)
		rc = vl_fail(&e, EX_USAGE, "--prune goes with --all");
	else if (!rc && !(drv = vl_setup_driver(&e)))
		rc = e.code;
	else if (!rc && all && !drv->inquire_all)
		rc = vl_fail(&e, EX_USAGE, "--all: the %s driver cannot list "
			     "what this host holds", drv->name);
	else if (!rc && prune && !drv->prune)
		rc = vl_fail(&e, EX_USAGE, "--prune: the %s driver keeps no "
			     "lease files", drv->name);
	else if (!rc && prune)
		rc = drv->prune(pruned, &e);
	if (!rc && all)
		listed = !(rc = drv->inquire_all(&f, &e));
	else if (!rc)
		listed = true, rc = vl_find_holders(drv, &l, &f, &e);
	if (rc && (all || !drv))
		vl_warn("%s", e.msg);
	if (listed && json)
		print_json(stdout, &f);
	else if (listed)
		print_table(stdout, &f);
	vl_found_free(&f);
	vl_reslist_free(&l);
	vl_setup_free();
	poptFreeContext(ctx);
	return rc;
}
