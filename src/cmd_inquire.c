/* vmlock inquire and vmlock revoke: who holds a resource, and stop them. */
#include "config.h"
#include "commands.h"
#include "driver.h"
#include "holders.h"
#include "lockproto.h"
#include "lockspace.h"
#include "util.h"

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

struct finding {
	char *path;
	struct vl_holders holders;
};

/* The mode a resource is held in: the strongest of its holders', offers
 * aside; -1 when free. */
static int held_mode(const struct vl_holders *h)
{
	int mode = -1;

	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].role != LP_OFFER)
			mode = mode < 0 ? (int)h->v[i].mode :
			       (int)vl_mode_stronger(mode, h->v[i].mode);
	return mode;
}

static void json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_json(FILE *out, const struct finding *f, size_t n)
{
	fputs("{\"resources\": [", out);
	for (size_t i = 0; i < n; i++) {
		int mode = held_mode(&f[i].holders);
		fputs(i ? ", {\"path\": " : "{\"path\": ", out);
		json_string(out, f[i].path);
		fputs(", \"mode\": ", out);
		json_string(out, mode < 0 ? NULL : vl_mode_name(mode));
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
			json_string(out, h->command);
			fputs(", \"name\": ", out);
			json_string(out, h->name);
			fprintf(out, ", \"role\": \"%s\"}", vl_role_name(h->role));
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
}

static void print_table(FILE *out, const struct finding *f, size_t n)
{
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

/* One lock of vmlock's byte range in /proc/locks. */
struct seen_lock {
	dev_t dev;
	ino_t ino;
	enum vl_mode mode;
	enum lp_role role;
};

struct seen_list {
	struct seen_lock *v;
	size_t n, cap;
};

static void add_seen(dev_t dev, ino_t ino, off_t start, off_t end,
		     short type, void *arg)
{
	struct seen_list *l = arg;
	struct seen_lock s = { .dev = dev, .ino = ino };

	/* only ours: not byte 0 alone, not whole-file lockf(3) locks */
	if (start < LP_BASE || end >= LP_END ||
	    !lp_classify(start, end, type, &s.mode, &s.role))
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n++] = s;
}

static int cmp_seen(const void *a, const void *b)
{
	const struct seen_lock *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Holders that /proc/locks shows but no visible process explains:
 * another user's, with no pid. */
static void add_invisible(struct holders_target *t, const struct seen_lock *s,
			  size_t n)
{
	for (size_t i = 0; i < n && !t->holders.n; i++)
		for (size_t j = 0; j <= i; j++)
			if (j == i) {
				struct vl_holder *h = vl_holders_add(&t->holders);
				h->mode = s[i].mode;
				h->role = s[i].role;
			} else if (s[j].mode == s[i].mode &&
				   s[j].role == s[i].role) {
				break;
			}
}

/* A lease file shows as what it stands for. */
static char *display_path(char *path)
{
	if (!path || !lockspace_contains(path))
		return path;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char *shown = lockspace_display_name(fd, path);
	if (fd >= 0)
		close(fd);
	free(path);
	return shown;
}

/* Every file locked in vmlock's byte range on this host. */
static int find_all(struct finding **out, size_t *n, struct vl_error *e)
{
	struct seen_list seen = {0};
	struct holders_target *t;
	size_t nt = 0, *first;

	if (!holders_proc_locks(add_seen, &seen))
		return vl_fail(e, EX_OSERR, "/proc/locks: %s", strerror(errno));
	if (seen.n)
		qsort(seen.v, seen.n, sizeof *seen.v, cmp_seen);
	t = xcalloc(seen.n, sizeof *t);
	first = xcalloc(seen.n + 1, sizeof *first);
	for (size_t i = 0; i < seen.n; i++)
		if (!i || cmp_seen(&seen.v[i - 1], &seen.v[i])) {
			first[nt] = i;
			t[nt++] = (struct holders_target){ .dev = seen.v[i].dev,
							   .ino = seen.v[i].ino };
		}
	first[nt] = seen.n;
	holders_scan(t, nt);	/* keeps the order: t is sorted already */
	*out = xcalloc(nt, sizeof **out);
	for (size_t i = 0; i < nt; i++) {
		add_invisible(&t[i], &seen.v[first[i]], first[i + 1] - first[i]);
		(*out)[i].path = t[i].path ? display_path(t[i].path) :
			xasprintf("inode:%x:%x:%llu", major(t[i].dev),
				  minor(t[i].dev), (unsigned long long)t[i].ino);
		(*out)[i].holders = t[i].holders;
	}
	*n = nt;
	free(first);
	free(t);
	free(seen.v);
	return 0;
}

static int find_resources(const struct vl_driver *drv,
			  const struct vl_reslist *l, struct finding **out,
			  size_t *n, struct vl_error *e)
{
	int rc = 0;

	*out = xcalloc(l->n, sizeof **out);
	*n = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct vl_resource r = l->v[i];
		char *real = r.kind == VL_FILE ? realpath(r.path, NULL) : NULL;
		struct vl_holders h = {0};

		if (real)
			r.path = real;
		int one = drv->inquire(&r, &h, e);
		if (one) {
			vl_warn("%s", e->msg);
			rc = one;
			free(real);
			continue;
		}
		(*out)[(*n)++] = (struct finding){
			real ? real : r.kind == VL_LEASE
				? xasprintf("lease:%s", r.path)
				: xstrdup(r.path), h };
	}
	return rc;
}

/* PATH arguments and --lease NAME options, in order. */
static int read_resources(poptContext ctx, struct vl_reslist *l,
			  const char *what)
{
	int opt;
	char *arg;

	while ((opt = poptGetNextOpt(ctx)) > 0)
		if ((arg = poptGetOptArg(ctx))) {
			vl_reslist_add(l, VL_LEASE, arg, VL_EXCLUSIVE, 0);
			free(arg);
		}
	if (opt < -1) {
		vl_warn("%s: %s", poptBadOption(ctx, 0), poptStrerror(opt));
		return EX_USAGE;
	}
	for (const char *p; (p = poptGetArg(ctx));)
		vl_reslist_add(l, VL_FILE, p, VL_EXCLUSIVE, 0);
	if (what && !l->n) {
		vl_warn("%s", what);
		return EX_USAGE;
	}
	return 0;
}

static void free_findings(struct finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].path);
		vl_holders_free(&f[i].holders);
	}
	free(f);
}

