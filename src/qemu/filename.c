/* File names as QEMU's block layer reads them. */
#include "config.h"
#include "qemu/filename.h"
#include "qemu/json.h"
#include "util/path.h"
#include "util/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool qemu_name_is_protocol(const char *name)
{
	return name[strcspn(name, ":/")] == ':' &&
	       !vl_starts_with(name, "file:");
}

char *qemu_name_beside(const char *image, const char *name)
{
	if (qemu_name_is_protocol(name) || vl_starts_with(name, "json:"))
		return vl_strdup(name);
	return vl_path_beside(image, name);
}

/* A json:{...} backing name: its file.filename (or filename), taken
 * against the current directory as QEMU does; NULL when it names no
 * local file. */
static int json_backing(const char *overlay, const char *json,
			char **path, char **format, struct vl_error *e)
{
	struct qemu_kvlist kv = {0};
	const char *file, *driver;
	int rc = qemu_json_parse(json, &kv, e);

	if (rc) {
		rc = vl_fail(e, EX_DATAERR, "%s: backing file name json:%s: %s",
			     overlay, json, e->msg);
		goto out;
	}
	file = qemu_kv_get(&kv, "file.filename");
	if (!file)
		file = qemu_kv_get(&kv, "filename");
	driver = qemu_kv_get(&kv, "driver");
	if (!file || qemu_name_is_protocol(file))
		goto out;
	if (vl_starts_with(file, "file:"))
		file += 5;
	if (!(*path = vl_path_from_cwd(file)))
		rc = vl_fail(e, EX_OSERR, "cannot get the current directory: "
			     "%s", strerror(errno));
	if (driver && strcmp(driver, "file") && strcmp(driver, "host_device")) {
		free(*format);	/* the json: driver wins over the header's */
		*format = vl_strdup(driver);
	}
out:
	qemu_kvlist_free(&kv);
	return rc;
}

/* The backing name of overlay as QEMU resolves it; *format may be
 * replaced (json: names give a driver). */
static int resolve_backing(const char *overlay, const char *name,
			   char **path, char **format, struct vl_error *e)
{
	*path = NULL;
	if (vl_starts_with(name, "json:"))
		return json_backing(overlay, name + 5, path, format, e);
	if (qemu_name_is_protocol(name))
		return 0;	/* a network backing file: nothing to lock */
	if (vl_starts_with(name, "file:"))
		name += 5;
	*path = vl_path_beside(overlay, name);
	return 0;
}

const struct image_names qemu_image_names = { resolve_backing };
