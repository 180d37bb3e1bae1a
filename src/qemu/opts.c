/* QemuOpts and keyval, the key=value syntax of -drive, -blockdev, -device:
 *
 *   list    = element { "," element }
 *   element = key "=" value | key          (a bare key means key=on)
 *           | value                        (first element only, when the
 *                                           list has an implied key)
 *   value   = { char | ",," }              (",," is a literal comma)
 *
 * A duplicated key is refused. */
#include "config.h"
#include "qemu/opts.h"
#include "util/util.h"

#include <string.h>

/* Reads up to a lone ',' (",," is a literal comma); *s is left on the
 * ',' or the terminating NUL. */
static char *read_opt_value(const char **s)
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

int qemu_opts_parse(const char *s, const char *implied_key,
		    struct qemu_kvlist *out, struct vl_error *e)
{
	for (bool first = true; *s; first = false) {
		size_t keylen = strcspn(s, "=,");
		char *key, *val;

		if (first && implied_key && s[keylen] != '=') {
			key = vl_strdup(implied_key);
			val = read_opt_value(&s);
		} else if (keylen == 0) {
			return vl_fail(e, EX_USAGE, "empty key");
		} else {
			key = vl_strndup(s, keylen);
			s += keylen;
			if (*s == '=') {
				s++;
				val = read_opt_value(&s);
			} else {
				val = vl_strdup("on");
			}
		}
		int rc = qemu_kv_add_unique(out, key, val, e);
		if (rc)
			return rc;
		if (*s == ',')
			s++;
	}
	return 0;
}