static void pruned(const char *key)
{
	vl_note("pruned stale lease file of %s", key);
}

enum { OPT_LEASE = 1 };

#define LEASE_OPTION { "lease", 'l', POPT_ARG_STRING, NULL, OPT_LEASE, \
	"the named resource NAME; repeatable", "NAME" }
#define SETUP_OPTIONS { NULL, 0, POPT_ARG_INCLUDE_TABLE, \
	(void *)vl_setup_options, 0, "Driver and configuration:", NULL }

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
		LEASE_OPTION,
		SETUP_OPTIONS,
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext("vmlock inquire", argc, argv, table, 0);
	const struct vl_driver *drv = NULL;
	struct vl_reslist l = {0};
	struct finding *f = NULL;
	struct vl_error e = {0};
	size_t n = 0;
	int rc;

	poptSetOtherOptionHelp(ctx, "[OPTIONS] PATH...");
	rc = read_resources(ctx, &l, NULL);
	if (!rc && !all && !l.n)
		rc = vl_fail(&e, EX_USAGE, "no PATH given (or --lease, or --all)");
	else if (!rc && prune && !all)
		rc = vl_fail(&e, EX_USAGE, "--prune goes with --all");
	else if (!rc && !(drv = vl_setup_driver(&e)))
		rc = e.code;
	else if (!rc && prune)
		rc = lockspace_prune(pruned, &e);
	if (!rc)
		rc = all ? find_all(&f, &n, &e) : find_resources(drv, &l, &f, &n, &e);
	if (rc && (all || !drv))
		vl_warn("%s", e.msg);
	if (f && json)
		print_json(stdout, f, n);
	else if (f)
		print_table(stdout, f, n);
	free_findings(f, n);
	vl_reslist_free(&l);
	vl_setup_free();
	poptFreeContext(ctx);
	return rc;
}

static int signal_number(const char *name)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "TERM", SIGTERM }, { "KILL", SIGKILL }, { "INT", SIGINT },
		{ "HUP", SIGHUP }, { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },
		{ "USR2", SIGUSR2 },
	};
	char *end;
	long n = strtol(name, &end, 10);

	if (!*end && n > 0 && n < NSIG)
		return (int)n;
	if (!strncmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		if (!strcmp(name, sigs[i].name))
			return sigs[i].sig;
	return -1;
}

/* Holders revoke must not or cannot signal: another user's, another
 * host's, or a lock manager's (virtlockd, sanlock) own process. */
