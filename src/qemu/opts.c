/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* QemuOpts, the key=value syntax of -drive, -device, -name, qemu-img -o
 * and --image-opts, as QEMU 7.2's util/qemu-option.c reads it:
 *
 *   list    = [ element { "," element } ]
 *   element = key "=" value
 *           | key                  (key=on; "nokey" means key=off)
 *           | value                (first element only, with an implied
 *                                   key: the whole element up to a lone
 *                                   ",", "=" included)
 *   value   = { char | ",," }      (",," is a literal comma)
 *
 * A key given twice takes its last value, but "id" and "readonly" their
 * first (-drive renames the last "readonly" to "read-only" and then reads
 * the first). */
#include "config.h"
#include "qemu/opts.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

char *qemu_opts_value(const char **s)
{
	const char *p = *s;
	char *val = vl_malloc(strlen(p) + 1), *q = val;

	for (; *p; p++) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		}
		*q++ = *p;
	}
	*q = '\0';
	*s = p;
	return val;
}

/* One element at *s: its key and value, *s past it. */
static void read_element(const char **s, const char *implied_key,
			 char **key, char **val)
{
	size_t len = strcspn(*s, "=,");

	if ((*s)[len] == '=') {
		*key = vl_strndup(*s, len);
		*s += len + 1;
		*val = qemu_opts_value(s);
	} else if (implied_key) {
		*key = vl_strdup(implied_key);
		*val = qemu_opts_value(s);
	} else {
		bool no = len >= 2 && !strncmp(*s, "no", 2);
		*key = vl_strndup(*s + (no ? 2 : 0), len - (no ? 2 : 0));
		*val = vl_strdup(no ? "off" : "on");
		*s += len;
	}
}

void qemu_opts_add(struct qemu_kvlist *l, char *key, char *val)
{
	if ((!strcmp(key, "id") || !strcmp(key, "readonly")) &&
	    qemu_kv_find(l, key)) {
		free(key);	/* QEMU takes the first */
		free(val);
	} else {
		qemu_kv_replace(l, key, val);
	}
}

int qemu_opts_parse(const char *s, const char *implied_key,
		    struct qemu_kvlist *out, struct vl_error *e)
{
	for (bool first = true; *s; first = false) {
		char *key, *val;

		read_element(&s, first ? implied_key : NULL, &key, &val);
		if (!*key) {
			free(key);
			free(val);
			return vl_fail(e, EX_USAGE, "empty key");
		}
		qemu_opts_add(out, key, val);
		if (*s == ',')
			s++;
	}
	return 0;
}
