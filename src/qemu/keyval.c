/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* keyval, the key=value syntax of -blockdev and qemu-storage-daemon, as
 * QEMU 7.2's util/keyval.c reads it:
 *
 *   list    = [ first { "," element } [ "," ] ]
 *   first   = element | value-no-key        (with an implied key)
 *   element = key "=" value
 *   key     = fragment { "." fragment }
 *   value   = { char | ",," }
 *   value-no-key = / [^=,]+ /
 *
 * A key given twice takes its last value; a key that is both a value
 * and an object ("a=1,a.b=2") is refused, as QEMU refuses it. */
#include "config.h"
#include "qemu/keyval.h"
#include "qemu/opts.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

/* Is key both a leaf and the parent of another key of l, or of key? */
static bool inconsistent(const struct qemu_kvlist *l, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < l->n; i++) {
		const char *k = l->v[i].key;
		size_t m = strlen(k);

		if ((m > n && !strncmp(k, key, n) && k[n] == '.') ||
		    (n > m && !strncmp(k, key, m) && key[m] == '.'))
			return true;
	}
	return false;
}

int qemu_keyval_parse(const char *s, const char *implied_key,
		      struct qemu_kvlist *out, struct vl_error *e)
{
	while (*s) {
		size_t len = strcspn(s, "=,");
		char *key, *val;

		if (s[len] != '=' && !(implied_key && len))
			return vl_fail(e, EX_USAGE, "expected '=' after "
				       "parameter \"%.*s\"", (int)len, s);
		if (s[len] != '=') {
			key = vl_strdup(implied_key);
			val = vl_strndup(s, len);
			s += len;
		} else {
			key = vl_strndup(s, len);
			s += len + 1;
			val = qemu_opts_value(&s);
		}
		implied_key = NULL;
		if (!*key || inconsistent(out, key)) {
			int rc = vl_fail(e, EX_USAGE, "parameter \"%s\" %s", key,
					 *key ? "used inconsistently" : "empty");
			free(key);
			free(val);
			return rc;
		}
		qemu_kv_replace(out, key, val);
		if (*s == ',')
			s++;
	}
	return 0;
}
