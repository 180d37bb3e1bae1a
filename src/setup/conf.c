/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "setup/conf.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Config files are small; a bigger one is a mistake. */
#define CONFIG_MAX (64 * 1024)

struct parse {
	struct vl_config *c;
	const char *name;
	unsigned line;
	struct vl_error *e;
};

static int bad(struct parse *p, const char *key, const char *value,
	       const char *why)
{
	return vl_fail(p->e, EX_CONFIG, "%s:%u: %s = \"%s\": %s", p->name,
		       p->line, key, value, why);
}

static int set_string(struct parse *p, char **slot, const char *key,
		      const char *value)
{
	if (!*value)
		return bad(p, key, value, "empty value");
	free(*slot);
	*slot = vl_strdup(value);
	return 0;
}

static int set_bool(struct parse *p, int *slot, const char *key,
		    const char *value)
{
	bool on = !strcmp(value, "1");

	if (!on && strcmp(value, "0") && !vl_parse_bool(value, &on))
		return bad(p, key, value, "not on or off");
	*slot = on;
	return 0;
}

static bool is_integer(const char *s, long lo, long hi)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, 10);
	return *s && !*end && !errno && v >= lo && v <= hi;
}

/* Per-driver keys and what their values must look like. */
static const struct {
	const char *key;
	long lo, hi;		/* integer range; lo > hi: any text */
} driver_keys[] = {
	{ "lockspace.file_mode", 1, 0 },	/* checked below */
	{ "sanlock.host_id", 1, 2000 },
	{ "sanlock.io_timeout", 1, 3600 },
	{ "sanlock.lockspace", 1, 0 },
	{ "sanlock.directory", 1, 0 },
};

static int set_driver_option(struct parse *p, const char *key,
			     const char *value)
{
	for (size_t i = 0; i < sizeof driver_keys / sizeof *driver_keys; i++) {
		if (strcmp(key, driver_keys[i].key))
			continue;
		long lo = driver_keys[i].lo, hi = driver_keys[i].hi;
		if (!strcmp(key, "lockspace.file_mode")) {
			if (strcmp(value, "0644") && strcmp(value, "0640") &&
			    strcmp(value, "0600"))
				return bad(p, key, value, "not 0644, 0640 or "
					   "0600");
		} else if (lo <= hi ? !is_integer(value, lo, hi) : !*value) {
			return bad(p, key, value, lo <= hi ?
				   "not an integer in range" : "empty value");
		}
		struct vl_config *c = p->c;
		c->driver_opts = vl_reallocarray(c->driver_opts,
					       c->n_driver_opts + 1,
					       sizeof *c->driver_opts);
		c->driver_opts[c->n_driver_opts++] = (struct vl_option){
			vl_strdup(key), vl_strdup(value) };
		return 0;
	}
	return vl_fail(p->e, EX_CONFIG, "%s:%u: unknown key \"%s\"", p->name,
		       p->line, key);
}

static int set_key(struct parse *p, const char *key, const char *value)
{
	struct vl_config *c = p->c;

	if (!strcmp(key, "driver"))
		return set_string(p, &c->driver, key, value);
	if (!strcmp(key, "lockspace"))
		return set_string(p, &c->lockspace, key, value);
	if (!strcmp(key, "user"))
		return set_string(p, &c->user, key, value);
	if (!strcmp(key, "group"))
		return set_string(p, &c->group, key, value);
	if (!strcmp(key, "backing"))
		return set_bool(p, &c->backing, key, value);
	if (!strcmp(key, "wait")) {
		if (!vl_parse_seconds(value, &c->wait))
			return bad(p, key, value, "not a number of seconds "
				   "(>= 0, or -1)");
		c->wait_set = true;
		return 0;
	}
	return set_driver_option(p, key, value);
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r'))
		*--end = 0;
	return s;
}

