/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The qemu-system command line: options and their values, -set,
 * -readconfig files (and QEMU's default one), -snapshot, -name, -uuid;
 * the disks they name go to the block graph (graph.c). */
#include "config.h"
#include "qemu/graph.h"
#include "qemu/opts.h"
#include "qemu/json.h"
#include "qemu/keyval.h"
#include "qemu/options.h"
#include "util/path.h"
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QEMU_DEFAULT_CONFIG "/etc/qemu/qemu.conf"

static int unknown_sys_option(const char *arg, struct vl_error *e)
{
	size_t n = strcspn(arg, "=");
	char *name = vl_strndup(arg, n);
	bool known = arg[n] == '=' && qemu_find_option(name);
	int rc = known
		? vl_fail(e, EX_USAGE, "QEMU option \"%s\": QEMU takes the "
			  "value as the next argument (%s VALUE)", arg, name)
		: vl_fail(e, EX_USAGE, "unknown QEMU option \"%s\"", arg);

	free(name);
	return rc;
}

typedef int (*sys_visit)(void *ctx, const struct sys_option *o,
			 const char *value);

/* Calls visit for each option of a qemu-system command line, with its
 * value; a bare argument is an -hda. */
static int scan_sys_args(int argc, char *const argv[], sys_visit visit,
			 void *ctx, struct vl_error *e)
{
	static const struct sys_option bare_disk = { "-hda", SYS_DISK };

	for (int i = 1; i < argc; i++) {
		const struct sys_option *o = &bare_disk;
		const char *value = argv[i];
		int rc;

		if (argv[i][0] == '-') {
			o = qemu_find_option(argv[i]);
			if (!o)
				return unknown_sys_option(argv[i], e);
			value = NULL;
			if (o->kind != SYS_FLAG && o->kind != SYS_SNAPSHOT &&
			    o->kind != SYS_NO_USER_CONFIG) {
				if (i + 1 >= argc)
					return vl_fail(e, EX_USAGE, "QEMU option "
						       "\"%s\" needs a value",
						       argv[i]);
				value = argv[++i];
			}
		}
		rc = visit(ctx, o, value);
		if (rc)
			return rc;
	}
	return 0;
}

int qemu_read_item(struct reader *r, enum item_kind kind, const char *opt,
		     const char *arg)
{
	struct item *it = graph_new_item(r, kind, opt, arg);
	int rc;

	if (kind != ITEM_DRIVE && arg[0] == '{')
		rc = qemu_json_parse(arg, &it->kv, r->e);
	else if (kind == ITEM_BLOCKDEV)
		rc = qemu_keyval_parse(arg, "driver", &it->kv, r->e);
	else
		rc = qemu_opts_parse(arg, kind == ITEM_DRIVE ? NULL : "driver",
				     &it->kv, r->e);
	return rc ? qemu_arg_fail(r->e, opt, arg, "%s", r->e->msg) : 0;
}

/* -hda FILE and its kin take the name literally, no comma escapes. */
static void read_legacy_disk(struct reader *r, const char *opt,
			     const char *file, bool cdrom)
{
	struct item *it = graph_new_item(r, ITEM_DRIVE, opt, file);

	qemu_kv_set(&it->kv, "file", file);
	if (cdrom)
		qemu_kv_set(&it->kv, "media", "cdrom");
}

/* -set GROUP.ID.KEY=VALUE, for the -drive and -device groups. */
static int read_set(struct reader *r, const char *arg)
{
	const char *id = strchr(arg, '.');
	const char *key = id ? strchr(id + 1, '.') : NULL;
	const char *eq = key ? strchr(key + 1, '=') : NULL;
	enum item_kind kind;
	struct item *it;
	char *group, *name, *k;

	if (!eq)
		return qemu_arg_fail(r->e, "-set", arg, "expected GROUP.ID.KEY=VALUE");
	group = vl_strndup(arg, (size_t)(id - arg));
	kind = !strcmp(group, "drive") ? ITEM_DRIVE : ITEM_DEVICE;
	if (kind == ITEM_DEVICE && strcmp(group, "device")) {
		free(group);
		return 0;	/* no disk in other groups */
	}
	name = vl_strndup(id + 1, (size_t)(key - id - 1));
	it = graph_find_item(r, kind, name);
	if (it) {	/* as if written last on its -drive or -device */
		k = vl_strndup(key + 1, (size_t)(eq - key - 1));
		qemu_opts_add(&it->kv, k, vl_strdup(eq + 1));
	}
	free(name);
	free(group);
	return it ? 0 : qemu_arg_fail(r->e, "-set", arg, "no -%s has that id",
				 kind == ITEM_DRIVE ? "drive" : "device");
}

/* A section of a QEMU config file: [drive "id"] and [device "id"] become
 * items like -drive and -device; other groups name no disk. */
static struct item *config_section(struct reader *r, const char *group,
				   const char *id, const char *file)
{
	enum item_kind kind = !strcmp(group, "drive") ? ITEM_DRIVE : ITEM_DEVICE;
	struct item *it;

	if (kind == ITEM_DEVICE && strcmp(group, "device"))
		return NULL;
	it = graph_new_item(r, kind, "-readconfig", file);
	if (*id)
		qemu_kv_set(&it->kv, "id", id);
	return it;
}

/* One line of a config file, read with QEMU's own sscanf formats (so a
 * line "key word" is key = "", as QEMU takes it). *it: the section. */
static int config_line(struct reader *r, const char *file, unsigned n,
		       const char *line, struct item **it, bool *section)
{
	char group[64], key[64], value[1024] = "";

	if (line[0] == '[') {
		if (sscanf(line, "[%63s \"%1023[^\"]\"]", group, value) == 2 ||
		    sscanf(line, "[%63[^]]]", group) == 1) {
			*it = config_section(r, group, value, file);
			*section = true;
			return 0;
		}
	}
	value[0] = '\0';
	if (sscanf(line, " %63s = \"%1023[^\"]\"", key, value) != 2 &&
	    sscanf(line, " %63s = \"\"", key) != 1)
		return qemu_arg_fail(r->e, "-readconfig", file, "line %u: parse "
				     "error", n);
	if (!*section)
		return qemu_arg_fail(r->e, "-readconfig", file, "line %u: no "
				     "group defined", n);
	if (*it)
		qemu_kv_set(&(*it)->kv, key, value);
	return 0;
}

/* -readconfig FILE, in QEMU's format: "[group]" or "[group "id"]"
 * lines, then key = "value" lines; '#' starts a comment line. Lines are
 * read 1023 bytes at a time, as QEMU reads them. */
static int read_config(struct reader *r, const char *file)
{
	char line[1024];
	struct item *it = NULL;
	bool section = false;
	char *path;
	FILE *f;
	int rc = 0;

	if (!strcmp(file, "-"))
		return qemu_arg_fail(r->e, "-readconfig", file, "vmlock cannot read "
				"QEMU's standard input; use a file");
	path = vl_path_join(r->cwd, file);
	f = fopen(path, "re");
	free(path);
	if (!f)
		return vl_fail(r->e, vl_errno_code(errno), "-readconfig "
			       "\"%s\": %s", file, strerror(errno));
	for (unsigned n = 1; !rc && fgets(line, sizeof line, f); n++)
		if (line[0] != '\n' && line[0] != '#')
			rc = config_line(r, file, n, line, &it, &section);
	fclose(f);
	return rc;
}

static int visit_sys_option(void *ctx, const struct sys_option *o,
			    const char *value)
{
	struct reader *r = ctx;

	switch (o->kind) {
	case SYS_DRIVE:
		return qemu_read_item(r, ITEM_DRIVE, o->name, value);
	case SYS_BLOCKDEV:
		return qemu_read_item(r, ITEM_BLOCKDEV, o->name, value);
	case SYS_DEVICE:
		return qemu_read_item(r, ITEM_DEVICE, o->name, value);
	case SYS_DISK:
	case SYS_CDROM:
		read_legacy_disk(r, o->name, value, o->kind == SYS_CDROM);
		return 0;
	case SYS_SET:
		return read_set(r, value);
	case SYS_SNAPSHOT:
		r->snapshot = true;
		return 0;
	case SYS_READCONFIG:
		return read_config(r, value);
	default:
		return 0;
	}
}

static int visit_user_config(void *ctx, const struct sys_option *o,
			     const char *value)
{
	bool *user_config = ctx;

	(void)value;
	if (o->kind == SYS_NO_USER_CONFIG)
		*user_config = false;
	return 0;
}

int qemu_read_system(int argc, char *const argv[], struct reader *r)
{
	int rc = qemu_read_system_items(argc, argv, r);

	return rc ? rc : graph_resolve(r);
}

int qemu_read_system_items(int argc, char *const argv[], struct reader *r)
{
	bool user_config = true;
	int rc = scan_sys_args(argc, argv, visit_user_config, &user_config,
			       r->e);

	/* QEMU reads its default config file before the other options */
	if (!rc && user_config && access(QEMU_DEFAULT_CONFIG, F_OK) == 0)
		rc = read_config(r, QEMU_DEFAULT_CONFIG);
	return rc ? rc : scan_sys_args(argc, argv, visit_sys_option, r, r->e);
}

/* ---- -name ---------------------------------------------------------- */

static int visit_name(void *ctx, const struct sys_option *o,
		      const char *value)
{
	char **name = ctx;
	struct qemu_kvlist kv = {0};
	struct vl_error ignored;

	if (o->kind != SYS_NAME)
		return 0;
	free(*name);
	*name = NULL;
	if (!qemu_opts_parse(value, "guest", &kv, &ignored) &&
	    qemu_kv_get(&kv, "guest"))
		*name = vl_strdup(qemu_kv_get(&kv, "guest"));
	qemu_kvlist_free(&kv);
	return 0;
}

char *qemu_vm_name(int argc, char *const argv[])
{
	char *name = NULL;
	struct vl_error ignored;

	/* the last -name wins, as in QEMU; a bad command line has none */
	if (scan_sys_args(argc, argv, visit_name, &name, &ignored)) {
		free(name);
		name = NULL;
	}
	return name;
}

static int visit_uuid(void *ctx, const struct sys_option *o,
		      const char *value)
{
	char **uuid = ctx;

	if (strcmp(o->name, "-uuid"))
		return 0;
	free(*uuid);
	*uuid = NULL;
	if (strlen(value) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? value[i] != '-' : !isxdigit((unsigned char)value[i]))
			return 0;
	}
	*uuid = vl_strdup(value);
	for (char *p = *uuid; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

char *qemu_vm_uuid(int argc, char *const argv[])
{
	char *uuid = NULL;
	struct vl_error ignored;

	if (scan_sys_args(argc, argv, visit_uuid, &uuid, &ignored)) {
		free(uuid);
		uuid = NULL;
	}
	return uuid;
}

/* ---- the QMP socket ------------------------------------------------- */

/* A unix socket QEMU listens on: -qmp unix:PATH,server=on (QemuOpts,
 * implied key path) or -chardev socket,path=PATH,server=on. */
static char *listening_path(const char *opts, const char *implied)
{
	struct qemu_kvlist kv = {0};
	struct vl_error ignored;
	const char *path, *server;
	bool listens = false;
	char *found = NULL;

	if (!qemu_opts_parse(opts, implied, &kv, &ignored)) {
		path = qemu_kv_get(&kv, "path");
		server = qemu_kv_get(&kv, "server");
		if (path && *path && server && vl_parse_bool(server, &listens) &&
		    listens)
			found = vl_strdup(path);
	}
	qemu_kvlist_free(&kv);
	return found;
}

struct qmp_search {
	char *qmp;		/* the first -qmp unix socket */
	struct qemu_kvlist chardevs;	/* id -> listening path */
	struct qemu_kvlist monitors;	/* chardev ids of -mon mode=control */
};

static void note_chardev(struct qmp_search *s, const char *value)
{
	struct qemu_kvlist kv = {0};
	struct vl_error ignored;
	const char *backend, *id;
	char *path;

	if (!qemu_opts_parse(value, "backend", &kv, &ignored) &&
	    (backend = qemu_kv_get(&kv, "backend")) &&
	    !strcmp(backend, "socket") && (id = qemu_kv_get(&kv, "id")) &&
	    (path = listening_path(value, "backend")))
		qemu_kv_append(&s->chardevs, vl_strdup(id), path);
	qemu_kvlist_free(&kv);
}

static void note_monitor(struct qmp_search *s, const char *value)
{
	struct qemu_kvlist kv = {0};
	struct vl_error ignored;
	const char *chardev, *mode;

	if (!qemu_opts_parse(value, "chardev", &kv, &ignored) &&
	    (chardev = qemu_kv_get(&kv, "chardev")) &&
	    (mode = qemu_kv_get(&kv, "mode")) && !strcmp(mode, "control"))
		qemu_kv_append(&s->monitors, vl_strdup(chardev), NULL);
	qemu_kvlist_free(&kv);
}

static int visit_qmp(void *ctx, const struct sys_option *o, const char *value)
{
	struct qmp_search *s = ctx;

	if (vl_in_list(o->name, (const char *const[]){ "-qmp", "-qmp-pretty",
						       NULL }) &&
	    !s->qmp && vl_starts_with(value, "unix:"))
		s->qmp = listening_path(value + 5, "path");
	else if (!strcmp(o->name, "-chardev"))
		note_chardev(s, value);
	else if (!strcmp(o->name, "-mon"))
		note_monitor(s, value);
	return 0;
}

char *qemu_qmp_socket(int argc, char *const argv[])
{
	struct qmp_search s = {0};
	struct vl_error ignored;

	/* what comes before an option this reader does not know still
	 * counts: the command line is one that QEMU runs */
	scan_sys_args(argc, argv, visit_qmp, &s, &ignored);
	char *path = s.qmp;
	for (size_t i = 0; !path && i < s.monitors.n; i++) {
		const char *p = qemu_kv_get(&s.chardevs, s.monitors.v[i].key);
		path = p ? vl_strdup(p) : NULL;
	}
	qemu_kvlist_free(&s.chardevs);
	qemu_kvlist_free(&s.monitors);
	return path;
}