static int check_signallable(const struct finding *f, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < f[i].holders.n; j++) {
			const struct vl_holder *h = &f[i].holders.v[j];
			char *who = vl_holder_describe(h);
			if (h->role == LP_FOREIGN || h->remote) {
				vl_warn("%s: held by %s: not vmlock's to "
					"revoke", f[i].path, who);
				rc = rc ?: EX_TEMPFAIL;
			} else if (h->pid < 0 || (kill((pid_t)h->pid, 0) < 0 &&
						  errno == EPERM)) {
				vl_warn("%s: held by %s: may not signal it",
					f[i].path, who);
				rc = EX_NOPERM;
			}
			free(who);
		}
	return rc;
}

/* Signals every local vmlock holder of f; EX_NOPERM if one may not be. */
static int signal_holders(const struct finding *f, int sig)
{
	int rc = 0;

	for (size_t i = 0; i < f->holders.n; i++) {
		const struct vl_holder *h = &f->holders.v[i];
		if (h->pid <= 0 || h->role == LP_FOREIGN)
			continue;
		if (kill((pid_t)h->pid, sig) < 0 && errno == EPERM) {
			vl_warn("%s: may not signal pid %ld: %s", f->path,
				h->pid, strerror(errno));
			rc = EX_NOPERM;
		}
	}
	return rc;
}

static bool all_free(const struct vl_driver *drv, const struct vl_reslist *l,
		     struct finding *f, size_t n)
{
	bool free_now = true;

	for (size_t i = 0; i < n; i++) {
		struct vl_resource r = l->v[i];
		struct vl_error e;
		vl_holders_free(&f[i].holders);
		if (drv->inquire(&r, &f[i].holders, &e) == 0)
			free_now &= f[i].holders.n == 0;
	}
	return free_now;
}

static int revoke_all(const struct vl_driver *drv, const struct vl_reslist *l,
		      struct finding *f, size_t n, int sig, double grace)
{
	struct vl_deadline d = vl_deadline_in(grace);
	int rc = check_signallable(f, n);

	if (rc)
		return rc;	/* nothing signalled */
	for (size_t i = 0; i < n; i++)
		rc = signal_holders(&f[i], sig) ?: rc;
	while (!all_free(drv, l, f, n) && !vl_deadline_passed(&d))
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	if (!all_free(drv, l, f, n)) {
		for (size_t i = 0; i < n; i++)
			rc = signal_holders(&f[i], SIGKILL) ?: rc;
		for (int tries = 0; tries < 100 && !all_free(drv, l, f, n); tries++)
			nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < f[i].holders.n; j++) {
			char *who = vl_holder_describe(&f[i].holders.v[j]);
			vl_warn("%s: still held by %s", f[i].path, who);
			free(who);
			if (!rc)
				rc = EX_TEMPFAIL;
		}
	return rc;
}

int cmd_revoke(int argc, const char **argv)
{
	char *signame = NULL, *grace_arg = NULL;
	const struct poptOption table[] = {
		{ "signal", 's', POPT_ARG_STRING, &signame, 0,
		  "signal to send first (default TERM)", "SIG" },
		{ "grace", 'g', POPT_ARG_STRING, &grace_arg, 0,
		  "seconds to wait before SIGKILL (default 10)", "SECONDS" },
		LEASE_OPTION,
		SETUP_OPTIONS,
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	poptContext ctx = poptGetContext("vmlock revoke", argc, argv, table, 0);
	const struct vl_driver *drv = NULL;
	struct vl_reslist l = {0};
	struct finding *f = NULL;
	struct vl_error e = {0};
	double grace = 10;
	size_t n = 0;
	int sig, rc;

	poptSetOtherOptionHelp(ctx, "[OPTIONS] PATH...");
	rc = read_resources(ctx, &l, "no PATH given (or --lease)");
	sig = signame ? signal_number(signame) : SIGTERM;
	if (!rc && sig < 0)
		rc = vl_fail(&e, EX_USAGE, "--signal \"%s\": unknown signal",
			     signame);
	else if (!rc && grace_arg && (!vl_parse_seconds(grace_arg, &grace) ||
				      grace < 0))
		rc = vl_fail(&e, EX_USAGE, "--grace \"%s\": not a number of "
			     "seconds", grace_arg);
	else if (!rc && !(drv = vl_setup_driver(&e)))
		rc = e.code;
	if (rc && e.code)
		vl_warn("%s", e.msg);
	if (!rc)
		rc = find_resources(drv, &l, &f, &n, &e);
	if (!rc)
		rc = revoke_all(drv, &l, f, n, sig, grace);
	free_findings(f, n);
	vl_reslist_free(&l);
	vl_setup_free();
	free(signame);
	free(grace_arg);
	poptFreeContext(ctx);
	return rc;
}