static int parse_line(struct parse *p, char *line)
{
	char *hash = strchr(line, '#');

	if (hash)
		*hash = 0;
	line = trim(line);
	if (!*line)
		return 0;
	char *eq = strchr(line, '=');
	if (!eq)
		return vl_fail(p->e, EX_CONFIG, "%s:%u: \"%s\": not KEY = VALUE",
			       p->name, p->line, line);
	*eq = 0;
	char *key = trim(line), *value = trim(eq + 1);
	if (strlen(value) >= 2 && value[0] == '"' &&
	    value[strlen(value) - 1] == '"') {
		value[strlen(value) - 1] = 0;
		value++;
	}
	return set_key(p, key, value);
}

int vl_config_parse(const char *text, size_t len, const char *name,
		    struct vl_config *c, struct vl_error *e)
{
	struct parse p = { .c = c, .name = name, .e = e };
	char *copy = vl_malloc(len + 1), *line, *save = NULL;
	int rc = 0;

	memcpy(copy, text, len);
	copy[len] = 0;
	if (strlen(copy) != len)
		rc = vl_fail(e, EX_CONFIG, "%s: a NUL byte: not a text file",
			     name);
	for (char *s = copy; !rc && s; s = save) {
		line = s;
		save = strchr(s, '\n');
		if (save)
			*save++ = 0;
		p.line++;
		rc = parse_line(&p, line);
	}
	free(copy);
	return rc;
}

static int check_owner(const char *path, const struct stat *st,
		       struct vl_error *e)
{
	if (vl_others_may_write(st))
		return vl_fail(e, EX_CONFIG, "%s: writable by others than its "
			       "owner and root (mode %04o): refused", path,
			       (unsigned)(st->st_mode & 07777));
	if (!S_ISREG(st->st_mode))
		return vl_fail(e, EX_CONFIG, "%s: not a regular file", path);
	if (geteuid() == 0 && st->st_uid != 0)
		return vl_fail(e, EX_CONFIG, "%s: owned by uid %u, not root: "
			       "refused, as vmlock runs as root", path,
			       (unsigned)st->st_uid);
	return 0;
}

int vl_config_load(const char *path, struct vl_config *c, struct vl_error *e)
{
	const char *env = getenv("VMLOCK_CONFIG");
	bool optional = !path && !(env && *env);
	struct stat st;
	char *buf = NULL;	/* not on the stack: 64 KiB there cost faults */

	c->backing = -1;
	if (!path)
		path = env && *env ? env : VL_CONFIG_DEFAULT;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return optional && errno == ENOENT ? 0 :
		       vl_fail(e, EX_CONFIG, "%s: %s", path, strerror(errno));
	int rc = fstat(fd, &st) < 0 ? vl_fail(e, EX_CONFIG, "%s: %s", path,
					       strerror(errno))
				    : check_owner(path, &st, e);
	if (!rc)
		buf = vl_malloc(CONFIG_MAX + 1);
	ssize_t n = rc ? 0 : read(fd, buf, CONFIG_MAX + 1);
	close(fd);
	if (!rc && n < 0)
		rc = vl_fail(e, EX_CONFIG, "%s: %s", path, strerror(errno));
	else if (!rc && n > CONFIG_MAX)
		rc = vl_fail(e, EX_CONFIG, "%s: larger than %d bytes", path,
			     CONFIG_MAX);
	if (!rc)
		rc = vl_config_parse(buf, (size_t)n, path, c, e);
	free(buf);
	return rc;
}

const char *vl_config_option(const struct vl_config *c, const char *key)
{
	for (size_t i = c->n_driver_opts; i-- > 0;)
		if (!strcmp(c->driver_opts[i].key, key))
			return c->driver_opts[i].value;
	return NULL;
}

void vl_config_free(struct vl_config *c)
{
	free(c->driver);
	free(c->lockspace);
	free(c->user);
	free(c->group);
	for (size_t i = 0; i < c->n_driver_opts; i++) {
		free(c->driver_opts[i].key);
		free(c->driver_opts[i].value);
	}
	free(c->driver_opts);
	*c = (struct vl_config){ .backing = -1 };
}
